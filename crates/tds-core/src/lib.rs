//! TDS's pure logic, shared by every component and tested natively: the entity table,
//! webhook authenticity, payload parsing, normalisation into inbox events, canonical JSON,
//! Zoho timestamps, header redaction, retry backoff and failure classes. No I/O.

pub mod auth;
pub mod backoff;
pub mod canonical;
pub mod entity;
pub mod failure;
pub mod normalize;
pub mod payload;
pub mod redact;
pub mod signature;
pub mod time;
