//! What Spin refuses, refused here too.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::thread;

use openssl::asn1::Asn1Time;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use openssl::x509::{X509NameBuilder, X509};
use tds_factor_postgres::postgres::{DbValue as Value, ParameterValue as Param};
use tds_factor_postgres::PostgresPool;

use crate::support::{connection_failure, failure_text, Database, Guest};

#[tokio::test]
async fn a_parameter_of_another_type_than_its_placeholder_fails() {
    let db = Database::create().await;
    db.client()
        .await
        .batch_execute("CREATE TABLE t (id int4, big int8)")
        .await
        .unwrap();
    let mut guest = db.guest();
    let connection = guest.open(&db.address()).await.unwrap();
    let cases = [
        ("SELECT $1::int8", Param::Int32(1), "int32", "int8"),
        ("SELECT $1::int4", Param::Str("1".into()), "str", "int4"),
        ("SELECT $1::int4", Param::Int64(1), "int64", "int4"),
        (
            "SELECT $1::timestamptz IS NULL",
            Param::Datetime((2024, 1, 1, 0, 0, 0, 0)),
            "datetime",
            "timestamptz",
        ),
        (
            "SELECT $1::timestamp IS NULL",
            Param::Timestamp(0),
            "timestamp",
            "timestamp",
        ),
        ("SELECT $1", Param::Int32(1), "int32", "text"),
        (
            "SELECT $1::numeric",
            Param::Floating64(1.5),
            "floating64",
            "numeric",
        ),
        ("SELECT $1::json", Param::Str("{}".into()), "str", "json"),
        (
            "INSERT INTO t (big) VALUES ($1)",
            Param::Int32(1),
            "int32",
            "int8",
        ),
        (
            "INSERT INTO t (id) VALUES ($1)",
            Param::Int64(1),
            "int64",
            "int4",
        ),
    ];
    for (statement, param, sent, expected) in cases {
        let text = failure_text(
            guest
                .query(&connection, statement, vec![param.clone()])
                .await,
        );
        assert!(
            text.contains(&format!("$1 is {sent} but PostgreSQL expects {expected}")),
            "{statement}: {text}"
        );
        failure_text(guest.execute(&connection, statement, vec![param]).await);
    }
    let stored = guest
        .value(&connection, "SELECT count(*) FROM t", vec![])
        .await;
    assert_eq!(stored, Value::Int64(0));
}

#[tokio::test]
async fn a_wrong_number_of_parameters_fails() {
    let db = Database::create().await;
    let mut guest = db.guest();
    let connection = guest.open(&db.address()).await.unwrap();
    let text = failure_text(guest.query(&connection, "SELECT $1::int4", vec![]).await);
    assert!(text.contains("expected 1 parameters but got 0"), "{text}");
    let two = vec![Param::Int32(1), Param::Int32(2)];
    let text = failure_text(guest.execute(&connection, "SELECT $1::int4", two).await);
    assert!(text.contains("expected 1 parameters but got 2"), "{text}");
}

#[tokio::test]
async fn unix_sockets_are_refused() {
    let db = Database::create().await;
    let mut guest = Guest::new(
        Arc::new(PostgresPool::new()),
        &["postgres://*:*".to_string()],
    );
    for address in [
        "host=/var/run/postgresql user=tds",
        "postgresql://%2Fvar%2Frun%2Fpostgresql/db",
        "postgres:///db?host=/tmp",
    ] {
        let message = connection_failure(guest.open(address).await);
        assert!(
            message.contains("not supported on WebAssembly"),
            "{address}: {message}"
        );
    }
    // The same allow-list lets TCP through.
    guest.open(&db.address()).await.unwrap();
}

#[tokio::test]
async fn hosts_outside_the_allow_list_are_refused_with_the_fix() {
    let db = Database::create().await;
    let port = db.port();
    let mut guest = db.guest();

    let message = connection_failure(guest.open(&db.address_via("localhost")).await);
    let destination = format!("postgres://localhost:{port}");
    assert!(
        message.starts_with(&format!("address {destination} is not permitted")),
        "{message}"
    );
    assert!(message.contains("allowed_outbound_hosts"), "{message}");
    assert!(message.contains(&db.allowed_entry()), "{message}");

    let other_port = format!("host={} port={} user=tds", db.host(), port.wrapping_add(1));
    let message = connection_failure(guest.open(&other_port).await);
    assert!(message.contains("is not permitted"), "{message}");

    let url = format!("postgres://tds@db.example.com:{port}/{}", db.name);
    let message = connection_failure(guest.open(&url).await);
    assert!(
        message.contains(&format!("postgres://db.example.com:{port} is not")),
        "{message}"
    );
}

#[tokio::test]
async fn localhost_and_127_0_0_1_are_different_hosts() {
    let db = Database::create().await;
    let by_name = [format!("postgres://localhost:{}", db.port())];
    let mut guest = Guest::new(Arc::new(PostgresPool::new()), &by_name);
    let message = connection_failure(guest.open(&db.address()).await);
    assert!(message.contains("is not permitted"), "{message}");
    guest.open(&db.address_via("localhost")).await.unwrap();
}

#[tokio::test]
async fn an_entry_without_a_port_allows_only_5432() {
    let db = Database::create().await;
    if db.port() == 5432 {
        return;
    }
    let mut guest = Guest::new(
        Arc::new(PostgresPool::new()),
        &[format!("postgres://{}", db.host())],
    );
    let message = connection_failure(guest.open(&db.address()).await);
    assert!(
        message.contains(&format!(":{} is not permitted", db.port())),
        "{message}"
    );
}

#[tokio::test]
async fn hostaddr_must_be_allowed_too() {
    let db = Database::create().await;
    let mut guest = db.guest();
    let address = format!("{} hostaddr=10.9.9.9", db.address());
    let message = connection_failure(guest.open(&address).await);
    assert!(message.contains("postgres://10.9.9.9:"), "{message}");
}

#[tokio::test]
async fn an_invalid_address_or_an_unreachable_server_fails_to_connect() {
    let db = Database::create().await;
    let mut guest = db.guest();
    let message = connection_failure(guest.open("host=127.0.0.1 port=notaport").await);
    assert!(message.contains("invalid PostgreSQL address"), "{message}");

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = listener.local_addr().unwrap().port();
    drop(listener);
    let mut guest = Guest::new(
        Arc::new(PostgresPool::new()),
        &[format!("postgres://127.0.0.1:{closed_port}")],
    );
    let address = format!("host=127.0.0.1 port={closed_port} user=tds");
    connection_failure(guest.open(&address).await);
}

#[tokio::test]
async fn no_allow_list_allows_nothing() {
    let db = Database::create().await;
    let mut guest = Guest::new(Arc::new(PostgresPool::new()), &[]);
    let message = connection_failure(guest.open(&db.address()).await);
    assert!(message.contains("(it allows: (none))"), "{message}");
}

/// A server that accepts TLS with a self-signed certificate, then nothing.
fn untrusted_tls_server() -> u16 {
    let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", "127.0.0.1").unwrap();
    let name = name.build();
    let mut cert = X509::builder().unwrap();
    cert.set_version(2).unwrap();
    cert.set_subject_name(&name).unwrap();
    cert.set_issuer_name(&name).unwrap();
    cert.set_pubkey(&key).unwrap();
    cert.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    cert.set_not_after(&Asn1Time::days_from_now(1).unwrap())
        .unwrap();
    cert.sign(&key, MessageDigest::sha256()).unwrap();
    let identity = native_tls::Identity::from_pkcs8(
        &cert.build().to_pem().unwrap(),
        &key.private_key_to_pem_pkcs8().unwrap(),
    )
    .unwrap();
    let acceptor = native_tls::TlsAcceptor::new(identity).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut ssl_request = [0; 8];
            if stream.read_exact(&mut ssl_request).is_ok() && stream.write_all(b"S").is_ok() {
                let _ = acceptor.accept(stream);
            }
        }
    });
    port
}

#[tokio::test]
async fn an_untrusted_certificate_fails_instead_of_falling_back_to_plain_text() {
    let port = untrusted_tls_server();
    let mut guest = Guest::new(
        Arc::new(PostgresPool::new()),
        &[format!("postgres://127.0.0.1:{port}")],
    );
    for sslmode in ["", "sslmode=prefer", "sslmode=require"] {
        let address = format!("host=127.0.0.1 port={port} user=tds {sslmode}");
        let message = connection_failure(guest.open(&address).await);
        assert!(message.contains("TLS"), "{address}: {message}");
    }
}

#[tokio::test]
async fn prefer_connects_in_plain_text_to_a_server_without_tls() {
    let db = Database::create().await;
    let mut guest = db.guest();
    let address = format!("{} sslmode=prefer", db.address());
    let connection = guest.open(&address).await.unwrap();
    let ssl = guest
        .value(
            &connection,
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            vec![],
        )
        .await;
    assert_eq!(ssl, Value::Boolean(false));
}
