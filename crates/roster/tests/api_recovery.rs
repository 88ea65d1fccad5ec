//! Getting back in and proving who you are, over a real SMTP exchange: "forgot password",
//! email verification, sign-in codes by email as a second factor, and a tenant policy that
//! makes users set up a second factor at sign-in (codes from `oathtool`).

mod common;
mod smtp_sink;
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use smtp_sink::SmtpSink;
use std::time::{Duration, Instant};

fn start_with_mail(sink: &SmtpSink) -> Server {
    Server::start_with(
        &[
            ("ROSTER_ADMIN_PASSWORD", ADMIN_PASSWORD),
            ("ROSTER_SMTP_URL", &sink.url),
            ("ROSTER_SMTP_FROM", "roster <roster@example.com>"),
        ],
        &[],
    )
}

/// The message body with quoted-printable soft breaks undone.
fn unfold(data: &str) -> String {
    data.replace("=\r\n", "").replace("=3D", "=")
}

/// The `token` of the first link to `path` in a message.
fn link_token(data: &str, path: &str) -> String {
    let mail = unfold(data);
    let link = mail
        .split_whitespace()
        .find(|w| w.contains(&format!("{path}?token=")))
        .unwrap_or_else(|| panic!("no {path} link in:\n{mail}"));
    link.split("token=").nth(1).unwrap().to_string()
}

async fn anonymous(s: &Server, path: &str, body: Value) -> Res {
    s.call(Method::POST, path, None, Some(body)).await
}

async fn login(s: &Server, login: &str, password: &str) -> Res {
    anonymous(
        s,
        "/api/v1/auth/login",
        json!({"login": login, "password": password}),
    )
    .await
}

#[tokio::test]
async fn a_forgotten_password_is_reset_through_an_emailed_link() {
    let sink = SmtpSink::start();
    let s = start_with_mail(&sink);
    let sys = s.admin().await;
    let (tenant, admin) = s.tenant_with_admin(&sys, "Acme").await;
    s.user(&admin, &tenant, "rosa", &[]).await;
    let old_session = s.login("rosa", PASSWORD).await;

    // Known or unknown, the answer is the same; only the known account gets a link.
    for who in ["rosa", "nobody-here", "ROSA"] {
        let r = anonymous(&s, "/api/v1/auth/password-reset", json!({"login": who})).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{who}: {}", r.body);
    }
    let first = sink.wait_for("rosa@example.com");
    assert!(first.data.contains("Subject: Reset your roster password"));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(sink.count(), 2, "two links for rosa, none for nobody");

    // A third request within the window still sends a link, a fourth nothing; all answer
    // alike.
    for _ in 0..2 {
        let r = anonymous(&s, "/api/v1/auth/password-reset", json!({"login": "rosa"})).await;
        assert_eq!(r.status, StatusCode::ACCEPTED);
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(sink.count(), 3, "three links per account per window");
    let tokens = sink_tokens(&sink, "rosa@example.com");
    let (old_token, latest) = (tokens[0].clone(), tokens[2].clone());
    let confirm = |token: String, password: &str| {
        let s = &s;
        let body = json!({"token": token, "password": password});
        async move { anonymous(s, "/api/v1/auth/password-reset/confirm", body).await }
    };
    let r = confirm(old_token.clone(), "rosas brand new password").await;
    assert_eq!(
        r.code(),
        "invalid_token",
        "an older link is void: {}",
        r.body
    );
    // A reset link is not an activation link.
    let r = anonymous(
        &s,
        "/api/v1/activate",
        json!({"token": latest, "password": "rosas brand new password"}),
    )
    .await;
    assert_eq!(r.code(), "invalid_token");
    // The tenant's password policy applies.
    let r = confirm(latest.clone(), "password1234").await;
    assert_eq!(r.code(), "password_too_common", "{}", r.body);

    let r = confirm(latest.clone(), "rosas brand new password").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body["token"].as_str().is_some(), "signed in: {}", r.body);
    let r = confirm(latest.clone(), "another new password 9").await;
    assert_eq!(r.code(), "invalid_token", "a link works once");
    assert_eq!(
        s.get("/api/v1/me", &old_session).await.status,
        StatusCode::UNAUTHORIZED,
        "the old session ended"
    );
    assert_eq!(
        login(&s, "rosa", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    s.login("rosa", "rosas brand new password").await;

    // The audit trail says what happened, without the link.
    let r = s
        .get("/api/v1/audit?action=user.password_reset", &admin)
        .await;
    assert!(!r.body.to_string().contains(&latest));
    let log = s.output.lock().unwrap().clone();
    assert!(!log.contains(&latest) && !log.contains("rosas brand new password"));
    s.assert_consistent();
}

/// Every reset token emailed to `to`, oldest first.
fn sink_tokens(sink: &SmtpSink, to: &str) -> Vec<String> {
    sink.all_to(to)
        .iter()
        .map(|m| link_token(&m.data, "/reset-password"))
        .collect()
}

#[tokio::test]
async fn without_email_a_reset_is_refused_for_everyone_alike() {
    let s = Server::start();
    let r = anonymous(&s, "/api/v1/auth/password-reset", json!({"login": "admin"})).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "smtp_not_configured")
    );
    let r = anonymous(
        &s,
        "/api/v1/auth/password-reset",
        json!({"login": "nobody"}),
    )
    .await;
    assert_eq!(r.code(), "smtp_not_configured");
}

#[tokio::test]
async fn a_reset_still_asks_for_the_second_factor() {
    let sink = SmtpSink::start();
    let s = start_with_mail(&sink);
    let sys = s.admin().await;
    let (tenant, admin) = s.tenant_with_admin(&sys, "Acme").await;
    s.user(&admin, &tenant, "tom", &[]).await;
    let tom = s.login("tom", PASSWORD).await;
    let e = s
        .call(Method::POST, "/api/v1/me/totp", Some(&tom), None)
        .await;
    let Some(code) = oathtool(e.body["secret"].as_str().unwrap()) else {
        return;
    };
    let r = s
        .post("/api/v1/me/totp/confirm", &tom, json!({"code": code}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    anonymous(&s, "/api/v1/auth/password-reset", json!({"login": "tom"})).await;
    let token = link_token(&sink.wait_for("tom@example.com").data, "/reset-password");
    let r = anonymous(
        &s,
        "/api/v1/auth/password-reset/confirm",
        json!({"token": token, "password": "toms new password here"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["next"], "mfa", "{}", r.body);
    assert!(r.headers.get("set-cookie").is_none());
}

#[tokio::test]
async fn a_verified_email_receives_sign_in_codes() {
    let sink = SmtpSink::start();
    let s = start_with_mail(&sink);
    let sys = s.admin().await;
    let (tenant, admin) = s.tenant_with_admin(&sys, "Acme").await;
    let uid = s.user(&admin, &tenant, "vera", &[]).await;
    let vera = s.login("vera", PASSWORD).await;

    // Codes by email need a verified address first.
    let r = s.post("/api/v1/me/email-codes", &vera, json!({})).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "email_not_verified")
    );
    let r = s
        .post("/api/v1/me/email/verification", &vera, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    assert_eq!(r.body["sent_to"], "vera@example.com");
    let token = link_token(&sink.wait_for("vera@example.com").data, "/verify-email");
    let r = anonymous(&s, "/api/v1/verify-email", json!({"token": token})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["email_verified"], true);
    let r = anonymous(&s, "/api/v1/verify-email", json!({"token": token})).await;
    assert_eq!(r.code(), "invalid_token", "a link works once");
    let r = s
        .post("/api/v1/me/email/verification", &vera, json!({}))
        .await;
    assert_eq!(r.code(), "email_verified");
    let r = s.post("/api/v1/me/email-codes", &vera, json!({})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);

    // Login now asks for a code, which is emailed on request.
    let step = login(&s, "vera", PASSWORD).await;
    assert_eq!(step.body["next"], "mfa", "{}", step.body);
    assert_eq!(step.body["methods"], json!(["email"]));
    let mfa_token = step.body["mfa_token"].as_str().unwrap().to_string();
    let r = anonymous(
        &s,
        "/api/v1/auth/mfa/email",
        json!({"mfa_token": mfa_token}),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    assert_eq!(r.body["sent_to"], "v***@example.com");
    let mail = sink.wait_for_nth("vera@example.com", 2);
    assert!(mail.data.contains("Subject: Your roster sign-in code"));
    let code: String = mail
        .data
        .split("Subject: Your roster sign-in code: ")
        .nth(1)
        .unwrap()
        .chars()
        .take(6)
        .collect();
    assert!(code.chars().all(|c| c.is_ascii_digit()), "{code}");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = anonymous(
        &s,
        "/api/v1/auth/mfa",
        json!({"mfa_token": mfa_token, "code": wrong}),
    )
    .await;
    assert_eq!(r.code(), "invalid_code");
    let r = anonymous(
        &s,
        "/api/v1/auth/mfa",
        json!({"mfa_token": mfa_token, "code": code}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.get("next").is_none(), "{}", r.body);

    // A code belongs to its own sign-in step: not to the next login.
    let step = login(&s, "vera", PASSWORD).await;
    let next_token = step.body["mfa_token"].as_str().unwrap().to_string();
    let r = anonymous(
        &s,
        "/api/v1/auth/mfa",
        json!({"mfa_token": next_token, "code": code}),
    )
    .await;
    assert_eq!(r.code(), "invalid_code");

    // A new address is unverified and ends email codes until verified again.
    let r = s
        .patch(
            &format!("/api/v1/users/{uid}"),
            &admin,
            json!({"email": "vera.new@example.com"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["email_verified"], false);
    let r = login(&s, "vera", PASSWORD).await;
    assert!(r.body.get("next").is_none(), "no factor left: {}", r.body);

    // An administrator's reset also ends email codes.
    let vera = r.body["token"].as_str().unwrap().to_string();
    s.post("/api/v1/me/email/verification", &vera, json!({}))
        .await;
    let token = link_token(&sink.wait_for("vera.new@example.com").data, "/verify-email");
    anonymous(&s, "/api/v1/verify-email", json!({"token": token})).await;
    let r = s.post("/api/v1/me/email-codes", &vera, json!({})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(login(&s, "vera", PASSWORD).await.body["next"], "mfa");
    let r = s
        .delete(&format!("/api/v1/users/{uid}/second-factors"), &admin)
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    assert!(login(&s, "vera", PASSWORD).await.body.get("next").is_none());
    s.assert_consistent();
}

#[tokio::test]
async fn a_policy_makes_users_set_up_a_second_factor_at_sign_in() {
    let sink = SmtpSink::start();
    let s = start_with_mail(&sink);
    let sys = s.admin().await;
    let (tenant, admin) = s.tenant_with_admin(&sys, "Acme").await;
    let users = s.predefined_group(&admin, &tenant, "users").await;
    let admins = s.predefined_group(&admin, &tenant, "administrators").await;
    s.user(&admin, &tenant, "uma", &[&users]).await;
    s.user(&admin, &tenant, "abe", &[&admins]).await;

    // Administrators only: a reader signs in as before, an administrator must set one up.
    let r = s
        .patch(
            &format!("/api/v1/tenants/{tenant}/policy"),
            &admin,
            json!({"second_factor": "administrators"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(login(&s, "uma", PASSWORD).await.body.get("next").is_none());
    let step = login(&s, "abe", PASSWORD).await;
    assert_eq!(step.body["next"], "mfa_enrolment", "{}", step.body);
    assert_eq!(step.body["methods"], json!(["totp"]));
    assert!(step.headers.get("set-cookie").is_none());
    let token = step.body["mfa_token"].as_str().unwrap().to_string();
    assert_eq!(
        s.get("/api/v1/me", &token).await.status,
        StatusCode::UNAUTHORIZED,
        "the step's token is no session"
    );
    let e = anonymous(&s, "/api/v1/auth/mfa/enrol", json!({"token": token})).await;
    assert_eq!(e.status, StatusCode::OK, "{}", e.body);
    let again = anonymous(&s, "/api/v1/auth/mfa/enrol", json!({"token": token})).await;
    assert_eq!(again.body["secret"], e.body["secret"], "the same secret");
    let Some(code) = oathtool(e.body["secret"].as_str().unwrap()) else {
        return;
    };
    let r = anonymous(
        &s,
        "/api/v1/auth/mfa/enrol/confirm",
        json!({"token": token, "code": "12345x"}),
    )
    .await;
    assert_eq!(r.code(), "invalid_code", "{}", r.body);
    let r = anonymous(
        &s,
        "/api/v1/auth/mfa/enrol/confirm",
        json!({"token": token, "code": code}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["recovery_codes"].as_array().unwrap().len(), 10);
    let session = r.body["token"].as_str().unwrap();
    assert_eq!(s.get("/api/v1/me", session).await.body["login"], "abe");
    assert_eq!(login(&s, "abe", PASSWORD).await.body["next"], "mfa");

    // Everyone: a user with a verified address may choose email codes instead; one
    // without has only the authenticator.
    let uma = s.login("uma", PASSWORD).await;
    s.post("/api/v1/me/email/verification", &uma, json!({}))
        .await;
    let link = link_token(&sink.wait_for("uma@example.com").data, "/verify-email");
    anonymous(&s, "/api/v1/verify-email", json!({"token": link})).await;
    s.user(&admin, &tenant, "ned", &[&users]).await;
    s.patch(
        &format!("/api/v1/tenants/{tenant}/policy"),
        &admin,
        json!({"second_factor": "everyone"}),
    )
    .await;
    let ned = login(&s, "ned", PASSWORD).await;
    assert_eq!(ned.body["methods"], json!(["totp"]), "{}", ned.body);
    let r = anonymous(
        &s,
        "/api/v1/auth/mfa/enrol/email",
        json!({"token": ned.body["mfa_token"]}),
    )
    .await;
    assert_eq!(r.code(), "email_not_verified", "{}", r.body);
    let step = login(&s, "uma", PASSWORD).await;
    assert_eq!(step.body["next"], "mfa_enrolment");
    assert_eq!(step.body["methods"], json!(["totp", "email"]));
    let r = anonymous(
        &s,
        "/api/v1/auth/mfa/enrol/email",
        json!({"token": step.body["mfa_token"]}),
    )
    .await;
    assert_eq!(r.body["next"], "mfa", "{}", r.body);
    assert_eq!(r.body["methods"], json!(["email"]));
    let mfa_token = r.body["mfa_token"].as_str().unwrap().to_string();
    anonymous(
        &s,
        "/api/v1/auth/mfa/email",
        json!({"mfa_token": mfa_token}),
    )
    .await;
    let mail = sink.wait_for_nth("uma@example.com", 2);
    let code: String = mail
        .data
        .split("Subject: Your roster sign-in code: ")
        .nth(1)
        .unwrap()
        .chars()
        .take(6)
        .collect();
    let r = anonymous(
        &s,
        "/api/v1/auth/mfa",
        json!({"mfa_token": mfa_token, "code": code}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.get("next").is_none(), "{}", r.body);

    // System administrators follow the install's own policy, not a tenant's.
    let r = s
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "admin", "password": ADMIN_PASSWORD})),
        )
        .await;
    assert!(
        r.body.get("next").is_none(),
        "the install's policy is its own"
    );
    s.assert_consistent();
}

#[tokio::test]
async fn failed_logins_are_answered_ever_more_slowly() {
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, admin) = s.tenant_with_admin(&sys, "Acme").await;
    s.user(&admin, &tenant, "slow", &[]).await;
    let mut took = Vec::new();
    for _ in 0..4 {
        let started = Instant::now();
        let r = login(&s, "slow", "not the password at all").await;
        assert_eq!(r.code(), "invalid_credentials");
        took.push(started.elapsed());
    }
    assert!(took[2] >= Duration::from_millis(250), "{took:?}");
    assert!(took[3] >= Duration::from_millis(500), "{took:?}");
    // Unknown logins wait alike, so the delay tells nothing.
    let mut unknown = Duration::ZERO;
    for _ in 0..4 {
        let started = Instant::now();
        login(&s, "no-such-login", "not the password at all").await;
        unknown = started.elapsed();
    }
    assert!(unknown >= Duration::from_millis(500), "{unknown:?}");
    // The right password is answered at once, and clears the count.
    s.login("slow", PASSWORD).await;
}
