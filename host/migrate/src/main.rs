//! `tds-migrate`: TDS's schema migrations without the host (see the library's doc).

use std::process::ExitCode;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match tds_migrate::run_cli(std::env::args().skip(1)).await {
        Ok(_) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("tds-migrate: {message}");
            ExitCode::FAILURE
        }
    }
}
