//! The web console: the contract (sign-in page, cookie, CSRF, CSP), each page refused to the roles that
//! may not see it, the labels people read, the steps as forms — over HTTP; and every role's pages in
//! headless Chromium (no JavaScript error, no sideways scrolling at 390 px, screenshots kept under
//! `target/screenshots/`).

use reqwest::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use serde_json::json;

use crate::helpers::{family_body, TestApp, PASSWORD};

/// A browser-like client of the console that follows nothing by itself and carries its cookies.
struct Browser {
    client: reqwest::Client,
    base: String,
    cookies: Vec<(String, String)>,
}

/// The value of the first `name="csrf"` field of a page.
fn csrf_of(html: &str) -> String {
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
        Browser {
            client: reqwest::Client::builder()
                .redirect(Policy::none())
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

    async fn get_html(&mut self, path: &str) -> (u16, String) {
        let res = self.get(path).await;
        let status = res.status().as_u16();
        (status, res.text().await.expect("body"))
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
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

    async fn signed_in(app: &TestApp, tenant: &str, username: &str) -> Browser {
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
    let refused: &[(&str, &str, &[&str])] = &[
        (
            "xicheng",
            "community",
            &["/console/benefits", "/console/families/export"],
        ),
        (
            "xicheng",
            "bureau",
            &[
                "/console/families",
                "/console/families/export",
                &family_page,
            ],
        ),
        (
            "xicheng",
            "socialorg",
            &["/console/families", "/console/benefits", &family_page],
        ),
        (
            "xicheng",
            "volunteer",
            &["/console/families", "/console/benefits", &family_page],
        ),
        (
            "platform",
            "operator",
            &["/console/families", "/console/benefits", &family_page],
        ),
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
    // The history's time is the district's (Asia/Shanghai), to the minute.
    let local = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y-%m-%d")
        .to_string();
    assert!(page.contains(&local));
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
}

#[tokio::test]
async fn the_register_pages_filters_and_charts_the_whole_register() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    for serial in 0..3 {
        app.create_family(
            &admin,
            &family_body("xinjiekou", "xinjiekou-1", 910 + serial),
        )
        .await;
    }
    let mut b = Browser::signed_in(&app, "xicheng", "admin").await;
    let (_, page) = b.get_html("/console/families?kind=bereaved").await;
    assert!(page.contains("符合条件的家庭（按街道、类别）") && page.contains(">新街口街道</text>"));
    assert!(page.contains(">户数</text>"));
    // Three families of this test: the chart counts the whole register, however it is paged.
    assert!(page.contains(">3</text>"), "chart counts 3");
    let (_, search) = b
        .get_html("/console/families?q=%E6%B5%8B%E8%AF%95%E6%AF%8D%E4%BA%B2")
        .await;
    assert!(search.contains("共 3 条"), "search by name finds the three");
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
    assert_eq!(res.status(), 400);
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
