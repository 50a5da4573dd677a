//! Why an `allowed_outbound_hosts` entry was refused.

/// An `allowed_outbound_hosts` entry that cannot be used; the message names the
/// entry and says how to write it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    /// No `scheme://` prefix.
    #[error(
        "allowed_outbound_hosts entry {entry:?} has no scheme: write it as \
         <scheme>://<host>[:<port>], e.g. \"postgres://db.example.com:5432\" or \
         \"https://*.example.com\" ('*' is allowed for scheme, host and port; \
         \"*://*:*\" allows every destination)"
    )]
    MissingScheme {
        /// The entry as written.
        entry: String,
    },

    /// The scheme is not `*` and not made of letters only.
    #[error(
        "allowed_outbound_hosts entry {entry:?} has an invalid scheme {scheme:?}: \
         use letters only (\"postgres\", \"https\") or '*'"
    )]
    InvalidScheme {
        /// The entry as written.
        entry: String,
        /// The scheme part.
        scheme: String,
    },

    /// The host part is empty, carries a path, or misplaces a `*`.
    #[error("allowed_outbound_hosts entry {entry:?} has an invalid host: {reason}")]
    InvalidHost {
        /// The entry as written.
        entry: String,
        /// What is wrong with it and how to fix it.
        reason: String,
    },

    /// The port is not a number, `*` or a non-empty `start..end` range.
    #[error(
        "allowed_outbound_hosts entry {entry:?} has an invalid port {port:?}: \
         use a number (5432), '*' or a range start..end that includes start and \
         excludes end (5400..5500)"
    )]
    InvalidPort {
        /// The entry as written.
        entry: String,
        /// The port part.
        port: String,
    },

    /// No port, and the scheme has no well-known default.
    #[error(
        "allowed_outbound_hosts entry {entry:?} has no port and scheme {scheme:?} \
         has no default port: add one (\"{scheme}://host:8080\") or use '*' for any port"
    )]
    NoDefaultPort {
        /// The entry as written.
        entry: String,
        /// The scheme part.
        scheme: String,
    },

    /// Something follows the authority (`https://example.com/api`).
    #[error(
        "allowed_outbound_hosts entry {entry:?} has a path: entries name a \
         destination only (scheme, host and port), remove everything after the \
         host and port"
    )]
    HasPath {
        /// The entry as written.
        entry: String,
    },

    /// `http://*.spin.internal`: service chaining to every component.
    #[error(
        "allowed_outbound_hosts entry {entry:?} allows service chaining to every \
         component of the application: Spin refuses wildcard chaining whenever an \
         application is split across hosts (SpinKube's selective deployment, for one), \
         and tds always refuses it; list each component this one calls instead, one \
         entry each: \"http://<component-id>.spin.internal\""
    )]
    WildcardServiceChaining {
        /// The entry as written (templates rendered).
        entry: String,
    },

    /// `http://<id>.spin.internal` where no `[component.<id>]` exists.
    #[error(
        "allowed_outbound_hosts entry {entry:?} chains to component {component:?}, but \
         the manifest declares no [component.{component}]: Spin refuses chaining to a \
         component that is not deployed with the caller, and tds always does; write \
         \"http://<component-id>.spin.internal\" with the id of one of this \
         application's components ({known})"
    )]
    UnknownChainingTarget {
        /// The entry as written (templates rendered).
        entry: String,
        /// The component id it names.
        component: String,
        /// The application's component ids, comma-separated.
        known: String,
    },

    /// The legacy `insecure:allow-all` switch.
    #[error(
        "allowed_outbound_hosts entry \"insecure:allow-all\" is not accepted: use \
         \"*://*:*\" if every outbound destination really is to be allowed"
    )]
    InsecureAllowAll,
}
