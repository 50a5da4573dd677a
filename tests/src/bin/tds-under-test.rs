//! The `tds` command line, built by `cargo test` together with the tests that run it as a
//! child process (`tds_tests::host_process`): the same code as the `tds` binary
//! (`tds::cli`), compiled with the test build's features, so the tests need no second build
//! of the host.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tds::cli::run().await
}
