//! What `docker stack deploy` ignores or refuses in a compose project, for
//! checks with `orchestrator: swarm` (single-host users get none of these).
//! The lists are the Docker CLI's own (cli/compose/loader: the unsupported
//! and forbidden properties), and tests/it/swarm.rs compares them with what the
//! real CLI prints on the same file ("Ignoring unsupported options: …").
//! Judged on the merged model, except `extends` and `version`, which the
//! CLI reads from the files as written (it merges nothing itself).

use super::{Cx, at};
use crate::compose::yaml::{Node, Value};
use crate::report::Finding;

/// Service keys the CLI drops with "Ignoring unsupported options", and what
/// that costs.
const IGNORED: &[(&str, &str)] = &[
    ("cgroup_parent", "the tasks run in the default cgroup"),
    ("devices", "no device is mapped into the tasks"),
    (
        "external_links",
        "the names it adds do not resolve in the tasks",
    ),
    ("privileged", "the tasks run unprivileged"),
    (
        "security_opt",
        "the tasks run with the default security options",
    ),
    (
        "userns_mode",
        "the tasks run in the engine's user namespace setting",
    ),
];

/// Service keys the CLI refuses ("Configuration contains forbidden properties").
const FORBIDDEN: &[&str] = &[
    "extends",
    "volume_driver",
    "volumes_from",
    "cpu_quota",
    "cpu_shares",
    "cpuset",
    "mem_limit",
    "memswap_limit",
];

pub(super) fn check(cx: &Cx, out: &mut Vec<Finding>) {
    for (name, svc) in cx.services() {
        if let Some(b) = svc.get("build") {
            if svc.get("image").is_none() {
                out.push(
                    at(&key_loc(b), "compose/stack-build-no-image", format!(
                        "service `{name}` has `build` but no `image`: `docker stack deploy` ignores build, so the service has nothing to run"
                    ))
                    .hint("build and push the image (docker compose build && docker compose push), and name it in `image:`"),
                );
            } else {
                out.push(
                    at(&key_loc(b), "compose/stack-ignored-build", format!(
                        "service `{name}`: `docker stack deploy` ignores `build`; every node pulls `image` instead, so it must be built and pushed to a registry the nodes reach first"
                    ))
                    .hint("docker compose build && docker compose push before the deploy"),
                );
            }
        }
        if let Some(c) = svc.get("container_name") {
            out.push(
                at(&key_loc(c), "compose/stack-ignored-container-name", format!(
                    "service `{name}`: `docker stack deploy` ignores `container_name` (tasks are named STACK_{name}.N.ID); reach it by its service name"
                )),
            );
        }
        // Swarm's default restart policy (condition: any) is what `always` and
        // `unless-stopped` ask for; only `no` and `on-failure` are lost.
        if let Some(r) = svc.get("restart")
            && svc
                .get("deploy")
                .and_then(|d| d.get("restart_policy"))
                .is_none()
            && let Some(v) = r.scalar_text()
            && (v == "no" || v.starts_with("on-failure"))
        {
            out.push(
                at(&key_loc(r), "compose/stack-ignored-restart", format!(
                    "service `{name}`: `docker stack deploy` ignores `restart: {v}`; without `deploy.restart_policy` swarm restarts its tasks on any exit{}",
                    if v == "no" { ", so this one-shot service runs again and again" } else { ", a clean exit included" }
                ))
                .hint(if v == "no" { "add deploy: {restart_policy: {condition: none}}" } else { "add deploy: {restart_policy: {condition: on-failure}}" }),
            );
        }
        if let Some(n) = svc.get("network_mode") {
            out.push(
                at(&key_loc(n), "compose/stack-ignored-network-mode", format!(
                    "service `{name}`: `docker stack deploy` ignores `network_mode: {}`; the tasks join the stack's overlay network instead",
                    n.scalar_text().unwrap_or_default()
                ))
                .hint("use `networks:` (an overlay, or the predefined `host` network)"),
            );
        }
        if let Some(l) = svc.get("links") {
            out.push(
                at(&key_loc(l), "compose/stack-ignored-links", format!(
                    "service `{name}`: `docker stack deploy` ignores `links`; link aliases do not resolve (service names do)"
                ))
                .hint("use network `aliases:` for extra names"),
            );
        }
        for (key, cost) in IGNORED {
            if let Some(k) = svc.get(key) {
                out.push(at(
                    &key_loc(k),
                    "compose/stack-ignored-option",
                    format!("service `{name}`: `docker stack deploy` ignores `{key}`: {cost}"),
                ));
            }
        }
        for key in FORBIDDEN.iter().filter(|k| **k != "extends") {
            if let Some(k) = svc.get(key) {
                out.push(at(
                    &key_loc(k),
                    "compose/stack-forbidden-option",
                    format!("service `{name}`: `docker stack deploy` refuses `{key}` (Configuration contains forbidden properties)"),
                ));
            }
        }
        relative_binds(cx, name, svc, out);
    }
    written(cx, out);
}

fn key_loc(n: &Node) -> crate::compose::yaml::Loc {
    n.key_loc.clone().unwrap_or_else(|| n.loc.clone())
}

/// Relative bind sources are made absolute on the machine that runs
/// `docker stack deploy`, and then mounted on whichever node runs the task.
fn relative_binds(cx: &Cx, name: &str, svc: &Node, out: &mut Vec<Finding>) {
    if !cx.on("compose/stack-relative-bind") {
        return;
    }
    for v in svc
        .get("volumes")
        .and_then(Node::as_seq)
        .unwrap_or_default()
    {
        let src = match &v.value {
            Value::Str(s) if s.contains(':') => s.split(':').next().unwrap_or_default().to_string(),
            Value::Map(m) if m.get("type").and_then(Node::as_str) == Some("bind") => m
                .get("source")
                .and_then(Node::scalar_text)
                .unwrap_or_default(),
            _ => continue,
        };
        if src.starts_with("./") || src.starts_with("../") || src == "." || src.starts_with('~') {
            let node = v.get("source").unwrap_or(v);
            out.push(
                at(&node.loc, "compose/stack-relative-bind", format!(
                    "service `{name}`: bind mount {src} is resolved on the machine running `docker stack deploy` and then mounted from whichever node runs the task: it must exist at that absolute path on every node"
                ))
                .hint("use a config or secret for files, a named volume for data, or pin the service to a node that has the path"),
            );
        }
    }
}

/// `extends`, `depends_on` and `version` as written in the files: the CLI
/// validates each file before it merges anything (and the model has
/// normalised `depends_on: [db]` into the long form by now).
fn written(cx: &Cx, out: &mut Vec<Finding>) {
    let on_ext = cx.on("compose/stack-forbidden-option");
    let on_ver = cx.on("compose/stack-no-version");
    for (shown, path) in &cx.project.sources {
        if cx.project.extended_files.contains(shown) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let Ok(doc) = crate::compose::yaml::parse(shown, &text) else {
            continue;
        };
        if on_ver && doc.as_map().is_some() && doc.get("version").is_none() {
            out.push(
                at(&crate::compose::yaml::Loc { file: shown.clone(), line: 1, column: 1 }, "compose/stack-no-version",
                   format!("{shown} has no top-level `version:`: the Docker CLI 20.10 `docker stack deploy` refuses it (unsupported Compose file version: 1.0); newer CLIs accept it"))
                .hint("add `version: \"3.8\"` at the top while deploying with an older CLI"),
            );
        }
        for (name, svc) in doc
            .get("services")
            .and_then(Node::as_map)
            .into_iter()
            .flatten()
        {
            if !cx.wanted(name) || !cx.active.contains(name.as_str()) {
                continue;
            }
            if let Some(d) = svc.get("depends_on") {
                match &d.value {
                    Value::Map(m) if !m.is_empty() => out.push(
                        at(&key_loc(d), "compose/stack-depends-on-rejected", format!(
                            "service `{name}`: `depends_on` with conditions is not the compose v3 list `docker stack deploy` accepts: it refuses the file (services.{name}.depends_on must be a list)"
                        ))
                        .hint("write `depends_on: [db]` (swarm ignores the order anyway) and make the service retry until its dependencies answer"),
                    ),
                    Value::Seq(s) if !s.is_empty() => out.push(
                        at(&key_loc(d), "compose/stack-ignored-depends-on", format!(
                            "service `{name}`: swarm ignores `depends_on`; all services start together, so `{name}` must retry until its dependencies answer"
                        )),
                    ),
                    _ => {}
                }
            }
            if on_ext && let Some(e) = svc.get("extends") {
                out.push(
                    at(&key_loc(e), "compose/stack-forbidden-option", format!(
                        "service `{name}`: `docker stack deploy` refuses `extends` (Support for `extends` is not implemented yet): deploy the merged file (docker compose config > stack.yml)"
                    )),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Options, Orchestrator, lint_with};

    fn lint(yaml: &str, orchestrator: Orchestrator) -> Vec<(String, String)> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("compose.yml"), yaml).unwrap();
        let project = crate::compose::load(&crate::compose::LoadOptions {
            files: vec![dir.path().join("compose.yml")],
            workdir: Some(dir.path().to_path_buf()),
            profiles: vec!["*".into()],
            ..Default::default()
        })
        .unwrap_or_else(|_| panic!("loads"));
        let opts = Options {
            orchestrator,
            ..Options::default()
        };
        lint_with(&project, &opts)
            .into_iter()
            .filter(|f| {
                f.code
                    .as_deref()
                    .is_some_and(|c| c.starts_with("compose/stack"))
            })
            .map(|f| (f.code.unwrap(), f.message))
            .collect()
    }

    const FILE: &str = "version: \"3.8\"\nservices:\n  app:\n    build: .\n    restart: unless-stopped\n    depends_on: [db]\n    volumes: [\"./data:/data\", \"/srv/x:/x\", \"named:/n\"]\n  db:\n    image: postgres:16\n    restart: \"no\"\nvolumes:\n  named: {}\n";

    #[test]
    fn single_host_projects_get_no_stack_findings() {
        assert!(lint(FILE, Orchestrator::Compose).is_empty());
    }

    #[test]
    fn swarm_reports_what_stack_deploy_drops_and_not_what_it_matches() {
        let f = lint(FILE, Orchestrator::Swarm);
        let codes: Vec<&str> = f.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(
            codes,
            [
                "compose/stack-build-no-image",
                "compose/stack-relative-bind",
                "compose/stack-ignored-restart",
                "compose/stack-ignored-depends-on",
            ],
            "{f:#?}"
        );
        // `unless-stopped` is what swarm does anyway; `no` is lost.
        assert!(
            f[2].1
                .starts_with("service `db`: `docker stack deploy` ignores `restart: no`"),
            "{}",
            f[2].1
        );
        assert!(
            f[1].1.contains("./data"),
            "only the relative source: {}",
            f[1].1
        );
    }
}
