//! TDS's pure logic, shared by every component and tested natively: the entity table,
//! webhook authenticity, payload parsing, normalisation into inbox events, canonical JSON,
//! Zoho timestamps, header redaction, retry backoff and failure classes, the ids of TDS's
//! own rows; for heal, circuit breakers, alert conditions and metric rollups; for the stats
//! API, query parameters, pagination cursors, runtime-configuration validation and the
//! Prometheus text format. No I/O.

pub mod alerts;
pub mod auth;
pub mod backoff;
pub mod canonical;
pub mod circuit;
pub mod config_values;
pub mod cursor;
pub mod entity;
pub mod failure;
pub mod ids;
pub mod metrics;
pub mod normalize;
pub mod payload;
pub mod prometheus;
pub mod query;
pub mod redact;
pub mod signature;
pub mod time;
