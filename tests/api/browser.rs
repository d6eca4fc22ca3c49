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

use crate::fixtures::family_body;
use crate::helpers::{TestApp, PASSWORD};

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
    sign_in_with(c, base, tenant, username, PASSWORD).await;
}

/// Signs in through the form with `password`, waiting for the home page.
pub async fn sign_in_with(c: &Client, base: &str, tenant: &str, username: &str, password: &str) {
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
        .send_keys(password)
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

/// The text of `main` once it says `needle` (the page a submitted form leads to may take a moment to
/// replace this one), or a panic with what it says instead.
pub async fn main_text_with(c: &Client, needle: &str) -> String {
    for _ in 0..100 {
        let text = main_text(c).await;
        if text.contains(needle) {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the page never said {needle:?}: {}", main_text(c).await);
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
        // Nothing in the header breaks mid-word, and no cell is so narrow that its text stands one
        // character per line.
        let broken: Value = c
            .execute(
                "const out = [];
                 for (const e of document.querySelectorAll('header.top a, header.top span, header.top button')) {
                   if (e.offsetParent !== null && e.getClientRects().length > 1)
                     out.push('wraps: ' + e.textContent.trim());
                 }
                 for (const e of document.querySelectorAll('td, th')) {
                   const text = e.textContent.trim();
                   const width = e.getBoundingClientRect().width;
                   if (e.offsetParent !== null && text.length >= 3 && width > 0 && width < 40)
                     out.push('narrow cell (' + Math.round(width) + ' px): ' + text.slice(0, 20));
                 }
                 return out.slice(0, 5);",
                vec![],
            )
            .await
            .expect("measure the layout");
        assert_eq!(broken, json!([]), "{name}: phone layout");
    }
    let png = c.screenshot().await.expect("screenshot");
    let kind = if phone { "phone" } else { "desktop" };
    std::fs::write(screenshot_dir().join(format!("{name}-{kind}.png")), png).expect("save");
}

/// Opens the first cycle of the cycles page through its link.
async fn open_first_cycle(c: &Client, base: &str) {
    c.goto(&format!("{base}/console/benefits")).await.unwrap();
    c.find(Locator::LinkText("查看明细"))
        .await
        .expect("a cycle")
        .click()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
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
        ("xicheng", "finance", &["/console/benefits"]),
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
                open_first_cycle(&c, &app.address).await;
                check_page(&c, "xicheng-street-cycle", phone).await;
                if phone {
                    // On the phone, the rest at once: select all, verify the selection (the page's
                    // main part is replaced in place).
                    click(&c, "input[data-check-all]").await;
                    fill(&c, "#bulk input[name=note]", "已入户核实").await;
                    click(&c, "#bulk button[type=submit]").await;
                    let body = main_text_with(&c, "已办理").await;
                    assert!(body.contains("已办理2条"), "bulk verify: {body}");
                    check_page(&c, "xicheng-street-cycle-bulk-done", phone).await;
                    c.close().await.expect("close the session");
                    continue;
                }
                click(&c, "details.confirm summary").await;
                c.find(Locator::Css("details.confirm[open] input[name=note]"))
                    .await
                    .expect("the note field")
                    .send_keys("已入户核实")
                    .await
                    .unwrap();
                check_page(&c, "xicheng-street-cycle-confirm", phone).await;
                click(&c, "details.confirm[open] button[type=submit]").await;
                let body = main_text_with(&c, "已办理").await;
                assert!(
                    body.contains("已办理1条"),
                    "verified through the form: {body}"
                );
                check_page(&c, "xicheng-street-cycle-done", phone).await;
            }
            if *user == "bureau" || *user == "finance" {
                // The bureau approves the entry the street verified; the disbursing unit (区财政局) pays
                // it with its payment reference, which the paid row then shows.
                open_first_cycle(&c, &app.address).await;
                let reference = format!("PZ-{phone}");
                let (step, field, text) = if *user == "bureau" {
                    ("approve", "note", "同意")
                } else {
                    ("pay", "payment_reference", reference.as_str())
                };
                let form = format!("details.confirm form:has(input[name=action][value={step}])");
                click(
                    &c,
                    &format!("details.confirm:has(input[value={step}]) summary"),
                )
                .await;
                fill(&c, &format!("{form} input[name={field}]"), text).await;
                check_page(&c, &format!("xicheng-{user}-cycle-{step}"), phone).await;
                click(&c, &format!("{form} button[type=submit]")).await;
                let body = main_text_with(&c, "已办理").await;
                assert!(
                    body.contains("已办理1条"),
                    "{step} through the form: {body}"
                );
                if *user == "finance" {
                    assert!(
                        body.contains(&format!("付款凭证号：{reference}")),
                        "the paid row shows its reference: {body}"
                    );
                    check_page(&c, "xicheng-finance-cycle-paid", phone).await;
                }
            }
            if *user == "admin" && *tenant == "xicheng" {
                // The administrator creates an account through the form...
                c.goto(&format!("{}/console/users", app.address))
                    .await
                    .unwrap();
                fill(
                    &c,
                    "input[name=username]",
                    &format!("worker{}", u8::from(phone)),
                )
                .await;
                fill(&c, "input[name=display_name]", "新同事").await;
                fill(&c, "input[name=password]", "a-long-initial-password").await;
                click(&c, "form[action='/console/users'] button[type=submit]").await;
                assert!(saved(&c).await.contains("已创建账号"));
                check_page(&c, "xicheng-admin-user-created", phone).await;
                // ...and sees a parameter change's impact before anything is saved.
                c.goto(&format!("{}/console/policy", app.address))
                    .await
                    .unwrap();
                c.execute(
                    "document.querySelector(\"input[name=effective_from]\").value = '2026-12-01';",
                    vec![],
                )
                .await
                .unwrap();
                fill(
                    &c,
                    "form[action='/console/policy/impact'] input[name=value]",
                    "2900",
                )
                .await;
                click(
                    &c,
                    "form[action='/console/policy/impact'] button[type=submit]",
                )
                .await;
                c.wait()
                    .for_element(Locator::Id("impact"))
                    .await
                    .expect("the impact is shown");
                check_page(&c, "xicheng-admin-policy-impact", phone).await;
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

/// The platform operator onboards a configured district through the form in Chromium; its first
/// administrator signs in on a phone with the initial password shown once.
#[tokio::test]
async fn the_operator_onboards_a_district_and_its_administrator_signs_in_in_chromium() {
    let dir = crate::tenants::tenants_with_a_configured_district();
    let dir_text = dir.to_string_lossy().into_owned();
    let app = TestApp::spawn_with(&[("NUANXIN__APPLICATION__TENANTS_DIR", &dir_text)]).await;
    let driver = start_driver().await;
    let c = browser(&driver, false).await;
    sign_in(&c, &app.address, "platform", "operator").await;
    check_page(&c, "platform-operator-onboard-form", false).await;
    let form = "#configured-testdistrict form";
    fill(&c, &format!("{form} input[name=username]"), "chief").await;
    fill(&c, &format!("{form} input[name=display_name]"), "王主任").await;
    click(&c, &format!("{form} button[type=submit]")).await;
    main_text_with(&c, "测试区已接入").await;
    let password = c
        .find(Locator::Css("code.secret"))
        .await
        .expect("the initial password")
        .text()
        .await
        .unwrap();
    check_page(&c, "platform-operator-onboarded", false).await;
    c.close().await.unwrap();
    let phone = browser(&driver, true).await;
    sign_in_with(&phone, &app.address, "testdistrict", "chief", &password).await;
    check_page(&phone, "testdistrict-chief-home", true).await;
    let home = main_text(&phone).await;
    assert!(
        home.contains("王主任") && home.contains("还没有登记的家庭"),
        "{home}"
    );
    phone.close().await.unwrap();
    assert_eq!(app.count("tenants").await, 3);
    let _ = std::fs::remove_dir_all(&dir);
}
