//! One fresh, migrated database per test.

use std::sync::OnceLock;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio_postgres::NoTls;

use crate::cluster::{cluster, Cluster};

/// A database of the test's own, cloned from the migrated template.
#[derive(Debug, Clone)]
pub struct TestDatabase {
    pub name: String,
    pub url: String,
}

impl TestDatabase {
    /// Creates a new database from the migrated template.
    pub async fn new() -> Self {
        let cluster = cluster();
        let template = template_name(cluster);
        let name = format!("t_{}", hex::encode(rand::random::<[u8; 6]>()));
        let admin = admin_client(cluster).await;
        let statement = format!("CREATE DATABASE {name} TEMPLATE {template}");
        for attempt in 0.. {
            match admin.batch_execute(&statement).await {
                Ok(()) => break,
                // 55006: the template still has a closing session from its migration.
                Err(e) if attempt < 100 && e.code().is_some_and(|c| c.code() == "55006") => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("could not create test database {name}: {e}"),
            }
        }
        Self {
            url: cluster.url(&name),
            name,
        }
    }

    /// A plain client (the test's own view of the database, outside any guest).
    pub async fn client(&self) -> tokio_postgres::Client {
        connect(&self.url).await
    }
}

/// Sets a `tds_config` key (a JSON value) for the runs that follow, as an operator would.
pub async fn set_config(db: &tokio_postgres::Client, key: &str, value: &str) {
    db.execute(
        "INSERT INTO tds_config (key, value, description) VALUES ($1, $2::text::jsonb, 'set by a test')
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        &[&key, &value],
    )
    .await
    .unwrap_or_else(|e| panic!("setting tds_config {key}: {e}"));
}

/// The single `int8` value `sql` returns.
pub async fn scalar_i64(db: &tokio_postgres::Client, sql: &str) -> i64 {
    db.query_one(sql, &[])
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .get(0)
}

async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|e| panic!("could not connect to {url}: {e}"));
    tokio::spawn(connection);
    client
}

async fn admin_client(cluster: &Cluster) -> tokio_postgres::Client {
    connect(&cluster.url("postgres")).await
}

/// The template's name: one per content of `migrations/`, built once per process.
fn template_name(cluster: &'static Cluster) -> String {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE
        .get_or_init(|| {
            std::thread::spawn(move || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime")
                    .block_on(build_template(cluster))
            })
            .join()
            .expect("building the template database panicked")
        })
        .clone()
}

/// Key of the advisory lock that serialises template builds across test processes.
const TEMPLATE_LOCK_KEY: i64 = 0x7464_735f_7470_6c00;

async fn build_template(cluster: &Cluster) -> String {
    let name = format!("tds_tpl_{}", &migrations_digest()[..12]);
    let admin = admin_client(cluster).await;
    admin
        .execute("SELECT pg_advisory_lock($1)", &[&TEMPLATE_LOCK_KEY])
        .await
        .expect("template lock");
    let exists = admin
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .await
        .expect("looking up the template")
        .is_some();
    if !exists {
        let building = format!("{name}_building");
        // Two statements: a multi-statement query runs in one implicit transaction, which
        // DROP/CREATE DATABASE refuse.
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {building}"))
            .await
            .expect("dropping a half-built template database");
        admin
            .batch_execute(&format!("CREATE DATABASE {building}"))
            .await
            .expect("creating the template database");
        tds::migrate::migrate_url(&cluster.url(&building))
            .await
            .unwrap_or_else(|e| panic!("migrating the template database failed: {e}"));
        for attempt in 0.. {
            match admin.batch_execute(&format!("ALTER DATABASE {building} RENAME TO {name}")).await {
                Ok(()) => break,
                Err(e) if attempt < 100 && e.code().is_some_and(|c| c.code() == "55006") => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("could not finish the template database: {e}"),
            }
        }
    }
    admin
        .execute("SELECT pg_advisory_unlock($1)", &[&TEMPLATE_LOCK_KEY])
        .await
        .expect("template unlock");
    name
}

fn migrations_digest() -> String {
    let dir = crate::repo_root().join("migrations");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .flatten()
        .map(|entry| entry.path())
        .collect();
    files.sort();
    let mut digest = Sha256::new();
    for file in files {
        digest.update(file.file_name().unwrap().to_string_lossy().as_bytes());
        digest.update(std::fs::read(&file).expect("reading a migration"));
    }
    hex::encode(digest.finalize())
}
