//! "Login as user": a reason, a short session naming both users, audit events naming both,
//! and the refusals that keep it safe.

mod common;
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn an_administrator_acts_as_a_user_and_the_audit_names_both() {
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, tadmin) = s.tenant_with_admin(&sys, "Acme").await;
    let tadmin_id = s.get("/api/v1/me", &tadmin).await.id();
    let olga = s.user(&tadmin, &tenant, "olga", &[]).await;

    let r = s
        .post(
            &format!("/api/v1/users/{olga}/impersonate"),
            &tadmin,
            json!({"reason": "ticket 4711: cannot see dashboard"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.headers.get("set-cookie").is_none(),
        "the administrator's browser session stays"
    );
    let token = r.body["token"].as_str().unwrap().to_string();
    let expires: chrono::DateTime<chrono::Utc> =
        r.body["expires_at"].as_str().unwrap().parse().unwrap();
    assert!(expires <= chrono::Utc::now() + chrono::Duration::minutes(30));

    let me = s.get("/api/v1/me", &token).await;
    assert_eq!(me.body["id"], json!(olga));
    assert_eq!(
        me.body["impersonator"],
        json!({"id": tadmin_id, "login": "acme-admin"})
    );
    assert!(s
        .get("/api/v1/me", &tadmin)
        .await
        .body
        .get("impersonator")
        .is_none());

    // What happens in the session is audited as olga, by the administrator.
    s.patch(
        &format!("/api/v1/users/{olga}"),
        &token,
        json!({"first_name": "Olga"}),
    )
    .await;
    let events = s
        .get(
            &format!("/api/v1/audit?target={olga}&action=user.update"),
            &tadmin,
        )
        .await;
    let e = &events.body["items"][0];
    assert_eq!(
        (e["actor"].clone(), e["impersonator"].clone()),
        (json!(olga), json!(tadmin_id))
    );
    let start = s
        .get(
            &format!("/api/v1/audit?target={olga}&action=user.impersonate"),
            &tadmin,
        )
        .await;
    assert_eq!(
        start.body["items"][0]["summary"]["reason"],
        "ticket 4711: cannot see dashboard"
    );
    assert_eq!(start.body["items"][0]["actor"], json!(tadmin_id));

    // Ending it returns to the administrator's own session, which never stopped.
    assert_eq!(
        s.call(Method::POST, "/api/v1/auth/logout", Some(&token), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        s.get("/api/v1/me", &token).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        s.get("/api/v1/me", &tadmin).await.body["id"],
        json!(tadmin_id)
    );
    s.assert_consistent();
}

#[tokio::test]
async fn impersonation_is_refused_where_it_would_be_unsafe() {
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, tadmin) = s.tenant_with_admin(&sys, "Acme").await;
    let peter = s.user(&tadmin, &tenant, "peter", &[]).await;

    // A reason is required.
    let r = s
        .post(
            &format!("/api/v1/users/{peter}/impersonate"),
            &tadmin,
            json!({"reason": "  "}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "reason_required")
    );

    // Never a system administrator.
    let root_admins = s.get("/api/v1/groups?limit=100", &sys).await.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["kind"] == "administrators" && g["name"] == "System Administrators")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let me = s.get("/api/v1/me", &sys).await.body["owner"]
        .as_str()
        .unwrap()
        .to_string();
    let other_sys = s.user(&sys, &me, "second-sysadmin", &[&root_admins]).await;
    let r = s
        .post(
            &format!("/api/v1/users/{other_sys}/impersonate"),
            &sys,
            json!({"reason": "curious"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Never someone holding rights the caller lacks: a customer's user who administers the tenant.
    let customer = s
        .post(
            "/api/v1/customers",
            &tadmin,
            json!({"name": "Globex", "parent": tenant}),
        )
        .await
        .id();
    let customer_admins = s
        .predefined_group(&tadmin, &customer, "administrators")
        .await;
    let tenant_admins = s.predefined_group(&tadmin, &tenant, "administrators").await;
    s.user(&tadmin, &customer, "globex-admin", &[&customer_admins])
        .await;
    let strong = s
        .user(&tadmin, &customer, "strong", &[&tenant_admins])
        .await;
    let cadmin = s.login("globex-admin", PASSWORD).await;
    let r = s
        .post(
            &format!("/api/v1/users/{strong}/impersonate"),
            &cadmin,
            json!({"reason": "help"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    // Never from inside an impersonation; never by an ordinary user.
    let tadmin_id = s.get("/api/v1/me", &tadmin).await.id();
    let as_tadmin = s
        .post(
            &format!("/api/v1/users/{tadmin_id}/impersonate"),
            &sys,
            json!({"reason": "audit"}),
        )
        .await;
    assert_eq!(as_tadmin.status, StatusCode::OK, "{}", as_tadmin.body);
    let nested = as_tadmin.body["token"].as_str().unwrap();
    let r = s
        .post(
            &format!("/api/v1/users/{peter}/impersonate"),
            nested,
            json!({"reason": "chain"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let peter_session = s.login("peter", PASSWORD).await;
    let r = s
        .post(
            &format!("/api/v1/users/{tadmin_id}/impersonate"),
            &peter_session,
            json!({"reason": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_session_lasts_as_long_as_configured() {
    let s = Server::start_with(
        &[
            ("ROSTER_ADMIN_PASSWORD", ADMIN_PASSWORD),
            ("ROSTER_IMPERSONATION_MINUTES", "5"),
        ],
        &[],
    );
    let sys = s.admin().await;
    let (tenant, admin) = s.tenant_with_admin(&sys, "Brief").await;
    let una = s.user(&admin, &tenant, "una", &[]).await;
    let r = s
        .post(
            &format!("/api/v1/users/{una}/impersonate"),
            &admin,
            json!({"reason": "support ticket 7"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let ends: chrono::DateTime<chrono::Utc> =
        r.body["expires_at"].as_str().unwrap().parse().unwrap();
    let left = ends - chrono::Utc::now();
    assert!(
        left > chrono::Duration::minutes(4) && left <= chrono::Duration::minutes(5),
        "ends in {left}"
    );
}

#[tokio::test]
async fn a_login_as_user_makes_nothing_that_outlives_it() {
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, tadmin) = s.tenant_with_admin(&sys, "Acme").await;
    let olga = s.user(&tadmin, &tenant, "olga", &[]).await;
    let r = s
        .post(
            &format!("/api/v1/users/{olga}/impersonate"),
            &tadmin,
            json!({"reason": "support ticket 7"}),
        )
        .await;
    let as_olga = r.body["token"].as_str().unwrap().to_string();
    let token = s
        .post("/api/v1/me/tokens", &as_olga, json!({"name": "keep me"}))
        .await;
    assert_eq!(token.status, StatusCode::FORBIDDEN, "{}", token.body);
    let password = s
        .post(
            "/api/v1/me/password",
            &as_olga,
            json!({"current_password": PASSWORD, "new_password": "the admin's choice now"}),
        )
        .await;
    // The API does not take the impersonation token there at all; the service refuses too.
    assert_eq!(
        password.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        password.body
    );
    s.login("olga", PASSWORD).await;
    let tokens = s.get("/api/v1/me/tokens", &as_olga).await;
    assert_eq!(tokens.body, json!([]));
    s.assert_consistent();
}
