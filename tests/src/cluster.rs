//! The PostgreSQL server shared by every test of one process.

use std::sync::OnceLock;

use tds::embedded_postgres::{EmbeddedOptions, EmbeddedPostgres};

/// Where the tests' databases live.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// `user[:password]@host:port`, the part of a URL before the database name.
    authority: String,
    /// Query string to append to URLs (`?sslmode=disable` for the embedded server).
    query: String,
    /// `host:port` as written in `allowed_outbound_hosts`.
    host_port: String,
}

impl Cluster {
    /// A URL for `database` on this server.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://{}/{database}{}", self.authority, self.query)
    }

    /// The server's `host:port`.
    pub fn host_port(&self) -> &str {
        &self.host_port
    }
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();

/// The process's server, started on first use.
pub fn cluster() -> &'static Cluster {
    CLUSTER.get_or_init(|| match std::env::var("TDS_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => from_url(&url),
        _ => start_embedded(),
    })
}

fn from_url(url: &str) -> Cluster {
    let rest = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
        .expect("TDS_TEST_DATABASE_URL must be a postgres:// URL");
    let (authority, tail) = rest.split_once('/').unwrap_or((rest, ""));
    let query = tail.find('?').map(|i| tail[i..].to_string()).unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or(authority);
    let host_port = if host_port.contains(':') { host_port.to_string() } else { format!("{host_port}:5432") };
    Cluster {
        authority: authority.to_string(),
        query,
        host_port,
    }
}

/// Starts the throwaway server from a thread that lives as long as the process, so the
/// kernel stops the server when the process dies (the parent-death signal follows the
/// starting thread), and stops it at a normal exit.
fn start_embedded() -> Cluster {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("tds-test-postgres".into())
        .spawn(move || {
            let server = EmbeddedPostgres::start(EmbeddedOptions::throwaway("test"));
            match server {
                Ok(server) => {
                    let _ = sender.send(Ok(server.port()));
                    SERVER.lock().unwrap().replace(server);
                    unsafe { libc::atexit(stop_server) };
                    loop {
                        std::thread::park();
                    }
                }
                Err(error) => {
                    let _ = sender.send(Err(error.to_string()));
                }
            }
        })
        .expect("spawning the postgres thread");
    let port = receiver
        .recv()
        .expect("the postgres thread ended")
        .unwrap_or_else(|error| panic!("could not start the test PostgreSQL: {error}"));
    Cluster {
        authority: format!("{}@127.0.0.1:{port}", tds::embedded_postgres::SUPERUSER),
        query: "?sslmode=disable".into(),
        host_port: format!("127.0.0.1:{port}"),
    }
}

static SERVER: std::sync::Mutex<Option<EmbeddedPostgres>> = std::sync::Mutex::new(None);

extern "C" fn stop_server() {
    if let Ok(mut slot) = SERVER.lock() {
        if let Some(server) = slot.take() {
            server.stop();
        }
    }
}
