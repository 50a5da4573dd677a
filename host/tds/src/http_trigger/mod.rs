//! The HTTP trigger: Spin's routing and request headers over hyper, each request served by
//! a fresh instance of the matched component through wasmtime-wasi-http.
//!
//! Behaviour:
//! - No matching route: 404 with an empty body, as Spin answers.
//! - The guest receives Spin's `spin-*` headers (full URL, path info, matched route, base
//!   path, client address, `spin-path-match-<name>` for `:name` segments).
//! - A guest that traps or never answers gets the client a 500 with a JSON error body; the
//!   host logs the cause and goes on serving other requests.
//! - HTTP/1.1 with keep-alive; a client has 30 s to send its request headers.

pub mod routes;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tds_manifest::HttpRoute;
use tokio::net::TcpListener;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::WasiHttpView;

use crate::app::App;
use routes::{Route, RouteMatch, Router};

/// The routes of `[[trigger.http]]`, each serving one component.
pub struct HttpTrigger {
    app: App,
    router: Router<Arc<ProxyPre<crate::state::HostState>>>,
    component_of_route: std::collections::HashMap<String, Arc<str>>,
}

impl HttpTrigger {
    /// Builds the router; a route Spin would refuse is an error.
    pub fn new(app: App) -> Result<Arc<Self>> {
        let mut entries = Vec::new();
        let mut component_of_route = std::collections::HashMap::new();
        for trigger in &app.manifest().http_triggers {
            let HttpRoute::Path(path) = &trigger.route else {
                continue;
            };
            let component = app
                .component(&trigger.component)
                .with_context(|| format!("route {path} names unknown component {}", trigger.component))?;
            let proxy = ProxyPre::new(component.pre.clone())
                .map_err(anyhow::Error::from)
                .with_context(|| format!("component {} does not export wasi:http/incoming-handler", component.id))?;
            component_of_route.insert(path.clone(), component.id.clone());
            entries.push((Route::parse(path)?, Arc::new(proxy)));
        }
        Ok(Arc::new(Self {
            app,
            router: Router::new(entries)?,
            component_of_route,
        }))
    }

    /// Accepts connections on `listener` until the task is dropped.
    pub async fn serve(self: Arc<Self>, listener: TcpListener) -> Result<()> {
        loop {
            let (stream, client) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            // A response goes out as several writes (head, then body chunks): with Nagle's
            // algorithm the later ones wait for the client's delayed ACK, up to 40 ms.
            if let Err(error) = stream.set_nodelay(true) {
                tracing::debug!(%client, %error, "could not disable Nagle's algorithm");
            }
            let trigger = self.clone();
            let local = listener.local_addr()?;
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request| {
                    let trigger = trigger.clone();
                    async move { Ok::<_, std::convert::Infallible>(trigger.handle(request, local, client).await) }
                });
                let served = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(Duration::from_secs(30))
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
                if let Err(error) = served {
                    tracing::debug!(%client, %error, "connection ended with an error");
                }
            });
        }
    }

    /// Serves one request.
    pub async fn handle(
        &self,
        request: Request<Incoming>,
        local: SocketAddr,
        client: SocketAddr,
    ) -> Response<HyperOutgoingBody> {
        let path = request.uri().path().to_string();
        let Some((matched, proxy)) = self.router.route(&path) else {
            return empty_response(StatusCode::NOT_FOUND);
        };
        let component_id = self.component_of_route[&matched.raw_route].clone();
        match self.call_guest(request, proxy.clone(), &matched, &component_id, local, client).await {
            Ok(response) => response,
            Err(error) if error.chain().any(|cause| cause.is::<wasmtime::PoolConcurrencyLimitError>()) => {
                tracing::warn!(component = %component_id, path = %path, "no instance slot is free: {error:#}");
                let mut response = json_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "host_busy",
                    &format!(
                        "every instance slot of the host is in use; retry shortly, or raise `tds up --instance-pool-size` ({})",
                        crate::engine::POOL_INSTANCES_VARIABLE
                    ),
                );
                response.headers_mut().insert(http::header::RETRY_AFTER, HeaderValue::from_static("1"));
                response
            }
            Err(error) => {
                tracing::error!(component = %component_id, path = %path, "the component failed: {error:#}");
                json_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "component_failed",
                    &format!("component {component_id} failed while handling the request; see the host log"),
                )
            }
        }
    }

    async fn call_guest(
        &self,
        request: Request<Incoming>,
        proxy: Arc<ProxyPre<crate::state::HostState>>,
        matched: &RouteMatch,
        component_id: &str,
        local: SocketAddr,
        client: SocketAddr,
    ) -> Result<Response<HyperOutgoingBody>> {
        let component = self.app.component(component_id).context("component vanished")?;
        let mut store = self.app.new_store(&component);
        let request = with_spin_headers(request, matched, local, client)?;
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let incoming = store.data_mut().http().new_incoming_request(Scheme::Http, request)?;
        let outparam = store.data_mut().http().new_response_outparam(sender)?;
        let task = tokio::spawn(async move {
            let instance = proxy.instantiate_async(&mut store).await?;
            instance
                .wasi_http_incoming_handler()
                .call_handle(&mut store, incoming, outparam)
                .await
        });
        match receiver.await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(code)) => Err(anyhow::anyhow!("the component answered with an error: {code:?}")),
            Err(_) => match task.await {
                Ok(Ok(())) => Err(anyhow::anyhow!("the component returned without setting a response")),
                Ok(Err(trap)) => Err(anyhow::Error::from(trap).context("the component trapped")),
                Err(join) => Err(anyhow::Error::from(join).context("the component's task failed")),
            },
        }
    }
}

/// Adds Spin's request headers and makes the URI absolute.
fn with_spin_headers(
    request: Request<Incoming>,
    matched: &RouteMatch,
    local: SocketAddr,
    client: SocketAddr,
) -> Result<Request<Incoming>> {
    let (mut parts, body) = request.into_parts();
    let authority = parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| local.to_string());
    let path_and_query = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/").to_string();
    let full_url = format!("http://{authority}{path_and_query}");
    parts.uri = full_url.parse().context("the request URI is not valid")?;
    let mut set = |name: String, value: &str| -> Result<()> {
        parts.headers.insert(
            HeaderName::try_from(name).context("header name")?,
            HeaderValue::from_str(value).context("header value")?,
        );
        Ok(())
    };
    set("spin-full-url".into(), &full_url)?;
    set("spin-path-info".into(), &matched.path_info)?;
    set("spin-matched-route".into(), &matched.raw_route)?;
    set("spin-raw-component-route".into(), &matched.raw_route)?;
    set("spin-component-route".into(), &matched.component_route)?;
    set("spin-base-path".into(), "/")?;
    set("spin-client-addr".into(), &client.to_string())?;
    for (name, value) in &matched.params {
        set(format!("spin-path-match-{name}"), value)?;
    }
    Ok(Request::from_parts(parts, body))
}

fn body_of(bytes: impl Into<Bytes>) -> HyperOutgoingBody {
    Full::new(bytes.into()).map_err(|never| match never {}).boxed_unsync()
}

fn empty_response(status: StatusCode) -> Response<HyperOutgoingBody> {
    let mut response = Response::new(body_of(Bytes::new()));
    *response.status_mut() = status;
    response
}

/// The host's own error answers: `{"error":{"code":…,"message":…}}`.
fn json_error(status: StatusCode, code: &str, message: &str) -> Response<HyperOutgoingBody> {
    let body = serde_json::json!({ "error": { "code": code, "message": message } }).to_string();
    let mut response = Response::new(body_of(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
