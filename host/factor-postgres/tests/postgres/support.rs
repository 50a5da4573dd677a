//! A real PostgreSQL for the tests, and a guest's-eye view of the interface.
//!
//! With `TDS_TEST_DATABASE_URL` set, tests use that server (it must accept
//! plain TCP connections and `CREATE DATABASE` from its user). Otherwise the
//! first test starts a throwaway PostgreSQL 15 cluster: `initdb` and `postgres`
//! from `/usr/lib/postgresql/15/bin`, run as the `postgres` user (they refuse
//! root), listening on 127.0.0.1 only, with no Unix socket and fsync off. The
//! server gets `SIGQUIT` when this test process exits (`PR_SET_PDEATHSIG`); its
//! data directory, `/tmp/tds-factor-postgres-test.<pid>`, is removed by the next
//! run. Every test works in a database of its own, named
//! `tds_factor_pg_<pid>_<n>`; databases left by earlier runs on an external
//! server are dropped once their process is gone.

use std::ffi::CString;
use std::fs;
use std::os::unix::fs::chown;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use tds_factor_outbound::AllowedHosts;
use tds_factor_postgres::postgres::{
    DbError, DbValue, Error, HostConnection, ParameterValue, QueryError, RowSet,
};
use tds_factor_postgres::{Connection, EmptyQueryResults, PostgresPool, PostgresState};
use tokio::sync::OnceCell;
use tokio_postgres::{Client, NoTls};
use wasmtime::component::Resource;

const BIN: &str = "/usr/lib/postgresql/15/bin";
const DATA_DIR_PREFIX: &str = "tds-factor-postgres-test.";
const DATABASE_PREFIX: &str = "tds_factor_pg_";

/// Where the server listens and who to connect as.
struct Server {
    host: String,
    port: u16,
    user: String,
    password: Option<String>,
    maintenance_db: String,
}

static SERVER: OnceCell<Server> = OnceCell::const_new();
static NEXT_DATABASE: AtomicUsize = AtomicUsize::new(0);

async fn server() -> &'static Server {
    SERVER
        .get_or_init(|| async {
            match std::env::var("TDS_TEST_DATABASE_URL") {
                Ok(url) => external_server(&url).await,
                Err(_) => start_cluster(),
            }
        })
        .await
}

async fn external_server(url: &str) -> Server {
    let config: tokio_postgres::Config = url.parse().expect("TDS_TEST_DATABASE_URL is invalid");
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
        _ => panic!("TDS_TEST_DATABASE_URL must name a TCP host"),
    };
    let server = Server {
        host,
        port: config.get_ports().first().copied().unwrap_or(5432),
        user: config
            .get_user()
            .expect("TDS_TEST_DATABASE_URL needs a user")
            .to_string(),
        password: config
            .get_password()
            .map(|p| String::from_utf8(p.to_vec()).expect("a UTF-8 password")),
        maintenance_db: config.get_dbname().unwrap_or("postgres").to_string(),
    };
    drop_stale_databases(&server).await;
    server
}

/// Drops databases of earlier test processes that no longer run.
async fn drop_stale_databases(server: &Server) {
    let admin = server.admin().await;
    let rows = admin
        .query(
            "SELECT datname FROM pg_database WHERE starts_with(datname, $1)",
            &[&DATABASE_PREFIX],
        )
        .await
        .expect("listing test databases");
    for row in rows {
        let name: String = row.get(0);
        let pid = name[DATABASE_PREFIX.len()..]
            .split('_')
            .next()
            .unwrap_or_default();
        if !pid.is_empty() && !Path::new("/proc").join(pid).exists() {
            admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await
                .expect("dropping a stale test database");
        }
    }
}

fn start_cluster() -> Server {
    remove_stale_data_dirs();
    let (uid, gid) = postgres_user();
    let dir = std::env::temp_dir().join(format!("{DATA_DIR_PREFIX}{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir(&dir).expect("creating the cluster directory");
    chown(&dir, Some(uid), Some(gid)).expect("handing the cluster directory to postgres");
    let data = dir.join("data");

    let initdb = Command::new(Path::new(BIN).join("initdb"))
        .arg("-D")
        .arg(&data)
        .args([
            "--auth=trust",
            "-U",
            "tds",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ])
        .current_dir(&dir)
        .uid(uid)
        .gid(gid)
        .output()
        .expect("running initdb");
    assert!(
        initdb.status.success(),
        "initdb failed: {}",
        String::from_utf8_lossy(&initdb.stderr)
    );

    let port = free_port();
    let log = fs::File::create(dir.join("postgres.log")).expect("creating the server log");
    chown(dir.join("postgres.log"), Some(uid), Some(gid)).expect("handing over the server log");
    let mut postgres = Command::new(Path::new(BIN).join("postgres"));
    postgres
        .arg("-D")
        .arg(&data)
        .args(["-p", &port.to_string()])
        .args(["-c", "listen_addresses=127.0.0.1"])
        .args(["-c", "unix_socket_directories="])
        .args(["-c", "fsync=off"])
        .args(["-c", "max_connections=300"])
        .current_dir(&dir)
        .uid(uid)
        .gid(gid)
        .stdout(Stdio::null())
        .stderr(log);
    // SAFETY: prctl is async-signal-safe; it only asks the kernel to signal
    // the server when its parent thread (kept alive below) goes away.
    unsafe {
        postgres.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGQUIT) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    // The parent-death signal follows the spawning thread, so spawn from a
    // thread that lives as long as the process.
    let (started, spawned) = mpsc::channel();
    thread::spawn(move || {
        let result = postgres.spawn().map(|child| child.id());
        started.send(result).expect("reporting the server start");
        loop {
            thread::park();
        }
    });
    spawned
        .recv()
        .expect("the server thread")
        .expect("starting postgres");
    wait_until_ready(port, &dir);
    Server {
        host: "127.0.0.1".to_string(),
        port,
        user: "tds".to_string(),
        password: None,
        maintenance_db: "postgres".to_string(),
    }
}

fn remove_stale_data_dirs() {
    let Ok(entries) = fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(pid) = name.strip_prefix(DATA_DIR_PREFIX) {
            if !Path::new("/proc").join(pid).exists() {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }
}

fn postgres_user() -> (u32, u32) {
    let name = CString::new("postgres").expect("a C string");
    // SAFETY: getpwnam returns null or a pointer to a static entry, read at once.
    let entry = unsafe { libc::getpwnam(name.as_ptr()) };
    assert!(
        !entry.is_null(),
        "there is no postgres user to run the test cluster as"
    );
    // SAFETY: checked non-null above.
    unsafe { ((*entry).pw_uid, (*entry).pw_gid) }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("finding a free port")
        .port()
}

fn wait_until_ready(port: u16, dir: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ready = Command::new(Path::new(BIN).join("pg_isready"))
            .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-U", "tds"])
            .output()
            .is_ok_and(|output| output.status.success());
        if ready {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "postgres did not start: {}",
            fs::read_to_string(dir.join("postgres.log")).unwrap_or_default()
        );
        thread::sleep(Duration::from_millis(100));
    }
}

impl Server {
    fn key_values(&self, dbname: &str) -> String {
        let mut address = format!(
            "host={} port={} user={} dbname={}",
            quoted(&self.host),
            self.port,
            quoted(&self.user),
            quoted(dbname)
        );
        if let Some(password) = &self.password {
            address.push_str(&format!(" password={}", quoted(password)));
        }
        address
    }

    async fn admin(&self) -> Client {
        connect(&self.key_values(&self.maintenance_db)).await
    }
}

/// A key=value connection string value, quoted.
fn quoted(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// A plain tokio-postgres client, for checking behind the interface's back.
pub async fn connect(address: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(address, NoTls)
        .await
        .expect("connecting to the test server");
    tokio::spawn(connection);
    client
}

/// A fresh database of this test's own.
pub struct Database {
    pub name: String,
    server: &'static Server,
}

impl Database {
    pub async fn create() -> Database {
        let server = server().await;
        let name = format!(
            "{DATABASE_PREFIX}{}_{}",
            std::process::id(),
            NEXT_DATABASE.fetch_add(1, Ordering::SeqCst)
        );
        server
            .admin()
            .await
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("creating a test database");
        Database { name, server }
    }

    /// The address a guest would pass to `connection.open`.
    pub fn address(&self) -> String {
        self.server.key_values(&self.name)
    }

    /// The same database written with another host name.
    pub fn address_via(&self, host: &str) -> String {
        self.address().replacen(
            &format!("host={}", quoted(&self.server.host)),
            &format!("host={host}"),
            1,
        )
    }

    pub fn host(&self) -> &str {
        &self.server.host
    }

    pub fn port(&self) -> u16 {
        self.server.port
    }

    /// The allow-list entry granting this server.
    pub fn allowed_entry(&self) -> String {
        format!("postgres://{}:{}", self.server.host, self.server.port)
    }

    /// A guest whose component allows exactly this server.
    pub fn guest(&self) -> Guest {
        Guest::new(Arc::new(PostgresPool::new()), &[self.allowed_entry()])
    }

    /// A guest of this server on a host that answers queries without rows, as Spin
    /// releases carrying the fix for spinframework/spin#3671 do.
    pub fn guest_answering_empty_results(&self) -> Guest {
        let Guest { state, pool } = self.guest();
        Guest {
            state: state.with_empty_query_results(EmptyQueryResults::Return),
            pool,
        }
    }

    /// A direct client for setting up and checking.
    pub async fn client(&self) -> Client {
        connect(&self.address()).await
    }
}

/// One store's view of the interface, called as a guest would.
pub struct Guest {
    pub state: PostgresState,
    pub pool: Arc<PostgresPool>,
}

impl Guest {
    pub fn new(pool: Arc<PostgresPool>, allowed: &[String]) -> Guest {
        let allowed = Arc::new(AllowedHosts::parse(allowed).expect("a valid allow-list"));
        Guest {
            state: PostgresState::new(Arc::clone(&pool), allowed),
            pool,
        }
    }

    /// Another store (a later guest instance) of the same component and pool.
    pub fn next_instance(&self, allowed: &[String]) -> Guest {
        Guest::new(Arc::clone(&self.pool), allowed)
    }

    pub async fn open(&mut self, address: &str) -> Result<Resource<Connection>, Error> {
        HostConnection::open(&mut self.state, address.to_string()).await
    }

    pub async fn query(
        &mut self,
        connection: &Resource<Connection>,
        statement: &str,
        params: Vec<ParameterValue>,
    ) -> Result<RowSet, Error> {
        let borrowed = Resource::new_borrow(connection.rep());
        HostConnection::query(&mut self.state, borrowed, statement.to_string(), params).await
    }

    pub async fn execute(
        &mut self,
        connection: &Resource<Connection>,
        statement: &str,
        params: Vec<ParameterValue>,
    ) -> Result<u64, Error> {
        let borrowed = Resource::new_borrow(connection.rep());
        HostConnection::execute(&mut self.state, borrowed, statement.to_string(), params).await
    }

    /// The single value of a one-row, one-column query.
    pub async fn value(
        &mut self,
        connection: &Resource<Connection>,
        statement: &str,
        params: Vec<ParameterValue>,
    ) -> DbValue {
        let rows = self
            .query(connection, statement, params)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e:?}"));
        assert_eq!(rows.rows.len(), 1, "{statement}: {rows:?}");
        assert_eq!(rows.rows[0].len(), 1, "{statement}: {rows:?}");
        rows.rows[0][0].clone()
    }

    pub async fn close(&mut self, connection: Resource<Connection>) {
        HostConnection::drop(&mut self.state, connection)
            .await
            .expect("dropping a connection");
    }
}

/// The text of a `query-failed(text(…))`, or a panic naming what came instead.
pub fn failure_text<T: std::fmt::Debug>(result: Result<T, Error>) -> String {
    match result {
        Err(Error::QueryFailed(QueryError::Text(text))) => text,
        other => panic!("expected query-failed(text(…)), got {other:?}"),
    }
}

/// The server's error of a `query-failed(db-error(…))`, or a panic naming what came
/// instead.
pub fn db_error<T: std::fmt::Debug>(result: Result<T, Error>) -> DbError {
    match result {
        Err(Error::QueryFailed(QueryError::DbError(error))) => error,
        other => panic!("expected query-failed(db-error(…)), got {other:?}"),
    }
}

/// The message of a `connection-failed`, or a panic naming what came instead.
pub fn connection_failure<T: std::fmt::Debug>(result: Result<T, Error>) -> String {
    match result {
        Err(Error::ConnectionFailed(text)) => text,
        other => panic!("expected connection-failed, got {other:?}"),
    }
}
