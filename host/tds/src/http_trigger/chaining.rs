//! Local service chaining: a guest's request to `http://<component-id>.spin.internal/...`
//! served in process by a fresh instance of that component, as Spin 4.0.2's HTTP trigger
//! serves it (its outbound interceptor calls the trigger's own routing with a synthetic
//! route match).
//!
//! - The target is any component with an HTTP trigger, public or private
//!   (`route = { private = true }`); which route it has plays no part.
//! - The chained guest sees the request as Spin builds it: the URI is
//!   `http://<component-id>.spin.internal[:port]/<path>?<query>`, with no `Host` header
//!   (Spin drops it before the interceptor); `spin-full-url` takes its authority from
//!   that missing header, so it is `http://localhost/<path>?<query>`;
//!   `spin-matched-route` and `spin-raw-component-route` are `/...`,
//!   `spin-component-route` is empty, `spin-path-info` is the whole path,
//!   `spin-base-path` is `/` and `spin-client-addr` is `0.0.0.0:0`. Method, other
//!   headers and body are the caller's.
//! - The caller gets the chained guest's response as its outbound response, streamed as
//!   the chained guest writes it; a chained guest that fails gives it the same 500 (or
//!   503 when no instance slot is free) a public request would get. The chained guest
//!   keeps running after it has set its response, independently of the caller.
//! - The chained instance gets the same self-request origin and chaining as the caller.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Weak;

use anyhow::Context as _;
use http::{HeaderMap, Request, Response};
use tds_factor_outbound::service_chaining_target;
use wasmtime_wasi_http::{Error, WasiBody};

use super::routes::RouteMatch;
use super::{with_spin_headers, HttpTrigger};
use crate::outbound_http::{ChainedResponse, LocalHttp};

/// The client address a chained guest sees, as in Spin.
const CHAINED_CLIENT: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0);

/// What an instance of the HTTP trigger reaches through the trigger: the other
/// components' handlers, and the address the trigger listens on.
pub(crate) struct TriggerLink {
    trigger: Weak<HttpTrigger>,
    origin: SocketAddr,
}

impl TriggerLink {
    pub(crate) fn new(trigger: Weak<HttpTrigger>, origin: SocketAddr) -> Self {
        Self { trigger, origin }
    }
}

impl LocalHttp for TriggerLink {
    fn serves(&self, component: &str) -> bool {
        self.trigger
            .upgrade()
            .is_some_and(|trigger| trigger.handlers.contains_key(component))
    }

    fn chain(&self, component: &str, request: Request<WasiBody>) -> ChainedResponse {
        let trigger = self.trigger.clone();
        let component = component.to_string();
        let origin = self.origin;
        Box::pin(async move {
            let trigger = trigger.upgrade().ok_or_else(|| {
                Error::InternalError(Some("the HTTP trigger has stopped".to_string()))
            })?;
            trigger.serve_chained(&component, request, origin).await
        })
    }

    fn origin(&self) -> SocketAddr {
        self.origin
    }
}

impl HttpTrigger {
    /// Serves a chained request to `component` (whose instance's self requests go to
    /// `origin`).
    async fn serve_chained(
        &self,
        component: &str,
        request: Request<WasiBody>,
        origin: SocketAddr,
    ) -> Result<Response<WasiBody>, Error> {
        let handler = self.handlers.get(component).ok_or_else(|| {
            Error::InternalError(Some(format!("component {component} has no HTTP trigger")))
        })?;
        let path = request.uri().path().to_string();
        let request = chained_request(request);
        Ok(self.respond(handler, request, &path, origin).await)
    }
}

/// The request a chained guest receives (see the module docs).
fn chained_request(request: Request<WasiBody>) -> anyhow::Result<Request<WasiBody>> {
    let (mut parts, body) = request.into_parts();
    parts.headers.remove(http::header::HOST);
    let authority = parts
        .uri
        .authority()
        .context("a chained request has no authority")?
        .clone();
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    parts.uri = format!("http://{authority}{path_and_query}")
        .parse()
        .context("the chained request's URI is not valid")?;
    let matched = RouteMatch::synthetic(parts.uri.path());
    let full_url = format!("http://localhost{path_and_query}");
    with_spin_headers(
        Request::from_parts(parts, body),
        &matched,
        &full_url,
        CHAINED_CLIENT,
    )
}

/// A public request posing as a chained one: its `Host` names `<x>.spin.internal`.
#[derive(Debug, thiserror::Error)]
#[error(
    "a request to {path} from outside names the service chaining host {host:?} in its Host \
     header; Spin strips that header and then fails the request for want of an authority, \
     so it is dropped without an answer"
)]
pub struct ChainingHostFromOutside {
    pub host: String,
    pub path: String,
}

/// Refuses a public request whose `Host` header is a service chaining host.
pub(super) fn refuse_chaining_host(
    headers: &HeaderMap,
    path: &str,
) -> Result<(), ChainingHostFromOutside> {
    let Some(host) = headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
    else {
        return Ok(());
    };
    if service_chaining_target(host).is_none() {
        return Ok(());
    }
    let refused = ChainingHostFromOutside {
        host: host.to_string(),
        path: path.to_string(),
    };
    tracing::warn!("{refused}");
    Err(refused)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{BodyExt, Empty};

    fn empty() -> WasiBody {
        Empty::new().map_err(|never| match never {}).boxed_unsync()
    }

    #[test]
    fn a_chained_request_gets_spins_synthetic_headers() {
        let request = Request::post("http://sales.spin.internal/api/items?page=2")
            .header("host", "sales.spin.internal")
            .header("x-caller", "web")
            .body(empty())
            .unwrap();
        let request = chained_request(request).unwrap();
        assert_eq!(request.uri(), "http://sales.spin.internal/api/items?page=2");
        let header = |name: &str| {
            request
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_string())
        };
        assert_eq!(header("host"), None);
        assert_eq!(header("x-caller").as_deref(), Some("web"));
        assert_eq!(
            header("spin-full-url").as_deref(),
            Some("http://localhost/api/items?page=2")
        );
        assert_eq!(header("spin-path-info").as_deref(), Some("/api/items"));
        assert_eq!(header("spin-matched-route").as_deref(), Some("/..."));
        assert_eq!(header("spin-raw-component-route").as_deref(), Some("/..."));
        assert_eq!(header("spin-component-route").as_deref(), Some(""));
        assert_eq!(header("spin-base-path").as_deref(), Some("/"));
        assert_eq!(header("spin-client-addr").as_deref(), Some("0.0.0.0:0"));
    }

    #[test]
    fn only_chaining_hosts_are_refused_from_outside() {
        let mut headers = HeaderMap::new();
        assert!(refuse_chaining_host(&headers, "/a").is_ok());
        headers.insert(http::header::HOST, "127.0.0.1:3000".parse().unwrap());
        assert!(refuse_chaining_host(&headers, "/a").is_ok());
        headers.insert(
            http::header::HOST,
            "sales.spin.internal:3000".parse().unwrap(),
        );
        assert!(refuse_chaining_host(&headers, "/a").is_err());
    }
}
