//! Named connection settings (`targets:` in a catalogue) as the kinds read
//! them. The catalogue parses and validates them; the kinds only consume
//! them, so the type lives on the kinds' side of the layering.

use std::path::PathBuf;

use indexmap::IndexMap;
use serde::Deserialize;

/// Named connection settings a check refers to with `target: NAME`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Target {
    /// URL or DSN: `https://…`, `postgres://…`, `redis://…`, `tcp://host:port`,
    /// `unix:///var/run/docker.sock`.
    pub url: Option<String>,
    /// Host, for kinds that take host and port separately.
    pub host: Option<String>,
    /// Port, for kinds that take host and port separately.
    pub port: Option<u16>,
    /// A configuration file standing in for the live service (e.g. `redis/redis.conf`).
    pub path: Option<PathBuf>,
    /// A bearer or Vault token (secret).
    pub token: Option<String>,
    /// A user name.
    pub username: Option<String>,
    /// A password (secret).
    pub password: Option<String>,
    /// A PEM file of CA certificates to trust in addition to the system's.
    /// Empty means none, so a catalogue can write `ca_file: ${API_CA_FILE:-}`
    /// and still load when the variable is unset.
    #[serde(default, deserialize_with = "de_opt_nonempty_path")]
    pub ca_file: Option<PathBuf>,
    /// Turn TLS verification off. Always reported as a warning.
    #[serde(default)]
    pub insecure: bool,
    /// TLS mode for database targets (`disable`, `prefer`, `require`, `verify-ca`, `verify-full`).
    pub tls: Option<String>,
    /// Extra headers for HTTP targets.
    #[serde(default)]
    pub headers: IndexMap<String, String>,
    /// Free-form labels for kinds with their own needs (e.g. a compose project name).
    #[serde(default)]
    #[expect(
        dead_code,
        reason = "accepted in catalogues (the schema documents it); no kind reads one yet"
    )]
    pub labels: IndexMap<String, String>,
}

/// An optional path where an empty string (an unset `${VAR:-}`) is `None`.
fn de_opt_nonempty_path<'de, D>(d: D) -> Result<Option<PathBuf>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let s: Option<String> = Option::deserialize(d)?;
    Ok(s.filter(|s| !s.trim().is_empty()).map(PathBuf::from))
}
