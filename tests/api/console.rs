//! The web console: the contract (sign-in page, cookie, CSRF, CSP), each page refused to the roles that
//! may not see it, the labels people read, the steps as forms — over HTTP; and every role's pages in
//! headless Chromium (no JavaScript error, no sideways scrolling at 390 px, screenshots kept under
//! `target/screenshots/`).

use reqwest::header::{
    HeaderMap, HeaderValue, CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE,
};
use reqwest::redirect::Policy;
use serde_json::json;

use crate::fixtures::family_body;
use crate::helpers::{TestApp, PASSWORD};

/// A browser-like client of the console that follows nothing by itself and carries its cookies.
pub(crate) struct Browser {
    client: reqwest::Client,
    base: String,
    cookies: Vec<(String, String)>,
}

/// The value of the first `name="csrf"` field of a page.
pub(crate) fn csrf_of(html: &str) -> String {
    let at = html
        .find(r#"name="csrf" value=""#)
        .expect("page has a csrf field");
    let rest = &html[at + r#"name="csrf" value=""#.len()..];
    rest[..rest.find('"').expect("closing quote")].to_owned()
}

/// Every `Set-Cookie` header of a response, whole.
fn set_cookies(res: &reqwest::Response) -> Vec<String> {
    res.headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().expect("ascii cookie").to_owned())
        .collect()
}

impl Browser {
    fn new(app: &TestApp) -> Browser {
        Browser::with_headers(app, HeaderMap::new())
    }

    /// A browser whose every request carries `headers` (as a reverse proxy in front of the node adds).
    fn with_headers(app: &TestApp, headers: HeaderMap) -> Browser {
        Browser {
            client: reqwest::Client::builder()
                .redirect(Policy::none())
                .default_headers(headers)
                .build()
                .expect("client"),
            base: app.address.clone(),
            cookies: Vec::new(),
        }
    }

    fn keep(&mut self, res: &reqwest::Response) {
        for header in set_cookies(res) {
            let pair = header.split(';').next().unwrap_or_default();
            let (name, value) = pair.split_once('=').expect("name=value");
            self.cookies.retain(|(n, _)| n != name);
            if !value.is_empty() {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn get(&mut self, path: &str) -> reqwest::Response {
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .expect("GET");
        self.keep(&res);
        res
    }

    pub(crate) async fn get_html(&mut self, path: &str) -> (u16, String) {
        let res = self.get(path).await;
        let status = res.status().as_u16();
        (status, res.text().await.expect("body"))
    }

    pub(crate) async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .form(form)
            .send()
            .await
            .expect("POST");
        self.keep(&res);
        res
    }

    /// Posts a multipart form: its text fields in order, then `file` (a register file) if given.
    async fn post_file(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<&[u8]>,
    ) -> reqwest::Response {
        const BOUNDARY: &str = "nuanxin-test-boundary-7d1f";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        if let Some(file) = file {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"登记.csv\"\r\nContent-Type: text/csv\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(file);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .header(
                CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(body)
            .send()
            .await
            .expect("POST multipart");
        self.keep(&res);
        res
    }

    /// Signs in through the form; returns the response of the form's POST.
    async fn sign_in(&mut self, tenant: &str, username: &str, password: &str) -> reqwest::Response {
        let (_, page) = self.get_html("/").await;
        let csrf = csrf_of(&page);
        self.post(
            "/console/login",
            &[
                ("tenant", tenant),
                ("username", username),
                ("password", password),
                ("csrf", &csrf),
            ],
        )
        .await
    }

    pub(crate) async fn signed_in(app: &TestApp, tenant: &str, username: &str) -> Browser {
        let mut b = Browser::new(app);
        let res = b.sign_in(tenant, username, PASSWORD).await;
        assert_eq!(res.status(), 303, "sign in {tenant}/{username}");
        b
    }
}

#[tokio::test]
async fn the_sign_in_page_is_html_and_offers_the_last_district_first() {
    let app = TestApp::spawn().await;
    let mut b = Browser::new(&app);
    let res = b.get("/").await;
    assert_eq!(res.status(), 200);
    let content_type = res.headers()[CONTENT_TYPE].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let page = res.text().await.unwrap();
    assert!(page.contains("登录暖心平台") && page.contains("西城区") && page.contains("张店区"));
    b.sign_in("zhangdian", "admin", PASSWORD).await;
    let (_, again) = b.get_html("/").await;
    assert!(
        again.contains(r#"<option value="zhangdian" selected>"#),
        "{again}"
    );
    b.cookies.retain(|(n, _)| n != "nuanxin_district");
    b.sign_in("xicheng", "admin", PASSWORD).await;
    let (_, after) = b.get_html("/").await;
    assert!(after.contains(r#"<option value="xicheng" selected>"#));
}

#[tokio::test]
async fn signing_in_sets_a_strict_http_only_session_cookie_and_signing_out_ends_it() {
    let app = TestApp::spawn().await;
    let mut b = Browser::new(&app);
    let res = b.sign_in("xicheng", "admin", PASSWORD).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()[LOCATION], "/console");
    let session = set_cookies(&res)
        .into_iter()
        .find(|c| c.starts_with("nuanxin_session="))
        .expect("session cookie");
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Strict"), "{session}");
    // Plain HTTP from a client that is no trusted proxy: not marked Secure (the browser would drop it).
    assert!(!session.contains("Secure"), "{session}");
    let (status, home) = b.get_html("/console").await;
    assert_eq!(status, 200);
    assert!(home.contains("区人口计生委") || home.contains("您好"));
    // The token is never in the page.
    let token = b
        .cookies
        .iter()
        .find(|(n, _)| n == "nuanxin_session")
        .unwrap()
        .1
        .clone();
    assert!(!home.contains(token.as_str()));
    let csrf = csrf_of(&home);
    let out = b.post("/console/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status(), 303);
    // The server forgot the session: the same token no longer opens anything, API or console.
    let (api, _) = app.get("/api/v1/auth/me", Some(&token)).await;
    assert_eq!(api, 401);
    b.cookies.push(("nuanxin_session".into(), token));
    let res = b.get("/console").await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()[LOCATION], "/");
}

#[tokio::test]
async fn a_wrong_password_shows_the_form_again_and_counts_against_the_throttle() {
    let app = TestApp::spawn_with(&[("NUANXIN__SECURITY__LOGIN_ATTEMPTS_PER_WINDOW", "2")]).await;
    let mut b = Browser::new(&app);
    for _ in 0..2 {
        let res = b.sign_in("xicheng", "admin", "wrong").await;
        assert_eq!(res.status(), 401);
        assert!(res.text().await.unwrap().contains("用户名或密码错误"));
    }
    // The account is now throttled, for the console as for the API.
    let res = b.sign_in("xicheng", "admin", PASSWORD).await;
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("尝试次数过多"));
    let (api, _) = app
        .post_json(
            "/api/v1/auth/login",
            None,
            &json!({"tenant": "xicheng", "username": "admin", "password": PASSWORD}),
        )
        .await;
    assert_eq!(api, 429);
}

#[tokio::test]
async fn the_session_cookie_is_secure_when_a_trusted_proxy_says_the_browser_came_over_tls() {
    let https = || {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        headers
    };
    let session_cookie = |res: &reqwest::Response| {
        set_cookies(res)
            .into_iter()
            .find(|c| c.starts_with("nuanxin_session="))
            .expect("session cookie")
    };
    // The node behind a proxy at the test client's own address, which says the browser used https.
    let app = TestApp::spawn_with(&[("NUANXIN__SECURITY__TRUSTED_PROXIES", "127.0.0.1")]).await;
    let res = Browser::with_headers(&app, https())
        .sign_in("xicheng", "admin", PASSWORD)
        .await;
    assert_eq!(res.status(), 303);
    assert!(
        session_cookie(&res).contains("; Secure"),
        "{}",
        session_cookie(&res)
    );
    // The same proxy over plain HTTP: not Secure (the browser would drop a Secure cookie).
    let res = Browser::new(&app)
        .sign_in("xicheng", "admin", PASSWORD)
        .await;
    assert!(!session_cookie(&res).contains("Secure"));
    // A client that is no trusted proxy cannot make the node believe it came over TLS.
    let direct = TestApp::spawn().await;
    let res = Browser::with_headers(&direct, https())
        .sign_in("xicheng", "admin", PASSWORD)
        .await;
    assert_eq!(res.status(), 303);
    assert!(!session_cookie(&res).contains("Secure"));
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_403() {
    let app = TestApp::spawn().await;
    // Sign-in without the page's token (a forged cross-site login).
    let mut b = Browser::new(&app);
    b.get("/").await;
    let res = b
        .post(
            "/console/login",
            &[
                ("tenant", "xicheng"),
                ("username", "admin"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), 403);
    let mut admin = Browser::signed_in(&app, "xicheng", "admin").await;
    for path in ["/console/logout", "/console/benefits"] {
        let res = admin
            .post(path, &[("program", "x"), ("period", "2026")])
            .await;
        assert_eq!(res.status(), 403, "{path}");
        let res = admin
            .post(
                path,
                &[("csrf", "00ff"), ("program", "x"), ("period", "2026")],
            )
            .await;
        assert_eq!(res.status(), 403, "{path} with a wrong token");
    }
    // A POST with no form at all (no body, or JSON) has no token either: 403, not a 400 about the body.
    for (content_type, body) in [(None, ""), (Some("application/json"), r#"{"csrf":"x"}"#)] {
        let mut req = admin
            .client
            .post(format!("{}/console/logout", admin.base))
            .header(COOKIE, admin.cookie_header())
            .body(body);
        if let Some(content_type) = content_type {
            req = req.header(reqwest::header::CONTENT_TYPE, content_type);
        }
        let res = req.send().await.expect("bare post");
        assert_eq!(res.status(), 403, "{content_type:?}");
    }
    // Another session's token does not do either.
    let other = Browser::signed_in(&app, "xicheng", "admin").await;
    let mut other = other;
    let (_, page) = other.get_html("/console").await;
    let res = admin
        .post("/console/logout", &[("csrf", &csrf_of(&page))])
        .await;
    assert_eq!(res.status(), 403);
    // The session survived every refused form.
    assert_eq!(admin.get("/console").await.status(), 200);
}

/// Every page of each role, and the pages each role is refused.
#[tokio::test]
async fn each_page_refuses_the_roles_that_may_not_see_it_and_no_page_allows_inline_script() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let family = app
        .create_family(&admin, &family_body("xinjiekou", "xinjiekou-1", 901))
        .await;
    let family_page = format!("/console/families/{family}");
    let (status, report) = app
        .post_json(
            "/api/v1/benefits/cycles",
            Some(&admin),
            &json!({"program": "psychological_counseling", "period": "2026"}),
        )
        .await;
    assert_eq!(status, 201, "{report}");
    let cycle_page = format!("/console/benefits/{}", report["cycle_id"].as_str().unwrap());
    let payment_list = format!("{cycle_page}/payment-list");
    let allowed: &[(&str, &str, &[&str])] = &[
        (
            "xicheng",
            "admin",
            &[
                "/console",
                "/console/families",
                &family_page,
                "/console/benefits",
            ],
        ),
        (
            "xicheng",
            "street",
            &[
                "/console",
                "/console/families",
                &family_page,
                "/console/benefits",
            ],
        ),
        (
            "xicheng",
            "community",
            &["/console", "/console/families", &family_page],
        ),
        ("xicheng", "bureau", &["/console", "/console/benefits"]),
        ("xicheng", "socialorg", &["/console"]),
        ("xicheng", "volunteer", &["/console"]),
        ("platform", "operator", &["/console"]),
    ];
    // Pages only the district's own staff of some roles may see: the policy, the accounts, a cycle and
    // its payment list.
    let staff_only: [&str; 5] = [
        "/console/policy",
        "/console/users",
        "/console/benefits",
        &cycle_page,
        &payment_list,
    ];
    let refused: &[(&str, &str, &[&str])] = &[
        (
            "xicheng",
            "community",
            &[
                "/console/families/export",
                "/console/policy",
                "/console/users",
                "/console/benefits",
                &cycle_page,
                &payment_list,
            ],
        ),
        ("xicheng", "street", &["/console/users"]),
        (
            "xicheng",
            "bureau",
            &[
                "/console/families",
                "/console/families/export",
                &family_page,
                "/console/users",
            ],
        ),
        ("xicheng", "socialorg", &["/console/families", &family_page]),
        ("xicheng", "socialorg", &staff_only),
        ("xicheng", "volunteer", &["/console/families", &family_page]),
        ("xicheng", "volunteer", &staff_only),
        ("platform", "operator", &["/console/families", &family_page]),
        ("platform", "operator", &staff_only),
    ];
    for (tenant, user, pages) in allowed {
        let mut b = Browser::signed_in(&app, tenant, user).await;
        for page in *pages {
            let res = b.get(page).await;
            assert_eq!(res.status(), 200, "{tenant}/{user} {page}");
            let csp = res.headers()[CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .to_owned();
            let scripts = csp
                .split(';')
                .map(str::trim)
                .find(|d| d.starts_with("script-src"))
                .or_else(|| {
                    csp.split(';')
                        .map(str::trim)
                        .find(|d| d.starts_with("default-src"))
                })
                .expect("a script policy");
            assert!(!scripts.contains("unsafe-inline"), "{page}: {csp}");
            let html = res.text().await.unwrap();
            assert!(!html.contains("<script>"), "{page} has an inline script");
        }
    }
    for (tenant, user, pages) in refused {
        let mut b = Browser::signed_in(&app, tenant, user).await;
        for page in *pages {
            let res = b.get(page).await;
            assert_eq!(res.status(), 403, "{tenant}/{user} {page}");
            let html = res.text().await.unwrap();
            assert!(
                !html.contains("测试母亲"),
                "{tenant}/{user} {page} shows family data"
            );
        }
    }
    // Signed out, every console page sends the browser to the sign-in page.
    let mut nobody = Browser::new(&app);
    for page in [
        "/console",
        "/console/families",
        family_page.as_str(),
        "/console/benefits",
    ] {
        let res = nobody.get(page).await;
        assert_eq!(res.status(), 303, "{page}");
        assert_eq!(res.headers()[LOCATION], "/");
    }
}

#[tokio::test]
async fn navigation_and_buttons_follow_what_the_role_may_do() {
    let app = TestApp::spawn().await;
    let mut community = Browser::signed_in(&app, "xicheng", "community").await;
    let (_, home) = community.get_html("/console").await;
    assert!(home.contains(r#"href="/console/families""#));
    assert!(
        !home.contains(r#"href="/console/benefits""#),
        "community has no benefits"
    );
    let (_, register) = community.get_html("/console/families").await;
    assert!(!register.contains("导出"), "community may not export");
    let mut bureau = Browser::signed_in(&app, "xicheng", "bureau").await;
    let (_, cycles) = bureau.get_html("/console/benefits").await;
    assert!(
        !cycles.contains("生成发放周期"),
        "bureaus do not generate cycles"
    );
    let mut admin = Browser::signed_in(&app, "xicheng", "admin").await;
    let (_, cycles) = admin.get_html("/console/benefits").await;
    assert!(cycles.contains("生成发放周期"));
    // Programs are listed by title, never by code.
    assert!(!cycles.contains(">adoption_assistance<") && !cycles.contains(">low_income_subsidy"));
    let mut volunteer = Browser::signed_in(&app, "xicheng", "volunteer").await;
    let (_, home) = volunteer.get_html("/console").await;
    assert!(home.contains("我的服务任务") && !home.contains(r#"href="/console/families""#));
    let mut operator = Browser::signed_in(&app, "platform", "operator").await;
    let (_, home) = operator.get_html("/console").await;
    assert!(home.contains("西城区") && home.contains("张店区") && home.contains("需处理"));
}

#[tokio::test]
async fn the_family_page_shows_kind_child_labels_and_history_in_chinese_and_local_time() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let id = app
        .create_family(&admin, &family_body("xinjiekou", "xinjiekou-1", 902))
        .await;
    let mut b = Browser::signed_in(&app, "xicheng", "admin").await;
    let (status, page) = b.get_html(&format!("/console/families/{id}")).await;
    assert_eq!(status, 200);
    for text in [
        "失独家庭",
        "独生子女已于2024-03-02死亡",
        "测试母亲",
        "新建登记",
        "可享受的关怀政策",
        "家庭医生",
    ] {
        assert!(page.contains(text), "missing {text}");
    }
    for code in [
        "bereaved",
        "street_cadre",
        "family.create",
        "\"create\"",
        "UTC",
    ] {
        assert!(
            !page.contains(&format!(">{code}<")),
            "shows the code {code}"
        );
    }
    // The history's time is the district's (Asia/Shanghai, eight hours ahead of UTC), to the minute,
    // and its changes are words, not JSON.
    let cell = |label: &str| {
        let open = format!(r#"<td data-label="{label}">"#);
        let at = page.find(&open).unwrap_or_else(|| panic!("a {label} cell")) + open.len();
        page[at..at + page[at..].find("</td>").unwrap()].to_owned()
    };
    let shown = chrono::NaiveDateTime::parse_from_str(&cell("时间"), "%Y-%m-%d %H:%M")
        .unwrap_or_else(|e| panic!("history time {:?}: {e}", cell("时间")));
    let shanghai = chrono::Utc::now().naive_utc() + chrono::Duration::hours(8);
    assert!(
        (shanghai - shown).num_minutes().abs() <= 2,
        "history time {shown} is not Asia/Shanghai's {shanghai}"
    );
    assert!(
        !cell("变更").contains('{') && !cell("变更").contains('"'),
        "{}",
        cell("变更")
    );
    // A bad date is said plainly.
    let (status, page) = b
        .get_html(&format!("/console/families/{id}?as_of=tomorrow"))
        .await;
    assert_eq!(status, 400);
    assert!(page.contains("日期应为年-月-日"));
}

#[tokio::test]
async fn a_district_without_a_policy_in_force_says_so_and_what_to_do() {
    let app = TestApp::spawn().await;
    let admin = app.login("zhangdian", "admin").await;
    let mut body = family_body("mashang", "mashang-qiyue", 903);
    body["hukou_district"] = json!("zhangdian");
    let id = app.create_family(&admin, &body).await;
    let mut b = Browser::signed_in(&app, "zhangdian", "admin").await;
    let (_, today) = b
        .get_html(&format!("/console/families/{id}?as_of=2026-06-01"))
        .await;
    assert!(
        today.contains("不在有效期内") && today.contains("接入新的政策文件"),
        "{today}"
    );
    let (_, in_force) = b
        .get_html(&format!("/console/families/{id}?as_of=2025-06-01"))
        .await;
    assert!(!in_force.contains("不在有效期内"));
    assert!(in_force.contains("<th>项目</th>") || in_force.contains("没有符合条件的项目"));
    // The home and cycles pages say it too (Zhangdian's policy ended on 2026-01-07), for the staff who
    // verify and pay; a one-time program's period is offered in Chinese, not as its code.
    for (who, path) in [
        ("admin", "/console"),
        ("street", "/console"),
        ("admin", "/console/benefits"),
    ] {
        let mut b = Browser::signed_in(&app, "zhangdian", who).await;
        let (status, page) = b.get_html(path).await;
        assert_eq!(status, 200, "{who} {path}");
        assert!(
            page.contains("2026-01-07") && page.contains("接入新的政策文件"),
            "{who} {path}: {page}"
        );
    }
    let (_, cycles) = b.get_html("/console/benefits").await;
    assert!(
        cycles.contains("一次性") && !cycles.contains(r#"value="once" size"#),
        "{cycles}"
    );
    // A district whose policy is in force says nothing of the kind.
    let mut xicheng = Browser::signed_in(&app, "xicheng", "admin").await;
    for path in ["/console", "/console/benefits"] {
        let (_, page) = xicheng.get_html(path).await;
        assert!(
            !page.contains("不在有效期内") && !page.contains("尚未配置关怀政策"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn the_register_pages_filters_and_charts_the_whole_register() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    // More families than a page holds (50): the chart and the total count all of them.
    for serial in 0..53 {
        app.create_family(
            &admin,
            &family_body("xinjiekou", "xinjiekou-1", 910 + serial),
        )
        .await;
    }
    let rows = |page: &str| page.matches(r#"<td data-label="类别">"#).count();
    let mut b = Browser::signed_in(&app, "xicheng", "admin").await;
    let (_, page) = b.get_html("/console/families?kind=bereaved").await;
    assert!(page.contains("符合条件的家庭（按街道、类别）") && page.contains(">新街口街道</text>"));
    assert!(page.contains(">户数</text>"));
    assert_eq!(rows(&page), 50);
    assert!(page.contains("共 53 条，第 1/2 页"), "{page}");
    assert!(
        page.contains(">53</text>"),
        "the chart counts the whole register: {page}"
    );
    let (_, second) = b.get_html("/console/families?kind=bereaved&page=2").await;
    assert_eq!(rows(&second), 3);
    assert!(
        second.contains(">53</text>"),
        "the chart is the same on every page"
    );
    let (_, search) = b
        .get_html("/console/families?q=%E6%B5%8B%E8%AF%95%E6%AF%8D%E4%BA%B2")
        .await;
    assert!(search.contains("共 53 条"), "search by name finds them all");
    // By resident ID (looked up through its keyed hash): exactly that family.
    let id = crate::fixtures::resident_id("19640501", 930, true);
    let (_, by_id) = b.get_html(&format!("/console/families?q={id}")).await;
    assert!(by_id.contains("共 1 条") && rows(&by_id) == 1, "{by_id}");
    let (_, nobody) = b
        .get_html(&format!(
            "/console/families?q={}",
            crate::fixtures::resident_id("19640501", 399, true)
        ))
        .await;
    assert!(nobody.contains("没有符合条件的家庭"), "{nobody}");
    let (status, bad) = b.get_html("/console/families?age_min=abc").await;
    assert_eq!(status, 200);
    assert!(bad.contains("年龄应为整数"));
    let res = b.get("/console/families/export").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .contains("spreadsheetml"));
}

#[tokio::test]
async fn a_cycle_is_generated_from_the_program_list_and_stepped_through_forms() {
    let app = TestApp::spawn().await;
    let token = app.login("xicheng", "admin").await;
    app.create_family(&token, &family_body("xinjiekou", "xinjiekou-1", 920))
        .await;
    let mut admin = Browser::signed_in(&app, "xicheng", "admin").await;
    let (_, cycles) = admin.get_html("/console/benefits").await;
    let csrf = csrf_of(&cycles);
    // Every program offered has a period field prefilled for today; generate each until one proposes.
    let programs: Vec<String> = cycles
        .split(r#"name="program" value=""#)
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].to_owned())
        .collect();
    let periods: Vec<String> = cycles
        .split(r#"<input name="period" value=""#)
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].to_owned())
        .collect();
    assert_eq!(programs.len(), periods.len());
    let mut cycle_with_entries = None;
    for (program, period) in programs.iter().zip(&periods) {
        let res = admin
            .post(
                "/console/benefits",
                &[("csrf", &csrf), ("program", program), ("period", period)],
            )
            .await;
        assert_eq!(res.status(), 303, "{program} {period}");
        let location = res.headers()[LOCATION].to_str().unwrap().to_owned();
        let (_, page) = admin.get_html(&location).await;
        if page.contains(r#"value="proposed""#) || page.contains("待核实</span>") {
            cycle_with_entries = Some(location);
            break;
        }
    }
    let cycle = cycle_with_entries.expect("some program proposes an entry for the family");
    // The street verifies in bulk through the form.
    let mut street = Browser::signed_in(&app, "xicheng", "street").await;
    let (_, page) = street.get_html(&cycle).await;
    assert!(page.contains("核实所选") && page.contains("全户") || page.contains("母亲"));
    // Whose each entry is: the parent's name (both for a household's entry), for the street.
    assert!(
        page.contains(r#"<td data-label="姓名">测试母亲</td>"#)
            || page.contains(r#"<td data-label="姓名">测试母亲、测试父亲</td>"#),
        "{page}"
    );
    // A bureau approves amounts, not people: no names on its page of the same cycle.
    let mut bureau = Browser::signed_in(&app, "xicheng", "bureau").await;
    let (status, seen) = bureau.get_html(&cycle).await;
    assert_eq!(status, 200);
    assert!(!seen.contains("测试母亲") && seen.contains(r#"<td data-label="姓名">—</td>"#));
    // Nor a link to a family's page, which it may not open; the street has one per entry.
    assert!(
        !seen.contains("查看档案") && page.contains("查看档案"),
        "{seen}"
    );
    // Each entry's id is in its check box and in each of its step forms.
    let mut ids: Vec<String> = page
        .split(r#"name="id" value=""#)
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].to_owned())
        .collect();
    ids.sort();
    ids.dedup();
    assert!(!ids.is_empty());
    let csrf = csrf_of(&page);
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("action", "verify"),
        ("note", "已入户核实"),
    ];
    form.extend(ids.iter().map(|id| ("id", id.as_str())));
    let res = street.post(&format!("{cycle}/step"), &form).await;
    assert_eq!(res.status(), 303);
    let (_, after) = street
        .get_html(res.headers()[LOCATION].to_str().unwrap())
        .await;
    assert!(after.contains(&format!("已办理{}条", ids.len())), "{after}");
    assert!(after.contains("核实说明：已入户核实"));
    // The payer by its Chinese name, never its code.
    assert!(!after.contains("district_") && !after.contains("street_office"));
    // The bureau approves one verified entry (entering the amount where the policy left it open), pays
    // it with its payment reference, which the paid row then shows, and downloads the payment list.
    let (_, verified) = bureau.get_html(&format!("{cycle}?status=verified")).await;
    let at = verified
        .find(r#"name="action" value="approve""#)
        .expect("an approve form");
    let approve_form = &verified[at..at + verified[at..].find("</form>").unwrap()];
    let entry = {
        let at = approve_form.find(r#"name="id" value=""#).unwrap() + r#"name="id" value=""#.len();
        approve_form[at..at + approve_form[at..].find('"').unwrap()].to_owned()
    };
    let approve: Vec<(&str, &str)> = if approve_form.contains(r#"name="amount_cny""#) {
        vec![("amount_cny", "300"), ("note", "按核定标准")]
    } else {
        vec![("note", "同意")]
    };
    // The wrong amount (one where the policy fixes it, none where it is open) is refused on a page that
    // names the field in Chinese, not by its code.
    let wrong_amount = if approve_form.contains(r#"name="amount_cny""#) {
        ""
    } else {
        "1"
    };
    let res = bureau
        .post(
            &format!("{cycle}/step"),
            &[
                ("csrf", &csrf_of(&verified)),
                ("action", "approve"),
                ("id", &entry),
                ("amount_cny", wrong_amount),
                ("note", "按核定标准"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422, "{approve_form}");
    let refused = res.text().await.unwrap();
    assert!(
        refused.contains("金额（元）：") && !refused.contains("amount_cny"),
        "{refused}"
    );
    // The disbursing unit (区财政局) pays; the approving bureau is offered no pay step.
    let mut finance = Browser::signed_in(&app, "xicheng", "finance").await;
    for (action, status, extra) in [
        ("approve", "verified", approve),
        (
            "pay",
            "approved",
            vec![("payment_reference", "PZ-2026-0042")],
        ),
    ] {
        let who = if action == "pay" {
            let (_, approved) = bureau.get_html(&format!("{cycle}?status=approved")).await;
            assert!(
                approved.contains("已审批") && !approved.contains(r#"value="pay""#),
                "{approved}"
            );
            &mut finance
        } else {
            &mut bureau
        };
        let (_, home) = who.get_html("/console").await;
        let mut form = vec![
            ("csrf", csrf_of(&home)),
            ("action", action.to_owned()),
            ("status", status.to_owned()),
            ("id", entry.clone()),
        ];
        form.extend(extra.into_iter().map(|(k, v)| (k, v.to_owned())));
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = who.post(&format!("{cycle}/step"), &form).await;
        let status = res.status();
        assert_eq!(status, 303, "{action}: {}", res.text().await.unwrap());
        let (_, after) = who
            .get_html(res.headers()[LOCATION].to_str().unwrap())
            .await;
        assert!(after.contains("已办理1条"), "{action}: {after}");
    }
    let (_, paid) = bureau.get_html(&format!("{cycle}?status=paid")).await;
    assert!(paid.contains("付款凭证号：PZ-2026-0042"), "{paid}");
    let res = bureau.get(&format!("{cycle}/payment-list")).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .contains("spreadsheetml"));
    // The community worker may not step, whatever the form says.
    let mut community = Browser::signed_in(&app, "xicheng", "community").await;
    let (_, home) = community.get_html("/console").await;
    let res = community
        .post(
            &format!("{cycle}/step"),
            &[
                ("csrf", &csrf_of(&home)),
                ("action", "approve"),
                ("id", &ids[0]),
            ],
        )
        .await;
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn unknown_urls_get_a_chinese_404_page_and_assets_are_cached_by_version() {
    let app = TestApp::spawn().await;
    let mut b = Browser::new(&app);
    let (status, page) = b.get_html("/no/such/page").await;
    assert_eq!(status, 404);
    assert!(page.contains("页面不存在"));
    let (status, _) = b.get_html("/api/v1/nothing-here").await;
    assert_eq!(status, 404);
    // An address that does not parse, a bad query and a form's address opened directly: the console's
    // Chinese page, not the API's JSON (the API keeps its JSON).
    let mut admin = Browser::signed_in(&app, "xicheng", "admin").await;
    for (path, status) in [
        ("/console/families/not-an-id", 404),
        (
            "/console/benefits/00000000-0000-0000-0000-000000000000?page=abc",
            400,
        ),
        ("/console/login", 404),
    ] {
        let res = admin.get(path).await;
        assert_eq!(res.status(), status, "{path}");
        assert!(
            res.headers()[CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{path}"
        );
        let page = res.text().await.unwrap();
        assert!(
            page.contains("<h1>") && page.contains("出错了"),
            "{path}: {page}"
        );
    }
    let token = app.login("xicheng", "admin").await;
    let (status, body) = app.get("/api/v1/families/not-an-id", Some(&token)).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "not_found", "{body}");
    let (_, login) = b.get_html("/").await;
    let at = login.find("/assets/console.css?v=").expect("versioned css");
    let url = &login[at..at + login[at..].find('"').unwrap()];
    let res = b.get(url).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("immutable"));
    let res = b.get("/assets/htmx.min.js").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-cache");
}

#[tokio::test]
async fn the_policy_page_names_parameters_in_chinese_and_charts_the_forecast() {
    let app = TestApp::spawn().await;
    let token = app.login("xicheng", "admin").await;
    app.create_family(&token, &family_body("xinjiekou", "xinjiekou-1", 930))
        .await;
    let mut admin = Browser::signed_in(&app, "xicheng", "admin").await;
    let (status, page) = admin.get_html("/console/policy?year=2026").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("2026年关怀经费预测（按项目、发放单位）")
            && page.contains(">金额（元）</text>")
    );
    assert!(page.contains("西政办发〔2013〕17号") && page.contains("今日在有效期内"));
    // Entitlements by program, services included (the cost chart shows them as nothing).
    let reach = &page[page
        .find("2026年享受关怀的人次（按项目）")
        .expect("the reach chart")..];
    let reach = &reach[..reach.find("</svg>").unwrap()];
    assert!(
        reach.contains(">免费心理咨询、健康讲座</text>") && reach.contains(">人次</text>"),
        "{reach}"
    );
    // Parameter names and program codes never appear as codes.
    assert!(
        !page.contains("_cny<") && !page.contains(">low_income_subsidy"),
        "codes shown"
    );
    let mut zhangdian = Browser::signed_in(&app, "zhangdian", "admin").await;
    let (_, page) = zhangdian.get_html("/console/policy").await;
    assert!(page.contains("今日不在有效期内"));
}

#[tokio::test]
async fn a_new_parameter_value_shows_its_impact_before_anything_is_saved() {
    let app = TestApp::spawn().await;
    let token = app.login("xicheng", "admin").await;
    app.create_family(&token, &family_body("xinjiekou", "xinjiekou-1", 940))
        .await;
    let mut admin = Browser::signed_in(&app, "xicheng", "admin").await;
    let (_, page) = admin.get_html("/console/policy").await;
    assert!(page.contains("调整参数前先看影响") && page.contains(">北京市最低工资标准</option>"));
    let csrf = csrf_of(&page);
    let form = [
        ("csrf", csrf.as_str()),
        ("name", "beijing_min_wage"),
        ("effective_from", "2026-09-01"),
        ("value", "2720"),
    ];
    let res = admin.post("/console/policy/impact", &form).await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("北京市最低工资标准自2026-09-01起为2720"),
        "{page}"
    );
    assert!(page.contains("全年经费变化"));
    // Nothing was saved: the policy page still lists the old values only.
    let (_, after) = admin.get_html("/console/policy").await;
    assert!(!after.contains("2026-09-01起"));
    // A bad value is named, not computed.
    let bad = [
        ("csrf", csrf.as_str()),
        ("name", "beijing_min_wage"),
        ("effective_from", "2026-09-01"),
        ("value", "很多"),
    ];
    let page = admin
        .post("/console/policy/impact", &bad)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("取值应为整数"));
    // Bureaus read the policy but may not change it: no form, and the form's POST is refused.
    let mut bureau = Browser::signed_in(&app, "xicheng", "bureau").await;
    let (_, page) = bureau.get_html("/console/policy").await;
    assert!(!page.contains("调整参数前先看影响"));
    let res = bureau
        .post(
            "/console/policy/impact",
            &[
                ("csrf", &csrf_of(&page)),
                ("name", "beijing_min_wage"),
                ("effective_from", "2026-09-01"),
                ("value", "2720"),
            ],
        )
        .await;
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn the_street_takes_a_family_off_the_register_through_the_family_page() {
    let app = TestApp::spawn().await;
    let token = app.login("xicheng", "admin").await;
    let id = app
        .create_family(&token, &family_body("xinjiekou", "xinjiekou-1", 960))
        .await;
    let path = format!("/console/families/{id}");
    // The community worker reads the family but may not exit it: no form, and the POST is refused.
    let mut community = Browser::signed_in(&app, "xicheng", "community").await;
    let (_, page) = community.get_html(&path).await;
    assert!(!page.contains("办理退出登记"));
    let res = community
        .post(
            &format!("{path}/exit"),
            &[("csrf", &csrf_of(&page)), ("reason", "moved_away")],
        )
        .await;
    assert_eq!(res.status(), 403);
    let mut street = Browser::signed_in(&app, "xicheng", "street").await;
    let (_, page) = street.get_html(&path).await;
    assert!(page.contains("办理退出登记") && page.contains(">户籍迁出</option>"));
    let csrf = csrf_of(&page);
    // "Other" needs a note, as in the API.
    let res = street
        .post(
            &format!("{path}/exit"),
            &[("csrf", &csrf), ("reason", "other")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = street
        .post(
            &format!("{path}/exit"),
            &[
                ("csrf", &csrf),
                ("reason", "moved_away"),
                ("exited_on", "2026-11-30"),
                ("note", "迁往外区"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, page) = street
        .get_html(res.headers()[LOCATION].to_str().unwrap())
        .await;
    assert!(
        page.contains("已退出登记") && page.contains("户籍迁出（2026-11-30）：迁往外区"),
        "{page}"
    );
    assert!(
        page.contains("退出登记</td>"),
        "the history says so in Chinese"
    );
    assert!(!page.contains("办理退出登记"), "no second exit");
}

#[tokio::test]
async fn the_district_administrator_creates_disables_and_resets_accounts() {
    let app = TestApp::spawn().await;
    let mut admin = Browser::signed_in(&app, "xicheng", "admin").await;
    let (status, page) = admin.get_html("/console/users").await;
    assert_eq!(status, 200);
    assert!(
        page.contains(">street<") && page.contains("街道工作人员") && page.contains("新街口街道")
    );
    assert!(!page.contains("$argon2"), "no password hash on the page");
    let csrf = csrf_of(&page);
    let new = [
        ("csrf", csrf.as_str()),
        ("username", "street9"),
        ("display_name", "新街口街道新同事"),
        ("role", "street_staff"),
        ("org_unit", "xinjiekou"),
        ("password", "a-long-enough-password"),
    ];
    let res = admin.post("/console/users", &new).await;
    assert_eq!(res.status(), 303);
    // The same username again is a conflict; a short password is refused with its reason.
    assert_eq!(admin.post("/console/users", &new).await.status(), 409);
    let mut short = new;
    short[1] = ("username", "street10");
    short[5] = ("password", "short");
    let res = admin.post("/console/users", &short).await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("密码至少12个字符"));
    // The new colleague signs in and sees the street's work.
    let mut colleague = Browser::new(&app);
    let res = colleague
        .sign_in("xicheng", "street9", "a-long-enough-password")
        .await;
    assert_eq!(res.status(), 303);
    let (status, _) = colleague.get_html("/console/benefits").await;
    assert_eq!(status, 200);
    // Disabled, the account cannot sign in; reset and enabled again, it can with the new password.
    let (_, page) = admin.get_html("/console/users").await;
    let at = page.find(">street9<").unwrap();
    let form_at = page[at..].find("/console/users/").unwrap() + at + "/console/users/".len();
    let id = &page[form_at..form_at + 36];
    let path = format!("/console/users/{id}");
    assert_eq!(
        colleague.get_html("/console/benefits").await.0,
        200,
        "signed in before it is disabled"
    );
    assert_eq!(
        admin
            .post(&path, &[("csrf", &csrf), ("action", "disable")])
            .await
            .status(),
        303
    );
    let (status, _) = colleague.get_html("/console/benefits").await;
    assert_ne!(
        status, 200,
        "a disabled account's open session ends with it"
    );
    let res = Browser::new(&app)
        .sign_in("xicheng", "street9", "a-long-enough-password")
        .await;
    assert_eq!(res.status(), 401);
    assert_eq!(
        admin
            .post(
                &path,
                &[
                    ("csrf", &csrf),
                    ("action", "password"),
                    ("password", "another-long-password")
                ]
            )
            .await
            .status(),
        303
    );
    assert_eq!(
        admin
            .post(&path, &[("csrf", &csrf), ("action", "enable")])
            .await
            .status(),
        303
    );
    let res = Browser::new(&app)
        .sign_in("xicheng", "street9", "another-long-password")
        .await;
    assert_eq!(res.status(), 303);
    // Only the district administrator manages accounts.
    for user in ["street", "bureau", "community"] {
        let mut b = Browser::signed_in(&app, "xicheng", user).await;
        assert_eq!(b.get("/console/users").await.status(), 403, "{user}");
        let (_, home) = b.get_html("/console").await;
        assert!(!home.contains(r#"href="/console/users""#));
        let res = b
            .post(&path, &[("csrf", &csrf_of(&home)), ("action", "disable")])
            .await;
        assert_eq!(res.status(), 403, "{user} disables");
    }
}

/// The new-family form as a street worker fills it in: mother living, father deceased, three contact
/// persons in slots 0, 2 and 3 (slot 1 left empty).
fn filled_family_form<'a>(csrf: &'a str, mother_id: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("kind", "bereaved"),
        ("street", "xinjiekou"),
        ("community", "xinjiekou-1"),
        ("address", "表单路8号"),
        ("hukou_district", "西城区"),
        ("child.status", "deceased"),
        ("child.died_on", "2023-06-01"),
        ("household.monthly_income_per_capita_cny", "2100"),
        ("household.prior_year_total_income_cny", "36000"),
        ("parents[0].present", "on"),
        ("parents[0].role", "mother"),
        ("parents[0].name", "表单母亲"),
        ("parents[0].resident_id", mother_id),
        ("parents[0].phone", "13800138001"),
        ("parents[0].alive", "on"),
        ("parents[0].self_care", "partial"),
        ("parents[0].care", "home"),
        ("parents[0].out_of_pocket_medical_cny", ""),
        ("parents[1].present", "on"),
        ("parents[1].role", "father"),
        ("parents[1].name", "表单父亲"),
        ("parents[1].resident_id", ""),
        ("parents[1].self_care", "full"),
        ("parents[1].care", "home"),
        ("contacts[0].name", "街道干部甲"),
        ("contacts[0].category", "street_cadre"),
        ("contacts[0].phone", "13900000001"),
        ("contacts[1].name", ""),
        ("contacts[1].category", "street_cadre"),
        ("contacts[2].name", "家庭医生乙"),
        ("contacts[2].category", "family_doctor"),
        ("contacts[3].name", "网格员丙"),
        ("contacts[3].category", "grid_worker"),
        ("contacts[3].phone", "12345"),
    ]
}

/// The text of the error shown under the form field `name`, if any.
fn field_error(page: &str, name: &str) -> Option<String> {
    let at = page.find(&format!(r#"name="{name}""#))?;
    let rest = &page[at..];
    let field_end = rest.find("</div>").unwrap_or(rest.len());
    let field = &rest[..field_end];
    let error = field.find(r#"<p class="error" role="alert">"#)?;
    let text = &field[error + r#"<p class="error" role="alert">"#.len()..];
    Some(text[..text.find("</p>")?].to_owned())
}

#[tokio::test]
async fn the_street_registers_a_family_through_the_form_with_each_error_beside_its_field() {
    let app = TestApp::spawn().await;
    let mut street = Browser::signed_in(&app, "xicheng", "street").await;
    let (_, register) = street.get_html("/console/families").await;
    assert!(register.contains("登记新家庭") && register.contains("导入登记表"));
    let (status, form) = street.get_html("/console/families/new").await;
    assert_eq!(status, 200);
    assert!(
        form.contains(r#"<option value="xinjiekou" selected>"#)
            && !form.contains("value=\"yuetan\""),
        "a street registers in its own street only"
    );
    let csrf = csrf_of(&form);
    let mother_id = crate::fixtures::resident_id("19630405", 77, true);
    // The father has no resident ID and the fourth slot's phone is not a phone: nothing is saved, each
    // error is shown beside its own field (slot 3, not the JSON's position 2), and what was typed stays.
    let mut fields = filled_family_form(&csrf, &mother_id);
    fields.retain(|(k, _)| *k != "parents[1].alive");
    let res = street.post("/console/families/new", &fields).await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(
        field_error(&page, "parents[1].resident_id").is_some(),
        "{page}"
    );
    assert!(field_error(&page, "contacts[3].phone").is_some(), "{page}");
    assert!(field_error(&page, "contacts[2].phone").is_none());
    assert!(field_error(&page, "parents[0].resident_id").is_none());
    assert!(page.contains(r#"value="表单路8号""#) && page.contains(r#"value="网格员丙""#));
    assert_eq!(app.count("families").await, 0, "nothing written");

    // Corrected, it is registered and reads back through the API as typed.
    let father_id = crate::fixtures::resident_id("19610203", 77, false);
    let mut fields = filled_family_form(&csrf, &mother_id);
    fields.retain(|(k, _)| !matches!(*k, "parents[1].resident_id" | "contacts[3].phone"));
    fields.push(("parents[1].resident_id", &father_id));
    fields.push(("contacts[3].phone", "13900000003"));
    let res = street.post("/console/families/new", &fields).await;
    assert_eq!(res.status(), 303);
    let location = res.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(location.ends_with("?done=registered"), "{location}");
    let id = location
        .trim_start_matches("/console/families/")
        .trim_end_matches("?done=registered")
        .to_owned();
    let admin = app.login("xicheng", "admin").await;
    let (status, family) = app
        .get(&format!("/api/v1/families/{id}"), Some(&admin))
        .await;
    assert_eq!(status, 200, "{family}");
    assert_eq!(family["address"], "表单路8号");
    assert_eq!(family["hukou_district"], "xicheng");
    assert_eq!(family["household"]["monthly_income_per_capita_cny"], 2100);
    assert_eq!(family["parents"][0]["resident_id"], mother_id.as_str());
    assert_eq!(family["parents"][0]["self_care"], "partial");
    assert_eq!(
        family["parents"][1]["alive"], false,
        "an unticked box is 'no'"
    );
    let contacts: Vec<&str> = family["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(contacts, ["街道干部甲", "家庭医生乙", "网格员丙"]);
    let (_, shown) = street.get_html(&location).await;
    assert!(shown.contains("已登记该家庭") && shown.contains("修改家庭信息"));
}

#[tokio::test]
async fn an_edit_saves_only_over_the_version_it_was_made_from() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let id = app
        .create_family(&admin, &family_body("xinjiekou", "xinjiekou-1", 971))
        .await;
    let mut street = Browser::signed_in(&app, "xicheng", "street").await;
    let edit = format!("/console/families/{id}/edit");
    let (status, form) = street.get_html(&edit).await;
    assert_eq!(status, 200);
    assert!(form.contains(r#"name="version" value="1""#), "{form}");
    assert!(form.contains(r#"value="测试母亲""#) && form.contains(r#"value="测试路971号""#));
    let csrf = csrf_of(&form);
    // Everything as the form shows it, with one change.
    let mut fields = form_fields(&form);
    fields.retain(|(k, _)| k != "address");
    fields.push(("address".into(), "修改路1号".into()));
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let res = street.post(&edit, &pairs).await;
    assert_eq!(res.status(), 303);
    let (_, family) = app
        .get(&format!("/api/v1/families/{id}"), Some(&admin))
        .await;
    assert_eq!(family["address"], "修改路1号");
    assert_eq!(family["version"], 2);
    assert_eq!(family["contacts"].as_array().unwrap().len(), 3, "kept");
    assert_eq!(family["parents"][1]["alive"], false, "kept");
    // The same old form again: the family moved on, so nothing is overwritten and the form says so.
    let res = street.post(&edit, &pairs).await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("未保存"), "{page}");
    let (_, family) = app
        .get(&format!("/api/v1/families/{id}"), Some(&admin))
        .await;
    assert_eq!(family["version"], 2);
    assert!(!csrf.is_empty());
}

/// The named inputs of a form page with their values (ticked boxes as "on"), as a browser would send them.
fn form_fields(page: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = page;
    while let Some(at) = rest.find("<input ") {
        rest = &rest[at..];
        let tag = &rest[..rest.find('>').unwrap()];
        let attr = |name: &str| {
            tag.find(&format!(r#" {name}=""#)).map(|i| {
                let v = &tag[i + name.len() + 3..];
                v[..v.find('"').unwrap()].to_owned()
            })
        };
        if let Some(name) = attr("name") {
            let checkbox = attr("type").as_deref() == Some("checkbox");
            if !checkbox {
                out.push((name, attr("value").unwrap_or_default()));
            } else if tag.contains(" checked") {
                out.push((name, "on".to_owned()));
            }
        }
        rest = &rest[1..];
    }
    let mut rest = page;
    while let Some(at) = rest.find("<select name=\"") {
        rest = &rest[at + "<select name=\"".len()..];
        let name = rest[..rest.find('"').unwrap()].to_owned();
        let end = rest.find("</select>").unwrap();
        let options = &rest[..end];
        let chosen = options
            .find(" selected>")
            .map(|i| {
                let before = &options[..i];
                let v = &before[before.rfind("value=\"").unwrap() + 7..];
                v[..v.find('"').unwrap()].to_owned()
            })
            .or_else(|| {
                options.find("value=\"").map(|i| {
                    let v = &options[i + 7..];
                    v[..v.find('"').unwrap()].to_owned()
                })
            })
            .unwrap_or_default();
        out.push((name, chosen));
    }
    out
}

#[tokio::test]
async fn the_register_forms_are_refused_to_roles_that_may_not_use_them() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let id = app
        .create_family(&admin, &family_body("xinjiekou", "xinjiekou-1", 972))
        .await;
    let edit = format!("/console/families/{id}/edit");
    for (user, paths) in [
        (
            "community",
            vec!["/console/families/new", "/console/families/import"],
        ),
        (
            "bureau",
            vec![
                "/console/families/new",
                "/console/families/import",
                edit.as_str(),
            ],
        ),
        ("socialorg", vec!["/console/families/new", edit.as_str()]),
        ("volunteer", vec!["/console/families/new", edit.as_str()]),
    ] {
        let mut b = Browser::signed_in(&app, "xicheng", user).await;
        let (_, home) = b.get_html("/console").await;
        let csrf = csrf_of(&home);
        for path in paths {
            let (status, page) = b.get_html(path).await;
            assert_eq!(status, 403, "{user} GET {path}");
            assert!(!page.contains("测试母亲"), "{user} {path}");
            let res = b.post(path, &[("csrf", &csrf), ("address", "x")]).await;
            assert!(
                [403, 404].contains(&res.status().as_u16()),
                "{user} POST {path}: {}",
                res.status()
            );
        }
    }
    // Another district's administrator: the family does not exist for them.
    let mut other = Browser::signed_in(&app, "zhangdian", "admin").await;
    let (status, page) = other.get_html(&edit).await;
    assert_eq!(status, 404);
    assert!(!page.contains("测试母亲"));
    assert_eq!(app.count("families").await, 1);
    let (_, family) = app
        .get(&format!("/api/v1/families/{id}"), Some(&admin))
        .await;
    assert_eq!(family["version"], 1, "nothing changed");
}

#[tokio::test]
async fn the_street_imports_a_register_file_through_the_upload_form() {
    use crate::import::{row, with_third_contact, HEADERS};
    let app = TestApp::spawn().await;
    let mut street = Browser::signed_in(&app, "xicheng", "street").await;
    let (status, form) = street.get_html("/console/families/import").await;
    assert_eq!(status, 200);
    assert!(form.contains(r#"enctype="multipart/form-data""#));
    let csrf = csrf_of(&form);
    let (headers, mut rows) = with_third_contact(&HEADERS, (0..3).map(row).collect());
    let h: Vec<&str> = headers.iter().map(String::as_str).collect();
    rows[1][8] = "110101199001011234".into();
    let bad = nuanxin_sheets::write_csv(&h, rows.clone());
    // Without the form's token nothing is read or imported.
    let res = street
        .post_file("/console/families/import", &[], Some(&bad))
        .await;
    assert_eq!(res.status(), 403);
    let res = street
        .post_file(
            "/console/families/import",
            &[("csrf", "forged")],
            Some(&bad),
        )
        .await;
    assert_eq!(res.status(), 403);
    // A bad row: the page lists it by row and column, and nothing is imported.
    let res = street
        .post_file("/console/families/import", &[("csrf", &csrf)], Some(&bad))
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("未导入任何数据"), "{page}");
    assert!(
        page.contains(r#"<td class="num" data-label="行">3</td>"#),
        "{page}"
    );
    assert!(page.contains("母亲身份证号"), "{page}");
    assert!(
        !page.contains("110101199001011234"),
        "the value is not repeated back"
    );
    assert_eq!(app.count("families").await, 0);
    let (_, rows) = with_third_contact(&HEADERS, (0..3).map(row).collect());
    let good = nuanxin_sheets::write_csv(&h, rows);
    let res = street
        .post_file("/console/families/import", &[("csrf", &csrf)], Some(&good))
        .await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("已导入 3 户家庭"));
    assert_eq!(app.count("families").await, 3);
    // The community worker may not import.
    let mut community = Browser::signed_in(&app, "xicheng", "community").await;
    let (_, home) = community.get_html("/console").await;
    let res = community
        .post_file(
            "/console/families/import",
            &[("csrf", &csrf_of(&home))],
            Some(&good),
        )
        .await;
    assert_eq!(res.status(), 403);
    assert_eq!(app.count("families").await, 3);
}

#[tokio::test]
async fn an_account_moved_to_another_role_and_unit_works_with_it_on_every_node() {
    let app = TestApp::spawn().await;
    let second = app.another_node().await;
    let admin_token = app.login("xicheng", "admin").await;
    app.create_family(&admin_token, &family_body("xinjiekou", "xinjiekou-1", 981))
        .await;
    app.create_family(&admin_token, &family_body("xinjiekou", "xinjiekou-2", 982))
        .await;
    // The street account is signed in on the second node before the change.
    let before = second.login("xicheng", "street").await;
    let (_, listed) = second.get("/api/v1/families", Some(&before)).await;
    assert_eq!(listed["total"], 2, "{listed}");

    let mut admin = Browser::signed_in(&app, "xicheng", "admin").await;
    let (_, page) = admin.get_html("/console/users").await;
    let csrf = csrf_of(&page);
    let at = page.find(">street<").unwrap();
    let form_at = page[at..].find("/console/users/").unwrap() + at + "/console/users/".len();
    let user = page[form_at..form_at + 36].to_owned();
    let path = format!("/console/users/{user}");
    let res = admin
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("action", "role"),
                ("role", "community_worker"),
                ("org_unit", "xinjiekou-2"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, page) = admin.get_html("/console/users?done=role").await;
    assert!(page.contains("已修改角色和所在单位"));
    // Its open session has ended on the other node too; signed in again there, it works as a community
    // worker of its new community once that node has reloaded the rules (every 10 s).
    let (status, _) = second.get("/api/v1/families", Some(&before)).await;
    assert_eq!(status, 401, "the session opened with the old role ended");
    // Signed in again, on either node at once, it works as a community worker of its new community:
    // sign-in reads the roles as stored, whatever a node last loaded.
    let token = second.login("xicheng", "street").await;
    let (_, listed) = second.get("/api/v1/families", Some(&token)).await;
    assert_eq!(
        listed["total"], 1,
        "only the new community's family: {listed}"
    );
    assert_eq!(listed["items"][0]["community"]["code"], "xinjiekou-2");
    // A community worker does not register families.
    let (status, _) = second
        .post_json(
            "/api/v1/families",
            Some(&token),
            &family_body("xinjiekou", "xinjiekou-2", 983),
        )
        .await;
    assert_eq!(status, 403);
    // The second node's own copy of the rules follows within its reload period, although the number of
    // rules did not change (the directory's generation moved).
    let subject = format!("user:{user}");
    let mut reloaded = false;
    for _ in 0..60 {
        let roles = second.app.authorizer.roles_of("xicheng", &subject);
        if roles.iter().any(|r| r.as_str() == "community_worker") {
            assert_eq!(roles.len(), 1, "the street role is gone: {roles:?}");
            reloaded = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    assert!(reloaded, "the second node reloaded the rules within 30 s");
}

#[tokio::test]
async fn nobody_changes_their_own_role_and_only_the_administrator_changes_roles() {
    let app = TestApp::spawn().await;
    let mut admin = Browser::signed_in(&app, "xicheng", "admin").await;
    let (_, page) = admin.get_html("/console/users").await;
    let csrf = csrf_of(&page);
    let id_of = |name: &str| {
        let at = page.find(&format!(">{name}<")).unwrap();
        let form_at = page[at..].find("/console/users/").unwrap() + at + "/console/users/".len();
        page[form_at..form_at + 36].to_owned()
    };
    let own = format!("/console/users/{}", id_of("admin"));
    let res = admin
        .post(
            &own,
            &[
                ("csrf", &csrf),
                ("action", "role"),
                ("role", "volunteer"),
                ("org_unit", "xinjiekou"),
            ],
        )
        .await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("不能修改自己的角色"));
    let bureau = format!("/console/users/{}", id_of("bureau"));
    let mut street = Browser::signed_in(&app, "xicheng", "street").await;
    let (_, home) = street.get_html("/console").await;
    let res = street
        .post(
            &bureau,
            &[
                ("csrf", &csrf_of(&home)),
                ("action", "role"),
                ("role", "district_admin"),
                ("org_unit", "xinjiekou"),
            ],
        )
        .await;
    assert_eq!(res.status(), 403);
    // Another district's administrator cannot reach the account.
    let mut other = Browser::signed_in(&app, "zhangdian", "admin").await;
    let (_, home) = other.get_html("/console").await;
    let res = other
        .post(
            &bureau,
            &[
                ("csrf", &csrf_of(&home)),
                ("action", "role"),
                ("role", "street_staff"),
                ("org_unit", "mashang"),
            ],
        )
        .await;
    assert_eq!(res.status(), 404);
    let (_, page) = admin.get_html("/console/users").await;
    let at = page.find(">bureau<").unwrap();
    assert!(page[at..at + 400].contains("部门工作人员"), "unchanged");
}

#[tokio::test]
async fn the_administrator_saves_a_parameter_value_after_seeing_its_impact() {
    let app = TestApp::spawn().await;
    let mut admin = Browser::signed_in(&app, "xicheng", "admin").await;
    let (_, page) = admin.get_html("/console/policy").await;
    let csrf = csrf_of(&page);
    let proposal = [
        ("csrf", csrf.as_str()),
        ("name", "beijing_min_wage"),
        ("effective_from", "2026-09-01"),
        ("value", "2720"),
    ];
    let page = admin
        .post("/console/policy/impact", &proposal)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("确认无误，保存该生效值"), "{page}");
    assert!(page.contains(r#"name="effective_from" value="2026-09-01""#));
    // Without its basis it is not saved, and the page says why.
    let res = admin.post("/console/policy/parameters", &proposal).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("请写明取值依据"));
    let mut with_basis = proposal.to_vec();
    with_basis.push(("basis", "京人社劳发〔2026〕5号"));
    let res = admin.post("/console/policy/parameters", &with_basis).await;
    assert_eq!(res.status(), 303);
    let (_, page) = admin
        .get_html(res.headers()[LOCATION].to_str().unwrap())
        .await;
    assert!(page.contains("已保存新的生效值"), "{page}");
    assert!(
        page.contains("2026-09-01起：2720"),
        "listed among the values"
    );
    // Those who may not edit the policy are refused, and nothing more is stored.
    let mut bureau = Browser::signed_in(&app, "xicheng", "bureau").await;
    let (_, home) = bureau.get_html("/console").await;
    let bureau_csrf = csrf_of(&home);
    let mut forged = with_basis.clone();
    forged[0] = ("csrf", &bureau_csrf);
    forged[3] = ("value", "1");
    let res = bureau.post("/console/policy/parameters", &forged).await;
    assert_eq!(res.status(), 403);
    assert_eq!(app.count("policy_parameter_values").await, 1);
}

#[tokio::test]
async fn the_operators_page_shows_each_districts_failed_jobs_and_no_family_data() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    app.create_family(&admin, &family_body("xinjiekou", "xinjiekou-1", 940))
        .await;
    let mut operator = Browser::signed_in(&app, "platform", "operator").await;
    let (_, before) = operator.get_html("/console").await;
    let xicheng_row = |page: &str| {
        let at = page
            .find(r#"<td data-label="代码">xicheng</td>"#)
            .expect("xicheng's row");
        page[at..at + page[at..].find("</tr>").unwrap()].to_owned()
    };
    assert!(
        xicheng_row(&before).contains("正常</span>"),
        "{}",
        xicheng_row(&before)
    );
    // Xicheng's visit flags failed their last run (a period later than any the node will claim).
    app.take_job_periods("visit_flags", "xicheng", false).await;
    let (status, after) = operator.get_html("/console").await;
    assert_eq!(status, 200);
    let row = xicheng_row(&after);
    assert!(
        row.contains("走访提示失败") && row.contains("需处理"),
        "{row}"
    );
    assert!(
        !after.contains("测试母亲") && !after.contains("未知"),
        "{after}"
    );
}

#[tokio::test]
async fn the_operator_onboards_a_configured_district_from_the_console() {
    let dir = crate::tenants::tenants_with_a_configured_district();
    let dir_text = dir.to_string_lossy().into_owned();
    let app = TestApp::spawn_with(&[("NUANXIN__APPLICATION__TENANTS_DIR", &dir_text)]).await;
    let mut operator = Browser::signed_in(&app, "platform", "operator").await;
    let (status, home) = operator.get_html("/console").await;
    assert_eq!(status, 200);
    assert!(
        home.contains("待接入的辖区") && home.contains("测试区（testdistrict）"),
        "{home}"
    );
    let csrf = csrf_of(&home);
    let form = |username: &'static str| {
        vec![
            ("slug", "testdistrict"),
            ("username", username),
            ("display_name", "王主任"),
            ("email", ""),
        ]
    };

    // Without the form's token: 403 and nothing onboarded.
    assert_eq!(
        operator
            .post("/console/platform/tenants", &form("chief"))
            .await
            .status(),
        403
    );
    // A district administrator cannot onboard districts, even with their own token.
    let mut admin = Browser::signed_in(&app, "xicheng", "admin").await;
    let (_, admin_home) = admin.get_html("/console").await;
    let mut theirs = form("chief");
    let admin_csrf = csrf_of(&admin_home);
    theirs.push(("csrf", &admin_csrf));
    assert_eq!(
        admin
            .post("/console/platform/tenants", &theirs)
            .await
            .status(),
        403
    );
    assert_eq!(app.count("tenants").await, 2);

    // A bad username comes back beside its field, with what was typed kept.
    let mut bad = form("Chief!");
    bad.push(("csrf", &csrf));
    let res = operator.post("/console/platform/tenants", &bad).await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("用户名应为2到32个小写字母")
            && page.contains(r#"value="Chief!""#)
            && page.contains(r#"value="王主任""#)
    );
    assert_eq!(app.count("tenants").await, 2);

    let mut good = form("chief");
    good.push(("csrf", &csrf));
    let res = operator.post("/console/platform/tenants", &good).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["cache-control"],
        "no-store",
        "the password page is never kept"
    );
    let page = res.text().await.unwrap();
    assert!(page.contains("测试区已接入") && page.contains("chief"));
    let password = page
        .split(r#"<code class="secret">"#)
        .nth(1)
        .and_then(|rest| rest.split("</code>").next())
        .expect("the initial password is shown")
        .to_owned();
    // The new district's administrator signs in to the console with it.
    let mut chief = Browser::new(&app);
    assert_eq!(
        chief
            .sign_in("testdistrict", "chief", &password)
            .await
            .status(),
        303
    );
    let (status, chief_home) = chief.get_html("/console").await;
    assert_eq!(status, 200);
    assert!(chief_home.contains("测试区"));
    // Onboarding it again is refused beside the district, not a second district.
    let (_, home) = operator.get_html("/console").await;
    assert!(
        home.contains("测试区") && !home.contains("测试区（testdistrict）"),
        "no longer waiting"
    );
    let res = operator.post("/console/platform/tenants", &good).await;
    assert_eq!(res.status(), 409);
    assert_eq!(app.count("tenants").await, 3);
    let _ = std::fs::remove_dir_all(&dir);
}
