//! Sign-in, sessions, API tokens, cookies with CSRF, the first-start set-up link, the demo
//! tenant and the server's own endpoints.

mod common;
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn bearer_and_cookie_sessions_end_at_logout() {
    let s = Server::start();
    let r = s
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "admin", "password": ADMIN_PASSWORD})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let token = r.body["token"].as_str().unwrap().to_string();
    let csrf = r.body["csrf_token"].as_str().unwrap().to_string();
    let cookies: Vec<String> = r
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let session_cookie = cookies
        .iter()
        .find(|c| c.starts_with("roster_session="))
        .expect("session cookie");
    assert!(session_cookie.contains("HttpOnly") && session_cookie.contains("SameSite=Lax"));
    let cookie = format!("roster_session={token}");

    // The cookie authenticates reads; changes need the CSRF header too.
    let r = s
        .call_with(
            Method::GET,
            "/api/v1/me",
            None,
            None,
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(r.body["login"], "admin");
    let r = s
        .call_with(
            Method::POST,
            "/api/v1/tenants",
            None,
            Some(json!({"name": "Via cookie"})),
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "csrf_failed"));
    let r = s
        .call_with(
            Method::POST,
            "/api/v1/tenants",
            None,
            Some(json!({"name": "Via cookie"})),
            &[("cookie", &cookie), ("x-csrf-token", &csrf)],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);

    // Logging out ends the session for both the cookie and the bearer form.
    let other = s.admin().await;
    let r = s
        .call(Method::POST, "/api/v1/auth/logout", Some(&token), None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        s.get("/api/v1/me", &token).await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = s
        .call_with(
            Method::GET,
            "/api/v1/me",
            None,
            None,
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        s.get("/api/v1/me", &other).await.status,
        StatusCode::OK,
        "other sessions stay"
    );
}

#[tokio::test]
async fn wrong_and_unknown_logins_get_the_same_answer() {
    let s = Server::start();
    let wrong = s
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "admin", "password": "not the password"})),
        )
        .await;
    let unknown = s
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "nobody", "password": "not the password"})),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        (wrong.status, wrong.body.clone()),
        (unknown.status, unknown.body.clone())
    );
    assert_eq!(
        s.get("/api/v1/me", "rst_made-up-token").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        s.call(Method::GET, "/api/v1/me", None, None).await.code(),
        "unauthenticated"
    );
}

#[tokio::test]
async fn api_tokens_work_until_revoked() {
    let s = Server::start();
    let admin = s.admin().await;
    let r = s
        .post("/api/v1/me/tokens", &admin, json!({"name": "ci"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let api = r.body["token"].as_str().unwrap().to_string();
    let id = r.id();
    assert_eq!(s.get("/api/v1/me", &api).await.body["login"], "admin");
    let list = s.get("/api/v1/me/tokens", &admin).await;
    assert_eq!(list.body[0]["name"], "ci");
    assert!(
        !list.body.to_string().contains(&api),
        "the secret is shown once only"
    );
    let r = s
        .post(
            "/api/v1/me/tokens",
            &admin,
            json!({"name": "far", "expires_at": "2099-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(r.code(), "invalid_expiry");
    let r = s
        .post(
            "/api/v1/me/tokens",
            &admin,
            json!({"name": "past", "expires_at": "2001-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(r.code(), "invalid_expiry");
    assert_eq!(
        s.delete(&format!("/api/v1/me/tokens/{id}"), &admin)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        s.get("/api/v1/me", &api).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn first_start_prints_a_one_time_setup_link() {
    let s = Server::start_with(&[], &[]);
    // The link comes on standard output, read by another thread than the log: wait for it.
    let prefix = format!("{}/setup?token=", s.base);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let url = loop {
        let output = s.output.lock().unwrap().clone();
        if let Some(token) = output.lines().find_map(|l| l.trim().strip_prefix(&prefix)) {
            break token.to_string();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no set-up link in:\n{output}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let page = s
        .http
        .get(format!("{}/setup?token={url}", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Create password") && html.contains("Confirm password"));
    // The admin is pending until the link is used.
    let r = s
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "admin", "password": ADMIN_PASSWORD})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = s
        .call(
            Method::POST,
            "/api/v1/activate",
            None,
            Some(json!({"token": url, "password": ADMIN_PASSWORD})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["user"]["status"], "active");
    s.login("admin", ADMIN_PASSWORD).await;
    let again = s
        .call(
            Method::POST,
            "/api/v1/activate",
            None,
            Some(json!({"token": url, "password": "another password 123"})),
        )
        .await;
    assert_eq!(
        (again.status, again.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_token")
    );
    s.login("admin", ADMIN_PASSWORD).await;
    // The link never reaches the log through the request log lines.
    let log = s.output.lock().unwrap().clone();
    assert_eq!(log.matches(&url).count(), 1, "printed once, at start");
    s.assert_consistent();
}

#[tokio::test]
async fn demo_loads_a_sample_tenant() {
    let s = Server::start_with(&[("ROSTER_ADMIN_PASSWORD", ADMIN_PASSWORD)], &["--demo"]);
    let tadmin = s.login("ada.lovelace", "demo-password-2024").await;
    let users = s.get("/api/v1/users?limit=100", &tadmin).await;
    assert_eq!(users.body["items"].as_array().unwrap().len(), 20);
    let customers = s.get("/api/v1/customers", &tadmin).await;
    assert_eq!(customers.body["items"].as_array().unwrap().len(), 3);
    let groups = s.get("/api/v1/groups?q=eng", &tadmin).await;
    assert_eq!(groups.body["items"][0]["name"], "Engineering");

    // The access model answers at once: Globex's operators run its presses, but a deny keeps
    // them from writing to the Labs oven; Support only reads Line 1.
    let user_id = |login: &'static str| {
        let s = &s;
        let tadmin = &tadmin;
        async move {
            s.get(&format!("/api/v1/users?q={login}"), tadmin)
                .await
                .body["items"][0]["id"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let device = |name: &'static str| {
        let s = &s;
        let tadmin = &tadmin;
        async move {
            s.get(&format!("/api/v1/resources?q={name}"), tadmin)
                .await
                .body["items"][0]["id"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let (operator, support) = (user_id("dennis").await, user_id("ken").await);
    let (press, oven) = (device("press-1").await, device("oven-1").await);
    assert!(s.check(&tadmin, &operator, "write", &press).await);
    assert!(s.check(&tadmin, &operator, "read", &oven).await);
    assert!(!s.check(&tadmin, &operator, "write", &oven).await);
    assert!(s.check(&tadmin, &support, "read", &press).await);
    assert!(!s.check(&tadmin, &support, "write", &press).await);
    let why = s
        .post(
            "/api/v1/explain",
            &tadmin,
            serde_json::json!({"user": operator, "action": "write", "resource": oven}),
        )
        .await;
    assert_eq!(why.body["reason"], "denied");
    s.assert_consistent();
}

#[tokio::test]
async fn health_readiness_metrics_and_openapi() {
    let s = Server::start();
    for path in ["/healthz", "/readyz", "/metrics"] {
        let r = s
            .http
            .get(format!("{}{path}", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
    }
    let metrics = s
        .http
        .get(format!("{}/metrics", s.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("roster_http_requests_total{class=\"2xx\"}"));
    // The server hashed the administrator's password at start: one hash, taking some time.
    let value = |name: &str| -> f64 {
        let line = metrics
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("{name} in {metrics}"));
        line[name.len() + 1..].parse().unwrap()
    };
    assert!(value("roster_password_hash_seconds_count") >= 1.0);
    assert!(value("roster_password_hash_seconds_sum") > 0.0);
    let spec: serde_json::Value = s
        .http
        .get(format!("{}/api/openapi.json", s.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/api/v1/users",
        "/api/v1/users/{id}",
        "/api/v1/groups/{id}/members",
        "/api/v1/auth/login",
        "/api/v1/audit",
        "/api/v1/tenants",
        "/api/v1/customers",
    ] {
        assert!(
            spec["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
    let docs = s
        .http
        .get(format!("{}/api/docs/", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(docs.status(), StatusCode::OK);
    assert!(docs.text().await.unwrap().contains("swagger"));
    let r = s
        .call(Method::GET, "/api/v1/no-such-thing", None, None)
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "not_found"));
}

#[tokio::test]
async fn many_connections_are_answered_and_sigterm_stops_the_server_cleanly() {
    let mut s = Server::start();
    let admin = s.admin().await;
    let me = s.get("/api/v1/me", &admin).await.id();
    // Clients of their own, so that the requests come at once, each on a connection of its
    // own: every one is answered, about the caller (the first user the list shows).
    let asks: Vec<_> = (0..32)
        .map(|_| {
            let (base, admin) = (s.base.clone(), admin.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let mut answers = Vec::new();
                for path in ["/api/v1/me", "/api/v1/users?limit=5"] {
                    let r = client
                        .get(format!("{base}{path}"))
                        .bearer_auth(&admin)
                        .send()
                        .await
                        .unwrap();
                    answers.push((
                        path,
                        r.status(),
                        r.json::<serde_json::Value>().await.unwrap(),
                    ));
                }
                answers
            })
        })
        .collect();
    for ask in asks {
        for (path, status, body) in ask.await.unwrap() {
            assert_eq!(status, StatusCode::OK, "{path}: {body}");
            let mine = match path {
                "/api/v1/me" => &body["id"],
                _ => &body["items"][0]["id"],
            };
            assert_eq!(mine, me.as_str(), "{path}: {body}");
        }
    }
    assert!(s.terminate(), "roster exited with a failure after SIGTERM");
    assert!(
        s.output.lock().unwrap().contains("stopped"),
        "roster did not say it stopped:\n{}",
        s.output.lock().unwrap()
    );
    let refused = reqwest::Client::new()
        .get(format!("{}/healthz", s.base))
        .send()
        .await;
    assert!(refused.is_err(), "a stopped server still answered");
}
