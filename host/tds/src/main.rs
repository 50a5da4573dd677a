//! The `tds` binary: see [`tds::cli`].

/// mimalloc rather than glibc's allocator, whose arenas spent a request's time consolidating
/// and unlinking chunks: intake cost the host 4.8-7 % less CPU per webhook, for about 35 MiB
/// more resident memory (85 MiB against 51 after 15 s of intake; BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tds::cli::run().await
}
