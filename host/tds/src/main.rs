//! The `tds` binary: see [`tds::cli`].

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tds::cli::run().await
}
