//! Credentials in the console, in a real Chromium with a real SMTP exchange and codes from
//! `oathtool`: outgoing email saved on the Settings page, a tenant policy that requires a
//! second factor (set up at the next sign-in, TrueCommand and the VoIP console), "forgot
//! password" by email, and email verification.

#[path = "common/browser.rs"]
mod browser;
mod common;
mod smtp_sink;

use browser::*;
use common::*;
use reqwest::Method;
use serde_json::json;
use smtp_sink::SmtpSink;

/// The `token` of the first link to `path` in a message.
fn link(data: &str, path: &str) -> String {
    let mail = data.replace("=\r\n", "").replace("=3D", "=");
    mail.split_whitespace()
        .find(|w| w.contains(&format!("{path}?token=")))
        .unwrap_or_else(|| panic!("no {path} link in:\n{mail}"))
        .to_string()
}

#[tokio::test]
async fn settings_policy_enrolment_at_sign_in_and_forgotten_password() {
    let Some((_turn, b)) = browser("web console browser tests").await else {
        return;
    };
    if oathtool("JBSWY3DPEHPK3PXP").is_none() {
        return;
    }
    let sink = SmtpSink::start();
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, tadmin) = s.tenant_with_admin(&sys, "Acme").await;
    let admins = s.predefined_group(&tadmin, &tenant, "administrators").await;
    s.user(&tadmin, &tenant, "olga", &[&admins]).await;

    // The system administrator saves the outgoing email settings and tests them.
    b.sign_in(&s.base, "admin", ADMIN_PASSWORD).await;
    b.click("#nav-settings").await;
    b.wait_text("#smtp-state", "Not configured").await;
    let port = sink.url.rsplit(':').next().unwrap().to_string();
    b.fill("#host", "127.0.0.1").await;
    b.fill("#port", "70000").await;
    b.fill("#from", "Acme roster <roster@acme.example>").await;
    b.c.find(fantoccini::Locator::Css("#security option[value=none]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.click("#save-smtp").await;
    b.wait_text("#port-error", "port number").await;
    assert_eq!(
        b.value("#host").await,
        "127.0.0.1",
        "the form keeps what was typed"
    );
    b.fill("#port", &port).await;
    b.click("#save-smtp").await;
    b.wait_text("#settings-notice", "saved").await;
    b.wait_text("#smtp-state", "Configured").await;
    b.fill("#to", "ops@acme.example").await;
    b.click("#send-test-email").await;
    b.wait_text("#settings-notice", "ops@acme.example").await;
    sink.wait_for("ops@acme.example");
    b.screenshot("settings-smtp").await;
    let r = s.get("/api/v1/settings/smtp", &sys).await;
    assert_eq!(r.body["source"], "settings", "{}", r.body);
    b.sign_out().await;

    // The tenant's administrator requires a second factor of administrators.
    b.sign_in(&s.base, "acme-admin", PASSWORD).await;
    b.click("#nav-settings").await;
    b.find("#policy-form").await;
    b.fill("#password_min_length", "14").await;
    b.c.find(fantoccini::Locator::Css(
        "#second_factor option[value=administrators]",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    b.click("#save-policy").await;
    b.wait_text("#settings-notice", "Policy saved").await;
    b.screenshot("settings-policy").await;
    let r = s
        .get(&format!("/api/v1/tenants/{tenant}/policy"), &tadmin)
        .await;
    assert_eq!(r.body["second_factor"], "administrators");
    assert_eq!(r.body["password_min_length"], 14);
    b.sign_out().await;

    // Olga, an administrator, is taken through setting up an authenticator at sign-in.
    b.goto(&format!("{}/login", s.base)).await;
    b.fill("#login", "olga").await;
    b.fill("#password", PASSWORD).await;
    b.click("#sign-in").await;
    b.wait_text("h1", "Set up a second factor").await;
    b.find(".qr svg").await;
    b.screenshot("enrol-at-sign-in").await;
    let secret = b.find("#totp-secret").await.text().await.unwrap();
    b.fill("#code", "000000").await;
    b.click("#confirm-enrol").await;
    b.wait_text(".field-error", "code").await;
    assert_eq!(
        b.find("#totp-secret").await.text().await.unwrap(),
        secret,
        "the same secret after a mistyped code"
    );
    let code = oathtool(&secret).unwrap();
    b.fill("#code", &code).await;
    b.click("#confirm-enrol").await;
    b.wait_text("h1", "Save your recovery codes").await;
    let codes =
        b.c.find_all(fantoccini::Locator::Css("#recovery-codes li"))
            .await
            .unwrap();
    assert_eq!(codes.len(), 10);
    b.screenshot("recovery-codes").await;
    b.click("#continue").await;
    b.wait_text("#signed-in-as", "olga").await;
    b.sign_out().await;

    // Olga forgets her password: a link by email, a new password (the tenant's 14
    // characters), then her authenticator's code.
    b.click("#forgot-password").await;
    b.fill("#login", "olga").await;
    b.click("#send-reset").await;
    b.wait_text("h1", "Check your email").await;
    let url = link(&sink.wait_for("olga@example.com").data, "/reset-password");
    b.goto(&url).await;
    b.wait_text("h1", "Choose a new password").await;
    b.wait_text("main", "at least 14 characters").await;
    b.fill("#password", "olgas new pw").await;
    b.fill("#confirm", "olgas new pw").await;
    b.click("#reset-password").await;
    b.wait_text("#password-error", "14").await;
    b.fill("#password", "olgas brand new password").await;
    b.fill("#confirm", "olgas brand new password").await;
    b.screenshot("reset-password").await;
    b.click("#reset-password").await;
    b.wait_text("h1", "Second factor").await;
    // The authenticator's next code (the one used at set-up is spent for its window).
    let used = code;
    let mut code = oathtool(&secret).unwrap();
    for _ in 0..40 {
        if code != used {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        code = oathtool(&secret).unwrap();
    }
    b.fill("#code", &code).await;
    b.click("#verify-code").await;
    b.wait_text("#signed-in-as", "olga").await;
    let r = s
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "olga", "password": "olgas brand new password"})),
        )
        .await;
    assert_eq!(r.body["next"], "mfa", "{}", r.body);
    b.sign_out().await;

    // A used link says so in words.
    b.goto(&url).await;
    b.fill("#password", "yet another password 1").await;
    b.fill("#confirm", "yet another password 1").await;
    b.click("#reset-password").await;
    b.wait_text("h1", "Link used or expired").await;

    b.close().await;
    s.assert_consistent();
}

/// TrueCommand: a user verifies their email address from My account, turns on sign-in
/// codes by email, and signs in with the code that arrives.
#[tokio::test]
async fn email_verification_then_sign_in_codes_by_email() {
    let Some((_turn, b)) = browser("web console browser tests").await else {
        return;
    };
    let sink = SmtpSink::start();
    let s = Server::start_with(
        &[
            ("ROSTER_ADMIN_PASSWORD", ADMIN_PASSWORD),
            ("ROSTER_SMTP_URL", &sink.url),
            ("ROSTER_SMTP_FROM", "roster <roster@example.com>"),
        ],
        &[],
    );
    let sys = s.admin().await;
    let (tenant, tadmin) = s.tenant_with_admin(&sys, "Acme").await;
    let uid = s.user(&tadmin, &tenant, "vic", &[]).await;

    b.sign_in(&s.base, "vic", PASSWORD).await;
    b.click("#nav-account").await;
    b.wait_text("#email-state", "Not verified").await;
    b.click("#verify-email").await;
    b.wait_text("#account-notice", "vic@example.com").await;
    let url = link(&sink.wait_for("vic@example.com").data, "/verify-email");

    // Opening the link changes nothing until the button is pressed.
    b.goto(&url).await;
    b.wait_text("h1", "Confirm your email address").await;
    let r = s.get(&format!("/api/v1/users/{uid}"), &tadmin).await;
    assert_eq!(r.body["email_verified"], false);
    b.click("#confirm-email").await;
    b.wait_text("h1", "Email address confirmed").await;
    let r = s.get(&format!("/api/v1/users/{uid}"), &tadmin).await;
    assert_eq!(r.body["email_verified"], true);
    b.goto(&url).await;
    b.click("#confirm-email").await;
    b.wait_text("h1", "Link used or expired").await;

    b.goto(&format!("{}/account", s.base)).await;
    b.wait_text("#email-state", "Verified").await;
    b.click("#email-codes-on").await;
    b.wait_text("#account-notice", "code we email you").await;
    b.screenshot("my-account-email").await;
    b.sign_out().await;

    // The next sign-in mails a code at once and asks for it.
    b.fill("#login", "vic").await;
    b.fill("#password", PASSWORD).await;
    b.click("#sign-in").await;
    b.wait_text("#code-sent", "v***@example.com").await;
    b.screenshot("email-code").await;
    let mail = sink.wait_for_nth("vic@example.com", 2);
    let code: String = mail
        .data
        .split("Subject: Your roster sign-in code: ")
        .nth(1)
        .expect("a sign-in code email")
        .chars()
        .take(6)
        .collect();
    b.fill("#code", &code).await;
    b.click("#verify-code").await;
    b.wait_text("#signed-in-as", "vic").await;
    b.close().await;
    s.assert_consistent();
}
