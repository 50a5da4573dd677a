//! The real `tds` binary serving the application as a child process (`tds up`), for tests
//! that kill the host or start it again.
//!
//! - The binary is the `tds` command line ([`tds_binary`]), built by `cargo test` along
//!   with the tests, the same build `./scripts/up` runs; the components are built as for
//!   [`TestApp`](crate::TestApp).
//! - `tds up` serves the repository's spin.toml on `127.0.0.1:<port>`, a free port picked by
//!   [`HostProcess::start`] and kept by [`HostProcess::restart`], so clients keep one
//!   address across restarts. It keeps its state (code cache, generated variables) in
//!   `target/tds-test-<label>/` and writes its stderr to `tds-up.log` there, truncated by
//!   `start` and appended to by `restart`.
//! - Variables: `database_url` and `database_host` from [`HostOptions`], then the caller's
//!   `name=value` pairs, each as `--variable`. `tds up` applies pending migrations before
//!   it serves.
//! - [`HostProcess::kill`] sends SIGKILL and reaps the child; dropping a [`HostProcess`]
//!   kills its child too.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{ensure_built, repo_root};

/// How to run `tds up`.
#[derive(Debug, Clone, Default)]
pub struct HostOptions {
    /// Names the state folder `target/tds-test-<label>`.
    pub label: String,
    pub database_url: String,
    /// `host:port` of the database, as `allowed_outbound_hosts` compares it.
    pub database_host: String,
    /// More `--variable` values (`name=value`).
    pub variables: Vec<String>,
    /// Pass `--no-cron`: components run only when an HTTP request calls them.
    pub no_cron: bool,
    /// Environment variables for the child on top of the test process's (e.g. `TDS_LOG`).
    pub env: Vec<(String, String)>,
}

/// A running (or killed) `tds up` child process.
pub struct HostProcess {
    options: HostOptions,
    port: u16,
    state_dir: PathBuf,
    child: Option<Child>,
}

impl HostProcess {
    /// Starts `tds up` on a free port; does not wait for it to serve (see
    /// [`HostProcess::wait_ready`]).
    pub fn start(options: HostOptions) -> HostProcess {
        let state_dir = repo_root()
            .join("target")
            .join(format!("tds-test-{}", options.label));
        std::fs::create_dir_all(&state_dir)
            .unwrap_or_else(|e| panic!("creating {}: {e}", state_dir.display()));
        File::create(state_dir.join("tds-up.log")).expect("creating the host's log");
        let mut host = HostProcess {
            options,
            port: free_port(),
            state_dir,
            child: None,
        };
        host.spawn();
        host
    }

    /// Kills the child if it still runs and starts a new one with the same options on the
    /// same port.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url())
    }

    /// The child's stderr.
    pub fn log_path(&self) -> PathBuf {
        self.state_dir.join("tds-up.log")
    }

    /// Polls `GET /health` until it answers 200 (the host serves and its database
    /// answers). Panics with the end of the host's log when the child exits first or
    /// `patience` runs out.
    pub async fn wait_ready(&mut self, patience: Duration) {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .expect("an HTTP client");
        let started = Instant::now();
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!(
                    "tds up exited ({status}) before serving; the end of its log:\n{}",
                    log_tail(&self.log_path())
                );
            }
            let healthy = client
                .get(self.url("/health"))
                .send()
                .await
                .is_ok_and(|r| r.status().as_u16() == 200);
            if healthy {
                return;
            }
            if started.elapsed() > patience {
                panic!(
                    "tds up did not answer GET /health with 200 within {patience:?}; the end of \
                     its log:\n{}",
                    log_tail(&self.log_path())
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// SIGKILL, then waits until the child is gone. Does nothing when it is not running.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // Child::kill is SIGKILL on Unix; it fails only when the child was reaped.
            let _ = child.kill();
            child.wait().expect("reaping tds up");
        }
    }

    fn spawn(&mut self) {
        let log = OpenOptions::new()
            .append(true)
            .open(self.log_path())
            .expect("opening the host's log");
        let options = &self.options;
        let mut variables = vec![
            format!("database_url={}", options.database_url),
            format!("database_host={}", options.database_host),
        ];
        variables.extend(options.variables.iter().cloned());
        let manifest = repo_root().join("spin.toml");
        ensure_built(&manifest);
        let mut command = Command::new(tds_binary());
        command
            .arg("up")
            .arg("--manifest")
            .arg(&manifest)
            .arg("--listen")
            .arg(format!("127.0.0.1:{}", self.port))
            .arg("--state-dir")
            .arg(&self.state_dir);
        for variable in variables {
            command.arg("--variable").arg(variable);
        }
        if options.no_cron {
            command.arg("--no-cron");
        }
        command.envs(options.env.iter().map(|(name, value)| (name, value)));
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("starting tds up");
        self.child = Some(child);
    }
}

impl Drop for HostProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The `tds` binary (`host/tds`), which cargo builds into the folder above the test
/// executable's `deps/` before it runs any integration test (host/tds has tests of its
/// own), with the same features as `./scripts/up`'s build of it.
pub fn tds_binary() -> PathBuf {
    let test_executable = std::env::current_exe().expect("the test executable's path");
    let binary = test_executable
        .parent()
        .and_then(Path::parent)
        .map(|profile| profile.join("tds"))
        .expect("the test executable sits in target/<profile>/deps");
    assert!(
        binary.exists(),
        "{} is missing: run the tests with `cargo test` in the workspace, which builds it \
         (or build it with `cargo build --bin tds --examples`)",
        binary.display()
    );
    binary
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("finding a free port")
        .port()
}

/// The last few kilobytes of `path`.
fn log_tail(path: &Path) -> String {
    let Ok(mut file) = File::open(path) else {
        return String::from("(no log)");
    };
    let length = file.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = file.seek(SeekFrom::Start(length.saturating_sub(6000)));
    let mut bytes = Vec::new();
    let _ = file.read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}
