//! The HTTP trigger: Spin's routing and request headers over hyper, each request served by
//! a fresh instance of the matched component through wasmtime-wasi-http.
//!
//! Behaviour:
//! - No matching route: 404 with an empty body, as Spin answers.
//! - The guest receives Spin's `spin-*` headers (full URL, path info, matched route, base
//!   path, client address, `spin-path-match-<name>` for `:name` segments).
//! - The client gets the response as soon as the guest sets it, streamed while the guest
//!   writes it; the guest keeps running until its handler returns. A trap or error after
//!   that point is only logged (`the component failed after its response was sent`).
//! - A guest that traps or never answers gets the client a 500 with a JSON error body; the
//!   host logs the cause and goes on serving other requests.
//! - `route = { private = true }` gives a component an HTTP handler that no public request
//!   reaches (the path falls to another route or to the 404); only service chaining
//!   ([`chaining`]) does.
//! - A public request whose `Host` header is a service chaining host (`x.spin.internal`)
//!   and whose path matches a route is dropped without an answer: Spin strips that header
//!   and then, with no authority left, fails the request, which closes the connection.
//! - Instances created here get the trigger's own address for self requests and service
//!   chaining to every component with an HTTP trigger (see [`crate::outbound_http`]).
//! - HTTP/1.1 with keep-alive; a client has 30 s to send its request headers.

pub mod chaining;
pub mod routes;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Weak};
use std::time::Duration;

use anyhow::{Context as _, Result};
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Incoming};
use hyper_util::rt::{TokioIo, TokioTimer};
use tds_manifest::HttpRoute;
use tokio::net::TcpListener;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::WasiHttpView;

use crate::app::App;
use crate::state::HostState;
use chaining::{ChainingHostFromOutside, TriggerLink};
use routes::{Route, RouteMatch, Router};

/// The HTTP handler of one component.
struct Handler {
    component: Arc<str>,
    proxy: ProxyPre<HostState>,
}

/// The routes of `[[trigger.http]]`, each serving one component.
pub struct HttpTrigger {
    app: App,
    /// This trigger, handed (weakly) to the instances it creates for service chaining.
    me: Weak<HttpTrigger>,
    router: Router<Arc<Handler>>,
    /// Every component with an HTTP trigger, public or private: the chaining targets.
    handlers: HashMap<String, Arc<Handler>>,
}

impl HttpTrigger {
    /// Builds the router; a route Spin would refuse is an error.
    pub fn new(app: App) -> Result<Arc<Self>> {
        let mut entries = Vec::new();
        let mut handlers: HashMap<String, Arc<Handler>> = HashMap::new();
        for trigger in &app.manifest().http_triggers {
            let handler = match handlers.get(&trigger.component) {
                Some(handler) => handler.clone(),
                None => {
                    let component = app
                        .component(&trigger.component)
                        .with_context(|| format!("an HTTP trigger names unknown component {}", trigger.component))?;
                    let proxy = ProxyPre::new(component.pre.clone())
                        .map_err(anyhow::Error::from)
                        .with_context(|| {
                            format!("component {} does not export wasi:http/incoming-handler", component.id)
                        })?;
                    let handler = Arc::new(Handler {
                        component: component.id.clone(),
                        proxy,
                    });
                    handlers.insert(trigger.component.clone(), handler.clone());
                    handler
                }
            };
            if let HttpRoute::Path(path) = &trigger.route {
                entries.push((Route::parse(path)?, handler));
            }
        }
        let router = Router::new(entries)?;
        Ok(Arc::new_cyclic(|me| Self {
            app,
            me: me.clone(),
            router,
            handlers,
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
                    async move { trigger.handle(request, local, client).await }
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

    /// Serves one request that arrived on `local` from `client`. An error drops the
    /// connection without an answer.
    pub async fn handle(
        &self,
        request: Request<Incoming>,
        local: SocketAddr,
        client: SocketAddr,
    ) -> Result<Response<HyperOutgoingBody>, ChainingHostFromOutside> {
        let path = request.uri().path().to_string();
        let Some((matched, handler)) = self.router.route(&path) else {
            return Ok(empty_response(StatusCode::NOT_FOUND));
        };
        chaining::refuse_chaining_host(request.headers(), &path)?;
        let request = with_public_uri(request, local).and_then(|request| {
            let full_url = request.uri().to_string();
            with_spin_headers(request, &matched, &full_url, client)
        });
        Ok(self.respond(handler, request, &path, local).await)
    }

    /// Calls the guest of `handler` and turns a failure into the host's error answers.
    async fn respond<B>(
        &self,
        handler: &Handler,
        request: Result<Request<B>>,
        path: &str,
        local: SocketAddr,
    ) -> Response<HyperOutgoingBody>
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<wasmtime_wasi_http::Error>,
    {
        let component_id = &handler.component;
        let outcome = match request {
            Ok(request) => self.call_guest(handler, request, path, local).await,
            Err(error) => Err(error),
        };
        match outcome {
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

    /// Runs a fresh instance of the handler's component on `request` in a task of its own
    /// and returns its response as soon as the guest sets it; the guest goes on running
    /// after that, and only the log hears of its failures from then on.
    async fn call_guest<B>(
        &self,
        handler: &Handler,
        request: Request<B>,
        path: &str,
        local: SocketAddr,
    ) -> Result<Response<HyperOutgoingBody>>
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<wasmtime_wasi_http::Error>,
    {
        let component = self.app.component(&handler.component).context("component vanished")?;
        let link = TriggerLink::new(self.me.clone(), local);
        let mut store = self.app.new_store(&component, Some(Arc::new(link)));
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let incoming = store.data_mut().http().new_incoming_request(Scheme::Http, request)?;
        let outparam = store.data_mut().http().new_response_outparam(sender)?;
        let proxy = handler.proxy.clone();
        let task = tokio::spawn(async move {
            let instance = proxy.instantiate_async(&mut store).await?;
            instance
                .wasi_http_incoming_handler()
                .call_handle(&mut store, incoming, outparam)
                .await
        });
        match receiver.await {
            Ok(answer) => {
                let component_id = handler.component.clone();
                let path = path.to_string();
                tokio::spawn(async move {
                    let Some(failure) = guest_failure(task.await) else {
                        return;
                    };
                    tracing::error!(
                        component = %component_id,
                        path = %path,
                        "the component failed after its response was sent: {failure:#}"
                    );
                });
                answer.map_err(|code| anyhow::anyhow!("the component answered with an error: {code:?}"))
            }
            Err(_) => Err(guest_failure(task.await)
                .unwrap_or_else(|| anyhow::anyhow!("the component returned without setting a response"))),
        }
    }
}

/// How a guest's task ended, as an error; `None` when its handler returned.
fn guest_failure(ended: Result<wasmtime::Result<()>, tokio::task::JoinError>) -> Option<anyhow::Error> {
    match ended {
        Ok(Ok(())) => None,
        Ok(Err(trap)) => Some(anyhow::Error::from(trap).context("the component trapped")),
        Err(join) => Some(anyhow::Error::from(join).context("the component's task failed")),
    }
}

/// Makes a public request's URI absolute with the authority of its `Host` header (the
/// listener's address without one).
fn with_public_uri<B>(request: Request<B>, local: SocketAddr) -> Result<Request<B>> {
    let (mut parts, body) = request.into_parts();
    let authority = parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| local.to_string());
    let path_and_query = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    parts.uri = format!("http://{authority}{path_and_query}")
        .parse()
        .context("the request URI is not valid")?;
    Ok(Request::from_parts(parts, body))
}

/// Adds Spin's request headers.
fn with_spin_headers<B>(
    request: Request<B>,
    matched: &RouteMatch,
    full_url: &str,
    client: SocketAddr,
) -> Result<Request<B>> {
    let (mut parts, body) = request.into_parts();
    let mut set = |name: String, value: &str| -> Result<()> {
        parts.headers.insert(
            HeaderName::try_from(name).context("header name")?,
            HeaderValue::from_str(value).context("header value")?,
        );
        Ok(())
    };
    set("spin-full-url".into(), full_url)?;
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
