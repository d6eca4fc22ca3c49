//! Building the application: pool, cache, sessions, authorizer, districts, mailer; binding the listener;
//! starting the jobs (`crate::jobs`).

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Instant;

use actix_web::dev::{Server, Service};
use actix_web::{web, App, HttpServer};
use nuanxin_access::Authorizer;
use secrecy::ExposeSecret;
use tracing_actix_web::TracingLogger;

use crate::telemetry::RequestSpan;

use crate::audit::reads::ReadLog;
use crate::auth::session::Sessions;
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

impl Application {
    /// Builds everything and binds `host:port` (port 0 picks a free one; see [`Application::port`]).
    pub async fn build(settings: Settings) -> Result<Application, StartupError> {
        let pool =
            nuanxin_db::pool::build_pool(&settings.app_database_url(), settings.database.pool_size)
                .map_err(setup("database pool"))?;
        let store = Arc::new(
            Store::new(
                settings.redis.url.expose_secret(),
                &settings.redis.namespace,
            )
            .map_err(setup("redis"))?,
        );
        let sessions = Sessions::start(settings.app_database_url(), &store);
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
            sessions,
            authorizer: Arc::new(authorizer),
            districts,
            metrics: Metrics::default(),
            mailer,
            read_log: ReadLog::start(pool_for_reads, crate::audit::reads::QUEUE),
            near_families,
            imports: tokio::sync::Semaphore::new(crate::registry::import::IMPORTS_AT_ONCE),
            verification_limits: Arc::new(crate::sharing::limit::NearLimits::new(
                crate::sharing::verify::WINDOW,
            )),
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
        crate::jobs::start(&state.clone().into_inner());
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
