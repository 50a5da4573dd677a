//! `fermyon:spin/variables@2.0.0` resolved as Spin resolves it.
//!
//! Application variables are declared in the manifest's `[variables]`; a
//! value comes from the first of these that has one:
//!
//! 1. the command line: `--variable name=value`, `--variable name=@file`
//!    (the file's contents) or `--variable @file.json` / `@file.toml` (a flat
//!    table of names to string values);
//! 2. the process environment: `SPIN_VARIABLE_<NAME>` (the name uppercased);
//! 3. a `.env` file in a chosen directory (Spin reads the current directory's),
//!    with the same `SPIN_VARIABLE_<NAME>` keys;
//! 4. a fallback the host sets after start-up ([`Resolver::set_fallback`]),
//!    e.g. the embedded PostgreSQL URL for `database_url` (like a Spin
//!    runtime-config provider, it sits above the default);
//! 5. the manifest's `default`.
//!
//! A component sees only the names in its own `[component.<id>.variables]`,
//! each a template over application variables rendered once when the host
//! asks for the component's [`ComponentVariables`]; every other name is
//! `undefined`, even if the application declares it. Values of `secret`
//! variables, and of component variables built from them, never appear in
//! `Debug` output or error messages.
//!
//! The host puts a [`ComponentVariables`] in each store's data and links the
//! interface with [`add_to_linker`].

mod component;
mod error;
mod host;
mod provider;
mod resolver;

use wasmtime::component::{HasSelf, Linker};

pub use component::ComponentVariables;
pub use error::VariablesError;
pub use provider::{environment_key, Environment, Sources};
pub use resolver::Resolver;

/// The error a guest receives from `get`, as generated from the WIT.
pub use bindings::fermyon::spin::variables::Error as GuestError;

mod bindings {
    wasmtime::component::bindgen!({
        path: "../../wit",
        inline: "
            package tds:variables-host;

            world variables-host {
                import fermyon:spin/variables@2.0.0;
            }
        ",
        additional_derives: [PartialEq, Eq],
    });
}

/// Links `fermyon:spin/variables@2.0.0` into `linker`; `get` finds the
/// calling instance's [`ComponentVariables`] in the store data. The host
/// function is synchronous (it only reads a map); wasmtime runs it for guests
/// driven with `call`, `call_async` or `run_concurrent` alike.
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    get: fn(&mut T) -> &mut ComponentVariables,
) -> wasmtime::Result<()> {
    bindings::fermyon::spin::variables::add_to_linker::<T, HasSelf<ComponentVariables>>(linker, get)
}
