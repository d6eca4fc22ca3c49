use crate::helpers::TestApp;

#[tokio::test]
async fn liveness_and_readiness_report_database_and_cache() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/healthz", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
    let (status, body) = app.get("/readyz", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["database"], "up");
    assert_eq!(body["cache"]["kind"], "redis");
    assert_eq!(body["cache"]["status"], "up");
}

#[tokio::test]
async fn metrics_count_requests_by_route_not_by_path() {
    let app = TestApp::spawn().await;
    let token = app.login("xicheng", "admin").await;
    let id = uuid::Uuid::new_v4();
    let _ = app
        .get(&format!("/api/v1/families/{id}"), Some(&token))
        .await;
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("nuanxin_http_requests_total{method=\"GET\",route=\"/api/v1/families/{id}\",status=\"404\"} 1"), "{text}");
    assert!(
        !text.contains(&id.to_string()),
        "identifiers must not reach metrics"
    );
    assert!(text.contains("nuanxin_http_request_duration_seconds_bucket"));
    assert!(
        text.contains("nuanxin_near_families{state=\"kept\"} 0"),
        "a family not found is not kept: {text}"
    );
}

#[tokio::test]
async fn every_api_route_is_in_the_openapi_document() {
    let app = TestApp::spawn().await;
    let (status, doc) = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(status, 200);
    let paths = doc["paths"].as_object().expect("paths");
    for route in [
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/auth/me",
        "/api/v1/families",
        "/api/v1/families/{id}",
        "/api/v1/families/{id}/exit",
        "/api/v1/families/{id}/history",
        "/api/v1/families/{id}/entitlements",
        "/api/v1/families/import",
        "/api/v1/families/export",
        "/api/v1/policy/evaluate",
        "/api/v1/org-units",
        "/api/v1/audit/verify",
        "/api/v1/platform/tenants",
        "/api/v1/platform/tenants/configured",
        "/api/v1/benefits/cycles",
        "/api/v1/benefits/cycles/{id}",
        "/api/v1/benefits/cycles/{id}/entries",
        "/api/v1/benefits/cycles/{id}/payment-list",
        "/api/v1/benefits/entries/{action}",
        "/api/v1/benefits/entries/{id}/{action}",
        "/api/v1/benefits/forecast",
        "/api/v1/policy/impact",
        "/api/v1/follow-ups",
        "/api/v1/follow-ups/{id}/done",
        "/api/v1/helpers",
        "/api/v1/pairings/candidates",
        "/api/v1/pairings/enrolments",
        "/api/v1/pairings",
        "/api/v1/pairings/{id}/check-ins",
        "/api/v1/pairings/{id}/withdraw",
        "/api/v1/pairings/{id}/pauses",
        "/api/v1/pairings/{id}/emergencies",
        "/api/v1/check-in-alerts",
        "/api/v1/check-in-alerts/{id}/acknowledge",
        "/api/v1/sharing/rules",
        "/api/v1/data-requests",
        "/api/v1/data-requests/{id}",
        "/api/v1/data-requests/{id}/approve",
        "/api/v1/data-requests/{id}/reject",
        "/api/v1/data-releases",
        "/api/v1/data-releases/{id}",
        "/api/v1/data-releases/{id}/records",
        "/api/v1/data-releases/{id}/aggregate",
        "/api/v1/data-releases/{id}/export",
        "/api/v1/data-releases/{id}/revoke",
        "/api/v1/verifications",
        "/api/v1/families/{id}/access-log",
        "/api/v1/families/{id}/sharing-consents",
        "/api/v1/families/{id}/sharing-consents/withdraw",
        "/api/v1/volunteers",
        "/api/v1/volunteers/import",
        "/api/v1/volunteers/hours",
        "/api/v1/volunteers/hours/export",
        "/api/v1/volunteers/{id}",
        "/api/v1/service-tasks",
        "/api/v1/service-tasks/{id}",
        "/api/v1/service-tasks/{id}/cancel",
        "/api/v1/service-tasks/runs",
        "/api/v1/task-proposals",
        "/api/v1/task-proposals/runs",
        "/api/v1/task-proposals/{id}/dismiss",
        "/api/v1/service-tasks/runs/{id}",
        "/api/v1/service-tasks/offers",
        "/api/v1/service-tasks/offers/{id}/accept",
        "/api/v1/service-tasks/offers/{id}/decline",
        "/api/v1/service-tasks/offers/{id}/assign",
        "/api/v1/service-tasks/offers/{id}/check-in",
        "/api/v1/service-tasks/offers/{id}/check-out",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(paths.contains_key(route), "{route} is not documented");
    }
}

#[tokio::test]
async fn the_console_speaks_chinese() {
    let app = TestApp::spawn().await;
    let html = app
        .client
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("登录") && html.contains("暖心"), "{html}");
}
