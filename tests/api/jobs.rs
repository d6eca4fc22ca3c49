//! The scheduler (one node per job, district and period) and the newly-eligible job: follow-ups for
//! streets when a family's entitlements change.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use chrono::NaiveDate;
use nuanxin::jobs::{Every, Job, JobError, Period};
use nuanxin::state::{AppState, District};
use serde_json::json;

use crate::fixtures::zd_family;
use crate::helpers::TestApp;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

#[tokio::test]
async fn a_mother_turning_45_becomes_a_follow_up_for_her_street_once() {
    let app = TestApp::spawn().await;
    let admin = app.login("zhangdian", "admin").await;
    let street = app.login("zhangdian", "street").await;
    let street2 = app.login("zhangdian", "street2").await;
    // The mother turns 45 on 2025-06-15 (special assistance starts at 45 in Zhangdian).
    let family = app
        .create_family(
            &admin,
            &zd_family("mashang", "mashang-qiyue", 40, "19800615"),
        )
        .await;
    let district = app.app.districts.by_slug("zhangdian").expect("district");
    let access = || -> nuanxin::benefits::Access { app.app.clone().into_inner() };
    use nuanxin::benefits::newly_eligible::run;

    let first = run(access(), &district, day(2025, 6, 14))
        .await
        .expect("run");
    assert_eq!(
        (first.families, first.baselined, first.follow_ups_created),
        (1, 1, 0),
        "{first:?}"
    );
    let second = run(access(), &district, day(2025, 6, 15))
        .await
        .expect("run");
    assert_eq!(second.families_changed, 1, "{second:?}");
    assert!(second.follow_ups_created >= 2, "{second:?}");
    // Idempotent per family, change and date.
    let again = run(access(), &district, day(2025, 6, 15))
        .await
        .expect("run");
    assert_eq!(again.follow_ups_created, 0, "{again:?}");
    assert_eq!(
        app.count("follow_ups").await as u64,
        second.follow_ups_created
    );
    // The next day nothing changed: the snapshot round-trips exactly.
    let next = run(access(), &district, day(2025, 6, 16))
        .await
        .expect("run");
    assert_eq!(
        (next.families_changed, next.follow_ups_created),
        (0, 0),
        "{next:?}"
    );
    // Outside the policy's period the job compares nothing (no one "loses" everything).
    let out = run(access(), &district, day(2026, 6, 1))
        .await
        .expect("run");
    assert!(out.skipped.is_some());

    let (status, list) = app.get("/api/v1/follow-ups", Some(&street)).await;
    assert_eq!(status, 200, "{list}");
    let items = list["items"].as_array().expect("items");
    let mother = items
        .iter()
        .find(|f| f["program"] == "special_assistance" && f["person"] == "mother")
        .expect("special assistance for the mother");
    assert_eq!(mother["family_id"], family.as_str());
    assert_eq!(mother["change"], "gained");
    assert_eq!(mother["created_on"], "2025-06-15");
    assert_eq!(mother["street"], "马尚街道");
    assert!(
        mother["detail"]["summary"]
            .as_str()
            .unwrap_or("")
            .contains("母亲新符合"),
        "{mother}"
    );
    assert!(items
        .iter()
        .any(|f| f["program"] == "special_assistance" && f["person"] == "father"));

    let (status, other) = app.get("/api/v1/follow-ups", Some(&street2)).await;
    assert_eq!(
        (status, other["total"].as_i64()),
        (200, Some(0)),
        "another street sees none"
    );

    let id = mother["id"].as_str().expect("id");
    let (status, _) = app
        .post_json(
            &format!("/api/v1/follow-ups/{id}/done"),
            Some(&street2),
            &json!({}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, done) = app
        .post_json(
            &format!("/api/v1/follow-ups/{id}/done"),
            Some(&street),
            &json!({"note": "已告知并登记"}),
        )
        .await;
    assert_eq!(
        (status, done["status"].as_str()),
        (200, Some("done")),
        "{done}"
    );
    let (status, body) = app
        .post_json(
            &format!("/api/v1/follow-ups/{id}/done"),
            Some(&street),
            &json!({}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("already_done"))
    );
    let (_, open) = app
        .get("/api/v1/follow-ups?status=open", Some(&street))
        .await;
    assert_eq!(open["total"].as_u64(), Some(second.follow_ups_created - 1));
    let (_, all) = app
        .get("/api/v1/follow-ups?status=all", Some(&street))
        .await;
    let (_, done) = app
        .get("/api/v1/follow-ups?status=done", Some(&street))
        .await;
    assert_eq!(done["total"].as_u64(), Some(1));
    assert_eq!(all["total"].as_u64(), Some(second.follow_ups_created));
    let (status, body) = app
        .get("/api/v1/follow-ups?status=closed", Some(&street))
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (400, Some("status"))
    );
    assert_eq!(
        body["error"]["message"], "状态应为open、done或all",
        "{body}"
    );
}

/// A job that counts its runs, and fails while told to.
#[derive(Clone, Default)]
struct Counter {
    runs: Arc<AtomicUsize>,
    failing: Arc<AtomicBool>,
}

impl Job for Counter {
    fn name(&self) -> &'static str {
        "test_counter"
    }

    fn every(&self) -> Every {
        Every::Day
    }

    async fn run(
        &self,
        _: &Arc<AppState>,
        district: Option<&District>,
        _: &Period,
    ) -> Result<String, JobError> {
        assert!(
            district.is_some(),
            "a job per district is given its district"
        );
        self.runs.fetch_add(1, Ordering::SeqCst);
        // Long enough for a concurrent claim to meet a running one.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        if self.failing.load(Ordering::SeqCst) {
            return Err("told to fail".into());
        }
        Ok("counted".into())
    }
}

async fn run_on(node: &TestApp, job: &Counter) -> bool {
    let district = node.app.districts.by_slug("xicheng").expect("district");
    let state = node.app.clone().into_inner();
    nuanxin::jobs::run_claimed(
        &state,
        job,
        Some(&district),
        &district.slug,
        district.utc_offset(),
    )
    .await
}

async fn admin_sql(app: &TestApp, sql: &str) {
    use diesel_async::RunQueryDsl;
    diesel::sql_query(sql)
        .execute(&mut app.admin().await)
        .await
        .expect(sql);
}

#[tokio::test]
async fn a_period_is_run_by_one_node_only_and_retried_only_after_a_failure() {
    let first = TestApp::spawn().await;
    let second = first.another_node().await;
    let job = Counter::default();
    let (a, b) = tokio::join!(run_on(&first, &job), run_on(&second, &job));
    assert_eq!(
        (u8::from(a) + u8::from(b), job.runs.load(Ordering::SeqCst)),
        (1, 1)
    );
    assert!(
        !run_on(&first, &job).await,
        "a period that succeeded is not run again"
    );

    // A failed period is tried again, once it failed a while ago (jobs::RETRY_AFTER).
    admin_sql(&first, "UPDATE job_runs SET period_start = period_start - interval '1 day' WHERE job = 'test_counter'").await;
    job.failing.store(true, Ordering::SeqCst);
    assert!(run_on(&first, &job).await);
    assert!(!run_on(&second, &job).await, "retried only after a pause");
    admin_sql(
        &first,
        "UPDATE job_runs SET finished_at = now() - interval '2 minutes' WHERE job = 'test_counter'",
    )
    .await;
    job.failing.store(false, Ordering::SeqCst);
    assert!(run_on(&second, &job).await);
    assert_eq!(job.runs.load(Ordering::SeqCst), 3);

    // A run whose node died (never finished) is taken over once its lease is over, not before.
    admin_sql(
        &first,
        "UPDATE job_runs SET succeeded = NULL, finished_at = NULL WHERE job = 'test_counter'",
    )
    .await;
    assert!(
        !run_on(&first, &job).await,
        "a running period is not claimed twice"
    );
    admin_sql(
        &first,
        "UPDATE job_runs SET claimed_at = now() - interval '1 hour' WHERE job = 'test_counter'",
    )
    .await;
    assert!(run_on(&first, &job).await);

    // An earlier period never runs after a later one (a node whose clock is behind).
    admin_sql(&first, "UPDATE job_runs SET period_start = period_start + interval '1 day' WHERE job = 'test_counter'").await;
    assert!(!run_on(&first, &job).await);
    assert_eq!(job.runs.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn the_service_runs_its_jobs_and_shows_their_last_success() {
    let app = TestApp::spawn().await;
    let job = Counter::default();
    assert!(run_on(&app, &job).await);
    let at = nuanxin::jobs::last_success(&app.app.pool, "test_counter")
        .await
        .expect("read")
        .expect("succeeded");
    assert!(chrono::Utc::now() - at < chrono::Duration::seconds(10));
    // The scheduler's own jobs: sealing and mail for both districts, sessions once for the platform.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (status, metrics) = app.get("/metrics", None).await;
        assert_eq!(status, 200);
        let text = metrics.as_str().expect("text").to_owned();
        let shown = |job: &str| {
            text.lines()
                .find(|l| {
                    l.starts_with(&format!(
                        "nuanxin_job_last_success_seconds{{job=\"{job}\"}}"
                    ))
                })
                .and_then(|l| l.rsplit(' ').next())
                .and_then(|v| v.parse::<i64>().ok())
                .is_some_and(|v| v > 0)
        };
        if [
            "seal_audit",
            "send_mail",
            "purge_sessions",
            "newly_eligible",
            "test_counter",
        ]
        .iter()
        .all(|job| shown(job))
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "jobs not shown: {text}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(
        app.count("job_runs WHERE job = 'seal_audit' AND last_success_at IS NOT NULL")
            .await,
        2,
        "sealing ran for each district"
    );
    assert_eq!(
        app.count("job_runs WHERE job = 'purge_sessions' AND domain = 'platform'")
            .await,
        1
    );
}
