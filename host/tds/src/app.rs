//! Loading the application: manifest, variables, compiled components, the linker.
//!
//! Behaviour and defaults:
//! - Every component of the manifest is compiled once at start-up (compiled code is cached
//!   on disk, by default in `.tds/cache/`, so a restart does not recompile unchanged wasm)
//!   and pre-instantiated; each request or cron event then gets a fresh instance, as in Spin.
//! - Variables resolve as in Spin (see `tds-factor-variables`); a required variable without
//!   a value stops start-up with an error naming it.
//! - A guest runs at most [`AppOptions::max_execution_time`] (default 10 minutes) before it
//!   is cut off (epoch deadline); it yields to the host's scheduler every 10 ms meanwhile.
//! - Each component has a PostgreSQL pool of its own (at most 64 connections per address,
//!   idle ones kept), as in Spin, so the application's connection ceiling is 64 × its
//!   components.
//! - `allowed_outbound_hosts` entries are rendered (templates resolved) and parsed at
//!   load; an entry chaining to every component (`http://*.spin.internal`) or to an id
//!   that names no component of the manifest stops start-up, as Spin refuses both
//!   whenever an application is split across hosts (see `tds_factor_outbound`).
//! - A guest `query` whose result has no rows fails unless
//!   [`AppOptions::empty_query_results`] says otherwise, because Spin 4.0.0–4.0.2 hang on
//!   one (see `tds_factor_postgres::EmptyQueryResults`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use tds_factor_outbound::AllowedHosts;
pub use tds_factor_postgres::EmptyQueryResults;
use tds_factor_postgres::{PostgresPool, PostgresState};
use tds_factor_variables::{ComponentVariables, Environment, Resolver, Sources};
use tds_manifest::Manifest;
use wasmtime::component::{Component, InstancePre, Linker, ResourceTable};
use wasmtime::{Engine, Store, UpdateDeadline};
use wasmtime_wasi::WasiCtx;
use wasmtime_wasi_http::WasiHttpCtx;

use crate::engine::{new_engine, start_epoch_ticker};
use crate::guest_output::PrefixedOutput;
use crate::outbound_http::LocalHttp;
use crate::state::{HostState, OutboundHttp};

/// How to load the application.
#[derive(Debug, Clone)]
pub struct AppOptions {
    /// The `spin.toml` to run.
    pub manifest_path: PathBuf,
    /// `--variable` arguments as given (`name=value`, `name=@file`, `@file.json`),
    /// highest precedence.
    pub variables: Vec<String>,
    /// Folder holding the `.env` file read for `SPIN_VARIABLE_*` keys (Spin reads the
    /// current directory's).
    pub dotenv_dir: Option<PathBuf>,
    /// Where compiled code is cached; `None` disables the cache.
    pub cache_dir: Option<PathBuf>,
    /// The longest a guest may run before it is cut off.
    pub max_execution_time: Duration,
    /// How a guest `query` without result rows is answered (refused by default, as the
    /// Spin 4.0.0–4.0.2 defect makes it hang).
    pub empty_query_results: EmptyQueryResults,
    /// Component instances that may run at once (see [`crate::engine`]).
    pub pool_instances: u32,
}

impl AppOptions {
    pub fn new(manifest_path: impl Into<PathBuf>) -> Self {
        Self {
            manifest_path: manifest_path.into(),
            variables: Vec::new(),
            dotenv_dir: std::env::current_dir().ok(),
            cache_dir: None,
            max_execution_time: Duration::from_secs(600),
            empty_query_results: EmptyQueryResults::default(),
            pool_instances: crate::engine::DEFAULT_POOL_INSTANCES,
        }
    }
}

/// The first stage of loading: the manifest is read and variables can be inspected and
/// completed (e.g. with the embedded database's address) before components are compiled.
pub struct AppBuilder {
    options: AppOptions,
    manifest: Manifest,
    resolver: Resolver,
}

impl AppBuilder {
    pub fn new(options: AppOptions) -> Result<Self> {
        let manifest = Manifest::from_file(&options.manifest_path)
            .with_context(|| format!("could not load the manifest {}", options.manifest_path.display()))?;
        let sources = Sources {
            command_line: options.variables.clone(),
            environment: Environment::Process,
            dotenv_dir: options.dotenv_dir.clone(),
        };
        let resolver = Resolver::new(&manifest, sources).context("could not resolve the application variables")?;
        Ok(Self {
            options,
            manifest,
            resolver,
        })
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The value an application variable resolves to now, if any.
    pub fn variable(&self, name: &str) -> Option<String> {
        self.resolver.app_value(name)
    }

    /// Supplies a value used only when no provider gives one.
    pub fn set_fallback(&mut self, name: &str, value: &str) {
        self.resolver.set_fallback(name, value);
    }

    /// Validates variables, compiles and pre-instantiates every component.
    pub fn build(self) -> Result<App> {
        self.resolver.validate_required()?;
        let engine = new_engine(self.options.cache_dir.as_deref(), self.options.pool_instances)?;
        let linker = crate::linker::new_linker(&engine)?;
        let mut components = HashMap::new();
        for id in self.manifest.components.keys() {
            let loaded = load_component(&engine, &linker, &self.manifest, &self.resolver, id)
                .with_context(|| format!("could not load component {id:?}"))?;
            components.insert(id.clone(), Arc::new(loaded));
        }
        start_epoch_ticker(&engine);
        Ok(App {
            inner: Arc::new(AppInner {
                engine,
                manifest: self.manifest,
                components,
                max_execution_time: self.options.max_execution_time,
                empty_query_results: self.options.empty_query_results,
            }),
        })
    }
}

/// A loaded application, cheap to clone and share between tasks.
#[derive(Clone)]
pub struct App {
    inner: Arc<AppInner>,
}

struct AppInner {
    engine: Engine,
    manifest: Manifest,
    components: HashMap<String, Arc<LoadedComponent>>,
    max_execution_time: Duration,
    empty_query_results: EmptyQueryResults,
}

/// One compiled, linked component with its resolved configuration.
pub(crate) struct LoadedComponent {
    pub(crate) id: Arc<str>,
    pub(crate) pre: InstancePre<HostState>,
    variables: ComponentVariables,
    allowed: Arc<AllowedHosts>,
    /// The component's own PostgreSQL connections, as Spin pools per component.
    postgres: Arc<PostgresPool>,
    output: PrefixedOutput,
}

impl App {
    pub fn manifest(&self) -> &Manifest {
        &self.inner.manifest
    }

    pub(crate) fn component(&self, id: &str) -> Option<Arc<LoadedComponent>> {
        self.inner.components.get(id).cloned()
    }

    /// A fresh store for one invocation of `component`, with its deadline armed. `local`
    /// is what the HTTP trigger gives its instances (service chaining, self requests);
    /// other triggers pass `None`.
    pub(crate) fn new_store(
        &self,
        component: &LoadedComponent,
        local: Option<Arc<dyn LocalHttp>>,
    ) -> Store<HostState> {
        let mut wasi = WasiCtx::builder();
        wasi.stdout(component.output.clone()).stderr(component.output.clone());
        let state = HostState {
            wasi: wasi.build(),
            table: ResourceTable::new(),
            http: WasiHttpCtx::new(),
            outbound_http: OutboundHttp::new(component.id.clone(), component.allowed.clone(), local),
            variables: component.variables.clone(),
            postgres: PostgresState::new(component.postgres.clone(), component.allowed.clone())
                .with_empty_query_results(self.inner.empty_query_results),
        };
        let mut store = Store::new(&self.inner.engine, state);
        let started = Instant::now();
        let limit = self.inner.max_execution_time;
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            if started.elapsed() > limit {
                Err(wasmtime::Error::msg(format!(
                    "the guest ran longer than the {:?} limit and was stopped",
                    limit
                )))
            } else {
                Ok(UpdateDeadline::Yield(1))
            }
        });
        store
    }
}

fn load_component(
    engine: &Engine,
    linker: &Linker<HostState>,
    manifest: &Manifest,
    resolver: &Resolver,
    id: &str,
) -> Result<LoadedComponent> {
    let source = manifest
        .resolve_source(id)
        .with_context(|| format!("component {id:?} has no local source file"))?;
    let component = Component::from_file(engine, &source).map_err(anyhow::Error::from).with_context(|| {
        format!(
            "could not compile {} (build the components with `tds build` first)",
            source.display()
        )
    })?;
    let pre = linker
        .instantiate_pre(&component)
        .map_err(anyhow::Error::from)
        .context("the component imports something tds does not provide")?;
    let declared = &manifest.components[id];
    let allowed_entries = declared
        .allowed_outbound_hosts
        .iter()
        .map(|entry| resolver.render(entry))
        .collect::<Result<Vec<_>, _>>()?;
    let allowed = AllowedHosts::parse(&allowed_entries)?;
    let component_ids: Vec<&str> = manifest.components.keys().map(String::as_str).collect();
    allowed.check_service_chaining(&component_ids)?;
    Ok(LoadedComponent {
        id: Arc::from(id),
        pre,
        variables: resolver.component(manifest, id)?,
        allowed: Arc::new(allowed),
        postgres: Arc::new(PostgresPool::new()),
        output: PrefixedOutput::new(id),
    })
}
