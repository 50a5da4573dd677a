//! `tds build`: runs each component's `[component.x.build] command`, as `spin build` does.
//!
//! Commands run through `sh -c` in the component's `workdir` (relative to the manifest's
//! folder; the manifest's folder by default), one after another, stopping at the first
//! failure. A component without a build section is skipped.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context as _, Result};
use tds_manifest::Manifest;

/// Builds every component (or only `only` when given).
pub fn build_components(manifest_path: &Path, only: &[String]) -> Result<()> {
    let manifest = Manifest::from_file(manifest_path)
        .with_context(|| format!("could not load the manifest {}", manifest_path.display()))?;
    let base = manifest_path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    for (id, component) in &manifest.components {
        if !only.is_empty() && !only.contains(id) {
            continue;
        }
        let Some(build) = &component.build else {
            continue;
        };
        let workdir = build.workdir.as_ref().map(|w| base.join(w)).unwrap_or_else(|| base.to_path_buf());
        for command in &build.commands {
            eprintln!("tds build: {id}: {command}");
            let status = Command::new("sh")
                .arg("-c")
                .arg(command)
                .current_dir(&workdir)
                .status()
                .with_context(|| format!("could not run the build command of {id}"))?;
            if !status.success() {
                bail!("the build command of component {id} failed ({status}): {command}");
            }
        }
    }
    Ok(())
}
