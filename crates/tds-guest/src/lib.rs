//! Guest-side helpers every TDS component uses, over spin-sdk 5.2: [`circuit`] (circuit
//! breakers stored in Postgres), [`db`] (the Postgres unit-of-work wrapper and typed row
//! access), typed functions beside `tds_store`'s statements — [`queue`], [`inbox`],
//! [`journal`] (runs, attempt log, audit trail), [`config`] (runtime configuration),
//! [`auto_retry`] (dead letters retried), [`drains`] (drain sessions and the wakes that start
//! them), [`heal`] (whether a scheduled heal cycle is due), [`alerts`], [`metrics`] (rollups), [`retention`]
//! (purges), [`reconcile`] (pulls, token, report, integrity), and for the stats API
//! [`stats`] and [`queue::figures`] (queue figures and metrics), [`dead_letters`], [`replay`] (inbox events by time
//! range), [`trace`] (event trace, entity history) and [`operator`] (alerts, runs, circuit
//! breakers) —; [`log`] (one JSON object per line), [`vars`] (component variables),
//! [`http`] (JSON answers, the one error type [`http::HttpError`], request ids, bearer
//! tokens), [`internal`] (the cron and internal-route shell of processor, heal and
//! reconcile), [`outbound`] (HTTP requests with a timeout) and [`random`] (ids, lease owners,
//! jitter).

pub mod alerts;
pub mod auto_retry;
pub mod circuit;
pub mod config;
pub mod db;
pub mod dead_letters;
pub mod drains;
pub mod heal;
pub mod http;
pub mod inbox;
pub mod internal;
pub mod journal;
pub mod log;
pub mod metrics;
pub mod operator;
pub mod outbound;
pub mod queue;
pub mod random;
pub mod reconcile;
pub mod replay;
pub mod retention;
pub mod stats;
pub mod trace;
pub mod vars;
