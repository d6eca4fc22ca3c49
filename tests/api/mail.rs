//! Mail through a real SMTP server (aiosmtpd), from the outbox, once.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{family_body, TestApp};

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
    let (sent, failed) = app
        .app
        .mailer
        .dispatch(&app.app.pool, tenant)
        .await
        .unwrap();
    assert_eq!((sent, failed), (0, 1));
    #[derive(diesel::QueryableByName)]
    struct Pending {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        attempts: i32,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        unsent: bool,
    }
    use diesel_async::RunQueryDsl;
    let mut conn = app.admin().await;
    let p: Pending =
        diesel::sql_query("SELECT attempts, sent_at IS NULL AS unsent FROM mail_outbox")
            .get_result(&mut conn)
            .await
            .unwrap();
    assert!(p.unsent && p.attempts >= 1, "kept for a later try");
}
