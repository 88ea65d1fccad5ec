//! Nothing crosses a tenant's boundary: every id of one tenant is "not found" from the other,
//! and no list shows the other's rows.

mod common;
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn ids(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn tenants_never_see_each_other() {
    let s = Server::start();
    let sys = s.admin().await;
    let (a, a_admin) = s.tenant_with_admin(&sys, "Alpha").await;
    let (b, b_admin) = s.tenant_with_admin(&sys, "Beta").await;
    let a_group = s
        .post(
            "/api/v1/groups",
            &a_admin,
            json!({"name": "A team", "owner": a}),
        )
        .await
        .id();
    let a_user = s.user(&a_admin, &a, "alpha-user", &[&a_group]).await;
    let b_customer = s
        .post(
            "/api/v1/customers",
            &b_admin,
            json!({"name": "B customer", "parent": b}),
        )
        .await
        .id();
    let b_group = s
        .post(
            "/api/v1/groups",
            &b_admin,
            json!({"name": "B team", "owner": b}),
        )
        .await
        .id();
    let b_user = s.user(&b_admin, &b_customer, "beta-user", &[]).await;
    let b_admins = s.predefined_group(&b_admin, &b, "administrators").await;
    let b_all = s.predefined_group(&b_admin, &b, "all").await;

    // Every id of Beta, used by Alpha's administrator, is not found.
    let probes = [
        (Method::GET, format!("/api/v1/tenants/{b}"), None),
        (
            Method::PATCH,
            format!("/api/v1/tenants/{b}"),
            Some(json!({"name": "pwned"})),
        ),
        (Method::DELETE, format!("/api/v1/tenants/{b}"), None),
        (Method::GET, format!("/api/v1/customers/{b_customer}"), None),
        (
            Method::PATCH,
            format!("/api/v1/customers/{b_customer}"),
            Some(json!({"name": "pwned"})),
        ),
        (
            Method::DELETE,
            format!("/api/v1/customers/{b_customer}"),
            None,
        ),
        (Method::GET, format!("/api/v1/users/{b_user}"), None),
        (
            Method::PATCH,
            format!("/api/v1/users/{b_user}"),
            Some(json!({"enabled": false})),
        ),
        (Method::DELETE, format!("/api/v1/users/{b_user}"), None),
        (Method::GET, format!("/api/v1/groups/{b_group}"), None),
        (
            Method::PATCH,
            format!("/api/v1/groups/{b_group}"),
            Some(json!({"name": "pwned"})),
        ),
        (Method::DELETE, format!("/api/v1/groups/{b_group}"), None),
        (
            Method::GET,
            format!("/api/v1/groups/{b_group}/members"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/groups/{b_admins}/members"),
            Some(json!({"user": a_user})),
        ),
        (
            Method::DELETE,
            format!("/api/v1/groups/{b_group}/members/{b_user}"),
            None,
        ),
        (Method::GET, format!("/api/v1/groups/{b_all}/members"), None),
    ];
    for (method, path, body) in probes {
        let r = s.call(method.clone(), &path, Some(&a_admin), body).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::NOT_FOUND, "not_found"),
            "{method} {path}: {}",
            r.body
        );
    }
    // Beta's ids in Alpha's requests are unknown references.
    let r = s
        .post(
            &format!("/api/v1/groups/{a_group}/members"),
            &a_admin,
            json!({"user": b_user}),
        )
        .await;
    assert_eq!(r.code(), "unknown_user");
    let r = s
        .post(
            "/api/v1/users",
            &a_admin,
            json!({"login": "x1", "owner": a, "groups": [b_group]}),
        )
        .await;
    assert_eq!(r.code(), "unknown_group");
    let r = s
        .post(
            "/api/v1/customers",
            &a_admin,
            json!({"name": "X", "parent": b_customer}),
        )
        .await;
    assert_eq!(r.code(), "unknown_parent");
    let r = s
        .patch(
            &format!("/api/v1/users/{a_user}"),
            &a_admin,
            json!({"owner": b_customer}),
        )
        .await;
    assert_eq!(r.code(), "unknown_owner");
    let r = s
        .post("/api/v1/groups", &a_admin, json!({"name": "X", "owner": b}))
        .await;
    assert_eq!(r.code(), "unknown_owner");

    // Lists never show Beta's rows, even when filtered by Beta's ids.
    let b_ids = [
        b.clone(),
        b_customer.clone(),
        b_user.clone(),
        b_group.clone(),
        b_admins.clone(),
        b_all.clone(),
    ];
    for path in [
        "/api/v1/users?limit=1000".to_string(),
        "/api/v1/groups?limit=1000".to_string(),
        "/api/v1/customers?limit=1000".to_string(),
        "/api/v1/tenants?limit=1000".to_string(),
        format!("/api/v1/users?owner={b_customer}"),
        format!("/api/v1/users?group={b_all}"),
        format!("/api/v1/users?group={b_admins}"),
        format!("/api/v1/groups?owner={b}"),
        format!("/api/v1/groups?member={b_user}"),
    ] {
        let r = s.get(&path, &a_admin).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        let listed = ids(&r.body);
        assert!(
            listed.iter().all(|id| !b_ids.contains(id)),
            "{path} leaked {listed:?}"
        );
    }
    let tenants = ids(&s.get("/api/v1/tenants", &a_admin).await.body);
    assert_eq!(tenants, vec![a.clone()]);
    let audit = s.get("/api/v1/audit?limit=1000", &a_admin).await;
    assert!(audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["tenant"] == json!(a)));
    assert!(!audit.body.to_string().contains(&b_user));

    // Beta is intact.
    assert_eq!(
        s.get(&format!("/api/v1/users/{b_user}"), &b_admin)
            .await
            .body["status"],
        "active"
    );
    assert_eq!(
        s.get(&format!("/api/v1/groups/{b_group}"), &b_admin)
            .await
            .body["name"],
        "B team"
    );
    // The system administrator sees both.
    let all = ids(&s.get("/api/v1/tenants", &sys).await.body);
    assert!(all.contains(&a) && all.contains(&b));
    s.assert_consistent();
}
