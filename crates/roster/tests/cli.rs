//! The command line: `migrate`, `verify` on a sound and on a damaged database, configuration
//! errors at start, and the remote commands against a running server.

mod common;
use common::*;
use reqwest::StatusCode;
use roster_core::model::GroupKind;
use roster_core::store::{Store, TenantScope};
use serde_json::json;
use std::process::Command;

fn roster() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_roster"));
    c.env_remove("ROSTER_ADMIN_PASSWORD")
        .env_remove("ROSTER_URL")
        .env_remove("ROSTER_TOKEN");
    c
}

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn migrate_is_idempotent_and_verify_passes_on_a_fresh_database() {
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        let out = roster()
            .arg("migrate")
            .arg("--data-dir")
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
        assert!(text(&out).contains("up to date"));
    }
    assert!(dir.path().join("roster.db").exists());
}

#[tokio::test]
async fn verify_names_what_is_wrong_and_fails() {
    let s = Server::start();
    let sys = s.admin().await;
    let tenant = s.tenant(&sys, "Damaged").await;
    s.assert_consistent();
    // Damage the database behind roster's back: remove the tenant's implicit `All` group.
    let store = s.open_store().await;
    let mut tx = store.write().await.unwrap();
    let tenant_id = tenant.parse().unwrap();
    let all = tx
        .predefined_group(tenant_id, GroupKind::All)
        .await
        .unwrap()
        .expect("All group");
    tx.delete_group(all.id).await.unwrap();
    tx.commit().await.unwrap();
    assert!(!group_exists(store.as_ref(), all.id).await);
    let (ok, output) = s.verify();
    assert!(!ok, "verify should fail:\n{output}");
    assert!(
        output.contains(&tenant) && output.to_lowercase().contains("all"),
        "{output}"
    );
}

async fn group_exists(store: &dyn Store, group: roster_core::Id) -> bool {
    let mut tx = store.read().await.unwrap();
    tx.get_group(TenantScope::All, group)
        .await
        .unwrap()
        .is_some()
}

#[test]
fn bad_configuration_stops_the_start_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = roster()
        .args(["serve", "--data-dir"])
        .arg(dir.path())
        .env("ROSTER_LISTEN", "not-an-address")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("ROSTER_LISTEN"), "{}", text(&out));

    let config = dir.path().join("roster.toml");
    std::fs::write(
        &config,
        "listen = \"127.0.0.1:0\"\nsesion_idle_minutes = 5\n",
    )
    .unwrap();
    let out = roster()
        .args(["serve", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("sesion_idle_minutes"), "{}", text(&out));

    let out = roster()
        .args(["serve", "--data-dir"])
        .arg(dir.path())
        .env("ROSTER_ADMIN_PASSWORD", "short")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out).contains("admin_password") && !text(&out).contains("short\""),
        "{}",
        text(&out)
    );
}

#[tokio::test]
async fn remote_commands_use_the_api_with_a_token() {
    let s = Server::start();
    let sys = s.admin().await;
    let tenant = s.tenant(&sys, "Remote").await;
    let r = s
        .post("/api/v1/me/tokens", &sys, json!({"name": "cli"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let token = r.body["token"].as_str().unwrap().to_string();
    let run = |args: &[&str]| {
        let out = roster()
            .args(args)
            .env("ROSTER_URL", &s.base)
            .env("ROSTER_TOKEN", &token)
            .output()
            .unwrap();
        (out.status.success(), text(&out))
    };
    let (ok, out) = run(&["group", "create", "--name", "Operators", "--owner", &tenant]);
    assert!(ok, "{out}");
    let group = out.split('\t').next().unwrap().to_string();
    let (ok, out) = run(&["user", "create", "--login", "cli-user", "--owner", &tenant]);
    assert!(ok && out.contains("pending"), "{out}");
    let user = out.split('\t').next().unwrap().to_string();
    let (ok, out) = run(&["group", "add-member", &group, &user]);
    assert!(ok, "{out}");
    let (ok, out) = run(&["user", "list", "--q", "cli-"]);
    assert!(
        ok && out.contains("cli-user") && out.contains(&user),
        "{out}"
    );
    let members = s
        .get(&format!("/api/v1/groups/{group}/members"), &sys)
        .await;
    assert_eq!(members.body["items"][0]["user"]["id"], json!(user));
    // Errors carry the API's code and fail the command.
    let (ok, out) = run(&["user", "create", "--login", "cli-user", "--owner", &tenant]);
    assert!(!ok && out.contains("login_taken"), "{out}");
    let out = roster()
        .args(["user", "list"])
        .env("ROSTER_URL", &s.base)
        .env("ROSTER_TOKEN", "rst_wrong")
        .output()
        .unwrap();
    assert!(!out.status.success() && text(&out).contains("unauthenticated"));
}
