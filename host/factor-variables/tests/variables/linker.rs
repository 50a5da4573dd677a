//! The interface links into a store whose data holds `ComponentVariables`.

use crate::fixtures::{manifest, sources};
use tds_factor_variables::{add_to_linker, ComponentVariables, Resolver};
use wasmtime::component::Linker;
use wasmtime::{Config, Engine};

struct StoreData {
    variables: ComponentVariables,
}

#[test]
fn add_to_linker_registers_the_interface_once() {
    let engine = Engine::new(&Config::new()).unwrap();
    let mut linker: Linker<StoreData> = Linker::new(&engine);
    add_to_linker(&mut linker, |data| &mut data.variables).unwrap();
    assert!(
        add_to_linker(&mut linker, |data| &mut data.variables).is_err(),
        "a second registration of fermyon:spin/variables@2.0.0 must be refused"
    );

    let resolver = Resolver::new(&manifest(), sources(&[])).unwrap();
    let data = StoreData {
        variables: resolver.component(&manifest(), "bare").unwrap(),
    };
    let store = wasmtime::Store::new(&engine, data);
    assert_eq!(store.data().variables.component_id(), "bare");
}
