//! Second factors with codes from a standard implementation (`oathtool`, Debian's package),
//! never from roster's own code: enrolment with a QR code, the `next: mfa` login step, codes
//! accepted once, recovery codes, throttling, removal and an administrator's reset.

mod common;
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn login_step(s: &Server, login: &str) -> serde_json::Value {
    let r = s
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": login, "password": PASSWORD})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    if r.body["next"] == "mfa" {
        assert!(
            r.headers.get("set-cookie").is_none(),
            "no cookie before the second factor"
        );
    }
    r.body
}

async fn mfa(s: &Server, mfa_token: &str, code: &str) -> Res {
    s.call(
        Method::POST,
        "/api/v1/auth/mfa",
        None,
        Some(json!({"mfa_token": mfa_token, "code": code})),
    )
    .await
}

#[tokio::test]
async fn totp_enrolment_login_and_recovery() {
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, admin) = s.tenant_with_admin(&sys, "Secure").await;
    let uid = s.user(&admin, &tenant, "tess", &[]).await;
    let tess = s.login("tess", PASSWORD).await;

    let e = s
        .call(Method::POST, "/api/v1/me/totp", Some(&tess), None)
        .await;
    assert_eq!(e.status, StatusCode::OK, "{}", e.body);
    let secret = e.body["secret"].as_str().unwrap().to_string();
    assert!(e.body["otpauth_uri"]
        .as_str()
        .unwrap()
        .starts_with("otpauth://totp/roster:tess?"));
    assert!(e.body["qr_svg"].as_str().unwrap().contains("<svg"));
    let Some(code) = oathtool(&secret) else {
        return;
    };

    // Until confirmed, login does not ask for it.
    assert!(login_step(&s, "tess").await["next"].is_null());
    let bad = s
        .post("/api/v1/me/totp/confirm", &tess, json!({"code": "000000"}))
        .await;
    assert_eq!(bad.code(), "invalid_code");
    let ok = s
        .post("/api/v1/me/totp/confirm", &tess, json!({"code": code}))
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let recovery: Vec<String> = ok.body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert_eq!(recovery.len(), 10);
    let again = s
        .call(Method::POST, "/api/v1/me/totp", Some(&tess), None)
        .await;
    assert_eq!(again.code(), "totp_enrolled");

    // Login now answers next: mfa; the mfa token is no session.
    let step = login_step(&s, "tess").await;
    assert_eq!(step["next"], "mfa");
    let mfa_token = step["mfa_token"].as_str().unwrap().to_string();
    assert_eq!(
        s.get("/api/v1/me", &mfa_token).await.status,
        StatusCode::UNAUTHORIZED
    );
    // The code used to confirm was used: refused for its whole window.
    let replay = mfa(&s, &mfa_token, &code).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    assert_eq!(replay.code(), "invalid_code");
    let wrong = mfa(&s, &mfa_token, "123456").await;
    assert_eq!(wrong.code(), "invalid_code");
    // A recovery code works once, typed any way.
    let done = mfa(&s, &mfa_token, &recovery[0].to_uppercase()).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let session = done.body["token"].as_str().unwrap().to_string();
    assert!(done.headers.get("set-cookie").is_some());
    assert_ne!(
        session, mfa_token,
        "a new session id after the second factor"
    );
    assert_eq!(s.get("/api/v1/me", &session).await.body["id"], uid);
    assert_eq!(
        mfa(&s, &mfa_token, &recovery[1]).await.code(),
        "mfa_expired",
        "the mfa token is single use"
    );
    let step = login_step(&s, "tess").await;
    let token = step["mfa_token"].as_str().unwrap();
    assert_eq!(mfa(&s, token, &recovery[0]).await.code(), "invalid_code");

    // Guessing is throttled: after five wrong codes even a right one is refused.
    for _ in 0..5 {
        assert_eq!(mfa(&s, token, "999999").await.code(), "invalid_code");
    }
    assert_eq!(mfa(&s, token, &recovery[2]).await.code(), "invalid_code");

    // An administrator resets the second factors: sessions end, login is one step again.
    let r = s
        .delete(&format!("/api/v1/users/{uid}/second-factors"), &admin)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(
        s.get("/api/v1/me", &session).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert!(login_step(&s, "tess").await["next"].is_null());

    // The user sets one up again and removes it themselves.
    let tess = s.login("tess", PASSWORD).await;
    let e = s
        .call(Method::POST, "/api/v1/me/totp", Some(&tess), None)
        .await;
    let code = oathtool(e.body["secret"].as_str().unwrap()).unwrap();
    s.post("/api/v1/me/totp/confirm", &tess, json!({"code": code}))
        .await;
    let r = s.delete("/api/v1/me/totp", &tess).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(login_step(&s, "tess").await["next"].is_null());
    s.assert_consistent();
}
