//! Host bindings for the guest side of `spin:cron@3.0.0`.

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "tds:host/cron-guest",
});

