//! What a Prometheus service of the project watches and where it sends
//! alerts: the configuration it mounts (`--config.file`, default
//! /etc/prometheus/prometheus.yml), read through its bind mounts.
//!
//! A `static_configs` target or Alertmanager whose host is a bare name (no
//! dot: a compose-network name, not an external host) that no service,
//! container_name or alias of the project answers to never resolves:
//! the scrape target is `up == 0` for ever, and an Alertmanager that does not
//! resolve means no alert is ever delivered. Not judged: a Prometheus on an
//! external network or `network_mode` (other projects' containers may answer),
//! a mount source that is missing (nothing to read; `missing-mount-file`
//! reports it), targets with variables, service discovery (`*_sd_configs`).

use super::{Cx, at_file, network};
use crate::compose::yaml::{self, Node, Value};
use crate::report::Finding;

pub(super) fn check(cx: &Cx, out: &mut Vec<Finding>) {
    let on_t = cx.on("compose/prometheus-unknown-target");
    let on_a = cx.on("compose/prometheus-unknown-alertmanager");
    if !on_t && !on_a {
        return;
    }
    for (name, svc) in cx.services() {
        if !is_prometheus(svc) || off_network(cx, svc) {
            continue;
        }
        let Some((path, vloc)) = config_file(cx, svc) else {
            continue;
        };
        let Ok(text) = crate::domain::textfile::read(&path, 4 * 1024 * 1024) else {
            continue;
        };
        let shown = cx.rel(&path);
        let Ok(doc) = yaml::parse(&std::sync::Arc::from(shown.as_str()), &text) else {
            continue;
        };
        let mount = (vloc.file.to_string(), vloc.line);
        if on_a {
            for am in seq(doc.get("alerting").and_then(|a| a.get("alertmanagers"))) {
                for t in targets(am) {
                    unknown(cx, name, &shown, t, &mount, true, out);
                }
            }
        }
        if on_t {
            for sc in seq(doc.get("scrape_configs")) {
                for t in targets(sc) {
                    unknown(cx, name, &shown, t, &mount, false, out);
                }
            }
        }
    }
}

fn is_prometheus(svc: &Node) -> bool {
    let img = svc
        .get("image")
        .and_then(Node::as_str)
        .unwrap_or_default()
        .to_ascii_lowercase();
    let repo = img.split([':', '@']).next().unwrap_or_default();
    repo.rsplit('/').next() == Some("prometheus")
}

/// On an external network or another network mode, names outside the
/// project may resolve.
fn off_network(cx: &Cx, svc: &Node) -> bool {
    if svc.get("network_mode").is_some() {
        return true;
    }
    svc.get("networks")
        .map(|n| match &n.value {
            Value::Map(m) => m.keys().cloned().collect::<Vec<_>>(),
            Value::Seq(s) => s.iter().filter_map(Node::scalar_text).collect(),
            _ => Vec::new(),
        })
        .unwrap_or_default()
        .iter()
        .any(|n| {
            cx.project
                .model
                .get("networks")
                .and_then(|m| m.get(n))
                .and_then(|d| d.get("external"))
                .is_some_and(|e| e.value == Value::Bool(true))
        })
}

/// The host file the service reads as its configuration, when mounted and
/// present.
fn config_file(cx: &Cx, svc: &Node) -> Option<(std::path::PathBuf, yaml::Loc)> {
    let words = svc
        .get("command")
        .and_then(super::command_words)
        .unwrap_or_default();
    let mut target = "/etc/prometheus/prometheus.yml".to_string();
    let mut it = words.iter();
    while let Some(w) = it.next() {
        if let Some(v) = w.strip_prefix("--config.file=") {
            target = v.to_string();
        } else if w == "--config.file"
            && let Some(v) = it.next()
        {
            target = v.clone();
        }
    }
    let mounts = network::bind_mounts(cx, svc);
    let (t, src, loc) = mounts
        .iter()
        .filter(|(t, ..)| {
            target == *t || target.starts_with(&format!("{}/", t.trim_end_matches('/')))
        })
        .max_by_key(|(t, ..)| t.len())?;
    let rest = target[t.trim_end_matches('/').len()..].trim_start_matches('/');
    let host = if rest.is_empty() {
        src.clone()
    } else {
        src.join(rest)
    };
    host.is_file().then(|| (host, loc.clone()))
}

fn seq(n: Option<&Node>) -> &[Node] {
    n.and_then(Node::as_seq).unwrap_or_default()
}

/// The `static_configs` targets of a scrape config or Alertmanager entry.
fn targets(n: &Node) -> impl Iterator<Item = &Node> {
    seq(n.get("static_configs"))
        .iter()
        .flat_map(|s| seq(s.get("targets")).iter())
}

fn unknown(
    cx: &Cx,
    name: &str,
    shown: &str,
    t: &Node,
    mount: &(String, u32),
    alert: bool,
    out: &mut Vec<Finding>,
) {
    let Some(text) = t.scalar_text() else { return };
    let Some((host, port)) = text.rsplit_once(':') else {
        return;
    };
    if host.is_empty()
        || port.is_empty()
        || !port.chars().all(|c| c.is_ascii_digit())
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        || crate::domain::nginx::is_external_or_literal(host)
        || cx.hosts.contains_key(host)
    {
        return;
    }
    let line = t.loc.line;
    let f = if alert {
        at_file(shown, line, "compose/prometheus-unknown-alertmanager", format!("{shown}:{line}: Prometheus (service `{name}`) sends alerts to {text}, but no service, container_name or alias is called `{host}`: no alert is ever delivered"))
            .expected_actual(format!("a compose service named `{host}`"), "none")
            .hint(format!("add an Alertmanager service named `{host}` (or an alias), or point `alerting` at the one that exists"))
    } else {
        at_file(shown, line, "compose/prometheus-unknown-target", format!("{shown}:{line}: Prometheus (service `{name}`) scrapes {text}, but no service, container_name or alias is called `{host}`: the target is down for ever (`up == 0`) and its alerts fire without cause"))
            .expected_actual(format!("a compose service named `{host}`"), "none")
            .hint(format!("run the exporter `{host}` in the project, or remove the scrape job"))
    };
    out.push(f.related(
        mount.0.clone(),
        Some(mount.1),
        format!("service `{name}` mounts {shown}"),
    ));
}

#[cfg(test)]
pub(super) mod tests {
    use crate::compose::LoadOptions;
    use crate::report::Finding;

    /// Lints a project written to a temp dir with only `codes` enabled.
    pub(crate) fn lint_only(files: &[(&str, &str)], codes: &[&str]) -> Vec<Finding> {
        let dir = tempfile::tempdir().unwrap();
        let mut paths = Vec::new();
        for (name, text) in files {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, text).unwrap();
            if name.starts_with("docker-compose") {
                paths.push(p);
            }
        }
        let project = crate::compose::load(&LoadOptions {
            files: paths,
            display_base: Some(dir.path().to_path_buf()),
            profiles: vec!["*".to_string()],
            ..Default::default()
        })
        .unwrap();
        let disable: Vec<String> = super::super::RULES
            .iter()
            .map(|r| r.code.to_string())
            .filter(|c| !codes.contains(&c.as_str()))
            .collect();
        super::super::lint(&project, &[], &disable)
    }

    fn keys(f: &[Finding]) -> Vec<(String, String, u32)> {
        f.iter()
            .map(|f| {
                (
                    f.code.clone().unwrap_or_default(),
                    f.file.clone().unwrap_or_default(),
                    f.line.unwrap_or_default(),
                )
            })
            .collect()
    }

    const PROM: &str = "global: {scrape_interval: 15s}\nalerting:\n  alertmanagers:\n    - static_configs:\n        - targets:\n            - alertmanager:9093\nscrape_configs:\n  - job_name: self\n    static_configs:\n      - targets: ['localhost:9090']\n  - job_name: app\n    static_configs:\n      - targets: ['app:8000', 'api.example.com:443', 'db:9187', 'node-exporter:9100', '${HOST}:1', '10.0.0.1:9100']\n  - job_name: sd\n    dns_sd_configs:\n      - names: ['tasks.x']\n";

    #[test]
    fn unknown_targets_and_alertmanagers_are_reported_with_their_lines() {
        let compose = "services:\n  app: {image: 'a:1'}\n  db:\n    image: postgres:16\n    networks: {default: {aliases: [database]}}\n  prometheus:\n    image: prom/prometheus:v2.55.0\n    volumes:\n      - ./monitoring/prometheus.yml:/etc/prometheus/prometheus.yml:ro\n";
        let f = lint_only(
            &[
                ("docker-compose.yml", compose),
                ("monitoring/prometheus.yml", PROM),
            ],
            &[
                "compose/prometheus-unknown-target",
                "compose/prometheus-unknown-alertmanager",
            ],
        );
        let p = "monitoring/prometheus.yml".to_string();
        assert_eq!(
            keys(&f),
            vec![
                (
                    "compose/prometheus-unknown-alertmanager".into(),
                    p.clone(),
                    6
                ),
                ("compose/prometheus-unknown-target".into(), p, 13),
            ]
        );
        assert!(
            f[1].message.contains("node-exporter:9100"),
            "{}",
            f[1].message
        );
        assert_eq!(f[0].related[0].line, Some(9), "the mount");
    }

    #[test]
    fn nothing_to_read_or_other_networks_are_not_judged() {
        for compose in [
            // The mount source is missing: missing-mount-file's finding.
            "services:\n  prometheus:\n    image: prom/prometheus\n    volumes:\n      - ./gone.yml:/etc/prometheus/prometheus.yml:ro\n",
            // Another config file than the one mounted.
            "services:\n  prometheus:\n    image: prom/prometheus\n    command: ['--config.file=/etc/prometheus/other.yml']\n    volumes:\n      - ./monitoring/prometheus.yml:/etc/prometheus/prometheus.yml:ro\n",
            // On an external network other projects' exporters may answer.
            "services:\n  prometheus:\n    image: prom/prometheus\n    networks: [shared]\n    volumes:\n      - ./monitoring/prometheus.yml:/etc/prometheus/prometheus.yml:ro\nnetworks:\n  shared: {external: true}\n",
            "services:\n  prometheus:\n    image: prom/prometheus\n    network_mode: host\n    volumes:\n      - ./monitoring/prometheus.yml:/etc/prometheus/prometheus.yml:ro\n",
        ] {
            let f = lint_only(
                &[
                    ("docker-compose.yml", compose),
                    ("monitoring/prometheus.yml", PROM),
                ],
                &[
                    "compose/prometheus-unknown-target",
                    "compose/prometheus-unknown-alertmanager",
                ],
            );
            assert!(f.is_empty(), "{compose}: {f:#?}");
        }
        // A directory mount and --config.file: read.
        let f = lint_only(
            &[
                (
                    "docker-compose.yml",
                    "services:\n  prom:\n    image: quay.io/prometheus/prometheus:v3.0.0\n    command: ['--config.file', '/etc/prometheus/prom.yml']\n    volumes:\n      - ./monitoring:/etc/prometheus:ro\n  alertmanager: {image: 'prom/alertmanager:v0.27.0'}\n  node-exporter: {image: 'prom/node-exporter:v1.8.2'}\n",
                ),
                ("monitoring/prom.yml", PROM),
            ],
            &[
                "compose/prometheus-unknown-target",
                "compose/prometheus-unknown-alertmanager",
            ],
        );
        let p = "monitoring/prom.yml".to_string();
        assert_eq!(
            keys(&f),
            vec![
                ("compose/prometheus-unknown-target".into(), p.clone(), 13),
                ("compose/prometheus-unknown-target".into(), p, 13)
            ],
            "app and db are unknown here: {f:#?}"
        );
        assert!(f[0].message.contains("app:8000") && f[1].message.contains("db:9187"));
    }
}
