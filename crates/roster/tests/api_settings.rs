//! Settings kept in the database: outgoing email saved by a system administrator (used over a
//! real SMTP exchange, its password never shown, logged or audited) and each tenant's
//! password policy, applied to every way a password is set.

mod common;
mod smtp_sink;
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use smtp_sink::SmtpSink;

/// The SMTP password the tests save; it must never come back.
const SMTP_SECRET: &str = "smtp-secret-never-shown-42";

async fn put_smtp(s: &Server, token: &str, body: Value) -> Res {
    s.call(
        Method::PUT,
        "/api/v1/settings/smtp",
        Some(token),
        Some(body),
    )
    .await
}

#[tokio::test]
async fn smtp_settings_saved_by_an_administrator_send_email() {
    let sink = SmtpSink::start();
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, tadmin) = s.tenant_with_admin(&sys, "Acme").await;

    // Nothing configured: said so, and choices that send email are refused clearly.
    let r = s.get("/api/v1/settings/smtp", &sys).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["configured"], false);
    let pending = s
        .create(
            &tadmin,
            "/api/v1/users",
            json!({"email": "gina@example.com", "owner": tenant}),
        )
        .await;
    let link = format!("/api/v1/users/{pending}/activation-link");
    let r = s.post(&link, &tadmin, json!({"send": true})).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "smtp_not_configured")
    );

    // Only system administrators see or change them.
    assert_eq!(
        s.get("/api/v1/settings/smtp", &tadmin).await.status,
        StatusCode::FORBIDDEN
    );
    let port: u16 = sink.url.rsplit(':').next().unwrap().parse().unwrap();
    let good = json!({"host": "127.0.0.1", "port": port, "security": "none",
                      "username": "mailer", "password": SMTP_SECRET,
                      "from": "Acme roster <roster@acme.example>"});
    assert_eq!(
        put_smtp(&s, &tadmin, good.clone()).await.status,
        StatusCode::FORBIDDEN
    );

    // Bad input changes nothing.
    for (bad, status, code) in [
        (
            json!({"port": 0}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "out_of_range",
        ),
        (
            json!({"host": " "}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_host",
        ),
        (
            json!({"from": "not an address"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_email",
        ),
        (
            json!({"security": "ssl3"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            json!({"colour": "red"}),
            StatusCode::BAD_REQUEST,
            "unknown_field",
        ),
    ] {
        let mut body = good.clone();
        for (k, v) in bad.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = put_smtp(&s, &sys, body).await;
        assert_eq!((r.status, r.code()), (status, code), "{bad}: {}", r.body);
    }
    assert_eq!(
        s.get("/api/v1/settings/smtp", &sys).await.body["configured"],
        false
    );

    // Saved: shown without the password, used at once, with the credentials.
    let r = put_smtp(&s, &sys, good.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["source"], "settings");
    assert_eq!(r.body["password_set"], true);
    assert_eq!(r.body["host"], "127.0.0.1");
    assert!(!r.body.to_string().contains(SMTP_SECRET));
    let r = s.get("/api/v1/settings/smtp", &sys).await;
    assert!(!r.body.to_string().contains(SMTP_SECRET));
    assert_eq!(r.body["username"], "mailer");
    let r = s
        .post(
            "/api/v1/settings/smtp/test",
            &sys,
            json!({"to": "ops@acme.example"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let mail = sink.wait_for("ops@acme.example");
    assert!(
        mail.data
            .contains("From: \"Acme roster\" <roster@acme.example>"),
        "{}",
        mail.data
    );
    assert_eq!(
        mail.auth.as_deref(),
        Some(format!("mailer:{SMTP_SECRET}").as_str())
    );
    let r = s.post(&link, &tadmin, json!({"send": true})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    sink.wait_for("gina@example.com");

    // Saving again without a password keeps it for the same username.
    let mut again = good.clone();
    again.as_object_mut().unwrap().remove("password");
    let r = put_smtp(&s, &sys, again).await;
    assert_eq!(r.body["password_set"], true, "{}", r.body);
    s.post(
        "/api/v1/settings/smtp/test",
        &sys,
        json!({"to": "second@acme.example"}),
    )
    .await;
    assert_eq!(
        sink.wait_for("second@acme.example").auth.as_deref(),
        Some(format!("mailer:{SMTP_SECRET}").as_str())
    );

    // The audit log records the change but not the password; nor does the server's log.
    let r = s
        .get("/api/v1/audit?action=settings.smtp_update", &sys)
        .await;
    let events = r.body["items"].as_array().unwrap();
    assert_eq!(events.len(), 2, "{}", r.body);
    assert_eq!(events[1]["summary"]["password_changed"], true);
    assert!(!r.body.to_string().contains(SMTP_SECRET));
    assert!(!s.output.lock().unwrap().contains(SMTP_SECRET));

    // Forgotten: email is off again (this server has no configuration to fall back on).
    let r = s.delete("/api/v1/settings/smtp", &sys).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["configured"], false);
    let r = s.post(&link, &tadmin, json!({"send": true})).await;
    assert_eq!(r.code(), "smtp_not_configured");
    s.assert_consistent();
}

#[tokio::test]
async fn configured_smtp_applies_until_settings_are_saved() {
    let configured = SmtpSink::start();
    let saved = SmtpSink::start();
    let s = Server::start_with(
        &[
            ("ROSTER_ADMIN_PASSWORD", ADMIN_PASSWORD),
            ("ROSTER_SMTP_URL", &configured.url),
            ("ROSTER_SMTP_FROM", "roster <roster@example.com>"),
        ],
        &[],
    );
    let sys = s.admin().await;
    let r = s.get("/api/v1/settings/smtp", &sys).await;
    assert_eq!(r.body["source"], "configuration", "{}", r.body);
    let send = |to: &'static str| {
        let s = &s;
        let sys = sys.clone();
        async move {
            let r = s
                .post("/api/v1/settings/smtp/test", &sys, json!({"to": to}))
                .await;
            assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
        }
    };
    send("one@example.com").await;
    configured.wait_for("one@example.com");

    let port: u16 = saved.url.rsplit(':').next().unwrap().parse().unwrap();
    put_smtp(
        &s,
        &sys,
        json!({"host": "127.0.0.1", "port": port, "security": "none",
               "from": "saved <saved@example.com>"}),
    )
    .await;
    send("two@example.com").await;
    assert!(saved.wait_for("two@example.com").auth.is_none());
    assert_eq!(configured.count(), 1, "the saved settings win");

    s.delete("/api/v1/settings/smtp", &sys).await;
    send("three@example.com").await;
    configured.wait_for("three@example.com");
}

async fn patch_policy(s: &Server, token: &str, tenant: &str, body: Value) -> Res {
    s.patch(&format!("/api/v1/tenants/{tenant}/policy"), token, body)
        .await
}

#[tokio::test]
async fn a_tenant_password_policy_applies_to_every_way_a_password_is_set() {
    let s = Server::start();
    let sys = s.admin().await;
    let (acme, aadmin) = s.tenant_with_admin(&sys, "Acme").await;
    let (_globex, gadmin) = s.tenant_with_admin(&sys, "Globex").await;
    let customer = s
        .create(
            &aadmin,
            "/api/v1/customers",
            json!({"name": "Branch", "parent": acme}),
        )
        .await;

    // The default: 12 characters, common passwords refused, no composition rule.
    let r = s
        .get(&format!("/api/v1/tenants/{acme}/policy"), &aadmin)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.body,
        json!({"password_min_length": 12, "password_character_classes": 0,
               "password_refuse_common": true, "second_factor": "none"})
    );
    let create = |login: &str, password: &str, owner: &str| {
        json!({"login": login, "password": password, "owner": owner,
               "first_name": "Wilhelmina", "last_name": "Gorczany"})
    };
    for (password, code) in [
        ("short pass", "password_too_short"),
        ("password1234", "password_too_common"),
        ("qwertyuiop123", "password_too_common"),
        ("Wilhelmina1987", "password_too_common"),
        ("wilhelmina.gorczany", "password_is_login"),
        ("GORCZANY", "password_too_short"),
    ] {
        let r = s
            .post(
                "/api/v1/users",
                &aadmin,
                create("wilhelmina.gorczany", password, &acme),
            )
            .await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, code),
            "{password}: {}",
            r.body
        );
        assert_eq!(r.body["error"]["details"]["field"], "password");
    }

    // Only the tenant's administrators change it; another tenant cannot even see it.
    let r = patch_policy(&s, &gadmin, &acme, json!({"password_min_length": 16})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let users = s.predefined_group(&aadmin, &acme, "users").await;
    let user = s.user(&aadmin, &acme, "plain.user", &[&users]).await;
    let plain = s.login("plain.user", PASSWORD).await;
    let r = s
        .get(&format!("/api/v1/tenants/{acme}/policy"), &plain)
        .await;
    assert_eq!(r.status, StatusCode::OK, "the Users group reads it");
    let r = patch_policy(&s, &plain, &acme, json!({"password_min_length": 16})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = s
        .get(&format!("/api/v1/tenants/{customer}/policy"), &aadmin)
        .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "customers follow their tenant"
    );

    // Bad values are refused and change nothing.
    for (bad, code) in [
        (json!({"password_min_length": 7}), "out_of_range"),
        (json!({"password_min_length": 300}), "out_of_range"),
        (json!({"password_character_classes": 5}), "out_of_range"),
    ] {
        let r = patch_policy(&s, &aadmin, &acme, bad.clone()).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, code),
            "{bad}"
        );
    }
    for (bad, code) in [
        (json!({"second_factor": "sometimes"}), "invalid_input"),
        (json!({"colour": 1}), "unknown_field"),
    ] {
        let r = patch_policy(&s, &aadmin, &acme, bad).await;
        assert_eq!(r.code(), code);
    }
    let r = s
        .get(&format!("/api/v1/tenants/{acme}/policy"), &aadmin)
        .await;
    assert_eq!(r.body["password_min_length"], 12);

    // A stricter policy: 20 characters and three kinds, for users of the tenant and its
    // customers, whichever way the password is set; not for the other tenant.
    let r = patch_policy(
        &s,
        &aadmin,
        &acme,
        json!({"password_min_length": 20, "password_character_classes": 3}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["password_min_length"], 20);
    assert_eq!(r.body["password_refuse_common"], true, "the rest stays");
    let r = s
        .post(
            "/api/v1/users",
            &aadmin,
            create("in.branch", "a long but lowercase one", &customer),
        )
        .await;
    assert_eq!(r.code(), "password_needs_character_classes", "{}", r.body);
    let r = s
        .post(
            "/api/v1/users",
            &aadmin,
            create("in.branch", "Short Mixed 1", &customer),
        )
        .await;
    assert_eq!(r.code(), "password_too_short", "{}", r.body);
    let r = s
        .post(
            "/api/v1/users",
            &aadmin,
            create("in.branch", "Twenty Characters Long 7", &customer),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = s
        .post(
            &format!("/api/v1/users/{user}/password"),
            &aadmin,
            json!({"password": "not mixed enough at all"}),
        )
        .await;
    assert_eq!(r.code(), "password_needs_character_classes", "{}", r.body);
    let r = s
        .post(
            "/api/v1/me/password",
            &plain,
            json!({"current_password": PASSWORD, "new_password": "Still Too Short 1"}),
        )
        .await;
    assert_eq!(r.code(), "password_too_short", "{}", r.body);
    let r = s
        .post(
            "/api/v1/me/password",
            &plain,
            json!({"current_password": PASSWORD, "new_password": "Long Enough And Mixed 42"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let globex_tenant = s.get("/api/v1/tenants", &gadmin).await.body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = s
        .post(
            "/api/v1/users",
            &gadmin,
            create("globex.user", "a long but lowercase one", &globex_tenant),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

    // Common passwords may be allowed explicitly.
    patch_policy(
        &s,
        &aadmin,
        &acme,
        json!({"password_refuse_common": false, "password_min_length": 12,
               "password_character_classes": 0}),
    )
    .await;
    let r = s
        .post(
            "/api/v1/users",
            &aadmin,
            create("weak.user", "password1234", &acme),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

    // Every change is audited with before and after.
    let r = s
        .get("/api/v1/audit?action=settings.policy_update", &aadmin)
        .await;
    let events = r.body["items"].as_array().unwrap();
    assert_eq!(events.len(), 2, "{}", r.body);
    assert_eq!(events[1]["summary"]["before"]["password_min_length"], 12);
    assert_eq!(events[1]["summary"]["after"]["password_min_length"], 20);

    // The install's own policy governs system administrators, and only they see it.
    assert_eq!(
        s.get("/api/v1/settings/policy", &aadmin).await.status,
        StatusCode::NOT_FOUND
    );
    let r = s
        .patch(
            "/api/v1/settings/policy",
            &sys,
            json!({"password_min_length": 24}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = s
        .post(
            "/api/v1/me/password",
            &sys,
            json!({"current_password": ADMIN_PASSWORD, "new_password": "admin password of 23 ch"}),
        )
        .await;
    assert_eq!(r.code(), "password_too_short", "{}", r.body);
    s.assert_consistent();
}
