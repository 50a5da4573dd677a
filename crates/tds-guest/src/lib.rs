//! Guest-side helpers every TDS component uses, over spin-sdk 5.2: [`circuit`] (circuit
//! breakers stored in Postgres), [`db`] (the Postgres unit-of-work wrapper and typed row
//! access), [`queue`] and [`inbox`] (typed functions beside `tds_store`'s statements of
//! those tables), [`config`] (the same for the runtime configuration), and for the stats
//! API [`stats`] (queue figures and metrics), [`dead_letters`], [`replay`] (inbox events by
//! time range), [`trace`] (event trace, entity history) and [`operator`] (alerts, runs,
//! circuit breakers); [`log`] (one JSON object per line), [`vars`] (component variables),
//! [`http`] (JSON answers, the one error type [`http::HttpError`], request ids, bearer
//! tokens), [`outbound`] (HTTP requests with a timeout) and [`random`] (ids, lease owners,
//! jitter).

pub mod circuit;
pub mod config;
pub mod db;
pub mod dead_letters;
pub mod http;
pub mod inbox;
pub mod log;
pub mod operator;
pub mod outbound;
pub mod queue;
pub mod random;
pub mod replay;
pub mod stats;
pub mod trace;
pub mod vars;
