//! Physical PostgreSQL connections: dialling (with or without TLS) and the
//! process-wide pool they return to.
//!
//! One [`AddressPool`] per distinct address string. A [`Connection`] holds one
//! of its permits (at most [`MAX_CONNECTIONS_PER_ADDRESS`] in use per address)
//! and, when dropped, starts resetting its connection (`ROLLBACK`, then
//! `DISCARD ALL`) on the Tokio runtime and parks the pending reset in the idle
//! list at once. The next open for that address prefers a finished reset and
//! otherwise waits for the newest one, so a connection is never handed out
//! before its reset is done, and one that is closed or failed its reset is
//! discarded. Idle connections are kept until the server closes them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use postgres_native_tls::MakeTlsConnector;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;
use tokio_postgres::config::{Config, SslMode};
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::{Client, NoTls, Socket};

use crate::errors;
use crate::postgres::Error;

/// Connections one address may have in use at once, as in Spin.
pub const MAX_CONNECTIONS_PER_ADDRESS: usize = 64;

/// How long an open waits for one of its address's connections to come free.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// The connections of one host process, pooled per address string. Create one
/// per process and share it (`Arc`) between every store's `PostgresState`.
#[derive(Default)]
pub struct PostgresPool {
    addresses: Mutex<HashMap<String, Arc<AddressPool>>>,
}

impl PostgresPool {
    /// An empty pool; connections are dialled on first use.
    pub fn new() -> PostgresPool {
        PostgresPool::default()
    }

    /// A connection to `address` (whose parsed form is `config`), reused or new.
    pub(crate) async fn get(&self, address: &str, config: Config) -> Result<Connection, Error> {
        let pool = {
            let mut addresses = locked(&self.addresses);
            match addresses.get(address) {
                Some(pool) => Arc::clone(pool),
                None => {
                    let pool = Arc::new(AddressPool::new(config)?);
                    addresses.insert(address.to_string(), Arc::clone(&pool));
                    pool
                }
            }
        };
        pool.get().await
    }
}

/// A `connection` resource: one physical connection, returned to its pool
/// (after a reset) when dropped.
pub struct Connection {
    client: Option<Client>,
    home: Arc<AddressPool>,
    _permit: OwnedSemaphorePermit,
}

impl Connection {
    pub(crate) fn client(&self) -> &Client {
        self.client
            .as_ref()
            .expect("a connection keeps its client until it is dropped")
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        let Some(client) = self.client.take() else {
            return;
        };
        if client.is_closed() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let reset = runtime.spawn(reset(client));
        locked(&self.home.idle).push(reset);
    }
}

/// Rolls back whatever the last user left open and resets the session;
/// `None` when the connection is broken.
async fn reset(client: Client) -> Option<Client> {
    for statement in ["ROLLBACK", "DISCARD ALL"] {
        if let Err(error) = client.simple_query(statement).await {
            let error = errors::describe(&error);
            tracing::debug!(
                error,
                statement,
                "discarding a PostgreSQL connection that failed its reset"
            );
            return None;
        }
    }
    Some(client)
}

/// A reset under way or done.
type Returning = JoinHandle<Option<Client>>;

enum Tls {
    Disabled,
    Native(MakeTlsConnector),
}

struct AddressPool {
    config: Config,
    tls: Tls,
    permits: Arc<Semaphore>,
    idle: Mutex<Vec<Returning>>,
}

impl AddressPool {
    fn new(config: Config) -> Result<AddressPool, Error> {
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
        })
    }

    async fn get(self: Arc<Self>) -> Result<Connection, Error> {
        let free = Arc::clone(&self.permits).acquire_owned();
        let Ok(Ok(permit)) = tokio::time::timeout(ACQUIRE_TIMEOUT, free).await else {
            return Err(Error::ConnectionFailed(format!(
                "all {MAX_CONNECTIONS_PER_ADDRESS} connections to this address stayed in use \
                 for {} s: close connections sooner or open fewer at once",
                ACQUIRE_TIMEOUT.as_secs()
            )));
        };
        let client = match self.take_idle().await {
            Some(client) => client,
            None => self.connect().await?,
        };
        Ok(Connection {
            client: Some(client),
            home: self,
            _permit: permit,
        })
    }

    /// An idle connection whose reset succeeded, if any.
    async fn take_idle(&self) -> Option<Client> {
        loop {
            let returning = {
                let mut idle = locked(&self.idle);
                let newest_done = idle.iter().rposition(JoinHandle::is_finished);
                let index = newest_done.or(idle.len().checked_sub(1))?;
                idle.remove(index)
            };
            if let Ok(Some(client)) = returning.await {
                if !client.is_closed() {
                    return Some(client);
                }
            }
        }
    }

    async fn connect(&self) -> Result<Client, Error> {
        let connected = match &self.tls {
            Tls::Disabled => dial(&self.config, NoTls).await,
            Tls::Native(connector) => dial(&self.config, connector.clone()).await,
        };
        connected.map_err(|e| Error::ConnectionFailed(errors::describe(&e)))
    }
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

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
