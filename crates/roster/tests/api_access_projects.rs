//! The project tool: project-level and system-level groups (level fixed at creation), a user
//! in at most one group per exclusive project whose rights replace the user's own, both choices
//! when deleting a project-level group, and a system-level group spanning projects.

mod common;
use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn ids(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user"]["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn exclusive_projects_keep_a_user_in_one_group() {
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, admin) = s.tenant_with_admin(&sys, "Works").await;
    s.resource_type(&sys, "document", &["read", "write"]).await;
    let project = s
        .create(
            &admin,
            "/api/v1/projects",
            json!({"name": "Bridge", "owner": tenant}),
        )
        .await;
    let p = s.get(&format!("/api/v1/projects/{project}"), &admin).await;
    assert_eq!(p.body["exclusive"], true, "exclusive by default");
    let doc = s.resource(&admin, "document", "plans", &project).await;

    let readers = s
        .create(
            &admin,
            "/api/v1/groups",
            json!({"name": "Readers", "owner": project}),
        )
        .await;
    let writers = s
        .create(
            &admin,
            "/api/v1/groups",
            json!({"name": "Writers", "owner": project}),
        )
        .await;
    let g = s.get(&format!("/api/v1/groups/{readers}"), &admin).await;
    assert_eq!(g.body["level"], "project");
    let fixed = s
        .patch(
            &format!("/api/v1/groups/{readers}"),
            &admin,
            json!({"level": "org"}),
        )
        .await;
    assert_eq!(fixed.status, StatusCode::CONFLICT);
    assert_eq!(fixed.code(), "level_fixed");
    s.grant(
        &admin,
        json!({"subject": readers, "permissions": ["document:read"], "scope": project}),
    )
    .await;
    s.grant(&admin, json!({"subject": writers, "permissions": ["document:read", "document:write"], "scope": project}))
        .await;

    let u = s.user(&admin, &tenant, "uma", &[]).await;
    // The user's own grant in the project: write.
    s.grant(
        &admin,
        json!({"subject": u, "permissions": ["document:write"], "scope": project}),
    )
    .await;
    assert!(
        s.check(&admin, &u, "write", &doc).await,
        "own grant while in no group"
    );

    let joined = s
        .post(
            &format!("/api/v1/groups/{readers}/members"),
            &admin,
            json!({"user": u}),
        )
        .await;
    assert_eq!(joined.status, StatusCode::CREATED, "{}", joined.body);
    assert_eq!(joined.body["projects_joined"], json!([project]));
    assert!(s.check(&admin, &u, "read", &doc).await);
    assert!(
        !s.check(&admin, &u, "write", &doc).await,
        "the group's rights replace their own"
    );

    let second = s
        .post(
            &format!("/api/v1/groups/{writers}/members"),
            &admin,
            json!({"user": u}),
        )
        .await;
    assert_eq!(second.status, StatusCode::CONFLICT);
    assert_eq!(second.code(), "exclusive_group_conflict");
    assert_eq!(second.body["error"]["details"]["group"], readers);
    assert!(second.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Readers"));

    // Removing them from the group leaves them in the project with no rights from it.
    s.delete(&format!("/api/v1/groups/{readers}/members/{u}"), &admin)
        .await;
    let members = s
        .get(&format!("/api/v1/projects/{project}/members"), &admin)
        .await;
    assert_eq!(ids(&members.body), vec![u.clone()]);
    assert!(!s.check(&admin, &u, "read", &doc).await);

    // A non-exclusive project lets them be in two groups.
    let open = s
        .create(
            &admin,
            "/api/v1/projects",
            json!({"name": "Open", "owner": tenant, "exclusive": false}),
        )
        .await;
    let a = s
        .create(
            &admin,
            "/api/v1/groups",
            json!({"name": "A", "owner": open}),
        )
        .await;
    let b = s
        .create(
            &admin,
            "/api/v1/groups",
            json!({"name": "B", "owner": open}),
        )
        .await;
    for g in [&a, &b] {
        let r = s
            .post(
                &format!("/api/v1/groups/{g}/members"),
                &admin,
                json!({"user": u}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    s.assert_consistent();
}

#[tokio::test]
async fn deleting_a_project_group_keeps_or_removes_its_members() {
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, admin) = s.tenant_with_admin(&sys, "Works").await;
    let project = s
        .create(
            &admin,
            "/api/v1/projects",
            json!({"name": "Tunnel", "owner": tenant}),
        )
        .await;
    let keep = s
        .create(
            &admin,
            "/api/v1/groups",
            json!({"name": "Keep", "owner": project}),
        )
        .await;
    let drop = s
        .create(
            &admin,
            "/api/v1/groups",
            json!({"name": "Drop", "owner": project}),
        )
        .await;
    let k = s.user(&admin, &tenant, "kept", &[&keep]).await;
    let d = s.user(&admin, &tenant, "dropped", &[&drop]).await;
    let members = s
        .get(&format!("/api/v1/projects/{project}/members"), &admin)
        .await;
    assert_eq!(ids(&members.body).len(), 2);

    let bad = s
        .delete(&format!("/api/v1/groups/{keep}?members=maybe"), &admin)
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = s
        .delete(&format!("/api/v1/groups/{keep}?members=keep"), &admin)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = s
        .delete(&format!("/api/v1/groups/{drop}?members=remove"), &admin)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);

    let members = s
        .get(&format!("/api/v1/projects/{project}/members"), &admin)
        .await;
    assert_eq!(ids(&members.body), vec![k.clone()]);
    // Accounts stay either way.
    assert_eq!(
        s.get(&format!("/api/v1/users/{d}"), &admin).await.status,
        StatusCode::OK
    );
    s.assert_consistent();
}

#[tokio::test]
async fn a_system_level_group_spans_projects() {
    let s = Server::start();
    let sys = s.admin().await;
    let (tenant, admin) = s.tenant_with_admin(&sys, "Works").await;
    s.resource_type(&sys, "document", &["read", "write"]).await;
    let p1 = s
        .create(
            &admin,
            "/api/v1/projects",
            json!({"name": "P1", "owner": tenant}),
        )
        .await;
    let p2 = s
        .create(
            &admin,
            "/api/v1/projects",
            json!({"name": "P2", "owner": tenant}),
        )
        .await;
    let doc1 = s.resource(&admin, "document", "d1", &p1).await;
    let doc2 = s.resource(&admin, "document", "d2", &p2).await;
    let reviewers = s
        .create(
            &admin,
            "/api/v1/groups",
            json!({"name": "Reviewers", "owner": tenant}),
        )
        .await;
    for p in [&p1, &p2] {
        let r = s
            .post(
                &format!("/api/v1/projects/{p}/groups"),
                &admin,
                json!({"group": reviewers}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    // Each attachment carries its own grants.
    s.grant(
        &admin,
        json!({"subject": reviewers, "permissions": ["document:read"], "scope": p1}),
    )
    .await;
    s.grant(&admin, json!({"subject": reviewers, "permissions": ["document:read", "document:write"], "scope": p2}))
        .await;

    let v = s.user(&admin, &tenant, "vera", &[]).await;
    let joined = s
        .post(
            &format!("/api/v1/groups/{reviewers}/members"),
            &admin,
            json!({"user": v}),
        )
        .await;
    assert_eq!(joined.status, StatusCode::CREATED, "{}", joined.body);
    let mut projects: Vec<String> = joined.body["projects_joined"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    projects.sort();
    let mut expected = vec![p1.clone(), p2.clone()];
    expected.sort();
    assert_eq!(
        projects, expected,
        "the answer lists every project it joined"
    );
    assert!(s.check(&admin, &v, "read", &doc1).await);
    assert!(!s.check(&admin, &v, "write", &doc1).await);
    assert!(s.check(&admin, &v, "write", &doc2).await);

    // Someone already in a project-level group of P1 cannot join through the attached group.
    let local = s
        .create(
            &admin,
            "/api/v1/groups",
            json!({"name": "Local", "owner": p1}),
        )
        .await;
    let w = s.user(&admin, &tenant, "walt", &[&local]).await;
    let clash = s
        .post(
            &format!("/api/v1/groups/{reviewers}/members"),
            &admin,
            json!({"user": w}),
        )
        .await;
    assert_eq!(clash.status, StatusCode::CONFLICT);
    assert_eq!(clash.body["error"]["details"]["group"], local);

    // Detaching from both projects removes the members from both, and the grants with it.
    let r = s
        .post(
            &format!("/api/v1/groups/{reviewers}/detach"),
            &admin,
            json!({"projects": [p1, p2]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    for p in [&p1, &p2] {
        let members = s
            .get(&format!("/api/v1/projects/{p}/members"), &admin)
            .await;
        assert!(!ids(&members.body).contains(&v), "left {p}");
    }
    assert!(!s.check(&admin, &v, "write", &doc2).await);
    s.assert_consistent();
}
