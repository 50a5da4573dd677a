//! The interface against a real PostgreSQL, called as a guest calls it.

mod errors;
mod linking;
mod params;
mod pool;
mod refusals;
mod reset;
mod results;
mod statements;
mod support;
mod transactions;
