use diesel_async::RunQueryDsl;

use crate::fixtures::family_body;
use crate::helpers::TestApp;

/// Seals and verifies the caller's district's chain through the API; the chain must hold.
async fn verified_chain(app: &TestApp, token: &str) -> serde_json::Value {
    let (status, result) = app
        .post_json(
            "/api/v1/audit/verify",
            Some(token),
            &serde_json::Value::Null,
        )
        .await;
    assert_eq!(status, 200, "{result}");
    assert_eq!(result["ok"], true, "{result}");
    result
}

#[tokio::test]
async fn every_full_read_and_change_is_audited_in_a_verifiable_chain() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let id = app
        .create_family(&admin, &family_body("xinjiekou", "xinjiekou-1", 40))
        .await;
    app.get(&format!("/api/v1/families/{id}"), Some(&admin))
        .await;
    let street = app.login("xicheng", "street").await;
    app.get(&format!("/api/v1/families/{id}"), Some(&street))
        .await;
    // Reads reach the log through its background writer.
    app.app.read_log.flush().await;

    #[derive(diesel::QueryableByName)]
    struct Event {
        #[diesel(sql_type = diesel::sql_types::Text)]
        action: String,
    }
    let mut conn = app.admin().await;
    let events: Vec<Event> = diesel::sql_query(format!(
        "SELECT action FROM audit_events WHERE object_id = '{id}' ORDER BY id"
    ))
    .load(&mut conn)
    .await
    .unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, vec!["family.create", "family.read", "family.read"]);

    let result = verified_chain(&app, &admin).await;
    assert!(result["verified"].as_u64().unwrap() >= 3);
    // Zhangdian's chain is its own.
    let z = app.login("zhangdian", "admin").await;
    let (_, other) = app
        .post_json("/api/v1/audit/verify", Some(&z), &serde_json::Value::Null)
        .await;
    assert_eq!(other["verified"], 0);
}

#[tokio::test]
async fn the_audit_log_refuses_changes_and_a_forced_edit_breaks_the_chain() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let id = app
        .create_family(&admin, &family_body("xinjiekou", "xinjiekou-1", 41))
        .await;
    app.get(&format!("/api/v1/families/{id}"), Some(&admin))
        .await;
    let (_, ok) = app
        .post_json(
            "/api/v1/audit/verify",
            Some(&admin),
            &serde_json::Value::Null,
        )
        .await;
    assert_eq!(ok["ok"], true);

    // Not even the table owner may edit or delete audit rows.
    let mut conn = app.admin().await;
    assert!(
        diesel::sql_query("UPDATE audit_events SET actor = 'someone-else'")
            .execute(&mut conn)
            .await
            .is_err()
    );
    assert!(diesel::sql_query("DELETE FROM audit_chain")
        .execute(&mut conn)
        .await
        .is_err());
    // The service's role has no UPDATE at all.
    let mut app_conn = app.app_role().await;
    assert!(diesel::sql_query("UPDATE audit_events SET actor = 'x'")
        .execute(&mut app_conn)
        .await
        .is_err());

    // Someone with full control disables the guard and rewrites history: verification finds it.
    diesel::sql_query("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
        .execute(&mut conn)
        .await
        .unwrap();
    diesel::sql_query(format!("UPDATE audit_events SET actor = 'user:forged' WHERE object_id = '{id}' AND action = 'family.read'"))
        .execute(&mut conn)
        .await
        .unwrap();
    let (_, broken) = app
        .post_json(
            "/api/v1/audit/verify",
            Some(&admin),
            &serde_json::Value::Null,
        )
        .await;
    assert_eq!(broken["ok"], false, "{broken}");
    assert!(broken["broken_at"].as_i64().is_some());
}

#[tokio::test]
async fn reads_of_several_districts_in_one_batch_are_each_recorded_in_their_own_district_in_order()
{
    let app = TestApp::spawn().await;
    let x = app.login("xicheng", "admin").await;
    let z = app.login("zhangdian", "admin").await;
    let xf = app
        .create_family(&x, &family_body("xinjiekou", "xinjiekou-1", 41))
        .await;
    let zf = app
        .create_family(&z, &family_body("mashang", "mashang-qiyue", 42))
        .await;
    // Interleaved reads of both districts reach the writer together and go out as one batch.
    let reads = [(&x, &xf), (&z, &zf), (&x, &xf), (&z, &zf), (&z, &zf)];
    for (token, id) in reads {
        let (status, _) = app
            .get(&format!("/api/v1/families/{id}"), Some(token))
            .await;
        assert_eq!(status, 200);
    }
    app.app.read_log.flush().await;

    #[derive(diesel::QueryableByName)]
    struct Read {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        tenant_id: nuanxin_ids::TenantId,
        #[diesel(sql_type = diesel::sql_types::Text)]
        object_id: String,
    }
    let mut conn = app.admin().await;
    let recorded: Vec<Read> = diesel::sql_query(
        "SELECT tenant_id, object_id FROM audit_events WHERE action = 'family.read' ORDER BY id",
    )
    .load(&mut conn)
    .await
    .unwrap();
    let (xt, zt) = (
        app.tenant_id("xicheng").await,
        app.tenant_id("zhangdian").await,
    );
    let of = |tenant| {
        recorded
            .iter()
            .filter(|r| r.tenant_id == tenant)
            .map(|r| r.object_id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(of(xt), vec![xf.clone(); 2], "Xicheng's reads in Xicheng");
    assert_eq!(
        of(zt),
        vec![zf.clone(); 3],
        "Zhangdian's reads in Zhangdian"
    );
    assert_eq!(recorded.len(), 5, "nothing recorded twice or elsewhere");

    // Each district's chain seals and verifies every event of its own, the batched reads included.
    for (token, tenant) in [(&x, xt), (&z, zt)] {
        let events = app
            .count(&format!("audit_events WHERE tenant_id = '{tenant}'"))
            .await;
        let result = verified_chain(&app, token).await;
        assert_eq!(result["verified"], events, "{result}");
    }
}

/// The batch append is one statement over any districts, in any order: every record lands in its own
/// district, in order, and is queued there for that district's chain. The service's role itself still
/// inserts in its own district only.
#[tokio::test]
async fn the_batch_append_keeps_each_districts_records_in_order_whatever_the_batchs_order() {
    let app = TestApp::spawn().await;
    let (x, z) = (
        app.tenant_id("xicheng").await,
        app.tenant_id("zhangdian").await,
    );
    let mut conn = app.app_role().await;
    diesel::sql_query(format!(
        "SELECT audit_append_all(ARRAY['{x}', '{z}', '{x}', '{x}', '{z}']::uuid[], \
            ARRAY[now(), now(), now(), now(), now()], ARRAY['t','t','t','t','t'], \
            ARRAY['test.append','test.append','test.append','test.append','test.append'], \
            ARRAY['o','o','o','o','o'], ARRAY['1','2','3','4','5'], \
            ARRAY['{{}}','{{}}','{{}}','{{}}','{{}}']::jsonb[], ARRAY[NULL,NULL,NULL,NULL,NULL]::text[])"
    ))
    .execute(&mut conn)
    .await
    .unwrap();

    #[derive(diesel::QueryableByName)]
    struct Appended {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        tenant_id: nuanxin_ids::TenantId,
        #[diesel(sql_type = diesel::sql_types::Text)]
        object_id: String,
    }
    let rows: Vec<Appended> = diesel::sql_query(
        "SELECT tenant_id, object_id FROM audit_events WHERE action = 'test.append' ORDER BY id",
    )
    .load(&mut app.admin().await)
    .await
    .unwrap();
    let of = |tenant| {
        rows.iter()
            .filter(|r| r.tenant_id == tenant)
            .map(|r| r.object_id.as_str())
            .collect::<Vec<_>>()
    };
    assert_eq!(of(x), ["1", "3", "4"]);
    assert_eq!(of(z), ["2", "5"]);
    assert_eq!(rows.len(), 5);

    // Each district's sealer finds its own records and links them into its chain.
    let linked =
        "audit_chain c JOIN audit_events e ON e.tenant_id = c.tenant_id AND e.id = c.event_id \
                  WHERE e.action = 'test.append'";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while app.count(linked).await < 5 {
        assert!(
            std::time::Instant::now() < deadline,
            "the batch's records were not all sealed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let unsealed = "audit_unsealed u JOIN audit_events e ON e.tenant_id = u.tenant_id \
                    AND e.id = u.event_id WHERE e.action = 'test.append'";
    assert_eq!(app.count(unsealed).await, 0);

    // Outside the function the service's role writes in the district it set, and nowhere else.
    let mut conn = app.app_role().await;
    diesel::sql_query(format!("SELECT set_config('app.tenant_id', '{x}', false)"))
        .execute(&mut conn)
        .await
        .unwrap();
    let insert = |tenant| {
        format!(
            "INSERT INTO audit_events (tenant_id, occurred_at, actor, action, object_type, object_id, detail) \
             VALUES ('{tenant}', now(), 't', 'test.direct', 'o', '6', '{{}}')"
        )
    };
    let refused = diesel::sql_query(insert(z)).execute(&mut conn).await;
    assert!(
        refused.is_err_and(|e| e.to_string().contains("row-level security")),
        "an event of another district is refused"
    );
    diesel::sql_query(insert(x))
        .execute(&mut conn)
        .await
        .expect("an event of the district it set");
}

/// An event's id is taken when its transaction inserts it and seen when it commits, so a long
/// transaction's event can appear behind newer ones that are already sealed: the queue the database keeps
/// of unsealed events still holds it, and the next seal links it. The queue is the database's alone.
#[tokio::test]
async fn an_event_that_commits_behind_sealed_ones_is_sealed_and_no_event_can_be_kept_out() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let tenant = app.tenant_id("xicheng").await;
    let app = &app;
    let verify = || verified_chain(app, &admin);
    let linked = |event: &str| {
        let events = format!(
            "audit_chain c JOIN audit_events e ON e.tenant_id = c.tenant_id AND e.id = c.event_id \
             WHERE e.action = '{event}'"
        );
        async move { app.count(&events).await }
    };

    let mut late = app.app_role().await;
    for statement in [
        "BEGIN".to_owned(),
        format!("SELECT set_config('app.tenant_id', '{tenant}', true)"),
        format!(
            "INSERT INTO audit_events (tenant_id, actor, action, object_type, object_id) \
             VALUES ('{tenant}', 'system:test', 'test.late', 'test', '1')"
        ),
    ] {
        diesel::sql_query(statement)
            .execute(&mut late)
            .await
            .unwrap();
    }
    app.create_family(&admin, &family_body("xinjiekou", "xinjiekou-1", 43))
        .await;
    verify().await;
    assert_eq!(
        linked("family.create").await,
        1,
        "the newer event is sealed"
    );
    assert_eq!(
        linked("test.late").await,
        0,
        "the late one is not committed yet"
    );

    diesel::sql_query("COMMIT")
        .execute(&mut late)
        .await
        .unwrap();
    let result = verify().await;
    assert_eq!(linked("test.late").await, 1, "the late event is sealed");
    let events = app
        .count(&format!("audit_events WHERE tenant_id = '{tenant}'"))
        .await;
    assert_eq!(result["verified"], events, "{result}");
    assert_eq!(
        app.count("audit_unsealed").await,
        0,
        "the queue empties as links are made"
    );

    // The service's role reads the queue but can neither empty it nor fill it.
    let mut conn = app.app_role().await;
    diesel::sql_query(format!(
        "SELECT set_config('app.tenant_id', '{tenant}', false)"
    ))
    .execute(&mut conn)
    .await
    .unwrap();
    for statement in [
        "DELETE FROM audit_unsealed".to_owned(),
        format!("INSERT INTO audit_unsealed VALUES ('{tenant}', 1)"),
    ] {
        assert!(
            diesel::sql_query(&statement)
                .execute(&mut conn)
                .await
                .is_err(),
            "{statement} is refused"
        );
    }
}
