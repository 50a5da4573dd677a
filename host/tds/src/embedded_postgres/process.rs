//! Creating, starting and stopping the private cluster.

use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::{chown, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::{EmbeddedPostgresError as Error, PostgresBinaries};

/// The superuser the embedded cluster is created with.
pub const SUPERUSER: &str = "tds";
/// How long start-up may take before it is reported as failed.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// How to run the embedded server.
#[derive(Debug, Clone)]
pub struct EmbeddedOptions {
    /// Where the cluster lives (created when empty).
    pub data_dir: PathBuf,
    /// TCP port on 127.0.0.1; a free one is picked when `None`.
    pub port: Option<u16>,
    /// `false` only for throwaway clusters: a crash can then lose committed data.
    pub fsync: bool,
    /// Remove the data directory when the server stops.
    pub ephemeral: bool,
    /// Extra `-c name=value` server settings.
    pub settings: Vec<(String, String)>,
}

impl EmbeddedOptions {
    /// A durable cluster in `data_dir` on a free port.
    pub fn durable(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            port: None,
            fsync: true,
            ephemeral: false,
            settings: Vec::new(),
        }
    }

    /// A throwaway cluster (fsync off, removed on stop) under the system temp folder.
    pub fn throwaway(label: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "tds-{label}-{}-{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        Self {
            data_dir: dir,
            port: None,
            fsync: false,
            ephemeral: true,
            settings: Vec::new(),
        }
    }
}

/// A running PostgreSQL server owned by this process.
#[derive(Debug)]
pub struct EmbeddedPostgres {
    binaries: PostgresBinaries,
    child: Child,
    port: u16,
    data_dir: PathBuf,
    log_file: PathBuf,
    ephemeral: bool,
}

/// The unprivileged account the server runs as when we are root.
#[derive(Debug, Clone, Copy)]
struct RunAs {
    uid: u32,
    gid: u32,
}

impl EmbeddedPostgres {
    /// Creates the cluster if needed, starts it and waits until it accepts connections.
    pub fn start(options: EmbeddedOptions) -> Result<Self, Error> {
        let binaries = PostgresBinaries::locate()?;
        let run_as = unprivileged_account()?;
        let data_dir = usable_data_dir(&options.data_dir, run_as)?;
        let cluster_dir = data_dir.join("data");
        let log_file = data_dir.join("postgres.log");
        prepare_dir(&data_dir, run_as)?;
        if !cluster_dir.join("PG_VERSION").exists() {
            init_cluster(&binaries, &cluster_dir, run_as)?;
        }
        stop_leftover_server(&cluster_dir);
        let port = match options.port {
            Some(port) => port,
            None => free_port()?,
        };
        let child = spawn_server(&binaries, &cluster_dir, &log_file, port, &options, run_as)?;
        let mut server = Self {
            binaries,
            child,
            port,
            data_dir,
            log_file,
            ephemeral: options.ephemeral,
        };
        server.wait_until_ready()?;
        Ok(server)
    }

    /// The TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:<port>`, as written in `allowed_outbound_hosts`.
    pub fn host_port(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// A connection URL for `database` (TLS off: the server only listens on loopback).
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://{SUPERUSER}@127.0.0.1:{}/{database}?sslmode=disable",
            self.port
        )
    }

    /// Where the cluster and its log live.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Creates `name` unless it exists.
    pub async fn ensure_database(&self, name: &str) -> Result<(), Error> {
        let to_error = |source| Error::CreateDatabase {
            name: name.to_string(),
            source,
        };
        let (client, connection) = tokio_postgres::connect(&self.url("postgres"), tokio_postgres::NoTls)
            .await
            .map_err(to_error)?;
        let driver = tokio::spawn(connection);
        let exists = client
            .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
            .await
            .map_err(to_error)?
            .is_some();
        if !exists {
            let quoted = name.replace('"', "\"\"");
            client
                .batch_execute(&format!("CREATE DATABASE \"{quoted}\""))
                .await
                .map_err(to_error)?;
        }
        drop(client);
        let _ = driver.await;
        Ok(())
    }

    /// Fast shutdown: open sessions are ended, committed data is kept.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // SIGINT is PostgreSQL's "fast" shutdown.
            unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGINT) };
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if self.ephemeral {
            let _ = fs::remove_dir_all(&self.data_dir);
        }
    }

    fn wait_until_ready(&mut self) -> Result<(), Error> {
        let started = Instant::now();
        let address = SocketAddr::from(([127, 0, 0, 1], self.port));
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(Error::ExitedEarly {
                    status: status.to_string(),
                    log: self.log_file.display().to_string(),
                    tail: log_tail(&self.log_file),
                });
            }
            if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() && self.accepts_queries()
            {
                return Ok(());
            }
            if started.elapsed() > START_TIMEOUT {
                return Err(Error::StartTimeout {
                    port: self.port,
                    seconds: START_TIMEOUT.as_secs(),
                    log: self.log_file.display().to_string(),
                    tail: log_tail(&self.log_file),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// True once the server has left start-up and recovery (`pg_isready`).
    fn accepts_queries(&self) -> bool {
        Command::new(self.binaries.program("pg_isready"))
            .args(["-q", "-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", SUPERUSER, "-d", "postgres"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn unprivileged_account() -> Result<Option<RunAs>, Error> {
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    let name = std::ffi::CString::new("postgres").expect("static name");
    let entry = unsafe { libc::getpwnam(name.as_ptr()) };
    if entry.is_null() {
        return Err(Error::NoUnprivilegedUser);
    }
    let (uid, gid) = unsafe { ((*entry).pw_uid, (*entry).pw_gid) };
    Ok(Some(RunAs { uid, gid }))
}

/// The requested folder, or a stand-in under /var/tmp when the server's user cannot reach it.
fn usable_data_dir(requested: &Path, run_as: Option<RunAs>) -> Result<PathBuf, Error> {
    fs::create_dir_all(requested).map_err(Error::io(format!("creating {}", requested.display())))?;
    let requested = requested
        .canonicalize()
        .map_err(Error::io(format!("resolving {}", requested.display())))?;
    if run_as.is_none() || ancestors_traversable(&requested) {
        return Ok(requested);
    }
    let digest = Sha256::digest(requested.to_string_lossy().as_bytes());
    let stand_in = Path::new("/var/tmp/tds-postgres").join(&hex::encode(digest)[..16]);
    tracing::info!(
        requested = %requested.display(),
        used = %stand_in.display(),
        "the postgres user cannot reach the requested data folder; using a stand-in"
    );
    fs::create_dir_all(&stand_in).map_err(Error::io(format!("creating {}", stand_in.display())))?;
    fs::set_permissions("/var/tmp/tds-postgres", fs::Permissions::from_mode(0o755))
        .map_err(Error::io("opening /var/tmp/tds-postgres to the postgres user"))?;
    Ok(stand_in)
}

/// Whether every ancestor folder lets others pass through (mode o+x).
fn ancestors_traversable(dir: &Path) -> bool {
    dir.ancestors()
        .skip(1)
        .all(|ancestor| fs::metadata(ancestor).is_ok_and(|m| m.permissions().mode() & 0o001 != 0))
}

fn prepare_dir(dir: &Path, run_as: Option<RunAs>) -> Result<(), Error> {
    fs::create_dir_all(dir).map_err(Error::io(format!("creating {}", dir.display())))?;
    if let Some(RunAs { uid, gid }) = run_as {
        chown(dir, Some(uid), Some(gid)).map_err(Error::io(format!("handing {} to the postgres user", dir.display())))?;
    }
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
        .map_err(Error::io(format!("restricting {}", dir.display())))
}

fn command_as(program: PathBuf, run_as: Option<RunAs>) -> Command {
    let mut command = Command::new(program);
    if let Some(RunAs { uid, gid }) = run_as {
        command.uid(uid).gid(gid);
        command.env("HOME", "/tmp");
    }
    command.current_dir("/");
    command
}

fn init_cluster(binaries: &PostgresBinaries, cluster_dir: &Path, run_as: Option<RunAs>) -> Result<(), Error> {
    let output = command_as(binaries.program("initdb"), run_as)
        .arg("-D")
        .arg(cluster_dir)
        .args(["-U", SUPERUSER, "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-instructions"])
        .output()
        .map_err(Error::io("running initdb"))?;
    if output.status.success() {
        return Ok(());
    }
    Err(Error::CommandFailed {
        command: "initdb".into(),
        status: output.status.to_string(),
        output: format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    })
}

/// A server left running by a killed earlier start would hold the cluster: stop it.
fn stop_leftover_server(cluster_dir: &Path) {
    let Ok(text) = fs::read_to_string(cluster_dir.join("postmaster.pid")) else {
        return;
    };
    let Some(pid) = text.lines().next().and_then(|line| line.trim().parse::<libc::pid_t>().ok()) else {
        return;
    };
    if unsafe { libc::kill(pid, 0) } != 0 {
        return;
    }
    unsafe { libc::kill(pid, libc::SIGINT) };
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline && unsafe { libc::kill(pid, 0) } == 0 {
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn free_port() -> Result<u16, Error> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(Error::io("finding a free port"))?;
    let port = listener.local_addr().map_err(Error::io("finding a free port"))?.port();
    Ok(port)
}

fn spawn_server(
    binaries: &PostgresBinaries,
    cluster_dir: &Path,
    log_file: &Path,
    port: u16,
    options: &EmbeddedOptions,
    run_as: Option<RunAs>,
) -> Result<Child, Error> {
    let log = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_file)
        .map_err(Error::io(format!("opening {}", log_file.display())))?;
    if let Some(RunAs { uid, gid }) = run_as {
        chown(log_file, Some(uid), Some(gid)).map_err(Error::io("handing the log to the postgres user"))?;
    }
    let mut command = command_as(binaries.program("postgres"), run_as);
    command
        .arg("-D")
        .arg(cluster_dir)
        .args(["-p", &port.to_string()])
        .args(["-c", "listen_addresses=127.0.0.1"])
        .args(["-c", "unix_socket_directories="])
        .args(["-c", "max_connections=300"])
        .args(["-c", &format!("fsync={}", if options.fsync { "on" } else { "off" })]);
    if !options.fsync {
        command.args(["-c", "synchronous_commit=off", "-c", "full_page_writes=off"]);
    }
    for (name, value) in &options.settings {
        command.args(["-c", &format!("{name}={value}")]);
    }
    command
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(Error::io("sharing the log"))?)
        .stderr(log);
    // The server must not outlive a killed host: ask the kernel to stop it (fast shutdown)
    // when its parent dies. Set after the switch of user, which clears this setting.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGINT) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    command.spawn().map_err(Error::io("starting postgres"))
}

fn log_tail(path: &Path) -> String {
    let Ok(mut file) = fs::File::open(path) else {
        return String::from("(no log)");
    };
    let length = file.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = file.seek(SeekFrom::Start(length.saturating_sub(4000)));
    let mut tail = String::new();
    let _ = file.read_to_string(&mut tail);
    tail
}
