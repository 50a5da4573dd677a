//! TDS's pure logic, shared by the components (and the crates beside them) and tested
//! natively: the entity table, webhook signatures and the credentials that prove them,
//! payload parsing, normalisation into inbox events, canonical JSON, Zoho timestamps,
//! header redaction, retry backoff and failure classes, the ids of TDS's own rows; for
//! heal, circuit breakers, alert conditions and metric rollups; for the stats API and the
//! processor, query parameters; runtime-configuration validation; the registry of Spin
//! variables ([`variables`]); where a lane's wake goes ([`wake`]). No I/O.
//!
//! Logic only one component uses lives beside it instead: which proof a webhook must carry
//! in intake (`components/intake/src/auth/proof.rs`), the pagination cursors and the
//! Prometheus text format in stats (`components/stats/src/{cursor,prometheus}.rs`).

pub mod alerts;
pub mod backoff;
pub mod canonical;
pub mod circuit;
pub mod config_values;
pub mod credential;
pub mod entity;
pub mod failure;
pub mod ids;
pub mod metrics;
pub mod normalize;
pub mod payload;
pub mod query;
pub mod redact;
pub mod signature;
pub mod time;
pub mod variables;
pub mod wake;
