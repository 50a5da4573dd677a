//! Finding `initdb` and `postgres` on this machine.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::EmbeddedPostgresError;

/// The folder holding a PostgreSQL server installation's programs.
#[derive(Debug, Clone)]
pub struct PostgresBinaries {
    bin_dir: PathBuf,
}

impl PostgresBinaries {
    /// Finds the binaries: `TDS_POSTGRES_BIN_DIR`, `pg_config --bindir`, then usual paths.
    pub fn locate() -> Result<Self, EmbeddedPostgresError> {
        let from_env = std::env::var_os("TDS_POSTGRES_BIN_DIR").map(PathBuf::from);
        from_env
            .into_iter()
            .chain(pg_config_bindir())
            .chain(usual_bin_dirs())
            .find(|dir| is_server_bin_dir(dir))
            .map(|bin_dir| Self { bin_dir })
            .ok_or(EmbeddedPostgresError::BinariesNotFound)
    }

    /// The path of one program of the installation (`initdb`, `postgres`, `pg_ctl`).
    pub fn program(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }

    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }
}

fn is_server_bin_dir(dir: &Path) -> bool {
    dir.join("initdb").is_file() && dir.join("postgres").is_file()
}

fn pg_config_bindir() -> Option<PathBuf> {
    let output = Command::new("pg_config").arg("--bindir").output().ok()?;
    output
        .status
        .success()
        .then(|| PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()))
}

/// Debian's versioned folders (newest first), then source and Homebrew installs.
fn usual_bin_dirs() -> Vec<PathBuf> {
    let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    debian.sort_by_key(|b| std::cmp::Reverse(b.0));
    debian
        .into_iter()
        .map(|(_, dir)| dir)
        .chain(
            [
                "/usr/local/pgsql/bin",
                "/usr/local/bin",
                "/opt/homebrew/bin",
                "/usr/bin",
            ]
            .map(PathBuf::from),
        )
        .collect()
}
