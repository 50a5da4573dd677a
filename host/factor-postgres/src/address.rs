//! A guest's connection string: parsed, and vetted against the component's
//! `allowed_outbound_hosts` before anything is dialled.

use std::net::IpAddr;

use tds_factor_outbound::AllowedHosts;
use tokio_postgres::config::{Config, Host};

use crate::errors;
use crate::postgres::Error;

/// The port tokio-postgres uses for host number `index` (5432 when none is given).
fn port(config: &Config, index: usize) -> u16 {
    let ports = config.get_ports();
    ports.get(index).or(ports.first()).copied().unwrap_or(5432)
}

/// Parses `address`, refusing Unix sockets and every host or `hostaddr` the
/// allow-list does not grant to scheme `postgres`.
pub(crate) fn vet(address: &str, allowed: &AllowedHosts) -> Result<Config, Error> {
    let config: Config = address.parse().map_err(|e| {
        Error::ConnectionFailed(format!(
            "invalid PostgreSQL address: {} (use \"host=… port=… user=… dbname=…\" \
             or a postgres:// URL)",
            errors::describe(&e)
        ))
    })?;
    for (index, host) in config.get_hosts().iter().enumerate() {
        match host {
            Host::Tcp(name) => ensure_allowed(allowed, name, port(&config, index))?,
            #[cfg(unix)]
            Host::Unix(_) => {
                return Err(Error::ConnectionFailed(
                    "Unix sockets are not supported on WebAssembly: reach the database \
                     over TCP (host=127.0.0.1) and allow it in allowed_outbound_hosts"
                        .to_string(),
                ))
            }
        }
    }
    for (index, address) in config.get_hostaddrs().iter().enumerate() {
        ensure_allowed(allowed, &address.to_string(), port(&config, index))?;
    }
    Ok(config)
}

fn ensure_allowed(allowed: &AllowedHosts, host: &str, port: u16) -> Result<(), Error> {
    if allowed.allows("postgres", host, Some(port)) {
        return Ok(());
    }
    let destination = match host.parse::<IpAddr>() {
        Ok(IpAddr::V6(_)) => format!("postgres://[{host}]:{port}"),
        _ => format!("postgres://{host}:{port}"),
    };
    Err(Error::ConnectionFailed(format!(
        "address {destination} is not permitted: add \"{destination}\" to this \
         component's allowed_outbound_hosts (it allows: {allowed})"
    )))
}
