//! The console's account pages in a real Chromium, one test per manual workflow: the user
//! details pane (roles and access, "why?", password, sessions, second factors, owner, login
//! as user), My account (profile, authenticator app, API tokens), the audit log with its
//! export, and the settings page. Each checks on screen and through the API.

#[path = "common/browser.rs"]
mod browser;
mod common;
mod smtp_sink;

use browser::*;
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use smtp_sink::SmtpSink;

/// The id of the built-in role called `name`.
async fn role_id(s: &Server, token: &str, name: &str) -> String {
    let r = s.get("/api/v1/roles", token).await;
    r.body["items"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["name"] == name))
        .and_then(|r| r["id"].as_str())
        .expect("role")
        .to_string()
}

/// The logins of a group's members, as the API lists them.
async fn member_logins(s: &Server, token: &str, group: &str) -> Vec<String> {
    let r = s
        .get(&format!("/api/v1/groups/{group}/members"), token)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["user"]["login"].as_str().map(str::to_string))
        .collect()
}

/// Scrolls the element matching `css` to the top of the window (for screenshots).
async fn scroll_to(b: &Browser, css: &str) {
    b.find(css).await;
    b.c.execute(
        "document.querySelector(arguments[0]).scrollIntoView();",
        vec![json!(css)],
    )
    .await
    .expect("scroll");
}

/// Whether the page fits the window's width (no sideways scrolling).
async fn fits(b: &Browser) -> bool {
    b.c.execute(
        "return document.documentElement.scrollWidth <= window.innerWidth;",
        vec![],
    )
    .await
    .expect("measure")
        == json!(true)
}

/// Teamwork Cloud: create a user with Enable, then in the details pane edit them, assign a
/// role (and ask "why?"), assign them to a group and change their password.
#[tokio::test]
async fn teamwork_cloud_user_details_roles_groups_and_password() {
    let Some((_turn, b)) = browser("web console browser tests").await else {
        return;
    };
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, tadmin) = s.tenant_with_admin(&sys, "Acme").await;
    let ops = s
        .create(
            &tadmin,
            "/api/v1/groups",
            json!({"name": "Ops", "owner": tenant}),
        )
        .await;
    let editor = role_id(&s, &tadmin, "Editor").await;

    b.sign_in(&s.base, "acme-admin", PASSWORD).await;
    b.click("#new-user").await;
    b.find("#create-user-form").await;
    assert!(b.find("#enabled").await.is_selected().await.unwrap());
    b.fill("#login", "tess").await;
    b.fill("#password", PASSWORD).await;
    b.fill("#confirm", PASSWORD).await;
    b.click("#role-none").await;
    b.click("#create-user-button").await;
    b.wait_text("#user-details h2", "tess").await;
    let tess = api_user(&s, &tadmin, "tess").await.expect("tess");
    let tess_id = tess["id"].as_str().unwrap().to_string();
    assert_eq!(tess["status"], "active");

    // Edit user details.
    b.fill("#user-details #first_name", "Tess").await;
    b.fill("#user-details #last_name", "Teller").await;
    b.click("#save-user").await;
    b.wait_text("#pane-notice", "Saved.").await;
    assert_eq!(
        api_user(&s, &tadmin, "tess").await.unwrap()["last_name"],
        "Teller"
    );

    // Assign a role: Editor on the tenant.
    b.wait_text("#no-effective", "may do nothing").await;
    b.find("#give-role")
        .await
        .select_by_value(&editor)
        .await
        .expect("pick Editor");
    b.find("#give-scope")
        .await
        .select_by_value(&tenant)
        .await
        .expect("pick Acme");
    b.click("#give-role-button").await;
    b.wait_text("#pane-notice", "Role given.").await;
    b.wait_text("#user-grants", "Editor on Acme").await;
    let grants = s
        .get(&format!("/api/v1/grants?subject={tess_id}"), &tadmin)
        .await;
    let items = grants.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", grants.body);
    assert_eq!(items[0]["role"], editor.as_str());
    assert_eq!(items[0]["scope"], tenant.as_str());

    // Effective permissions, and "why?" next to one of them: explain's path.
    b.wait_text("#effective-permissions", "*:write").await;
    b.click("#effective-permissions a.why").await;
    b.wait_text("#why-answer", "Allowed on Acme").await;
    let path = b.wait_text("#why-path", "given directly").await;
    assert!(path.contains("role Editor"), "{path}");
    scroll_to(&b, "#roles-and-access").await;
    b.screenshot("user-roles-and-access").await;
    // A typed question the grants do not answer yes to.
    b.fill("#why-action", "user:delete").await;
    b.fill("#why-resource", "acme-admin").await;
    b.click("#why-button").await;
    b.wait_text("#why-answer", "no grant gives it").await;
    let explained = s
        .post(
            "/api/v1/explain",
            &tadmin,
            json!({"user": tess_id, "action": "write", "resource": tenant}),
        )
        .await;
    assert_eq!(explained.body["allowed"], true, "{}", explained.body);

    // Assign the user to a group.
    b.find("#add-group")
        .await
        .select_by_value(&ops)
        .await
        .expect("pick Ops");
    b.click("#add-to-group").await;
    b.wait_text("#user-groups", "Ops").await;
    assert_eq!(member_logins(&s, &tadmin, &ops).await, ["tess"]);

    // Change the password: typed twice; the new one signs in, the old one no longer does.
    b.fill("#new_password", "tess new password 1").await;
    b.fill("#new_confirm", "tess new password 2").await;
    assert!(!b.enabled("#set-password").await, "confirmation differs");
    b.fill("#new_confirm", "tess new password 1").await;
    b.click("#set-password").await;
    b.wait_text("#pane-notice", "Password set").await;
    s.login("tess", "tess new password 1").await;
    let old = s
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "tess", "password": PASSWORD})),
        )
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);

    // Revoke the role again.
    b.click("#user-grants li button").await;
    b.wait_text("#pane-notice", "Grant revoked.").await;
    let grants = s
        .get(&format!("/api/v1/grants?subject={tess_id}"), &tadmin)
        .await;
    assert_eq!(grants.body["items"], json!([]));
    b.screenshot("user-details-full").await;

    // At 390 px the pane still fits.
    b.c.set_window_size(390, 844).await.expect("resize");
    b.goto(&format!("{}/users/{tess_id}", s.base)).await;
    b.find("#roles-and-access").await;
    assert!(
        fits(&b).await,
        "the details pane scrolls sideways at 390 px"
    );
    scroll_to(&b, "#roles-and-access").await;
    b.screenshot("user-roles-and-access-390px").await;

    b.close().await;
    s.assert_consistent();
}

/// VoIP console: the current user edits their own profile and turns on two-factor
/// authentication with an authenticator app; an administrator deletes a user.
#[tokio::test]
async fn voip_own_profile_authenticator_tokens_and_delete() {
    let Some((_turn, b)) = browser("web console browser tests").await else {
        return;
    };
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, tadmin) = s.tenant_with_admin(&sys, "Acme").await;
    s.user(&tadmin, &tenant, "vic", &[]).await;
    let doomed = s.user(&tadmin, &tenant, "doomed", &[]).await;

    // A user who may create nobody sees no "Create user" or "Create group".
    b.sign_in(&s.base, "vic", PASSWORD).await;
    b.goto(&format!("{}/users", s.base)).await;
    b.find("#users-h").await;
    b.wait_gone("#new-user").await;
    b.goto(&format!("{}/groups", s.base)).await;
    b.find("#groups-h").await;
    b.wait_gone("#new-group").await;

    // Edit own profile: a wrong phone is refused next to the field, then saved.
    b.click("#nav-account").await;
    b.find("#profile-form").await;
    b.fill("#first_name", "Victor").await;
    b.fill("#phone", "not a number").await;
    b.click("#save-profile").await;
    b.wait_text("#phone-error", "phone number").await;
    assert_eq!(b.value("#first_name").await, "Victor");
    b.fill("#phone", "+1 555 0199").await;
    b.click("#save-profile").await;
    b.wait_text("#account-notice", "Profile saved.").await;
    let vic = s.login("vic", PASSWORD).await;
    let me = s.get("/api/v1/me", &vic).await;
    assert_eq!(
        (me.body["first_name"].as_str(), me.body["phone"].as_str()),
        (Some("Victor"), Some("+1 555 0199")),
        "{}",
        me.body
    );
    b.screenshot("my-account").await;

    // Enable two-factor authentication: the QR code shows (a data: image the CSP allows),
    // the authenticator's first code turns it on, the ten recovery codes show once.
    b.click("#enable-totp").await;
    b.find("#totp-qr").await;
    let width =
        b.c.execute(
            "const i = document.getElementById('totp-qr'); return i.complete ? i.naturalWidth : 0;",
            vec![],
        )
        .await
        .expect("measure the QR code");
    assert!(width.as_u64().unwrap_or(0) > 0, "the QR code did not load");
    let secret = b.find("#totp-secret").await.text().await.unwrap();
    scroll_to(&b, "#totp-h").await;
    b.screenshot("my-account-authenticator").await;
    b.fill("#code", "000000").await;
    b.click("#confirm-totp").await;
    b.wait_text("#code-error", "wrong").await;
    assert!(b.find("#totp-qr").await.is_displayed().await.unwrap());
    let Some(code) = oathtool(&secret) else {
        return;
    };
    b.fill("#code", &code).await;
    b.click("#confirm-totp").await;
    let codes = b
        .wait_all("#recovery-codes li", "class", |c| c.len() == 10)
        .await;
    assert_eq!(codes.len(), 10);
    let recovery = b
        .find("#recovery-codes li code")
        .await
        .text()
        .await
        .unwrap();
    b.wait_text("#totp-state", "On").await;
    let login = s
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "vic", "password": PASSWORD})),
        )
        .await;
    assert_eq!(login.body["next"], "mfa", "{}", login.body);

    // The next sign-in asks for a code.
    b.sign_out().await;
    b.fill("#login", "vic").await;
    b.fill("#password", PASSWORD).await;
    b.click("#sign-in").await;
    b.find("#second-factor-form").await;
    b.fill("#code", &recovery).await;
    b.click("#verify-code").await;
    b.wait_text("#signed-in-as", "vic").await;

    // Own sessions: the API's session shows beside this browser's and ends from here.
    b.goto(&format!("{}/account", s.base)).await;
    let other = b
        .wait_all(
            "#own-sessions li:not([data-current])",
            "data-session",
            |l| l.len() == 1,
        )
        .await;
    b.click(&format!(
        "#own-sessions li[data-session='{}'] button",
        other[0]
    ))
    .await;
    b.wait_text("#account-notice", "Session ended.").await;
    assert_eq!(
        s.get("/api/v1/me", &vic).await.status,
        StatusCode::UNAUTHORIZED
    );

    // Remove the authenticator: sign-in asks for the password only again.
    b.click("#remove-totp").await;
    b.wait_text("#totp-state", "Off").await;
    let login = s
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "vic", "password": PASSWORD})),
        )
        .await;
    assert_eq!(login.body["next"], Value::Null, "{}", login.body);

    // An API token, shown once; it works until revoked.
    b.fill("#token_name", "backup script").await;
    b.click("#create-token").await;
    b.wait_text("#account-notice", "backup script").await;
    let token = b.value("#new-token").await;
    assert!(token.starts_with("rst_"), "{token}");
    assert_eq!(s.get("/api/v1/me", &token).await.status, StatusCode::OK);
    b.click("#api-tokens li[data-name='backup script'] button")
        .await;
    b.wait_text("#account-notice", "Token revoked").await;
    assert_eq!(
        s.get("/api/v1/me", &token).await.status,
        StatusCode::UNAUTHORIZED
    );

    // Delete user: an administrator, from the details pane.
    b.sign_out().await;
    b.sign_in(&s.base, "acme-admin", PASSWORD).await;
    b.goto(&format!("{}/users/{doomed}", s.base)).await;
    b.click("#delete-user").await;
    b.wait_text("#delete-confirmation", "audit trail").await;
    b.click("#confirm-delete").await;
    b.wait_text("#pane-message", "Deleted doomed").await;
    let gone = s.get(&format!("/api/v1/users/{doomed}"), &tadmin).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);

    b.c.set_window_size(390, 844).await.expect("resize");
    b.goto(&format!("{}/account", s.base)).await;
    b.find("#profile-form").await;
    assert!(fits(&b).await, "My account scrolls sideways at 390 px");
    b.screenshot("my-account-390px").await;

    b.close().await;
    s.assert_consistent();
}

/// ThingsBoard: login as user with a reason (the banner on every page, return to my
/// account), change owner and groups, delete keeping the audit trail; the audit page and
/// its export find the trail.
#[tokio::test]
async fn thingsboard_login_as_user_owner_change_and_audit_trail() {
    let Some((_turn, b)) = browser("web console browser tests").await else {
        return;
    };
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, tadmin) = s.tenant_with_admin(&sys, "Acme").await;
    let north = s
        .create(
            &tadmin,
            "/api/v1/customers",
            json!({"name": "North", "parent": tenant}),
        )
        .await;
    let north_ops = s
        .create(
            &tadmin,
            "/api/v1/groups",
            json!({"name": "North Ops", "owner": north}),
        )
        .await;
    let ops = s
        .create(
            &tadmin,
            "/api/v1/groups",
            json!({"name": "Ops", "owner": tenant}),
        )
        .await;
    let cora = s.user(&tadmin, &north, "cora", &[&north_ops, &ops]).await;

    // Login as user: a reason is asked for; then the console is cora's, with a banner.
    b.sign_in(&s.base, "acme-admin", PASSWORD).await;
    b.goto(&format!("{}/users/{cora}", s.base)).await;
    assert!(!b.enabled("#login-as-user").await, "no reason yet");
    b.fill("#reason", "Checking what Cora sees").await;
    b.click("#login-as-user").await;
    let banner = b.wait_text("#impersonation-banner", "acme-admin").await;
    assert!(banner.contains("cora"), "{banner}");
    b.wait_text("#signed-in-as", "cora").await;
    b.screenshot("login-as-user").await;
    b.c.set_window_size(390, 844).await.expect("resize");
    b.find("#return-to-my-account").await;
    assert!(fits(&b).await, "the banner scrolls sideways at 390 px");
    b.screenshot("login-as-user-390px").await;
    b.c.set_window_size(1280, 900).await.expect("resize");
    // The banner stays on every page.
    b.click("#nav-account").await;
    b.wait_text("#account-login", "cora").await;
    b.find("#impersonation-banner").await;
    // Her password stays hers: a login as user cannot change it.
    b.fill("#current_password", PASSWORD).await;
    b.fill("#new_password", "chosen by the admin").await;
    b.fill("#confirm", "chosen by the admin").await;
    b.click("#change-own-password").await;
    b.wait_text(".form-error", "changed by its owner").await;
    s.login("cora", PASSWORD).await;
    b.goto(&format!("{}/audit", s.base)).await;
    b.wait_text(".form-error", "not allowed").await;
    b.find("#impersonation-banner").await;
    let started = s
        .get("/api/v1/audit?action=user.impersonate", &tadmin)
        .await;
    let event = &started.body["items"][0];
    assert_eq!(event["target"], cora.as_str(), "{}", started.body);
    assert_eq!(event["summary"]["reason"], "Checking what Cora sees");
    // What a login as user may not do: make API tokens that would outlive it.
    let as_cora = s
        .post(
            &format!("/api/v1/users/{cora}/impersonate"),
            &tadmin,
            json!({"reason": "API check"}),
        )
        .await;
    let as_cora = as_cora.body["token"].as_str().unwrap().to_string();
    let refused = s
        .post("/api/v1/me/tokens", &as_cora, json!({"name": "keep"}))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);

    // Return to my account: the administrator again, on cora's details.
    b.click("#return-to-my-account").await;
    b.wait_text("#user-details h2", "cora").await;
    b.wait_text("#signed-in-as", "acme-admin").await;
    b.wait_gone("#impersonation-banner").await;

    // Change owner: from North to the tenant; North's group cannot hold her any more.
    b.find("#new-owner")
        .await
        .select_by_value(&tenant)
        .await
        .expect("pick Acme");
    b.click("#change-owner").await;
    let notice = b.wait_text("#pane-notice", "North Ops").await;
    assert!(notice.contains("left"), "{notice}");
    let user = s.get(&format!("/api/v1/users/{cora}"), &tadmin).await;
    assert_eq!(user.body["owner"], tenant.as_str());
    assert!(member_logins(&s, &tadmin, &north_ops).await.is_empty());
    assert_eq!(member_logins(&s, &tadmin, &ops).await, ["cora"]);
    scroll_to(&b, "#user-details").await;
    b.screenshot("user-owner-and-groups").await;

    // Delete: the confirmation says what stays; the audit trail does.
    b.click("#delete-user").await;
    let confirm = b.wait_text("#delete-confirmation", "audit trail").await;
    assert!(confirm.contains("everything they created"), "{confirm}");
    b.click("#confirm-delete").await;
    b.wait_text("#pane-message", "Deleted cora").await;
    let trail = s
        .get(&format!("/api/v1/audit?target={cora}"), &tadmin)
        .await;
    let actions: Vec<&str> = trail.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(
        actions.contains(&"user.delete") && actions.contains(&"user.impersonate"),
        "{actions:?}"
    );

    // The audit page pages through the log, 50 events at a time.
    for i in 0..55 {
        s.create(
            &tadmin,
            "/api/v1/groups",
            json!({"name": format!("Team {i:02}"), "owner": tenant}),
        )
        .await;
    }
    b.goto(&format!("{}/audit?action=group.create", s.base))
        .await;
    let first = b
        .wait_all("tr.audit-row", "data-target", |r| r.len() == 50)
        .await;
    b.click("#next-page").await;
    let second = b
        .wait_all("tr.audit-row", "data-target", |r| r.len() == 7)
        .await;
    assert!(second.iter().all(|t| !first.contains(t)), "{second:?}");
    // A time range after everything finds nothing.
    b.goto(&format!("{}/audit?since=2999-01-01T00%3A00", s.base))
        .await;
    b.wait_text("#no-events", "No events match.").await;

    // The audit page: filtered by target (her id: the username is gone), exported.
    b.goto(&format!("{}/audit", s.base)).await;
    b.find("tr.audit-row").await;
    b.fill("#target", &cora).await;
    b.fill("#action", "user.").await;
    b.click("#apply-filters").await;
    let shown = b
        .wait_all("tr.audit-row", "data-action", |a| {
            a.contains(&"user.delete".to_string())
        })
        .await;
    assert!(shown.iter().all(|a| a.starts_with("user.")), "{shown:?}");
    assert!(shown.contains(&"user.impersonate".to_string()), "{shown:?}");
    b.screenshot("audit").await;
    let session =
        b.c.get_named_cookie("roster_session")
            .await
            .expect("session cookie")
            .value()
            .to_string();
    let download = |path: String| {
        let s = &s;
        let session = session.clone();
        async move {
            let res = s
                .http
                .get(format!("{}{path}", s.base))
                .header("cookie", format!("roster_session={session}"))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            let disposition = res.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .to_string();
            assert!(disposition.starts_with("attachment"), "{disposition}");
            res.text().await.unwrap()
        }
    };
    let csv = download(format!("/audit/export.csv?target={cora}&action=user.")).await;
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().starts_with("id,time,tenant,actor"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), shown.len(), "{csv}");
    assert!(rows.iter().any(|l| l.contains("user.delete")), "{csv}");
    let json: Value = serde_json::from_str(
        &download(format!("/audit/export.json?target={cora}&action=user.")).await,
    )
    .expect("a JSON array");
    let exported = json.as_array().expect("array");
    assert_eq!(exported.len(), shown.len());
    assert!(exported.iter().all(
        |e| e["target"] == cora.as_str() && e["action"].as_str().unwrap().starts_with("user.")
    ));

    b.c.set_window_size(390, 844).await.expect("resize");
    b.goto(&format!("{}/audit", s.base)).await;
    b.find("tr.audit-row").await;
    assert!(fits(&b).await, "the audit page scrolls sideways at 390 px");
    b.screenshot("audit-390px").await;

    b.close().await;
    s.assert_consistent();
}

/// TrueCommand: an administrator requires a password change at next login (and sees and
/// ends sessions, and resets a second factor); the user's next sign-in asks for the new
/// password.
#[tokio::test]
async fn truecommand_password_change_required_at_next_login() {
    let Some((_turn, b)) = browser("web console browser tests").await else {
        return;
    };
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, tadmin) = s.tenant_with_admin(&sys, "Acme").await;
    let ted = s.user(&tadmin, &tenant, "ted", &[]).await;
    let first = s.login("ted", PASSWORD).await;
    let second = s.login("ted", PASSWORD).await;
    let e = s
        .call(Method::POST, "/api/v1/me/totp", Some(&first), None)
        .await;
    let secret = e.body["secret"].as_str().unwrap().to_string();
    let Some(code) = oathtool(&secret) else {
        return;
    };
    let r = s
        .post("/api/v1/me/totp/confirm", &first, json!({"code": code}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    b.sign_in(&s.base, "acme-admin", PASSWORD).await;
    b.goto(&format!("{}/users/{ted}", s.base)).await;

    // Sessions: both show; end one, then all.
    let listed = b
        .wait_all("#user-sessions li", "data-session", |l| l.len() == 2)
        .await;
    b.click(&format!(
        "#user-sessions li[data-session='{}'] button",
        listed[0]
    ))
    .await;
    b.wait_text("#pane-notice", "Session ended.").await;
    b.wait_all("#user-sessions li", "data-session", |l| l.len() == 1)
        .await;
    b.click("#end-all-sessions").await;
    b.wait_text("#pane-notice", "1 session(s) ended.").await;
    for t in [&first, &second] {
        assert_eq!(
            s.get("/api/v1/me", t).await.status,
            StatusCode::UNAUTHORIZED
        );
    }

    // A lost phone: the second factor is reset, sign-in asks for the password only.
    b.wait_text("#factor-state", "An authenticator app is set up")
        .await;
    b.click("#reset-second-factors").await;
    b.wait_text("#pane-notice", "Second factors reset").await;
    b.wait_text("#factor-state", "No authenticator").await;
    let login = s
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "ted", "password": PASSWORD})),
        )
        .await;
    assert_eq!(login.body["next"], Value::Null, "{}", login.body);

    // Require a password change at next login.
    b.click("#require-password-change").await;
    b.wait_text("#must-change-note", "must choose a new password")
        .await;
    scroll_to(&b, "#password-h").await;
    b.screenshot("user-password-and-sessions").await;
    assert_eq!(
        api_user(&s, &tadmin, "ted").await.unwrap()["must_change_password"],
        true
    );

    // The user's next sign-in asks for it first.
    b.sign_out().await;
    b.fill("#login", "ted").await;
    b.fill("#password", PASSWORD).await;
    b.click("#sign-in").await;
    b.find("#change-password-form").await;
    b.fill("#current_password", PASSWORD).await;
    b.fill("#new_password", "ted chose this one").await;
    b.fill("#confirm", "ted chose this one").await;
    b.click("#change-password").await;
    b.wait_text("#signed-in-as", "ted").await;
    assert_eq!(
        api_user(&s, &tadmin, "ted").await.unwrap()["must_change_password"],
        false
    );
    s.login("ted", "ted chose this one").await;

    b.close().await;
    s.assert_consistent();
}

/// Settings: system administrators see whether outgoing email is configured and send a test
/// email through a real SMTP exchange; a tenant administrator sees only their policy.
#[tokio::test]
async fn settings_show_outgoing_email_and_send_a_test() {
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
    s.tenant_with_admin(&sys, "Acme").await;

    // A tenant administrator sees their tenant's policy, not the install's email settings.
    b.sign_in(&s.base, "acme-admin", PASSWORD).await;
    b.click("#nav-settings").await;
    b.find("#policy-form").await;
    b.wait_gone("#smtp").await;
    b.sign_out().await;

    b.sign_in(&s.base, "admin", ADMIN_PASSWORD).await;
    b.click("#nav-settings").await;
    b.wait_text("#smtp-state", "Configured").await;
    b.fill("#to", "not an address").await;
    assert!(!b.enabled("#send-test-email").await, "not an address");
    b.fill("#to", "ops@example.com").await;
    b.click("#send-test-email").await;
    b.wait_text("#settings-notice", "ops@example.com").await;
    let mail = sink.wait_for("ops@example.com");
    assert!(mail.data.contains("roster"), "{}", mail.data);
    b.screenshot("settings").await;
    let audit = s.get("/api/v1/audit?action=settings.smtp_test", &sys).await;
    assert_eq!(audit.body["items"][0]["summary"]["delivered"], true);

    b.close().await;
    s.assert_consistent();
}

/// The create panes offer as owners only the tenants and customers where the caller may
/// create: a customer administrator who may also read the whole tenant (through its Users
/// group) is offered their customer, not the tenant. Plain HTTP, no browser needed.
#[tokio::test]
async fn create_panes_offer_only_owners_the_caller_may_create_under() {
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, tadmin) = s.tenant_with_admin(&sys, "Acme").await;
    let customer = s
        .create(
            &tadmin,
            "/api/v1/customers",
            json!({"name": "North", "parent": tenant}),
        )
        .await;
    let readers = s.predefined_group(&tadmin, &tenant, "users").await;
    let cust_admins = s
        .predefined_group(&tadmin, &customer, "administrators")
        .await;
    s.user(&tadmin, &customer, "cora", &[&readers, &cust_admins])
        .await;
    let cora = s.login("cora", PASSWORD).await;
    // As htmx asks for a pane: the pane alone, without the list's owner filter.
    let page = |path: &'static str| {
        let req = s
            .http
            .get(format!("{}{path}", s.base))
            .header("cookie", format!("roster_session={cora}"))
            .header("hx-request", "true");
        async move {
            let res = req.send().await.expect("request");
            assert_eq!(res.status(), StatusCode::OK, "{path}");
            res.text().await.expect("page")
        }
    };
    for path in ["/users/new", "/groups/new"] {
        let html = page(path).await;
        assert!(
            html.contains(&format!("<option value=\"{customer}\"")),
            "{path} offers the customer cora administers"
        );
        assert!(
            !html.contains(&format!("<option value=\"{tenant}\"")),
            "{path} offers the tenant cora may only read"
        );
    }
}
