//! The command line: serve, migrate, demo, tenant onboarding, audit verification, policy tools, matching.

mod calendar;
mod checkins;
mod matching;

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use nuanxin_db::pool::{build_pool, DbPool, TenantTx};
use secrecy::ExposeSecret;

use crate::audit::Actor;
use crate::configuration::{get_settings, Settings};
use crate::onboarding::{self, tenant_slugs, tenants_dir, DemoAccounts};
use crate::registry::Registry;
use crate::startup::Application;
use crate::state::Keys;

#[derive(Parser)]
#[command(
    name = "nuanxin",
    version,
    about = "暖心 Nuanxin: care for family-planning special families"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API and console (the database must be migrated).
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080.
        #[arg(long)]
        bind: Option<String>,
    },
    /// Create the database if missing and apply migrations.
    Migrate,
    /// Set up everything (database, migrations, every district with demo data) and serve.
    Demo {
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: String,
    },
    /// Manage districts.
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// District policies.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// Benefit administration.
    Benefits {
        #[command(subcommand)]
        command: BenefitsCommand,
    },
    /// The lunar holidays of visit campaigns.
    Calendar {
        #[command(subcommand)]
        command: calendar::CalendarCommand,
    },
    /// Volunteer matching.
    Matching {
        #[command(subcommand)]
        command: matching::MatchingCommand,
    },
    /// Neighbour pairings' daily check-ins.
    Checkins {
        #[command(subcommand)]
        command: checkins::CheckinsCommand,
    },
}

#[derive(Subcommand)]
enum BenefitsCommand {
    /// Generate (or regenerate) a cycle: propose every entitlement of the program on the register.
    Generate {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        program: String,
        /// `YYYY`, `YYYY-MM`, an event date `YYYY-MM-DD`, or `once`, per the program's period.
        #[arg(long)]
        period: String,
        #[arg(long = "as-of")]
        as_of: Option<NaiveDate>,
    },
    /// Run the newly-eligible check now (creates follow-ups for streets).
    NewlyEligible {
        #[arg(long)]
        tenant: String,
        /// The date to evaluate; today in the district when absent.
        #[arg(long = "as-of", alias = "on")]
        as_of: Option<NaiveDate>,
    },
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Onboard the district in tenants/SLUG/ (idempotent).
    Onboard {
        slug: String,
        /// Also create the demo accounts and synthetic families.
        #[arg(long)]
        demo: bool,
    },
    /// List the district folders and which are onboarded.
    List,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Seal pending events and verify a district's hash chain (exit 1 when broken).
    Verify {
        #[arg(long)]
        tenant: String,
    },
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Evaluate a family's facts (SPEC's canonical JSON) on a date.
    Evaluate {
        #[arg(long)]
        tenant: String,
        #[arg(long = "as-of")]
        as_of: NaiveDate,
        /// Also list the programs missed and why.
        #[arg(long)]
        explain: bool,
        file: PathBuf,
    },
    /// Run the policy test cases beside each policy (one district or all).
    Test {
        #[arg(long)]
        tenant: Option<String>,
        /// Also nudge each number and date in force one at a time and list every change no case
        /// notices (exit 1 if any).
        #[arg(long)]
        mutants: bool,
    },
    /// A year's cost by program and payer, from the register with ages and dates moved forward.
    Forecast {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        year: i32,
    },
    /// Which families gain or lose which programs under a new policy version, and the cost difference.
    Impact {
        #[arg(long)]
        tenant: String,
        #[arg(long = "as-of")]
        as_of: NaiveDate,
        /// The new policy file.
        file: PathBuf,
    },
}

type CliResult = Result<ExitCode, Box<dyn std::error::Error>>;

/// Prints a value as pretty JSON; a reader that stops early (`| head`) is not an error.
pub fn print_json(value: &impl serde::Serialize) -> Result<(), Box<dyn std::error::Error>> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{}", serde_json::to_string_pretty(value)?) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

pub async fn run(cli: Cli) -> CliResult {
    let settings = get_settings()?;
    match cli.command {
        Command::Serve { bind } => {
            crate::telemetry::init(true);
            serve(with_bind(settings, bind.as_deref())?).await
        }
        Command::Migrate => {
            crate::telemetry::init(false);
            migrate(&settings).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { bind } => {
            crate::telemetry::init(false);
            migrate(&settings).await?;
            let pool = app_pool(&settings)?;
            let dir = tenants_dir(&settings.application.tenants_dir);
            for slug in tenant_slugs(&dir) {
                onboard(&settings, &pool, &slug, true).await?;
            }
            println!(
                "暖心 demo: http://{bind}/  (accounts: see README; password {})",
                if std::env::var("NUANXIN_DEMO_PASSWORD").is_ok() {
                    "from NUANXIN_DEMO_PASSWORD"
                } else {
                    settings.application.demo_password.expose_secret()
                }
            );
            serve(with_bind(settings, Some(&bind))?).await
        }
        Command::Tenant {
            command: TenantCommand::Onboard { slug, demo },
        } => {
            crate::telemetry::init(false);
            migrate(&settings).await?;
            let pool = app_pool(&settings)?;
            onboard(&settings, &pool, &slug, demo).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Tenant {
            command: TenantCommand::List,
        } => {
            let dir = tenants_dir(&settings.application.tenants_dir);
            for slug in tenant_slugs(&dir) {
                let manifest = onboarding::read_manifest(&dir, &slug)?;
                println!("{slug}\t{}", manifest.name);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit {
            command: AuditCommand::Verify { tenant },
        } => {
            let pool = app_pool(&settings)?;
            let district =
                onboarding::load_districts(&pool, &tenants_dir(&settings.application.tenants_dir))
                    .await?
                    .into_iter()
                    .find(|d| d.slug == tenant)
                    .ok_or_else(|| format!("district '{tenant}' is not onboarded"))?;
            crate::audit::seal(&pool, district.id).await?;
            let result = crate::audit::verify(&pool, district.id).await?;
            print_json(&result)?;
            Ok(if result.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Policy {
            command: PolicyCommand::Forecast { tenant, year },
        } => crate::benefits::cli::forecast(&settings, &tenant, year).await,
        Command::Policy {
            command:
                PolicyCommand::Impact {
                    tenant,
                    as_of,
                    file,
                },
        } => crate::benefits::cli::impact(&settings, &tenant, as_of, &file).await,
        Command::Policy { command } => match command_args(command) {
            Some(args) => crate::policy_cli::run(&settings, args),
            None => Ok(ExitCode::FAILURE),
        },
        Command::Benefits {
            command:
                BenefitsCommand::Generate {
                    tenant,
                    program,
                    period,
                    as_of,
                },
        } => crate::benefits::cli::generate(&settings, &tenant, &program, &period, as_of).await,
        Command::Benefits {
            command: BenefitsCommand::NewlyEligible { tenant, as_of },
        } => crate::benefits::cli::newly_eligible(&settings, &tenant, as_of).await,
        Command::Calendar { command } => calendar::run(command),
        Command::Matching { command } => matching::run(&settings, command).await,
        Command::Checkins { command } => checkins::run(&settings, command).await,
    }
}

/// The synchronous policy commands (forecast and impact read the database and are handled above).
fn command_args(command: PolicyCommand) -> Option<crate::policy_cli::PolicyArgs> {
    Some(match command {
        PolicyCommand::Evaluate {
            tenant,
            as_of,
            explain,
            file,
        } => crate::policy_cli::PolicyArgs::Evaluate {
            tenant,
            as_of,
            explain,
            file,
        },
        PolicyCommand::Test { tenant, mutants } => {
            crate::policy_cli::PolicyArgs::Test { tenant, mutants }
        }
        PolicyCommand::Forecast { .. } | PolicyCommand::Impact { .. } => return None,
    })
}

fn with_bind(mut settings: Settings, bind: Option<&str>) -> Result<Settings, String> {
    if let Some(bind) = bind {
        let (host, port) = bind
            .rsplit_once(':')
            .ok_or_else(|| format!("--bind '{bind}' must be HOST:PORT"))?;
        settings.application.host = host.trim_matches(['[', ']']).to_owned();
        settings.application.port = port
            .parse()
            .map_err(|_| format!("--bind '{bind}': bad port"))?;
    }
    Ok(settings)
}

fn app_pool(settings: &Settings) -> Result<DbPool, String> {
    build_pool(&settings.app_database_url(), 4)
}

/// Creates the database when missing, migrates, and gives the app role its password.
pub async fn migrate(settings: &Settings) -> Result<(), Box<dyn std::error::Error>> {
    let admin = settings.database.url.expose_secret();
    if nuanxin_db::ensure_database(admin).await? {
        tracing::info!("database created");
    }
    let applied = nuanxin_db::run_migrations(admin).await?;
    if !applied.is_empty() {
        tracing::info!(migrations = ?applied, "migrations applied");
    }
    let password = settings.database.app_password.expose_secret();
    if !password.is_empty() {
        nuanxin_db::set_app_password(admin, &settings.database.app_user, password).await?;
    }
    Ok(())
}

/// Onboards one district; with `demo`, also its demo accounts and (once) its synthetic families.
pub async fn onboard(
    settings: &Settings,
    pool: &DbPool,
    slug: &str,
    demo: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let dir = tenants_dir(&settings.application.tenants_dir);
    let password = settings
        .application
        .demo_password
        .expose_secret()
        .to_owned();
    let accounts = DemoAccounts {
        password: &password,
    };
    let tenant_id = onboarding::onboard(pool, &dir, slug, demo.then_some(&accounts)).await?;
    if demo {
        let manifest = onboarding::read_manifest(&dir, slug)?;
        let count = manifest.demo.as_ref().map(|d| d.families).unwrap_or(0);
        let district = onboarding::load_districts(pool, &dir)
            .await?
            .into_iter()
            .find(|d| d.id == tenant_id)
            .ok_or("district vanished while onboarding")?;
        let keys = Keys::from_settings(settings);
        let registry = Registry::new(&district, &keys);
        let mut tx = TenantTx::begin(pool, tenant_id).await?;
        let filter = nuanxin_db::models::family::FamilyFilter {
            limit: 1,
            ..Default::default()
        };
        let (_, existing) = nuanxin_db::models::family::FamilyRecord::list(
            &mut tx,
            nuanxin_access::Scope::District,
            &filter,
        )
        .await?;
        let actor = Actor {
            user_id: nuanxin_ids::UserId::SYSTEM,
            name: "演示数据".into(),
            actor: "system:demo".into(),
            request_id: None,
        };
        if existing == 0 {
            for input in crate::demo::families(&manifest, count, district.today()) {
                registry
                    .create(&mut tx, nuanxin_access::Scope::District, &actor, input)
                    .await
                    .map_err(|e| format!("demo family: {e}"))?;
            }
            crate::checkins::demo::seed(&mut tx, &district, &keys, &manifest).await?;
        }
        tx.commit().await?;
        if existing == 0 {
            crate::tasks::demo::seed(pool, &district, &keys)
                .await
                .map_err(|e| format!("demo tasks: {e}"))?;
            let access: crate::benefits::Access =
                std::sync::Arc::new(crate::benefits::Standalone {
                    pool: pool.clone(),
                    keys,
                });
            crate::demo::visits(access.clone(), &district, &actor)
                .await
                .map_err(|e| format!("demo visits: {e}"))?;
            if district.matching.is_some() {
                crate::tasks::proposals::run(access, &district, None, district.today(), &actor)
                    .await
                    .map_err(|e| format!("demo task proposals: {e}"))?;
            }
        }
    }
    println!("onboarded {slug}");
    Ok(())
}

async fn serve(settings: Settings) -> CliResult {
    let app = Application::build(settings).await?;
    app.run_until_stopped().await?;
    Ok(ExitCode::SUCCESS)
}
