//! The names services reach each other by: `depends_on`, URLs in the
//! environment, and the hosts a mounted nginx configuration proxies to.
//!
//! A name resolves on the compose network when it is a service, a
//! `container_name`, a `hostname`, a network alias or a `links` alias. A
//! service that only a profile starts (`profiles: [observability]`, also when
//! inherited through `extends`) is not there after a plain `docker compose up`:
//! a `depends_on` on it makes compose refuse the project (unless
//! `required: false`), and a URL or upstream naming it fails to connect. nginx
//! resolves its upstream and literal `proxy_pass` hosts at start-up and refuses
//! to start when one does not resolve.

use super::{Cx, at, environment};
use crate::compose::yaml::{Node, Value};
use crate::domain::nginx;
use crate::report::Finding;

pub(super) fn check(cx: &Cx, out: &mut Vec<Finding>) {
    for (name, svc) in cx.services() {
        if cx.on("compose/container-name-scaled") {
            scaled_container_name(name, svc, out);
        }
        dependencies(cx, name, svc, out);
        if !cx.active.contains(name.as_str()) {
            continue; // what a profile-only service reaches matters only when it runs
        }
        if cx.on("compose/profile-reference") {
            env_references(cx, name, svc, out);
        }
        if cx.on("compose/proxy-unknown-host")
            || cx.on("compose/profile-reference")
            || cx.on("compose/proxy-missing-file")
        {
            proxies(cx, name, svc, out);
        }
    }
}

fn scaled_container_name(name: &str, svc: &Node, out: &mut Vec<Finding>) {
    let Some(cn) = svc.get("container_name") else {
        return;
    };
    let replicas = svc
        .get("deploy")
        .and_then(|d| d.get("replicas"))
        .or_else(|| svc.get("scale"));
    let Some(r) = replicas else { return };
    let n: i64 = r.scalar_text().and_then(|t| t.parse().ok()).unwrap_or(1);
    if n > 1 {
        let loc = cn.key_loc.clone().unwrap_or_else(|| cn.loc.clone());
        out.push(
            at(&loc, "compose/container-name-scaled", format!("service `{name}` sets container_name and {n} replicas: compose refuses the project (\"can't set container_name and {name} as container name must be unique\")"))
                .expected_actual("container_name or replicas > 1, not both", format!("container_name + replicas: {n}"))
                .hint("drop container_name (compose names replicas itself), or run one replica")
                .related(r.loc.file.to_string(), Some(r.loc.line), "replicas"),
        );
    }
}

fn dependencies(cx: &Cx, name: &str, svc: &Node, out: &mut Vec<Finding>) {
    let Some(deps) = svc.get("depends_on").and_then(Node::as_map) else {
        return;
    };
    for (dep, cond) in deps {
        let loc = cond.key_loc.clone().unwrap_or_else(|| cond.loc.clone());
        if !cx.names.contains(dep.as_str()) {
            if cx.on("compose/unknown-dependency") {
                let mut f = at(
                    &loc,
                    "compose/unknown-dependency",
                    format!("service `{name}` depends on `{dep}`, which is not defined"),
                );
                if let Some(s) = crate::diag::did_you_mean(dep, cx.names.iter().copied()) {
                    f = f.hint(format!("did you mean `{s}`?"));
                }
                out.push(f);
            }
            continue;
        }
        let required = !matches!(
            cond.get("required").map(|r| &r.value),
            Some(Value::Bool(false))
        );
        if cx.active.contains(name)
            && !cx.active.contains(dep.as_str())
            && required
            && cx.on("compose/profile-dependency")
        {
            let (profiles, ploc) = profiles_of(cx, dep);
            let mut f = at(
                &loc,
                "compose/profile-dependency",
                format!("service `{name}` (started by default) depends on `{dep}`, which only profile {profiles} starts: compose refuses the project (\"depends on undefined service\")"),
            )
            .expected_actual(format!("`{dep}` started by default"), format!("profiles: {profiles}"))
            .hint(format!("start `{dep}` without a profile, add `required: false` to the dependency, or give `{name}` the same profile"));
            if let Some(l) = ploc {
                f = f.related(
                    l.file.to_string(),
                    Some(l.line),
                    format!("profiles of `{dep}`"),
                );
            }
            out.push(f);
        }
        if let Some(c) = cond.get("condition")
            && c.as_str() == Some("service_healthy")
        {
            let target = cx.project.service(dep);
            let hc = target.and_then(|t| t.get("healthcheck"));
            let disabled = hc
                .and_then(|h| h.get("disable"))
                .is_some_and(|d| d.value == Value::Bool(true));
            if (hc.is_none() || disabled) && cx.on("compose/unhealthy-dependency") {
                out.push(
                    at(&c.loc, "compose/unhealthy-dependency", format!("service `{name}` waits for `{dep}` to be healthy, but `{dep}` has no healthcheck"))
                        .hint(format!("add a healthcheck to `{dep}`, or use condition: service_started")),
                );
            }
            if let (Some(t), Some(hc)) = (target, hc)
                && !disabled
                && cx.on("compose/sealed-dependency")
            {
                sealed_dependency(name, dep, &c.loc, t, hc, out);
            }
        }
    }
}

/// Whether a Vault/OpenBao healthcheck succeeds on a server that is not yet
/// initialised or is sealed: `Some(false)` when it plainly fails there (the
/// status codes 501/503 of `/v1/sys/health`, exit 2 of `vault status`),
/// `None` when the test is too clever to judge.
fn health_passes_sealed(test: &Node) -> Option<bool> {
    let mut words = super::command_words(test)?;
    // A string `test:` is run by the shell, as CMD-SHELL.
    if let Value::Str(s) = &test.value {
        words = vec!["CMD-SHELL".to_string(), s.clone()];
    }
    let (kind, rest) = words.split_first()?;
    let line = match kind.as_str() {
        "CMD" => rest.join(" "),
        "CMD-SHELL" => {
            let l = rest.join(" ");
            // `|| exit 1` keeps the failure; any other fallback may hide it.
            let plain = l.replace("|| exit 1", "");
            if plain.contains("||")
                || plain.contains(';')
                || plain.contains("&&")
                || plain.contains('|')
            {
                return None;
            }
            l
        }
        _ => return None,
    };
    let first = line.split_whitespace().next().unwrap_or_default();
    let tool = first.rsplit('/').next().unwrap_or(first);
    match tool {
        "wget" | "curl" => {
            let url = line
                .split_whitespace()
                .find(|w| w.contains("/v1/sys/health"))?;
            if tool == "curl"
                && !line.split_whitespace().any(|w| {
                    w == "-f"
                        || w == "--fail"
                        || (w.starts_with('-') && !w.starts_with("--") && w.contains('f'))
                })
            {
                return Some(true); // curl without -f exits 0 on any status
            }
            let tolerant =
                |p: &str| url.contains(&format!("{p}=200")) || url.contains(&format!("{p}=204"));
            Some(tolerant("uninitcode") && tolerant("sealedcode"))
        }
        "vault" | "bao" => {
            let mut w = line.split_whitespace().skip(1);
            (w.next() == Some("status")).then_some(false)
        }
        _ => None,
    }
}

/// `depends_on: {vault: {condition: service_healthy}}` on a Vault/OpenBao
/// server (not dev mode) whose healthcheck fails until an operator
/// initialises and unseals it.
fn sealed_dependency(
    name: &str,
    dep: &str,
    cond: &crate::compose::yaml::Loc,
    target: &Node,
    hc: &Node,
    out: &mut Vec<Finding>,
) {
    if !super::hardening::is_vault(target) {
        return;
    }
    let Some(words) = target.get("command").and_then(super::command_words) else {
        return; // the images' default command is `server -dev`: unsealed at once
    };
    if !words.iter().any(|w| w == "server")
        || words
            .iter()
            .any(|w| w == "-dev" || w == "--dev" || w.starts_with("-dev-"))
    {
        return;
    }
    let Some(test) = hc.get("test") else { return };
    if health_passes_sealed(test) != Some(false) {
        return;
    }
    out.push(
        at(cond, "compose/sealed-dependency", format!("service `{name}` waits for `{dep}` to be healthy, but `{dep}` is a Vault/OpenBao server whose healthcheck fails until it is initialised and unsealed (/v1/sys/health answers 501, then 503; `status` exits 2): the first `docker compose up` ends with `{dep}` unhealthy and `{name}` never starts, and so does every restart that reseals it"))
            .expected_actual("a healthcheck that passes on a sealed server, or condition: service_started", "healthy only once unsealed")
            .hint(format!("check liveness instead (`/v1/sys/health?uninitcode=200&sealedcode=200&standbyok=true`), or depend on `{dep}` with condition: service_started and let `{name}` retry until it is unsealed"))
            .related(test.loc.file.to_string(), Some(test.loc.line), format!("healthcheck of `{dep}`")),
    );
}

/// `[a, b]` and where `profiles:` of `svc` is written.
fn profiles_of(cx: &Cx, svc: &str) -> (String, Option<crate::compose::yaml::Loc>) {
    let node = cx.project.service(svc).and_then(|s| s.get("profiles"));
    let mut names: Vec<String> = Vec::new();
    for n in node
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(Node::scalar_text)
    {
        if !names.contains(&n) {
            names.push(n);
        }
    }
    (
        format!("[{}]", names.join(", ")),
        node.map(|n| n.key_loc.clone().unwrap_or_else(|| n.loc.clone())),
    )
}

/// The host of a URL-ish value: `scheme://[user@]host[:port]/…` or
/// `host:port`.
pub(super) fn url_host(v: &str) -> Option<&str> {
    let rest = match v.split_once("://") {
        Some((scheme, r))
            if scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c)) =>
        {
            r
        }
        Some(_) => return None,
        None => {
            // `host:port` only
            let (h, p) = v.split_once(':')?;
            if p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            return Some(h);
        }
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    let hostport = authority.rsplit('@').next()?;
    let host = hostport.split(':').next()?;
    (!host.is_empty()).then_some(host)
}

fn env_references(cx: &Cx, name: &str, svc: &Node, out: &mut Vec<Finding>) {
    for (key, v) in environment(svc) {
        let Some(text) = v.as_str() else { continue };
        for part in text.split([',', ' ', ';']) {
            let Some(host) = url_host(part.trim()) else {
                continue;
            };
            let Some(target) = cx.hosts.get(host) else {
                continue;
            };
            if *target == name || cx.active.contains(target) {
                continue;
            }
            let (profiles, ploc) = profiles_of(cx, target);
            let mut f = at(
                &v.loc,
                "compose/profile-reference",
                format!("service `{name}` (started by default) sets {key} to reach `{host}`, but service `{target}` only runs under profile {profiles}: a plain `docker compose up` leaves it unreachable"),
            )
            .expected_actual(format!("`{target}` started by default"), format!("profiles: {profiles}"))
            .hint(format!("start `{target}` without a profile (or enable the profile in COMPOSE_PROFILES), or leave {key} unset when it does not run"));
            if let Some(l) = ploc {
                f = f.related(
                    l.file.to_string(),
                    Some(l.line),
                    format!("profiles of `{target}`"),
                );
            }
            out.push(f);
            break;
        }
    }
}

/// A service's local bind mounts: (target, host source, where written).
pub(super) fn bind_mounts(
    cx: &Cx,
    svc: &Node,
) -> Vec<(String, std::path::PathBuf, crate::compose::yaml::Loc)> {
    let mut out = Vec::new();
    for v in svc
        .get("volumes")
        .and_then(Node::as_seq)
        .unwrap_or_default()
    {
        let (src, target) = match &v.value {
            Value::Str(s) => {
                let mut p = s.splitn(3, ':');
                let src = p.next().unwrap_or_default().to_string();
                let Some(t) = p.next() else { continue };
                (src, t.to_string())
            }
            Value::Map(m) if m.get("type").and_then(Node::as_str) == Some("bind") => (
                m.get("source")
                    .and_then(Node::scalar_text)
                    .unwrap_or_default(),
                m.get("target")
                    .and_then(Node::scalar_text)
                    .unwrap_or_default(),
            ),
            _ => continue,
        };
        if src.starts_with('.') && target.starts_with('/') {
            out.push((target, cx.project.resolve(&src, &v.loc), v.loc.clone()));
        }
    }
    out
}

/// nginx configuration files a service mounts: (compose volume node, path).
pub(super) fn nginx_configs<'a>(cx: &Cx, svc: &'a Node) -> Vec<(&'a Node, std::path::PathBuf)> {
    let mut out = Vec::new();
    for v in svc
        .get("volumes")
        .and_then(Node::as_seq)
        .unwrap_or_default()
    {
        let (src, target) = match &v.value {
            Value::Str(s) => {
                let mut p = s.splitn(3, ':');
                let src = p.next().unwrap_or_default().to_string();
                let Some(t) = p.next() else { continue };
                (src, t.to_string())
            }
            Value::Map(m) if m.get("type").and_then(Node::as_str) == Some("bind") => (
                m.get("source")
                    .and_then(Node::scalar_text)
                    .unwrap_or_default(),
                m.get("target")
                    .and_then(Node::scalar_text)
                    .unwrap_or_default(),
            ),
            _ => continue,
        };
        if !src.starts_with('.') || !target.starts_with("/etc/nginx") {
            continue;
        }
        let full = cx.project.resolve(&src, &v.loc);
        if full.is_file() {
            out.push((v, full));
        } else if full.is_dir() && !target.starts_with("/etc/nginx/templates") {
            let mut files: Vec<_> = std::fs::read_dir(&full)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "conf") && p.is_file())
                .collect();
            files.sort();
            out.extend(files.into_iter().map(|p| (v, p)));
        }
    }
    out
}

fn proxies(cx: &Cx, name: &str, svc: &Node, out: &mut Vec<Finding>) {
    let configs = nginx_configs(cx, svc);
    if configs.is_empty() {
        return;
    }
    // On an external network the proxy may reach containers of other
    // projects: names this project does not define are not judged.
    let external_net = svc
        .get("networks")
        .and_then(Node::as_map)
        .is_some_and(|nets| {
            nets.keys().any(|n| {
                cx.project
                    .model
                    .get("networks")
                    .and_then(|m| m.get(n))
                    .and_then(|d| d.get("external"))
                    .is_some_and(|e| e.value == Value::Bool(true))
            })
        })
        || svc.get("network_mode").is_some();
    let extra: Vec<String> = svc
        .get("extra_hosts")
        .and_then(Node::as_map)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let mounts = bind_mounts(cx, svc);
    for (vol, path) in configs {
        let Ok(text) = crate::domain::textfile::read(&path, 4 * 1024 * 1024) else {
            continue;
        };
        let shown = cx.rel(&path);
        let ds = nginx::parse(&text);
        if cx.on("compose/proxy-missing-file") {
            for (file, line, directive) in nginx::startup_files(&ds) {
                // The longest mount target that holds the file.
                let Some((target, src, vloc)) = mounts
                    .iter()
                    .filter(|(t, ..)| {
                        file == *t || file.starts_with(&format!("{}/", t.trim_end_matches('/')))
                    })
                    .max_by_key(|(t, ..)| t.len())
                else {
                    continue;
                };
                let rest = file[target.trim_end_matches('/').len()..].trim_start_matches('/');
                let host = if rest.is_empty() {
                    src.clone()
                } else {
                    src.join(rest)
                };
                if host.exists() {
                    continue;
                }
                let src_shown = cx.rel(src);
                let why = if src.exists() {
                    format!("{src_shown} has no {rest}")
                } else {
                    format!("{src_shown} does not exist (docker creates it empty)")
                };
                out.push(
                    super::at_file(&shown, line, "compose/proxy-missing-file", format!("{shown}:{line}: nginx ({directive}) reads {file}, mounted from {src_shown}, but {why}: nginx (service `{name}`) refuses to start"))
                        .expected_actual(format!("{} to exist", cx.rel(&host)), "missing")
                        .hint(format!("put the file at {} before the deploy (certificates are usually provisioned, not committed), or fix the path", cx.rel(&host)))
                        .related(vloc.file.to_string(), Some(vloc.line), format!("service `{name}` mounts {src_shown} at {target}")),
                );
            }
        }
        for h in nginx::startup_hosts(&ds) {
            if h.host.contains('$')
                || nginx::is_external_or_literal(&h.host)
                || extra.contains(&h.host)
            {
                continue;
            }
            let port = h
                .port
                .as_deref()
                .map(|p| format!(":{p}"))
                .unwrap_or_default();
            match cx.hosts.get(&h.host) {
                Some(target) if !cx.active.contains(target) => {
                    if cx.on("compose/profile-reference") {
                        let (profiles, _) = profiles_of(cx, target);
                        out.push(
                            super::at_file(&shown, h.line, "compose/profile-reference", format!("{shown}:{}: nginx ({}) proxies to {}{port}, but service `{target}` only runs under profile {profiles}: nginx (service `{name}`) refuses to start without it", h.line, h.via, h.host))
                                .severity(crate::report::Severity::Critical)
                                .hint(format!("start `{target}` by default, or give `{name}` the same profile"))
                                .related(vol.loc.file.to_string(), Some(vol.loc.line), format!("service `{name}` mounts {shown}")),
                        );
                    }
                }
                Some(_) => {}
                None if external_net => {}
                None => {
                    if !cx.on("compose/proxy-unknown-host") {
                        continue;
                    }
                    let mut f = super::at_file(&shown, h.line, "compose/proxy-unknown-host", format!("{shown}:{}: nginx ({}) proxies to {}{port}, but no service, container_name or alias is called `{}`: nginx (service `{name}`) refuses to start (\"host not found in upstream\")", h.line, h.via, h.host, h.host))
                        .expected_actual(format!("a compose service named `{}`", h.host), "none")
                        .related(vol.loc.file.to_string(), Some(vol.loc.line), format!("service `{name}` mounts {shown}"));
                    let guess = guess_service(cx, &h.host, h.port.as_deref());
                    f = match guess {
                        Some((s, why)) => f.hint(format!("did you mean `{s}` ({why})? rename the upstream host, or add `{}` as a network alias of `{s}`", h.host)),
                        None => f.hint(format!("point nginx at an existing service, or add `{}` as a network alias", h.host)),
                    };
                    out.push(f);
                }
            }
        }
    }
}

/// The service an unknown upstream host most likely means: a similar name,
/// else the one service exposing that port.
fn guess_service<'a>(cx: &Cx<'a>, host: &str, port: Option<&str>) -> Option<(&'a str, String)> {
    if let Some(s) = crate::diag::did_you_mean(host, cx.names.iter().copied())
        && let Some(n) = cx.names.iter().find(|n| **n == s)
    {
        return Some((n, "a similar name".into()));
    }
    let port = port?;
    let mut hits = cx.project.services().filter(|(_, svc)| {
        let ports = svc.get("ports").and_then(Node::as_seq).unwrap_or_default();
        let expose = svc.get("expose").and_then(Node::as_seq).unwrap_or_default();
        ports.iter().chain(expose).any(|p| {
            p.scalar_text().is_some_and(|t| {
                t == port
                    || t.ends_with(&format!(":{port}"))
                    || t.ends_with(&format!(":{port}/tcp"))
            })
        })
    });
    let first = hits.next()?;
    if hits.next().is_some() {
        return None;
    }
    Some((
        first.0.as_str(),
        format!("the only service publishing port {port}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::super::monitoring::tests::lint_only;
    use super::url_host;

    const BAO: &str = "  openbao:\n    image: quay.io/openbao/openbao:2.1.0\n    command: server\n    healthcheck:\n      test: HEALTH\n";

    fn sealed(health: &str, command: &str) -> Vec<(String, u32)> {
        let compose = format!(
            "services:\n  app:\n    image: a:1\n    depends_on:\n      openbao:\n        condition: service_healthy\n{}",
            BAO.replace("HEALTH", health).replace("server", command)
        );
        lint_only(
            &[("docker-compose.yml", &compose)],
            &["compose/sealed-dependency"],
        )
        .into_iter()
        .map(|f| (f.code.unwrap_or_default(), f.line.unwrap_or_default()))
        .collect()
    }

    #[test]
    fn a_sealed_vault_blocks_its_healthy_dependants() {
        let hit = vec![("compose/sealed-dependency".to_string(), 6)];
        // DotMac ab78780b:177: wget --spider fails on 501/503.
        let wget = r#"["CMD", "wget", "--no-verbose", "--tries=1", "--spider", "http://localhost:8200/v1/sys/health"]"#;
        assert_eq!(sealed(wget, "server"), hit);
        assert_eq!(
            sealed(
                r#"["CMD-SHELL", "curl -fsS http://127.0.0.1:8200/v1/sys/health || exit 1"]"#,
                "server -config=/c"
            ),
            hit
        );
        assert_eq!(sealed(r#"["CMD", "bao", "status"]"#, "server"), hit);
        assert_eq!(
            sealed(
                "wget -q --spider localhost:8200/v1/sys/health || exit 1",
                "server"
            ),
            hit
        );
        // A process check passes on a sealed server.
        assert!(
            sealed(
                r#"["CMD-SHELL", "pgrep vault > /dev/null || exit 1"]"#,
                "server"
            )
            .is_empty()
        );
        // Tolerant of sealed and uninitialised servers: fine.
        assert!(sealed(r#"["CMD", "wget", "-q", "--spider", "http://localhost:8200/v1/sys/health?uninitcode=200&sealedcode=200"]"#, "server").is_empty());
        // Only sealed tolerated: a fresh server still answers 501.
        assert_eq!(
            sealed(
                r#"["CMD", "wget", "-q", "--spider", "http://localhost:8200/v1/sys/health?sealedcode=200"]"#,
                "server"
            ),
            hit
        );
        // curl without -f exits 0 on any status; a clever shell is not judged.
        assert!(
            sealed(
                r#"["CMD", "curl", "http://localhost:8200/v1/sys/health"]"#,
                "server"
            )
            .is_empty()
        );
        assert!(sealed(r#"["CMD-SHELL", "vault status; test $? -ne 1"]"#, "server").is_empty());
        // Dev mode is unsealed at once.
        assert!(sealed(wget, "server -dev").is_empty());
    }

    #[test]
    fn url_hosts() {
        assert_eq!(
            url_host("http://otel-collector:4317"),
            Some("otel-collector")
        );
        assert_eq!(url_host("redis://:pw@redis:6379/2"), Some("redis"));
        assert_eq!(url_host("minio:9000"), Some("minio"));
        assert_eq!(url_host("postgresql+asyncpg://u:p@db/x"), Some("db"));
        assert_eq!(url_host("info"), None);
        assert_eq!(url_host("a:b"), None);
    }
}
