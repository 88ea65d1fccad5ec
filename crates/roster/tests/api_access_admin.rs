//! roster's own administration runs on the access model: no escalation on any path, customer
//! administrators never reach tenant-level objects, bad access input changes nothing, and
//! time-bound grants and memberships take effect and lapse by themselves.

mod common;
use common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn nobody_gives_rights_they_do_not_hold() {
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, admin) = s.tenant_with_admin(&sys, "Corp").await;
    s.resource_type(&sys, "device", &["read", "write"]).await;
    let customer = s
        .create(
            &admin,
            "/api/v1/customers",
            json!({"name": "Cust", "parent": tenant}),
        )
        .await;
    let cust_admins = s
        .predefined_group(&admin, &customer, "administrators")
        .await;
    s.user(&admin, &customer, "cadmin", &[&cust_admins]).await;
    let cadmin = s.login("cadmin", PASSWORD).await;
    let tenant_admins = s.predefined_group(&admin, &tenant, "administrators").await;
    let worker = s.user(&cadmin, &customer, "worker", &[]).await;
    let tenant_user = s.user(&admin, &tenant, "top", &[]).await;

    // The customer administrator manages their customer ...
    let team = s
        .create(
            &cadmin,
            "/api/v1/groups",
            json!({"name": "Team", "owner": customer}),
        )
        .await;
    s.grant(
        &cadmin,
        json!({"subject": team, "permissions": ["device:read"], "scope": customer}),
    )
    .await;
    // ... but never reaches tenant-level objects.
    assert_eq!(
        s.get(&format!("/api/v1/users/{tenant_user}"), &cadmin)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let up = s
        .post(
            "/api/v1/users",
            &cadmin,
            json!({"login": "sneaky", "owner": tenant, "password": PASSWORD}),
        )
        .await;
    assert_eq!(up.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", up.body);
    assert_eq!(up.code(), "unknown_owner");
    let on_tenant = s
        .post(
            "/api/v1/grants",
            &cadmin,
            json!({"subject": team, "permissions": ["device:read"], "scope": tenant}),
        )
        .await;
    assert_eq!(
        on_tenant.status,
        StatusCode::FORBIDDEN,
        "{}",
        on_tenant.body
    );
    // Nor joins a group carrying tenant-wide rights (through membership) ...
    let join = s
        .post(
            &format!("/api/v1/groups/{tenant_admins}/members"),
            &cadmin,
            json!({"user": worker}),
        )
        .await;
    assert!(join.status.is_client_error(), "{}", join.body);
    // ... nor creates a user in it.
    let create = s
        .post(
            "/api/v1/users",
            &cadmin,
            json!({"login": "climber", "owner": customer, "password": PASSWORD, "groups": [tenant_admins]}),
        )
        .await;
    assert!(create.status.is_client_error(), "{}", create.body);

    // A delegate with grant:create on the customer but only device:read cannot give write.
    let delegates = s
        .create(
            &admin,
            "/api/v1/groups",
            json!({"name": "Delegates", "owner": customer}),
        )
        .await;
    s.grant(
        &admin,
        json!({"subject": delegates, "permissions": ["grant:create", "group:read", "user:read", "device:read"], "scope": customer}),
    )
    .await;
    s.user(&admin, &customer, "delegate", &[&delegates]).await;
    let delegate = s.login("delegate", PASSWORD).await;
    let ok = s
        .post(
            "/api/v1/grants",
            &delegate,
            json!({"subject": team, "permissions": ["device:read"], "scope": customer}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    let editor = s
        .post(
            "/api/v1/grants",
            &delegate,
            json!({"subject": team, "permissions": ["device:write"], "scope": customer}),
        )
        .await;
    assert_eq!(editor.status, StatusCode::FORBIDDEN, "{}", editor.body);
    let everything = s
        .post(
            "/api/v1/grants",
            &delegate,
            json!({"subject": team, "permissions": ["*:*"], "scope": customer}),
        )
        .await;
    assert_eq!(everything.status, StatusCode::FORBIDDEN);

    // The built-in grants of predefined groups stay.
    let builtin = s
        .get(&format!("/api/v1/grants?subject={tenant_admins}"), &admin)
        .await;
    let gid = builtin.body["items"][0]["id"].as_str().unwrap().to_string();
    let del = s.delete(&format!("/api/v1/grants/{gid}"), &admin).await;
    assert_eq!(del.status, StatusCode::CONFLICT);
    assert_eq!(del.code(), "builtin_grant");
    s.assert_consistent();
}

#[tokio::test]
async fn bad_access_input_gets_a_stable_code_and_changes_nothing() {
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, admin) = s.tenant_with_admin(&sys, "Corp").await;
    let (other, _) = s.tenant_with_admin(&sys, "Other").await;
    s.resource_type(&sys, "device", &["read", "write"]).await;
    let group = s
        .create(
            &admin,
            "/api/v1/groups",
            json!({"name": "G", "owner": tenant}),
        )
        .await;
    let audit_before = s.get("/api/v1/audit?limit=1000", &admin).await.body["items"]
        .as_array()
        .unwrap()
        .len();
    let cases = [
        (
            "/api/v1/roles",
            json!({"name": "R", "owner": tenant, "permissions": ["device:fly"]}),
            "unknown_action",
        ),
        (
            "/api/v1/roles",
            json!({"name": "R", "owner": tenant, "permissions": ["Device:Read!"]}),
            "malformed_permission",
        ),
        (
            "/api/v1/roles",
            json!({"name": "R", "owner": tenant, "permissions": ["robot:read"]}),
            "unknown_type",
        ),
        (
            "/api/v1/roles",
            json!({"name": "R", "owner": tenant, "permissions": []}),
            "invalid_permissions",
        ),
        (
            "/api/v1/grants",
            json!({"subject": group, "permissions": ["device:read"], "scope": other}),
            "unknown_scope",
        ),
        (
            "/api/v1/grants",
            json!({"subject": group, "permissions": ["device:read"], "scope": tenant,
            "valid_from": "2030-01-02T00:00:00Z", "valid_until": "2030-01-01T00:00:00Z"}),
            "invalid_validity",
        ),
        (
            "/api/v1/grants",
            json!({"subject": group, "scope": tenant}),
            "role_or_permissions",
        ),
        (
            "/api/v1/grants",
            json!({"subject": group, "permissions": ["device:read"], "scope": tenant, "effect": "maybe"}),
            "invalid_input",
        ),
        (
            "/api/v1/resource-types",
            json!({"name": "Bad Name", "actions": ["read"]}),
            "invalid_name",
        ),
        (
            "/api/v1/resource-types",
            json!({"name": "user", "actions": ["read"]}),
            "builtin_type",
        ),
        (
            "/api/v1/resources",
            json!({"type": "robot", "name": "r2", "owner": tenant}),
            "unknown_type",
        ),
    ];
    for (path, body, code) in cases {
        let token = if path.contains("resource-types") {
            &sys
        } else {
            &admin
        };
        let r = s.post(path, token, body.clone()).await;
        assert!(
            r.status.is_client_error(),
            "{path} {body}: {} {}",
            r.status,
            r.body
        );
        assert_eq!(r.code(), code, "{path} {body}: {}", r.body);
    }
    let audit_after = s.get("/api/v1/audit?limit=1000", &admin).await.body["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(audit_before, audit_after, "nothing changed");
    let grants = s
        .get(&format!("/api/v1/grants?subject={group}"), &admin)
        .await;
    assert_eq!(grants.body["items"], json!([]));

    // Questions about unknown users or resources are "no", never an error.
    let ghost = "01900000-0000-7000-8000-000000000000";
    assert!(!s.check(&admin, ghost, "read", &tenant).await);
    assert!(!s.check(&admin, &group, "read", ghost).await);
    let huge: Vec<_> = (0..1001)
        .map(|_| json!({"user": ghost, "action": "read", "resource": ghost}))
        .collect();
    let r = s
        .post("/api/v1/check/batch", &admin, json!({"checks": huge}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "invalid_batch");
}

#[tokio::test]
async fn time_bound_grants_and_memberships_lapse_by_themselves() {
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, admin) = s.tenant_with_admin(&sys, "Corp").await;
    s.resource_type(&sys, "device", &["read"]).await;
    let dev = s.resource(&admin, "device", "d", &tenant).await;
    let g = s
        .create(
            &admin,
            "/api/v1/groups",
            json!({"name": "Temps", "owner": tenant}),
        )
        .await;
    s.grant(
        &admin,
        json!({"subject": g, "permissions": ["device:read"], "scope": dev}),
    )
    .await;
    let u = s.user(&admin, &tenant, "temp", &[]).await;
    let until = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let r = s
        .post(
            &format!("/api/v1/groups/{g}/members"),
            &admin,
            json!({"user": u, "valid_until": until}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // A direct grant that starts in the future.
    let from = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let v = s.user(&admin, &tenant, "later", &[]).await;
    s.grant(
        &admin,
        json!({"subject": v, "permissions": ["device:read"], "scope": dev, "valid_from": from}),
    )
    .await;

    assert!(s.check(&admin, &u, "read", &dev).await);
    assert!(!s.check(&admin, &v, "read", &dev).await);
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert!(
        !s.check(&admin, &u, "read", &dev).await,
        "membership lapsed, no restart"
    );
    assert!(
        s.check(&admin, &v, "read", &dev).await,
        "grant took effect, no restart"
    );
}
