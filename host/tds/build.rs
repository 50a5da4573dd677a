//! The migrations are embedded at build time (`refinery::embed_migrations!` in
//! `src/migrate.rs`); rebuild when one is added or changed.

fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
