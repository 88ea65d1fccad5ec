//! `roster serve` and `roster verify`.

use crate::config::Config;
use crate::mail::{settings_from_url, SmtpTransport};
use crate::store_open;
use anyhow::{Context, Result};
use axum::serve::ListenerExt;
use roster_api::{app, AppState};
use roster_core::password::PasswordHasher;
use roster_core::service::DEMO_PASSWORD;
use roster_core::{Service, ServiceSettings};
use roster_web::WebState;
use std::net::SocketAddr;
use std::sync::Arc;
use tracing_subscriber::EnvFilter;

/// How often a node looks for access changes committed by other nodes, besides the
/// database's notifications where it sends them (PostgreSQL).
const ACCESS_POLL: std::time::Duration = std::time::Duration::from_millis(250);

/// Starts the server and runs until interrupted.
pub async fn run(config: Config, demo: bool) -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_new(&config.log).context("log: not a valid filter")?)
        .with_writer(std::io::stderr)
        .init();
    let store = store_open::open(&config).await?;
    store.migrate().await.context("migrating the database")?;
    tracing::info!(database = store.describe(), "database ready");
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    let settings = ServiceSettings {
        public_url: config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}")),
        session_idle: chrono::Duration::minutes(config.session_idle_minutes),
        session_lifetime: chrono::Duration::hours(config.session_lifetime_hours),
        impersonation_ttl: chrono::Duration::minutes(config.impersonation_minutes),
        ..ServiceSettings::default()
    };
    let configured_smtp = match (&config.smtp_url, &config.smtp_from) {
        (Some(url), Some(from)) => Some(settings_from_url(url, from)?),
        _ => None,
    };
    if configured_smtp.is_some() {
        tracing::info!("outgoing email configured");
    }
    let service = Service::new(store.into_store(), PasswordHasher::default(), settings)
        .with_mail(Arc::new(SmtpTransport), configured_smtp);
    let boot = service
        .bootstrap(&config.admin_login, config.admin_password.as_deref())
        .await
        .context("creating the system administrator")?;
    if boot.created_admin {
        tracing::info!(login = %config.admin_login, "created the system administrator");
    }
    if let Some(url) = boot.setup_url {
        println!(
            "Set up roster: open this one-time link to choose the password of '{}':",
            config.admin_login
        );
        println!("  {url}");
    }
    service.refresh_access().await;
    // Give back at once what building the index used and freed (the database snapshot it was
    // built from): at 1M users the process then holds ~200 MB instead of ~750 MB, which the
    // allocator would otherwise keep until later allocations made it purge.
    // SAFETY: mi_collect takes a flag; it returns only freed memory to the system.
    unsafe { libmimalloc_sys::mi_collect(true) };
    let sizes = service.access_sizes();
    tracing::info!(
        users = sizes.users,
        groups = sizes.groups,
        resources = sizes.resources,
        grants = sizes.grants,
        "access index loaded"
    );
    // Follow changes made by other nodes on the same database (this node's own changes are
    // applied as they commit).
    let follower = service.clone();
    tokio::spawn(async move { follower.follow_access(ACCESS_POLL).await });
    if demo {
        if let Some(login) = service
            .load_demo()
            .await
            .context("loading the demo tenant")?
        {
            println!("Demo tenant loaded: sign in as '{login}' with password '{DEMO_PASSWORD}'.");
        }
    }
    let web = WebState {
        service: service.clone(),
        secure_cookies: config.secure_cookies,
    };
    let state = AppState {
        service: Arc::new(service),
        secure_cookies: config.secure_cookies,
    };
    // The web console at `/` beside the API at `/api`; both call the same service.
    let routes = roster_web::router(web).merge(app(state));
    tracing::info!("listening on {addr}");
    // Answers go out as soon as they are written, not held back by Nagle's algorithm until
    // the client acknowledges the previous segment (a page's last partial segment could wait
    // for a delayed acknowledgement on a real network).
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!("could not set TCP_NODELAY on a connection: {e}");
        }
    });
    axum::serve(
        listener,
        routes.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown())
    .await
    .context("serving")?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// Checks the database and reports every problem; fails when there is any.
pub async fn verify(config: Config) -> Result<()> {
    let store = store_open::open(&config).await?;
    let service = Service::new(
        store.into_store(),
        PasswordHasher::default(),
        ServiceSettings::default(),
    );
    let problems = service.verify().await?;
    if problems.is_empty() {
        println!("the database is consistent");
        return Ok(());
    }
    for p in &problems {
        println!("problem: {p}");
    }
    anyhow::bail!("{} consistency problem(s) found", problems.len())
}
