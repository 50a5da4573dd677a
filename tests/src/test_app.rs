//! The application (or a test manifest) loaded through the host library and served on a
//! free local port.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tds::app::{App, AppBuilder, AppOptions, EmptyQueryResults};
use tds::cron_trigger::{self, CronJob};
use tds::http_trigger::HttpTrigger;
use tokio::task::JoinHandle;

use crate::cluster::cluster;
use crate::database::TestDatabase;

/// The repository's root folder.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("repo root").to_path_buf()
}

/// Runs the build commands of `manifest` once per process (cargo skips what is fresh).
pub fn ensure_built(manifest: &Path) {
    static BUILT: OnceLock<std::sync::Mutex<Vec<PathBuf>>> = OnceLock::new();
    let mut built = BUILT.get_or_init(Default::default).lock().unwrap();
    if built.iter().any(|m| m == manifest) {
        return;
    }
    tds::build_components::build_components(manifest, &[])
        .unwrap_or_else(|e| panic!("building the components of {} failed: {e:#}", manifest.display()));
    built.push(manifest.to_path_buf());
}

/// What to load.
#[derive(Debug, Clone)]
pub struct TestAppOptions {
    /// Manifest path relative to the repository root.
    pub manifest: PathBuf,
    /// `--variable` arguments (`name=value`), on top of `database_url` and `database_host`
    /// for the test database.
    pub variables: Vec<String>,
    /// Serve HTTP (true by default).
    pub serve_http: bool,
    /// The longest a guest may run (the host's default when `None`).
    pub max_execution_time: Option<Duration>,
    /// Folder whose `.env` supplies `SPIN_VARIABLE_*` keys (none when `None`).
    pub dotenv_dir: Option<PathBuf>,
    /// How a guest query without rows is answered: refused (the default, as every test but
    /// the switch's own runs), or answered as Spin releases with the fix do.
    pub empty_query_results: EmptyQueryResults,
    /// Component instances that may run at once (the host's default when `None`).
    pub pool_instances: Option<u32>,
}

impl Default for TestAppOptions {
    fn default() -> Self {
        Self {
            manifest: PathBuf::from("spin.toml"),
            variables: Vec::new(),
            serve_http: true,
            max_execution_time: None,
            dotenv_dir: None,
            empty_query_results: EmptyQueryResults::Refuse,
            pool_instances: None,
        }
    }
}

/// A loaded application with its own database, served on 127.0.0.1:<free port>.
pub struct TestApp {
    pub app: App,
    pub db: TestDatabase,
    pub address: SocketAddr,
    pub client: reqwest::Client,
    cron_jobs: Vec<Arc<CronJob>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    /// Loads the repository's `spin.toml` with a fresh database.
    pub async fn start() -> Self {
        Self::start_with(TestAppOptions::default()).await
    }

    /// Loads the repository's `spin.toml` with a fresh database, intake's `webhook_key` and
    /// the operator routes' `stats_token` set, and `extra` variables (`name=value`).
    pub async fn start_keyed(key: &str, token: &str, extra: &[String]) -> Self {
        let mut variables = vec![format!("webhook_key={key}"), format!("stats_token={token}")];
        variables.extend(extra.iter().cloned());
        Self::start_with(TestAppOptions {
            variables,
            ..TestAppOptions::default()
        })
        .await
    }

    pub async fn start_with(options: TestAppOptions) -> Self {
        let db = TestDatabase::new().await;
        Self::start_on(options, db).await
    }

    /// Loads the application against an existing test database.
    pub async fn start_on(options: TestAppOptions, db: TestDatabase) -> Self {
        let manifest = repo_root().join(&options.manifest);
        Self::try_start_on(options, db)
            .await
            .unwrap_or_else(|e| panic!("loading {} failed: {e:#}", manifest.display()))
    }

    /// Like [`TestApp::start_with`], but a load failure is returned (for tests of load errors).
    pub async fn try_start_with(options: TestAppOptions) -> anyhow::Result<Self> {
        let db = TestDatabase::new().await;
        Self::try_start_on(options, db).await
    }

    /// Like [`TestApp::start_on`], but a load failure is returned.
    pub async fn try_start_on(options: TestAppOptions, db: TestDatabase) -> anyhow::Result<Self> {
        let manifest = repo_root().join(&options.manifest);
        ensure_built(&manifest);
        let mut app_options = AppOptions::new(&manifest);
        app_options.dotenv_dir = options.dotenv_dir.clone();
        app_options.empty_query_results = options.empty_query_results;
        if let Some(instances) = options.pool_instances {
            app_options.pool_instances = instances;
        }
        if let Some(limit) = options.max_execution_time {
            app_options.max_execution_time = limit;
        }
        app_options.cache_dir = Some(repo_root().join("target").join("tds-test-cache"));
        app_options.variables = vec![
            format!("database_url={}", db.url),
            format!("database_host={}", cluster().host_port()),
        ];
        app_options.variables.extend(options.variables.iter().cloned());
        let app = AppBuilder::new(app_options).and_then(AppBuilder::build)?;
        let cron_jobs = cron_trigger::jobs(&app)?.into_iter().map(Arc::new).collect();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binding a port");
        let address = listener.local_addr().expect("local address");
        let server = match options.serve_http {
            true => Some(tokio::spawn(HttpTrigger::new(app.clone())?.serve(listener))),
            false => None,
        };
        Ok(Self {
            app,
            db,
            address,
            client: reqwest::Client::new(),
            cron_jobs,
            server,
        })
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// Runs the cron handler of `component` once, now, as its schedule would. A
    /// processor's cron run leaves a lane that a woken drain session holds to that session,
    /// so for a processor this then waits for the lane's sessions to end
    /// ([`crate::internal::sessions_ended`]): what the lane had is applied either way.
    pub async fn run_cron(&self, component: &str) -> anyhow::Result<()> {
        let job = self
            .cron_jobs
            .iter()
            .find(|job| job.component() == component)
            .unwrap_or_else(|| panic!("no cron trigger for component {component}"));
        job.invoke(&self.app).await?;
        if let Some(lane) = component.strip_prefix("processor-").and_then(tds_core::entity::Lane::from_name) {
            crate::internal::sessions_ended(self, lane).await;
        }
        Ok(())
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}
