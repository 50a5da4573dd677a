//! `tds up`: the whole application on one machine.
//!
//! Behaviour and defaults:
//! - Serves the manifest's HTTP routes on `127.0.0.1:3000` and runs its cron schedules
//!   (unless `--no-cron`: then components run only when an HTTP request calls them).
//! - With no `database_url` from any provider (`--variable`, `SPIN_VARIABLE_DATABASE_URL`,
//!   `.env`), starts a private PostgreSQL under `.tds/postgres` (beside the manifest) and
//!   uses it; `database_host` then names that server for `allowed_outbound_hosts`.
//! - Applies pending migrations before serving (with a given URL too, unless
//!   `--skip-migrations`).
//! - With neither `zoho_webhook_secret` nor `webhook_key` set, generates a webhook key for
//!   local use (kept in `.tds/local-variables.json` so it survives restarts) and prints it;
//!   likewise a `stats_token`. Explicit values always win.
//! - Stops cleanly on Ctrl-C or SIGTERM, shutting the private PostgreSQL down too.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use tokio::net::TcpListener;

use crate::app::{AppBuilder, AppOptions};
use crate::cron_trigger;
use crate::embedded_postgres::{EmbeddedOptions, EmbeddedPostgres};
use crate::http_trigger::HttpTrigger;
use crate::migrate;

/// Name of the database created in the private server.
pub const EMBEDDED_DATABASE: &str = "tds";

/// Local-only variables `tds up` generates when the operator set none.
const GENERATED_VARIABLES: [(&str, &str); 2] = [
    ("webhook_key", "intake accepts webhooks carrying it in X-Webhook-Key or ?key="),
    ("stats_token", "the stats API and dashboard accept it as a bearer token"),
];

/// What `tds up` was asked to do.
#[derive(Debug, Clone)]
pub struct UpOptions {
    pub app: AppOptions,
    pub listen: SocketAddr,
    /// Folder for the private server, generated variables and the code cache.
    pub state_dir: PathBuf,
    pub skip_migrations: bool,
    /// Run the manifest's cron schedules.
    pub cron: bool,
}

/// Runs until Ctrl-C or SIGTERM.
pub async fn run(mut options: UpOptions) -> Result<()> {
    std::fs::create_dir_all(&options.state_dir)
        .with_context(|| format!("could not create {}", options.state_dir.display()))?;
    options.app.cache_dir.get_or_insert_with(|| options.state_dir.join("cache"));
    let mut builder = AppBuilder::new(options.app.clone())?;
    let embedded = match builder.variable("database_url") {
        Some(_) => None,
        None => Some(start_embedded(&options.state_dir, &mut builder).await?),
    };
    let database_url = builder.variable("database_url").context("database_url has no value")?;
    if !options.skip_migrations {
        let report = migrate::migrate_url(&database_url).await?;
        for name in &report.applied {
            eprintln!("tds: applied migration {name}");
        }
    }
    generate_local_variables(&options.state_dir, &mut builder)?;
    let app = builder.build()?;
    let http = HttpTrigger::new(app.clone())?;
    // Checked even with --no-cron: Spin's cron plugin would silently never run a component
    // that cannot serve its trigger.
    let mut jobs = cron_trigger::jobs(&app)?;
    if !options.cron {
        eprintln!("tds: cron schedules are off (--no-cron)");
        jobs.clear();
    }
    let listener = TcpListener::bind(options.listen)
        .await
        .with_context(|| format!("could not listen on {} (is another tds running?)", options.listen))?;
    eprintln!("tds: serving http://{}", listener.local_addr()?);
    for trigger in &app.manifest().http_triggers {
        match &trigger.route {
            tds_manifest::HttpRoute::Path(route) => eprintln!("tds:   {route} -> {}", trigger.component),
            tds_manifest::HttpRoute::Private => {
                eprintln!("tds:   (private: service chaining only) -> {}", trigger.component)
            }
        }
    }
    let mut tasks = tokio::task::JoinSet::new();
    tasks.spawn(async move { http.serve(listener).await });
    for job in jobs {
        let app = app.clone();
        tasks.spawn(async move {
            job.run_schedule(app).await;
            Ok(())
        });
    }
    let outcome = tokio::select! {
        signal = shutdown_signal() => signal,
        Some(ended) = tasks.join_next() => ended.context("a trigger task panicked").and_then(|r| r),
    };
    tasks.abort_all();
    if let Some(server) = embedded {
        eprintln!("tds: stopping the private PostgreSQL");
        tokio::task::spawn_blocking(move || server.stop()).await?;
    }
    outcome
}

async fn start_embedded(state_dir: &Path, builder: &mut AppBuilder) -> Result<EmbeddedPostgres> {
    let data_dir = state_dir.join("postgres");
    eprintln!("tds: no database_url given; starting a private PostgreSQL in {}", data_dir.display());
    // Started on this thread, which lives as long as `tds up`: the server is told to stop
    // when the thread that forked it ends (parent-death signal), and a spawn_blocking
    // thread ends after 10 s without work, taking the server with it.
    let server = tokio::task::block_in_place(move || EmbeddedPostgres::start(EmbeddedOptions::durable(data_dir)))?;
    server.ensure_database(EMBEDDED_DATABASE).await?;
    builder.set_fallback("database_url", &server.url(EMBEDDED_DATABASE));
    builder.set_fallback("database_host", &server.host_port());
    eprintln!("tds: PostgreSQL ready at {}", server.url(EMBEDDED_DATABASE));
    Ok(server)
}

fn generate_local_variables(state_dir: &Path, builder: &mut AppBuilder) -> Result<()> {
    let secured = ["zoho_webhook_secret", "webhook_key"]
        .iter()
        .any(|name| builder.variable(name).is_some_and(|v| !v.is_empty()));
    let path = state_dir.join("local-variables.json");
    let mut stored: BTreeMap<String, String> = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    for (name, purpose) in GENERATED_VARIABLES {
        let declared = builder.manifest().variables.contains_key(name);
        let already_set = builder.variable(name).is_some_and(|v| !v.is_empty());
        if !declared || already_set || (name == "webhook_key" && secured) {
            continue;
        }
        let value = stored
            .entry(name.to_string())
            .or_insert_with(|| hex::encode(rand::random::<[u8; 16]>()))
            .clone();
        builder.set_fallback(name, &value);
        eprintln!("tds: generated {name} for local use: {value}  ({purpose}; set SPIN_VARIABLE_{} to choose your own)", name.to_uppercase());
    }
    std::fs::write(&path, serde_json::to_string_pretty(&stored)?)
        .with_context(|| format!("could not write {}", path.display()))?;
    Ok(())
}

async fn shutdown_signal() -> Result<()> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
    eprintln!("tds: shutting down");
    Ok(())
}
