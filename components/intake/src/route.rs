//! The request's head: its route and method, and a declared `Content-Length` over the
//! limit, all refused before any of the body is read (docs/design.md, "Intake contract").

use spin_sdk::http::{IncomingRequest, Method, Request};
use tds_core::entity::Module;
use tds_core::payload::MAX_BODY_BYTES;
use tds_guest::http::{header, HttpError};

use crate::refusal::Refusal;

const ROUTE_PREFIX: &str = "/webhooks/zoho";

/// The request's method, URI and headers; its body is read by [`crate::body::read`] once
/// the head has passed [`check_head`].
pub fn head_of(incoming: &IncomingRequest) -> Request {
    Request::builder()
        .method(incoming.method())
        .uri(incoming.uri())
        .headers(incoming.headers())
        .build()
}

/// What can be refused before the body is read: the route and method, then a declared
/// `Content-Length` above [`MAX_BODY_BYTES`]. The route's module, if it names one.
pub fn check_head(req: &Request) -> Result<Option<Module>, Refusal> {
    let route_module = route(req)?;
    let declared = header(req, "content-length").and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(size) = declared.filter(|&size| size > MAX_BODY_BYTES as u64) {
        let message = format!("the body has {size} bytes; the limit is {MAX_BODY_BYTES}");
        let error = HttpError::new(413, "payload_too_large", message);
        return Err(Refusal::new(error, route_module));
    }
    Ok(route_module)
}

/// The module the path names: `None` for the bare route.
fn route(req: &Request) -> Result<Option<Module>, Refusal> {
    let rest = req.path().strip_prefix(ROUTE_PREFIX).unwrap_or("/");
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let module = match segments.as_slice() {
        [] => None,
        [segment] => Some(Module::from_route_segment(segment).ok_or_else(|| {
            let message = format!("module {segment:?} is not one TDS syncs");
            Refusal::new(HttpError::new(404, "unknown_module", message), None)
        })?),
        _ => {
            let error = HttpError::not_found(format!("no route {}", req.path()));
            return Err(Refusal::new(error, None));
        }
    };
    let (allowed, allow): (&[Method], &'static str) = if module.is_some() {
        (
            &[Method::Post, Method::Put, Method::Delete],
            "POST, PUT, DELETE",
        )
    } else {
        (&[Method::Post], "POST")
    };
    if !allowed.contains(req.method()) {
        let message = format!("{} is not allowed here; use {allow}", req.method());
        let error = HttpError::method_not_allowed(allow, message);
        return Err(Refusal::new(error, module));
    }
    Ok(module)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What [`check_head`] makes of a head: the module, or the refusal's status, code,
    /// message and module.
    fn check(
        method: Method,
        uri: &str,
        length: Option<&str>,
    ) -> Result<Option<Module>, (u16, &'static str, String, Option<Module>)> {
        let mut req = Request::builder();
        req.method(method).uri(uri);
        if let Some(length) = length {
            req.header("content-length", length);
        }
        check_head(&req.build())
            .map_err(|r| (r.error.status, r.error.code, r.error.message, r.module))
    }

    #[test]
    fn a_module_route_takes_post_put_and_delete() {
        for method in [Method::Post, Method::Put, Method::Delete] {
            let checked = check(method, "/webhooks/zoho/invoices", None);
            assert_eq!(checked.ok(), Some(Some(Module::Invoices)));
        }
        let checked = check(Method::Get, "/webhooks/zoho/invoices", None);
        assert_eq!(
            checked.err(),
            Some((
                405,
                "method_not_allowed",
                "GET is not allowed here; use POST, PUT, DELETE".to_string(),
                Some(Module::Invoices)
            ))
        );
    }

    #[test]
    fn the_bare_route_takes_post_only() {
        assert_eq!(check(Method::Post, "/webhooks/zoho", None).ok(), Some(None));
        assert_eq!(
            check(Method::Post, "/webhooks/zoho/", None).ok(),
            Some(None)
        );
        let checked = check(Method::Put, "/webhooks/zoho", None);
        assert_eq!(
            checked.err(),
            Some((
                405,
                "method_not_allowed",
                "PUT is not allowed here; use POST".to_string(),
                None
            ))
        );
    }

    #[test]
    fn unknown_modules_and_deeper_paths_are_not_found() {
        let checked = check(Method::Post, "/webhooks/zoho/journals", None);
        assert_eq!(
            checked.err(),
            Some((
                404,
                "unknown_module",
                "module \"journals\" is not one TDS syncs".to_string(),
                None
            ))
        );
        let checked = check(Method::Post, "/webhooks/zoho/invoices/42", None);
        assert_eq!(
            checked.err(),
            Some((
                404,
                "not_found",
                "no route /webhooks/zoho/invoices/42".to_string(),
                None
            ))
        );
    }

    #[test]
    fn a_declared_length_over_the_limit_is_refused_after_the_route() {
        let limit = MAX_BODY_BYTES.to_string();
        let over = (MAX_BODY_BYTES + 1).to_string();
        let checked = check(Method::Post, "/webhooks/zoho/bills", Some(&limit));
        assert_eq!(checked.ok(), Some(Some(Module::Bills)));
        let checked = check(Method::Post, "/webhooks/zoho/bills", Some(&over));
        assert_eq!(
            checked.err(),
            Some((
                413,
                "payload_too_large",
                format!("the body has {over} bytes; the limit is {MAX_BODY_BYTES}"),
                Some(Module::Bills)
            ))
        );
        let checked = check(Method::Get, "/webhooks/zoho/bills", Some(&over));
        assert_eq!(checked.err().map(|r| r.0), Some(405));
        let checked = check(Method::Post, "/webhooks/zoho/bills", Some("many"));
        assert_eq!(checked.ok(), Some(Some(Module::Bills)));
    }
}
