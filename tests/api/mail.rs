//! Mail through a real SMTP server (aiosmtpd), from the outbox, once.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::fixtures::family_body;
use crate::helpers::TestApp;

struct SmtpServer {
    child: Child,
    port: u16,
    received: std::sync::Arc<std::sync::Mutex<String>>,
}

impl SmtpServer {
    /// Starts aiosmtpd's debugging server, which prints every message it receives.
    fn start() -> SmtpServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // Debian's python3-aiosmtpd, or one installed with pip (.ci/run provides it).
        let python = ["python3", "/usr/bin/python3"]
            .into_iter()
            .find(|p| Command::new(p).args(["-c", "import aiosmtpd"]).status().is_ok_and(|s| s.success()))
            .expect("a python3 with aiosmtpd (apt-get install python3-aiosmtpd, or pip install aiosmtpd)");
        let mut child = Command::new(python)
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-c",
                "aiosmtpd.handlers.Debugging",
                "-l",
                &format!("127.0.0.1:{port}"),
            ])
            .env("PYTHONUNBUFFERED", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 -m aiosmtpd (see .ci/run for the install)");
        let received = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let sink = received.clone();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "SMTP server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        SmtpServer {
            child,
            port,
            received,
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn an_exit_notifies_the_district_office_by_smtp_exactly_once() {
    let smtp = SmtpServer::start();
    let url = format!("smtp://127.0.0.1:{}", smtp.port);
    let app = TestApp::spawn_with(&[("NUANXIN__MAIL__SMTP_URL", &url)]).await;
    let street = app.login("xicheng", "street").await;
    let id = app
        .create_family(&street, &family_body("xinjiekou", "xinjiekou-1", 50))
        .await;
    let (status, _) = app
        .post_json(
            &format!("/api/v1/families/{id}/exit"),
            Some(&street),
            &json!({"reason": "moved_away"}),
        )
        .await;
    assert_eq!(status, 200);

    let tenant = app.tenant_id("xicheng").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        app.app
            .mailer
            .dispatch(&app.app.pool, tenant)
            .await
            .unwrap();
        let text = smtp.received.lock().unwrap().clone();
        if text.contains("admin@xicheng.nuanxin.local") {
            assert_eq!(
                text.matches("Message-ID: <").count(),
                1,
                "sent once: {text}"
            );
            assert!(!text.contains("测试母亲"), "no names in mail");
            break;
        }
        assert!(Instant::now() < deadline, "mail not received: {text}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Dispatching again sends nothing more.
    let (sent, _) = app
        .app
        .mailer
        .dispatch(&app.app.pool, tenant)
        .await
        .unwrap();
    assert_eq!(sent, 0);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        smtp.received
            .lock()
            .unwrap()
            .matches("Message-ID: <")
            .count(),
        1
    );
}

#[tokio::test]
async fn mail_waits_in_the_outbox_while_the_smtp_server_is_down() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("smtp://127.0.0.1:{port}");
    let app = TestApp::spawn_with(&[("NUANXIN__MAIL__SMTP_URL", &url)]).await;
    let street = app.login("xicheng", "street").await;
    let id = app
        .create_family(&street, &family_body("xinjiekou", "xinjiekou-1", 51))
        .await;
    app.post_json(
        &format!("/api/v1/families/{id}/exit"),
        Some(&street),
        &json!({"reason": "moved_away"}),
    )
    .await;
    let tenant = app.tenant_id("xicheng").await;
    // The commit woke the node's own mail job, which may have tried (and failed) first: either way
    // nothing is sent.
    let (sent, _) = app
        .app
        .mailer
        .dispatch(&app.app.pool, tenant)
        .await
        .unwrap();
    assert_eq!(sent, 0);
    #[derive(diesel::QueryableByName)]
    struct Pending {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        attempts: i32,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        unsent: bool,
    }
    use diesel_async::RunQueryDsl;
    let mut conn = app.admin().await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let p: Pending =
            diesel::sql_query("SELECT attempts, sent_at IS NULL AS unsent FROM mail_outbox")
                .get_result(&mut conn)
                .await
                .unwrap();
        assert!(p.unsent, "never sent while the server is down");
        if p.attempts >= 1 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never tried");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An SMTP server that accepts connections and never says a word: a dispatch waits out its timeout.
struct StalledSmtp {
    port: u16,
    connections: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl StalledSmtp {
    fn start() -> StalledSmtp {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = connections.clone();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming().map_while(Result::ok) {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                held.push(stream);
            }
        });
        StalledSmtp { port, connections }
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn connections(&self) -> usize {
        self.connections.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Queues `n` messages in the district's outbox, as a transaction of the service would.
async fn queue_mail(app: &TestApp, tenant: nuanxin_ids::TenantId, n: i32) {
    queue_mail_to(app, tenant, n, "xicheng").await;
}

/// Queues `n` messages to `office<i>@<domain>.nuanxin.local`.
async fn queue_mail_to(app: &TestApp, tenant: nuanxin_ids::TenantId, n: i32, domain: &str) {
    use diesel_async::RunQueryDsl;
    diesel::sql_query(
        "INSERT INTO mail_outbox (tenant_id, id, to_address, subject, body) \
         SELECT $1, gen_random_uuid(), 'office' || i || '@' || $3 || '.nuanxin.local', '测试', '正文' \
         FROM generate_series(1, $2) AS i",
    )
    .bind::<diesel::sql_types::Uuid, _>(tenant)
    .bind::<diesel::sql_types::Integer, _>(n)
    .bind::<diesel::sql_types::Text, _>(domain)
    .execute(&mut app.admin().await)
    .await
    .unwrap();
}

#[tokio::test]
async fn two_dispatchers_on_two_nodes_send_each_message_once() {
    let smtp = SmtpServer::start();
    let url = format!("smtp://127.0.0.1:{}", smtp.port);
    let first = TestApp::spawn_with(&[("NUANXIN__MAIL__SMTP_URL", &url)]).await;
    let second = first
        .another_node_with(&[("NUANXIN__MAIL__SMTP_URL", &url)])
        .await;
    let tenant = first.tenant_id("xicheng").await;
    queue_mail(&first, tenant, 120).await;
    // Each node's own mail job runs too: all four dispatchers compete for the same messages.
    let mut sent = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    while first.count("mail_outbox WHERE sent_at IS NULL").await > 0 {
        let (a, b) = tokio::join!(
            first.app.mailer.dispatch(&first.app.pool, tenant),
            second.app.mailer.dispatch(&second.app.pool, tenant)
        );
        sent += a.unwrap().0 + b.unwrap().0;
        assert!(Instant::now() < deadline, "mail not all sent");
    }
    assert!(sent <= 120);
    let deadline = Instant::now() + Duration::from_secs(10);
    let ids = loop {
        let text = smtp.received.lock().unwrap().clone();
        let ids: Vec<String> = text
            .lines()
            .filter_map(|l| l.split_once("Message-ID: "))
            .map(|(_, id)| id.trim().to_owned())
            .collect();
        if ids.len() >= 120 || Instant::now() > deadline {
            break ids;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let distinct: std::collections::BTreeSet<&String> = ids.iter().collect();
    assert_eq!((ids.len(), distinct.len()), (120, 120), "each message once");
}

#[tokio::test]
async fn no_transaction_is_open_while_smtp_is_slow_and_sealing_goes_on() {
    let smtp = StalledSmtp::start();
    let app = TestApp::spawn_with(&[("NUANXIN__MAIL__SMTP_URL", &smtp.url())]).await;
    let tenant = app.tenant_id("xicheng").await;
    let street = app.login("xicheng", "street").await;
    queue_mail(&app, tenant, 1).await;
    // The service's own mail job takes the message and waits on the server.
    let deadline = Instant::now() + Duration::from_secs(10);
    while smtp.connections() == 0 {
        assert!(Instant::now() < deadline, "the mail job never connected");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stalled_at = Instant::now();
    // Leased, committed, not locked: no transaction of the dispatcher holds the row.
    use diesel_async::RunQueryDsl;
    let locked = diesel::sql_query(
        "SELECT id FROM mail_outbox WHERE lease_id IS NOT NULL FOR UPDATE NOWAIT",
    )
    .execute(&mut app.admin().await)
    .await
    .expect("the message is not locked while it is being sent");
    assert_eq!(locked, 1, "the message is leased");
    // Sealing does not wait for mail: a new event is sealed while the SMTP exchange still hangs.
    let sealed_before = app.count("audit_chain").await;
    app.create_family(&street, &family_body("xinjiekou", "xinjiekou-1", 52))
        .await;
    let deadline = Instant::now() + Duration::from_secs(6);
    while app.count("audit_chain").await == sealed_before {
        assert!(
            Instant::now() < deadline,
            "sealing waited for the stalled SMTP server"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        stalled_at.elapsed() < Duration::from_secs(10),
        "sealed only once the SMTP exchange had timed out"
    );
}

#[tokio::test]
async fn a_message_leased_by_a_dispatcher_that_died_is_sent_once_its_lease_expires() {
    use nuanxin_db::models::mail::QueuedMail;
    let smtp = SmtpServer::start();
    let url = format!("smtp://127.0.0.1:{}", smtp.port);
    let app = TestApp::spawn_with(&[("NUANXIN__MAIL__SMTP_URL", &url)]).await;
    let tenant = app.tenant_id("xicheng").await;
    // A dispatcher leased the message and died before marking it (queued with its lease at once, so that
    // the service's own mail job cannot take it first).
    use diesel_async::RunQueryDsl;
    let (dead, id) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    diesel::sql_query(
        "INSERT INTO mail_outbox (tenant_id, id, to_address, subject, body, lease_id, leased_until) \
         VALUES ($1, $2, 'office@xicheng.nuanxin.local', '测试', '正文', $3, now() + interval '5 minutes')",
    )
    .bind::<diesel::sql_types::Uuid, _>(tenant)
    .bind::<diesel::sql_types::Uuid, _>(id)
    .bind::<diesel::sql_types::Uuid, _>(dead)
    .execute(&mut app.admin().await)
    .await
    .unwrap();
    // While the lease holds, no one else sends it.
    assert_eq!(
        app.app
            .mailer
            .dispatch(&app.app.pool, tenant)
            .await
            .unwrap(),
        (0, 0)
    );
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(app.count("mail_outbox WHERE sent_at IS NOT NULL").await, 0);
    diesel::sql_query("UPDATE mail_outbox SET leased_until = now() - interval '1 second'")
        .execute(&mut app.admin().await)
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let expected = format!("Message-ID: <{id}@nuanxin>");
    loop {
        // The service's own job may be the one that sends it.
        app.app
            .mailer
            .dispatch(&app.app.pool, tenant)
            .await
            .unwrap();
        if smtp.received.lock().unwrap().contains(&expected) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the expired lease was not retried"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The dead dispatcher's late mark finds its lease gone.
    let mut tx = nuanxin_db::pool::TenantTx::begin(&app.app.pool, tenant)
        .await
        .unwrap();
    assert!(!QueuedMail::mark_sent(&mut tx, id, dead).await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(smtp.received.lock().unwrap().matches(&expected).count(), 1);
}

/// The recipients of what the SMTP server received, in the order it arrived.
fn arrived_to(smtp: &SmtpServer) -> Vec<String> {
    smtp.received
        .lock()
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("To: "))
        .map(|to| to.trim().to_owned())
        .collect()
}

#[tokio::test]
async fn the_mail_job_drains_a_backlog_and_another_district_does_not_wait_behind_it() {
    let smtp = SmtpServer::start();
    let url = format!("smtp://127.0.0.1:{}", smtp.port);
    let app = TestApp::spawn_with(&[("NUANXIN__MAIL__SMTP_URL", &url)]).await;
    let (xicheng, zhangdian) = (
        app.tenant_id("xicheng").await,
        app.tenant_id("zhangdian").await,
    );
    // A backlog of ten batches in one district, then a few messages in the other: the service's own
    // mail job (woken by the commits) sends them all, the second district's within its first rounds.
    queue_mail_to(&app, xicheng, 1_000, "xicheng").await;
    queue_mail_to(&app, zhangdian, 5, "zhangdian").await;
    let deadline = Instant::now() + Duration::from_secs(120);
    let arrived = loop {
        let arrived = arrived_to(&smtp);
        if arrived.len() >= 1_005 {
            break arrived;
        }
        assert!(
            Instant::now() < deadline,
            "not drained: {} of 1,005 arrived",
            arrived.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(app.count("mail_outbox WHERE sent_at IS NULL").await, 0);
    let distinct: std::collections::BTreeSet<&String> = arrived.iter().collect();
    assert_eq!(
        (arrived.len(), distinct.len()),
        (1_005, 1_005),
        "each message once"
    );
    let last_of_zhangdian = arrived
        .iter()
        .rposition(|to| to.contains("@zhangdian."))
        .unwrap();
    assert!(
        last_of_zhangdian < 400,
        "the small district waited behind the backlog: its last message arrived {last_of_zhangdian}th"
    );
}

#[tokio::test]
async fn a_commit_that_queues_mail_wakes_the_listeners_once_and_a_rollback_does_not() {
    use diesel_async::RunQueryDsl;
    use futures_util::StreamExt;
    let app = TestApp::spawn().await;
    let tenant = app.tenant_id("xicheng").await;
    let mut listener = app.admin().await;
    diesel::sql_query("LISTEN nuanxin_mail")
        .execute(&mut listener)
        .await
        .unwrap();
    let insert = format!(
        "INSERT INTO mail_outbox (tenant_id, id, to_address, subject, body) \
         VALUES ('{tenant}', gen_random_uuid(), 'office@xicheng.nuanxin.local', '测试', '正文')"
    );
    let mut writer = app.admin().await;
    for sql in ["BEGIN", &insert, "ROLLBACK"] {
        diesel::sql_query(sql).execute(&mut writer).await.unwrap();
    }
    let mut notifications = std::pin::pin!(listener.notifications_stream());
    assert!(
        tokio::time::timeout(Duration::from_millis(500), notifications.next())
            .await
            .is_err(),
        "a rolled-back insert woke the dispatchers"
    );
    for sql in ["BEGIN", &insert, &insert, "COMMIT"] {
        diesel::sql_query(sql).execute(&mut writer).await.unwrap();
    }
    let woken = tokio::time::timeout(Duration::from_secs(5), notifications.next())
        .await
        .expect("the commit wakes the dispatchers")
        .unwrap()
        .unwrap();
    assert_eq!(woken.channel, "nuanxin_mail");
    assert!(
        tokio::time::timeout(Duration::from_millis(500), notifications.next())
            .await
            .is_err(),
        "one wake-up per transaction"
    );
}
