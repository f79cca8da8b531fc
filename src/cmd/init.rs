//! `readyctl init [-f COMPOSE...]`: a starter catalogue from compose files.
//!
//! Reads the compose files (minimally: `services.*.image`, `build`,
//! `ports`, `env_file`, `environment`), recognises each service's role by
//! image and environment — PostgreSQL, Redis, Vault/OpenBao, MinIO, nginx,
//! or an application service — and proposes the checks that fit: a named
//! target per published port (`127.0.0.1:PORT`, the host side of the
//! mapping), a `tcp` check that the port answers, and an `env_file` check
//! with secret-strength rules for every env file a service reads. Role
//! specific kinds that are not in this build are left as comments to fill in.
//!
//! Never overwrites: the output is created with `create_new`. The compose
//! model proper (merge, extends, full interpolation) lives elsewhere; this
//! reader is deliberately small and only has to propose, not to judge.

use crate::cmd::out::{errln, out};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::cli::InitArgs;
use crate::exit;

/// Compose file names looked for under `--root` when no `-f` is given.
pub const DEFAULT_COMPOSE: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];

/// What a service is, for the checks it gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
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
            Role::App => "app",
        }
    }

    fn scheme(self) -> &'static str {
        // See scheme_for: TLS ports get https.
        match self {
            Role::Postgres => "postgres",
            Role::Redis => "redis",
            Role::Vault | Role::Minio | Role::Nginx | Role::App => "http",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Role::Postgres => "PostgreSQL",
            Role::Redis => "Redis",
            Role::Vault => "Vault/OpenBao",
            Role::Minio => "MinIO",
            Role::Nginx => "nginx",
            Role::App => "application",
        }
    }
}

/// Recognises a service by image name, then — for services that are not
/// built from the project's source (`build:` means an application, which
/// typically carries `POSTGRES_*` client settings too) — by environment keys.
pub fn role_of(image: &str, env_keys: &[String], built: bool) -> Role {
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
    if name.contains("postgres") || name.contains("postgis") || name.contains("timescale") {
        Role::Postgres
    } else if name.contains("redis") || name.contains("valkey") || name.contains("keydb") {
        Role::Redis
    } else if name == "vault" || name.contains("openbao") || full.contains("hashicorp/vault") {
        Role::Vault
    } else if name.contains("minio") {
        Role::Minio
    } else if name.contains("nginx") || name.contains("openresty") {
        Role::Nginx
    } else if built {
        Role::App
    } else if has("POSTGRES_") {
        Role::Postgres
    } else if has("VAULT_") || has("BAO_") {
        Role::Vault
    } else if has("MINIO_") {
        Role::Minio
    } else {
        Role::App
    }
}

/// The URL scheme to reach a role on a published port: https on the usual
/// TLS ports, whatever the role.
fn scheme_for(role: Role, port: u16) -> &'static str {
    match (role, port) {
        (Role::Postgres | Role::Redis, _) => role.scheme(),
        (_, 443 | 8443 | 9443) => "https",
        _ => role.scheme(),
    }
}

/// One service as far as `init` cares.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    /// The compose service name.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// Host ports published (host side), with the host IP to reach them at.
    pub ports: Vec<(String, u16)>,
    /// Env files it reads, relative to the root.
    pub env_files: Vec<String>,
}

/// Replaces `${VAR}`, `${VAR:-default}` and `${VAR-default}` from `env`;
/// `None` when a variable has no value and no default.
fn interpolate(s: &str, env: &BTreeMap<String, String>) -> Option<String> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let end = after.find('}')?;
        let expr = &after[..end];
        let (name, default) = match expr.find(":-").or_else(|| expr.find('-')) {
            Some(j) => {
                let skip = if expr[j..].starts_with(":-") { 2 } else { 1 };
                (&expr[..j], Some(&expr[j + skip..]))
            }
            None => (expr, None),
        };
        match env.get(name).filter(|v| !v.is_empty()) {
            Some(v) => out.push_str(v),
            None => out.push_str(default?),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// Host side of a compose port entry: (host ip, port). Container-only
/// entries (`"5432"`) publish on a random port and give nothing.
fn published(entry: &Value, env: &BTreeMap<String, String>) -> Vec<(String, u16)> {
    let localize = |ip: &str| match ip {
        "" | "0.0.0.0" | "::" | "[::]" => "127.0.0.1".to_string(),
        other => other.trim_matches(['[', ']']).to_string(),
    };
    match entry {
        Value::Object(m) => {
            let port = match m.get("published") {
                Some(Value::Number(n)) => n.as_u64().and_then(|p| u16::try_from(p).ok()),
                Some(Value::String(s)) => interpolate(s, env).and_then(|s| s.parse().ok()),
                _ => None,
            };
            let ip = m.get("host_ip").and_then(Value::as_str).unwrap_or("");
            port.map(|p| vec![(localize(ip), p)]).unwrap_or_default()
        }
        Value::String(_) | Value::Number(_) => {
            let raw = match entry {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let Some(s) = interpolate(&raw, env) else {
                return Vec::new();
            };
            let s = s.split('/').next().unwrap_or("");
            // ip:host:container, host:container, or container alone.
            let parts: Vec<&str> = s.rsplitn(3, ':').collect();
            let (ip, host) = match parts.as_slice() {
                [_container, host, ip] => (*ip, *host),
                [_container, host] => ("", *host),
                _ => return Vec::new(),
            };
            let ports: Vec<u16> = match host.split_once('-') {
                Some((a, b)) => match (a.parse::<u16>(), b.parse::<u16>()) {
                    (Ok(a), Ok(b)) if a <= b && b - a < 16 => (a..=b).collect(),
                    _ => Vec::new(),
                },
                None => host.parse().ok().into_iter().collect(),
            };
            ports.into_iter().map(|p| (localize(ip), p)).collect()
        }
        _ => Vec::new(),
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| match x {
                Value::String(s) => Some(s.clone()),
                Value::Object(m) => m.get("path").and_then(Value::as_str).map(str::to_string),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn env_keys(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Object(m)) => m.keys().cloned().collect(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(|s| s.split('=').next().unwrap_or("").to_string())
            .collect(),
        _ => Vec::new(),
    }
}

/// Reads services from compose documents (later files override earlier ones
/// service by service, as `docker compose -f a -f b` does for these keys).
pub fn services(docs: &[Value], env: &BTreeMap<String, String>, root: &Path) -> Vec<Service> {
    let mut merged: indexmap::IndexMap<String, serde_json::Map<String, Value>> =
        indexmap::IndexMap::new();
    for doc in docs {
        if let Some(Value::Object(svcs)) = doc.get("services") {
            for (name, def) in svcs {
                if let Value::Object(def) = def {
                    let slot = merged.entry(name.clone()).or_default();
                    for (k, v) in def {
                        slot.insert(k.clone(), v.clone());
                    }
                }
            }
        }
    }
    merged
        .into_iter()
        .map(|(name, def)| {
            let image = def.get("image").and_then(Value::as_str).unwrap_or("");
            let image = interpolate(image, env).unwrap_or_default();
            let env_files: Vec<String> = strings(def.get("env_file"));
            let mut keys = env_keys(def.get("environment"));
            for f in &env_files {
                if let Ok(ef) = crate::domain::envfile::EnvFile::read(&root.join(f)) {
                    keys.extend(ef.entries.into_iter().map(|e| e.key));
                }
            }
            let ports = match def.get("ports") {
                Some(Value::Array(a)) => a.iter().flat_map(|p| published(p, env)).collect(),
                _ => Vec::new(),
            };
            Service {
                role: role_of(&image, &keys, def.contains_key("build")),
                name,
                ports,
                env_files,
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

/// The catalogue text for `services`, read from `sources`.
/// `compose.override.yaml` for `compose.yaml`, and so on: the file docker
/// compose merges in when no `-f` is given.
pub fn override_of(p: &Path) -> Option<PathBuf> {
    let name = p.file_name()?.to_str()?;
    let (stem, ext) = name.rsplit_once('.')?;
    Some(p.with_file_name(format!("{stem}.override.{ext}")))
}

pub fn render(services: &[Service], sources: &[String], root: &Path) -> String {
    let mut out = String::new();
    out.push_str("# yaml-language-server: $schema=readyctl.schema.json\n# (write the schema with: readyctl schema > readyctl.schema.json)\n");
    out.push_str(&format!(
        "# Starter catalogue written by `readyctl init` from {}.\n# Review it: adjust severities, add the checks your checklist needs\n# (`readyctl kinds`, `readyctl explain KIND`), then run `readyctl check`.\nversion: 1\n",
        sources.join(", ")
    ));
    let mut env_files: Vec<&str> = Vec::new();
    for s in services {
        for f in &s.env_files {
            if !env_files.contains(&f.as_str()) && root.join(f).is_file() {
                env_files.push(f);
            }
        }
    }
    if !env_files.is_empty() {
        out.push_str("env_files: [");
        out.push_str(
            &env_files
                .iter()
                .map(|f| q(f))
                .collect::<Vec<_>>()
                .join(", "),
        );
        out.push_str("]\n");
    }
    let mut targets = String::new();
    let mut checks = String::new();
    for s in services {
        let sid = slug(&s.name);
        for (i, (host, port)) in s.ports.iter().enumerate() {
            let tname = if i == 0 {
                sid.clone()
            } else {
                format!("{sid}-{port}")
            };
            let host_in_url = if host.contains(':') {
                format!("[{host}]")
            } else {
                host.clone()
            };
            targets.push_str(&format!(
                "  {tname}:\n    url: {}\n    host: {}\n    port: {port}\n",
                q(&format!(
                    "{}://{host_in_url}:{port}",
                    scheme_for(s.role, *port)
                )),
                q(host)
            ));
            let cid = if i == 0 {
                format!("{sid}.port")
            } else {
                format!("{sid}.port-{port}")
            };
            checks.push_str(&format!(
                "  - id: {cid}\n    kind: tcp\n    title: {}\n    severity: high\n    tags: [{}, network, live]\n    target: {tname}\n    timeout: 3s\n    remediation: {}\n",
                q(&format!("{} service `{}` answers on {host}:{port}", s.role.label(), s.name)),
                s.role.tag(),
                q(&format!("Start `{}` (docker compose up -d {}) and check its published port.", s.name, s.name)),
            ));
            let hint = match s.role {
                Role::Postgres => Some("postgres"),
                Role::Redis => Some("redis"),
                Role::Vault => Some("vault"),
                Role::Nginx | Role::App | Role::Minio => Some("http"),
            };
            if let Some(kind) = hint
                && crate::kinds::lookup(kind).is_none()
            {
                checks.push_str(&format!(
                    "  # TODO: once the `{kind}` kind is available, check `{}` in depth with `target: {tname}`.\n",
                    s.name
                ));
            }
        }
    }
    // The compose files themselves, linted as docker compose reads them.
    let rel: Vec<String> = sources
        .iter()
        .map(|f| {
            Path::new(f)
                .strip_prefix(root)
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| f.clone())
        })
        .collect();
    if !rel.is_empty() {
        checks.push_str(&format!(
            "  - id: compose.lint\n    kind: compose\n    title: {}\n    severity: high\n    tags: [compose]\n    files: [{}]\n    remediation: {}\n",
            q("The compose files are complete (paths, Dockerfiles, variables, images, ports)"),
            rel.iter().map(|f| q(f)).collect::<Vec<_>>().join(", "),
            q("Fix each finding; `readyctl compose config -f …` shows the merged model."),
        ));
    }
    for f in &env_files {
        let id = format!("env.{}", slug(f));
        checks.push_str(&format!(
            "  - id: {id}\n    kind: env_file\n    title: {}\n    severity: critical\n    tags: [security, env]\n    path: {}\n    secrets:\n      min_length: 16\n    remediation: {}\n",
            q(&format!("{f} holds generated secrets, not placeholders")),
            q(f),
            q("Generate each secret, e.g. python3 -c \"import secrets; print(secrets.token_urlsafe(32))\""),
        ));
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

/// Runs `init`.
pub fn main(args: &InitArgs) -> u8 {
    let files: Vec<PathBuf> = if args.files.is_empty() {
        DEFAULT_COMPOSE
            .iter()
            .map(|f| args.root.join(f))
            .filter(|p| p.is_file())
            .take(1)
            // docker compose reads the override file beside the one it picks.
            .flat_map(|p| {
                let over = override_of(&p).filter(|o| o.is_file());
                std::iter::once(p).chain(over)
            })
            .collect()
    } else {
        // Relative names are read under --root, as the help says; a path that
        // exists as given (relative to the current directory) is taken as is.
        args.files
            .iter()
            .map(|f| {
                if f.is_relative() && !f.exists() {
                    args.root.join(f)
                } else {
                    f.clone()
                }
            })
            .collect()
    };
    if files.is_empty() {
        errln!(
            "error: no compose file found under {}\n  = help: pass -f docker-compose.yml (repeatable)",
            args.root.display()
        );
        return exit::USAGE;
    }
    let mut docs = Vec::new();
    for f in &files {
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            Err(e) => {
                errln!("error: cannot read {}: {e}", f.display());
                return exit::USAGE;
            }
        };
        match serde_saphyr::from_str::<Value>(&text) {
            Ok(v) => docs.push(v),
            Err(e) => {
                errln!("error: {} is not valid YAML: {e}", f.display());
                return exit::USAGE;
            }
        }
    }
    // Compose interpolates from `.env` beside the project and the environment.
    let mut env: BTreeMap<String, String> = std::env::vars().collect();
    if let Ok(ef) = crate::domain::envfile::EnvFile::read(&args.root.join(".env")) {
        for e in ef.entries {
            env.entry(e.key).or_insert(e.value);
        }
    }
    let svcs = services(&docs, &env, &args.root);
    let sources: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let text = render(&svcs, &sources, &args.root);
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
                "readyctl: wrote {} for {}\n  next: readyctl validate --catalog {} --root {}",
                out.display(),
                roles.join(", "),
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
        assert_eq!(
            role_of("corp/db", &["POSTGRES_DB".into()], false),
            Role::Postgres
        );
        assert_eq!(role_of("", &["POSTGRES_PASSWORD".into()], true), Role::App);
        assert_eq!(role_of("acme/api:1.2", &[], false), Role::App);
    }

    #[test]
    fn reads_published_ports_in_every_syntax() {
        let mut env = BTreeMap::new();
        env.insert("API_PORT".to_string(), "8001".to_string());
        let p = |v: Value| published(&v, &env);
        assert_eq!(
            p(Value::from("5432:5432")),
            vec![("127.0.0.1".into(), 5432)]
        );
        assert_eq!(
            p(Value::from("10.0.0.5:8080:80/tcp")),
            vec![("10.0.0.5".into(), 8080)]
        );
        assert_eq!(p(Value::from("6379")), vec![]);
        assert_eq!(
            p(Value::from("${API_PORT}:8000")),
            vec![("127.0.0.1".into(), 8001)]
        );
        assert_eq!(
            p(Value::from("${WEB:-8080}:80")),
            vec![("127.0.0.1".into(), 8080)]
        );
        assert_eq!(p(Value::from("${NOPE}:80")), vec![]);
        assert_eq!(
            p(serde_json::json!({"target": 80, "published": "8443", "host_ip": "0.0.0.0"})),
            vec![("127.0.0.1".into(), 8443)]
        );
        assert_eq!(p(Value::from("9000-9001:9000-9001")).len(), 2);
    }

    #[test]
    fn rendered_catalogue_loads() {
        let svcs = vec![
            Service {
                name: "db".into(),
                role: Role::Postgres,
                ports: vec![("127.0.0.1".into(), 5432)],
                env_files: vec![],
            },
            Service {
                name: "Web App".into(),
                role: Role::App,
                ports: vec![("127.0.0.1".into(), 8000), ("::1".into(), 8001)],
                env_files: vec![],
            },
        ];
        let text = render(&svcs, &["compose.yml".into()], Path::new("."));
        let cat = crate::catalogue::load_str("readyctl.yml", &text);
        assert!(cat.is_ok(), "{text}\n{:?}", cat.err());
        let cat = cat.unwrap();
        // Two tcp checks and the compose lint.
        assert_eq!(cat.checks.len(), 3 + 1, "{text}");
        assert!(cat.targets.contains_key("web-app-8001"), "{text}");
    }
}
