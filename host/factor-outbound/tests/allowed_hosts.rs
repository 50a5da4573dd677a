//! Spin's `allowed_outbound_hosts` rules, one test per rule.

use tds_factor_outbound::{AllowedHosts, OutboundError};

fn hosts(entries: &[&str]) -> AllowedHosts {
    let entries: Vec<String> = entries.iter().map(|e| e.to_string()).collect();
    AllowedHosts::parse(&entries).unwrap_or_else(|e| panic!("{entries:?}: {e}"))
}

fn refused(entry: &str) -> OutboundError {
    match AllowedHosts::parse(&[entry.to_string()]) {
        Ok(parsed) => panic!("{entry:?} was accepted as {parsed}"),
        Err(e) => e,
    }
}

#[test]
fn an_entry_without_a_scheme_is_refused() {
    for entry in [
        "db.example.com",
        "db.example.com:5432",
        "*",
        "",
        "://db.example.com",
    ] {
        let error = refused(entry);
        assert!(
            matches!(error, OutboundError::MissingScheme { .. }),
            "{entry}: {error:?}"
        );
        assert!(error.to_string().contains("<scheme>://<host>"), "{error}");
    }
}

#[test]
fn insecure_allow_all_is_refused() {
    assert_eq!(
        refused("insecure:allow-all"),
        OutboundError::InsecureAllowAll
    );
}

#[test]
fn schemes_are_letters_or_a_wildcard() {
    assert!(matches!(
        refused("h2c://example.com:80"),
        OutboundError::InvalidScheme { .. }
    ));
    let any = hosts(&["*://example.com:*"]);
    assert!(any.allows("postgres", "example.com", None));
    assert!(any.allows("https", "example.com", Some(8443)));
}

#[test]
fn schemes_are_compared_exactly() {
    let allowed = hosts(&["postgresql://db.example.com:5432"]);
    assert!(!allowed.allows("postgres", "db.example.com", None));
    let allowed = hosts(&["https://example.com"]);
    assert!(!allowed.allows("http", "example.com", Some(443)));
}

#[test]
fn ports_default_by_scheme() {
    let allowed = hosts(&[
        "postgres://db.example.com",
        "http://plain.example.com",
        "https://secure.example.com",
    ]);
    assert!(allowed.allows("postgres", "db.example.com", Some(5432)));
    assert!(allowed.allows("postgres", "db.example.com", None));
    assert!(!allowed.allows("postgres", "db.example.com", Some(5433)));
    assert!(allowed.allows("http", "plain.example.com", Some(80)));
    assert!(!allowed.allows("http", "plain.example.com", Some(8080)));
    assert!(allowed.allows("https", "secure.example.com", None));
    assert!(!allowed.allows("https", "secure.example.com", Some(80)));
}

#[test]
fn an_explicit_port_is_the_only_port() {
    let allowed = hosts(&[
        "postgres://127.0.0.1:54321",
        "https://hooks.example.com:443",
    ]);
    assert!(allowed.allows("postgres", "127.0.0.1", Some(54321)));
    assert!(!allowed.allows("postgres", "127.0.0.1", None));
    assert!(allowed.allows("https", "hooks.example.com", None));
}

#[test]
fn a_wildcard_port_matches_any_port() {
    let allowed = hosts(&["http://127.0.0.1:*"]);
    assert!(allowed.allows("http", "127.0.0.1", Some(1)));
    assert!(allowed.allows("http", "127.0.0.1", Some(65535)));
    assert!(allowed.allows("http", "127.0.0.1", None));
}

#[test]
fn a_port_range_includes_its_start_and_excludes_its_end() {
    let allowed = hosts(&["http://localhost:3000..3010"]);
    assert!(!allowed.allows("http", "localhost", Some(2999)));
    assert!(allowed.allows("http", "localhost", Some(3000)));
    assert!(allowed.allows("http", "localhost", Some(3009)));
    assert!(!allowed.allows("http", "localhost", Some(3010)));
}

#[test]
fn bad_ports_are_refused() {
    for entry in [
        "http://localhost:port",
        "http://localhost:70000",
        "http://localhost:3010..3000",
        "http://localhost:3000..3000",
        "http://localhost:3000..",
        "http://localhost:{80,443}",
    ] {
        let error = refused(entry);
        assert!(
            matches!(error, OutboundError::InvalidPort { .. }),
            "{entry}: {error:?}"
        );
    }
}

#[test]
fn a_scheme_without_a_default_port_needs_one() {
    let error = refused("*://example.com");
    assert!(
        matches!(error, OutboundError::NoDefaultPort { .. }),
        "{error:?}"
    );
    assert!(matches!(
        refused("ftp://example.com"),
        OutboundError::NoDefaultPort { .. }
    ));
    let allowed = hosts(&["ftp://example.com:21"]);
    assert!(allowed.allows("ftp", "example.com", Some(21)));
    assert!(!allowed.allows("ftp", "example.com", None));
}

#[test]
fn hosts_are_compared_as_written_without_dns() {
    let allowed = hosts(&["postgres://localhost"]);
    assert!(allowed.allows("postgres", "localhost", None));
    assert!(!allowed.allows("postgres", "127.0.0.1", None));
    let allowed = hosts(&["postgres://127.0.0.1"]);
    assert!(!allowed.allows("postgres", "localhost", None));
    assert!(!allowed.allows("postgres", "LOCALHOST", None));
    let allowed = hosts(&["postgres://db.example.com"]);
    assert!(!allowed.allows("postgres", "DB.example.com", None));
    assert!(!allowed.allows("postgres", "db.example.com.evil.net", None));
}

#[test]
fn a_wildcard_host_matches_every_host() {
    let allowed = hosts(&["https://*"]);
    assert!(allowed.allows("https", "example.com", None));
    assert!(allowed.allows("https", "10.1.2.3", None));
    assert!(!allowed.allows("https", "example.com", Some(8443)));
}

#[test]
fn a_subdomain_wildcard_matches_subdomains_only() {
    let allowed = hosts(&["https://*.slack.com"]);
    assert!(allowed.allows("https", "hooks.slack.com", None));
    assert!(allowed.allows("https", "a.b.slack.com", None));
    assert!(!allowed.allows("https", "slack.com", None));
    assert!(!allowed.allows("https", "evilslack.com", None));
}

#[test]
fn misplaced_wildcards_are_refused() {
    for entry in [
        "https://api.*.com",
        "https://*example.com",
        "https://*.*.com",
        "https://*.",
    ] {
        let error = refused(entry);
        assert!(
            matches!(error, OutboundError::InvalidHost { .. }),
            "{entry}: {error:?}"
        );
    }
}

#[test]
fn cidr_blocks_match_ip_literals_inside_them() {
    let allowed = hosts(&["postgres://10.0.0.0/8", "postgres://[fd00::/8]:5432"]);
    assert!(allowed.allows("postgres", "10.0.0.1", None));
    assert!(allowed.allows("postgres", "10.255.255.255", Some(5432)));
    assert!(!allowed.allows("postgres", "11.0.0.1", None));
    assert!(!allowed.allows("postgres", "10.0.0.1", Some(6432)));
    assert!(!allowed.allows("postgres", "db.internal", None));
    assert!(allowed.allows("postgres", "fd12::1", None));
    assert!(allowed.allows("postgres", "[fd12::1]", None));
    assert!(!allowed.allows("postgres", "fe80::1", None));
}

#[test]
fn a_cidr_block_with_host_bits_is_truncated() {
    let allowed = hosts(&["postgres://10.1.2.3/16:*"]);
    assert!(allowed.allows("postgres", "10.1.200.7", Some(1)));
    assert!(!allowed.allows("postgres", "10.2.0.1", Some(1)));
}

#[test]
fn ip_addresses_match_equal_addresses() {
    let allowed = hosts(&["postgres://[::1]:5432", "postgres://127.0.0.1"]);
    assert!(allowed.allows("postgres", "::1", None));
    assert!(allowed.allows("postgres", "0:0:0:0:0:0:0:1", None));
    assert!(allowed.allows("postgres", "127.0.0.1", None));
    assert!(!allowed.allows("postgres", "127.0.0.2", None));
}

#[test]
fn paths_are_refused_but_a_trailing_slash_is_not() {
    for entry in [
        "https://example.com/api",
        "https://example.com:443/api",
        "https://example.com//",
    ] {
        let error = refused(entry);
        assert!(
            matches!(error, OutboundError::HasPath { .. }),
            "{entry}: {error:?}"
        );
    }
    let allowed = hosts(&["https://example.com/", "http://example.org:8080/"]);
    assert!(allowed.allows("https", "example.com", None));
    assert!(allowed.allows("http", "example.org", Some(8080)));
}

#[test]
fn malformed_hosts_are_refused() {
    for entry in [
        "https://:443",
        "postgres://",
        "postgres://[::1",
        "postgres://[db]:5432",
    ] {
        let error = refused(entry);
        assert!(
            matches!(error, OutboundError::InvalidHost { .. }),
            "{entry}: {error:?}"
        );
    }
}

#[test]
fn surrounding_whitespace_is_ignored() {
    let allowed = hosts(&["  postgres://db.example.com:5432 "]);
    assert!(allowed.allows("postgres", "db.example.com", None));
    assert_eq!(allowed.to_string(), "postgres://db.example.com:5432");
}

#[test]
fn any_entry_may_grant() {
    let allowed = hosts(&["postgres://a.example.com", "postgres://b.example.com:6432"]);
    assert!(allowed.allows("postgres", "a.example.com", None));
    assert!(allowed.allows("postgres", "b.example.com", Some(6432)));
    assert!(!allowed.allows("postgres", "b.example.com", None));
}

#[test]
fn none_allows_nothing() {
    let none = AllowedHosts::none();
    assert!(!none.allows("postgres", "localhost", None));
    assert_eq!(none.to_string(), "(none)");
    assert!(!hosts(&[]).allows("https", "example.com", None));
}

#[test]
fn display_lists_entries_as_written() {
    let allowed = hosts(&["postgres://db:5432", "https://*.slack.com"]);
    assert_eq!(
        allowed.to_string(),
        "postgres://db:5432, https://*.slack.com"
    );
    assert!(format!("{allowed:?}").contains("Subdomains"));
}

#[test]
fn the_first_bad_entry_is_reported() {
    let entries = vec![
        "postgres://db".to_string(),
        "db2".to_string(),
        "x://".to_string(),
    ];
    let error = AllowedHosts::parse(&entries).unwrap_err();
    assert_eq!(
        error,
        OutboundError::MissingScheme {
            entry: "db2".into()
        }
    );
}

#[test]
fn self_requests_are_granted_by_self_or_a_wildcard_host_over_http() {
    for entry in [
        "http://self",
        "https://self",
        "http://self.alt",
        "http://self:8080",
        "*://self:*",
        "http://*",
        "*://*:*",
    ] {
        assert!(hosts(&[entry]).allows_self_requests(), "{entry}");
    }
    for entry in [
        "http://localhost:3000",
        "http://127.0.0.1:3000",
        "postgres://self",
        "http://*.example.com",
        "http://sales.spin.internal",
    ] {
        assert!(!hosts(&[entry]).allows_self_requests(), "{entry}");
    }
    assert!(!AllowedHosts::none().allows_self_requests());
}

#[test]
fn self_is_not_a_host_name() {
    let allowed = hosts(&["http://self", "http://self.alt"]);
    assert!(!allowed.allows("http", "self", None));
    assert!(!allowed.allows("http", "self.alt", None));
}

#[test]
fn a_chaining_entry_grants_its_component_host_only() {
    let allowed = hosts(&["http://sales.spin.internal"]);
    assert!(allowed.allows("http", "sales.spin.internal", None));
    assert!(!allowed.allows("http", "web.spin.internal", None));
    assert!(!allowed.allows("https", "sales.spin.internal", None));
}

#[test]
fn chaining_to_every_component_is_refused() {
    for entry in ["http://*.spin.internal", "*://*.spin.internal:*"] {
        let error = hosts(&[entry])
            .check_service_chaining(&["sales"])
            .unwrap_err();
        assert!(
            matches!(error, OutboundError::WildcardServiceChaining { .. }),
            "{entry}: {error:?}"
        );
        let text = error.to_string();
        assert!(
            text.contains(entry) && text.contains("http://<component-id>.spin.internal"),
            "{text}"
        );
    }
}

#[test]
fn chaining_to_an_unknown_component_is_refused_naming_the_known_ones() {
    let error = hosts(&["http://ghost.spin.internal"])
        .check_service_chaining(&["sales", "web"])
        .unwrap_err();
    assert_eq!(
        error,
        OutboundError::UnknownChainingTarget {
            entry: "http://ghost.spin.internal".into(),
            component: "ghost".into(),
            known: "sales, web".into(),
        }
    );
    assert!(error.to_string().contains("[component.ghost]"), "{error}");
}

#[test]
fn entries_that_are_not_chaining_targets_pass_the_chaining_check() {
    let allowed = hosts(&[
        "http://sales.spin.internal",
        "http://sales.spin.internal:8080",
        "postgres://db.example.com",
        "*://*:*",
        "http://*.internal",
        "http://a.b.spin.internal",
        "http://self",
    ]);
    assert_eq!(allowed.check_service_chaining(&["sales"]), Ok(()));
}
