//! ThingsBoard: a generic role on a customer covers its sub-customers' resources; a group role
//! on an entity group covers exactly that group; a user only in `All` sees nothing; deleting a
//! group revokes its grants at once.

mod common;
use common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn generic_and_group_roles_reach_exactly_their_scope() {
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, admin) = s.tenant_with_admin(&sys, "Things").await;
    s.resource_type(&sys, "device", &["read", "write", "rpc"])
        .await;
    let customer = s
        .create(
            &admin,
            "/api/v1/customers",
            json!({"name": "Acme", "parent": tenant}),
        )
        .await;
    let sub = s
        .create(
            &admin,
            "/api/v1/customers",
            json!({"name": "Acme East", "parent": customer}),
        )
        .await;
    let sub_device = s.resource(&admin, "device", "thermo-east", &sub).await;
    let line_device = s.resource(&admin, "device", "press-1", &customer).await;
    let other_device = s.resource(&admin, "device", "press-2", &customer).await;
    let tenant_device = s.resource(&admin, "device", "gateway", &tenant).await;

    let reader = s
        .create(
            &admin,
            "/api/v1/roles",
            json!({"name": "Device reader", "owner": tenant, "permissions": ["device:read"]}),
        )
        .await;
    let operator = s
        .create(
            &admin,
            "/api/v1/roles",
            json!({"name": "Device operator", "owner": tenant, "permissions": ["device:read", "device:rpc"]}),
        )
        .await;

    // Generic role on the customer.
    let viewers = s
        .create(
            &admin,
            "/api/v1/groups",
            json!({"name": "Viewers", "owner": customer}),
        )
        .await;
    s.grant(
        &admin,
        json!({"subject": viewers, "role": reader, "scope": customer}),
    )
    .await;
    // Group role on an entity group.
    let line = s
        .create(
            &admin,
            "/api/v1/resource-groups",
            json!({"name": "Line 1", "owner": customer}),
        )
        .await;
    s.post(
        &format!("/api/v1/resource-groups/{line}/members"),
        &admin,
        json!({"resource": line_device}),
    )
    .await;
    let crew = s
        .create(
            &admin,
            "/api/v1/groups",
            json!({"name": "Line crew", "owner": customer}),
        )
        .await;
    s.grant(
        &admin,
        json!({"subject": crew, "role": operator, "scope": line}),
    )
    .await;

    let viewer = s.user(&admin, &sub, "viewer", &[&viewers]).await;
    let worker = s.user(&admin, &customer, "worker", &[&crew]).await;
    let plain = s.user(&admin, &customer, "plain", &[]).await;

    assert!(
        s.check(&admin, &viewer, "read", &sub_device).await,
        "sub-customer covered"
    );
    assert!(s.check(&admin, &viewer, "read", &line_device).await);
    assert!(
        !s.check(&admin, &viewer, "read", &tenant_device).await,
        "above the customer"
    );
    assert!(!s.check(&admin, &viewer, "write", &sub_device).await);
    assert!(s.check(&admin, &worker, "rpc", &line_device).await);
    assert!(
        !s.check(&admin, &worker, "rpc", &other_device).await,
        "exactly the group"
    );
    for d in [&sub_device, &line_device, &other_device, &tenant_device] {
        assert!(
            !s.check(&admin, &plain, "read", d).await,
            "All alone gives nothing"
        );
    }

    // The plain user, signed in, sees no resource and no other user.
    let plain_token = s.login("plain", PASSWORD).await;
    let seen = s.get("/api/v1/resources", &plain_token).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert_eq!(seen.body["items"], json!([]));
    let users = s.get("/api/v1/users", &plain_token).await;
    assert_eq!(
        users.body["items"].as_array().unwrap().len(),
        1,
        "only themselves"
    );

    // Deleting a group revokes its grants at once.
    let del = s.delete(&format!("/api/v1/groups/{viewers}"), &admin).await;
    assert_eq!(del.status, StatusCode::NO_CONTENT, "{}", del.body);
    assert!(!s.check(&admin, &viewer, "read", &sub_device).await);
    let left = s
        .get(&format!("/api/v1/grants?subject={viewers}"), &admin)
        .await;
    assert_eq!(left.body["items"], json!([]));
    s.assert_consistent();
}
