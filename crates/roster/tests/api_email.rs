//! Outgoing email over a real SMTP exchange: activation links sent by email, the test email,
//! and clear refusals when email is not configured or the server is down.

mod common;
mod smtp_sink;
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use smtp_sink::SmtpSink;

fn start_with_mail(sink_url: &str) -> Server {
    Server::start_with(
        &[
            ("ROSTER_ADMIN_PASSWORD", ADMIN_PASSWORD),
            ("ROSTER_SMTP_URL", sink_url),
            ("ROSTER_SMTP_FROM", "roster <roster@example.com>"),
        ],
        &[],
    )
}

/// The body of a quoted-printable or plain message with soft line breaks undone.
fn unfold(data: &str) -> String {
    data.replace("=\r\n", "").replace("=3D", "=")
}

#[tokio::test]
async fn an_activation_email_carries_a_working_one_time_link() {
    let sink = SmtpSink::start();
    let s = start_with_mail(&sink.url);
    let sys = s.admin().await;
    let (tenant, tadmin) = s.tenant_with_admin(&sys, "Acme").await;
    let r = s
        .post(
            "/api/v1/users",
            &tadmin,
            json!({"email": "fiona@example.com", "first_name": "Fiona", "owner": tenant}),
        )
        .await;
    let user = r.id();

    let r = s
        .post(
            &format!("/api/v1/users/{user}/activation-link"),
            &tadmin,
            json!({"send": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["sent_to"], "fiona@example.com");
    assert!(r.body.get("url").is_none(), "a sent link is not shown");

    let mail = unfold(&sink.wait_for("fiona@example.com").data);
    assert!(
        mail.contains("Subject: Activate your roster account"),
        "{mail}"
    );
    assert!(mail.contains("From: roster <roster@example.com>"), "{mail}");
    assert!(mail.contains("Hello Fiona"), "{mail}");
    let link = mail
        .split_whitespace()
        .find(|w| w.starts_with(&format!("{}/activate?token=", s.base)))
        .unwrap_or_else(|| panic!("no link in:\n{mail}"));
    let token = link.split("token=").nth(1).unwrap();
    let r = s
        .call(
            Method::POST,
            "/api/v1/activate",
            None,
            Some(json!({"token": token, "password": "fionas own password"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    s.login("fiona@example.com", "fionas own password").await;
    assert!(
        !s.output.lock().unwrap().contains(token),
        "the token reached the log"
    );

    // A user without an email gets a clear refusal.
    let r = s
        .post(
            "/api/v1/users",
            &tadmin,
            json!({"login": "no-mail", "owner": tenant}),
        )
        .await;
    let r = s
        .post(
            &format!("/api/v1/users/{}/activation-link", r.id()),
            &tadmin,
            json!({"send": true}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "no_email")
    );
    s.assert_consistent();
}

#[tokio::test]
async fn the_test_email_checks_the_settings() {
    let sink = SmtpSink::start();
    let s = start_with_mail(&sink.url);
    let sys = s.admin().await;
    let r = s
        .post(
            "/api/v1/settings/smtp/test",
            &sys,
            json!({"to": "ops@example.com"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert!(sink
        .wait_for("ops@example.com")
        .data
        .contains("outgoing email works"));
    let r = s
        .post(
            "/api/v1/settings/smtp/test",
            &sys,
            json!({"to": "not an address"}),
        )
        .await;
    assert_eq!(r.code(), "invalid_email");
    let (_, tadmin) = s.tenant_with_admin(&sys, "Acme").await;
    assert_eq!(
        s.post(
            "/api/v1/settings/smtp/test",
            &tadmin,
            json!({"to": "x@example.com"})
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let audit = s.get("/api/v1/audit?action=settings.smtp_test", &sys).await;
    assert_eq!(audit.body["items"][0]["summary"]["delivered"], true);
    assert_eq!(sink.count(), 1);
}

#[tokio::test]
async fn without_email_or_with_the_server_down_the_answer_says_so() {
    // Not configured: refused with a clear code, never silently dropped.
    let s = Server::start();
    let sys = s.admin().await;
    let r = s
        .post(
            "/api/v1/settings/smtp/test",
            &sys,
            json!({"to": "ops@example.com"}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "smtp_not_configured")
    );
    drop(s);

    // Configured, but nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("smtp://{}", closed.local_addr().unwrap());
    drop(closed);
    let s = start_with_mail(&url);
    let sys = s.admin().await;
    let r = s
        .post(
            "/api/v1/settings/smtp/test",
            &sys,
            json!({"to": "ops@example.com"}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_GATEWAY, "mail_failed"),
        "{}",
        r.body
    );
    let audit = s.get("/api/v1/audit?action=settings.smtp_test", &sys).await;
    assert_eq!(audit.body["items"][0]["summary"]["delivered"], false);
}
