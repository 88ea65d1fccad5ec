//! Sessions: people list and end their own; administrators list and end a user's.

mod common;
use common::*;
use reqwest::StatusCode;
use serde_json::Value;

fn ids(body: &Value) -> Vec<String> {
    body.as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn people_see_and_end_their_own_sessions() {
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, tadmin) = s.tenant_with_admin(&sys, "Acme").await;
    s.user(&tadmin, &tenant, "gina", &[]).await;
    s.user(&tadmin, &tenant, "hank", &[]).await;
    let laptop = s.login("gina", PASSWORD).await;
    let phone = s.login("gina", PASSWORD).await;
    let hanks = s.login("hank", PASSWORD).await;

    let r = s.get("/api/v1/me/sessions", &laptop).await;
    assert_eq!(r.status, StatusCode::OK);
    let list = r.body.as_array().unwrap().clone();
    assert_eq!(list.len(), 2);
    assert_eq!(list.iter().filter(|x| x["current"] == true).count(), 1);
    let phone_id = list.iter().find(|x| x["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        !r.body.to_string().contains(&phone) && !r.body.to_string().contains(&laptop),
        "no secrets listed"
    );

    // Someone else's session id is not found; ending the phone leaves the laptop.
    let hank_session = ids(&s.get("/api/v1/me/sessions", &hanks).await.body)[0].clone();
    assert_eq!(
        s.delete(&format!("/api/v1/me/sessions/{hank_session}"), &laptop)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(s.get("/api/v1/me", &hanks).await.status, StatusCode::OK);
    assert_eq!(
        s.delete(&format!("/api/v1/me/sessions/{phone_id}"), &laptop)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        s.get("/api/v1/me", &phone).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(s.get("/api/v1/me", &laptop).await.status, StatusCode::OK);
    assert_eq!(
        ids(&s.get("/api/v1/me/sessions", &laptop).await.body).len(),
        1
    );
}

/// Logins whose hash was still running when the account was disabled open nothing: the
/// disable ends the sessions opened before it, the logins that finish after it are refused,
/// and enabling the account again afterwards brings none of them back.
#[tokio::test]
async fn logins_racing_a_disable_open_nothing() {
    let s = std::sync::Arc::new(Server::start());
    let sys = s.admin().await;
    let (tenant, tadmin) = s.tenant_with_admin(&sys, "Acme").await;
    // Whether a login is still hashing when the disable lands depends on the machine's load,
    // so a round in which every login finished first proves nothing about the race and is
    // played again with another account (it still checks that the disable ended them).
    for round in 0..ROUNDS {
        let login = format!("ivy{round}");
        let ivy = s.user(&tadmin, &tenant, &login, &[]).await;
        if disable_during_logins(&s, &tadmin, &ivy, &login).await {
            return;
        }
    }
    panic!("in {ROUNDS} rounds no login was still hashing when its account was disabled");
}

/// Rounds of [`logins_racing_a_disable_open_nothing`] before it gives up.
const ROUNDS: usize = 5;

/// One round: five logins as `login` at once (the account's limit, on fewer hashing threads
/// than that, so the last ones are still hashing when the first has answered), the account
/// disabled after the first answer, then enabled again. Whether a login was refused because
/// the disable came first.
async fn disable_during_logins(
    s: &std::sync::Arc<Server>,
    tadmin: &str,
    ivy: &str,
    login: &str,
) -> bool {
    let mut logins = tokio::task::JoinSet::new();
    for _ in 0..5 {
        let (s, login) = (s.clone(), login.to_string());
        logins.spawn(async move {
            s.call(
                reqwest::Method::POST,
                "/api/v1/auth/login",
                None,
                Some(serde_json::json!({"login": login, "password": PASSWORD})),
            )
            .await
        });
    }
    let mut answers = vec![logins.join_next().await.unwrap().unwrap()];
    let enable = |enabled: bool| async move {
        let body = serde_json::json!({"enabled": enabled});
        let r = s.patch(&format!("/api/v1/users/{ivy}"), tadmin, body).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    };
    enable(false).await;
    while let Some(answer) = logins.join_next().await {
        answers.push(answer.unwrap());
    }
    enable(true).await;

    assert_eq!(answers[0].status, StatusCode::OK, "{}", answers[0].body);
    let refused = answers
        .iter()
        .filter(|a| a.status == StatusCode::UNAUTHORIZED)
        .inspect(|a| assert_eq!(a.code(), "invalid_credentials"))
        .count();
    for answer in answers.iter().filter(|a| a.status == StatusCode::OK) {
        let token = answer.body["token"].as_str().unwrap();
        assert_eq!(
            s.get("/api/v1/me", token).await.status,
            StatusCode::UNAUTHORIZED,
            "a session opened before the disable stays ended"
        );
    }
    // The account itself works again.
    s.login(login, PASSWORD).await;
    refused >= 1
}

#[tokio::test]
async fn administrators_end_a_users_sessions() {
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, tadmin) = s.tenant_with_admin(&sys, "Acme").await;
    let ivan = s.user(&tadmin, &tenant, "ivan", &[]).await;
    s.user(&tadmin, &tenant, "judy", &[]).await;
    let one = s.login("ivan", PASSWORD).await;
    let two = s.login("ivan", PASSWORD).await;
    let judys = s.login("judy", PASSWORD).await;

    let r = s
        .get(&format!("/api/v1/users/{ivan}/sessions"), &tadmin)
        .await;
    assert_eq!(r.body.as_array().unwrap().len(), 2);
    // Others' sessions are out of sight for ordinary users.
    assert_eq!(
        s.get(&format!("/api/v1/users/{ivan}/sessions"), &judys)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        s.delete(&format!("/api/v1/users/{ivan}/sessions"), &judys)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let r = s
        .delete(&format!("/api/v1/users/{ivan}/sessions"), &tadmin)
        .await;
    assert_eq!(
        (r.status, r.body["ended"].as_u64()),
        (StatusCode::OK, Some(2))
    );
    for t in [&one, &two] {
        assert_eq!(
            s.get("/api/v1/me", t).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        s.get("/api/v1/me", &judys).await.status,
        StatusCode::OK,
        "only ivan's ended"
    );
    let audit = s
        .get(
            &format!("/api/v1/audit?action=user.sessions_end&target={ivan}"),
            &tadmin,
        )
        .await;
    assert_eq!(audit.body["items"][0]["summary"]["ended"], 2);
    let me = s.get("/api/v1/me", &tadmin).await.id();
    assert_eq!(
        s.delete(&format!("/api/v1/users/{me}/sessions"), &tadmin)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    s.assert_consistent();
}

#[tokio::test]
async fn administrators_end_one_of_a_users_sessions() {
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, tadmin) = s.tenant_with_admin(&sys, "Acme").await;
    let ivan = s.user(&tadmin, &tenant, "ivan", &[]).await;
    s.user(&tadmin, &tenant, "judy", &[]).await;
    let one = s.login("ivan", PASSWORD).await;
    let two = s.login("ivan", PASSWORD).await;
    let judys = s.login("judy", PASSWORD).await;
    let listed = ids(&s.get("/api/v1/me/sessions", &one).await.body);
    let current = s.get("/api/v1/me/sessions", &one).await.body;
    let ones = current
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["current"] == true)
        .and_then(|t| t["id"].as_str())
        .unwrap()
        .to_string();
    assert_eq!(listed.len(), 2);

    // Another ordinary user may not; an unknown session is not found.
    let path = format!("/api/v1/users/{ivan}/sessions/{ones}");
    assert_eq!(s.delete(&path, &judys).await.status, StatusCode::NOT_FOUND);
    let judys_id = s.get("/api/v1/me", &judys).await.id();
    let other = format!("/api/v1/users/{judys_id}/sessions/{ones}");
    assert_eq!(
        s.delete(&other, &tadmin).await.status,
        StatusCode::NOT_FOUND
    );

    assert_eq!(
        s.delete(&path, &tadmin).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        s.get("/api/v1/me", &one).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(s.get("/api/v1/me", &two).await.status, StatusCode::OK);
    let audit = s
        .get(
            &format!("/api/v1/audit?action=session.end&target={ones}"),
            &tadmin,
        )
        .await;
    assert_eq!(audit.body["items"][0]["summary"]["user"], ivan.as_str());
    s.assert_consistent();
}
