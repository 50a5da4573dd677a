//! The data of one guest instance's store: WASI, HTTP, variables and PostgreSQL state,
//! and the outbound HTTP hooks ([`crate::outbound_http`]).

use tds_factor_postgres::PostgresState;
use tds_factor_variables::ComponentVariables;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

pub use crate::outbound_http::OutboundHttp;

/// Everything one instance can reach.
pub struct HostState {
    pub(crate) wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) http: WasiHttpCtx,
    pub(crate) outbound_http: OutboundHttp,
    pub(crate) variables: ComponentVariables,
    pub(crate) postgres: PostgresState,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.outbound_http,
        }
    }
}
