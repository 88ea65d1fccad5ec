//! The web console in a real Chromium: each test starts the server and a headless Chromium
//! through ChromeDriver (WebDriver, with fantoccini), does what an administrator does, and
//! checks what they see and, through the API, what the server holds. Screenshots of the main
//! pages land in `target/screenshots/`.

#[path = "common/browser.rs"]
mod browser;
mod common;

use browser::*;
use common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn sign_in_password_change_activation_and_security_headers() {
    let Some((_turn, b)) = browser("web console browser tests").await else {
        return;
    };
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, tadmin) = s.tenant_with_admin(&sys, "Acme").await;

    // Every console page carries a CSP without inline script, and the sign-in form's pairing
    // cookie; the first page an anonymous visitor gets is the sign-in page.
    let res = s
        .http
        .get(format!("{}/login", s.base))
        .send()
        .await
        .unwrap();
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    let res = s
        .http
        .get(format!("{}/users", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.url().path(), "/login");

    // A wrong password: said plainly, the login stays typed.
    b.goto(&format!("{}/", s.base)).await;
    b.fill("#login", "acme-admin").await;
    b.fill("#password", "not the password at all").await;
    b.click("#sign-in").await;
    b.wait_text(".form-error", "The username or the password is wrong.")
        .await;
    assert_eq!(b.value("#login").await, "acme-admin");
    assert_eq!(b.value("#password").await, "");
    b.screenshot("sign-in").await;

    // A user who must change their password gets that step first, then the console.
    s.create(
        &tadmin,
        "/api/v1/users",
        json!({"login": "changer", "owner": tenant, "password": PASSWORD,
               "must_change_password": true}),
    )
    .await;
    b.fill("#login", "changer").await;
    b.fill("#password", PASSWORD).await;
    b.click("#sign-in").await;
    b.find("#change-password-form").await;
    b.screenshot("change-password").await;
    b.fill("#current_password", PASSWORD).await;
    b.fill("#new_password", "a brand new password").await;
    b.fill("#confirm", "a different password").await;
    assert!(!b.enabled("#change-password").await, "confirmation differs");
    b.fill("#confirm", "a brand new password").await;
    assert!(b.enabled("#change-password").await);
    b.click("#change-password").await;
    b.wait_text("#signed-in-as", "changer").await;
    let me = api_user(&s, &tadmin, "changer").await.expect("changer");
    assert_eq!(me["must_change_password"], false);
    b.sign_out().await;
    s.login("changer", "a brand new password").await;

    // An activation link opens "Create your password": typed twice, then signed in.
    let pending = s
        .create(
            &tadmin,
            "/api/v1/users",
            json!({"email": "newcomer@example.com", "owner": tenant}),
        )
        .await;
    let link = s
        .post(
            &format!("/api/v1/users/{pending}/activation-link"),
            &tadmin,
            json!({}),
        )
        .await;
    let url = link.body["url"]
        .as_str()
        .expect("activation url")
        .to_string();
    b.goto(&url).await;
    b.wait_text("h1", "Create your password").await;
    b.fill("#password", "newcomer password 1").await;
    assert!(!b.enabled("#create-password").await, "only typed once");
    b.fill("#confirm", "newcomer password 1").await;
    b.screenshot("activate").await;
    b.click("#create-password").await;
    b.wait_text("#signed-in-as", "newcomer@example.com").await;
    let user = api_user(&s, &tadmin, "newcomer@example.com")
        .await
        .expect("newcomer");
    assert_eq!(user["status"], "active");

    // The link works once.
    b.sign_out().await;
    b.goto(&url).await;
    b.fill("#password", "newcomer password 2").await;
    b.fill("#confirm", "newcomer password 2").await;
    b.click("#create-password").await;
    b.wait_text("h1", "Link used or expired").await;

    b.close().await;
    s.assert_consistent();
}

#[tokio::test]
async fn users_tab_search_create_edit_disable_groups_and_delete() {
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
    s.user(&tadmin, &tenant, "alice", &[]).await;
    s.user(&tadmin, &tenant, "albert", &[]).await;
    s.user(&tadmin, &tenant, "bob", &[]).await;
    // Enough pending users (no password, so no hashing) for a second page.
    for i in 0..20 {
        s.create(
            &tadmin,
            "/api/v1/users",
            json!({"email": format!("zed{i:02}@example.com"), "owner": tenant}),
        )
        .await;
    }

    b.sign_in(&s.base, "acme-admin", PASSWORD).await;
    b.screenshot("users").await;

    // The list is paged by the service's cursors.
    let first = b
        .wait_all("tr.user-row", "data-login", |r| r.len() == 20)
        .await;
    b.click("#next-page").await;
    let second = b
        .wait_all("tr.user-row", "data-login", |r| {
            !r.is_empty() && r.len() < 20
        })
        .await;
    assert!(second.iter().all(|l| !first.contains(l)), "{second:?}");
    b.click("#first-page").await;
    b.wait_all("tr.user-row", "data-login", |r| r.len() == 20)
        .await;

    // Search as you type narrows the list; the status filter too.
    b.fill("#user-search", "al").await;
    let mut rows = b
        .wait_all("tr.user-row", "data-login", |r| r.len() == 2)
        .await;
    rows.sort();
    assert_eq!(rows, ["albert", "alice"]);
    b.fill("#user-search", "").await;
    b.find("#status-filter")
        .await
        .select_by_value("pending")
        .await
        .expect("filter");
    b.wait_all("tr.user-row", "data-login", |r| {
        r.len() == 20 && r.iter().all(|l| l.starts_with("zed"))
    })
    .await;
    b.find("#status-filter")
        .await
        .select_by_value("")
        .await
        .expect("filter");

    // The create pane: required fields marked, Create enabled only once they are filled.
    b.click("#new-user").await;
    b.find("#create-user-form").await;
    let required = b
        .wait_all("#create-user-form label .req:not([hidden])", "class", |r| {
            r.len() >= 3
        })
        .await;
    assert!(required.len() >= 3);
    assert!(
        b.find("#enabled").await.is_selected().await.unwrap(),
        "Enable is on by default"
    );
    assert!(!b.enabled("#create-user-button").await);
    b.fill("#login", "alice").await;
    b.fill("#first_name", "Carol").await;
    b.fill("#password", PASSWORD).await;
    assert!(
        !b.enabled("#create-user-button").await,
        "confirm is missing"
    );
    b.fill("#confirm", PASSWORD).await;
    assert!(b.enabled("#create-user-button").await);
    b.screenshot("create-user").await;

    // A taken username: the error sits next to the field; what was typed stays, except
    // the passwords.
    b.click("#create-user-button").await;
    b.wait_text("#login-error", "This username is taken").await;
    assert_eq!(b.value("#login").await, "alice");
    assert_eq!(b.value("#first_name").await, "Carol");
    assert_eq!(b.value("#password").await, "");
    b.fill("#login", "carol").await;
    b.fill("#password", PASSWORD).await;
    b.fill("#confirm", PASSWORD).await;
    b.click(&format!("#group-{ops}")).await;
    b.click("#create-user-button").await;

    // The details pane opens; the list finds the new user (the last page, ids being in
    // creation order).
    b.wait_text("#user-details h2", "carol").await;
    b.wait_text("#pane-notice", "Created carol.").await;
    b.fill("#user-search", "car").await;
    b.wait_all("tr.user-row", "data-login", |r| r == ["carol"])
        .await;
    let groups = b.wait_text("#user-groups", "Ops").await;
    assert!(groups.contains("Tenant Users"), "role user: {groups}");
    let carol = api_user(&s, &tadmin, "carol").await.expect("carol");
    let carol_id = carol["id"].as_str().unwrap().to_string();
    assert_eq!(
        (carol["status"].as_str(), carol["first_name"].as_str()),
        (Some("active"), Some("Carol"))
    );
    s.login("carol", PASSWORD).await;
    b.screenshot("user-details").await;

    // Editing: a bad phone number is refused next to the field, typed values kept.
    b.fill("#user-details #last_name", "Shaw").await;
    b.fill("#user-details #phone", "call me maybe").await;
    b.click("#save-user").await;
    b.wait_text("#phone-error", "phone number").await;
    assert_eq!(b.value("#user-details #last_name").await, "Shaw");
    assert_eq!(b.value("#user-details #phone").await, "call me maybe");
    b.fill("#user-details #phone", "+1 555 0100").await;
    b.click("#save-user").await;
    b.wait_text("#pane-notice", "Saved.").await;
    let carol = api_user(&s, &tadmin, "carol").await.unwrap();
    assert_eq!(
        (carol["last_name"].as_str(), carol["phone"].as_str()),
        (Some("Shaw"), Some("+1 555 0100"))
    );

    // Disable and enable.
    b.click("#disable-user").await;
    b.wait_text("#user-status", "Disabled").await;
    assert_eq!(
        api_user(&s, &tadmin, "carol").await.unwrap()["status"],
        "disabled"
    );
    b.click("#enable-user").await;
    b.wait_text("#user-status", "Active").await;
    assert_eq!(
        api_user(&s, &tadmin, "carol").await.unwrap()["status"],
        "active"
    );

    // Groups: leave Ops, then join it again from the pane.
    b.click(&format!("#user-groups li[data-group='{ops}'] button"))
        .await;
    b.wait_text("#pane-notice", "Removed from the group.").await;
    b.find("#add-group")
        .await
        .select_by_value(&ops)
        .await
        .expect("pick Ops");
    b.click("#add-to-group").await;
    b.wait_text("#user-groups", "Ops").await;
    let members = s
        .get(&format!("/api/v1/groups/{ops}/members"), &tadmin)
        .await;
    assert!(
        members.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["user"]["id"] == carol_id.as_str()),
        "{}",
        members.body
    );

    // Delete, with a confirmation that says what stays.
    b.click("#delete-user").await;
    let confirm = b.wait_text("#delete-confirmation", "audit trail").await;
    assert!(confirm.contains("everything they created"), "{confirm}");
    b.screenshot("delete-user").await;
    b.click("#confirm-delete").await;
    b.wait_text("#pane-message", "Deleted carol").await;
    b.wait_gone("tr.user-row[data-login='carol']").await;
    let gone = s.get(&format!("/api/v1/users/{carol_id}"), &tadmin).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);

    // At 390 px the page still fits: no sideways scrolling.
    b.c.set_window_size(390, 844).await.expect("resize");
    b.goto(&format!("{}/users", s.base)).await;
    b.find("tr.user-row").await;
    let fits =
        b.c.execute(
            "return document.documentElement.scrollWidth <= window.innerWidth;",
            vec![],
        )
        .await
        .expect("measure");
    assert_eq!(
        fits,
        json!(true),
        "the users page scrolls sideways at 390 px"
    );
    b.screenshot("users-390px").await;

    b.close().await;
    s.assert_consistent();
}

#[tokio::test]
async fn groups_tab_create_and_manage_members() {
    let Some((_turn, b)) = browser("web console browser tests").await else {
        return;
    };
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, tadmin) = s.tenant_with_admin(&sys, "Acme").await;
    let dana = s.user(&tadmin, &tenant, "dana", &[]).await;

    b.sign_in(&s.base, "acme-admin", PASSWORD).await;
    b.click("#groups-tab").await;
    b.wait_all("tr.group-row", "data-name", |r| {
        r.iter().any(|n| n.ends_with("Administrators"))
    })
    .await;

    // Create: the button waits for the name.
    b.click("#new-group").await;
    b.find("#create-group-form").await;
    assert!(!b.enabled("#create-group-button").await);
    b.fill("#name", "Night shift").await;
    b.fill("#description", "Covers 22:00 to 06:00").await;
    assert!(b.enabled("#create-group-button").await);
    b.click("#create-group-button").await;
    b.wait_text("#group-details h2", "Night shift").await;
    b.wait_all("tr.group-row", "data-name", |r| {
        r.contains(&"Night shift".to_string())
    })
    .await;
    let listed = s
        .get(&format!("/api/v1/groups?owner={tenant}&q=Night"), &tadmin)
        .await;
    let group = listed.body["items"][0]["id"]
        .as_str()
        .expect("group")
        .to_string();

    // Add a member by username; an unknown one is refused next to the field, still typed.
    b.fill("#member", "nobody-here").await;
    b.click("#add-member").await;
    b.wait_text("#member-error", "There is no such user.").await;
    assert_eq!(b.value("#member").await, "nobody-here");
    b.fill("#member", "dana").await;
    b.click("#add-member").await;
    b.wait_text("#pane-notice", "Added dana.").await;
    b.find("#group-members li[data-login='dana']").await;
    b.screenshot("group-details").await;
    let members = s
        .get(&format!("/api/v1/groups/{group}/members"), &tadmin)
        .await;
    assert!(members.body.to_string().contains(&dana), "{}", members.body);

    // Remove the member; the account stays.
    b.click("#group-members li[data-login='dana'] button").await;
    b.wait_gone("#group-members li[data-login='dana']").await;
    let members = s
        .get(&format!("/api/v1/groups/{group}/members"), &tadmin)
        .await;
    assert!(
        !members.body.to_string().contains(&dana),
        "{}",
        members.body
    );
    assert!(api_user(&s, &tadmin, "dana").await.is_some());

    b.close().await;
    s.assert_consistent();
}

#[tokio::test]
async fn sign_in_with_an_authenticator_code() {
    let Some((_turn, b)) = browser("web console browser tests").await else {
        return;
    };
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, tadmin) = s.tenant_with_admin(&sys, "Acme").await;
    s.user(&tadmin, &tenant, "otto", &[]).await;
    let otto = s.login("otto", PASSWORD).await;
    let e = s
        .call(reqwest::Method::POST, "/api/v1/me/totp", Some(&otto), None)
        .await;
    let secret = e.body["secret"].as_str().unwrap().to_string();
    let Some(first_code) = oathtool(&secret) else {
        return;
    };
    let r = s
        .post(
            "/api/v1/me/totp/confirm",
            &otto,
            serde_json::json!({"code": first_code}),
        )
        .await;
    let recovery = r.body["recovery_codes"][0].as_str().unwrap().to_string();

    b.goto(&format!("{}/login", s.base)).await;
    b.fill("#login", "otto").await;
    b.fill("#password", PASSWORD).await;
    b.click("#sign-in").await;
    b.find("#second-factor-form").await;
    // A wrong code is refused next to the field; a recovery code gets in.
    b.fill("#code", "000000").await;
    b.click("#verify-code").await;
    b.wait_text(".field-error", "wrong").await;
    b.fill("#code", &recovery).await;
    b.click("#verify-code").await;
    b.wait_text("#signed-in-as", "otto").await;
    b.close().await;
}
