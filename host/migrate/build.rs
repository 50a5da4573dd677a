//! The migrations are embedded at compile time (`refinery::embed_migrations!`): rebuild
//! when a file in `migrations/` is added or changed, not only when this crate's code is.

fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
