//! One address's connections: the permits (at most [`MAX_CONNECTIONS_PER_ADDRESS`] in
//! use), the idle list, and the dials (at most [`MAX_DIALS_PER_ADDRESS`] under way), as
//! the `client` module doc's "Dialling" says.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use postgres_native_tls::MakeTlsConnector;
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinHandle;
use tokio_postgres::config::{Config, SslMode};
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::{Client, NoTls, Socket};

use super::connection::Connection;
use super::session::{Idle, Session};
use super::{locked, ACQUIRE_TIMEOUT, MAX_CONNECTIONS_PER_ADDRESS, MAX_DIALS_PER_ADDRESS};
use crate::errors;
use crate::postgres::Error;

enum Tls {
    Disabled,
    Native(MakeTlsConnector),
}

pub(super) struct AddressPool {
    config: Config,
    tls: Tls,
    permits: Arc<Semaphore>,
    pub(super) idle: Mutex<Vec<Idle>>,
    /// Signalled when a connection joins the idle list or a dial ends.
    pub(super) returned: Notify,
    /// One permit per dial allowed under way ([`MAX_DIALS_PER_ADDRESS`]).
    dials: Arc<Semaphore>,
    /// The last dial failed: opens dial on their own until one succeeds.
    dials_failing: AtomicBool,
}

/// A dial under way on its own task.
type Dial = JoinHandle<Result<Client, Error>>;

impl AddressPool {
    pub(super) fn new(config: Config) -> Result<AddressPool, Error> {
        let tls = match config.get_ssl_mode() {
            SslMode::Disable => Tls::Disabled,
            _ => {
                let connector = native_tls::TlsConnector::new().map_err(|e| {
                    Error::ConnectionFailed(format!(
                        "cannot set up TLS for PostgreSQL: {e} (sslmode=disable connects \
                         without TLS)"
                    ))
                })?;
                Tls::Native(MakeTlsConnector::new(connector))
            }
        };
        Ok(AddressPool {
            config,
            tls,
            permits: Arc::new(Semaphore::new(MAX_CONNECTIONS_PER_ADDRESS)),
            idle: Mutex::new(Vec::new()),
            returned: Notify::new(),
            dials: Arc::new(Semaphore::new(MAX_DIALS_PER_ADDRESS)),
            dials_failing: AtomicBool::new(false),
        })
    }

    pub(super) async fn get(self: Arc<Self>) -> Result<Connection, Error> {
        let free = Arc::clone(&self.permits).acquire_owned();
        let Ok(Ok(permit)) = tokio::time::timeout(ACQUIRE_TIMEOUT, free).await else {
            return Err(Error::ConnectionFailed(format!(
                "all {MAX_CONNECTIONS_PER_ADDRESS} connections to this address stayed in use \
                 for {} s: close connections sooner or open fewer at once",
                ACQUIRE_TIMEOUT.as_secs()
            )));
        };
        let session = self.take_or_dial().await?;
        Ok(Connection {
            session: Some(session),
            home: self,
            _permit: permit,
        })
    }

    /// An idle connection, or the first of a new one and a returned one (see the
    /// module doc, "Dialling").
    async fn take_or_dial(self: &Arc<Self>) -> Result<Session, Error> {
        if let Some(session) = self.take_idle().await {
            return Ok(session);
        }
        loop {
            // Listening before looking again, so a connection returned in between wakes it.
            let returned = self.returned.notified();
            tokio::pin!(returned);
            returned.as_mut().enable();
            if let Some(session) = self.take_idle().await {
                return Ok(session);
            }
            if self.dials_failing.load(Ordering::Acquire) {
                return self.connect().await.map(Session::new);
            }
            let Some(mut dial) = self.start_dial() else {
                returned.await;
                continue;
            };
            tokio::select! {
                biased;
                dialled = &mut dial => return joined(dialled).map(Session::new),
                () = &mut returned => self.park(dial),
            }
        }
    }

    /// A dial on its own task, when fewer than [`MAX_DIALS_PER_ADDRESS`] are under way.
    fn start_dial(self: &Arc<Self>) -> Option<Dial> {
        let slot = Arc::clone(&self.dials).try_acquire_owned().ok()?;
        let pool = Arc::clone(self);
        Some(tokio::spawn(async move {
            let dialled = pool.connect().await;
            drop(slot);
            if dialled.is_err() {
                pool.returned.notify_waiters();
            }
            pool.returned.notify_one();
            dialled
        }))
    }

    /// Parks a dial its open no longer waits for at the far end of the idle list, so
    /// a returned connection is taken before it.
    fn park(&self, dial: Dial) {
        let dialled = tokio::spawn(async move { joined(dial.await).ok().map(Session::new) });
        locked(&self.idle).insert(0, Idle::Resetting(dialled));
        self.returned.notify_one();
    }

    /// An idle connection (not one whose reset failed), if any: the newest ready,
    /// else the newest.
    async fn take_idle(&self) -> Option<Session> {
        loop {
            let idle = {
                let mut idle = locked(&self.idle);
                let newest_ready = idle.iter().rposition(Idle::is_ready);
                let index = newest_ready.or(idle.len().checked_sub(1))?;
                idle.remove(index)
            };
            if let Some(session) = idle.session().await {
                if !session.client.is_closed() {
                    return Some(session);
                }
            }
        }
    }

    /// A new connection; whether it failed is kept in `dials_failing`.
    async fn connect(&self) -> Result<Client, Error> {
        let connected = match &self.tls {
            Tls::Disabled => dial(&self.config, NoTls).await,
            Tls::Native(connector) => dial(&self.config, connector.clone()).await,
        };
        self.dials_failing
            .store(connected.is_err(), Ordering::Release);
        connected.map_err(|e| Error::ConnectionFailed(errors::describe(&e)))
    }
}

/// A dial's outcome once its task has ended.
fn joined(ended: Result<Result<Client, Error>, tokio::task::JoinError>) -> Result<Client, Error> {
    ended.map_err(|e| Error::ConnectionFailed(format!("the dial did not finish: {e}")))?
}

/// Connects and drives the connection on its own task.
async fn dial<T>(config: &Config, tls: T) -> Result<Client, tokio_postgres::Error>
where
    T: MakeTlsConnect<Socket>,
    T::Stream: Send + 'static,
    T::TlsConnect: Send,
    <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
{
    let (client, connection) = config.connect(tls).await?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            let error = errors::describe(&error);
            tracing::debug!(error, "PostgreSQL connection ended");
        }
    });
    Ok(client)
}
