//! The foundation's flows, end to end over HTTP: the org tree, users, groups, memberships,
//! owner changes, enable/disable and delete, ETags and paging.

mod common;
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn ids(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn administrators_build_the_org_tree_within_their_reach() {
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, tadmin) = s.tenant_with_admin(&sys, "Acme").await;

    // Only system administrators create tenants.
    let r = s
        .post("/api/v1/tenants", &tadmin, json!({"name": "Other"}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // The tenant administrator nests customers.
    let r = s
        .post(
            "/api/v1/customers",
            &tadmin,
            json!({"name": "Globex", "parent": tenant}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["parent"], json!(tenant));
    let globex = r.id();
    let r = s
        .post(
            "/api/v1/customers",
            &tadmin,
            json!({"name": "Globex Labs", "parent": globex}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let labs = r.id();
    let r = s
        .post(
            "/api/v1/customers",
            &tadmin,
            json!({"name": "Initech", "parent": tenant}),
        )
        .await;
    let initech = r.id();

    // Every node gets its predefined groups; the tenant also gets `All`.
    let r = s
        .get(&format!("/api/v1/groups?owner={tenant}"), &tadmin)
        .await;
    let mut kinds: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["kind"].as_str().unwrap())
        .collect();
    kinds.sort();
    assert_eq!(kinds, ["administrators", "all", "users"]);
    let r = s
        .get(&format!("/api/v1/groups?owner={labs}"), &tadmin)
        .await;
    let names: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Customer Administrators") && names.contains(&"Customer Users"),
        "{names:?}"
    );

    // A customer administrator works inside their customer (and below) only.
    let globex_admins = s.predefined_group(&tadmin, &globex, "administrators").await;
    s.user(&tadmin, &globex, "globex-admin", &[&globex_admins])
        .await;
    let cadmin = s.login("globex-admin", PASSWORD).await;
    let r = s
        .post(
            "/api/v1/customers",
            &cadmin,
            json!({"name": "Globex East", "parent": globex}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = s
        .post(
            "/api/v1/customers",
            &cadmin,
            json!({"name": "Sneaky", "parent": tenant}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "unknown_parent");
    let labs_user = s.user(&cadmin, &labs, "lab-worker", &[]).await;
    let r = s
        .post(
            "/api/v1/users",
            &cadmin,
            json!({"login": "tenant-level", "owner": tenant, "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.code(), "unknown_owner");
    // Tenant-level and sibling objects are out of sight.
    assert_eq!(
        s.get(&format!("/api/v1/tenants/{tenant}"), &cadmin)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        s.get(&format!("/api/v1/customers/{initech}"), &cadmin)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let tenant_users_group = s.predefined_group(&tadmin, &tenant, "users").await;
    assert_eq!(
        s.get(&format!("/api/v1/groups/{tenant_users_group}"), &cadmin)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let listed = ids(&s.get("/api/v1/users?limit=100", &cadmin).await.body);
    assert!(listed.contains(&labs_user));
    let tadmin_id = s.get("/api/v1/me", &tadmin).await.id();
    assert!(
        !listed.contains(&tadmin_id),
        "customer admin sees only their subtree"
    );
    let customers = ids(&s.get("/api/v1/customers", &cadmin).await.body);
    assert!(
        customers.contains(&globex) && customers.contains(&labs) && !customers.contains(&initech)
    );

    // An ordinary user reads only themselves.
    let worker = s.login("lab-worker", PASSWORD).await;
    let r = s.get("/api/v1/users", &worker).await;
    assert_eq!(ids(&r.body), vec![labs_user.clone()]);
    assert_eq!(
        s.get(&format!("/api/v1/users/{labs_user}"), &worker)
            .await
            .status,
        StatusCode::OK
    );
    let r = s
        .post(
            "/api/v1/groups",
            &worker,
            json!({"name": "Mine", "owner": labs}),
        )
        .await;
    assert_eq!(r.code(), "unknown_owner");

    // Renaming and deleting customers; a non-empty one is refused.
    let r = s
        .patch(
            &format!("/api/v1/customers/{initech}"),
            &tadmin,
            json!({"name": "Initech Ltd"}),
        )
        .await;
    assert_eq!(r.body["name"], "Initech Ltd");
    let r = s
        .delete(&format!("/api/v1/customers/{globex}"), &tadmin)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "not_empty");
    assert_eq!(
        s.delete(&format!("/api/v1/customers/{initech}"), &tadmin)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        s.get(&format!("/api/v1/customers/{initech}"), &tadmin)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    s.assert_consistent();
}

#[tokio::test]
async fn user_lifecycle_from_creation_to_deletion() {
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, tadmin) = s.tenant_with_admin(&sys, "Acme").await;

    let r = s
        .post(
            "/api/v1/users",
            &tadmin,
            json!({"login": "Ann", "email": "ann@example.com", "first_name": "Ann", "last_name": "Lee",
                   "phone": "+1 555 0100", "owner": tenant, "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let ann = r.id();
    for (k, v) in [
        ("login", "Ann"),
        ("email", "ann@example.com"),
        ("first_name", "Ann"),
        ("last_name", "Lee"),
        ("phone", "+1 555 0100"),
        ("kind", "internal"),
        ("status", "active"),
    ] {
        assert_eq!(r.body[k], v, "field {k}");
    }
    assert_eq!(r.body["owner"], json!(tenant));
    assert_eq!(r.body["must_change_password"], false);
    assert!(r.body["created_at"].is_string() && r.body["updated_at"].is_string());
    assert!(r.body.get("password").is_none() && !r.body.to_string().contains(PASSWORD));

    // Logins are unique install-wide, whatever the case; login works in any case.
    let r = s
        .post(
            "/api/v1/users",
            &tadmin,
            json!({"login": "ANN", "owner": tenant, "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "login_taken");
    let session = s.login("aNN", PASSWORD).await;
    let me = s.get("/api/v1/me", &session).await;
    assert_eq!(me.body["id"], json!(ann));

    // Without a password a user is pending and cannot log in; email serves as login.
    let r = s
        .post(
            "/api/v1/users",
            &tadmin,
            json!({"email": "bob@example.com", "owner": tenant}),
        )
        .await;
    assert_eq!(r.body["status"], "pending");
    assert_eq!(r.body["login"], "bob@example.com");

    // Edit own profile: names and phone yes, status no.
    let r = s
        .patch(
            &format!("/api/v1/users/{ann}"),
            &session,
            json!({"first_name": "Annie", "phone": null}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["first_name"], "Annie");
    assert_eq!(r.body["phone"], Value::Null);
    let r = s
        .patch(
            &format!("/api/v1/users/{ann}"),
            &session,
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Disabling ends sessions at once and blocks login.
    let r = s
        .patch(
            &format!("/api/v1/users/{ann}"),
            &tadmin,
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(r.body["status"], "disabled");
    assert_eq!(
        s.get("/api/v1/me", &session).await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = s
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "ann", "password": PASSWORD})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "invalid_credentials");
    let r = s
        .patch(
            &format!("/api/v1/users/{ann}"),
            &tadmin,
            json!({"enabled": true}),
        )
        .await;
    assert_eq!(r.body["status"], "active");
    let session = s.login("ann", PASSWORD).await;

    // Deleting removes the account, its sessions and memberships; the audit keeps the id.
    let group = s
        .post(
            "/api/v1/groups",
            &tadmin,
            json!({"name": "Team", "owner": tenant}),
        )
        .await
        .id();
    s.post(
        &format!("/api/v1/groups/{group}/members"),
        &tadmin,
        json!({"user": ann}),
    )
    .await;
    assert_eq!(
        s.delete(&format!("/api/v1/users/{ann}"), &tadmin)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        s.get(&format!("/api/v1/users/{ann}"), &tadmin).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        s.get("/api/v1/me", &session).await.status,
        StatusCode::UNAUTHORIZED
    );
    let members = s
        .get(&format!("/api/v1/groups/{group}/members"), &tadmin)
        .await;
    assert_eq!(members.body["items"], json!([]));
    let audit = s.get(&format!("/api/v1/audit?target={ann}"), &tadmin).await;
    let actions: Vec<&str> = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"user.delete") && actions.contains(&"user.create"),
        "{actions:?}"
    );
    // A tenant administrator cannot delete or disable themselves.
    let me = s.get("/api/v1/me", &tadmin).await.id();
    assert_eq!(
        s.delete(&format!("/api/v1/users/{me}"), &tadmin)
            .await
            .code(),
        "cannot_delete_self"
    );
    s.assert_consistent();
}

#[tokio::test]
async fn owner_change_drops_memberships_the_new_owner_cannot_hold() {
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, tadmin) = s.tenant_with_admin(&sys, "Acme").await;
    let a = s
        .post(
            "/api/v1/customers",
            &tadmin,
            json!({"name": "A", "parent": tenant}),
        )
        .await
        .id();
    let b = s
        .post(
            "/api/v1/customers",
            &tadmin,
            json!({"name": "B", "parent": tenant}),
        )
        .await
        .id();
    let tenant_group = s
        .post(
            "/api/v1/groups",
            &tadmin,
            json!({"name": "Everyone", "owner": tenant}),
        )
        .await
        .id();
    let a_group = s
        .post(
            "/api/v1/groups",
            &tadmin,
            json!({"name": "A team", "owner": a}),
        )
        .await
        .id();
    let user = s
        .user(&tadmin, &a, "mover", &[&tenant_group, &a_group])
        .await;

    let r = s
        .patch(
            &format!("/api/v1/users/{user}"),
            &tadmin,
            json!({"owner": b}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["owner"], json!(b));
    assert_eq!(r.body["removed_from_groups"], json!([a_group]));
    let groups = ids(&s
        .get(&format!("/api/v1/groups?member={user}"), &tadmin)
        .await
        .body);
    assert_eq!(groups, vec![tenant_group.clone()]);
    // A member must be owned by the group's owner or below it.
    let r = s
        .post(
            &format!("/api/v1/groups/{a_group}/members"),
            &tadmin,
            json!({"user": user}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "member_outside_group_owner");
    s.assert_consistent();
}

#[tokio::test]
async fn groups_hold_members_and_predefined_groups_stay() {
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, tadmin) = s.tenant_with_admin(&sys, "Acme").await;
    let r = s
        .post(
            "/api/v1/groups",
            &tadmin,
            json!({"name": "Support", "description": "Helpdesk", "owner": tenant}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body["level"], "org");
    let g = r.id();
    let u1 = s.user(&tadmin, &tenant, "u1", &[&g]).await;
    let u2 = s.user(&tadmin, &tenant, "u2", &[]).await;
    let r = s
        .post(&format!("/api/v1/groups/{g}/members"), &tadmin,
            json!({"user": u2, "valid_from": "2026-01-01T00:00:00Z", "valid_until": "2099-01-01T00:00:00Z"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let members = s.get(&format!("/api/v1/groups/{g}/members"), &tadmin).await;
    let items = members.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let m2 = items.iter().find(|m| m["user"]["id"] == json!(u2)).unwrap();
    assert_eq!(m2["valid_until"], "2099-01-01T00:00:00Z");

    // A user can be in many groups.
    let g2 = s
        .post(
            "/api/v1/groups",
            &tadmin,
            json!({"name": "Sales", "owner": tenant}),
        )
        .await
        .id();
    s.post(
        &format!("/api/v1/groups/{g2}/members"),
        &tadmin,
        json!({"user": u1}),
    )
    .await;
    assert_eq!(
        ids(&s
            .get(&format!("/api/v1/groups?member={u1}"), &tadmin)
            .await
            .body)
        .len(),
        2
    );
    // ... and lists them (own groups are readable by anyone).
    let u1_session = s.login("u1", PASSWORD).await;
    assert_eq!(
        ids(&s
            .get(&format!("/api/v1/groups?member={u1}"), &u1_session)
            .await
            .body)
        .len(),
        2
    );

    // Rename and describe.
    let r = s
        .patch(
            &format!("/api/v1/groups/{g}"),
            &tadmin,
            json!({"name": "Customer Support", "description": "Tier 1"}),
        )
        .await;
    assert_eq!(
        (r.body["name"].as_str(), r.body["description"].as_str()),
        (Some("Customer Support"), Some("Tier 1"))
    );
    // Remove a member: the account stays.
    assert_eq!(
        s.delete(&format!("/api/v1/groups/{g}/members/{u2}"), &tadmin)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        s.delete(&format!("/api/v1/groups/{g}/members/{u2}"), &tadmin)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        s.get(&format!("/api/v1/users/{u2}"), &tadmin).await.status,
        StatusCode::OK
    );
    // Delete the group: members' accounts stay.
    assert_eq!(
        s.delete(&format!("/api/v1/groups/{g}"), &tadmin)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        s.get(&format!("/api/v1/users/{u1}"), &tadmin).await.status,
        StatusCode::OK
    );
    assert_eq!(
        s.get(&format!("/api/v1/groups/{g}"), &tadmin).await.status,
        StatusCode::NOT_FOUND
    );

    // Predefined groups cannot be deleted or renamed; `All` holds everyone and is not editable.
    let admins = s.predefined_group(&tadmin, &tenant, "administrators").await;
    assert_eq!(
        s.delete(&format!("/api/v1/groups/{admins}"), &tadmin)
            .await
            .code(),
        "group_predefined"
    );
    assert_eq!(
        s.patch(
            &format!("/api/v1/groups/{admins}"),
            &tadmin,
            json!({"name": "Admins"})
        )
        .await
        .code(),
        "group_predefined"
    );
    let all = s.predefined_group(&tadmin, &tenant, "all").await;
    assert_eq!(
        s.delete(&format!("/api/v1/groups/{all}"), &tadmin)
            .await
            .code(),
        "group_predefined"
    );
    let r = s
        .post(
            &format!("/api/v1/groups/{all}/members"),
            &tadmin,
            json!({"user": u1}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "group_membership_fixed")
    );
    assert_eq!(
        s.delete(&format!("/api/v1/groups/{all}/members/{u1}"), &tadmin)
            .await
            .code(),
        "group_membership_fixed"
    );
    let everyone = s
        .get(&format!("/api/v1/groups/{all}/members"), &tadmin)
        .await;
    assert_eq!(
        everyone.body["items"].as_array().unwrap().len(),
        3,
        "tenant admin, u1 and u2"
    );
    let listed = ids(&s
        .get(&format!("/api/v1/users?group={all}"), &tadmin)
        .await
        .body);
    assert!(listed.contains(&u1) && listed.contains(&u2));
    s.assert_consistent();
}

#[tokio::test]
async fn lists_page_by_cursor_and_filter() {
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, tadmin) = s.tenant_with_admin(&sys, "Acme").await;
    let g = s
        .post(
            "/api/v1/groups",
            &tadmin,
            json!({"name": "Ops", "owner": tenant}),
        )
        .await
        .id();
    let mut made = Vec::new();
    for i in 0..7 {
        let groups: Vec<&str> = if i % 2 == 0 { vec![&g] } else { vec![] };
        made.push(
            s.user(&tadmin, &tenant, &format!("pager{i}"), &groups)
                .await,
        );
    }
    s.post(
        "/api/v1/users",
        &tadmin,
        json!({"login": "zed", "first_name": "Zelda", "last_name": "Quark", "owner": tenant}),
    )
    .await;

    // Walk all pages of three.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/users?limit=3&cursor={c}"),
            None => "/api/v1/users?limit=3".to_string(),
        };
        let r = s.get(&path, &tadmin).await;
        assert!(r.body["items"].as_array().unwrap().len() <= 3);
        seen.extend(ids(&r.body));
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 9, "tenant admin + 7 pagers + zed");
    let mut dedup = seen.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(dedup.len(), 9, "no row twice");
    assert!(made.iter().all(|m| seen.contains(m)));

    let by_group = ids(&s
        .get(&format!("/api/v1/users?group={g}"), &tadmin)
        .await
        .body);
    assert_eq!(
        by_group,
        vec![
            made[0].clone(),
            made[2].clone(),
            made[4].clone(),
            made[6].clone()
        ]
    );
    assert_eq!(
        ids(&s.get("/api/v1/users?q=PAGER", &tadmin).await.body).len(),
        7
    );
    assert_eq!(
        ids(&s.get("/api/v1/users?q=pager3", &tadmin).await.body),
        vec![made[3].clone()]
    );
    assert_eq!(
        ids(&s.get("/api/v1/users?q=zel", &tadmin).await.body).len(),
        1,
        "first name prefix"
    );
    assert_eq!(
        ids(&s.get("/api/v1/users?q=quar", &tadmin).await.body).len(),
        1,
        "last name prefix"
    );
    assert_eq!(
        ids(&s.get("/api/v1/users?q=pager5@exa", &tadmin).await.body),
        vec![made[5].clone()],
        "email prefix"
    );
    assert_eq!(
        ids(&s.get("/api/v1/users?status=pending", &tadmin).await.body).len(),
        1
    );
    assert_eq!(
        ids(&s
            .get(
                &format!("/api/v1/users?owner={tenant}&status=active&q=pager"),
                &tadmin
            )
            .await
            .body)
        .len(),
        7
    );
}

#[tokio::test]
async fn stale_if_match_is_refused_and_changes_nothing() {
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, tadmin) = s.tenant_with_admin(&sys, "Acme").await;
    let u = s.user(&tadmin, &tenant, "etag-user", &[]).await;
    let first = s.get(&format!("/api/v1/users/{u}"), &tadmin).await.etag();
    assert!(!first.is_empty());
    let r = s
        .call_with(
            Method::PATCH,
            &format!("/api/v1/users/{u}"),
            Some(&tadmin),
            Some(json!({"first_name": "One"})),
            &[("if-match", &first)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let second = r.etag();
    assert_ne!(first, second);
    let r = s
        .call_with(
            Method::PATCH,
            &format!("/api/v1/users/{u}"),
            Some(&tadmin),
            Some(json!({"first_name": "Two"})),
            &[("if-match", &first)],
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::PRECONDITION_FAILED, "precondition_failed")
    );
    assert_eq!(
        s.get(&format!("/api/v1/users/{u}"), &tadmin).await.body["first_name"],
        "One"
    );
    let r = s
        .call_with(
            Method::DELETE,
            &format!("/api/v1/users/{u}"),
            Some(&tadmin),
            None,
            &[("if-match", &first)],
        )
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
    let g = s
        .post(
            "/api/v1/groups",
            &tadmin,
            json!({"name": "G", "owner": tenant}),
        )
        .await;
    let r = s
        .call_with(
            Method::PATCH,
            &format!("/api/v1/groups/{}", g.id()),
            Some(&tadmin),
            Some(json!({"name": "H"})),
            &[("if-match", "\"99\"")],
        )
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
    let tenant_tag = s
        .get(&format!("/api/v1/tenants/{tenant}"), &sys)
        .await
        .etag();
    let r = s
        .call_with(
            Method::PATCH,
            &format!("/api/v1/tenants/{tenant}"),
            Some(&sys),
            Some(json!({"name": "Acme 2"})),
            &[("if-match", &tenant_tag)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_ne!(r.etag(), tenant_tag);
}

#[tokio::test]
async fn audit_records_every_change_and_filters() {
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, tadmin) = s.tenant_with_admin(&sys, "Acme").await;
    let me = s.get("/api/v1/me", &tadmin).await.id();
    let u = s.user(&tadmin, &tenant, "audited", &[]).await;
    s.patch(
        &format!("/api/v1/users/{u}"),
        &tadmin,
        json!({"last_name": "Smith"}),
    )
    .await;
    let r = s
        .get(
            &format!("/api/v1/audit?actor={me}&action=user.update"),
            &tadmin,
        )
        .await;
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", r.body);
    assert_eq!(items[0]["target"], json!(u));
    assert_eq!(items[0]["summary"]["changed"]["last_name"]["to"], "Smith");
    assert!(items[0]["request_id"].is_string() && items[0]["address"] == "127.0.0.1");
    let family = s
        .get(&format!("/api/v1/audit?action=user.&target={u}"), &tadmin)
        .await;
    assert_eq!(
        family.body["items"].as_array().unwrap().len(),
        2,
        "create and update"
    );
    let future = s
        .get("/api/v1/audit?since=2999-01-01T00:00:00Z", &tadmin)
        .await;
    assert_eq!(future.body["items"], json!([]));
    let past = s
        .get("/api/v1/audit?until=2000-01-01T00:00:00Z", &tadmin)
        .await;
    assert_eq!(past.body["items"], json!([]));
    // Failed logins are audited without the password.
    s.call(
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({"login": "audited", "password": "wrong-password-123"})),
    )
    .await;
    let r = s
        .get(
            &format!("/api/v1/audit?action=auth.login_failed&target={u}"),
            &tadmin,
        )
        .await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
    assert!(!r.body.to_string().contains("wrong-password-123"));
    // Ordinary users cannot read the audit log.
    let user = s.login("audited", PASSWORD).await;
    assert_eq!(
        s.get("/api/v1/audit", &user).await.status,
        StatusCode::FORBIDDEN
    );
}
