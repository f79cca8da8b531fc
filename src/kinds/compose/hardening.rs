//! Weak defaults and dev-mode leftovers: a deploy that comes up, but not as
//! production should. Vault/OpenBao in `-dev` mode or with dev variables and
//! `tls_disable`, a root token handed to applications, vendor default admin
//! passwords, anonymous Grafana admins, datastores published on every
//! interface, floating tags, no restart policy or healthcheck, and the
//! obsolete top-level `version:`.

use std::collections::HashSet;

use super::{Cx, at, environment, svc_loc};
use crate::compose::merge::{PortSpec, parse_port};
use crate::compose::yaml::{Loc, Node, Value};
use crate::report::Finding;

/// Container ports of databases, caches, brokers and secret stores.
const DATASTORE_PORTS: &[(&str, &str)] = &[
    ("5432", "PostgreSQL"),
    ("3306", "MySQL/MariaDB"),
    ("1433", "SQL Server"),
    ("27017", "MongoDB"),
    ("6379", "Redis"),
    ("11211", "Memcached"),
    ("9200", "Elasticsearch"),
    ("5672", "RabbitMQ"),
    ("8200", "Vault/OpenBao"),
    ("2379", "etcd"),
];

/// Admin password variables of well-known images.
const ADMIN_PASSWORDS: &[&str] = &[
    "GF_SECURITY_ADMIN_PASSWORD",
    "MINIO_ROOT_PASSWORD",
    "RABBITMQ_DEFAULT_PASS",
    "MYSQL_ROOT_PASSWORD",
    "MARIADB_ROOT_PASSWORD",
    "MONGO_INITDB_ROOT_PASSWORD",
    "KEYCLOAK_ADMIN_PASSWORD",
    "KC_BOOTSTRAP_ADMIN_PASSWORD",
    "PGADMIN_DEFAULT_PASSWORD",
    "DOCKER_INFLUXDB_INIT_PASSWORD",
    "ELASTIC_PASSWORD",
    "POSTGRES_PASSWORD",
];

/// Passwords of datastores (as opposed to admin UIs).
const DATASTORE_PASSWORDS: &[&str] = &[
    "POSTGRES_PASSWORD",
    "MYSQL_ROOT_PASSWORD",
    "MARIADB_ROOT_PASSWORD",
    "MONGO_INITDB_ROOT_PASSWORD",
    "ELASTIC_PASSWORD",
];

/// Whether a password is a vendor default or a placeholder.
fn weak_password(v: &str) -> bool {
    let l = v.trim().to_ascii_lowercase();
    const KNOWN: &[&str] = &[
        "admin",
        "admin123",
        "admin1234",
        "password",
        "password123",
        "passw0rd",
        "changeme",
        "change-me",
        "change_me",
        "minioadmin",
        "minioadmin123",
        "guest",
        "secret",
        "root",
        "123456",
        "12345678",
        "test",
        "postgres",
        "mysql",
        "example",
        "pass",
        "default",
    ];
    KNOWN.contains(&l.as_str())
        || (l.contains("change") && l.contains("me"))
        || l.starts_with("your-")
        || l.starts_with("your_")
}

/// The environment prefix a Vault-family image reads (`VAULT_` for
/// HashiCorp Vault, `BAO_` for OpenBao, whose entrypoint ignores `VAULT_*`),
/// or None for other images.
fn vault_prefix(svc: &Node) -> Option<&'static str> {
    let img = svc
        .get("image")
        .and_then(Node::as_str)
        .unwrap_or_default()
        .to_ascii_lowercase();
    let repo = img.split(':').next().unwrap_or_default();
    let last = repo.rsplit('/').next().unwrap_or_default();
    if last == "vault" {
        Some("VAULT_")
    } else if last == "openbao" || last.starts_with("openbao-") {
        Some("BAO_")
    } else {
        None
    }
}

pub(super) fn is_vault(svc: &Node) -> bool {
    vault_prefix(svc).is_some()
}

/// Published images known to declare a `HEALTHCHECK` of their own, which a
/// compose file rightly does not repeat: readyctl does not pull images, so
/// this is a list, each entry checked against the image's Dockerfile
/// (immich-app/base-images `postgres/Dockerfile`: `HEALTHCHECK … healthcheck.sh`;
/// immich's server and machine-learning images likewise).
const IMAGES_WITH_HEALTHCHECK: &[&str] = &[
    "ghcr.io/immich-app/postgres",
    "ghcr.io/immich-app/immich-server",
    "ghcr.io/immich-app/immich-machine-learning",
];

fn image_declares_healthcheck(svc: &Node) -> bool {
    let img = svc.get("image").and_then(Node::as_str).unwrap_or_default();
    let repo = img.split('@').next().unwrap_or_default();
    let repo = match repo.rsplit_once(':') {
        Some((r, tag)) if !tag.contains('/') => r,
        _ => repo,
    };
    IMAGES_WITH_HEALTHCHECK.contains(&repo)
}

/// A service another one waits for with `condition: service_completed_successfully`
/// is a one-shot job (migrations, seeding): it is meant to exit, so neither a
/// restart policy nor a healthcheck applies.
/// Services another one waits for with `service_completed_successfully`:
/// one-shot jobs (migrations), which need no restart policy or healthcheck.
/// Collected in one pass (asking per service was quadratic in the project).
fn one_shots<'a>(cx: &Cx<'a>) -> HashSet<&'a str> {
    let mut out = HashSet::new();
    for (_, svc) in cx.services() {
        if let Some(deps) = svc.get("depends_on").and_then(Node::as_map) {
            for (dep, spec) in deps {
                if spec.get("condition").and_then(Node::as_str)
                    == Some("service_completed_successfully")
                {
                    out.insert(dep.as_str());
                }
            }
        }
    }
    out
}

pub(super) fn check(cx: &Cx, out: &mut Vec<Finding>) {
    let one_shots = one_shots(cx);
    for (name, svc) in cx.services() {
        if cx.on("compose/image-latest") {
            image_tag(name, svc, out);
        }
        let one_shot = one_shots.contains(name.as_str());
        if cx.on("compose/no-restart") && !one_shot {
            let has = svc.get("restart").is_some()
                || svc
                    .get("deploy")
                    .and_then(|d| d.get("restart_policy"))
                    .is_some();
            if !has {
                out.push(
                    at(&svc_loc(svc), "compose/no-restart", format!("service `{name}` has no restart policy"))
                        .expected_actual("restart: unless-stopped (or always / on-failure)", "none")
                        .hint("add `restart: unless-stopped` so the service comes back after a crash or reboot"),
                );
            }
        }
        if cx.on("compose/no-healthcheck")
            && !one_shot
            && !image_declares_healthcheck(svc)
            && svc.get("healthcheck").is_none()
            && super::image::image_healthcheck(cx, name, svc).is_none()
        {
            out.push(
                at(&svc_loc(svc), "compose/no-healthcheck", format!("service `{name}` has no healthcheck"))
                    .hint("add `healthcheck: {test: [...], interval: 10s}` so dependants and orchestrators see readiness"),
            );
        }
        if cx.on("compose/exposed-datastore") {
            exposed_ports(name, svc, out);
        }
        if is_vault(svc) {
            vault(cx, name, svc, out);
        }
        secrets_in_env(cx, name, svc, out);
    }
    if cx.on("compose/obsolete-version")
        && let Some(v) = cx.project.model.get("version")
    {
        let loc = v.key_loc.clone().unwrap_or_else(|| v.loc.clone());
        out.push(
            at(&loc, "compose/obsolete-version", "the top-level `version:` is obsolete: compose ignores it and warns on every command")
                .hint("delete the `version:` line"),
        );
    }
}

/// The line inside a multi-line value where `needle` is, counted from the
/// value's position (block scalars start on the line after `|`).
fn line_in(node: &Node, needle: &str) -> Loc {
    let text = node.as_str().unwrap_or_default();
    let mut loc = node.loc.clone();
    if let Some(i) = text.lines().position(|l| l.contains(needle)) {
        let block = node
            .key_loc
            .as_ref()
            .is_some_and(|k| k.line == node.loc.line)
            && text.contains('\n');
        loc.line += i as u32 + u32::from(block);
        loc.column = 1;
    }
    loc
}

fn vault(cx: &Cx, name: &str, svc: &Node, out: &mut Vec<Finding>) {
    let words = svc.get("command").and_then(super::command_words);
    let dev = match &words {
        Some(w) => w.iter().any(|a| a == "-dev" || a == "--dev"),
        // The vault and openbao images start `server -dev` by default.
        None => true,
    };
    let env = environment(svc);
    let prefix = vault_prefix(svc).unwrap_or("VAULT_");
    if dev && cx.on("compose/vault-dev-mode") {
        let loc = svc
            .get("command")
            .map(|c| c.loc.clone())
            .unwrap_or_else(|| svc_loc(svc));
        out.push(
            at(&loc, "compose/vault-dev-mode", format!("service `{name}` runs Vault/OpenBao in dev mode{}: storage is in memory (every secret is lost on restart), the server is unsealed and its root token is known", if words.is_none() { " (the image's default command)" } else { "" }))
                .expected_actual("command: server (with a config file and real storage)", words.map(|w| w.join(" ")).unwrap_or_else(|| "server -dev (image default)".into()))
                .hint("run `server` with a storage backend and listener config, initialise and unseal it"),
        );
    }
    for (k, v) in &env {
        let kl = k.to_ascii_uppercase();
        if !kl.starts_with(prefix) {
            continue; // the image never reads it
        }
        if !dev
            && (kl.contains("_DEV_ROOT_TOKEN") || kl.contains("_DEV_LISTEN_ADDRESS"))
            && cx.on("compose/dev-leftover")
        {
            out.push(
                at(&v.key_loc.clone().unwrap_or_else(|| v.loc.clone()), "compose/dev-leftover", format!("service `{name}` still sets {k}, a dev-mode variable, although it does not run in dev mode"))
                    .hint(format!("remove {k}; a dev root token left in the environment (and in `docker inspect`) invites its use")),
            );
        }
        if kl.ends_with("_LOCAL_CONFIG")
            && let Some(text) = v.as_str()
            && cx.on("compose/tls-disabled")
        {
            let t = text.replace(' ', "");
            let disabled = [
                "\"tls_disable\":true",
                "\"tls_disable\":1",
                "\"tls_disable\":\"true\"",
                "\"tls_disable\":\"1\"",
                "tls_disable=true",
                "tls_disable=1",
                "tls_disable=\"true\"",
                "tls_disable=\"1\"",
            ]
            .iter()
            .any(|p| t.contains(p));
            if disabled {
                out.push(
                    at(&line_in(v, "tls_disable"), "compose/tls-disabled", format!("service `{name}`: the Vault/OpenBao listener in {k} sets tls_disable, so tokens and secrets cross the network in clear text"))
                        .expected_actual("a listener with tls_cert_file and tls_key_file", "tls_disable = true")
                        .hint("give the listener a certificate (tls_cert_file/tls_key_file) and point clients at https://"),
                );
            }
        }
    }
}

fn secrets_in_env(cx: &Cx, name: &str, svc: &Node, out: &mut Vec<Finding>) {
    let env = environment(svc);
    let get = |key: &str| {
        env.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| *v)
    };
    for (k, v) in &env {
        let ku = k.to_ascii_uppercase();
        let uses: Vec<&str> = cx
            .project
            .var_uses
            .iter()
            .filter(|(l, _)| *l == v.loc)
            .map(|(_, u)| u.name.as_str())
            .collect();
        if ku.contains("TOKEN")
            && !ku.contains("_DEV_ROOT_TOKEN")
            && !is_vault(svc)
            && uses
                .iter()
                .any(|u| u.to_ascii_uppercase().contains("ROOT_TOKEN"))
            && cx.on("compose/root-token")
        {
            out.push(
                at(&v.loc, "compose/root-token", format!("service `{name}` gets a Vault/OpenBao root token: {k} is set from ${{{}}}", uses.join("}, ${")))
                    .expected_actual("a token from a policy scoped to what the service reads (AppRole, a periodic token)", "the root token")
                    .hint("create a policy for the service and give it a token (or AppRole credentials) for that policy; keep the root token offline"),
            );
        }
        // A datastore's own password matters where the datastore is
        // published; on the compose network alone it is defence in depth
        // (the official Plausible and Immich files use `postgres`).
        let datastore_only =
            DATASTORE_PASSWORDS.contains(&ku.as_str()) && svc.get("ports").is_none();
        if ADMIN_PASSWORDS.contains(&ku.as_str())
            && !datastore_only
            && cx.on("compose/default-credential")
            && v.as_str().is_some_and(weak_password)
        {
            let origin = match uses.first() {
                Some(u) if cx.project.env.contains_key(*u) => format!("${{{u}}} is set to it"),
                Some(u) => format!("${{{u}}} is unset and the inline default applies"),
                None => "it is written in the compose file".to_string(),
            };
            out.push(
                at(&v.loc, "compose/default-credential", format!("service `{name}`: {k} is a vendor default or well-known placeholder ({origin})"))
                    .expected_actual("a generated password", "a well-known value")
                    .hint("generate one (e.g. `openssl rand -base64 24`) and set it in the env file; drop the inline default so a missing value fails"),
            );
        }
    }
    if cx.on("compose/anonymous-admin")
        && get("GF_AUTH_ANONYMOUS_ENABLED")
            .and_then(Node::as_str)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        && let Some(role) = get("GF_AUTH_ANONYMOUS_ORG_ROLE")
        && role
            .as_str()
            .is_some_and(|r| r.eq_ignore_ascii_case("admin"))
    {
        out.push(
            at(&role.loc, "compose/anonymous-admin", format!("service `{name}`: anonymous Grafana users get the Admin role (GF_AUTH_ANONYMOUS_ENABLED=true, GF_AUTH_ANONYMOUS_ORG_ROLE=Admin): anyone who reaches it can change data sources and read their credentials"))
                .expected_actual("anonymous access off, or role Viewer", "Admin")
                .hint("set GF_AUTH_ANONYMOUS_ENABLED=false (or GF_AUTH_ANONYMOUS_ORG_ROLE=Viewer)"),
        );
    }
}

fn image_tag(name: &str, svc: &Node, out: &mut Vec<Finding>) {
    if svc.get("build").is_some() {
        return;
    }
    let Some(img) = svc.get("image") else { return };
    let Some(s) = img.as_str() else { return };
    if s.contains('@') {
        return; // pinned by digest
    }
    let last = s.rsplit('/').next().unwrap_or(s);
    let tag = last.split_once(':').map(|(_, t)| t);
    let problem = match tag {
        None => "has no tag (so `latest`)",
        Some("latest") => "uses the `latest` tag",
        _ => return,
    };
    out.push(
        at(&img.loc, "compose/image-latest", format!("service `{name}`: image {s} {problem}"))
            .expected_actual("a pinned version tag or digest", s.to_string())
            .hint("pin a version, e.g. postgres:15.6-alpine, so a deploy does not pull an untested release"),
    );
}

fn exposed_ports(name: &str, svc: &Node, out: &mut Vec<Finding>) {
    for p in svc.get("ports").and_then(Node::as_seq).unwrap_or_default() {
        let spec = match &p.value {
            Value::Map(m) => {
                let f = |k: &str| m.get(k).and_then(Node::scalar_text).unwrap_or_default();
                PortSpec {
                    host_ip: f("host_ip"),
                    published: f("published"),
                    target: f("target"),
                    protocol: f("protocol"),
                }
            }
            _ => match p.scalar_text() {
                Some(t) => parse_port(&t),
                None => continue,
            },
        };
        let all = spec.host_ip.is_empty() || spec.host_ip == "0.0.0.0" || spec.host_ip == "::";
        // `- "5432"` (no host port) still publishes, on a random port, on all interfaces.
        if let Some((_, what)) = DATASTORE_PORTS
            .iter()
            .find(|(port, _)| *port == spec.target)
            && all
        {
            out.push(
                at(
                    &p.loc,
                    "compose/exposed-datastore",
                    format!(
                        "service `{name}` publishes {what} port {} on all interfaces",
                        spec.target
                    ),
                )
                .expected_actual(
                    format!(
                        "127.0.0.1:{}:{} or no published port",
                        if spec.published.is_empty() {
                            &spec.target
                        } else {
                            &spec.published
                        },
                        spec.target
                    ),
                    p.scalar_text()
                        .unwrap_or_else(|| "long syntax without host_ip".into()),
                )
                .hint(
                    "bind it to 127.0.0.1 or drop `ports:` and reach it over the compose network",
                ),
            );
        }
    }
}
