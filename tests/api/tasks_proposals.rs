//! Tasks proposed from entitlements (issue 10 item 2): proposals come from the policy once per family,
//! program and service, lapse and return with the entitlement, are taken up by creating the task once
//! (two takers at once: one task), are dismissed with a reason for good, and only the register's staff of
//! the family's area see them.

use reqwest::Method;
use serde_json::{json, Value};

use crate::fixtures::family_body;
use crate::helpers::TestApp;

/// Tomorrow in the district (UTC+8), as `YYYY-MM-DD`.
fn tomorrow() -> String {
    (chrono::Utc::now() + chrono::Duration::hours(8) + chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string()
}

async fn run(app: &TestApp, token: &str) -> Value {
    let (status, run) = app
        .post_json("/api/v1/task-proposals/runs", Some(token), &json!({}))
        .await;
    assert_eq!(status, 201, "{run}");
    run
}

async fn proposals(app: &TestApp, token: &str, status: &str) -> Vec<Value> {
    let (code, page) = app
        .get(
            &format!("/api/v1/task-proposals?status={status}&per_page=200"),
            Some(token),
        )
        .await;
    assert_eq!(code, 200, "{page}");
    page["items"].as_array().cloned().unwrap_or_default()
}

fn find<'a>(items: &'a [Value], family: &str, service: &str) -> Option<&'a Value> {
    items
        .iter()
        .find(|p| p["family_id"] == family && p["service"]["code"] == service)
}

/// The family of `family_body` (the mother 62, half self-caring, the father dead) on 新街口 and one on 月坛.
async fn two_families(app: &TestApp, admin: &str) -> (String, String) {
    let mine = app
        .create_family(admin, &family_body("xinjiekou", "xinjiekou-1", 1))
        .await;
    let other = app
        .create_family(admin, &family_body("yuetan", "yuetan-1", 2))
        .await;
    (mine, other)
}

#[tokio::test]
async fn proposals_come_from_entitlements_once_and_lapse_and_return_with_the_entitlement() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let street = app.login("xicheng", "street").await;
    let (mine, other) = two_families(&app, &admin).await;

    let first = run(&app, &admin).await;
    assert_eq!(first["families"], 2, "{first}");
    assert_eq!(first["found"], 10, "{first}");
    // Again: everything is found again, nothing is new (one proposal per family, program and service).
    let again = run(&app, &admin).await;
    assert_eq!(
        (again["found"].as_i64(), again["new"].as_i64()),
        (Some(10), Some(0)),
        "{again}"
    );
    assert_eq!(app.count("task_proposals").await, 10);

    // The street sees its own family's five, with the policy's reasons.
    let open = proposals(&app, &street, "open").await;
    assert_eq!(open.len(), 5, "{open:?}");
    assert!(
        open.iter().all(|p| p["family_id"] == mine.as_str()),
        "{open:?}"
    );
    let patrol = find(&open, &mine, "day_patrol").expect("day patrol proposed");
    assert_eq!(patrol["program"], "elderly_home_services");
    assert_eq!(patrol["persons"], json!(["mother"]));
    assert_eq!(
        patrol["reason"],
        "母亲符合“日间巡视、陪同就医、送餐”（三（五）1），建议安排日间巡视"
    );
    assert_eq!(patrol["status_label"], "待处理");
    assert_eq!(patrol["address"], "测试路1号");
    let pairing = find(&open, &mine, "household_pairing").expect("综合包户");
    assert_eq!(pairing["persons"], json!([]));
    assert_eq!(
        find(&open, &mine, "psychological_comfort").unwrap()["by_phone"],
        true
    );
    assert!(
        find(&open, &mine, "legal_consultation").is_some(),
        "{open:?}"
    );

    // The mother is self-caring again: legal aid at home lapses, the rest stays.
    let mut body = family_body("xinjiekou", "xinjiekou-1", 1);
    body["parents"][0]["self_care"] = json!("full");
    let path = format!("/api/v1/families/{mine}");
    let (status, updated) = app.send(Method::PUT, &path, Some(&admin), &body).await;
    assert_eq!(status, 200, "{updated}");
    let lapsing = run(&app, &admin).await;
    assert_eq!(lapsing["lapsed"], 1, "{lapsing}");
    let lapsed = proposals(&app, &street, "lapsed").await;
    assert_eq!(lapsed.len(), 1, "{lapsed:?}");
    assert_eq!(lapsed[0]["service"]["code"], "legal_consultation");
    assert_eq!(proposals(&app, &street, "open").await.len(), 4);

    // Half self-caring again: the same proposal opens again (no second row).
    body["parents"][0]["self_care"] = json!("partial");
    let (status, updated) = app.send(Method::PUT, &path, Some(&admin), &body).await;
    assert_eq!(status, 200, "{updated}");
    let back = run(&app, &admin).await;
    assert_eq!(
        (back["new"].as_i64(), back["lapsed"].as_i64()),
        (Some(0), Some(0)),
        "{back}"
    );
    assert_eq!(proposals(&app, &street, "open").await.len(), 5);
    assert_eq!(app.count("task_proposals").await, 10);

    // A street's own run covers its own street only.
    let street_run = run(&app, &street).await;
    assert_eq!(street_run["families"], 1, "{street_run}");
    assert!(find(&proposals(&app, &admin, "open").await, &other, "day_patrol").is_some());
}

#[tokio::test]
async fn two_runs_at_once_make_each_proposal_once() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let street = app.login("xicheng", "street").await;
    two_families(&app, &admin).await;
    let empty = json!({});
    let (a, b) = tokio::join!(
        app.post_json("/api/v1/task-proposals/runs", Some(&admin), &empty),
        app.post_json("/api/v1/task-proposals/runs", Some(&street), &empty),
    );
    assert_eq!((a.0, b.0), (201, 201), "{a:?} {b:?}");
    assert_eq!(app.count("task_proposals").await, 10);
    assert_eq!(
        app.count("task_proposals WHERE status = 'open'").await,
        10,
        "the street's run lapsed nothing of the other street"
    );
}

#[tokio::test]
async fn a_proposal_taken_up_makes_its_task_once_even_when_two_take_it_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let street = app.login("xicheng", "street").await;
    let community = app.login("xicheng", "community").await;
    let (mine, _) = two_families(&app, &admin).await;
    run(&app, &admin).await;
    let open = proposals(&app, &street, "open").await;
    let patrol = find(&open, &mine, "day_patrol").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let task = |service: &str, proposal: &str| {
        json!({
            "family_id": mine,
            "service": service,
            "starts_at": format!("{}T09:00", tomorrow()),
            "ends_at": format!("{}T11:00", tomorrow()),
            "contact_name": "测试阿姨",
            "proposal_id": proposal,
        })
    };

    // Another service than the proposal's: refused, naming the field, nothing written.
    let (status, body) = app
        .post_json(
            "/api/v1/service-tasks",
            Some(&street),
            &task("meal_delivery", &patrol),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "proposal_id", "{body}");
    assert_eq!(app.count("service_tasks").await, 0);

    // The street and the community worker take it up at the same moment: one task.
    let body = task("day_patrol", &patrol);
    let (a, b) = tokio::join!(
        app.post_json("/api/v1/service-tasks", Some(&street), &body),
        app.post_json("/api/v1/service-tasks", Some(&community), &body),
    );
    let mut codes = [a.0, b.0];
    codes.sort_unstable();
    assert_eq!(codes, [201, 409], "{a:?} {b:?}");
    let (made, refused) = if a.0 == 201 { (a.1, b.1) } else { (b.1, a.1) };
    assert_eq!(refused["error"]["code"], "proposal_decided", "{refused}");
    assert_eq!(app.count("service_tasks").await, 1);
    let accepted = proposals(&app, &street, "accepted").await;
    assert_eq!(accepted.len(), 1, "{accepted:?}");
    assert_eq!(accepted[0]["task_series_id"], made["series_id"], "{made}");

    // Decided is decided: no dismissal after it, no second task from it.
    let (status, body) = app
        .post_json(
            &format!("/api/v1/task-proposals/{patrol}/dismiss"),
            Some(&street),
            &json!({"reason": "重复"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("proposal_decided")),
        "{body}"
    );
}

#[tokio::test]
async fn a_dismissed_proposal_stays_dismissed_and_bad_input_names_the_field() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let street = app.login("xicheng", "street").await;
    let (mine, _) = two_families(&app, &admin).await;
    run(&app, &admin).await;
    let open = proposals(&app, &street, "open").await;
    let meals = find(&open, &mine, "meal_delivery").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let dismiss = format!("/api/v1/task-proposals/{meals}/dismiss");
    let (status, body) = app
        .post_json(&dismiss, Some(&street), &json!({"reason": "  "}))
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("reason")),
        "{body}"
    );
    let (status, body) = app
        .post_json(&dismiss, Some(&street), &json!({"reason": "女儿每日送餐"}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "dismissed");
    assert_eq!(body["decision_reason"], "女儿每日送餐");
    run(&app, &admin).await;
    assert!(find(
        &proposals(&app, &street, "open").await,
        &mine,
        "meal_delivery"
    )
    .is_none());
    assert_eq!(proposals(&app, &street, "dismissed").await.len(), 1);
    let (status, body) = app
        .get("/api/v1/task-proposals?status=maybe", Some(&street))
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (400, Some("status")),
        "{body}"
    );
    let audited = app
        .count("audit_events WHERE action = 'task_proposal.dismiss'")
        .await;
    assert_eq!(audited, 1);
}

#[tokio::test]
async fn proposals_are_refused_to_the_roles_streets_and_districts_they_are_not_for() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let (mine, other) = two_families(&app, &admin).await;
    run(&app, &admin).await;
    let all = proposals(&app, &admin, "open").await;
    let theirs = find(&all, &other, "day_patrol").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(find(&all, &mine, "day_patrol").is_some());

    for (tenant, user) in [
        ("xicheng", "bureau"),
        ("xicheng", "socialorg"),
        ("xicheng", "volunteer"),
        ("xicheng", "finance"),
    ] {
        let token = app.login(tenant, user).await;
        let (status, body) = app.get("/api/v1/task-proposals", Some(&token)).await;
        assert_eq!(status, 403, "{user}: {body}");
        let (status, _) = app
            .post_json("/api/v1/task-proposals/runs", Some(&token), &json!({}))
            .await;
        assert_eq!(status, 403, "{user} runs");
        let (status, _) = app
            .post_json(
                &format!("/api/v1/task-proposals/{theirs}/dismiss"),
                Some(&token),
                &json!({"reason": "无"}),
            )
            .await;
        assert_eq!(status, 403, "{user} dismisses");
    }
    // Another street's proposal, and another district's: not found, untouched.
    let street = app.login("xicheng", "street").await;
    let zhangdian = app.login("zhangdian", "admin").await;
    for token in [&street, &zhangdian] {
        let (status, body) = app
            .post_json(
                &format!("/api/v1/task-proposals/{theirs}/dismiss"),
                Some(token),
                &json!({"reason": "无"}),
            )
            .await;
        assert_eq!(status, 404, "{body}");
    }
    assert!(proposals(&app, &zhangdian, "open").await.is_empty());
    // Nor may a task of another street's family take up a proposal.
    let (status, body) = app
        .post_json(
            "/api/v1/service-tasks",
            Some(&street),
            &json!({
                "family_id": other, "service": "day_patrol", "contact_name": "测试阿姨",
                "starts_at": format!("{}T09:00", tomorrow()),
                "ends_at": format!("{}T11:00", tomorrow()),
                "proposal_id": theirs,
            }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(app.count("task_proposals WHERE status = 'open'").await, 10);
    let (status, _) = app.get("/api/v1/task-proposals", None).await;
    assert_eq!(status, 401);
}

/// The street in Chromium, on a phone and a desktop: the proposals on its tasks page, one taken up through
/// the new-task form filled in from it, one dismissed (first without a reason: refused beside it).
#[tokio::test]
async fn the_street_takes_up_and_dismisses_proposals_in_chromium() {
    use crate::browser::{
        browser, check_page, click, fill, main_text, saved, sign_in, start_driver,
    };
    use fantoccini::Locator;

    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    for serial in [1, 3] {
        app.create_family(&admin, &family_body("xinjiekou", "xinjiekou-1", serial))
            .await;
    }
    run(&app, &admin).await;
    let driver = start_driver().await;
    for phone in [false, true] {
        let kind = if phone { "phone" } else { "desktop" };
        let c = browser(&driver, phone).await;
        sign_in(&c, &app.address, "xicheng", "street").await;
        c.goto(&app.url("/console/tasks")).await.unwrap();
        let section = c.find(Locator::Css("#proposals")).await.unwrap();
        let text = section.text().await.unwrap();
        assert!(text.contains("建议安排日间巡视"), "{kind}: {text}");
        check_page(&c, "tasks-proposals", phone).await;

        // Take the first day-patrol proposal up: its household and service come filled in.
        click(&c, "#proposals a[href*='service=day_patrol']").await;
        let Ok(_) = c
            .wait()
            .for_element(Locator::Css("input[name=proposal_id]"))
            .await
        else {
            panic!("{kind}: no proposal on the form: {}", main_text(&c).await);
        };
        let chosen = |field: &'static str| {
            let c = c.clone();
            async move {
                c.execute(
                    &format!("return document.querySelector('select[name={field}]').value;"),
                    vec![],
                )
                .await
                .unwrap()
            }
        };
        assert_eq!(chosen("service").await, json!("day_patrol"), "{kind}");
        assert_ne!(chosen("family_id").await, json!(""), "{kind}");
        let day = tomorrow();
        c.execute(
            "document.querySelector('input[name=starts_at]').value = arguments[0]; \
             document.querySelector('input[name=ends_at]').value = arguments[1];",
            vec![json!(format!("{day}T09:00")), json!(format!("{day}T10:30"))],
        )
        .await
        .unwrap();
        fill(&c, "input[name=contact_name]", "测试阿姨").await;
        click(&c, "form.task-form button[type=submit]").await;
        assert_eq!(saved(&c).await, "已创建服务任务。", "{kind}");

        // Dismiss a meal-delivery proposal: without a reason first.
        c.goto(&app.url("/console/tasks")).await.unwrap();
        let form = "#proposals td:has(a[href*='service=meal_delivery']) form";
        click(
            &c,
            "#proposals td:has(a[href*='service=meal_delivery']) details.dismiss summary",
        )
        .await;
        c.execute(
            "document.querySelectorAll('#proposals input[name=reason]').forEach(i => i.removeAttribute('required'));",
            vec![],
        )
        .await
        .unwrap();
        fill(&c, &format!("{form} input[name=reason]"), "  ").await;
        click(&c, &format!("{form} button[type=submit]")).await;
        let Ok(error) = c
            .wait()
            .for_element(Locator::Css("#proposals p.error"))
            .await
        else {
            panic!("{kind}: no error: {}", main_text(&c).await);
        };
        assert!(
            error.text().await.unwrap().contains("不采纳的原因"),
            "{kind}"
        );
        check_page(&c, "tasks-proposal-dismiss-error", phone).await;
        fill(
            &c,
            "#proposals details[open] input[name=reason]",
            "女儿每日送餐",
        )
        .await;
        click(&c, "#proposals details[open] button[type=submit]").await;
        assert_eq!(saved(&c).await, "已不采纳该任务建议。", "{kind}");
        c.close().await.unwrap();
    }
    assert_eq!(
        app.count("task_proposals WHERE status = 'accepted'").await,
        2
    );
    assert_eq!(
        app.count("task_proposals WHERE status = 'dismissed'").await,
        2
    );
    assert_eq!(app.count("service_tasks").await, 2);
}
