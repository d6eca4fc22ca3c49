//! Building the application: pool, cache, authorizer, districts, mailer; binding the listener; jobs.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::dev::{Server, Service};
use actix_web::{web, App, HttpServer};
use nuanxin_access::Authorizer;
use secrecy::ExposeSecret;
use tracing_actix_web::TracingLogger;

use crate::telemetry::RequestSpan;

use crate::audit::reads::ReadLog;
use crate::cache::Store;
use crate::configuration::Settings;
use crate::mail::Mailer;
use crate::metrics::Metrics;
use crate::onboarding::{load_districts, load_rules, tenants_dir};
use crate::registry::near::NearFamilies;
use crate::state::{AppState, Districts, Keys};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("{0}")]
    Setup(String),
    #[error("cannot listen: {0}")]
    Listen(#[from] std::io::Error),
}

fn setup<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> StartupError {
    move |e| StartupError::Setup(format!("{what}: {e}"))
}

pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
}

/// How often the background jobs (audit sealing, mail) run.
const JOB_INTERVAL: Duration = Duration::from_secs(2);

impl Application {
    /// Builds everything and binds `host:port` (port 0 picks a free one; see [`Application::port`]).
    pub async fn build(settings: Settings) -> Result<Application, StartupError> {
        let pool =
            nuanxin_db::pool::build_pool(&settings.app_database_url(), settings.database.pool_size)
                .map_err(setup("database pool"))?;
        let store = Store::new(
            settings.redis.url.expose_secret(),
            &settings.redis.namespace,
        )
        .map_err(setup("redis"))?;
        let authorizer = Authorizer::new(load_rules(&pool).await.map_err(setup("access rules"))?)
            .await
            .map_err(setup("access rules"))?;
        let dir = tenants_dir(&settings.application.tenants_dir);
        let districts = Districts::default();
        districts.replace(
            load_districts(&pool, &dir)
                .await
                .map_err(setup("districts"))?,
        );
        let mailer = Mailer::new(&settings.mail).map_err(setup("mail"))?;
        let listener = TcpListener::bind((
            settings.application.host.as_str(),
            settings.application.port,
        ))?;
        let port = listener.local_addr()?.port();
        tracing::info!(
            port,
            districts = districts.all().len(),
            cache = store.kind(),
            mail = %mailer.describe(),
            "nuanxin starting"
        );
        let pool_for_reads = pool.clone();
        let workers = settings.application.workers;
        let near_families =
            NearFamilies::start(settings.app_database_url(), settings.database.near_families);
        let state = web::Data::new(AppState {
            keys: Keys::from_settings(&settings),
            settings,
            pool,
            store,
            authorizer: Arc::new(authorizer),
            districts,
            metrics: Metrics::default(),
            mailer,
            read_log: ReadLog::start(pool_for_reads, crate::audit::reads::QUEUE),
            near_families,
            imports: tokio::sync::Semaphore::new(crate::registry::import::IMPORTS_AT_ONCE),
        });
        let app_state = state.clone();
        let server = HttpServer::new(move || {
            let metrics_state = app_state.clone();
            App::new()
                .wrap_fn(move |req, srv| {
                    let started = Instant::now();
                    let method = req.method().to_string();
                    let state = metrics_state.clone();
                    let fut = srv.call(req);
                    async move {
                        let res = fut.await?;
                        let route = res
                            .request()
                            .match_pattern()
                            .unwrap_or_else(|| "unmatched".into());
                        let micros =
                            u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
                        state
                            .metrics
                            .observe(&method, &route, res.status().as_u16(), micros);
                        Ok(res)
                    }
                })
                .wrap(TracingLogger::<RequestSpan>::new())
                .app_data(app_state.clone())
                .app_data(web::PayloadConfig::new(64 * 1024 * 1024))
                .configure(crate::routes::configure)
                .configure(crate::console::configure)
        })
        .workers(match workers {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        })
        .listen(listener)?
        .run();
        tokio::spawn(run_jobs(state.clone()));
        tokio::spawn(run_daily_jobs(state.clone()));
        Ok(Application {
            port,
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The shared state (tests reach the pool and districts through it).
    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Serves until the server is stopped, then writes out the queued read records.
    pub async fn run_until_stopped(self) -> Result<(), std::io::Error> {
        let served = self.server.await;
        self.state.read_log.flush().await;
        served
    }
}

/// Every this many job rounds (about five minutes) the sealer sweeps the whole log for late commits.
const FULL_SWEEP_EVERY: u32 = 150;

/// Every this many job rounds (about ten seconds) the service looks for newly onboarded districts.
const DIRECTORY_CHECK_EVERY: u32 = 5;

/// Seals audit events and sends queued mail for every district, forever; picks up districts onboarded
/// (`nuanxin tenant onboard`) and access rules changed while it runs.
async fn run_jobs(state: web::Data<AppState>) {
    let mut tick = tokio::time::interval(JOB_INTERVAL);
    let mut round = 0u32;
    let mut directory = None;
    loop {
        tick.tick().await;
        round = round.wrapping_add(1);
        if round.is_multiple_of(DIRECTORY_CHECK_EVERY) {
            if let Err(e) = crate::onboarding::refresh(&state, &mut directory).await {
                tracing::warn!(error = %e, "reloading districts failed");
            }
        }
        let sweep = if round.is_multiple_of(FULL_SWEEP_EVERY) {
            crate::audit::Sweep::All
        } else {
            crate::audit::Sweep::Recent
        };
        for district in state.districts.all() {
            if let Err(e) = crate::audit::seal(&state.pool, district.id, sweep).await {
                tracing::warn!(tenant = %district.slug, error = %e, "audit sealing failed");
            }
            if let Err(e) = state.mailer.dispatch(&state.pool, district.id).await {
                tracing::warn!(tenant = %district.slug, error = %e, "mail dispatch failed");
            }
        }
    }
}

/// How often the daily jobs check whether today's run is due (a claimed date is skipped cheaply).
const DAILY_JOB_CHECK: Duration = Duration::from_secs(600);

/// Once a day per district: the newly-eligible check (follow-ups for streets). Its own task, so a long
/// run over a large register never delays audit sealing or mail.
async fn run_daily_jobs(state: web::Data<AppState>) {
    let mut tick = tokio::time::interval(DAILY_JOB_CHECK);
    loop {
        tick.tick().await;
        for district in state.districts.all() {
            let access = state.clone().into_inner();
            match crate::benefits::newly_eligible::run_if_due(access, &district, district.today())
                .await
            {
                Ok(Some(report)) => {
                    tracing::info!(tenant = %district.slug, families = report.families, follow_ups = report.follow_ups_created, "newly-eligible check done")
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(tenant = %district.slug, error = %e, "newly-eligible check failed")
                }
            }
        }
    }
}
