//! `readyctl init [-f COMPOSE...]`: a starter catalogue from compose files.
//!
//! The project is read with the compose model ([`crate::compose`]), so the
//! services `init` sees are the ones docker compose would start: the
//! override file merged in, `extends` resolved, `${VAR}` interpolated from
//! `.env` and the environment, services of inactive profiles left out
//! (`COMPOSE_PROFILES` decides, as for `docker compose up`).
//!
//! Each service gets a role from its image and environment — PostgreSQL,
//! Redis, Vault/OpenBao, MinIO, nginx, a third-party tool (traefik, adminer,
//! …) or an application service — and the checks that fit it:
//! - files only: one `compose` lint over the files read; one `compose_env`
//!   per application service (against its pydantic settings class when its
//!   build context has one, else the keys it is given now must stay set);
//!   one `env_file` secret-strength check per env file read;
//! - live (tagged `live`, so `--skip-tag live` runs none of them): a `tcp`
//!   check per published port, and behind it a `postgres`, `redis`, `vault`,
//!   `http` (a healthcheck URL, MinIO's health endpoint) or `tls` check.
//!
//! Secrets are never copied: a target's password is written as the `${VAR}`
//! the compose file interpolates (or the env key itself), to be resolved from
//! the catalogue's `env_files` or the environment at run time.
//!
//! Never overwrites: the output is created with `create_new`. This module
//! proposes; the kinds judge.

use crate::cmd::out::{errln, out};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::cli::InitArgs;
use crate::compose::yaml::{Loc, Node};
use crate::exit;

/// Compose file names docker compose looks for (for the help text and the
/// "no compose file" message; discovery itself is [`crate::compose::discover`]).
pub(crate) const DEFAULT_COMPOSE: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];

/// What a service is, for the checks it gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// PostgreSQL (postgres, postgis, timescaledb images; POSTGRES_* env).
    Postgres,
    /// Redis or a compatible server (redis, valkey, keydb).
    Redis,
    /// HashiCorp Vault or OpenBao.
    Vault,
    /// MinIO object storage.
    Minio,
    /// nginx (or openresty) in front of the application.
    Nginx,
    /// A third-party tool with no check kind of its own (a proxy, an admin
    /// UI, a mail catcher, a column store): reachability only.
    Tool,
    /// Anything else: an application service.
    App,
}

impl Role {
    fn tag(self) -> &'static str {
        match self {
            Role::Postgres => "postgres",
            Role::Redis => "redis",
            Role::Vault => "vault",
            Role::Minio => "minio",
            Role::Nginx => "nginx",
            Role::Tool => "tool",
            Role::App => "app",
        }
    }

    fn scheme(self) -> &'static str {
        match self {
            Role::Postgres => "postgres",
            Role::Redis => "redis",
            _ => "http",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Role::Postgres => "PostgreSQL",
            Role::Redis => "Redis",
            Role::Vault => "Vault/OpenBao",
            Role::Minio => "MinIO",
            Role::Nginx => "nginx",
            Role::Tool => "tool",
            Role::App => "application",
        }
    }
}

/// Images of well-known third-party tools: not the operator's application,
/// so no `compose_env` check (their settings are not in the project).
const TOOLS: &[&str] = &[
    "traefik",
    "caddy",
    "haproxy",
    "envoy",
    "adminer",
    "pgadmin",
    "pgadmin4",
    "mailcatcher",
    "mailhog",
    "mailpit",
    "clickhouse",
    "clickhouse-server",
    "elasticsearch",
    "opensearch",
    "rabbitmq",
    "kafka",
    "zookeeper",
    "memcached",
    "mongo",
    "mysql",
    "mariadb",
    "grafana",
    "prometheus",
    "loki",
    "jaeger",
    "postgres-backup-local",
    "watchtower",
    "portainer",
    "flower",
    "opentelemetry-collector",
    "otel",
];

/// Recognises a service by image name, then — for services that are not
/// built from the project's source (`build:` means an application, which
/// typically carries `POSTGRES_*` client settings too) — by environment keys.
pub(crate) fn role_of(image: &str, env_keys: &[String], built: bool) -> Role {
    let name = image
        .rsplit('/')
        .next()
        .unwrap_or(image)
        .split([':', '@'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let full = image.to_ascii_lowercase();
    let has = |p: &str| env_keys.iter().any(|k| k.starts_with(p));
    if built {
        return Role::App;
    }
    let segments: Vec<&str> = full.split(['/', ':', '@']).collect();
    if TOOLS.contains(&name.as_str())
        || segments
            .iter()
            .any(|seg| TOOLS.iter().any(|t| seg.starts_with(t) && t.len() >= 5))
    {
        Role::Tool
    } else if name.contains("postgres") || name.contains("postgis") || name.contains("timescale") {
        Role::Postgres
    } else if name.contains("redis") || name.contains("valkey") || name.contains("keydb") {
        Role::Redis
    } else if name == "vault" || name.contains("openbao") || full.contains("hashicorp/vault") {
        Role::Vault
    } else if name.contains("minio") {
        Role::Minio
    } else if name.contains("nginx") || name.contains("openresty") {
        Role::Nginx
    } else if has("POSTGRES_") && !has("POSTGRES_SERVER") && !has("POSTGRES_HOST") {
        Role::Postgres
    } else if has("VAULT_DEV_") || has("BAO_DEV_") {
        Role::Vault
    } else if has("MINIO_ROOT_") {
        Role::Minio
    } else {
        Role::App
    }
}

/// A published port: where to reach it from the host, and the container
/// port behind it (to match healthcheck URLs and well-known ports).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Port {
    /// Host address to dial (`0.0.0.0` and `::` become `127.0.0.1`).
    pub host: String,
    /// Host port.
    pub port: u16,
    /// Container port (0: unknown).
    pub container: u16,
}

/// The URL scheme to reach a role on a published port: https on the usual
/// TLS ports, whatever the role.
fn scheme_for(role: Role, p: &Port) -> &'static str {
    match (role, p.port, p.container) {
        (Role::Postgres | Role::Redis, _, _) => role.scheme(),
        (_, 443 | 8443 | 9443, _) | (_, _, 443 | 8443) => "https",
        _ => role.scheme(),
    }
}

/// Published ports of one compose `ports:` entry (already interpolated).
/// Container-only entries (`"5432"`) publish on a random port and give nothing.
fn published(entry: &Value) -> Vec<Port> {
    let localize = |ip: &str| match ip {
        "" | "0.0.0.0" | "::" | "[::]" => "127.0.0.1".to_string(),
        other => other.trim_matches(['[', ']']).to_string(),
    };
    let num = |v: Option<&Value>| match v {
        Some(Value::Number(n)) => n.as_u64().and_then(|p| u16::try_from(p).ok()),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    };
    match entry {
        Value::Object(m) => {
            let ip = m.get("host_ip").and_then(Value::as_str).unwrap_or("");
            match num(m.get("published")) {
                Some(port) => vec![Port {
                    host: localize(ip),
                    port,
                    container: num(m.get("target")).unwrap_or(0),
                }],
                None => Vec::new(),
            }
        }
        Value::String(_) | Value::Number(_) => {
            let raw = match entry {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let s = raw.split('/').next().unwrap_or("");
            // ip:host:container, host:container, or container alone.
            let parts: Vec<&str> = s.rsplitn(3, ':').collect();
            let (ip, host, container) = match parts.as_slice() {
                [container, host, ip] => (*ip, *host, *container),
                [container, host] => ("", *host, *container),
                _ => return Vec::new(),
            };
            let range = |r: &str| -> Vec<u16> {
                match r.split_once('-') {
                    Some((a, b)) => match (a.parse::<u16>(), b.parse::<u16>()) {
                        (Ok(a), Ok(b)) if a <= b && b - a < 16 => (a..=b).collect(),
                        _ => Vec::new(),
                    },
                    None => r.parse().ok().into_iter().collect(),
                }
            };
            let hosts = range(host);
            let containers = range(container);
            hosts
                .iter()
                .enumerate()
                .map(|(i, p)| Port {
                    host: localize(ip),
                    port: *p,
                    container: containers.get(i).copied().unwrap_or(0),
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

/// One environment entry of a service, after compose resolved it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EnvVal {
    /// The value (empty when unset).
    pub value: String,
    /// Where it was written (a compose line, or an env file line).
    pub loc: Loc,
    /// The variable the compose file interpolated here, if any, and whether
    /// that reference gave a default of its own.
    pub var: Option<(String, bool)>,
}

/// One service as far as `init` cares.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Service {
    /// The compose service name.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// The image, as interpolated.
    pub image: String,
    /// Published ports.
    pub ports: Vec<Port>,
    /// Env files it reads, relative to the root.
    pub env_files: Vec<String>,
    /// Its environment, env files included.
    pub env: Vec<(String, EnvVal)>,
    /// `command` (and `entrypoint`) words joined by spaces.
    pub command: String,
    /// Variables the compose file interpolated into `command`.
    pub command_vars: Vec<String>,
    /// The container port and path of an HTTP healthcheck (`curl … http://localhost:8000/health`).
    pub health: Option<(u16, String)>,
    /// A pydantic-settings class found in its build context: `path.py:Class`, relative to the root.
    pub settings: Option<String>,
    /// Keys only an env file gives it that the compose files interpolate
    /// elsewhere (`DOCKER_IMAGE_BACKEND` in `image:`): compose's variables,
    /// passed along because `env_file:` sends the whole file, not the app's.
    pub compose_vars: Vec<String>,
    /// Keys it is given that its Python code reads with `os.getenv`/`os.environ`
    /// (outside the settings class).
    pub code_reads: Vec<String>,
}

impl Service {
    fn env(&self, key: &str) -> Option<&EnvVal> {
        self.env.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

fn words(n: Option<&Node>) -> String {
    match n {
        Some(n) => match n.as_seq() {
            Some(items) => items
                .iter()
                .filter_map(Node::scalar_text)
                .collect::<Vec<_>>()
                .join(" "),
            None => n.scalar_text().unwrap_or_default(),
        },
        None => String::new(),
    }
}

/// `http://localhost:8000/api/health` in a healthcheck test → (8000, "/api/health").
fn health_url(test: &str) -> Option<(u16, String)> {
    let re = regex::Regex::new(
        r"https?://(?:localhost|127\.0\.0\.1|0\.0\.0\.0)(?::(\d+))?(/[^\s'\x22|;&]*)?",
    )
    .ok()?;
    let c = re.captures(test)?;
    let port = match c.get(1) {
        Some(p) => p.as_str().parse().ok()?,
        None => 80,
    };
    let path = c.get(2).map_or("/", |m| m.as_str()).to_string();
    Some((port, path))
}

/// A `class X(BaseSettings)` in the build context (depth-limited, skipping
/// virtualenvs, node_modules and tests), `settings.py`/`config.py` first; and
/// every name the Python code reads itself (`os.getenv("X")`,
/// `os.environ["X"]`), which the settings class does not list but the
/// application does read.
fn find_settings(context: &Path, root: &Path) -> (Option<String>, Vec<String>) {
    let (Ok(re), Ok(getenv)) = (
        regex::Regex::new(r"(?m)^class\s+(\w+)\s*\(\s*(?:pydantic_settings\.)?BaseSettings\s*\)"),
        regex::Regex::new(
            r#"os\.(?:getenv|environ\.get)\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']|os\.environ\[\s*["']([A-Za-z_][A-Za-z0-9_]*)["']\s*\]"#,
        ),
    ) else {
        return (None, Vec::new());
    };
    let mut reads = std::collections::BTreeSet::new();
    let mut found: Vec<(u8, PathBuf, String)> = Vec::new();
    let walk = ignore::WalkBuilder::new(context)
        .max_depth(Some(6))
        .hidden(true)
        .filter_entry(|e| {
            let n = e.file_name().to_string_lossy();
            !matches!(
                n.as_ref(),
                "node_modules"
                    | ".venv"
                    | "venv"
                    | "__pycache__"
                    | "tests"
                    | "test"
                    | "migrations"
                    | "alembic"
            )
        })
        .build();
    for e in walk.flatten().take(20_000) {
        let p = e.path();
        if p.extension().is_none_or(|x| x != "py")
            || e.metadata().map_or(true, |m| m.len() > 512 * 1024)
        {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(p) else {
            continue;
        };
        for c in getenv.captures_iter(&text) {
            if let Some(m) = c.get(1).or_else(|| c.get(2)) {
                reads.insert(m.as_str().to_string());
            }
        }
        let classes: Vec<String> = re.captures_iter(&text).map(|c| c[1].to_string()).collect();
        if classes.is_empty() {
            continue;
        }
        let class = classes
            .iter()
            .find(|c| *c == "Settings")
            .unwrap_or(&classes[classes.len() - 1])
            .clone();
        let stem = p
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let rank = match stem.as_str() {
            "settings" | "config" => 0,
            _ => 1,
        };
        found.push((rank, p.to_path_buf(), class));
    }
    found.sort();
    let reads = reads.into_iter().collect();
    let Some((_, path, class)) = found.into_iter().next() else {
        return (None, reads);
    };
    let rel = path.strip_prefix(root).unwrap_or(&path);
    (Some(format!("{}:{class}", rel.display())), reads)
}

/// Reads the services of a loaded project.
pub(crate) fn services(p: &crate::compose::Project, root: &Path) -> Vec<Service> {
    let root_abs =
        crate::compose::normalize(&std::path::absolute(root).unwrap_or(root.to_path_buf()));
    let rel = |path: &Path| -> String {
        path.strip_prefix(&root_abs)
            .map(|r| r.display().to_string())
            .unwrap_or_else(|_| path.display().to_string())
    };
    p.services()
        .map(|(name, svc)| {
            let image = svc
                .get("image")
                .and_then(Node::scalar_text)
                .unwrap_or_default();
            let mut env: Vec<(String, EnvVal)> = Vec::new();
            if let Some(m) = svc.get("environment").and_then(Node::as_map) {
                for (k, v) in m {
                    if matches!(v.value, crate::compose::yaml::Value::Null) {
                        continue;
                    }
                    let var = p
                        .var_uses
                        .iter()
                        .find(|(l, _)| l.file == v.loc.file && l.line == v.loc.line)
                        .map(|(_, u)| (u.name.clone(), u.has_default()));
                    env.push((
                        k.clone(),
                        EnvVal {
                            value: v.scalar_text().unwrap_or_default(),
                            loc: v.loc.clone(),
                            var,
                        },
                    ));
                }
            }
            let env_files: Vec<String> = svc
                .get("env_file")
                .and_then(Node::as_seq)
                .unwrap_or(&[])
                .iter()
                .filter_map(|n| {
                    let written = n
                        .scalar_text()
                        .or_else(|| n.get("path").and_then(Node::scalar_text))?;
                    Some(rel(&p.resolve(&written, &n.loc)))
                })
                .collect();
            let ports: Vec<Port> = svc
                .get("ports")
                .and_then(Node::as_seq)
                .unwrap_or(&[])
                .iter()
                .flat_map(|n| published(&n.to_json()))
                .collect();
            let command = format!(
                "{} {}",
                words(svc.get("entrypoint")),
                words(svc.get("command"))
            )
            .trim()
            .to_string();
            let mut command_vars = Vec::new();
            if let Some(c) = svc.get("command") {
                let nodes: Vec<&Node> = match c.as_seq() {
                    Some(items) => items.iter().collect(),
                    None => vec![c],
                };
                for n in nodes {
                    command_vars.extend(
                        p.var_uses
                            .iter()
                            .filter(|(l, _)| *l == n.loc)
                            .map(|(_, u)| u.name.clone()),
                    );
                }
            }
            let health = svc
                .get("healthcheck")
                .and_then(|h| h.get("test"))
                .map(|t| words(Some(t)))
                .and_then(|t| health_url(&t));
            let build = svc.get("build");
            let (settings, code_reads) = build
                .and_then(|b| {
                    let (written, loc) = match b.get("context") {
                        Some(c) => (c.scalar_text()?, c.loc.clone()),
                        None => (b.scalar_text()?, b.loc.clone()),
                    };
                    let ctx = p.resolve(&written, &loc);
                    Some(find_settings(&ctx, &root_abs))
                })
                .unwrap_or_default();
            let code_reads: Vec<String> = env
                .iter()
                .map(|(k, _)| k.clone())
                .filter(|k| code_reads.contains(k))
                .collect();
            let keys: Vec<String> = env.iter().map(|(k, _)| k.clone()).collect();
            let compose_vars = env
                .iter()
                .filter(|(k, v)| {
                    !p.sources.contains_key(&v.loc.file)
                        && p.var_uses
                            .iter()
                            .any(|(l, u)| u.name == *k && p.sources.contains_key(&l.file))
                })
                .map(|(k, _)| k.clone())
                .collect();
            Service {
                code_reads,
                compose_vars,
                role: role_of(&image, &keys, build.is_some()),
                name: name.clone(),
                image,
                ports,
                env_files,
                env,
                command,
                command_vars,
                health,
                settings,
            }
        })
        .collect()
}

fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn slug(s: &str) -> String {
    let mut out: String = s
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    while out.contains("--") {
        out = out.replace("--", "-");
    }
    let out = out.trim_matches('-').to_string();
    if out.is_empty() { "x".into() } else { out }
}

/// `>=16` for `postgres:16-alpine`, `>=7` for `redis:7.2`; none for `latest`.
fn version_of(image: &str) -> Option<String> {
    let tag = image.split('@').next()?.rsplit_once(':')?.1;
    let major: String = tag.chars().take_while(char::is_ascii_digit).collect();
    (!major.is_empty()).then(|| format!(">={major}"))
}

/// What the catalogue knows about variables: the env files it lists.
struct Vars {
    defined: BTreeMap<String, String>,
}

impl Vars {
    /// A `${NAME}` the catalogue can resolve, or `${NAME:-}` (resolved from
    /// the environment at run time, empty otherwise) when no env file sets it.
    fn placeholder(&self, name: &str) -> String {
        if self.defined.contains_key(name) {
            format!("${{{name}}}")
        } else {
            format!("${{{name}:-}}")
        }
    }

    /// The reference for service `s`'s `key`: the variable the compose file
    /// interpolated there, else the key itself (set in an env file, or to be
    /// exported); never the value.
    fn secret(&self, s: &Service, key: &str) -> Option<String> {
        let v = s.env(key)?;
        Some(match &v.var {
            Some((name, _)) => self.placeholder(name),
            None => self.placeholder(key),
        })
    }
}

/// Percent-encodes a URL user name (secrets stay `${VAR}`, resolved later).
fn userinfo(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-._~".contains(c) {
                c.to_string()
            } else {
                format!("%{:02X}", c as u32)
            }
        })
        .collect()
}

/// Everything `render` needs.
pub(crate) struct Input<'a> {
    /// Active services.
    pub services: &'a [Service],
    /// Services left out by inactive profiles, with their profiles.
    pub inactive: &'a [(String, Vec<String>)],
    /// The compose files given or found (`-f` order), relative to the root.
    pub files: &'a [String],
    /// Files read only through `extends`.
    pub extended: &'a [String],
    /// The project's `.env` (interpolation), if it exists, relative to the root.
    pub dot_env: Option<&'a str>,
    /// The active profiles.
    pub profiles: &'a [String],
    /// The deployment root.
    pub root: &'a Path,
}

/// The catalogue text.
pub(crate) fn render(i: &Input<'_>) -> String {
    let root = i.root;
    let mut out = String::new();
    out.push_str("# yaml-language-server: $schema=readyctl.schema.json\n# (write the schema with: readyctl schema > readyctl.schema.json)\n");
    let mut from = i.files.join(", ");
    if !i.extended.is_empty() {
        from.push_str(&format!(" (extends: {})", i.extended.join(", ")));
    }
    out.push_str(&format!(
        "# Starter catalogue written by `readyctl init` from {from}.\n# Review it: adjust severities, add the checks your checklist needs\n# (`readyctl kinds`, `readyctl explain KIND`), then run `readyctl check`.\n# Files only: readyctl check --skip-tag live\n"
    ));
    if !i.profiles.is_empty() {
        out.push_str(&format!(
            "# Profiles active (COMPOSE_PROFILES): {}\n",
            i.profiles.join(", ")
        ));
    }
    for (name, profiles) in i.inactive {
        out.push_str(&format!(
            "# `{name}` starts only with --profile {}: not checked (run init with COMPOSE_PROFILES={} to include it).\n",
            profiles.join("/"),
            profiles.first().map(String::as_str).unwrap_or("")
        ));
    }
    out.push_str("version: 1\n");
    let mut env_files: Vec<&str> = Vec::new();
    if let Some(d) = i.dot_env {
        env_files.push(d);
    }
    for s in i.services {
        for f in &s.env_files {
            if !env_files.contains(&f.as_str()) && root.join(f).is_file() {
                env_files.push(f);
            }
        }
    }
    let mut vars = Vars {
        defined: BTreeMap::new(),
    };
    for f in &env_files {
        if let Ok(ef) = crate::domain::envfile::EnvFile::read(&root.join(f)) {
            for e in ef.entries {
                vars.defined.insert(e.key, e.value);
            }
        }
    }
    if !env_files.is_empty() {
        out.push_str(
            "# Variables (`${VAR}` below) are read from these files, then the environment.\n",
        );
        out.push_str(&format!(
            "env_files: [{}]\n",
            env_files
                .iter()
                .map(|f| q(f))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let mut targets = String::new();
    let mut checks = String::new();
    let files_list = i.files.iter().map(|f| q(f)).collect::<Vec<_>>().join(", ");

    // Files: the compose files as docker compose reads them.
    if !i.files.is_empty() {
        checks.push_str(&format!(
            "  - id: compose.lint\n    kind: compose\n    title: {}\n    severity: high\n    tags: [compose]\n    files: [{files_list}]\n    remediation: {}\n",
            q("The compose files are complete (paths, Dockerfiles, variables, images, ports)"),
            q("Fix each finding; `readyctl compose config -f …` shows the merged model."),
        ));
    }
    // Files: each application service's environment.
    for s in i.services.iter().filter(|s| s.role == Role::App) {
        let sid = slug(&s.name);
        let mut c = format!(
            "  - id: compose.env-{sid}\n    kind: compose_env\n    title: {}\n    severity: high\n    tags: [compose, app]\n    files: [{files_list}]\n    service: {}\n",
            q(&format!(
                "`{}` gets the environment its settings need",
                s.name
            )),
            q(&s.name),
        );
        match &s.settings {
            Some(spec) => {
                c.push_str(&format!("    settings: {}\n", q(spec)));
                if !s.code_reads.is_empty() {
                    c.push_str("    # Read by the application's code with os.getenv, outside the settings class:\n");
                    c.push_str(&format!(
                        "    allowed: [{}]\n",
                        s.code_reads
                            .iter()
                            .map(|k| q(k))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                if !s.compose_vars.is_empty() {
                    c.push_str("    # The env file's variables that only the compose files use:\n");
                    c.push_str(&format!(
                        "    ignore: [{}]\n",
                        s.compose_vars
                            .iter()
                            .map(|k| q(k))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
            }
            None => {
                // No settings class to compare with: what the service is given
                // now must stay set, and what the operator supplies through a
                // `${VAR}` without a default must not be empty.
                // Keys whose `${VAR:-default}` supplies a value of its own
                // cannot go missing while the compose file stays as it is.
                let keys: Vec<String> = s
                    .env
                    .iter()
                    .filter(|(_, v)| !matches!(v.var, Some((_, true))))
                    .map(|(k, _)| q(k))
                    .collect();
                if keys.is_empty() {
                    continue;
                }
                c.push_str("    # No pydantic settings class found in its build context: give\n    # `settings: path.py:Class` or `allowed:` to catch keys the app does not read.\n");
                c.push_str(&format!("    required: [{}]\n", keys.join(", ")));
                let operator: Vec<&str> = s
                    .env
                    .iter()
                    .filter(|(_, v)| matches!(v.var, Some((_, false))))
                    .map(|(k, _)| k.as_str())
                    .collect();
                if !operator.is_empty() {
                    c.push_str("    values:\n");
                    for k in operator {
                        c.push_str(&format!("      {}: {{matches: '\\S'}}\n", q(k)));
                    }
                }
            }
        }
        c.push_str(&format!(
            "    remediation: {}\n",
            q("Set each missing key in the service's environment or env file; rename keys the settings do not read.")
        ));
        checks.push_str(&c);
    }
    // Files: secret strength in every env file read.
    for f in &env_files {
        let id = format!("env.{}", slug(f));
        checks.push_str(&format!(
            "  - id: {id}\n    kind: env_file\n    title: {}\n    severity: critical\n    tags: [security, env]\n    path: {}\n    secrets:\n      min_length: 16\n    remediation: {}\n",
            q(&format!("{f} holds generated secrets, not placeholders")),
            q(f),
            q("Generate each secret, e.g. python3 -c \"import secrets; print(secrets.token_urlsafe(32))\""),
        ));
    }

    // Live: what answers on the published ports.
    for s in i.services {
        let sid = slug(&s.name);
        if s.ports.is_empty() {
            if matches!(
                s.role,
                Role::Postgres | Role::Redis | Role::Vault | Role::Minio
            ) {
                checks.push_str(&format!(
                    "  # `{}` ({}) publishes no port: its live checks need one, or a run inside the compose network.\n",
                    s.name,
                    s.role.label()
                ));
            }
            continue;
        }
        for (n, p) in s.ports.iter().enumerate() {
            let tname = if n == 0 {
                sid.clone()
            } else {
                format!("{sid}-{}", p.port)
            };
            let host_in_url = if p.host.contains(':') {
                format!("[{}]", p.host)
            } else {
                p.host.clone()
            };
            let scheme = scheme_for(s.role, p);
            let base = format!("{scheme}://{host_in_url}:{}", p.port);
            let port_id = if n == 0 {
                format!("{sid}.port")
            } else {
                format!("{sid}.port-{}", p.port)
            };
            let mut target = format!("  {tname}:\n");
            let deep_first = n == 0;
            match s.role {
                Role::Postgres if deep_first => {
                    let user = s
                        .env("POSTGRES_USER")
                        .map(|v| v.value.clone())
                        .filter(|u| !u.is_empty())
                        .unwrap_or_else(|| "postgres".into());
                    let db = s
                        .env("POSTGRES_DB")
                        .map(|v| v.value.clone())
                        .filter(|d| !d.is_empty())
                        .unwrap_or_else(|| user.clone());
                    let pw = vars
                        .secret(s, "POSTGRES_PASSWORD")
                        .unwrap_or_else(|| vars.placeholder("POSTGRES_PASSWORD"));
                    target.push_str(&format!(
                        "    url: {}\n",
                        q(&format!(
                            "postgres://{}:{pw}@{host_in_url}:{}/{}",
                            userinfo(&user),
                            p.port,
                            userinfo(&db)
                        ))
                    ));
                }
                Role::Redis if deep_first => {
                    let pw = redis_password(s, &vars);
                    let auth = pw
                        .as_ref()
                        .map(|p| format!("default:{p}@"))
                        .unwrap_or_default();
                    target.push_str(&format!(
                        "    url: {}\n",
                        q(&format!("redis://{auth}{host_in_url}:{}", p.port))
                    ));
                }
                Role::Vault if deep_first => {
                    target.push_str(&format!(
                        "    url: {}\n    token: {}\n",
                        q(&base),
                        q(&vars.placeholder("VAULT_TOKEN"))
                    ));
                }
                _ => target.push_str(&format!("    url: {}\n", q(&base))),
            }
            target.push_str(&format!("    host: {}\n    port: {}\n", q(&p.host), p.port));
            targets.push_str(&target);
            checks.push_str(&format!(
                "  - id: {port_id}\n    kind: tcp\n    title: {}\n    severity: high\n    tags: [{}, network, live]\n    target: {tname}\n    timeout: 3s\n    remediation: {}\n",
                q(&format!("{} service `{}` answers on {}:{}", s.role.label(), s.name, p.host, p.port)),
                s.role.tag(),
                q(&format!("Start `{}` (docker compose up -d {}) and check its published port.", s.name, s.name)),
            ));
            let head = |id: &str, kind: &str, title: String| {
                format!(
                    "  - id: {sid}.{id}\n    kind: {kind}\n    title: {}\n    severity: high\n    tags: [{}, live]\n    depends_on: [{port_id}]\n    target: {tname}\n",
                    q(&title),
                    s.role.tag()
                )
            };
            match s.role {
                Role::Postgres if deep_first => {
                    let mut c = head(
                        "server",
                        "postgres",
                        format!("PostgreSQL `{}` accepts the application's login", s.name),
                    );
                    if let Some(v) = version_of(&s.image) {
                        c.push_str(&format!("    version: {}\n", q(&v)));
                    }
                    checks.push_str(&c);
                }
                Role::Redis if deep_first => {
                    let mut c = head(
                        "server",
                        "redis",
                        format!("Redis `{}` runs and refuses anonymous clients", s.name),
                    );
                    if let Some(v) = version_of(&s.image) {
                        c.push_str(&format!("    version: {}\n", q(&v)));
                    }
                    c.push_str(&format!(
                        "    auth_required: {}\n",
                        redis_password(s, &vars).is_some()
                    ));
                    checks.push_str(&c);
                }
                Role::Vault if deep_first => {
                    checks.push_str(&head(
                        "unsealed",
                        "vault",
                        format!("Vault `{}` is initialised and unsealed", s.name),
                    ));
                }
                Role::Minio if p.container == 9000 || (n == 0 && p.container == 0) => {
                    let mut c = head(
                        "health",
                        "http",
                        format!("MinIO `{}` reports itself live", s.name),
                    );
                    c.push_str("    url: /minio/health/live\n    expect: {status: 200}\n");
                    checks.push_str(&c);
                }
                _ if scheme == "https" => {
                    let mut c = head(
                        "tls",
                        "tls",
                        format!("`{}` presents a valid certificate on {}", s.name, p.port),
                    );
                    c.push_str("    # server_name: the public host name the certificate is for\n    min_days: 14\n");
                    checks.push_str(&c);
                }
                _ => {
                    if let Some((cport, path)) = &s.health
                        && (*cport == p.container || s.ports.len() == 1 && p.container == 0)
                    {
                        let mut c = head(
                            "health",
                            "http",
                            format!("`{}` answers its healthcheck {path}", s.name),
                        );
                        c.push_str(&format!(
                            "    url: {}\n    expect: {{status: 2xx}}\n",
                            q(path)
                        ));
                        checks.push_str(&c);
                    }
                }
            }
        }
    }
    if !targets.is_empty() {
        out.push_str("targets:\n");
        out.push_str(&targets);
    }
    out.push_str("checks:\n");
    if checks.is_empty() {
        out.push_str("  []\n");
    } else {
        out.push_str(&checks);
    }
    out
}

/// The Redis password reference: `--requirepass ${VAR}` in the command, or a
/// `REDIS_PASSWORD` in its environment.
fn redis_password(s: &Service, vars: &Vars) -> Option<String> {
    if let Some(v) = s.env("REDIS_PASSWORD").filter(|v| !v.value.is_empty()) {
        let _ = v;
        return vars.secret(s, "REDIS_PASSWORD");
    }
    if s.command.contains("requirepass") {
        // The variable the command interpolates (`--requirepass ${REDIS_AUTH}`);
        // a literal password is not copied: the operator exports REDIS_PASSWORD.
        let name = s
            .command_vars
            .iter()
            .find(|v| v.contains("PASS") || v.contains("AUTH"))
            .cloned()
            .unwrap_or_else(|| "REDIS_PASSWORD".into());
        return Some(vars.placeholder(&name));
    }
    None
}

fn rel_to(root_abs: &Path, p: &Path) -> String {
    p.strip_prefix(root_abs)
        .map(|r| r.display().to_string())
        .unwrap_or_else(|_| p.display().to_string())
}

/// Runs `init`.
pub(crate) fn main(args: &InitArgs) -> u8 {
    let root_abs = crate::compose::normalize(
        &std::path::absolute(&args.root).unwrap_or_else(|_| args.root.clone()),
    );
    // Relative names are read under --root, as the help says; a path that
    // exists as given (relative to the current directory) is taken as is.
    let files: Vec<PathBuf> = args
        .files
        .iter()
        .map(|f| {
            if f.is_relative() && !f.exists() {
                root_abs.join(f)
            } else {
                f.clone()
            }
        })
        .collect();
    if files.is_empty() && !DEFAULT_COMPOSE.iter().any(|f| root_abs.join(f).is_file()) {
        errln!(
            "error: no compose file found under {}\n  = help: pass -f docker-compose.yml (repeatable)",
            args.root.display()
        );
        return exit::USAGE;
    }
    let opts = crate::compose::LoadOptions {
        files,
        workdir: Some(root_abs.clone()),
        process_env: true,
        display_base: Some(root_abs.clone()),
        ..Default::default()
    };
    let project = match crate::compose::load(&opts) {
        Ok(p) => p,
        Err(d) => {
            errln!("{}", d.render(false).trim_end());
            return exit::USAGE;
        }
    };
    // Which services only a profile starts: load once more with every profile.
    let inactive: Vec<(String, Vec<String>)> = if project.all_profiles.is_empty() {
        Vec::new()
    } else {
        let all = crate::compose::LoadOptions {
            profiles: project.all_profiles.clone(),
            ..opts.clone()
        };
        match crate::compose::load(&all) {
            Ok(full) => full
                .services()
                .filter(|(n, _)| project.service(n).is_none())
                .map(|(n, svc)| {
                    let profiles = svc
                        .get("profiles")
                        .and_then(Node::as_seq)
                        .unwrap_or(&[])
                        .iter()
                        .filter_map(Node::scalar_text)
                        .collect();
                    (n.clone(), profiles)
                })
                .collect(),
            Err(_) => Vec::new(),
        }
    };
    let mut given: Vec<String> = Vec::new();
    let mut extended: Vec<String> = Vec::new();
    for (shown, path) in &project.sources {
        let r = rel_to(&root_abs, path);
        if project.extended_files.contains(shown) {
            extended.push(r);
        } else {
            given.push(r);
        }
    }
    let dot_env_path = project.project_dir.join(".env");
    let dot_env = dot_env_path
        .is_file()
        .then(|| rel_to(&root_abs, &dot_env_path));
    let svcs = services(&project, &root_abs);
    let text = render(&Input {
        services: &svcs,
        inactive: &inactive,
        files: &given,
        extended: &extended,
        dot_env: dot_env.as_deref(),
        profiles: &project.profiles,
        root: &root_abs,
    });
    if args.stdout {
        out!("{text}");
        return exit::OK;
    }
    let out = args.root.join(&args.output);
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&out)
        .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()));
    match written {
        Ok(()) => {
            let roles: Vec<String> = svcs
                .iter()
                .map(|s| format!("{} ({})", s.name, s.role.tag()))
                .collect();
            errln!(
                "readyctl: wrote {} for {}\n  next: readyctl validate --catalog {} --root {}\n        readyctl check --skip-tag live --catalog {} --root {}",
                out.display(),
                roles.join(", "),
                out.display(),
                args.root.display(),
                out.display(),
                args.root.display()
            );
            exit::OK
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            errln!(
                "error: {} already exists; readyctl init never overwrites\n  = help: pass -o OTHER.yml, or --stdout",
                out.display()
            );
            exit::USAGE
        }
        Err(e) => {
            errln!("error: cannot write {}: {e}", out.display());
            exit::USAGE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_roles_by_image_and_env() {
        assert_eq!(role_of("postgres:15-alpine", &[], false), Role::Postgres);
        assert_eq!(
            role_of("docker.io/bitnami/redis:7", &[], false),
            Role::Redis
        );
        assert_eq!(role_of("openbao/openbao:2.0", &[], false), Role::Vault);
        assert_eq!(role_of("hashicorp/vault", &[], false), Role::Vault);
        assert_eq!(role_of("minio/minio:latest", &[], false), Role::Minio);
        assert_eq!(role_of("nginx:1.25", &[], false), Role::Nginx);
        assert_eq!(role_of("traefik:3.6", &[], false), Role::Tool);
        assert_eq!(
            role_of("docker.io/clickhouse/clickhouse-server", &[], false),
            Role::Tool
        );
        assert_eq!(
            role_of("corp/db", &["POSTGRES_DB".into()], false),
            Role::Postgres
        );
        // An application that carries PostgreSQL client settings is an app.
        assert_eq!(
            role_of(
                "corp/api",
                &["POSTGRES_SERVER".into(), "POSTGRES_DB".into()],
                false
            ),
            Role::App
        );
        assert_eq!(role_of("", &["POSTGRES_PASSWORD".into()], true), Role::App);
        assert_eq!(role_of("acme/api:1.2", &[], false), Role::App);
    }

    #[test]
    fn reads_published_ports_in_every_syntax() {
        let p = |v: Value| {
            published(&v)
                .into_iter()
                .map(|p| (p.host, p.port, p.container))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            p(Value::from("5432:5432")),
            vec![("127.0.0.1".into(), 5432, 5432)]
        );
        assert_eq!(
            p(Value::from("10.0.0.5:8080:80/tcp")),
            vec![("10.0.0.5".into(), 8080, 80)]
        );
        assert_eq!(p(Value::from("6379")), vec![]);
        assert_eq!(
            p(serde_json::json!({"target": 80, "published": "8443", "host_ip": "0.0.0.0"})),
            vec![("127.0.0.1".into(), 8443, 80)]
        );
        assert_eq!(
            p(Value::from("9000-9001:9000-9001")),
            vec![
                ("127.0.0.1".into(), 9000, 9000),
                ("127.0.0.1".into(), 9001, 9001)
            ]
        );
    }

    #[test]
    fn reads_healthcheck_urls_and_image_versions() {
        assert_eq!(
            health_url("curl -f http://localhost:8000/api/v1/utils/health-check/"),
            Some((8000, "/api/v1/utils/health-check/".into()))
        );
        assert_eq!(
            health_url("wget --spider http://127.0.0.1:8123/ping || exit 1"),
            Some((8123, "/ping".into()))
        );
        assert_eq!(health_url("redis-cli ping"), None);
        assert_eq!(version_of("postgres:16-alpine").as_deref(), Some(">=16"));
        assert_eq!(
            version_of("docker.io/valkey/valkey:8-bookworm@sha256:abc").as_deref(),
            Some(">=8")
        );
        assert_eq!(version_of("postgres:latest"), None);
        assert_eq!(version_of("postgres"), None);
    }
}
