//! Activation links, forced password change at login, changing one's own password and an
//! administrator setting one. No password or token used here may reach the server's log.

mod common;
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

fn token_of(url: &str) -> String {
    url.split("token=")
        .nth(1)
        .expect("token in link")
        .to_string()
}

#[tokio::test]
async fn activation_links_work_once_and_newer_ones_void_older() {
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, tadmin) = s.tenant_with_admin(&sys, "Acme").await;
    let r = s
        .post(
            "/api/v1/users",
            &tadmin,
            json!({"email": "new@example.com", "owner": tenant}),
        )
        .await;
    let user = r.id();
    assert_eq!(r.body["status"], "pending");

    let first = s
        .post(
            &format!("/api/v1/users/{user}/activation-link"),
            &tadmin,
            json!({}),
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let first_url = first.body["url"].as_str().unwrap().to_string();
    assert!(
        first_url.starts_with(&format!("{}/activate?token=", s.base)),
        "{first_url}"
    );
    assert!(first.body["expires_at"].is_string());
    let second = s
        .post(
            &format!("/api/v1/users/{user}/activation-link"),
            &tadmin,
            json!({}),
        )
        .await;
    let second_token = token_of(second.body["url"].as_str().unwrap());

    // Emailing needs outgoing email, which is not configured: refused, not dropped.
    let r = s
        .post(
            &format!("/api/v1/users/{user}/activation-link"),
            &tadmin,
            json!({"send": true}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "smtp_not_configured")
    );

    // The link opens a page that asks for the password twice.
    let page = s
        .http
        .get(format!("{}/activate?token={second_token}", s.base))
        .send()
        .await
        .unwrap();
    assert!(page.text().await.unwrap().contains("Confirm password"));

    // The older link is void; of two parallel redemptions of the newer one, exactly one wins.
    let activate = |token: String, password: &'static str| {
        s.call(
            Method::POST,
            "/api/v1/activate",
            None,
            Some(json!({"token": token, "password": password})),
        )
    };
    let r = activate(token_of(&first_url), "first link password").await;
    assert_eq!(r.code(), "invalid_token");
    let (a, b) = tokio::join!(
        activate(second_token.clone(), "racing password one"),
        activate(second_token.clone(), "racing password two")
    );
    let winners = [&a, &b]
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    assert_eq!(winners, 1, "{} / {}", a.body, b.body);
    let loser = if a.status == StatusCode::OK { &b } else { &a };
    assert_eq!(loser.code(), "invalid_token");
    let winner_password = if a.status == StatusCode::OK {
        "racing password one"
    } else {
        "racing password two"
    };
    s.login("new@example.com", winner_password).await;

    // Only pending users get links.
    let r = s
        .post(
            &format!("/api/v1/users/{user}/activation-link"),
            &tadmin,
            json!({}),
        )
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "not_pending"));
    assert_no_secrets_logged(&s, &[&first_url, &second_token, winner_password]);
    s.assert_consistent();
}

#[tokio::test]
async fn a_required_password_change_comes_before_anything_else() {
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, tadmin) = s.tenant_with_admin(&sys, "Acme").await;
    let r = s
        .post("/api/v1/users", &tadmin,
            json!({"login": "trudy", "owner": tenant, "password": PASSWORD, "must_change_password": true}))
        .await;
    assert_eq!(r.body["must_change_password"], true);

    let r = s
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "trudy", "password": PASSWORD})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["next"], "change_password");
    assert!(
        r.headers.get("set-cookie").is_none(),
        "no browser session yet"
    );
    let restricted = r.body["token"].as_str().unwrap().to_string();
    // The restricted token does nothing else.
    assert_eq!(
        s.get("/api/v1/me", &restricted).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        s.get("/api/v1/users", &restricted).await.status,
        StatusCode::UNAUTHORIZED
    );

    let r = s
        .post(
            "/api/v1/me/password",
            &restricted,
            json!({"current_password": PASSWORD, "new_password": "a brand new password"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.get("next").is_none());
    let session = r.body["token"].as_str().unwrap().to_string();
    assert_eq!(
        s.get("/api/v1/me", &session).await.body["must_change_password"],
        false
    );
    let r = s
        .post("/api/v1/me/password", &restricted, json!({"current_password": "a brand new password", "new_password": "yet another password"}))
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "the restricted token is spent"
    );
    let r = s
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "trudy", "password": "a brand new password"})),
        )
        .await;
    assert!(r.body.get("next").is_none(), "{}", r.body);
    assert_no_secrets_logged(&s, &[&restricted, &session, "a brand new password"]);
}

#[tokio::test]
async fn changing_your_password_needs_the_current_one_and_ends_other_sessions() {
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, tadmin) = s.tenant_with_admin(&sys, "Acme").await;
    s.user(&tadmin, &tenant, "carol", &[]).await;
    let laptop = s.login("carol", PASSWORD).await;
    let phone = s.login("carol", PASSWORD).await;

    let r = s
        .post(
            "/api/v1/me/password",
            &laptop,
            json!({"current_password": "not my password", "new_password": "carols new password"}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "wrong_password")
    );
    let r = s
        .post(
            "/api/v1/me/password",
            &laptop,
            json!({"current_password": PASSWORD, "new_password": PASSWORD}),
        )
        .await;
    assert_eq!(r.code(), "password_unchanged");
    let r = s
        .post(
            "/api/v1/me/password",
            &laptop,
            json!({"current_password": PASSWORD, "new_password": "short"}),
        )
        .await;
    assert_eq!(r.code(), "password_too_short");
    assert_eq!(
        s.get("/api/v1/me", &phone).await.status,
        StatusCode::OK,
        "failed attempts change nothing"
    );

    let r = s
        .post(
            "/api/v1/me/password",
            &laptop,
            json!({"current_password": PASSWORD, "new_password": "carols new password"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let fresh = r.body["token"].as_str().unwrap().to_string();
    assert_eq!(
        s.get("/api/v1/me", &phone).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        s.get("/api/v1/me", &laptop).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(s.get("/api/v1/me", &fresh).await.status, StatusCode::OK);
    let r = s
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "carol", "password": PASSWORD})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    s.login("carol", "carols new password").await;
    assert_no_secrets_logged(&s, &["carols new password", &fresh]);
}

#[tokio::test]
async fn administrators_set_passwords_and_can_require_a_change() {
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, tadmin) = s.tenant_with_admin(&sys, "Acme").await;
    let dave = s.user(&tadmin, &tenant, "dave", &[]).await;
    let daves_session = s.login("dave", PASSWORD).await;
    let pending = s
        .post(
            "/api/v1/users",
            &tadmin,
            json!({"login": "erin", "owner": tenant}),
        )
        .await
        .id();

    let r = s
        .post(
            &format!("/api/v1/users/{dave}/password"),
            &tadmin,
            json!({"password": "set by the admin", "must_change_password": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(
        s.get("/api/v1/me", &daves_session).await.status,
        StatusCode::UNAUTHORIZED,
        "sessions end"
    );
    let r = s
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "dave", "password": "set by the admin"})),
        )
        .await;
    assert_eq!(r.body["next"], "change_password");

    // Setting a pending user's password activates them.
    s.post(
        &format!("/api/v1/users/{pending}/password"),
        &tadmin,
        json!({"password": "erins first password"}),
    )
    .await;
    assert_eq!(
        s.get(&format!("/api/v1/users/{pending}"), &tadmin)
            .await
            .body["status"],
        "active"
    );
    s.login("erin", "erins first password").await;

    // Not for oneself, not by ordinary users, and the policy applies.
    let me = s.get("/api/v1/me", &tadmin).await.id();
    assert_eq!(
        s.post(
            &format!("/api/v1/users/{me}/password"),
            &tadmin,
            json!({"password": "my own new password"})
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let erin = s.login("erin", "erins first password").await;
    assert_eq!(
        s.post(
            &format!("/api/v1/users/{dave}/password"),
            &erin,
            json!({"password": "erin sets daves"})
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let r = s
        .post(
            &format!("/api/v1/users/{dave}/password"),
            &tadmin,
            json!({"password": "dave"}),
        )
        .await;
    assert_eq!(r.code(), "password_too_short");
    let audit = s
        .get(
            &format!("/api/v1/audit?action=user.password_set&target={dave}"),
            &tadmin,
        )
        .await;
    assert_eq!(
        audit.body["items"][0]["summary"]["must_change_password"],
        true
    );
    assert!(!audit.body.to_string().contains("set by the admin"));
    assert_no_secrets_logged(&s, &["set by the admin", "erins first password"]);
    s.assert_consistent();
}

fn assert_no_secrets_logged(s: &Server, secrets: &[&str]) {
    let log = s.output.lock().unwrap().clone();
    for secret in secrets {
        let secret = secret.split("token=").last().unwrap();
        assert!(
            !log.contains(secret),
            "the server logged a secret: {secret}"
        );
    }
}

/// roster's one-lane hash (Argon2id, 19 MiB, t=2, p=1) of [`OLD_PASSWORD`], as stored before
/// hashes had two lanes.
const OLD_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$cm9zdGVyLXRlc3Qtc2FsdA$\
                        1QCZ2UnZPqjKWrGV8HIRefjDCmz3mzvIoFgo//CzvE8";
const OLD_PASSWORD: &str = "an old one-lane password";

#[tokio::test]
async fn a_hash_with_older_parameters_is_made_again_at_the_next_login() {
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, tadmin) = s.tenant_with_admin(&sys, "Acme").await;
    let dora: roster_core::Id = s.user(&tadmin, &tenant, "dora", &[]).await.parse().unwrap();
    let store = s.open_store().await;
    let stored = |store: std::sync::Arc<dyn roster_core::store::Store>| async move {
        let mut tx = store.read().await.unwrap();
        tx.password_hash(dora).await.unwrap().unwrap()
    };
    let mut tx = store.write().await.unwrap();
    tx.set_password_hash(dora, Some(OLD_HASH)).await.unwrap();
    tx.commit().await.unwrap();

    // A wrong password leaves the old hash alone.
    let r = s
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "dora", "password": PASSWORD})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(stored(store.clone()).await, OLD_HASH);

    // The right one signs in and leaves a hash in two lanes, which signs in again.
    s.login("dora", OLD_PASSWORD).await;
    let upgraded = stored(store.clone()).await;
    assert!(
        upgraded.starts_with("$argon2id$v=19$m=19456,t=2,p=2$"),
        "{upgraded}"
    );
    s.login("dora", OLD_PASSWORD).await;
    assert_eq!(
        stored(store.clone()).await,
        upgraded,
        "made again only once"
    );

    let events = s.get("/api/v1/audit?action=auth.login", &tadmin).await;
    let rehashed: Vec<_> = events.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["summary"]["password_rehashed"] == json!(true))
        .collect();
    assert_eq!(rehashed.len(), 1, "{}", events.body);
    assert_no_secrets_logged(&s, &[OLD_PASSWORD, &upgraded]);
}
