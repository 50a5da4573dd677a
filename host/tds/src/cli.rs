//! The `tds` command line (the `tds` binary).

use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use clap::{Args, Parser, Subcommand, ValueEnum};
use crate::app::{AppOptions, EmptyQueryResults};
use crate::up::UpOptions;

/// tds runs the TDS Spin application on this machine: the same spin.toml that real Spin
/// runs in production, served by a Spin-compatible host built on wasmtime, with a private
/// PostgreSQL when you do not give it one.
#[derive(Parser)]
#[command(name = "tds", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the application: HTTP routes on 127.0.0.1:3000, cron schedules, and a private
    /// PostgreSQL under .tds/ unless a database_url is given (SPIN_VARIABLE_DATABASE_URL or
    /// --variable database_url=...). Applies migrations first. Stop with Ctrl-C.
    Up(UpArgs),
    /// Apply pending database migrations to the database at --database-url and exit.
    Migrate {
        /// PostgreSQL URL, e.g. postgres://user:pass@db.example.com:5432/tds
        #[arg(long, env = "SPIN_VARIABLE_DATABASE_URL")]
        database_url: String,
    },
    /// Write a profile of the manifest for platforms that serve less than `spin up`: without
    /// cron triggers (SpinKube, Fermyon Cloud, Akamai Functions; a scheduler calls the
    /// /internal routes instead) and/or with allowed_outbound_hosts written out literally
    /// (platforms that take no {{ variable }} expressions there).
    Profile {
        #[arg(long, short = 'f', default_value = "spin.toml")]
        manifest: PathBuf,
        /// Remove every [[trigger.cron]].
        #[arg(long)]
        http_only: bool,
        /// Render the allowed_outbound_hosts expressions with the --variable values (a
        /// variable's default otherwise).
        #[arg(long)]
        literal_hosts: bool,
        /// How intake wakes the processors: chain (Spin's local service chaining, as the
        /// manifest says), self (a request to the app's own public origin, app_origin, for
        /// platforms that refuse chaining) or off (the cron triggers or a scheduler drain).
        #[arg(long, value_enum, default_value_t = Wake::Chain)]
        wake: Wake,
        /// A value for --literal-hosts: NAME=VALUE (e.g. database_host=db.example.com:5432).
        #[arg(long = "variable", value_name = "NAME=VALUE")]
        variables: Vec<String>,
        /// Write the profile here (beside the manifest, so component paths still resolve);
        /// standard output when omitted.
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
    },
    /// Write the lists of Zoho modules that files hold as text from the module registry
    /// (crates/tds-core/src/entity.rs): the processors' entity_types in spin.toml and
    /// spin.http-only.toml, and the module enums of the OpenAPI document. Prints the files
    /// it changed.
    Modules {
        /// The repository holding those files.
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Change nothing: name the stale files and fail when there are any.
        #[arg(long)]
        check: bool,
    },
    /// Build the components by running each [component.x.build] command of the manifest.
    Build {
        #[arg(long, short = 'f', default_value = "spin.toml")]
        manifest: PathBuf,
        /// Build only these components (by id); all when omitted.
        #[arg(long = "component-id", short = 'c')]
        components: Vec<String>,
    },
}

#[derive(Args)]
struct UpArgs {
    /// The application manifest.
    #[arg(long, short = 'f', default_value = "spin.toml")]
    manifest: PathBuf,
    /// Address to serve HTTP on.
    #[arg(long, default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
    /// Set an application variable: NAME=VALUE, NAME=@file, or @file.json / @file.toml.
    /// Wins over SPIN_VARIABLE_<NAME> and .env, as in Spin.
    #[arg(long = "variable", value_name = "NAME=VALUE")]
    variables: Vec<String>,
    /// Folder for the private PostgreSQL, generated local variables and the code cache
    /// (default: .tds beside the manifest).
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// Do not apply migrations before serving.
    #[arg(long)]
    skip_migrations: bool,
    /// Do not run the manifest's cron schedules: only HTTP requests invoke components (the
    /// processors then drain only through POST /internal/drain/<lane>, as benchmarks do).
    #[arg(long)]
    no_cron: bool,
    /// Stop a guest that runs longer than this many seconds.
    #[arg(long, default_value_t = 600)]
    max_execution_secs: u64,
    /// What a component's PostgreSQL query gets when its result has no rows. Spin 4.0.0,
    /// 4.0.1 and 4.0.2 never answer such a query (spinframework/spin#3671), so by default
    /// tds refuses it loudly (an error naming the defect and the statement); `return`
    /// answers the empty result, as Spin releases carrying the fix do.
    #[arg(long, value_enum, env = "TDS_EMPTY_QUERY_RESULTS", default_value_t = EmptyResults::Refuse)]
    empty_query_results: EmptyResults,
    /// How many component instances may run at once: wasmtime's pooling allocator reserves
    /// this many slots at start-up, and a request beyond them is answered 503 `host_busy`.
    #[arg(long, env = crate::engine::POOL_INSTANCES_VARIABLE, default_value_t = crate::engine::DEFAULT_POOL_INSTANCES,
          value_parser = clap::value_parser!(u32).range(1..))]
    instance_pool_size: u32,
}

/// `--empty-query-results`.
/// `tds profile --wake`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Wake {
    Chain,
    #[value(name = "self")]
    SelfRequest,
    Off,
}

impl From<Wake> for tds_manifest::profile::WakeProfile {
    fn from(wake: Wake) -> Self {
        match wake {
            Wake::Chain => Self::Chain,
            Wake::SelfRequest => Self::SelfRequest,
            Wake::Off => Self::Off,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum EmptyResults {
    Refuse,
    Return,
}

impl From<EmptyResults> for EmptyQueryResults {
    fn from(choice: EmptyResults) -> Self {
        match choice {
            EmptyResults::Refuse => EmptyQueryResults::Refuse,
            EmptyResults::Return => EmptyQueryResults::Return,
        }
    }
}

/// `TDS_LOG` when unset: info, but not PostgreSQL's notices (a `ROLLBACK` outside a
/// transaction gets one; the host answers the components' opening `ROLLBACK` itself when
/// no transaction can be open, but not when one may be), nor refinery's own line per
/// migration: `tds up` and `tds migrate` print one line for each migration they apply.
const DEFAULT_LOG_FILTER: &str = "info,tokio_postgres::connection=warn,refinery_core=warn";

/// Parses the process's arguments and runs the command they name.
pub async fn run() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TDS_LOG").unwrap_or_else(|_| DEFAULT_LOG_FILTER.into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match Cli::parse().command {
        Command::Up(args) => crate::up::run(up_options(args)?).await,
        Command::Migrate { database_url } => {
            let report = crate::migrate::migrate_url(&database_url).await?;
            if report.applied.is_empty() {
                eprintln!("tds: the database is up to date");
            }
            for name in report.applied {
                eprintln!("tds: applied migration {name}");
            }
            Ok(())
        }
        Command::Profile {
            manifest,
            http_only,
            literal_hosts,
            wake,
            variables,
            output,
        } => {
            let profile = crate::profile::profile(&manifest, http_only, literal_hosts, wake.into(), &variables)?;
            match output {
                Some(path) => std::fs::write(&path, profile)
                    .map_err(|e| anyhow::anyhow!("could not write {}: {e}", path.display())),
                None => {
                    print!("{profile}");
                    Ok(())
                }
            }
        }
        Command::Modules { root, check } => {
            let stale = crate::modules::run(&root, check)?;
            for path in &stale {
                eprintln!("tds: {} {}", if check { "stale:" } else { "wrote" }, path.display());
            }
            if check && !stale.is_empty() {
                anyhow::bail!("module lists are stale: run `tds modules`");
            }
            Ok(())
        }
        Command::Build { manifest, components } => crate::build_components::build_components(&manifest, &components),
    }
}

fn up_options(args: UpArgs) -> Result<UpOptions> {
    let manifest_dir = args
        .manifest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    let mut app = AppOptions::new(&args.manifest);
    app.variables = args.variables;
    app.max_execution_time = Duration::from_secs(args.max_execution_secs);
    app.empty_query_results = args.empty_query_results.into();
    app.pool_instances = args.instance_pool_size;
    Ok(UpOptions {
        app,
        listen: args.listen,
        state_dir: args.state_dir.unwrap_or_else(|| manifest_dir.join(".tds")),
        skip_migrations: args.skip_migrations,
        cron: !args.no_cron,
    })
}
