//! The Zoho Books REST API as TDS pulls from it, without I/O of its own:
//!
//! - [`region`]: the accounts and API roots of each data centre;
//! - [`api`]: which modules the Books API lists, the list and detail requests, and
//!   reading their answers (pages, records, Zoho's `{"code", "message"}` errors, tokens);
//! - [`pull`]: per-module pull strategies and the cursor that only moves past stored pages;
//! - [`pacing`]: requests per minute and the backoff after rate-limited answers;
//! - [`drift`]: Zoho's ids and modification times against the ERP's;
//! - [`integrity`]: rules over ERP facts (negative prices or stock, duplicate SKUs,
//!   dangling references, rows not refreshed for too long) to findings.

pub mod api;
pub mod drift;
pub mod integrity;
pub mod pacing;
pub mod pull;
pub mod region;
