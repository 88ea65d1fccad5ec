//! Failed logins are throttled per account and per client address; the count is atomic, and
//! the reply never tells whether a login exists or is locked.

mod common;
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn attempt(s: &Server, login: &str, password: &str) -> (StatusCode, Value) {
    let r = s
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": login, "password": password})),
        )
        .await;
    (r.status, r.body)
}

async fn reasons(s: &Server, sys: &str, user: &str) -> Vec<String> {
    let r = s
        .get(
            &format!("/api/v1/audit?action=auth.login_failed&target={user}&limit=100"),
            sys,
        )
        .await;
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["summary"]["reason"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn an_account_locks_after_five_failures_and_says_nothing_more() {
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, tadmin) = s.tenant_with_admin(&sys, "Acme").await;
    let kim = s.user(&tadmin, &tenant, "kim", &[]).await;
    s.user(&tadmin, &tenant, "lee", &[]).await;

    let (_, wrong_body) = attempt(&s, "kim", "wrong password 0").await;
    for i in 1..5 {
        assert_eq!(
            attempt(&s, "kim", &format!("wrong password {i}")).await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    // The right password no longer opens the account, and the answer is the usual one.
    let (status, body) = attempt(&s, "KIM", PASSWORD).await;
    assert_eq!((status, &body), (StatusCode::UNAUTHORIZED, &wrong_body));
    // An unknown login is throttled the same way, with the same answer throughout.
    for i in 0..7 {
        let (status, body) = attempt(&s, "nobody-here", &format!("guess {i}")).await;
        assert_eq!(
            (status, body),
            (StatusCode::UNAUTHORIZED, wrong_body.clone())
        );
    }
    // Other accounts, from the same address, are not affected.
    s.login("lee", PASSWORD).await;
    let mut seen = reasons(&s, &sys, &kim).await;
    seen.sort();
    assert_eq!(
        seen,
        [
            "throttled",
            "wrong password",
            "wrong password",
            "wrong password",
            "wrong password",
            "wrong password"
        ]
    );
}

#[tokio::test]
async fn parallel_guesses_never_check_more_passwords_than_the_limit() {
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, tadmin) = s.tenant_with_admin(&sys, "Acme").await;
    let mia = s.user(&tadmin, &tenant, "mia", &[]).await;
    let guesses: Vec<_> = (0..20)
        .map(|i| {
            let (http, url) = (s.http.clone(), format!("{}/api/v1/auth/login", s.base));
            tokio::spawn(async move {
                let body = json!({"login": "mia", "password": format!("parallel guess {i}")});
                http.post(url).json(&body).send().await.map(|r| r.status())
            })
        })
        .collect();
    for guess in guesses {
        assert_eq!(guess.await.unwrap().unwrap(), StatusCode::UNAUTHORIZED);
    }
    let seen = reasons(&s, &sys, &mia).await;
    assert_eq!(seen.len(), 20);
    let checked = seen.iter().filter(|r| *r == "wrong password").count();
    assert!(checked <= 5, "{checked} passwords were checked: {seen:?}");
    assert_eq!(
        seen.iter().filter(|r| *r == "throttled").count(),
        20 - checked
    );
}

#[tokio::test]
async fn one_address_is_stopped_after_fifty_failures_but_not_by_successes() {
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, tadmin) = s.tenant_with_admin(&sys, "Acme").await;
    s.user(&tadmin, &tenant, "nora", &[]).await;
    // Many successful logins from one address (a proxy, a load test) are fine.
    for _ in 0..60 {
        s.login("nora", PASSWORD).await;
    }
    // Fifty failures spread over many logins stop the address, even for a right password.
    for i in 0..50 {
        attempt(&s, &format!("spray-{i}"), "sprayed password").await;
    }
    let (status, _) = attempt(&s, "nora", PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
