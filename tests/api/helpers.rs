//! Test harness: each test gets its own database, cloned from a migrated and onboarded template, a
//! namespace of its own in the real Redis, and the application on a random port.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};

use diesel::sql_types::Text;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use nuanxin::configuration::{settings_from, Settings};
use nuanxin::startup::Application;
use nuanxin_access::Role;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub const SERVER: &str = "postgres://postgres@127.0.0.1:5432";
pub const PASSWORD: &str = "test-password-2026";
pub const REDIS: &str = "redis://127.0.0.1:6379";

/// The template's name changes with the migrations, the tenant folders and the role permissions, so a stale
/// one is never used.
fn template_name() -> String {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let mut hasher = Sha256::new();
    // The role permissions are written into the template when it is onboarded: a change of them needs
    // a new template as much as a migration does.
    for dir in ["migrations", "tenants", "shared/access"] {
        let mut files: Vec<_> = walk(&format!("{root}/{dir}"));
        files.sort();
        for f in files {
            hasher.update(f.as_bytes());
            hasher.update(std::fs::read(&f).unwrap_or_default());
        }
    }
    // Onboarding seeds the access rules from the default role permissions: a new grant needs a new template.
    hasher.update(
        std::fs::read(format!("{root}/shared/access/role_permissions.csv")).unwrap_or_default(),
    );
    hasher.update(PASSWORD.as_bytes());
    format!("nuanxin_tpl_{}", &hex::encode(hasher.finalize())[..16])
}

fn walk(dir: &str) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path.to_string_lossy()));
        } else {
            out.push(path.to_string_lossy().into_owned());
        }
    }
    out
}

pub async fn admin_conn(db: &str) -> AsyncPgConnection {
    AsyncPgConnection::establish(&format!("{SERVER}/{db}"))
        .await
        .expect("connect as postgres")
}

#[derive(diesel::QueryableByName)]
struct Exists {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    exists: bool,
}

/// Settings for a test: its database, its Redis namespace, port 0.
pub fn test_settings(database: &str, extra: &[(&str, &str)]) -> Settings {
    let mut vars: HashMap<String, String> = HashMap::from([
        ("DATABASE_URL".into(), format!("{SERVER}/{database}")),
        ("NUANXIN_DEMO_PASSWORD".into(), PASSWORD.into()),
        ("NUANXIN__APPLICATION__PORT".into(), "0".into()),
        (
            "NUANXIN__APPLICATION__TENANTS_DIR".into(),
            concat!(env!("CARGO_MANIFEST_DIR"), "/../tenants").into(),
        ),
        ("NUANXIN__DATABASE__POOL_SIZE".into(), "4".into()),
        ("NUANXIN__REDIS__URL".into(), REDIS.into()),
        (
            "NUANXIN__REDIS__NAMESPACE".into(),
            format!("test-{database}"),
        ),
        (
            "NUANXIN__MAIL__FOLDER".into(),
            std::env::temp_dir()
                .join(format!("nuanxin-mail-{database}"))
                .to_string_lossy()
                .into_owned(),
        ),
    ]);
    for (k, v) in extra {
        vars.insert((*k).into(), (*v).into());
    }
    settings_from(vars.into_iter()).expect("test settings")
}

/// Makes sure the template exists: migrated, both districts onboarded with their demo accounts.
async fn ensure_template() -> String {
    let name = template_name();
    let mut conn = admin_conn("postgres").await;
    // One process at a time builds the template.
    diesel::sql_query("SELECT pg_advisory_lock(7226001)")
        .execute(&mut conn)
        .await
        .expect("lock");
    let found: Exists =
        diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS exists")
            .bind::<Text, _>(&name)
            .get_result(&mut conn)
            .await
            .expect("look up template");
    if !found.exists {
        let building = format!("{name}_building");
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
            .execute(&mut conn)
            .await
            .expect("drop");
        let settings = test_settings(&building, &[]);
        nuanxin::cli::migrate(&settings)
            .await
            .expect("migrate template");
        let pool = nuanxin_db::pool::build_pool(&settings.app_database_url(), 2).expect("pool");
        for slug in ["xicheng", "zhangdian"] {
            nuanxin::onboarding::onboard(
                &pool,
                &settings.application.tenants_dir,
                slug,
                Some(&nuanxin::onboarding::DemoAccounts { password: PASSWORD }),
            )
            .await
            .expect("onboard");
        }
        drop(pool);
        diesel::sql_query(format!("ALTER DATABASE {building} RENAME TO {name}"))
            .execute(&mut conn)
            .await
            .expect("rename");
    }
    diesel::sql_query("SELECT pg_advisory_unlock(7226001)")
        .execute(&mut conn)
        .await
        .expect("unlock");
    name
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A running application on its own database.
pub struct TestApp {
    pub address: String,
    pub database: String,
    pub client: reqwest::Client,
    pub app: actix_web::web::Data<nuanxin::state::AppState>,
    /// The first node of a test drops its database when it ends; further nodes leave it.
    owns_database: bool,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(&[]).await
    }

    /// With extra settings, e.g. `("NUANXIN__REDIS__URL", "redis://127.0.0.1:1")`.
    pub async fn spawn_with(extra: &[(&str, &str)]) -> TestApp {
        nuanxin::telemetry::init(false);
        let template = ensure_template().await;
        let database = format!(
            "nuanxin_test_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let mut conn = admin_conn("postgres").await;
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
            .execute(&mut conn)
            .await
            .expect("drop old");
        diesel::sql_query(format!("CREATE DATABASE {database} TEMPLATE {template}"))
            .execute(&mut conn)
            .await
            .expect("clone template");
        TestApp::start(database, extra, true).await
    }

    /// Another node of the same deployment: this test's database and Redis namespace.
    pub async fn another_node(&self) -> TestApp {
        self.another_node_with(&[]).await
    }

    /// Another node of the same deployment with extra settings (e.g. Redis unreachable).
    pub async fn another_node_with(&self, extra: &[(&str, &str)]) -> TestApp {
        let namespace = format!("test-{}", self.database);
        let mut settings = vec![("NUANXIN__REDIS__NAMESPACE", namespace.as_str())];
        settings.extend_from_slice(extra);
        TestApp::start(self.database.clone(), &settings, false).await
    }

    async fn start(database: String, extra: &[(&str, &str)], owns_database: bool) -> TestApp {
        let settings = test_settings(&database, extra);
        let app = Application::build(settings).await.expect("build app");
        let address = format!("http://127.0.0.1:{}", app.port());
        let state = app.state();
        tokio::spawn(app.run_until_stopped());
        TestApp {
            address,
            database,
            client: reqwest::Client::new(),
            app: state,
            owns_database,
        }
    }

    /// Waits until this node hears of family changes, so it keeps the families it reads.
    pub async fn keeping_families_near(&self) {
        for _ in 0..50 {
            if self.app.near_families.is_listening() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the node does not listen for family changes");
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Signed in as the demo account that holds `role` in `tenant` (both districts' manifests name them
    /// alike: admin, street, community, bureau, socialorg, volunteer).
    pub async fn as_role(&self, tenant: &str, role: Role) -> Caller<'_> {
        let username = match role {
            Role::DistrictAdmin => "admin",
            Role::StreetStaff => "street",
            Role::CommunityWorker => "community",
            Role::BureauStaff => "bureau",
            Role::SocialOrgStaff => "socialorg",
            Role::Volunteer => "volunteer",
            other => panic!("no demo account of a district holds {other:?}"),
        };
        Caller {
            app: self,
            token: self.login(tenant, username).await,
        }
    }

    /// Logs in and returns the token; panics unless the login succeeds.
    pub async fn login(&self, tenant: &str, username: &str) -> String {
        let res = self
            .post_json(
                "/api/v1/auth/login",
                None,
                &json!({"tenant": tenant, "username": username, "password": PASSWORD}),
            )
            .await;
        assert_eq!(res.0, 200, "login {tenant}/{username}: {}", res.1);
        res.1["token"].as_str().expect("token").to_owned()
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        decode(req.send().await.expect("request")).await
    }

    pub async fn post_json(&self, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, token, body).await
    }

    /// A PUT as a client makes it: the version it read (`If-Match`, required) from a GET as the same
    /// caller just before; 0 when that GET shows nothing (the PUT is then refused for its own reason).
    pub async fn put_json(&self, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
        self.send(reqwest::Method::PUT, path, token, body).await
    }

    /// A PUT with this `If-Match` version (or none).
    pub async fn put_versioned(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Value,
        version: Option<&str>,
    ) -> (u16, Value) {
        let mut req = self.client.put(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(v) = version {
            req = req.header("If-Match", v);
        }
        decode(req.send().await.expect("request")).await
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> (u16, Value) {
        if method == reqwest::Method::PUT {
            let (_, current) = self.get(path, token).await;
            let version = current["version"].as_i64().unwrap_or(0).to_string();
            return self
                .put_versioned(path, token, body, Some(&format!("\"{version}\"")))
                .await;
        }
        let mut req = self.client.request(method, self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        decode(req.send().await.expect("request")).await
    }

    pub async fn post_bytes(&self, path: &str, token: &str, body: Vec<u8>) -> (u16, Value) {
        let res = self
            .client
            .post(self.url(path))
            .bearer_auth(token)
            .body(body)
            .send()
            .await
            .expect("request");
        decode(res).await
    }

    /// Creates a family as `token`; returns its id.
    pub async fn create_family(&self, token: &str, body: &Value) -> String {
        let (status, created) = self.post_json("/api/v1/families", Some(token), body).await;
        assert_eq!(status, 201, "create family: {created}");
        created["id"].as_str().expect("id").to_owned()
    }

    /// A superuser connection to this test's database (bypasses row-level security).
    /// Checks that every family's `people` document is what the `read_path` migration builds from its
    /// parent and contact rows, over `families` families at least.
    pub async fn assert_people_match_rows(&self, families: i64) {
        #[derive(diesel::QueryableByName)]
        struct Counts {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            families: i64,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            differing: i64,
        }
        let counts: Counts = diesel::sql_query(
            "SELECT count(*) AS families, count(*) FILTER (WHERE f.people::jsonb IS DISTINCT FROM json_build_object(
                 'members', COALESCE((SELECT json_agg(m ORDER BY m.role DESC) FROM family_members m
                                      WHERE m.tenant_id = f.tenant_id AND m.family_id = f.id), '[]'::json),
                 'contacts', COALESCE((SELECT json_agg(c ORDER BY c.position) FROM contact_persons c
                                       WHERE c.tenant_id = f.tenant_id AND c.family_id = f.id), '[]'::json))::jsonb)
                 AS differing
             FROM families f",
        )
        .get_result(&mut self.admin().await)
        .await
        .expect("compare people with rows");
        assert!(counts.families >= families, "{} families", counts.families);
        assert_eq!(
            counts.differing, 0,
            "families whose people document differs from its rows"
        );
    }

    pub async fn admin(&self) -> AsyncPgConnection {
        admin_conn(&self.database).await
    }

    /// A connection as the service's own role, as the application has it.
    pub async fn app_role(&self) -> AsyncPgConnection {
        AsyncPgConnection::establish(&format!(
            "postgres://nuanxin_app@127.0.0.1:5432/{}",
            self.database
        ))
        .await
        .expect("connect as nuanxin_app")
    }

    /// Records a finished run of `job` for `domain` (a slug, or `platform`) with the given outcome, in a
    /// period later than any the service will claim: the service's own scheduler then leaves the job
    /// alone for the rest of the test, and the outcome is what pages and checks report.
    pub async fn take_job_periods(&self, job: &str, domain: &str, succeeded: bool) {
        use diesel::sql_types::Bool;
        diesel::sql_query(
            "INSERT INTO job_runs (job, domain, period_start, claim_id, finished_at, succeeded, detail) \
             VALUES ($1, $2, '2099-01-01', gen_random_uuid(), now(), $3, 'test') \
             ON CONFLICT (job, domain) DO UPDATE SET period_start = EXCLUDED.period_start, \
                 finished_at = now(), succeeded = EXCLUDED.succeeded",
        )
        .bind::<Text, _>(job)
        .bind::<Text, _>(domain)
        .bind::<Bool, _>(succeeded)
        .execute(&mut self.admin().await)
        .await
        .expect("take the job's periods");
    }

    /// Counts rows of a table over all districts.
    pub async fn count(&self, table: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = self.admin().await;
        let c: Count = diesel::sql_query(format!("SELECT count(*) AS n FROM {table}"))
            .get_result(&mut conn)
            .await
            .expect("count");
        c.n
    }

    pub async fn tenant_id(&self, slug: &str) -> nuanxin_ids::TenantId {
        self.app.districts.by_slug(slug).expect("district").id
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if !self.owns_database {
            return;
        }
        let database = self.database.clone();
        // Drop is synchronous: drop the database from a thread with its own runtime.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                if let Ok(mut conn) =
                    AsyncPgConnection::establish(&format!("{SERVER}/postgres")).await
                {
                    let _ = diesel::sql_query(format!(
                        "DROP DATABASE IF EXISTS {database} WITH (FORCE)"
                    ))
                    .execute(&mut conn)
                    .await;
                }
            });
        })
        .join();
    }
}

async fn decode(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    let text = res.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// One signed-in caller of a test: requests carry its token.
pub struct Caller<'a> {
    app: &'a TestApp,
    pub token: String,
}

impl Caller<'_> {
    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.app.get(path, Some(&self.token)).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        self.app.post_json(path, Some(&self.token), body).await
    }

    /// A GET that must succeed, decoded as `T`.
    pub async fn read<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        let (status, body) = self.get(path).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        serde_json::from_value(body).unwrap_or_else(|e| panic!("GET {path} decodes: {e}"))
    }
}
