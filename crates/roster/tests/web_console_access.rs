//! The access side of the web console in a real Chromium, one test per manual that needs
//! it: the VoIP console's access panel, ThingsBoard's customers and group roles, the project
//! tool's project and system level groups, and TrueCommand's read or read/write per system
//! and system group. Each does what the manual describes in the console and checks the
//! outcome through the API (`/check` above all) as well as on screen; screenshots of the
//! pages, at 1280 and 390 px wide, land in `target/screenshots/`.

#[path = "common/browser.rs"]
mod browser;
mod common;

use browser::*;
use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Picks `value` in the select matching `css`.
async fn choose(b: &Browser, css: &str, value: &str) {
    b.find(css)
        .await
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("choose {value} in {css}: {e}"));
}

/// Scrolls the element matching `css` to the top of the window and saves a screenshot.
async fn shot_at(b: &Browser, css: &str, name: &str) {
    b.find(css).await;
    b.c.execute(
        "document.querySelector(arguments[0]).scrollIntoView();",
        vec![json!(css)],
    )
    .await
    .expect("scroll");
    b.screenshot(name).await;
}

/// Sets the value of the field matching `css` (a date field takes `2025-03-01` this way,
/// whatever the browser's locale shows).
async fn set_value(b: &Browser, css: &str, value: &str) {
    b.find(css).await;
    b.c.execute(
        "document.querySelector(arguments[0]).value = arguments[1];",
        vec![json!(css), json!(value)],
    )
    .await
    .expect("set value");
}

/// Opens `path` at 390 px wide, checks that nothing scrolls sideways, saves a screenshot as
/// `NAME-390px`, and goes back to 1280 px.
async fn fits_narrow(b: &Browser, base: &str, path: &str, ready: &str, name: &str) {
    b.c.set_window_size(390, 844).await.expect("resize");
    b.goto(&format!("{base}{path}")).await;
    b.find(ready).await;
    let fits =
        b.c.execute(
            "return document.documentElement.scrollWidth <= window.innerWidth;",
            vec![],
        )
        .await
        .expect("measure");
    b.screenshot(&format!("{name}-390px")).await;
    assert_eq!(fits, json!(true), "{path} scrolls sideways at 390 px");
    b.c.set_window_size(1280, 900).await.expect("resize");
}

/// The items of a list answer.
fn items(r: &Res) -> Vec<Value> {
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["items"].as_array().cloned().unwrap_or_default()
}

/// The logins of a project's members.
async fn project_members(s: &Server, token: &str, project: &str) -> Vec<String> {
    let r = s
        .get(&format!("/api/v1/projects/{project}/members"), token)
        .await;
    let mut logins: Vec<String> = items(&r)
        .iter()
        .map(|m| m["user"]["login"].as_str().unwrap_or_default().to_string())
        .collect();
    logins.sort();
    logins
}

/// The id of the resource named `name` as the API lists it.
async fn resource_id(s: &Server, token: &str, name: &str) -> String {
    let r = s.get(&format!("/api/v1/resources?q={name}"), token).await;
    items(&r)
        .iter()
        .find(|g| g["name"] == name)
        .and_then(|g| g["id"].as_str())
        .unwrap_or_else(|| panic!("no resource {name}"))
        .to_string()
}

/// The id of the group named `name` as the API lists it.
async fn group_id(s: &Server, token: &str, name: &str) -> String {
    let r = s.get(&format!("/api/v1/groups?q={name}"), token).await;
    items(&r)
        .iter()
        .find(|g| g["name"] == name)
        .and_then(|g| g["id"].as_str())
        .unwrap_or_else(|| panic!("no group {name}"))
        .to_string()
}

#[tokio::test]
async fn voip_group_access_panel_allows_and_denies_per_service() {
    let Some((_turn, b)) = browser("web console browser tests").await else {
        return;
    };
    let s = Server::start();
    let sys = s.admin().await;
    for service in [
        "customers",
        "log",
        "carrier",
        "report",
        "card",
        "data",
        "cdr",
        "pcap",
    ] {
        s.resource_type(&sys, service, &["use"]).await;
    }
    let (tenant, admin) = s.tenant_with_admin(&sys, "Voip").await;
    let cdr = s.resource(&admin, "cdr", "cdr-store", &tenant).await;
    let pcap = s.resource(&admin, "pcap", "captures", &tenant).await;
    let both = s.user(&admin, &tenant, "both", &[]).await;
    let capture_only = s.user(&admin, &tenant, "capture-only", &[]).await;

    b.sign_in(&s.base, "voip-admin", PASSWORD).await;
    b.click("#groups-tab").await;

    // "+": a group with a name, then its access panel, one row per service.
    for (name, members) in [
        ("Support", &["both"][..]),
        ("Capture", &["both", "capture-only"]),
    ] {
        b.click("#new-group").await;
        b.fill("#name", name).await;
        b.click("#create-group-button").await;
        b.wait_text("#group-details h2", name).await;
        for member in members {
            b.fill("#member", member).await;
            b.click("#add-member").await;
            b.wait_text("#pane-notice", &format!("Added {member}."))
                .await;
        }
    }
    b.click("#group-access-tab").await;
    b.find("#access-panel-form").await;
    choose(&b, "#access-pcap-use", "allow").await;
    b.click("#save-access").await;
    b.wait_text("#pane-notice", "1 allowed, 0 denied").await;

    let support = group_id(&s, &admin, "Support").await;
    b.goto(&format!("{}/groups/{support}/access", s.base)).await;
    let rows = b
        .wait_all(
            "#access-panel-form > table tr.access-row",
            "data-perm",
            |r| r.len() == 8,
        )
        .await;
    assert!(rows.contains(&"cdr:use".to_string()), "{rows:?}");
    assert_eq!(b.value("#access-cdr-use").await, "select", "no entry yet");
    choose(&b, "#access-cdr-use", "allow").await;
    choose(&b, "#access-pcap-use", "deny").await;
    b.screenshot("group-access").await;
    b.click("#save-access").await;
    b.wait_text("#pane-notice", "1 allowed, 1 denied").await;

    // Saved together as the group's inline grants; a deny wins over Capture's allow.
    let grants = items(
        &s.get(&format!("/api/v1/grants?subject={support}"), &admin)
            .await,
    );
    assert_eq!(grants.len(), 2, "{grants:?}");
    assert!(grants.iter().any(|g| g["effect"] == "allow"
        && g["permissions"] == json!(["cdr:use"])
        && g["scope"] == tenant.as_str()));
    assert!(grants
        .iter()
        .any(|g| g["effect"] == "deny" && g["permissions"] == json!(["pcap:use"])));
    assert!(s.check(&admin, &both, "cdr:use", &cdr).await);
    assert!(
        !s.check(&admin, &both, "pcap:use", &pcap).await,
        "deny wins"
    );
    assert!(s.check(&admin, &capture_only, "pcap:use", &pcap).await);
    assert!(!s.check(&admin, &capture_only, "cdr:use", &cdr).await);

    // The panel shows what is stored; back to Select takes the entry away.
    b.goto(&format!("{}/groups/{support}/access", s.base)).await;
    assert_eq!(b.value("#access-cdr-use").await, "allow");
    assert_eq!(b.value("#access-pcap-use").await, "deny");
    assert_eq!(b.value("#access-log-use").await, "select");
    choose(&b, "#access-pcap-use", "select").await;
    b.click("#save-access").await;
    b.wait_text("#pane-notice", "1 allowed, 0 denied").await;
    assert!(s.check(&admin, &both, "pcap:use", &pcap).await);
    let grants = items(
        &s.get(&format!("/api/v1/grants?subject={support}"), &admin)
            .await,
    );
    assert_eq!(grants.len(), 1, "{grants:?}");

    // A time-bound membership: the days in words, an ended one gives nothing.
    let capture = group_id(&s, &admin, "Capture").await;
    let temp = s.user(&admin, &tenant, "temp-agent", &[]).await;
    b.goto(&format!("{}/groups/{capture}", s.base)).await;
    b.fill("#member", "temp-agent").await;
    set_value(&b, "#valid_from", "2030-03-01").await;
    set_value(&b, "#valid_until", "2030-02-01").await;
    b.click("#add-member").await;
    b.wait_text("#valid_until-error", "must not come before")
        .await;
    assert_eq!(b.value("#member").await, "temp-agent");
    set_value(&b, "#valid_from", "").await;
    set_value(&b, "#valid_until", "2020-01-31").await;
    b.click("#add-member").await;
    b.wait_text("#pane-notice", "Added temp-agent (until 2020-01-31).")
        .await;
    let row = b
        .wait_text("#group-members li[data-login='temp-agent']", "ended")
        .await;
    assert!(row.contains("until 2020-01-31"), "{row}");
    b.screenshot("group-members").await;
    let members = items(
        &s.get(&format!("/api/v1/groups/{capture}/members"), &admin)
            .await,
    );
    let m = members
        .iter()
        .find(|m| m["user"]["login"] == "temp-agent")
        .expect("member");
    assert_eq!(m["valid_until"], "2020-02-01T00:00:00Z");
    assert!(!s.check(&admin, &temp, "pcap:use", &pcap).await);

    fits_narrow(
        &b,
        &s.base,
        &format!("/groups/{support}/access"),
        "#access-panel-form",
        "group-access",
    )
    .await;
    b.close().await;
    s.assert_consistent();
}

#[tokio::test]
async fn thingsboard_customers_and_group_roles_generic_and_group() {
    let Some((_turn, b)) = browser("web console browser tests").await else {
        return;
    };
    let s = Server::start();
    let sys = s.admin().await;
    s.resource_type(&sys, "device", &["read", "write"]).await;
    let (tenant, admin) = s.tenant_with_admin(&sys, "Things").await;
    b.sign_in(&s.base, "things-admin", PASSWORD).await;

    // Customers: the tenant, a customer under it, a sub-customer under that.
    b.click("#nav-customers").await;
    b.click("#org-tree li[data-name='Things'] a").await;
    b.wait_text("#org-node-h", "Things").await;
    b.fill("#child-name", "Acme").await;
    b.click("#create-customer").await;
    b.wait_text("#pane-notice", "Created customer Acme.").await;
    b.wait_text("#org-node-h", "Acme").await;
    b.fill("#child-name", "Acme Plant").await;
    b.click("#create-customer").await;
    b.wait_text("#org-node-h", "Acme Plant").await;
    b.fill("#name", "Acme Plant North").await;
    b.click("#rename-org").await;
    b.wait_text("#pane-notice", "Saved.").await;
    b.find("#org-tree li.depth-2[data-name='Acme Plant North']")
        .await;
    b.screenshot("customers").await;
    let customers = items(
        &s.get(&format!("/api/v1/customers?parent={tenant}"), &admin)
            .await,
    );
    assert_eq!(customers.len(), 1, "{customers:?}");
    let acme = customers[0]["id"].as_str().unwrap().to_string();
    let subs = items(
        &s.get(&format!("/api/v1/customers?parent={acme}"), &admin)
            .await,
    );
    assert_eq!(subs[0]["name"], "Acme Plant North");

    // A customer that still has a sub-customer is not deleted, and says why.
    b.click("#org-tree li[data-name='Acme'] a").await;
    b.find("#org-tree li.selected[data-name='Acme']").await;
    b.click("#delete-org").await;
    b.click("#confirm-delete-org").await;
    b.wait_text(".form-error", "still has customers").await;

    // Devices: one owned by the customer, two by the tenant; an entity group of one.
    let meter = s.resource(&admin, "device", "meter-1", &acme).await;
    let pump1 = s.resource(&admin, "device", "pump-1", &tenant).await;
    let pump2 = s.resource(&admin, "device", "pump-2", &tenant).await;
    b.goto(&format!("{}/resource-groups", s.base)).await;
    b.click("#new-resource-group").await;
    b.fill("#name", "Pumps").await;
    b.click("#create-resource-group-button").await;
    b.wait_text("#rg-h", "Pumps").await;
    b.fill("#resource", "pump-1").await;
    b.click("#add-resource").await;
    b.wait_text("#rg-members", "pump-1").await;

    // A role of our own: device read and write.
    b.click("#nav-roles").await;
    b.wait_all("tr.role-row", "data-name", |r| {
        r.contains(&"Editor".to_string())
    })
    .await;
    b.click("#new-role").await;
    b.fill("#name", "Device operator").await;
    b.click("#perm-device-read").await;
    b.click("#perm-device-write").await;
    b.screenshot("role-form").await;
    b.click("#save-role").await;
    b.wait_text("#pane-notice", "Created Device operator.")
        .await;
    let roles = items(&s.get("/api/v1/roles?q=Device", &admin).await);
    let role = roles
        .iter()
        .find(|r| r["name"] == "Device operator")
        .expect("role");
    assert_eq!(role["permissions"], json!(["device:read", "device:write"]));
    let role_id = role["id"].as_str().unwrap().to_string();
    b.screenshot("roles").await;

    // A user group with a Generic role on the customer and a Group role on the entity group.
    let operators = s
        .create(
            &admin,
            "/api/v1/groups",
            json!({"name": "Operators", "owner": tenant}),
        )
        .await;
    let olga = s.user(&admin, &tenant, "olga", &[&operators]).await;
    b.goto(&format!("{}/groups/{operators}/roles", s.base))
        .await;
    b.find("#no-grants").await;
    choose(&b, "#grant-role", "00000000-0000-7000-8000-000000000102").await;
    choose(&b, "#grant-scope", &acme).await;
    b.click("#add-role").await;
    b.wait_text("#pane-notice", "Role added.").await;
    b.click("#role-type-group").await;
    assert!(
        !b.find("#grant-scope").await.is_displayed().await.unwrap(),
        "a Group role names no tenant or customer"
    );
    choose(&b, "#grant-role", &role_id).await;
    let rg = items(&s.get("/api/v1/resource-groups", &admin).await)[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    choose(&b, "#grant-resource-group", &rg).await;
    b.click("#add-role").await;
    b.wait_all("#group-grants li.grant", "data-gives", |g| g.len() == 2)
        .await;
    let listed = b.wait_text("#group-grants", "Device operator").await;
    assert!(
        listed.contains("Generic") && listed.contains("Group"),
        "{listed}"
    );
    b.screenshot("group-roles").await;

    assert!(s.check(&admin, &olga, "device:read", &meter).await);
    assert!(!s.check(&admin, &olga, "device:write", &meter).await);
    assert!(s.check(&admin, &olga, "device:write", &pump1).await);
    assert!(!s.check(&admin, &olga, "device:read", &pump2).await);

    // A role in use is not deleted; revoked, it is.
    b.goto(&format!("{}/roles/{role_id}", s.base)).await;
    b.click("#delete-role").await;
    b.click("#confirm-delete-role").await;
    b.wait_text(".form-error", "Grants still use this role")
        .await;
    b.goto(&format!("{}/groups/{operators}/roles", s.base))
        .await;
    b.click("#group-grants li[data-gives='Device operator'] button")
        .await;
    b.wait_text("#pane-notice", "Revoked.").await;
    assert!(!s.check(&admin, &olga, "device:write", &pump1).await);
    b.goto(&format!("{}/roles/{role_id}", s.base)).await;
    b.click("#delete-role").await;
    b.click("#confirm-delete-role").await;
    b.wait_text("#pane-message", "Deleted Device operator.")
        .await;

    fits_narrow(&b, &s.base, "/customers", "#org-tree", "customers").await;
    fits_narrow(&b, &s.base, "/roles/new", "#role-form", "role-form").await;
    fits_narrow(
        &b,
        &s.base,
        &format!("/groups/{operators}/roles"),
        "#add-role-form",
        "group-roles",
    )
    .await;
    b.close().await;
    s.assert_consistent();
}

#[tokio::test]
async fn project_groups_exclusive_rule_and_delete_with_keep_or_remove() {
    let Some((_turn, b)) = browser("web console browser tests").await else {
        return;
    };
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, admin) = s.tenant_with_admin(&sys, "Works").await;
    for login in ["pia", "quinn", "ravi", "sam"] {
        s.user(&admin, &tenant, login, &[]).await;
    }
    s.create(
        &admin,
        "/api/v1/groups",
        json!({"name": "Auditors", "owner": tenant}),
    )
    .await;
    b.sign_in(&s.base, "works-admin", PASSWORD).await;

    // A project, exclusive unless said otherwise.
    b.click("#nav-projects").await;
    b.click("#new-project").await;
    b.fill("#name", "Tunnel").await;
    assert!(b.find("#exclusive").await.is_selected().await.unwrap());
    b.click("#create-project-button").await;
    b.wait_text("#project-details h2", "Tunnel").await;
    let project = items(&s.get("/api/v1/projects?q=Tunnel", &admin).await)[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        s.get(&format!("/api/v1/projects/{project}"), &admin)
            .await
            .body["exclusive"],
        true
    );

    // A project-level group, a system-level one, and an existing system-level group.
    for (name, level) in [
        ("Diggers", "#level-project"),
        ("Inspectors", "#level-system"),
        ("Temp", "#level-project"),
    ] {
        b.fill("#new-group-name", name).await;
        b.click(level).await;
        b.click("#create-project-group").await;
        b.wait_text("#pane-notice", &format!("group {name}.")).await;
    }
    choose(&b, "#attach-group", &group_id(&s, &admin, "Auditors").await).await;
    b.click("#attach-group-button").await;
    b.wait_text("#project-groups", "Auditors").await;
    shot_at(&b, "#project-details", "project-details").await;
    let diggers = group_id(&s, &admin, "Diggers").await;
    let inspectors = group_id(&s, &admin, "Inspectors").await;
    let temp = group_id(&s, &admin, "Temp").await;
    let auditors = group_id(&s, &admin, "Auditors").await;
    let g = s.get(&format!("/api/v1/groups/{diggers}"), &admin).await;
    assert_eq!(
        (g.body["level"].as_str(), g.body["owner"].as_str()),
        (Some("project"), Some(project.as_str()))
    );
    let g = s.get(&format!("/api/v1/groups/{inspectors}"), &admin).await;
    assert_eq!(
        (g.body["level"].as_str(), g.body["owner"].as_str()),
        (Some("org"), Some(tenant.as_str()))
    );

    // Assign users in the group's panel; in another group of the project, a user shows
    // which one and cannot be ticked.
    b.click(&format!("#project-groups li[data-group='{diggers}'] a"))
        .await;
    b.wait_text("#group-details h2", "Diggers").await;
    b.click("#group-details tr.candidate[data-login='pia'] input")
        .await;
    b.click("#pick-members").await;
    b.wait_text("#pane-notice", "Added pia.").await;
    b.goto(&format!("{}/groups/{temp}", s.base)).await;
    b.click("#group-details tr.candidate[data-login='sam'] input")
        .await;
    b.click("#pick-members").await;
    b.wait_text("#pane-notice", "Added sam.").await;
    b.goto(&format!("{}/groups/{inspectors}", s.base)).await;
    let blocked = b
        .wait_text("#candidates tr[data-login='pia'] td.in-group", "Diggers")
        .await;
    assert!(blocked.contains("Tunnel"), "{blocked}");
    assert!(!b.enabled("#candidates tr[data-login='pia'] input").await);
    assert!(b.enabled("#candidates tr[data-login='quinn'] input").await);
    shot_at(&b, "#pick-h", "group-members-picker").await;
    b.click("#candidates tr[data-login='quinn'] input").await;
    b.click("#pick-members").await;
    b.wait_text("#pane-notice", "With it they joined project Tunnel.")
        .await;
    b.find("#group-projects").await;
    let clash = s
        .post(
            &format!("/api/v1/groups/{inspectors}/members"),
            &admin,
            json!({"user": api_user(&s, &admin, "pia").await.unwrap()["id"]}),
        )
        .await;
    assert_eq!(clash.status, StatusCode::CONFLICT, "{}", clash.body);
    let ravi = api_user(&s, &admin, "ravi").await.unwrap()["id"].clone();
    s.post(
        &format!("/api/v1/groups/{auditors}/members"),
        &admin,
        json!({"user": ravi}),
    )
    .await;
    assert_eq!(
        project_members(&s, &admin, &project).await,
        ["pia", "quinn", "ravi", "sam"]
    );

    // Delete a project-level group keeping its members (they stay, with no rights), another
    // removing them.
    b.goto(&format!("{}/groups/{diggers}/delete", s.base)).await;
    let text = b.wait_text("#delete-group-confirmation", "Tunnel").await;
    assert!(text.contains("accounts stay"), "{text}");
    assert!(b.find("#members-keep").await.is_selected().await.unwrap());
    b.screenshot("group-delete").await;
    b.click("#confirm-delete-group").await;
    b.wait_text("#pane-message", "Deleted Diggers.").await;
    b.goto(&format!("{}/groups/{temp}/delete", s.base)).await;
    b.click("#members-remove").await;
    b.click("#confirm-delete-group").await;
    b.wait_text("#pane-message", "Deleted Temp.").await;
    assert_eq!(
        project_members(&s, &admin, &project).await,
        ["pia", "quinn", "ravi"]
    );

    // Deleting a system-level group says which projects its members leave, and they do.
    b.goto(&format!("{}/groups/{auditors}/delete", s.base))
        .await;
    b.wait_text("#delete-projects", "Tunnel").await;
    b.click("#confirm-delete-group").await;
    b.wait_text("#pane-message", "Deleted Auditors.").await;
    assert_eq!(
        project_members(&s, &admin, &project).await,
        ["pia", "quinn"]
    );
    assert!(
        api_user(&s, &admin, "ravi").await.is_some(),
        "accounts stay"
    );

    b.goto(&format!("{}/projects", s.base)).await;
    b.find("tr.project-row[data-name='Tunnel']").await;
    b.screenshot("projects").await;
    fits_narrow(
        &b,
        &s.base,
        &format!("/projects/{project}"),
        "#project-details",
        "project-details",
    )
    .await;
    fits_narrow(
        &b,
        &s.base,
        &format!("/groups/{inspectors}"),
        "#candidates",
        "group-members-picker",
    )
    .await;
    b.close().await;
    s.assert_consistent();
}

#[tokio::test]
async fn truecommand_read_or_read_write_per_system_and_system_group() {
    let Some((_turn, b)) = browser("web console browser tests").await else {
        return;
    };
    let s = Server::start();
    let sys = s.admin().await;
    s.resource_type(&sys, "system", &["read", "write"]).await;
    let (tenant, admin) = s.tenant_with_admin(&sys, "Storage").await;
    let tina = s.user(&admin, &tenant, "tina", &[]).await;
    let team = s
        .create(
            &admin,
            "/api/v1/groups",
            json!({"name": "Backup team", "owner": tenant}),
        )
        .await;
    let uma = s.user(&admin, &tenant, "uma", &[&team]).await;
    b.sign_in(&s.base, "storage-admin", PASSWORD).await;

    // Systems, and a system group of two.
    b.click("#nav-resources").await;
    for name in ["nas-1", "nas-2", "nas-3"] {
        b.click("#new-resource").await;
        b.find("#create-resource-form").await;
        b.fill("#name", name).await;
        b.click("#create-resource-button").await;
        b.wait_text("#resource-details h2", name).await;
    }
    b.wait_all("tr.resource-row", "data-name", |r| r.len() == 3)
        .await;
    b.screenshot("resources").await;
    let nas1 = resource_id(&s, &admin, "nas-1").await;
    let nas2 = resource_id(&s, &admin, "nas-2").await;
    let nas3 = resource_id(&s, &admin, "nas-3").await;
    b.click("#resource-groups-tab").await;
    b.click("#new-resource-group").await;
    b.fill("#name", "Primary").await;
    b.click("#create-resource-group-button").await;
    b.wait_text("#rg-h", "Primary").await;
    for name in ["nas-2", "nas-3"] {
        b.fill("#resource", name).await;
        b.click("#add-resource").await;
        b.wait_text("#pane-notice", &format!("Added {name}.")).await;
    }

    // Read/write for the team on the group, read for tina; an unknown name is refused.
    b.fill("#subject", "nobody").await;
    b.click("#give-access").await;
    b.wait_text("#subject-error", "There is no such user.")
        .await;
    b.click("#give-group").await;
    b.fill("#subject", "Backup team").await;
    b.click("#level-write").await;
    b.click("#give-access").await;
    b.wait_text("#pane-notice", "Backup team may now read and write here.")
        .await;
    b.fill("#subject", "tina").await;
    b.click("#give-access").await;
    b.wait_text("#pane-notice", "tina may now read here.").await;
    b.wait_text("#access-holders", "Read/write").await;
    shot_at(&b, "#rg-h", "resource-group-details").await;

    // Read on one system.
    b.goto(&format!("{}/resources/{nas1}", s.base)).await;
    b.fill("#subject", "tina").await;
    b.click("#give-access").await;
    b.wait_text("#access-holders li[data-subject='tina']", "Read")
        .await;
    b.screenshot("resource-details").await;

    assert!(s.check(&admin, &tina, "read", &nas1).await);
    assert!(!s.check(&admin, &tina, "write", &nas1).await);
    assert!(s.check(&admin, &tina, "read", &nas3).await);
    assert!(!s.check(&admin, &tina, "write", &nas2).await);
    assert!(s.check(&admin, &uma, "write", &nas2).await);
    assert!(!s.check(&admin, &uma, "read", &nas1).await);

    // "-": access taken away.
    b.click("#access-holders li[data-subject='tina'] button")
        .await;
    b.wait_text("#pane-notice", "Access taken away.").await;
    b.find("#no-access").await;
    assert!(!s.check(&admin, &tina, "read", &nas1).await);

    fits_narrow(&b, &s.base, "/resources", "tr.resource-row", "resources").await;
    fits_narrow(
        &b,
        &s.base,
        &format!("/resources/{nas1}"),
        "#give-access-form",
        "resource-details",
    )
    .await;
    b.goto(&format!("{}/resource-groups", s.base)).await;
    b.find("tr.resource-group-row").await;
    b.screenshot("resource-groups").await;
    b.close().await;
    s.assert_consistent();
}
