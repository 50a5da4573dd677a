//! Outbound HTTP from a guest (`wasi:http/outgoing-handler`), as Spin 4.0.2 sends it
//! (docs/spin.md, "Service chaining, private routes, self requests and work after the
//! response").
//!
//! Every request is first checked against the component's `allowed_outbound_hosts`;
//! a request they do not grant fails with `HTTP-request-denied` before anything else
//! happens. What follows depends on the destination:
//!
//! - **Self requests**: a URL without an authority (spin-sdk sends a relative URL as
//!   `https://:443/<path>`) or with the host `self.alt`. Granted only by an `http` or
//!   `https` entry whose host is `self`, `self.alt` or `*`. An instance of the HTTP
//!   trigger sends them over the network, in plain HTTP, to the address the trigger
//!   listens on, with that address as `Host`. A cron instance has no such origin and
//!   gets `HTTP-request-URI-invalid`, as in Spin.
//! - **Service chaining**: `http://<component-id>.spin.internal/<path>`. An instance of
//!   the HTTP trigger hands the request to that component in process, never over the
//!   network, and gets its response back as the outbound response (see
//!   [`crate::http_trigger`]). The `Host` header is dropped first, as Spin drops it. A
//!   target without an HTTP trigger (public or private) makes the caller trap, with an
//!   error in the host log naming both components; tds raises that trap when the guest
//!   sends the request, Spin when it awaits the response. Only the HTTP trigger gives
//!   its instances this dispatch: a cron instance's request goes, as in Spin, to DNS,
//!   which knows no `*.spin.internal` name, so it fails with `DNS-error` (tds answers
//!   that without a lookup).
//! - Anything else goes to the network.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use http::uri::Authority;
use http::{HeaderValue, Uri};
use tds_factor_outbound::{service_chaining_target, AllowedHosts};
use wasmtime::component::{Linker, Resource};
use wasmtime::StoreContextMut;
use wasmtime_wasi_http::p2::bindings::http::{outgoing_handler, types as http_types};
use wasmtime_wasi_http::p2::types::{HostFutureIncomingResponse, HostOutgoingRequest};
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks, WasiHttpView};

use crate::state::HostState;

/// A chained request's response, or why there is none.
pub(crate) type ChainedResponse =
    Pin<Box<dyn Future<Output = Result<http::Response<WasiBody>, Error>> + Send>>;

/// What an instance created by the HTTP trigger reaches besides the network: the other
/// components' HTTP handlers and the trigger's own address. Cron instances have none.
pub(crate) trait LocalHttp: Send + Sync {
    /// Whether `component` has an HTTP trigger (public or private) to chain to.
    fn serves(&self, component: &str) -> bool;

    /// Serves `request` with a fresh instance of `component`, in process.
    fn chain(&self, component: &str, request: http::Request<WasiBody>) -> ChainedResponse;

    /// The address the HTTP trigger listens on: where self requests go.
    fn origin(&self) -> SocketAddr;
}

/// Outbound HTTP for one instance (the `wasi:http` hooks of its store).
pub struct OutboundHttp {
    component_id: Arc<str>,
    allowed: Arc<AllowedHosts>,
    local: Option<Arc<dyn LocalHttp>>,
}

/// Where a request goes once `allowed_outbound_hosts` has been consulted.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Destination {
    Denied,
    SelfRequest,
    Chained(String),
    Network,
}

impl OutboundHttp {
    /// `local` is `Some` for instances of the HTTP trigger only.
    pub(crate) fn new(
        component_id: Arc<str>,
        allowed: Arc<AllowedHosts>,
        local: Option<Arc<dyn LocalHttp>>,
    ) -> Self {
        Self {
            component_id,
            allowed,
            local,
        }
    }

    /// Classifies a request by its scheme and authority (`host[:port]`, possibly empty).
    fn destination(&self, scheme: &str, authority: Option<&str>) -> Destination {
        let authority = authority.and_then(|a| a.parse::<Authority>().ok());
        let host = authority
            .as_ref()
            .map(Authority::host)
            .filter(|host| !host.is_empty());
        match host {
            None | Some("self.alt") if self.allowed.allows_self_requests() => {
                Destination::SelfRequest
            }
            None | Some("self.alt") => Destination::Denied,
            Some(host) => {
                let port = authority.as_ref().and_then(Authority::port_u16);
                if !self.allowed.allows(scheme, host, port) {
                    Destination::Denied
                } else if let Some(target) = service_chaining_target(host) {
                    Destination::Chained(target.to_string())
                } else {
                    Destination::Network
                }
            }
        }
    }

    fn denied(&self, uri: &Uri) {
        tracing::warn!(
            component = %self.component_id,
            "outbound request to {uri} refused: not in allowed_outbound_hosts ({})",
            self.allowed
        );
    }

    /// Why a request to a component without an HTTP trigger traps the caller, if this
    /// is one.
    fn chaining_trap(&self, request: &HostOutgoingRequest) -> Option<String> {
        let local = self.local.as_ref()?;
        let scheme = match &request.scheme {
            Some(http_types::Scheme::Http) => "http",
            Some(http_types::Scheme::Https) | None => "https",
            Some(http_types::Scheme::Other(other)) => other.as_str(),
        };
        let Destination::Chained(target) = self.destination(scheme, request.authority.as_deref())
        else {
            return None;
        };
        if local.serves(&target) {
            return None;
        }
        let message = format!(
            "component {caller} sent a service chaining request to http://{target}.spin.internal, \
             but component {target} has no HTTP trigger ([[trigger.http]] with a route or \
             route = {{ private = true }}); as in Spin, the caller traps",
            caller = self.component_id,
        );
        tracing::error!(component = %self.component_id, target = %target, "{message}");
        Some(message)
    }
}

type SendFuture = Box<
    dyn Future<
            Output = wasmtime_wasi_http::Result<(
                http::Response<WasiBody>,
                Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
            )>,
        > + Send,
>;

impl WasiHttpHooks for OutboundHttp {
    fn send_request(
        &mut self,
        mut request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> SendFuture {
        let uri = request.uri();
        let destination = self.destination(
            uri.scheme_str().unwrap_or("https"),
            uri.authority().map(Authority::as_str),
        );
        match destination {
            Destination::Denied => {
                self.denied(request.uri());
                Box::new(async { Err(Error::HttpRequestDenied) })
            }
            Destination::SelfRequest => {
                let Some(local) = &self.local else {
                    tracing::error!(
                        component = %self.component_id,
                        "self request to {} refused: only instances of the HTTP trigger have an origin to send it to",
                        request.uri()
                    );
                    return Box::new(async { Err(Error::HttpRequestUriInvalid) });
                };
                let origin = local.origin().to_string();
                let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
                match format!("http://{origin}{path}").parse::<Uri>() {
                    Ok(uri) => *request.uri_mut() = uri,
                    Err(_) => return Box::new(async { Err(Error::HttpRequestUriInvalid) }),
                }
                if let Ok(host) = HeaderValue::from_str(&origin) {
                    request.headers_mut().insert(http::header::HOST, host);
                }
                send_over_network(request, options)
            }
            Destination::Chained(target) => match &self.local {
                Some(local) => {
                    request.headers_mut().remove(http::header::HOST);
                    let response = local.chain(&target, request);
                    Box::new(async move {
                        let response = response.await?;
                        Ok((
                            response,
                            Box::new(async { Ok(()) }) as Box<dyn Future<Output = _> + Send>,
                        ))
                    })
                }
                None => {
                    tracing::warn!(
                        component = %self.component_id,
                        "request to http://{target}.spin.internal failed: service chaining is served \
                         only to instances of the HTTP trigger, so, as in Spin, this one goes to DNS, \
                         which knows no *.spin.internal name"
                    );
                    Box::new(async {
                        Err(Error::DnsError {
                            rcode: Some("address not available".to_string()),
                            info_code: Some(0),
                        })
                    })
                }
            },
            Destination::Network => send_over_network(request, options),
        }
    }
}

fn send_over_network(
    request: http::Request<WasiBody>,
    options: Option<RequestOptions>,
) -> SendFuture {
    Box::new(async move {
        use http_body_util::BodyExt;
        let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
        Ok((
            response.map(BodyExt::boxed_unsync),
            Box::new(io) as Box<dyn Future<Output = _> + Send>,
        ))
    })
}

/// The outgoing handler's interface at the version of wasmtime-wasi-http 48's WIT; guests
/// importing an earlier 0.2 version are linked to it by semver.
const OUTGOING_HANDLER: &str = "wasi:http/outgoing-handler@0.2.12";

/// Adds `wasi:http/types` (wasmtime-wasi-http's) and `wasi:http/outgoing-handler`:
/// wasmtime-wasi-http's `handle`, with [`OutboundHttp`] as its hooks, behind the check
/// that traps a caller chaining to a component without an HTTP trigger.
pub(crate) fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    let options = wasmtime_wasi_http::p2::bindings::LinkOptions::default();
    http_types::add_to_linker::<_, wasmtime_wasi_http::WasiHttp>(
        linker,
        &options.into(),
        |state: &mut HostState| state.http(),
    )?;
    linker.instance(OUTGOING_HANDLER)?.func_wrap(
        "handle",
        |mut store: StoreContextMut<'_, HostState>,
         (request, options): (
            Resource<HostOutgoingRequest>,
            Option<Resource<RequestOptions>>,
        )| {
            let state = store.data_mut();
            if let Some(message) = state
                .outbound_http
                .chaining_trap(state.table.get(&request)?)
            {
                return Err(wasmtime::Error::msg(message));
            }
            let sent: Result<Resource<HostFutureIncomingResponse>, http_types::ErrorCode> =
                match outgoing_handler::Host::handle(&mut state.http(), request, options) {
                    Ok(future) => Ok(future),
                    Err(error) => Err(error.downcast()?),
                };
            Ok((sent,))
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An HTTP trigger serving one component, `web`.
    struct FakeTrigger;

    impl LocalHttp for FakeTrigger {
        fn serves(&self, component: &str) -> bool {
            component == "web"
        }
        fn chain(&self, _: &str, _: http::Request<WasiBody>) -> ChainedResponse {
            Box::pin(async { Err(Error::InternalError(None)) })
        }
        fn origin(&self) -> SocketAddr {
            "127.0.0.1:3000".parse().unwrap()
        }
    }

    fn outbound(entries: &[&str], from_http_trigger: bool) -> OutboundHttp {
        let entries: Vec<String> = entries.iter().map(|e| e.to_string()).collect();
        OutboundHttp::new(
            Arc::from("caller"),
            Arc::new(AllowedHosts::parse(&entries).unwrap()),
            from_http_trigger.then(|| Arc::new(FakeTrigger) as Arc<dyn LocalHttp>),
        )
    }

    fn request_to(authority: &str) -> HostOutgoingRequest {
        HostOutgoingRequest {
            method: http_types::Method::Get,
            scheme: Some(http_types::Scheme::Http),
            authority: Some(authority.to_string()),
            path_with_query: Some("/".to_string()),
            headers: wasmtime_wasi_http::FieldMap::new_mutable(1 << 16),
            body: None,
        }
    }

    #[test]
    fn the_allow_list_is_consulted_before_anything_else() {
        let none = outbound(&[], true);
        for authority in [
            Some("web.spin.internal"),
            Some(":443"),
            None,
            Some("self.alt"),
            Some("example.com"),
        ] {
            assert_eq!(
                none.destination("http", authority),
                Destination::Denied,
                "{authority:?}"
            );
        }
    }

    #[test]
    fn destinations_are_classified_as_spin_classifies_them() {
        let all = outbound(
            &[
                "http://web.spin.internal",
                "http://self",
                "http://example.com",
            ],
            true,
        );
        let cases = [
            (
                "http",
                Some("web.spin.internal"),
                Destination::Chained("web".into()),
            ),
            ("https", Some(":443"), Destination::SelfRequest),
            ("http", Some("self.alt"), Destination::SelfRequest),
            ("http", None, Destination::SelfRequest),
            ("http", Some("example.com"), Destination::Network),
            ("http", Some("web.spin.internal:8080"), Destination::Denied),
        ];
        for (scheme, authority, expected) in cases {
            assert_eq!(
                all.destination(scheme, authority),
                expected,
                "{scheme} {authority:?}"
            );
        }
    }

    #[test]
    fn only_an_allowed_chaining_request_to_a_component_without_an_http_trigger_traps() {
        let entries = ["http://web.spin.internal", "http://sales.spin.internal"];
        let from_http = outbound(&entries, true);
        let trap = from_http.chaining_trap(&request_to("sales.spin.internal"));
        assert!(
            trap.as_deref()
                .is_some_and(|t| t.contains("component sales has no HTTP trigger")),
            "{trap:?}"
        );
        assert_eq!(
            from_http.chaining_trap(&request_to("web.spin.internal")),
            None
        );
        assert_eq!(
            from_http.chaining_trap(&request_to("other.spin.internal")),
            None,
            "denied, not trapped"
        );
        let from_cron = outbound(&entries, false);
        assert_eq!(
            from_cron.chaining_trap(&request_to("sales.spin.internal")),
            None,
            "DNS error, not a trap"
        );
    }
}
