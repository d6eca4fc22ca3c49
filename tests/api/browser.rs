//! Every role's console in headless Chromium (Debian's `chromium` and `chromium-driver`, installed by
//! `deploy/services.sh`), driven over WebDriver: sign in through the form, open the home page and the
//! role's main page, check that no script failed (the console's own error collector) and that nothing
//! scrolls sideways on a 390 px phone, and keep desktop and phone screenshots under
//! `target/screenshots/` for a person to look at. The driver, browser, sign-in and page check are public to
//! the crate so that each module's tests drive its own pages with them.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use crate::helpers::{family_body, TestApp, PASSWORD};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// A chromedriver of this test, stopped when dropped.
pub struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn start_driver() -> Driver {
    assert!(
        std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists(),
        "the console's browser tests need Debian's chromium and chromium-driver: bash deploy/services.sh"
    );
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Driver { child, url }
}

/// A browser session: desktop, or a 390 px wide phone.
pub async fn browser(driver: &Driver, phone: bool) -> Client {
    let mut options = json!({
        "binary": CHROMIUM,
        "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--window-size=1280,900", "--lang=zh-CN"],
    });
    if phone {
        options["mobileEmulation"] =
            json!({"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 2}});
    }
    // Several tests may race to install it; the first wins and that is all that is needed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert("goog:chromeOptions".into(), options);
    ClientBuilder::rustls()
        .expect("rustls")
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a chromium session")
}

pub fn screenshot_dir() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    dir
}

pub async fn sign_in(c: &Client, base: &str, tenant: &str, username: &str) {
    c.goto(&format!("{base}/")).await.expect("sign-in page");
    c.find(Locator::Css(&format!("#tenant option[value='{tenant}']")))
        .await
        .expect("district option")
        .click()
        .await
        .expect("choose district");
    c.find(Locator::Id("username"))
        .await
        .unwrap()
        .send_keys(username)
        .await
        .unwrap();
    c.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    click(c, "button[type=submit]").await;
    for _ in 0..50 {
        if c.current_url().await.unwrap().path() == "/console" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{tenant}/{username} did not reach the home page");
}

/// Types `text` into the first element matching `css`.
pub async fn fill(c: &Client, css: &str, text: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .send_keys(text)
        .await
        .unwrap_or_else(|e| panic!("typing into {css}: {e}"));
}

/// Clicks the first element matching `css`.
pub async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("clicking {css}: {e}"));
}

/// The confirmation the page shows after a form was saved (waiting for the new page), or a panic with
/// what the page says instead.
pub async fn saved(c: &Client) -> String {
    for _ in 0..100 {
        if let Ok(ok) = c.find(Locator::Css("p.ok")).await {
            if let Ok(text) = ok.text().await {
                return text;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("not saved: {}", main_text(c).await);
}

/// The text of the page's `main` (read again when a navigation replaced it while it was read).
pub async fn main_text(c: &Client) -> String {
    let mut tries = 0;
    loop {
        let text = match c.find(Locator::Css("main")).await {
            Ok(main) => main.text().await,
            Err(e) => Err(e),
        };
        match text {
            Ok(text) => return text,
            Err(_) if tries < 30 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("the text of main: {e}"),
        }
    }
}

/// Checks the page now shown and saves its screenshot as `name`.
pub async fn check_page(c: &Client, name: &str, phone: bool) {
    let errors: Value = c
        .execute(
            "return window.__nuanxinErrors || ['the error collector did not load'];",
            vec![],
        )
        .await
        .expect("read the error collector");
    assert_eq!(errors, json!([]), "{name}: JavaScript errors");
    let heading = c
        .find(Locator::Css("h1"))
        .await
        .expect("a heading")
        .text()
        .await
        .unwrap();
    assert!(!heading.is_empty(), "{name}: no heading");
    if phone {
        let widths: Value = c
            .execute(
                "return [document.documentElement.scrollWidth, window.innerWidth];",
                vec![],
            )
            .await
            .unwrap();
        let (scroll, inner) = (widths[0].as_i64().unwrap(), widths[1].as_i64().unwrap());
        assert!(
            scroll <= inner,
            "{name}: scrolls sideways ({scroll} > {inner})"
        );
    }
    let png = c.screenshot().await.expect("screenshot");
    let kind = if phone { "phone" } else { "desktop" };
    std::fs::write(screenshot_dir().join(format!("{name}-{kind}.png")), png).expect("save");
}

/// Each role: sign in, the home page, then the role's main page (and, for the register, a family).
#[tokio::test]
async fn every_role_signs_in_and_works_in_chromium_without_script_errors() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    for serial in 0..3 {
        app.create_family(
            &admin,
            &family_body("xinjiekou", "xinjiekou-1", 950 + serial),
        )
        .await;
    }
    // A cycle with entries to verify, so the street's main action has something to act on.
    let today = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y-%m-%d")
        .to_string();
    let (status, cycle) = app
        .post_json(
            "/api/v1/benefits/cycles",
            Some(&admin),
            &json!({"program": "adoption_assistance", "period": today}),
        )
        .await;
    assert!(
        status == 201 && cycle["proposed"].as_u64() > Some(0),
        "{cycle}"
    );
    let driver = start_driver().await;
    let roles: &[(&str, &str, &[&str])] = &[
        (
            "xicheng",
            "admin",
            &[
                "/console/families",
                "/console/benefits",
                "/console/policy",
                "/console/users",
            ],
        ),
        (
            "xicheng",
            "street",
            &["/console/families", "/console/benefits"],
        ),
        ("xicheng", "community", &["/console/families"]),
        ("xicheng", "bureau", &["/console/benefits"]),
        ("xicheng", "socialorg", &[]),
        ("xicheng", "volunteer", &[]),
        ("platform", "operator", &[]),
        ("zhangdian", "admin", &["/console/families"]),
    ];
    for phone in [false, true] {
        for (tenant, user, pages) in roles {
            let c = browser(&driver, phone).await;
            sign_in(&c, &app.address, tenant, user).await;
            check_page(&c, &format!("{tenant}-{user}-home"), phone).await;
            for page in *pages {
                c.goto(&format!("{}{page}", app.address)).await.unwrap();
                let name = format!("{tenant}-{user}{}", page.replace('/', "-"));
                check_page(&c, &name, phone).await;
            }
            if *user == "street" {
                // The street opens the cycle and verifies an entry through its confirmation form.
                c.goto(&format!("{}/console/benefits", app.address))
                    .await
                    .unwrap();
                c.find(Locator::LinkText("查看明细"))
                    .await
                    .expect("a cycle")
                    .click()
                    .await
                    .unwrap();
                tokio::time::sleep(Duration::from_millis(300)).await;
                check_page(&c, "xicheng-street-cycle", phone).await;
                click(&c, "details.confirm summary").await;
                c.find(Locator::Css("details.confirm[open] input[name=note]"))
                    .await
                    .expect("the note field")
                    .send_keys("已入户核实")
                    .await
                    .unwrap();
                check_page(&c, "xicheng-street-cycle-confirm", phone).await;
                click(&c, "details.confirm[open] button[type=submit]").await;
                tokio::time::sleep(Duration::from_millis(300)).await;
                let body = main_text(&c).await;
                assert!(
                    body.contains("已办理1条"),
                    "verified through the form: {body}"
                );
                check_page(&c, "xicheng-street-cycle-done", phone).await;
            }
            if *user == "admin" && *tenant == "xicheng" {
                // On a phone the navigation folds behind the menu button; on a desktop it is open.
                c.goto(&format!("{}/console", app.address)).await.unwrap();
                let link = c
                    .find(Locator::Css("#main-nav a[href='/console/benefits']"))
                    .await
                    .expect("the cycles link");
                let menu = c
                    .find(Locator::Css("header.top button.menu"))
                    .await
                    .expect("the menu button");
                assert_eq!(link.is_displayed().await.unwrap(), !phone);
                assert_eq!(menu.is_displayed().await.unwrap(), phone);
                if phone {
                    menu.click().await.unwrap();
                    assert!(link.is_displayed().await.unwrap(), "the menu opens");
                    check_page(&c, "xicheng-admin-menu", phone).await;
                    link.click().await.unwrap();
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    assert!(c
                        .current_url()
                        .await
                        .unwrap()
                        .path()
                        .starts_with("/console/benefits"));
                }
                // The register's first family, through its link.
                c.goto(&format!("{}/console/families", app.address))
                    .await
                    .unwrap();
                c.find(Locator::LinkText("查看档案"))
                    .await
                    .expect("a family link")
                    .click()
                    .await
                    .unwrap();
                tokio::time::sleep(Duration::from_millis(300)).await;
                check_page(&c, "xicheng-admin-family", phone).await;
            }
            c.close().await.expect("close the session");
        }
    }
}

/// The street's register forms in Chromium: the new-family form sent empty comes back with its errors
/// beside the fields, the edit form and the upload form draw, desktop and phone.
#[tokio::test]
async fn the_street_uses_the_register_forms_in_chromium() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let id = app
        .create_family(&admin, &family_body("xinjiekou", "xinjiekou-1", 990))
        .await;
    let driver = start_driver().await;
    for phone in [false, true] {
        let c = browser(&driver, phone).await;
        sign_in(&c, &app.address, "xicheng", "street").await;
        c.goto(&format!("{}/console/families/new", app.address))
            .await
            .unwrap();
        check_page(&c, "xicheng-street-family-new", phone).await;
        fill(&c, "input[name='address']", "浏览器路1号").await;
        click(&c, "form.family-form button[type=submit]").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let errors = c
            .find_all(Locator::Css("form.family-form p.error"))
            .await
            .unwrap();
        assert!(
            !errors.is_empty(),
            "errors are shown beside the fields: {}",
            c.source().await.unwrap()
        );
        let kept = c
            .find(Locator::Css("input[name='address']"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap();
        assert_eq!(kept.as_deref(), Some("浏览器路1号"), "what was typed stays");
        check_page(&c, "xicheng-street-family-new-errors", phone).await;
        c.goto(&format!("{}/console/families/{id}/edit", app.address))
            .await
            .unwrap();
        check_page(&c, "xicheng-street-family-edit", phone).await;
        c.goto(&format!("{}/console/families/import", app.address))
            .await
            .unwrap();
        check_page(&c, "xicheng-street-family-import", phone).await;
        c.close().await.unwrap();
    }
    assert_eq!(
        app.count("families").await,
        1,
        "the empty form saved nothing"
    );
}
