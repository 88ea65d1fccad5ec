//! TrueCommand: read or read/write access per system and per system group, as the built-in
//! Viewer and Editor roles on a resource or a resource group.

mod common;
use common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn viewer_reads_and_editor_writes_on_every_system_of_a_group() {
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, admin) = s.tenant_with_admin(&sys, "Storage").await;
    s.resource_type(&sys, "system", &["read", "write"]).await;
    let nas1 = s.resource(&admin, "system", "nas-1", &tenant).await;
    let nas2 = s.resource(&admin, "system", "nas-2", &tenant).await;
    let nas3 = s.resource(&admin, "system", "nas-3", &tenant).await;

    let roles = s.get("/api/v1/roles", &admin).await;
    let role = |name: &str| {
        roles.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("built-in role {name}"))["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (viewer, editor) = (role("Viewer"), role("Editor"));

    let team = s
        .create(
            &admin,
            "/api/v1/groups",
            json!({"name": "Operators", "owner": tenant}),
        )
        .await;
    let alice = s.user(&admin, &tenant, "alice", &[]).await;
    let bob = s.user(&admin, &tenant, "bob", &[&team]).await;
    s.grant(
        &admin,
        json!({"subject": alice, "role": viewer, "scope": nas1}),
    )
    .await;
    let rack = s
        .create(
            &admin,
            "/api/v1/resource-groups",
            json!({"name": "Rack A", "owner": tenant}),
        )
        .await;
    let add = s
        .post(
            &format!("/api/v1/resource-groups/{rack}/members"),
            &admin,
            json!({"resource": nas2}),
        )
        .await;
    assert_eq!(add.status, StatusCode::NO_CONTENT, "{}", add.body);
    s.grant(
        &admin,
        json!({"subject": team, "role": editor, "scope": rack}),
    )
    .await;

    assert!(s.check(&admin, &alice, "read", &nas1).await);
    assert!(
        !s.check(&admin, &alice, "write", &nas1).await,
        "Viewer only reads"
    );
    assert!(!s.check(&admin, &alice, "read", &nas2).await);
    assert!(s.check(&admin, &bob, "read", &nas2).await);
    assert!(s.check(&admin, &bob, "write", &nas2).await);
    assert!(
        !s.check(&admin, &bob, "write", &nas3).await,
        "not in the group yet"
    );

    // A system added to the group later is covered at once.
    s.post(
        &format!("/api/v1/resource-groups/{rack}/members"),
        &admin,
        json!({"resource": nas3}),
    )
    .await;
    assert!(s.check(&admin, &bob, "write", &nas3).await);
    let members = s
        .get(&format!("/api/v1/resources?group={rack}"), &admin)
        .await;
    assert_eq!(members.body["items"].as_array().unwrap().len(), 2);

    // Taken out again, it is not.
    let out = s
        .delete(
            &format!("/api/v1/resource-groups/{rack}/members/{nas3}"),
            &admin,
        )
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert!(!s.check(&admin, &bob, "write", &nas3).await);

    // The explanation names the role and the resource group.
    let ex = s
        .post(
            "/api/v1/explain",
            &admin,
            json!({"user": bob, "action": "write", "resource": nas2}),
        )
        .await;
    assert_eq!(ex.body["path"][0]["role_name"], "Editor");
    assert_eq!(ex.body["path"][0]["scope"], rack);
    s.assert_consistent();
}
