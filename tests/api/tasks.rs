//! Service tasks and volunteer matching: volunteers, tasks, runs, offers from offer to check-out, what each
//! role sees, refusals per role, district, organization and volunteer, races, deadlines, no-shows and mail.

use chrono::{Duration, Utc};
use diesel_async::RunQueryDsl;
use reqwest::Method;
use serde_json::{json, Value};

use crate::fixtures::family_body;
use crate::helpers::TestApp;

/// Tomorrow in the district (UTC+8), as `YYYY-MM-DD`.
fn tomorrow() -> String {
    (Utc::now() + Duration::hours(8) + Duration::days(1))
        .format("%Y-%m-%d")
        .to_string()
}

fn all_week() -> Value {
    json!(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|d| json!({"day": d, "from": "00:00", "to": "23:59"}))
        .collect::<Vec<_>>())
}

fn volunteer_body(name: &str, username: Option<&str>, north_km: f64) -> Value {
    json!({
        "name": name,
        "username": username,
        "email": format!("{}@example.org", username.unwrap_or("nobody")),
        "skills": ["day_patrol", "psychological_comfort"],
        "qualifications": [{"code": "counselor", "expires_on": "2030-01-01"}],
        "home": {"lat": 39.94 + north_km / 111.32, "lon": 116.37},
        "availability": all_week(),
        "weekly_max": 3,
        "training": [{"course": "助老服务培训", "completed_on": "2026-05-01"}]
    })
}

fn task_body(family: &str, service: &str) -> Value {
    json!({
        "family_id": family,
        "service": service,
        "starts_at": format!("{}T09:00", tomorrow()),
        "ends_at": format!("{}T11:00", tomorrow()),
        "contact_name": "王阿姨",
        "contact_phone": "13800138000",
        "notes": "老人腿脚不便，请敲门后稍等"
    })
}

/// A district with a family of 新街口第一社区, the organization's volunteer linked to the `volunteer` account,
/// and the tokens of its people.
struct World {
    app: TestApp,
    admin: String,
    street: String,
    socialorg: String,
    volunteer: String,
    family: String,
    volunteer_id: String,
}

impl World {
    async fn new() -> World {
        let app = TestApp::spawn().await;
        let admin = app.login("xicheng", "admin").await;
        let street = app.login("xicheng", "street").await;
        let socialorg = app.login("xicheng", "socialorg").await;
        let volunteer = app.login("xicheng", "volunteer").await;
        let family = app
            .create_family(&admin, &family_body("xinjiekou", "xinjiekou-1", 1))
            .await;
        let (status, v) = app
            .post_json(
                "/api/v1/volunteers",
                Some(&socialorg),
                &volunteer_body("李志愿", Some("volunteer"), 1.2),
            )
            .await;
        assert_eq!(status, 201, "{v}");
        assert_eq!(v["organization"]["code"], "youth_league");
        let volunteer_id = v["id"].as_str().unwrap().to_owned();
        World {
            app,
            admin,
            street,
            socialorg,
            volunteer,
            family,
            volunteer_id,
        }
    }

    async fn task(&self, service: &str) -> String {
        let (status, body) = self
            .app
            .post_json(
                "/api/v1/service-tasks",
                Some(&self.street),
                &task_body(&self.family, service),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["tasks"][0]["id"].as_str().unwrap().to_owned()
    }

    async fn run(&self) -> Value {
        let (status, run) = self
            .app
            .post_json("/api/v1/service-tasks/runs", Some(&self.street), &json!({}))
            .await;
        assert_eq!(status, 201, "{run}");
        run
    }

    async fn sql(&self, statement: &str) {
        diesel::sql_query(statement)
            .execute(&mut self.app.admin().await)
            .await
            .unwrap();
    }

    /// Moves the task's window to now (so the volunteer can check in).
    async fn window_now(&self, task: &str) {
        self.sql(&format!(
            "UPDATE service_tasks SET starts_at = now() - interval '10 minutes', \
             ends_at = now() + interval '50 minutes' WHERE id = '{task}'"
        ))
        .await;
    }
}

/// The task's start as RFC 3339 UTC, the deadline's format.
async fn run_start(w: &World, task: &str) -> String {
    #[derive(diesel::QueryableByName)]
    struct Start {
        #[diesel(sql_type = diesel::sql_types::Text)]
        at: String,
    }
    let s: Start = diesel::sql_query(format!(
        "SELECT to_char(starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS at \
         FROM service_tasks WHERE id = '{task}'"
    ))
    .get_result(&mut w.app.admin().await)
    .await
    .unwrap();
    s.at
}

fn no_family_details(body: &Value) {
    let text = body.to_string();
    for word in [
        "resident_id",
        "income",
        "child",
        "birth_date",
        "history",
        "family_id",
        "测试母亲",
    ] {
        assert!(!text.contains(word), "{word} shown: {text}");
    }
}

#[tokio::test]
async fn a_task_goes_from_matching_with_reasons_to_a_report_with_hours_and_a_concern() {
    let w = World::new().await;
    let task = w.task("day_patrol").await;
    let run = w.run().await;
    assert_eq!(run["matches"].as_array().unwrap().len(), 1, "{run}");
    let m = &run["matches"][0];
    assert_eq!(m["volunteer"]["name"], "李志愿");
    assert_eq!(m["organization"]["code"], "youth_league");
    assert_eq!(
        m["reasons"], "距离1.2公里；本周尚未承担任务；近期未被邀请",
        "{m}"
    );
    let offer = m["offer_id"].as_str().unwrap().to_owned();

    // The organization sees its offer with a countdown, but not the household's address before accepting.
    let (status, offers) = w
        .app
        .get("/api/v1/service-tasks/offers", Some(&w.socialorg))
        .await;
    assert_eq!(status, 200, "{offers}");
    let seconds = offers["items"][0]["seconds_to_deadline"].as_i64().unwrap();
    // 24 hours to answer, but never past the start of the window.
    assert!(seconds > 3600 && seconds <= 24 * 3600, "{offers}");
    assert!(
        offers["items"][0]["deadline"].as_str().unwrap() <= run_start(&w, &task).await.as_str()
    );
    no_family_details(&offers);
    let (_, seen) = w
        .app
        .get(&format!("/api/v1/service-tasks/{task}"), Some(&w.socialorg))
        .await;
    assert_eq!(seen["place"], Value::Null, "{seen}");
    assert_eq!(seen["contact_phone"], Value::Null);

    let (status, accepted) = w
        .app
        .post_json(
            &format!("/api/v1/service-tasks/offers/{offer}/accept"),
            Some(&w.socialorg),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{accepted}");
    assert_eq!(accepted["status"], "accepted");
    let (_, seen) = w
        .app
        .get(&format!("/api/v1/service-tasks/{task}"), Some(&w.socialorg))
        .await;
    assert_eq!(seen["place"], "测试路1号", "{seen}");
    assert_eq!(seen["contact_name"], "王阿姨");
    assert_eq!(seen["contact_phone"], "13800138000");
    no_family_details(&seen);

    let (status, assigned) = w
        .app
        .post_json(
            &format!("/api/v1/service-tasks/offers/{offer}/assign"),
            Some(&w.socialorg),
            &json!({"volunteer_id": w.volunteer_id}),
        )
        .await;
    assert_eq!(status, 200, "{assigned}");
    assert_eq!(assigned["assigned"]["name"], "李志愿");

    // The volunteer sees their task; checking in a day early is refused.
    let (_, mine) = w.app.get("/api/v1/service-tasks", Some(&w.volunteer)).await;
    assert_eq!(mine["total"], 1, "{mine}");
    no_family_details(&mine);
    let check_in = format!("/api/v1/service-tasks/offers/{offer}/check-in");
    let (status, early) = w
        .app
        .post_json(&check_in, Some(&w.volunteer), &json!({}))
        .await;
    assert_eq!(
        (status, early["error"]["code"].as_str()),
        (409, Some("too_early"))
    );
    w.window_now(&task).await;
    let (status, _) = w
        .app
        .post_json(&check_in, Some(&w.volunteer), &json!({}))
        .await;
    assert_eq!(status, 200);
    let (status, done) = w
        .app
        .post_json(
            &format!("/api/v1/service-tasks/offers/{offer}/check-out"),
            Some(&w.volunteer),
            &json!({"report": "陪老人散步，聊天", "hours": 1.5, "concern": "老人说最近睡不好"}),
        )
        .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["hours"], "1.5");

    // The concern is a follow-up for the household's community; the task is done; the hours add up.
    let community = w.app.login("xicheng", "community").await;
    let (_, follow_ups) = w.app.get("/api/v1/follow-ups", Some(&community)).await;
    let concern = follow_ups["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["change"] == "volunteer_concern")
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(
        concern["detail"]["concerns"][0]["concern"], "老人说最近睡不好",
        "{follow_ups}"
    );
    let (_, task_now) = w
        .app
        .get(&format!("/api/v1/service-tasks/{task}"), Some(&w.street))
        .await;
    assert_eq!(task_now["status"], "done", "{task_now}");
    let today = (Utc::now() + Duration::hours(8)).format("%Y-%m-%d");
    let (status, hours) = w
        .app
        .get(
            &format!("/api/v1/volunteers/hours?from={today}&to={today}"),
            Some(&w.socialorg),
        )
        .await;
    assert_eq!(status, 200, "{hours}");
    assert_eq!(hours["volunteers"][0]["hours"], "1.5", "{hours}");
    assert_eq!(
        hours["organizations"][0]["organization"],
        "团区委（综合包户志愿服务）"
    );
    let res = w
        .app
        .client
        .get(w.app.url(&format!(
            "/api/v1/volunteers/hours/export?from={today}&to={today}"
        )))
        .bearer_auth(&w.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with(b"PK"), "an xlsx workbook");

    // Every view of the task is in the audit log.
    w.app.app.read_log.flush().await;
    let reads = w
        .app
        .count("audit_events WHERE action LIKE 'service_task.%'")
        .await;
    assert!(reads >= 5, "{reads} task reads audited");
}

#[tokio::test]
async fn an_unfilled_task_says_why_and_a_decline_re_enters_the_next_run_without_that_volunteer() {
    let w = World::new().await;
    let legal = w.task("legal_consultation").await;
    let run = w.run().await;
    assert_eq!(run["unfilled"][0]["task_id"], legal.as_str(), "{run}");
    assert_eq!(run["unfilled"][0]["why"], "无能做法律咨询的志愿者");

    let (_, other) = w
        .app
        .post_json(
            "/api/v1/volunteers",
            Some(&w.socialorg),
            &volunteer_body("赵志愿", None, 3.0),
        )
        .await;
    let patrol = w.task("day_patrol").await;
    let run = w.run().await;
    let offer = run["matches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["task_id"] == patrol.as_str())
        .unwrap()["offer_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // A decline needs its reason.
    let decline = format!("/api/v1/service-tasks/offers/{offer}/decline");
    let (status, refused) = w
        .app
        .post_json(&decline, Some(&w.socialorg), &json!({"reason": " "}))
        .await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (422, Some("reason"))
    );
    let (status, _) = w
        .app
        .post_json(
            &decline,
            Some(&w.socialorg),
            &json!({"reason": "当天人手不足"}),
        )
        .await;
    assert_eq!(status, 200);
    let run = w.run().await;
    let again: Vec<&Value> = run["matches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["task_id"] == patrol.as_str())
        .collect();
    assert_eq!(again.len(), 1, "{run}");
    assert_eq!(
        again[0]["volunteer"]["id"], other["id"],
        "matched again without the first"
    );
}

#[tokio::test]
async fn a_late_accept_is_409_and_the_deadline_job_turns_silence_into_a_decline() {
    let w = World::new().await;
    w.task("day_patrol").await;
    let run = w.run().await;
    let offer = run["matches"][0]["offer_id"].as_str().unwrap().to_owned();
    w.sql(&format!(
        "UPDATE task_offers SET deadline = now() - interval '1 minute' WHERE id = '{offer}'"
    ))
    .await;
    let (status, late) = w
        .app
        .post_json(
            &format!("/api/v1/service-tasks/offers/{offer}/accept"),
            Some(&w.socialorg),
            &json!({}),
        )
        .await;
    assert_eq!(
        (status, late["error"]["code"].as_str()),
        (409, Some("offer_expired")),
        "{late}"
    );
    let district = w.app.app.districts.by_slug("xicheng").unwrap();
    nuanxin::tasks::offers::expire_overdue(&w.app.app, &district)
        .await
        .unwrap();
    let (_, task) = w.app.get("/api/v1/service-tasks", Some(&w.street)).await;
    assert_eq!(task["items"][0]["offers"][0]["status"], "expired", "{task}");
}

#[tokio::test]
async fn a_volunteer_who_does_not_check_in_is_a_no_show_on_their_record_and_both_sides_are_told() {
    let w = World::new().await;
    w.sql(
        "UPDATE users SET email = 'socialorg@xicheng.nuanxin.local' WHERE username = 'socialorg'",
    )
    .await;
    let task = w.task("day_patrol").await;
    let run = w.run().await;
    let offer = run["matches"][0]["offer_id"].as_str().unwrap().to_owned();
    for (step, body) in [
        ("accept", json!({})),
        ("assign", json!({"volunteer_id": w.volunteer_id})),
    ] {
        let (status, b) = w
            .app
            .post_json(
                &format!("/api/v1/service-tasks/offers/{offer}/{step}"),
                Some(&w.socialorg),
                &body,
            )
            .await;
        assert_eq!(status, 200, "{step}: {b}");
    }
    w.sql(&format!(
        "UPDATE service_tasks SET starts_at = now() - interval '3 hours', \
         ends_at = now() - interval '2 hours' WHERE id = '{task}'"
    ))
    .await;
    let district = w.app.app.districts.by_slug("xicheng").unwrap();
    let n = nuanxin::tasks::offers::mark_no_shows(&w.app.app, &district)
        .await
        .unwrap();
    assert_eq!(n, 1);
    let (_, v) = w
        .app
        .get(
            &format!("/api/v1/volunteers/{}", w.volunteer_id),
            Some(&w.socialorg),
        )
        .await;
    assert_eq!(v["no_shows"], 1, "{v}");
    nuanxin::tasks::notices::flush(&w.app.app, &district)
        .await
        .unwrap();
    for to in [
        "socialorg@xicheng.nuanxin.local",
        "street@xicheng.nuanxin.local",
    ] {
        let told = w
            .app
            .count(&format!(
                "mail_outbox WHERE to_address = '{to}' AND body LIKE '%未到场%'"
            ))
            .await;
        assert_eq!(told, 1, "{to}");
    }
}

#[tokio::test]
async fn a_burst_of_offers_and_reassignments_mails_each_person_once_and_a_retry_mails_nothing() {
    let w = World::new().await;
    w.sql(
        "UPDATE users SET email = 'socialorg@xicheng.nuanxin.local' WHERE username = 'socialorg'",
    )
    .await;
    let (_, second) = w
        .app
        .post_json(
            "/api/v1/volunteers",
            Some(&w.socialorg),
            &volunteer_body("赵志愿", Some("volunteer2"), 2.0),
        )
        .await;
    let mut tasks = Vec::new();
    for service in ["day_patrol", "psychological_comfort", "day_patrol"] {
        let mut body = task_body(&w.family, service);
        body["starts_at"] = json!(format!("{}T{}:00", tomorrow(), 8 + tasks.len() * 3));
        body["ends_at"] = json!(format!("{}T{}:00", tomorrow(), 9 + tasks.len() * 3));
        let (status, b) = w
            .app
            .post_json("/api/v1/service-tasks", Some(&w.street), &body)
            .await;
        assert_eq!(status, 201, "{b}");
        tasks.push(b);
    }
    let run = w.run().await;
    let offers: Vec<String> = run["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["offer_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(offers.len(), 3, "{run}");
    let offer = &offers[0];
    w.app
        .post_json(
            &format!("/api/v1/service-tasks/offers/{offer}/accept"),
            Some(&w.socialorg),
            &json!({}),
        )
        .await;
    // Back and forth between the two volunteers, ending with the second.
    for v in [
        &w.volunteer_id,
        second["id"].as_str().unwrap(),
        &w.volunteer_id,
        second["id"].as_str().unwrap(),
    ] {
        let (status, b) = w
            .app
            .post_json(
                &format!("/api/v1/service-tasks/offers/{offer}/assign"),
                Some(&w.socialorg),
                &json!({"volunteer_id": v}),
            )
            .await;
        assert_eq!(status, 200, "{b}");
    }
    let district = w.app.app.districts.by_slug("xicheng").unwrap();
    nuanxin::tasks::notices::flush(&w.app.app, &district)
        .await
        .unwrap();
    nuanxin::tasks::notices::flush(&w.app.app, &district)
        .await
        .unwrap();
    let to_org = w
        .app
        .count("mail_outbox WHERE to_address = 'socialorg@xicheng.nuanxin.local'")
        .await;
    assert_eq!(to_org, 1, "three offers, one message");
    assert_eq!(
        w.app
            .count("mail_outbox WHERE to_address = 'volunteer2@example.org' AND body LIKE '%安排%'")
            .await,
        1
    );
    assert_eq!(
        w.app
            .count("mail_outbox WHERE to_address = 'volunteer@example.org'")
            .await,
        0,
        "the first volunteer is no longer on it"
    );
    // No address or phone in mail.
    assert_eq!(
        w.app
            .count("mail_outbox WHERE body LIKE '%测试路%' OR body LIKE '%13800138000%'")
            .await,
        0
    );
}

#[tokio::test]
async fn two_runs_at_once_never_offer_one_slot_twice_and_two_answers_at_once_apply_once() {
    let w = World::new().await;
    for i in 0..3 {
        w.app
            .post_json(
                "/api/v1/volunteers",
                Some(&w.socialorg),
                &volunteer_body(&format!("志愿者{i}"), None, 0.5 + f64::from(i)),
            )
            .await;
    }
    let task = w.task("day_patrol").await;
    let path = "/api/v1/service-tasks/runs";
    let empty = json!({});
    let (a, b) = tokio::join!(
        w.app.post_json(path, Some(&w.street), &empty),
        w.app.post_json(path, Some(&w.admin), &empty),
    );
    assert_eq!((a.0, b.0), (201, 201), "{} {}", a.1, b.1);
    let live = w
        .app
        .count(&format!(
            "task_offers WHERE task_id = '{task}' AND status = 'offered'"
        ))
        .await;
    assert_eq!(live, 1, "one slot, one offer");
    let written =
        a.1["matches"].as_array().unwrap().len() + b.1["matches"].as_array().unwrap().len();
    assert_eq!(written, 1, "only the offer written is reported");

    let offer = w
        .app
        .get("/api/v1/service-tasks/offers", Some(&w.socialorg))
        .await
        .1["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let accept = format!("/api/v1/service-tasks/offers/{offer}/accept");
    let (x, y) = tokio::join!(
        w.app.post_json(&accept, Some(&w.socialorg), &empty),
        w.app.post_json(&accept, Some(&w.socialorg), &empty),
    );
    let mut statuses = [x.0, y.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{} {}", x.1, y.1);
}

#[tokio::test]
async fn bad_input_names_the_field_and_writes_nothing() {
    let w = World::new().await;
    let mut bad = volunteer_body("钱志愿", None, 1.0);
    bad["skills"] = json!(["flying"]);
    let (status, e) = w
        .app
        .post_json("/api/v1/volunteers", Some(&w.socialorg), &bad)
        .await;
    assert_eq!(
        (status, e["error"]["field"].as_str()),
        (422, Some("skills[0]")),
        "{e}"
    );
    bad["skills"] = json!(["day_patrol"]);
    bad["availability"] = json!([{"day": "mon", "from": "12:00", "to": "09:00"}]);
    let (status, e) = w
        .app
        .post_json("/api/v1/volunteers", Some(&w.socialorg), &bad)
        .await;
    assert_eq!(
        (status, e["error"]["field"].as_str()),
        (422, Some("availability[0].to")),
        "{e}"
    );
    bad["availability"] = json!([{"day": "someday", "from": "09:00", "to": "12:00"}]);
    let (status, e) = w
        .app
        .post_json("/api/v1/volunteers", Some(&w.socialorg), &bad)
        .await;
    assert_eq!(
        (status, e["error"]["field"].as_str()),
        (400, Some("availability[0].day")),
        "{e}"
    );

    let mut task = task_body(&w.family, "day_patrol");
    task["ends_at"] = json!(format!("{}T08:00", tomorrow()));
    let (status, e) = w
        .app
        .post_json("/api/v1/service-tasks", Some(&w.street), &task)
        .await;
    assert_eq!(
        (status, e["error"]["field"].as_str()),
        (422, Some("ends_at")),
        "{e}"
    );
    let mut task = task_body(&w.family, "day_patrol");
    task["repeat_weekly_until"] = json!("2099-01-01");
    let (status, e) = w
        .app
        .post_json("/api/v1/service-tasks", Some(&w.street), &task)
        .await;
    assert_eq!(
        (status, e["error"]["field"].as_str()),
        (422, Some("repeat_weekly_until")),
        "{e}"
    );
    assert_eq!(
        w.app.count("service_tasks").await,
        0,
        "nothing half-written"
    );

    // A weekly rule makes its occurrences in one go.
    let mut weekly = task_body(&w.family, "household_pairing");
    let until = (Utc::now() + Duration::hours(8) + Duration::days(22))
        .format("%Y-%m-%d")
        .to_string();
    weekly["repeat_weekly_until"] = json!(until);
    let (status, made) = w
        .app
        .post_json("/api/v1/service-tasks", Some(&w.street), &weekly)
        .await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["tasks"].as_array().unwrap().len(), 4, "{made}");
    assert_eq!(made["tasks"][0]["long_term"], true);

    w.task("day_patrol").await;
    let run = w.run().await;
    let offer = run["matches"][0]["offer_id"].as_str().unwrap().to_owned();
    w.app
        .post_json(
            &format!("/api/v1/service-tasks/offers/{offer}/accept"),
            Some(&w.socialorg),
            &json!({}),
        )
        .await;
    w.app
        .post_json(
            &format!("/api/v1/service-tasks/offers/{offer}/assign"),
            Some(&w.socialorg),
            &json!({"volunteer_id": w.volunteer_id}),
        )
        .await;
    let task_id = run["matches"][0]["task_id"].as_str().unwrap().to_owned();
    w.window_now(&task_id).await;
    w.app
        .post_json(
            &format!("/api/v1/service-tasks/offers/{offer}/check-in"),
            Some(&w.volunteer),
            &json!({}),
        )
        .await;
    let (status, e) = w
        .app
        .post_json(
            &format!("/api/v1/service-tasks/offers/{offer}/check-out"),
            Some(&w.volunteer),
            &json!({"report": "送餐", "hours": 1.3}),
        )
        .await;
    assert_eq!(
        (status, e["error"]["field"].as_str()),
        (422, Some("hours")),
        "{e}"
    );
}

/// Every endpoint of the module, by who may call it (others get 403).
struct Case {
    method: Method,
    path: &'static str,
    allowed: &'static [&'static str],
}

const ROLES: [&str; 7] = [
    "admin",
    "street",
    "community",
    "bureau",
    "socialorg",
    "volunteer",
    "operator",
];

fn cases() -> Vec<Case> {
    let get = |path, allowed| Case {
        method: Method::GET,
        path,
        allowed,
    };
    let post = |path, allowed| Case {
        method: Method::POST,
        path,
        allowed,
    };
    vec![
        get("/api/v1/volunteers", &["admin", "street", "socialorg"]),
        post("/api/v1/volunteers", &["admin", "street", "socialorg"]),
        get(
            "/api/v1/volunteers/{volunteer}",
            &["admin", "street", "socialorg"],
        ),
        Case {
            method: Method::PUT,
            path: "/api/v1/volunteers/{volunteer}",
            allowed: &["admin", "street", "socialorg"],
        },
        get(
            "/api/v1/volunteers/hours?from=2026-01-01&to=2026-12-31",
            &["admin", "street", "socialorg"],
        ),
        get(
            "/api/v1/service-tasks",
            &["admin", "street", "community", "socialorg", "volunteer"],
        ),
        post("/api/v1/service-tasks", &["admin", "street", "community"]),
        get(
            "/api/v1/service-tasks/{task}",
            &["admin", "street", "community", "socialorg", "volunteer"],
        ),
        post("/api/v1/service-tasks/runs", &["admin", "street"]),
        get("/api/v1/service-tasks/runs/{run}", &["admin", "street"]),
        get("/api/v1/service-tasks/offers", &["socialorg", "volunteer"]),
        post(
            "/api/v1/service-tasks/offers/{offer}/accept",
            &["socialorg", "volunteer"],
        ),
        post(
            "/api/v1/service-tasks/offers/{offer}/decline",
            &["socialorg", "volunteer"],
        ),
        post(
            "/api/v1/service-tasks/offers/{offer}/assign",
            &["socialorg"],
        ),
        post(
            "/api/v1/service-tasks/offers/{offer}/check-in",
            &["volunteer"],
        ),
        post(
            "/api/v1/service-tasks/offers/{offer}/check-out",
            &["volunteer"],
        ),
        post(
            "/api/v1/service-tasks/{task}/cancel",
            &["admin", "street", "community"],
        ),
    ]
}

fn body_for(path: &str, w: &World) -> Value {
    if path.ends_with("/decline") || path.ends_with("/cancel") {
        json!({"reason": "无人"})
    } else if path.ends_with("/assign") {
        json!({"volunteer_id": w.volunteer_id})
    } else if path.ends_with("/check-out") {
        json!({"report": "完成", "hours": 1})
    } else if path.starts_with("/api/v1/volunteers") {
        volunteer_body("孙志愿", None, 1.0)
    } else if path == "/api/v1/service-tasks" {
        task_body(&w.family, "day_patrol")
    } else {
        json!({})
    }
}

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: &Value,
) -> (u16, Value) {
    let res = app
        .client
        .request(method, app.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// A world with one accepted and assigned offer: ids for the paths.
async fn ids(w: &World) -> (String, String, String) {
    let task = w.task("day_patrol").await;
    let run = w.run().await;
    let offer = run["matches"][0]["offer_id"].as_str().unwrap().to_owned();
    (task, run["id"].as_str().unwrap().to_owned(), offer)
}

fn fill(path: &str, w: &World, (task, run, offer): &(String, String, String)) -> String {
    path.replace("{volunteer}", &w.volunteer_id)
        .replace("{task}", task)
        .replace("{run}", run)
        .replace("{offer}", offer)
}

#[tokio::test]
async fn every_tasks_endpoint_refuses_every_role_it_is_not_for() {
    let w = World::new().await;
    let ids = ids(&w).await;
    let mut tokens = Vec::new();
    for role in ROLES {
        let token = if role == "operator" {
            w.app.login("platform", "operator").await
        } else {
            w.app.login("xicheng", role).await
        };
        tokens.push((role, token));
    }
    for case in cases() {
        for (role, token) in &tokens {
            if case.allowed.contains(role) {
                continue;
            }
            let path = fill(case.path, &w, &ids);
            let (status, body) = call(
                &w.app,
                case.method.clone(),
                &path,
                token,
                &body_for(case.path, &w),
            )
            .await;
            assert_eq!(status, 403, "{} {path} as {role}: {body}", case.method);
            assert_eq!(body["error"]["code"], "forbidden");
        }
    }
    // Nothing changed by the refused calls.
    assert_eq!(
        w.app.count("task_offers WHERE status <> 'offered'").await,
        0
    );
}

#[tokio::test]
async fn another_district_another_organization_and_another_volunteer_reach_nothing() {
    let w = World::new().await;
    let ids = ids(&w).await;
    let mut outsiders = Vec::new();
    for role in ["admin", "street", "community", "socialorg", "volunteer"] {
        outsiders.push((
            format!("zhangdian {role}"),
            w.app.login("zhangdian", role).await,
        ));
    }
    outsiders.push((
        "another organization".into(),
        w.app.login("xicheng", "socialorg2").await,
    ));
    outsiders.push((
        "another volunteer".into(),
        w.app.login("xicheng", "volunteer2").await,
    ));
    outsiders.push((
        "another street".into(),
        w.app.login("xicheng", "street2").await,
    ));
    for (who, token) in &outsiders {
        for case in cases().iter().filter(|c| c.path.contains('{')) {
            let path = fill(case.path, &w, &ids);
            let (status, body) = call(
                &w.app,
                case.method.clone(),
                &path,
                token,
                &body_for(case.path, &w),
            )
            .await;
            assert!(
                status == 404 || status == 403,
                "{} {path} as {who}: {status} {body}",
                case.method
            );
        }
        for path in [
            "/api/v1/service-tasks",
            "/api/v1/service-tasks/offers",
            "/api/v1/volunteers",
        ] {
            let (status, body) = call(&w.app, Method::GET, path, token, &Value::Null).await;
            if status == 200 {
                let empty = body["items"].as_array().is_some_and(Vec::is_empty);
                assert!(empty, "{path} as {who}: {body}");
            } else {
                assert_eq!(status, 403, "{path} as {who}: {body}");
            }
        }
    }
    assert_eq!(
        w.app.count("task_offers WHERE status <> 'offered'").await,
        0,
        "untouched"
    );
    // The district's own people do reach it.
    let (status, _) = w
        .app
        .get(
            &format!("/api/v1/service-tasks/{}", ids.0),
            Some(&w.socialorg),
        )
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_closed_task_disappears_for_the_organization_after_the_districts_days() {
    let w = World::new().await;
    let (task, _, _) = ids(&w).await;
    w.sql(&format!(
        "UPDATE service_tasks SET status = 'lapsed', closed_at = now() - interval '8 days' WHERE id = '{task}'"
    ))
    .await;
    let (status, _) = w
        .app
        .get(&format!("/api/v1/service-tasks/{task}"), Some(&w.socialorg))
        .await;
    assert_eq!(status, 404);
    let (status, _) = w
        .app
        .get(&format!("/api/v1/service-tasks/{task}"), Some(&w.street))
        .await;
    assert_eq!(status, 200, "the street keeps its record");
}

/// The offers of a task with their status, as the database holds them.
async fn offer_statuses(w: &World, task: &str) -> Vec<String> {
    #[derive(diesel::QueryableByName)]
    struct Status {
        #[diesel(sql_type = diesel::sql_types::Text)]
        status: String,
    }
    let rows: Vec<Status> = diesel::sql_query(format!(
        "SELECT status FROM task_offers WHERE task_id = '{task}' ORDER BY created_at"
    ))
    .load(&mut w.app.admin().await)
    .await
    .unwrap();
    rows.into_iter().map(|r| r.status).collect()
}

async fn post_step(w: &World, offer: &str, step: &str, token: &str, body: Value) -> (u16, Value) {
    w.app
        .post_json(
            &format!("/api/v1/service-tasks/offers/{offer}/{step}"),
            Some(token),
            &body,
        )
        .await
}

#[tokio::test]
async fn a_cancelled_task_withdraws_its_offers_tells_each_person_once_and_is_never_matched_again() {
    let w = World::new().await;
    w.sql(
        "UPDATE users SET email = 'socialorg@xicheng.nuanxin.local' WHERE username = 'socialorg'",
    )
    .await;
    let task = w.task("day_patrol").await;
    let run = w.run().await;
    let offer = run["matches"][0]["offer_id"].as_str().unwrap().to_owned();
    assert_eq!(
        post_step(&w, &offer, "accept", &w.socialorg, json!({}))
            .await
            .0,
        200
    );
    let assign = json!({"volunteer_id": w.volunteer_id});
    assert_eq!(
        post_step(&w, &offer, "assign", &w.socialorg, assign)
            .await
            .0,
        200
    );
    let district = w.app.app.districts.by_slug("xicheng").unwrap();
    // The offer and assignment mails go first, so that what follows counts the cancel alone.
    nuanxin::tasks::notices::flush(&w.app.app, &district)
        .await
        .unwrap();
    let mails_before = w.app.count("mail_outbox").await;

    let cancel = format!("/api/v1/service-tasks/{task}/cancel");
    let (status, e) = w
        .app
        .post_json(&cancel, Some(&w.street), &json!({"reason": "  "}))
        .await;
    assert_eq!(
        (status, e["error"]["field"].as_str()),
        (422, Some("reason")),
        "{e}"
    );
    let (status, _) = w.app.post_json(&cancel, Some(&w.street), &json!({})).await;
    assert_eq!(status, 422, "no reason at all");
    let street2 = w.app.login("xicheng", "street2").await;
    let (status, _) = w
        .app
        .post_json(&cancel, Some(&street2), &json!({"reason": "家属已安排"}))
        .await;
    assert_eq!(status, 404, "another street's task");
    let (status, _) = w
        .app
        .post_json(
            &cancel,
            Some(&w.socialorg),
            &json!({"reason": "家属已安排"}),
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(
        offer_statuses(&w, &task).await,
        ["assigned"],
        "nothing changed yet"
    );

    let (status, cancelled) = w
        .app
        .post_json(&cancel, Some(&w.street), &json!({"reason": "家属已安排"}))
        .await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["offers"][0]["status"], "withdrawn", "{cancelled}");
    assert_eq!(cancelled["offers"][0]["status_label"], "任务已取消");
    let (status, again) = w
        .app
        .post_json(&cancel, Some(&w.street), &json!({"reason": "家属已安排"}))
        .await;
    assert_eq!(
        (status, again["error"]["code"].as_str()),
        (409, Some("already_cancelled"))
    );
    // The volunteer can no longer check in, and the organization reaches the household no more.
    w.window_now(&task).await;
    let (status, _) = post_step(&w, &offer, "check-in", &w.volunteer, json!({})).await;
    assert_eq!(status, 409);
    assert_eq!(
        w.app
            .count(
                "family_assignments WHERE source = 'task' AND (ends_at IS NULL OR ends_at > now())"
            )
            .await,
        0
    );
    // Never matched again.
    let run = w.run().await;
    assert!(
        !run["matches"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["task_id"] == task.as_str()),
        "{run}"
    );
    // Told once each, after commit through the outbox; a second pass mails nothing.
    nuanxin::tasks::notices::flush(&w.app.app, &district)
        .await
        .unwrap();
    nuanxin::tasks::notices::flush(&w.app.app, &district)
        .await
        .unwrap();
    for to in ["socialorg@xicheng.nuanxin.local", "volunteer@example.org"] {
        let told = w
            .app
            .count(&format!(
                "mail_outbox WHERE to_address = '{to}' AND body LIKE '%已取消：家属已安排%'"
            ))
            .await;
        assert_eq!(told, 1, "{to}");
    }
    assert_eq!(w.app.count("mail_outbox").await, mails_before + 2);
}

/// A day patrol tomorrow at a time of its own for each round of a race.
async fn task_of_round(w: &World, round: u32) -> String {
    let mut body = task_body(&w.family, "day_patrol");
    body["starts_at"] = json!(format!("{}T{:02}:00", tomorrow(), 6 + round * 2));
    body["ends_at"] = json!(format!("{}T{:02}:30", tomorrow(), 6 + round * 2));
    let (status, created) = w
        .app
        .post_json("/api/v1/service-tasks", Some(&w.street), &body)
        .await;
    assert_eq!(status, 201, "{created}");
    created["tasks"][0]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_cancel_and_an_accept_at_once_never_leave_an_accepted_offer_on_a_cancelled_task() {
    let w = World::new().await;
    for round in 0..6 {
        let task = task_of_round(&w, round).await;
        let run = w.run().await;
        let offer = run["matches"][0]["offer_id"].as_str().unwrap().to_owned();
        let cancel = format!("/api/v1/service-tasks/{task}/cancel");
        let reason = json!({"reason": "老人住院"});
        let ((cancelled, _), (accepted, _)) = tokio::join!(
            w.app.post_json(&cancel, Some(&w.street), &reason),
            post_step(&w, &offer, "accept", &w.socialorg, json!({})),
        );
        assert_eq!(cancelled, 200, "round {round}: the cancel always applies");
        assert!(
            accepted == 200 || accepted == 409,
            "round {round}: {accepted}"
        );
        assert_eq!(
            offer_statuses(&w, &task).await,
            ["withdrawn"],
            "round {round}"
        );
    }
}

#[tokio::test]
async fn a_run_and_a_cancel_at_once_never_leave_a_live_offer_on_a_cancelled_task() {
    let w = World::new().await;
    for round in 0..6 {
        let task = task_of_round(&w, round).await;
        let cancel = format!("/api/v1/service-tasks/{task}/cancel");
        let (reason, nothing) = (json!({"reason": "老人住院"}), json!({}));
        let ((cancelled, _), (ran, _)) = tokio::join!(
            w.app.post_json(&cancel, Some(&w.street), &reason),
            w.app
                .post_json("/api/v1/service-tasks/runs", Some(&w.street), &nothing),
        );
        assert_eq!((cancelled, ran), (200, 201), "round {round}");
        let live: Vec<String> = offer_statuses(&w, &task)
            .await
            .into_iter()
            .filter(|s| s != "withdrawn")
            .collect();
        assert!(live.is_empty(), "round {round}: {live:?}");
    }
}

#[tokio::test]
async fn a_taken_task_gives_the_organization_and_its_volunteer_the_household_until_it_closes() {
    let w = World::new().await;
    let (_, second) = w
        .app
        .post_json(
            "/api/v1/volunteers",
            Some(&w.socialorg),
            &volunteer_body("赵志愿", Some("volunteer2"), 2.0),
        )
        .await;
    let volunteer2 = w.app.login("xicheng", "volunteer2").await;
    let task = w.task("day_patrol").await;
    let run = w.run().await;
    let offer = run["matches"][0]["offer_id"].as_str().unwrap().to_owned();
    // The shared scope: the organization reads the household's contact log only through the task.
    let log = format!("/api/v1/families/{}/contacts-log", w.family);
    assert_eq!(
        w.app.get(&log, Some(&w.socialorg)).await.0,
        404,
        "an offer alone gives nothing"
    );
    assert_eq!(
        post_step(&w, &offer, "accept", &w.socialorg, json!({}))
            .await
            .0,
        200
    );
    assert_eq!(
        w.app.get(&log, Some(&w.socialorg)).await.0,
        200,
        "accepted: the household"
    );
    assert_eq!(
        w.app.get(&log, Some(&w.volunteer)).await.0,
        404,
        "no volunteer named yet"
    );
    let assign = |v: &str| json!({"volunteer_id": v});
    assert_eq!(
        post_step(&w, &offer, "assign", &w.socialorg, assign(&w.volunteer_id))
            .await
            .0,
        200
    );
    assert_eq!(
        w.app.get(&log, Some(&w.volunteer)).await.0,
        200,
        "assigned: the volunteer"
    );
    // A reassignment moves the volunteer's access.
    let other = second["id"].as_str().unwrap();
    assert_eq!(
        post_step(&w, &offer, "assign", &w.socialorg, assign(other))
            .await
            .0,
        200
    );
    assert_eq!(
        w.app.get(&log, Some(&w.volunteer)).await.0,
        404,
        "reassigned away"
    );
    assert_eq!(w.app.get(&log, Some(&volunteer2)).await.0, 200);
    assert_eq!(
        w.app
            .count("family_assignments WHERE source = 'task'")
            .await,
        1
    );
    // Done: the access lasts the district's closed_visible_days (7) after the task closed, then ends.
    w.window_now(&task).await;
    assert_eq!(
        post_step(&w, &offer, "check-in", &volunteer2, json!({}))
            .await
            .0,
        200
    );
    let report = json!({"report": "巡视", "hours": 1});
    assert_eq!(
        post_step(&w, &offer, "check-out", &volunteer2, report)
            .await
            .0,
        200
    );
    assert_eq!(
        w.app
            .count(
                "family_assignments a JOIN service_tasks t ON t.status = 'done' \
                 WHERE a.source = 'task' AND a.ends_at = t.closed_at + interval '7 days'"
            )
            .await,
        1
    );
    assert_eq!(
        w.app.get(&log, Some(&volunteer2)).await.0,
        200,
        "still within the days"
    );
    w.sql(
        "UPDATE family_assignments SET ends_at = now() - interval '1 second' WHERE source = 'task'",
    )
    .await;
    assert_eq!(
        w.app.get(&log, Some(&volunteer2)).await.0,
        404,
        "then no longer"
    );
    assert_eq!(w.app.get(&log, Some(&w.socialorg)).await.0, 404);
}

#[tokio::test]
async fn the_demo_gives_the_organization_volunteers_open_tasks_and_offers_and_onboarding_twice_adds_nothing(
) {
    let app = TestApp::spawn().await;
    let settings = crate::helpers::test_settings(&app.database, &[]);
    let pool = nuanxin_db::pool::build_pool(&settings.app_database_url(), 2).unwrap();
    for slug in ["xicheng", "zhangdian"] {
        nuanxin::cli::onboard(&settings, &pool, slug, true)
            .await
            .unwrap();
    }
    let counts = || async {
        (
            app.count("volunteers").await,
            app.count("service_tasks").await,
            app.count("task_offers").await,
            app.count("matching_runs").await,
        )
    };
    let first = counts().await;
    assert_eq!(
        (first.0, first.1),
        (12, 8),
        "six volunteers and four tasks per district"
    );
    assert!(first.2 >= 6, "one run's offers in each district: {first:?}");
    for slug in ["xicheng", "zhangdian"] {
        nuanxin::cli::onboard(&settings, &pool, slug, true)
            .await
            .unwrap();
        let socialorg = app.login(slug, "socialorg").await;
        let (_, offers) = app
            .get("/api/v1/service-tasks/offers", Some(&socialorg))
            .await;
        assert!(
            !offers["items"].as_array().unwrap().is_empty(),
            "{slug}: the organization has offers on first login"
        );
        let (_, volunteers) = app.get("/api/v1/volunteers", Some(&socialorg)).await;
        assert_eq!(volunteers["total"], 6, "{slug}");
        let street = app.login(slug, "street").await;
        let (_, tasks) = app.get("/api/v1/service-tasks", Some(&street)).await;
        assert_eq!(
            tasks["total"], 4,
            "{slug}: the street's own families' tasks"
        );
    }
    assert_eq!(counts().await, first, "onboarding twice adds nothing");
}

/// A client that does not follow redirects, for console pages.
fn console_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A console page as the holder of the API token sees it (the console's cookie holds the same token).
async fn console_get(app: &TestApp, token: &str, path: &str) -> (u16, String) {
    let res = console_client()
        .get(app.url(path))
        .header("cookie", format!("nuanxin_session={token}"))
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// A console form sent with the session's CSRF token; the status and the redirect (or the page).
async fn console_post(
    app: &TestApp,
    token: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let csrf = nuanxin::console::csrf::token(token);
    let mut form: Vec<(&str, &str)> = vec![("csrf", &csrf)];
    form.extend_from_slice(fields);
    let res = console_client()
        .post(app.url(path))
        .header("cookie", format!("nuanxin_session={token}"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .map(str::to_owned);
    let body = res.text().await.unwrap();
    (status, location.unwrap_or(body))
}

#[tokio::test]
async fn each_tasks_page_refuses_the_roles_that_may_not_see_it_and_another_districts_ids() {
    let w = World::new().await;
    let (task, run, _) = ids(&w).await;
    let volunteer = &w.volunteer_id;
    let pages: [(String, &[&str]); 7] = [
        (
            "/console/tasks".into(),
            &["admin", "street", "community", "socialorg", "volunteer"],
        ),
        (
            "/console/tasks/new".into(),
            &["admin", "street", "community"],
        ),
        (
            format!("/console/tasks/{task}"),
            &["admin", "street", "community", "socialorg"],
        ),
        (format!("/console/tasks/runs/{run}"), &["admin", "street"]),
        (
            "/console/volunteers".into(),
            &["admin", "street", "socialorg"],
        ),
        (
            format!("/console/volunteers/{volunteer}"),
            &["admin", "socialorg"],
        ),
        (
            "/console/volunteers/hours".into(),
            &["admin", "street", "socialorg"],
        ),
    ];
    for role in [
        "admin",
        "street",
        "community",
        "bureau",
        "socialorg",
        "volunteer",
    ] {
        let token = w.app.login("xicheng", role).await;
        for (path, allowed) in &pages {
            let (status, body) = console_get(&w.app, &token, path).await;
            if allowed.contains(&role) {
                assert_eq!(status, 200, "{path} as {role}: {body}");
            } else {
                assert!(status == 403 || status == 404, "{path} as {role}: {status}");
                assert!(
                    !body.contains("王阿姨") && !body.contains("李志愿"),
                    "{path} as {role}"
                );
            }
        }
    }
    // Signed out: the sign-in page.
    let res = console_client()
        .get(w.app.url("/console/tasks"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    // Another district's people: 404 on every id, and nothing of this district on the lists.
    for role in ["admin", "street", "socialorg", "volunteer"] {
        let token = w.app.login("zhangdian", role).await;
        for (path, _) in pages.iter().filter(|(p, _)| p.contains('-')) {
            let (status, body) = console_get(&w.app, &token, path).await;
            assert!(
                status == 404 || status == 403,
                "{path} as zhangdian {role}: {status}"
            );
            assert!(!body.contains("李志愿"), "{path} as zhangdian {role}");
        }
        let (_, list) = console_get(&w.app, &token, "/console/tasks").await;
        assert!(!list.contains(&task), "zhangdian {role}: {list}");
        let (_, step) = console_post(
            &w.app,
            &token,
            &format!("/console/tasks/{task}/cancel"),
            &[("reason", "测试")],
        )
        .await;
        assert!(
            !step.contains("/console/tasks/"),
            "zhangdian {role} cancelled: {step}"
        );
    }
    // A form without its CSRF token changes nothing.
    let res = console_client()
        .post(w.app.url(&format!("/console/tasks/{task}/cancel")))
        .header("cookie", format!("nuanxin_session={}", w.street))
        .form(&[("reason", "无令牌")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(
        w.app
            .count("service_tasks WHERE status = 'cancelled'")
            .await,
        0
    );
}

#[tokio::test]
async fn the_console_forms_send_back_each_error_beside_its_field_and_write_nothing() {
    let w = World::new().await;
    let (status, page) = console_post(
        &w.app,
        &w.street,
        "/console/tasks/new",
        &[
            ("family_id", &w.family),
            ("service", "day_patrol"),
            ("starts_at", &format!("{}T11:00", tomorrow())),
            ("ends_at", &format!("{}T10:00", tomorrow())),
            ("helpers_needed", "9"),
            ("contact_name", "王阿姨"),
            ("contact_phone", "123"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{page}");
    for message in ["结束时间应晚于开始时间", "所需人数应在1至5之间"] {
        assert!(page.contains(message), "{message}: {page}");
    }
    assert!(page.contains(r#"value="王阿姨""#), "what was typed stays");
    assert_eq!(w.app.count("service_tasks").await, 0);
    // Saved: to the task's page.
    let (status, to) = console_post(
        &w.app,
        &w.street,
        "/console/tasks/new",
        &[
            ("family_id", &w.family),
            ("service", "day_patrol"),
            ("starts_at", &format!("{}T09:00", tomorrow())),
            ("ends_at", &format!("{}T10:00", tomorrow())),
            ("helpers_needed", "1"),
            ("urgency", "urgent"),
            ("contact_name", "王阿姨"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert!(
        to.starts_with("/console/tasks/") && to.ends_with("?done=created"),
        "{to}"
    );
    // A volunteer's form: a bad availability row and a missing skill, beside their fields.
    let (status, page) = console_post(
        &w.app,
        &w.socialorg,
        "/console/volunteers/new",
        &[
            ("name", "钱志愿"),
            ("weekly_max", "3"),
            ("availability.day", "mon"),
            ("availability.from", "12:00"),
            ("availability.to", "09:00"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("至少填写一项服务技能"), "{page}");
    assert!(page.contains("结束时间应晚于开始时间"), "{page}");
    assert_eq!(w.app.count("volunteers").await, 1);
    // A decline without a reason comes back on its card.
    let run = w.run().await;
    let offer = run["matches"][0]["offer_id"].as_str().unwrap().to_owned();
    let (status, page) = console_post(
        &w.app,
        &w.socialorg,
        &format!("/console/tasks/offers/{offer}/decline"),
        &[("reason", "")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        page.contains(&format!("offer-{offer}")) && page.contains("不能为空"),
        "{page}"
    );
    assert_eq!(
        offer_statuses(&w, run["matches"][0]["task_id"].as_str().unwrap()).await,
        ["offered"]
    );
    // An edit that names no account keeps the volunteer's link to theirs.
    let (status, to) = console_post(
        &w.app,
        &w.socialorg,
        &format!("/console/volunteers/{}", w.volunteer_id),
        &[
            ("name", "李志愿"),
            ("skills", "day_patrol"),
            ("weekly_max", "4"),
            ("active", "true"),
            ("availability.day", "mon"),
            ("availability.from", "08:00"),
            ("availability.to", "20:00"),
        ],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (303, "/console/volunteers?done=updated")
    );
    let (_, v) = w
        .app
        .get(
            &format!("/api/v1/volunteers/{}", w.volunteer_id),
            Some(&w.socialorg),
        )
        .await;
    assert_eq!(
        (v["has_account"].as_bool(), v["weekly_max"].as_i64()),
        (Some(true), Some(4)),
        "{v}"
    );
}

/// The three roles' work in Chromium, on a desktop and on a 390 px phone: the street creates a task
/// through the form and runs matching, the organization sees the live countdown, accepts and assigns,
/// the volunteer checks in and out with a report; screenshots in `target/screenshots/tasks-*.png`.
#[tokio::test]
async fn street_organization_and_volunteer_do_a_task_in_chromium() {
    use crate::browser::{browser, check_page, click, fill, main_text, sign_in, start_driver};
    use fantoccini::Locator;
    let w = World::new().await;
    let base = w.app.address.clone();
    let driver = start_driver().await;
    let pause = || tokio::time::sleep(std::time::Duration::from_millis(400));
    for (phone, hour) in [(false, 9), (true, 14)] {
        let kind = if phone { "phone" } else { "desktop" };
        // The street: a task through the form, then matching.
        let c = browser(&driver, phone).await;
        sign_in(&c, &base, "xicheng", "street").await;
        c.goto(&format!("{base}/console/tasks")).await.unwrap();
        check_page(&c, "tasks-street-list", phone).await;
        click(&c, "a[href='/console/tasks/new']").await;
        pause().await;
        check_page(&c, "tasks-street-new", phone).await;
        click(&c, "select[name=family_id] option:nth-child(2)").await;
        click(&c, "select[name=service] option[value=day_patrol]").await;
        let day = tomorrow();
        fantoccini::Client::execute(
            &c,
            "document.querySelector('input[name=starts_at]').value = arguments[0]; \
             document.querySelector('input[name=ends_at]').value = arguments[1];",
            vec![
                json!(format!("{day}T{hour:02}:00")),
                json!(format!("{day}T{:02}:30", hour + 1)),
            ],
        )
        .await
        .unwrap();
        fill(&c, "input[name=contact_name]", "王阿姨").await;
        fill(&c, "input[name=contact_phone]", "13800138000").await;
        fill(&c, "textarea[name=notes]", "老人腿脚不便，请敲门后稍等").await;
        click(&c, "form.task-form button[type=submit]").await;
        pause().await;
        let text = main_text(&c).await;
        assert!(
            text.contains("已创建服务任务") && text.contains("王阿姨"),
            "{text}"
        );
        check_page(&c, "tasks-street-task", phone).await;
        c.goto(&format!("{base}/console/tasks")).await.unwrap();
        click(&c, "form[action='/console/tasks/runs'] button").await;
        pause().await;
        let text = main_text(&c).await;
        assert!(
            text.contains("李志愿") && text.contains("距离1.2公里"),
            "{text}"
        );
        check_page(&c, "tasks-street-run", phone).await;
        c.close().await.unwrap();

        // The organization: the countdown runs, it accepts and assigns its volunteer.
        let c = browser(&driver, phone).await;
        sign_in(&c, &base, "xicheng", "socialorg").await;
        assert!(
            main_text(&c).await.contains("日间巡视"),
            "the home page lists the offer"
        );
        check_page(&c, "tasks-org-home", phone).await;
        c.goto(&format!("{base}/console/tasks")).await.unwrap();
        let countdown = || async {
            c.find(Locator::Css("section.offer .countdown"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        };
        let first = countdown().await;
        tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
        let later = countdown().await;
        assert!(
            later.starts_with("剩余") && later.contains('秒') && later != first,
            "{first} → {later}"
        );
        check_page(&c, "tasks-org-offers", phone).await;
        click(&c, "section.offer button.accept").await;
        pause().await;
        assert!(main_text(&c).await.contains("已接受任务"));
        click(&c, "form.assign button[type=submit]").await;
        pause().await;
        let text = main_text(&c).await;
        assert!(
            text.contains("已派志愿者") && text.contains("李志愿"),
            "{text}"
        );
        check_page(&c, "tasks-org-assigned", phone).await;
        c.goto(&format!("{base}/console/volunteers")).await.unwrap();
        check_page(&c, "tasks-org-volunteers", phone).await;
        c.goto(&format!("{base}/console/volunteers/{}", w.volunteer_id))
            .await
            .unwrap();
        check_page(&c, "tasks-org-volunteer-edit", phone).await;
        c.close().await.unwrap();

        // The volunteer: at the household now, checks in and out with a report, the hours, a concern.
        let task: String = {
            #[derive(diesel::QueryableByName)]
            struct Id {
                #[diesel(sql_type = diesel::sql_types::Text)]
                id: String,
            }
            let row: Id = diesel::sql_query(
                "SELECT t.id::text AS id FROM service_tasks t JOIN task_offers o ON o.task_id = t.id \
                 WHERE o.status = 'assigned' LIMIT 1",
            )
            .get_result(&mut w.app.admin().await)
            .await
            .unwrap();
            row.id
        };
        w.window_now(&task).await;
        let c = browser(&driver, phone).await;
        sign_in(&c, &base, "xicheng", "volunteer").await;
        check_page(&c, "tasks-volunteer-home", phone).await;
        c.goto(&format!("{base}/console/tasks")).await.unwrap();
        let text = main_text(&c).await;
        assert!(
            text.contains("王阿姨") && text.contains("测试路1号") && text.contains("13800138000"),
            "{text}"
        );
        for hidden in ["测试母亲", "身份证", "收入"] {
            assert!(!text.contains(hidden), "{hidden} shown to the volunteer");
        }
        check_page(&c, "tasks-volunteer-today", phone).await;
        click(&c, "button.check-in").await;
        pause().await;
        assert!(main_text(&c).await.contains("已签到"));
        fill(
            &c,
            "form.check-out textarea[name=report]",
            "陪老人散步，聊天",
        )
        .await;
        fill(&c, "form.check-out input[name=hours]", "1.5").await;
        fill(
            &c,
            "form.check-out textarea[name=concern]",
            "老人说最近睡不好",
        )
        .await;
        check_page(&c, "tasks-volunteer-check-out", phone).await;
        click(&c, "form.check-out button[type=submit]").await;
        pause().await;
        let text = main_text(&c).await;
        assert!(
            text.contains("已签退") && text.contains("1.5小时"),
            "{text}"
        );
        check_page(&c, "tasks-volunteer-done", phone).await;
        c.close().await.unwrap();
        assert_eq!(
            w.app.count("task_offers WHERE status = 'done'").await,
            if phone { 2 } else { 1 },
            "{kind}"
        );
    }
}
