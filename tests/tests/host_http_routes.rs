//! The HTTP trigger's routing and the `spin-*` headers, as Spin 4.0.2 serves them
//! (docs/spin.md, "HTTP trigger"), observed by the probe component.

use std::net::SocketAddr;

use tds_tests::probe::start_probe;

/// The route the probe says it was reached through.
fn matched(echo: &serde_json::Value) -> &str {
    echo["headers"]["spin-matched-route"].as_str().unwrap_or("<none>")
}

#[tokio::test(flavor = "multi_thread")]
async fn exact_wildcard_and_parameter_routes_match_as_in_spin() {
    let app = start_probe().await;

    // An exact route matches itself and itself with a trailing slash, nothing longer.
    let echo = app.echo("/exact").await;
    assert_eq!(matched(&echo), "/exact");
    assert_eq!(echo["headers"]["spin-path-info"], "");
    assert_eq!(echo["headers"]["spin-component-route"], "/exact");
    assert_eq!(matched(&app.echo("/exact/").await), "/exact");
    assert_eq!(app.get("/exact/more").await.status, 404);

    // Matching is case-sensitive.
    assert_eq!(app.get("/Exact").await.status, 404);
    assert_eq!(app.get("/PROBE/headers").await.status, 404);

    // `/wild/...` matches `/wild`, `/wild/` and anything below, segment by segment; the
    // path info keeps a trailing slash, as Spin's does.
    let cases = [
        ("/wild", ""),
        ("/wild/", "/"),
        ("/wild/a", "/a"),
        ("/wild/a/", "/a/"),
        ("/wild/a/b/c", "/a/b/c"),
    ];
    for (path, info) in cases {
        let echo = app.echo(path).await;
        assert_eq!(matched(&echo), "/wild/...", "{path}");
        assert_eq!(echo["headers"]["spin-path-info"], info, "{path}");
        assert_eq!(echo["headers"]["spin-component-route"], "/wild", "{path}");
        assert_eq!(echo["headers"]["spin-raw-component-route"], "/wild/...", "{path}");
    }
    assert_eq!(
        app.get("/wildcard").await.status,
        404,
        "/wild/... must not match /wildcard"
    );

    // `:name` segments bind parameters, delivered as spin-path-match-<name>.
    let echo = app.echo("/items/42").await;
    assert_eq!(matched(&echo), "/items/:id");
    assert_eq!(echo["headers"]["spin-path-match-id"], "42");
    let echo = app.echo("/items/7/notes/n-1").await;
    assert_eq!(matched(&echo), "/items/:id/notes/:note");
    assert_eq!(echo["headers"]["spin-path-match-id"], "7");
    assert_eq!(echo["headers"]["spin-path-match-note"], "n-1");
    assert_eq!(app.get("/items").await.status, 404, "a parameter segment needs a value");
    assert_eq!(app.get("/items/7/notes").await.status, 404);

    // The most specific route wins: a literal segment beats a parameter.
    let echo = app.echo("/items/special").await;
    assert_eq!(matched(&echo), "/items/special");
    assert!(
        echo["headers"].get("spin-path-match-id").is_none(),
        "the literal route binds no parameter: {echo:#}"
    );

    // Routes lead to their own component.
    assert_eq!(matched(&app.echo("/other/headers").await), "/other/...");
}

#[tokio::test(flavor = "multi_thread")]
async fn no_matching_route_is_a_404_with_an_empty_body() {
    let app = start_probe().await;
    for path in ["/", "/nothing/here", "/probe", "/probex/headers", "/exact/more"] {
        let answer = app.get(path).await;
        // `/probe` itself is matched by `/probe/...`; the rest match nothing.
        if path == "/probe" {
            assert_eq!(answer.status, 200, "{path}: /probe/... also matches /probe");
            continue;
        }
        assert_eq!(answer.status, 404, "{path}");
        assert!(
            answer.text.is_empty(),
            "{path}: the 404 body must be empty, got {:?}",
            answer.text
        );
    }
    let response = app.client.post(app.url("/nothing")).body("x").send().await.unwrap();
    assert_eq!(response.status(), 404);
    assert!(response.bytes().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_guest_receives_spin_headers_describing_the_request() {
    let app = start_probe().await;
    let echo = app.echo("/probe/headers/deeper?x=1&y=two").await;
    let headers = &echo["headers"];
    let full_url = format!("http://{}/probe/headers/deeper?x=1&y=two", app.address);

    assert_eq!(headers["spin-full-url"], full_url.as_str());
    assert_eq!(echo["uri"], full_url.as_str(), "the guest sees the absolute URL");
    assert_eq!(echo["path"], "/probe/headers/deeper");
    assert_eq!(echo["query"], "x=1&y=two");
    assert_eq!(headers["spin-path-info"], "/headers/deeper");
    assert_eq!(headers["spin-matched-route"], "/probe/...");
    assert_eq!(headers["spin-raw-component-route"], "/probe/...");
    assert_eq!(headers["spin-component-route"], "/probe");
    assert_eq!(headers["spin-base-path"], "/");

    let client: SocketAddr = headers["spin-client-addr"]
        .as_str()
        .expect("spin-client-addr")
        .parse()
        .expect("spin-client-addr is ip:port");
    assert!(
        client.ip().is_loopback(),
        "the test client connects from loopback: {client}"
    );
    assert_ne!(
        client.port(),
        app.address.port(),
        "that is the client's port, not the server's"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_cannot_forge_the_spin_headers() {
    let app = start_probe().await;
    let response = app
        .client
        .get(app.url("/items/9"))
        .header("spin-path-info", "/forged")
        .header("spin-matched-route", "/forged/...")
        .header("spin-path-match-id", "forged")
        .header("spin-client-addr", "203.0.113.9:1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let echo: serde_json::Value = response.json().await.unwrap();
    let headers = &echo["headers"];
    assert_eq!(headers["spin-path-info"], "");
    assert_eq!(headers["spin-matched-route"], "/items/:id");
    assert_eq!(headers["spin-path-match-id"], "9");
    assert_ne!(headers["spin-client-addr"], "203.0.113.9:1");
}
