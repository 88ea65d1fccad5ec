//! The VoIP monitoring console's access panel: per group, Select / Allow / Deny per service.
//! A deny wins over an allow from another group; a user with no group entry is denied.

mod common;
use common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_deny_in_one_group_beats_an_allow_in_another() {
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, admin) = s.tenant_with_admin(&sys, "Voip").await;
    s.resource_type(&sys, "service", &["use"]).await;
    let cdr = s.resource(&admin, "service", "CDR", &tenant).await;
    let pcap = s.resource(&admin, "service", "PCAP", &tenant).await;
    let log = s.resource(&admin, "service", "Log", &tenant).await;

    let support = s
        .create(
            &admin,
            "/api/v1/groups",
            json!({"name": "Support", "owner": tenant}),
        )
        .await;
    let capture = s
        .create(
            &admin,
            "/api/v1/groups",
            json!({"name": "Capture", "owner": tenant}),
        )
        .await;
    // Support's access panel: CDR Allow, PCAP Deny, Log left at "Select" (no entry).
    s.grant(
        &admin,
        json!({"subject": support, "permissions": ["service:use"], "scope": cdr}),
    )
    .await;
    let deny = s
        .grant(
            &admin,
            json!({"subject": support, "permissions": ["service:use"], "scope": pcap, "effect": "deny"}),
        )
        .await;
    s.grant(
        &admin,
        json!({"subject": capture, "permissions": ["service:use"], "scope": pcap}),
    )
    .await;

    let both = s.user(&admin, &tenant, "both", &[&support, &capture]).await;
    let capture_only = s.user(&admin, &tenant, "capture-only", &[&capture]).await;
    let nobody = s.user(&admin, &tenant, "nobody", &[]).await;

    assert!(s.check(&admin, &both, "use", &cdr).await);
    assert!(!s.check(&admin, &both, "use", &pcap).await, "the deny wins");
    assert!(
        !s.check(&admin, &both, "use", &log).await,
        "no entry: no access"
    );
    assert!(s.check(&admin, &capture_only, "service:use", &pcap).await);
    assert!(!s.check(&admin, &nobody, "use", &cdr).await);

    // Explain names the deny that won and the allow it overrode, with the group and since when.
    let ex = s
        .post(
            "/api/v1/explain",
            &admin,
            json!({"user": both, "action": "use", "resource": pcap}),
        )
        .await;
    assert_eq!(ex.status, StatusCode::OK, "{}", ex.body);
    assert_eq!(ex.body["allowed"], false);
    assert_eq!(ex.body["reason"], "denied");
    assert_eq!(ex.body["overridden_by"][0]["grant"], deny);
    assert_eq!(ex.body["overridden_by"][0]["group"], support);
    assert!(ex.body["overridden_by"][0]["member_since"].is_string());
    assert_eq!(ex.body["path"][0]["group"], capture);
    assert_eq!(ex.body["path"][0]["permission"], "service:use");
    let none = s
        .post(
            "/api/v1/explain",
            &admin,
            json!({"user": nobody, "action": "use", "resource": cdr}),
        )
        .await;
    assert_eq!(none.body["reason"], "nothing_grants");

    // The batch form answers in order.
    let batch = s
        .post(
            "/api/v1/check/batch",
            &admin,
            json!({"checks": [
                {"user": both, "action": "use", "resource": cdr},
                {"user": both, "action": "use", "resource": pcap},
                {"user": capture_only, "action": "use", "resource": pcap},
            ]}),
        )
        .await;
    assert_eq!(batch.body["results"], json!([true, false, true]));

    // Effective permissions list what reaches the user, per scope.
    let eff = s
        .get(
            &format!("/api/v1/users/{both}/effective-permissions"),
            &admin,
        )
        .await;
    assert_eq!(eff.status, StatusCode::OK, "{}", eff.body);
    let items = eff.body["items"].as_array().unwrap();
    assert!(items
        .iter()
        .any(|i| i["scope"] == pcap && i["effect"] == "deny" && i["via_group"] == support));
    assert!(items
        .iter()
        .any(|i| i["scope"] == cdr && i["effect"] == "allow"));

    // A user asks about themselves; about others they may not read, the answer is "no".
    let own = s.login("nobody", PASSWORD).await;
    assert!(
        !s.check(&own, &both, "use", &cdr).await,
        "not theirs to ask"
    );
    let both_token = s.login("both", PASSWORD).await;
    assert!(s.check(&both_token, &both, "use", &cdr).await);
    s.assert_consistent();
}
