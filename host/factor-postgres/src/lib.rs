mod bindings {
    wasmtime::component::bindgen!({
        inline: "
            package tds:postgres-host;
            world postgres-host {
                import spin:postgres/postgres@4.0.0;
            }
        ",
        path: "../../wit",
        imports: { default: async },
        with: {
            "spin:postgres/postgres.connection": crate::Connection,
        },
    });
}
pub struct Connection;
