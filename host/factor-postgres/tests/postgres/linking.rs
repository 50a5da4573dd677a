//! The interface links into a component linker the way the host wires it.

use std::sync::Arc;

use tds_factor_outbound::AllowedHosts;
use tds_factor_postgres::{add_to_linker, PostgresPool, PostgresState};
use wasmtime::component::Linker;
use wasmtime::{Engine, Store};

struct Host {
    postgres: PostgresState,
}

#[test]
fn the_interface_links_into_a_component_linker() {
    let engine = Engine::default();
    let mut linker = Linker::<Host>::new(&engine);
    add_to_linker(&mut linker, |host| &mut host.postgres).unwrap();

    let pool = Arc::new(PostgresPool::new());
    let allowed = Arc::new(AllowedHosts::parse(&["postgres://db:5432".to_string()]).unwrap());
    let _store = Store::new(
        &engine,
        Host {
            postgres: PostgresState::new(pool, allowed),
        },
    );
}
