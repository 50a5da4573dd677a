//! The Zoho Books REST API as TDS pulls from it, without I/O of its own:
//!
//! - [`region`]: the accounts and API roots of each data centre;
//! - [`api`]: which modules the Books API lists, the list and detail requests, and
//!   reading their answers (pages, records, Zoho's `{"code", "message"}` errors, tokens);
//! - [`pull`]: the listing cursor that only moves past stored pages, the day's request
//!   budget and the estimate of when a backfill ends;
//! - [`pacing`]: requests per minute and the backoff after rate-limited answers;
//! - [`drift`]: what Zoho's listing showed against what the ERP holds;
//! - [`integrity`]: rules over ERP facts (negative prices or stock, duplicate SKUs,
//!   dangling references, rows not refreshed for too long) to findings.

pub mod api;
pub mod drift;
pub mod integrity;
pub mod pacing;
pub mod pull;
pub mod region;
