//! Tests of variable resolution, component visibility and linking, one binary
//! sharing the fixtures.

mod command_line;
mod components;
mod fixtures;
mod linker;
mod precedence;
