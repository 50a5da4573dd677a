//! Migrations: applied in order, once, checksummed, under a lock so concurrent hosts
//! cannot race; and the embedded server that `tds up` starts.

use tds::embedded_postgres::{EmbeddedOptions, EmbeddedPostgres};
use tds_tests::cluster;

async fn fresh_database() -> String {
    let name = format!("m_{}", hex::encode(rand::random::<[u8; 6]>()));
    let (admin, connection) = tokio_postgres::connect(&cluster().url("postgres"), tokio_postgres::NoTls)
        .await
        .expect("admin connection");
    tokio::spawn(connection);
    admin.batch_execute(&format!("CREATE DATABASE {name}")).await.expect("create database");
    cluster().url(&name)
}

async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_runs_apply_each_migration_once() {
    let url = fresh_database().await;
    let runs = (0..4).map(|_| {
        let url = url.clone();
        tokio::spawn(async move { tds::migrate::migrate_url(&url).await })
    });
    let mut applied_total = 0;
    for run in runs {
        let report = run.await.unwrap().expect("a concurrent migration run failed");
        applied_total += report.applied.len();
    }
    let files = std::fs::read_dir(tds_tests::repo_root().join("migrations")).unwrap().count();
    assert_eq!(applied_total, files, "every migration applied exactly once across the runs");

    let again = tds::migrate::migrate_url(&url).await.unwrap();
    assert!(again.applied.is_empty(), "a second run applies nothing");

    let client = connect(&url).await;
    for table in ["tds_inbox_events", "tds_sync_queue", "tds_dead_letters", "erp_items"] {
        let found: i64 = client
            .query_one("SELECT count(*) FROM information_schema.tables WHERE table_name = $1", &[&table])
            .await
            .unwrap()
            .get(0);
        assert_eq!(found, 1, "{table} exists");
    }
    let history: i64 = client
        .query_one("SELECT count(*) FROM refinery_schema_history WHERE checksum IS NOT NULL", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(history as usize, files, "each migration is recorded with its checksum");
}

/// `tds migrate` prints one line for each migration it applies, and refinery's own line
/// for the same migration is not printed beside it.
#[tokio::test(flavor = "multi_thread")]
async fn tds_migrate_logs_each_migration_once() {
    let url = fresh_database().await;
    let output = std::process::Command::new(tds_tests::host_process::tds_binary())
        .args(["migrate", "--database-url", &url])
        .env_remove("TDS_LOG")
        .output()
        .expect("tds migrate runs");
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "tds migrate failed:\n{log}");
    let mut names: Vec<String> = std::fs::read_dir(tds_tests::repo_root().join("migrations"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().replace(".sql", ""))
        .collect();
    names.sort();
    for name in &names {
        let lines = log.lines().filter(|line| line.contains(name.as_str())).count();
        assert_eq!(lines, 1, "{name} is logged once:\n{log}");
    }
    let again = std::process::Command::new(tds_tests::host_process::tds_binary())
        .args(["migrate", "--database-url", &url])
        .output()
        .expect("tds migrate runs");
    let log = String::from_utf8_lossy(&again.stderr);
    assert!(log.contains("tds: the database is up to date"), "{log}");
    assert!(!log.contains("V1__init"), "a second run applies nothing:\n{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn stored_payloads_are_compressed_with_lz4() {
    let url = fresh_database().await;
    tds::migrate::migrate_url(&url).await.unwrap();
    let client = connect(&url).await;
    let rows = client
        .query(
            "SELECT attname::text, attcompression::text FROM pg_attribute \
             WHERE attrelid = 'tds_inbox_events'::regclass AND attname IN ('raw_body', 'document', 'headers') \
             ORDER BY attname",
            &[],
        )
        .await
        .unwrap();
    let methods: Vec<(String, String)> = rows.iter().map(|row| (row.get(0), row.get(1))).collect();
    let lz4 = |name: &str| (name.to_string(), "l".to_string());
    assert_eq!(methods, vec![lz4("document"), lz4("headers"), lz4("raw_body")]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_migration_is_refused() {
    let url = fresh_database().await;
    tds::migrate::migrate_url(&url).await.unwrap();
    let client = connect(&url).await;
    client
        .batch_execute("UPDATE refinery_schema_history SET checksum = '1' WHERE version = 1")
        .await
        .unwrap();
    let error = tds::migrate::migrate_url(&url).await.expect_err("a divergent history must stop the run");
    assert!(error.to_string().contains("is different than filesystem one V1__init"), "{error}");
}

#[test]
fn embedded_server_listens_on_loopback_tcp_and_keeps_its_data() {
    let options = EmbeddedOptions {
        ephemeral: false,
        ..EmbeddedOptions::throwaway("embedded-test")
    };
    let data_dir = options.data_dir.clone();
    let runtime = tokio::runtime::Runtime::new().unwrap();

    let server = EmbeddedPostgres::start(options.clone()).expect("embedded PostgreSQL starts");
    assert!(server.url("tds").starts_with("postgres://tds@127.0.0.1:"));
    runtime.block_on(async {
        server.ensure_database("tds").await.unwrap();
        let (client, connection) = tokio_postgres::connect(&server.url("tds"), tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(connection);
        client.batch_execute("CREATE TABLE kept (v int); INSERT INTO kept VALUES (7)").await.unwrap();
        let sockets: String = client
            .query_one("SELECT current_setting('unix_socket_directories')", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(sockets, "", "no Unix socket: Spin guests can only use TCP");
    });
    server.stop();

    let server = EmbeddedPostgres::start(options).expect("restarts on the same data");
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(&server.url("tds"), tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(connection);
        let value: i32 = client.query_one("SELECT v FROM kept", &[]).await.unwrap().get(0);
        assert_eq!(value, 7);
    });
    server.stop();
    let _ = std::fs::remove_dir_all(data_dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_tds_migrate_command_line_keeps_the_same_history_as_tds_migrate() {
    let url = fresh_database().await;
    let args = |url: &str| ["--database-url".to_string(), url.to_string()];
    let first = tds_migrate::run_cli(args(&url)).await.expect("tds-migrate applies");
    let files = std::fs::read_dir(tds_tests::repo_root().join("migrations")).unwrap().count();
    assert_eq!(first.applied.len(), files);
    let host = tds::migrate::migrate_url(&url).await.expect("tds migrate after tds-migrate");
    assert!(host.applied.is_empty(), "tds migrate finds the history tds-migrate wrote");
    let again = tds_migrate::run_cli(args(&url)).await.expect("a second run");
    assert!(again.applied.is_empty());

    let error = tds_migrate::run_cli(["--bogus".to_string()]).await.unwrap_err();
    assert!(error.contains("unknown argument") && error.contains("usage"), "{error}");
}
