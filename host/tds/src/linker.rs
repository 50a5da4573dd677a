//! The imports every component is linked against: WASI, outgoing HTTP (with the service
//! chaining check of [`crate::outbound_http`]), the PostgreSQL and
//! variables factors, and the types-only interface of the cron world
//! (`spin:cron/cron-types@3.0.0`, which cron guests import). A leaf module: the app and the
//! triggers use it, it uses neither.

use anyhow::Result;
use wasmtime::component::Linker;
use wasmtime::Engine;

use crate::state::HostState;

/// The cron world's interface of types only: nothing to provide but the instance.
const CRON_TYPES: &str = "spin:cron/cron-types@3.0.0";

/// A linker with every import a component may use.
pub(crate) fn new_linker(engine: &Engine) -> Result<Linker<HostState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    crate::outbound_http::add_to_linker(&mut linker)?;
    tds_factor_postgres::add_to_linker(&mut linker, |state: &mut HostState| &mut state.postgres)?;
    tds_factor_variables::add_to_linker(&mut linker, |state: &mut HostState| &mut state.variables)?;
    linker.instance(CRON_TYPES)?;
    Ok(linker)
}
