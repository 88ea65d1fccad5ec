//! Bad input gets a 4xx with a stable code and changes nothing; no input crashes the server.

mod common;
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// One bad request: what it is, method, path, body, and the expected status and code.
type Case = (
    &'static str,
    Method,
    String,
    Option<Value>,
    StatusCode,
    &'static str,
);

/// A fingerprint of everything a tenant administrator can see change.
async fn state(s: &Server, sys: &str) -> (usize, usize, Value) {
    let users = s.get("/api/v1/users?limit=1000", sys).await.body["items"]
        .as_array()
        .unwrap()
        .len();
    let groups = s.get("/api/v1/groups?limit=1000", sys).await.body["items"]
        .as_array()
        .unwrap()
        .len();
    let audit = s.get("/api/v1/audit?limit=1", sys).await.body["items"][0]["id"].clone();
    (users, groups, audit)
}

#[tokio::test]
async fn bad_input_is_refused_with_a_stable_code_and_changes_nothing() {
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, tadmin) = s.tenant_with_admin(&sys, "Acme").await;
    let (other_tenant, other_admin) = s.tenant_with_admin(&sys, "Other").await;
    let foreign_group = s
        .post(
            "/api/v1/groups",
            &other_admin,
            json!({"name": "Theirs", "owner": other_tenant}),
        )
        .await
        .id();
    let customer = s
        .post(
            "/api/v1/customers",
            &tadmin,
            json!({"name": "C", "parent": tenant}),
        )
        .await
        .id();
    let customer_group = s
        .post(
            "/api/v1/groups",
            &tadmin,
            json!({"name": "C team", "owner": customer}),
        )
        .await
        .id();
    let user = s.user(&tadmin, &tenant, "existing", &[]).await;
    let long = "x".repeat(300);

    let cases: Vec<Case> = vec![
        (
            "empty login",
            Method::POST,
            "/api/v1/users".into(),
            Some(json!({"login": "", "owner": tenant})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "required",
        ),
        (
            "no login or email",
            Method::POST,
            "/api/v1/users".into(),
            Some(json!({"owner": tenant})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "required",
        ),
        (
            "login with space",
            Method::POST,
            "/api/v1/users".into(),
            Some(json!({"login": "a b", "owner": tenant})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_login",
        ),
        (
            "over-long login",
            Method::POST,
            "/api/v1/users".into(),
            Some(json!({"login": long, "owner": tenant})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_long",
        ),
        (
            "over-long first name",
            Method::POST,
            "/api/v1/users".into(),
            Some(json!({"login": "n1", "first_name": long, "owner": tenant})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_long",
        ),
        (
            "malformed email",
            Method::POST,
            "/api/v1/users".into(),
            Some(json!({"login": "e1", "email": "not-an-email", "owner": tenant})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_email",
        ),
        (
            "bad phone",
            Method::POST,
            "/api/v1/users".into(),
            Some(json!({"login": "p1", "phone": "call me", "owner": tenant})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_phone",
        ),
        (
            "short password",
            Method::POST,
            "/api/v1/users".into(),
            Some(json!({"login": "pw1", "password": "short", "owner": tenant})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "password_too_short",
        ),
        (
            "password with NUL",
            Method::POST,
            "/api/v1/users".into(),
            Some(json!({"login": "pw2", "password": "long enough\u{0}password", "owner": tenant})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_characters",
        ),
        (
            "login taken, other case",
            Method::POST,
            "/api/v1/users".into(),
            Some(json!({"login": "EXISTING", "owner": tenant})),
            StatusCode::CONFLICT,
            "login_taken",
        ),
        (
            "unknown owner",
            Method::POST,
            "/api/v1/users".into(),
            Some(json!({"login": "o1", "owner": "0190a3b4-0000-7000-8000-000000000000"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_owner",
        ),
        (
            "owner in another tenant",
            Method::POST,
            "/api/v1/users".into(),
            Some(json!({"login": "o2", "owner": other_tenant})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_owner",
        ),
        (
            "group of another tenant",
            Method::POST,
            "/api/v1/users".into(),
            Some(json!({"login": "g1", "owner": tenant, "groups": [foreign_group]})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_group",
        ),
        (
            "member outside the group's owner",
            Method::POST,
            "/api/v1/users".into(),
            Some(json!({"login": "g2", "owner": tenant, "groups": [customer_group]})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "member_outside_group_owner",
        ),
        (
            "unknown field",
            Method::POST,
            "/api/v1/users".into(),
            Some(json!({"login": "u1", "owner": tenant, "role": "god"})),
            StatusCode::BAD_REQUEST,
            "unknown_field",
        ),
        (
            "wrong type",
            Method::POST,
            "/api/v1/users".into(),
            Some(json!({"login": 5, "owner": tenant})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            "owner not a uuid",
            Method::POST,
            "/api/v1/users".into(),
            Some(json!({"login": "u2", "owner": "acme"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            "empty group name",
            Method::POST,
            "/api/v1/groups".into(),
            Some(json!({"name": "  ", "owner": tenant})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "required",
        ),
        (
            "group name taken",
            Method::POST,
            "/api/v1/groups".into(),
            Some(json!({"name": "c TEAM", "owner": customer})),
            StatusCode::CONFLICT,
            "name_taken",
        ),
        (
            "customer under unknown parent",
            Method::POST,
            "/api/v1/customers".into(),
            Some(json!({"name": "X", "parent": other_tenant})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_parent",
        ),
        (
            "customer name taken",
            Method::POST,
            "/api/v1/customers".into(),
            Some(json!({"name": "c", "parent": tenant})),
            StatusCode::CONFLICT,
            "name_taken",
        ),
        (
            "validity ends before it starts",
            Method::POST,
            format!("/api/v1/groups/{customer_group}/members"),
            Some(
                json!({"user": user, "valid_from": "2030-01-01T00:00:00Z", "valid_until": "2029-01-01T00:00:00Z"}),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_validity",
        ),
        (
            "bad timestamp",
            Method::POST,
            format!("/api/v1/groups/{customer_group}/members"),
            Some(json!({"user": user, "valid_from": "yesterday"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            "malformed id in path",
            Method::GET,
            "/api/v1/users/not-a-uuid".into(),
            None,
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "unknown id",
            Method::PATCH,
            "/api/v1/users/0190a3b4-0000-7000-8000-000000000000".into(),
            Some(json!({"first_name": "x"})),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "bad email in patch",
            Method::PATCH,
            format!("/api/v1/users/{user}"),
            Some(json!({"email": "@@"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_email",
        ),
        (
            "garbage cursor",
            Method::GET,
            "/api/v1/users?cursor=abc".into(),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_cursor",
        ),
        (
            "limit zero",
            Method::GET,
            "/api/v1/users?limit=0".into(),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_limit",
        ),
        (
            "limit not a number",
            Method::GET,
            "/api/v1/users?limit=lots".into(),
            None,
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "unknown status filter",
            Method::GET,
            "/api/v1/users?status=sleeping".into(),
            None,
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
    ];
    let before = state(&s, &sys).await;
    for (what, method, path, body, status, code) in cases {
        let r = s.call(method, &path, Some(&tadmin), body).await;
        assert_eq!((r.status, r.code()), (status, code), "{what}: {}", r.body);
        assert!(
            r.body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{what}: message"
        );
    }
    assert_eq!(state(&s, &sys).await, before, "nothing changed");

    // Malformed JSON, a wrong content type and an oversized body.
    let raw = |body: &'static str, ctype: &'static str| {
        s.http
            .post(format!("{}/api/v1/groups", s.base))
            .bearer_auth(&tadmin)
            .header("content-type", ctype)
            .body(body)
    };
    let r = raw("{\"name\": ", "application/json").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "malformed_json"
    );
    let r = raw("name=x", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "unsupported_media_type"
    );
    let huge = format!(
        "{{\"name\": \"{}\", \"owner\": \"{tenant}\"}}",
        "a".repeat(2 * 1024 * 1024)
    );
    let r = s
        .http
        .post(format!("{}/api/v1/groups", s.base))
        .bearer_auth(&tadmin)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let r = s
        .call_with(
            Method::PATCH,
            &format!("/api/v1/users/{user}"),
            Some(&tadmin),
            Some(json!({"first_name": "x"})),
            &[("if-match", "garbage")],
        )
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(state(&s, &sys).await, before, "nothing changed");

    // An absurdly long password is a failed login (audited), not a crash.
    let r = s
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "existing", "password": "p".repeat(200_000)})),
        )
        .await;
    assert_eq!(r.code(), "invalid_credentials");

    // The server is still up and never panicked.
    assert_eq!(
        s.http
            .get(format!("{}/healthz", s.base))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert!(!s.output.lock().unwrap().contains("panicked"));
    s.assert_consistent();
}
