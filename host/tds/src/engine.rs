//! The wasmtime engine every component runs on.
//!
//! Behaviour and defaults:
//! - Instances come from wasmtime's pooling allocator, as in Spin: slots for linear memories,
//!   tables and instance data are reserved once at start-up and reused, so a request does
//!   not map and unmap a fresh memory. At most [`DEFAULT_POOL_INSTANCES`] (1,000) component
//!   instances run at once (`tds up --instance-pool-size`, or [`POOL_INSTANCES_VARIABLE`],
//!   the variable real Spin reads); an invocation beyond that is refused with a
//!   [`wasmtime::PoolConcurrencyLimitError`], which the HTTP trigger answers with 503.
//! - A freed slot keeps up to [`KEEP_RESIDENT_BYTES`] (1 MiB) of memory and of tables
//!   mapped and is zeroed with `memset` instead of `madvise`, which spares the next
//!   instance the page faults of a guest's stack and small heap. Where Linux has the
//!   `PAGEMAP_SCAN` ioctl (6.7 and later), only the pages the guest wrote are reset,
//!   wherever they are (up to that budget; the rest go back by `madvise`); elsewhere the
//!   slot's lowest megabyte is, written or not. Measured: 0.86x host CPU per intake
//!   request against the lowest megabyte (BENCHMARKS.md, "Changes measured, kept and dropped").
//! - When the pool's address space cannot be reserved (a `ulimit -v`, an overcommit
//!   policy), the engine falls back to allocating each instance on demand and says so in
//!   the log: slower, never refused.
//! - The epoch advances every [`EPOCH_TICK`] (10 ms): the granularity of deadlines and
//!   of a guest's yields to the host's scheduler.
//! - With [`PERFMAP_VARIABLE`] set, the guests' compiled functions are named for `perf`.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, Result};
use wasmtime::{Cache, CacheConfig, Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How often the engine's epoch advances (the granularity of deadlines and yields).
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Component instances alive at once unless configured otherwise (wasmtime's and Spin's
/// default pool size).
pub const DEFAULT_POOL_INSTANCES: u32 = 1_000;

/// The environment variable sizing the pool, as in Spin.
pub const POOL_INSTANCES_VARIABLE: &str = "SPIN_WASMTIME_INSTANCE_COUNT";

/// Core instances, memories and tables one component instance may hold. A TDS component
/// (guest, WASI adapter, shims) holds fewer than ten of each; the bound leaves room for a
/// component linked from several modules.
const PER_COMPONENT: u32 = 32;

/// Memory and table bytes a freed slot keeps mapped, zeroed by `memset` on reuse.
pub const KEEP_RESIDENT_BYTES: usize = 1 << 20;

/// When set (to anything), the engine writes `/tmp/perf-<pid>.map`, so `perf report` names
/// the guests' compiled functions (see BENCHMARKS.md, "Profiling").
pub const PERFMAP_VARIABLE: &str = "TDS_PERFMAP";

/// The engine, pooled when the address space allows it.
pub(crate) fn new_engine(cache_dir: Option<&Path>, pool_instances: u32) -> Result<Engine> {
    let mut config = base_config(cache_dir)?;
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool_limits(pool_instances)));
    match Engine::new(&config) {
        Ok(engine) => Ok(engine),
        Err(pool_error) => {
            tracing::warn!(
                "the instance pool could not be reserved ({pool_error:#}); allocating each instance on demand instead"
            );
            let mut config = base_config(cache_dir)?;
            config.allocation_strategy(InstanceAllocationStrategy::OnDemand);
            Ok(Engine::new(&config)?)
        }
    }
}

fn base_config(cache_dir: Option<&Path>) -> Result<Config> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.wasm_component_model_async(true);
    config.epoch_interruption(true);
    if std::env::var_os(PERFMAP_VARIABLE).is_some() {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    if let Some(dir) = cache_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("could not create the code cache {}", dir.display()))?;
        let dir = dir
            .canonicalize()
            .with_context(|| format!("could not resolve the code cache path {}", dir.display()))?;
        let mut cache_config = CacheConfig::new();
        cache_config.with_directory(dir);
        config.cache(Some(Cache::new(cache_config)?));
    }
    Ok(config)
}

fn pool_limits(instances: u32) -> PoolingAllocationConfig {
    let mut pool = PoolingAllocationConfig::new();
    pool.total_component_instances(instances)
        .max_core_instances_per_component(PER_COMPONENT)
        .max_memories_per_component(PER_COMPONENT)
        .max_tables_per_component(PER_COMPONENT)
        .total_core_instances(instances.saturating_mul(8))
        .total_memories(instances.saturating_mul(2))
        .total_tables(instances.saturating_mul(4))
        .total_stacks(instances)
        .linear_memory_keep_resident(KEEP_RESIDENT_BYTES)
        .table_keep_resident(KEEP_RESIDENT_BYTES)
        .pagemap_scan(Enabled::Auto);
    pool
}

/// Advances the engine's epoch every [`EPOCH_TICK`] for as long as the engine lives.
pub(crate) fn start_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("tds-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .expect("starting the epoch thread");
}
