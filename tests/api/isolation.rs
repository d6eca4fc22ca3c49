//! Tenant isolation: by the application's scopes, and by row-level security on its own.

use diesel::sql_types::Text;
use diesel_async::{AnsiTransactionManager, RunQueryDsl, TransactionManager};

use crate::fixtures::family_body;
use crate::helpers::TestApp;

#[derive(diesel::QueryableByName, Debug)]
struct Row {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    tenant_id: nuanxin_ids::TenantId,
}

#[tokio::test]
async fn row_level_security_alone_stops_a_cross_tenant_read() {
    let app = TestApp::spawn().await;
    let xicheng = app.login("xicheng", "admin").await;
    app.create_family(&xicheng, &family_body("xinjiekou", "xinjiekou-1", 1))
        .await;
    let zhangdian_id = app.tenant_id("zhangdian").await;
    let xicheng_id = app.tenant_id("xicheng").await;

    let mut conn = app.app_role().await;
    // The query forgets its tenant filter entirely.
    let unfiltered = "SELECT tenant_id FROM families";
    AnsiTransactionManager::begin_transaction(&mut conn)
        .await
        .unwrap();
    diesel::sql_query("SELECT set_config('app.tenant_id', $1, true)")
        .bind::<Text, _>(zhangdian_id.to_string())
        .execute(&mut conn)
        .await
        .unwrap();
    let rows: Vec<Row> = diesel::sql_query(unfiltered).load(&mut conn).await.unwrap();
    assert!(
        rows.is_empty(),
        "Zhangdian's transaction sees Xicheng's family: {rows:?}"
    );
    let members: Vec<Row> = diesel::sql_query("SELECT tenant_id FROM family_members")
        .load(&mut conn)
        .await
        .unwrap();
    assert!(members.is_empty());
    AnsiTransactionManager::commit_transaction(&mut conn)
        .await
        .unwrap();

    // No tenant set at all: nothing.
    let rows: Vec<Row> = diesel::sql_query(unfiltered).load(&mut conn).await.unwrap();
    assert!(rows.is_empty(), "no tenant set must see nothing");

    // The setting was transaction-local: it did not stay on the connection.
    AnsiTransactionManager::begin_transaction(&mut conn)
        .await
        .unwrap();
    diesel::sql_query("SELECT set_config('app.tenant_id', $1, true)")
        .bind::<Text, _>(xicheng_id.to_string())
        .execute(&mut conn)
        .await
        .unwrap();
    let rows: Vec<Row> = diesel::sql_query(unfiltered).load(&mut conn).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].tenant_id, xicheng_id);
    // Writing a row for another tenant is refused too.
    let err = diesel::sql_query("UPDATE families SET tenant_id = $1::uuid")
        .bind::<Text, _>(zhangdian_id.to_string())
        .execute(&mut conn)
        .await;
    assert!(
        err.is_err(),
        "moving a row to another tenant must fail the policy check"
    );
}

#[derive(diesel::QueryableByName)]
struct RoleFlags {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    rolsuper: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    rolbypassrls: bool,
}

#[tokio::test]
async fn the_application_role_is_neither_superuser_nor_exempt_from_row_security() {
    let app = TestApp::spawn().await;
    let mut conn = app.admin().await;
    let flags: RoleFlags = diesel::sql_query(
        "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = 'nuanxin_app'",
    )
    .get_result(&mut conn)
    .await
    .unwrap();
    assert!(!flags.rolsuper && !flags.rolbypassrls);
    #[derive(diesel::QueryableByName)]
    struct Forced {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let unforced: Forced = diesel::sql_query(
        "SELECT count(*) AS n FROM pg_class c JOIN information_schema.columns col ON col.table_name = c.relname \
         WHERE col.column_name = 'tenant_id' AND col.table_schema = 'public' AND c.relkind = 'r' \
         AND NOT (c.relrowsecurity AND c.relforcerowsecurity)",
    )
    .get_result(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        unforced.n, 0,
        "every table with tenant_id has forced row-level security"
    );
}

#[tokio::test]
async fn another_districts_family_is_not_found() {
    let app = TestApp::spawn().await;
    let xicheng = app.login("xicheng", "admin").await;
    let id = app
        .create_family(&xicheng, &family_body("xinjiekou", "xinjiekou-1", 2))
        .await;
    let zhangdian = app.login("zhangdian", "admin").await;
    for path in [
        format!("/api/v1/families/{id}"),
        format!("/api/v1/families/{id}/history"),
        format!("/api/v1/families/{id}/entitlements"),
    ] {
        let (status, body) = app.get(&path, Some(&zhangdian)).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert_eq!(body["error"]["code"], "not_found");
    }
    let (status, _) = app
        .put_json(
            &format!("/api/v1/families/{id}"),
            Some(&zhangdian),
            &family_body("mashang", "mashang-2", 2),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .post_json(
            &format!("/api/v1/families/{id}/exit"),
            Some(&zhangdian),
            &serde_json::json!({"reason": "moved_away"}),
        )
        .await;
    assert_eq!(status, 404);
    let (_, list) = app
        .get("/api/v1/families?status=all", Some(&zhangdian))
        .await;
    assert_eq!(list["total"], 0);
    // And it is untouched.
    let (_, family) = app
        .get(&format!("/api/v1/families/{id}"), Some(&xicheng))
        .await;
    assert_eq!(family["status"], "active");
    assert_eq!(family["version"], 1);
}

#[tokio::test]
async fn street_staff_see_only_their_streets_families_and_community_workers_their_community() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let own_1 = app
        .create_family(&admin, &family_body("xinjiekou", "xinjiekou-1", 3))
        .await;
    let own_2 = app
        .create_family(&admin, &family_body("xinjiekou", "xinjiekou-2", 4))
        .await;
    let other = app
        .create_family(&admin, &family_body("yuetan", "yuetan-1", 5))
        .await;

    let street = app.login("xicheng", "street").await;
    let (_, list) = app.get("/api/v1/families", Some(&street)).await;
    let ids: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(list["total"], 2);
    assert!(ids.contains(&own_1.as_str()) && ids.contains(&own_2.as_str()));
    assert_eq!(
        app.get(&format!("/api/v1/families/{other}"), Some(&street))
            .await
            .0,
        404
    );
    assert_eq!(
        app.get(&format!("/api/v1/families/{own_1}"), Some(&street))
            .await
            .0,
        200
    );
    // Filtering by the other street does not widen the scope.
    let (_, list) = app
        .get("/api/v1/families?street=yuetan", Some(&street))
        .await;
    assert_eq!(list["total"], 0);

    let community = app.login("xicheng", "community").await;
    let (_, list) = app.get("/api/v1/families", Some(&community)).await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], own_1.as_str());
    assert_eq!(
        app.get(&format!("/api/v1/families/{own_2}"), Some(&community))
            .await
            .0,
        404
    );

    // Street staff may not register a family on another street, nor move one there.
    let (status, body) = app
        .post_json(
            "/api/v1/families",
            Some(&street),
            &family_body("yuetan", "yuetan-2", 6),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "street");
    let (status, body) = app
        .put_json(
            &format!("/api/v1/families/{own_1}"),
            Some(&street),
            &family_body("yuetan", "yuetan-2", 3),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "outside_scope");
}

#[tokio::test]
async fn an_assigned_scope_reaches_exactly_the_households_given_and_only_while_in_force() {
    use nuanxin_db::models::assignment::{end_assignments, NewAssignment};
    use nuanxin_db::models::family::{FamilyFilter, FamilyRecord, Scope};
    use nuanxin_db::pool::TenantTx;

    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let volunteer = app.login("xicheng", "volunteer").await;
    let given = app
        .create_family(&admin, &family_body("xinjiekou", "xinjiekou-1", 61))
        .await;
    let other = app
        .create_family(&admin, &family_body("xinjiekou", "xinjiekou-1", 62))
        .await;
    let (_, me) = app.get("/api/v1/auth/me", Some(&volunteer)).await;
    let user: nuanxin_ids::UserId = me["user_id"].as_str().unwrap().parse().unwrap();
    let tenant = app.tenant_id("xicheng").await;
    let given: nuanxin_ids::FamilyId = given.parse().unwrap();
    let other: nuanxin_ids::FamilyId = other.parse().unwrap();
    let task = uuid::Uuid::new_v4();
    let scope = Scope::Assigned {
        user,
        org_unit: None,
    };
    let pool = &app.app.pool;
    let visible = |id| async move {
        let mut tx = TenantTx::begin(pool, tenant).await.unwrap();
        let found = FamilyRecord::find(&mut tx, scope, id).await.unwrap();
        tx.commit().await.unwrap();
        found.is_some()
    };
    assert!(!visible(given).await, "nothing is assigned yet");

    let mut tx = TenantTx::begin(pool, tenant).await.unwrap();
    NewAssignment {
        tenant_id: tenant,
        source: "task",
        source_id: task,
        family_id: given,
        user_id: Some(user),
        org_unit_id: None,
    }
    .grant(&mut tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert!(visible(given).await);
    assert!(!visible(other).await, "only the household given");
    let mut tx = TenantTx::begin(pool, tenant).await.unwrap();
    let (listed, total) = FamilyRecord::list(
        &mut tx,
        scope,
        &FamilyFilter {
            limit: 50,
            ..FamilyFilter::default()
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(total, 1);
    assert_eq!(listed[0].family.id, given);
    // The same user id in another district reaches nothing (row-level security and the tenant).
    let zhangdian = app.tenant_id("zhangdian").await;
    let mut tx = TenantTx::begin(pool, zhangdian).await.unwrap();
    assert!(FamilyRecord::find(&mut tx, scope, given)
        .await
        .unwrap()
        .is_none());
    tx.commit().await.unwrap();

    // The work ends: so does the access.
    let mut tx = TenantTx::begin(pool, tenant).await.unwrap();
    end_assignments(&mut tx, "task", task, chrono::Utc::now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(!visible(given).await);
    // And a volunteer's own role may still not read the register directly.
    assert_eq!(
        app.get(&format!("/api/v1/families/{given}"), Some(&volunteer))
            .await
            .0,
        403
    );
}
