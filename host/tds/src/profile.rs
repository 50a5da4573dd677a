//! `tds profile`: a profile of the application's manifest for platforms that run less than
//! `spin up` (see `tds_manifest::profile`), headed by the command that makes it, so that a
//! checked-in profile can be compared with what the command produces now.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context as _, Result};
use tds_manifest::profile::{derive, ProfileOptions, WakeProfile};

/// The profile of the manifest at `manifest`, headed by the `tds profile` command line that
/// makes it (`variables` are the `NAME=VALUE` pairs the hosts are rendered with).
pub fn profile(
    manifest: &Path,
    http_only: bool,
    literal_hosts: bool,
    wake: WakeProfile,
    variables: &[String],
) -> Result<String> {
    let text = std::fs::read_to_string(manifest)
        .with_context(|| format!("could not read the manifest {}", manifest.display()))?;
    let values = variables
        .iter()
        .map(|pair| {
            pair.split_once('=')
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .with_context(|| format!("--variable {pair:?} is not NAME=VALUE"))
        })
        .collect::<Result<BTreeMap<_, _>>>()?;
    let name = manifest.file_name().map_or_else(|| "spin.toml".into(), |n| n.to_string_lossy());
    let mut command = format!("tds profile --manifest {name}");
    if http_only {
        command.push_str(" --http-only");
    }
    match wake {
        WakeProfile::Chain => {}
        WakeProfile::SelfRequest => command.push_str(" --wake self"),
        WakeProfile::Off => command.push_str(" --wake off"),
    }
    if literal_hosts {
        command.push_str(" --literal-hosts");
        for (variable, value) in &values {
            command.push_str(&format!(" --variable {variable}={value}"));
        }
    }
    let heading = format!(
        "Generated from {name} by `{command}`.\nDo not edit: change {name} and run the command again."
    );
    let options = ProfileOptions {
        http_only,
        render_hosts: literal_hosts.then_some(values),
        wake,
    };
    Ok(derive(&text, &options, &heading)?)
}
