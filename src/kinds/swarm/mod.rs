//! `swarm`: a Docker Swarm stack (or named services) is deployed, every
//! replica running and healthy, no task failing, the last update complete,
//! every placement satisfiable and every secret and config present — asked
//! of a manager's Engine API (bollard).
//!
//! One folder, split as cargo-deny splits a large check: `view` reads the
//! API into plain summaries, `constraint` matches placement constraints
//! against nodes as swarmkit does, `evaluate` judges (pure, tested on a
//! captured one-node swarm), and this file holds the spec, the finding
//! codes and the docs. Connection handling is shared with the `docker` kind
//! through [`super::docker_api`].

pub(crate) mod constraint;
pub(crate) mod evaluate;
pub(crate) mod view;

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::{CheckKind, Outcome, RunContext, SpecProblem, de_duration, docker_api};
use crate::compose::yaml::Node;
use crate::report::codes::{Code, Level};
use crate::report::{Finding, Severity};
use evaluate::{External, Rules};
use view::{ReadError, Selection};

macro_rules! codes {
    ($($code:literal, $sev:ident, $summary:literal;)*) => {
        /// Every finding code of the `swarm` kind.
        pub(crate) const CODES: &[Code] = &[$(Code { code: $code, level: Level::graded(Severity::$sev), summary: $summary }),*];
    };
}

codes! {
    "swarm/not-manager", High,
        "the engine asked is not a swarm manager (not in a swarm, or a worker): nothing about services can be read there";
    "swarm/service-missing", High,
        "a listed service is not deployed, or the stack has no service at all";
    "swarm/replicas-short", High,
        "fewer tasks run than the service wants (replicated: its replica count; global: one per eligible node); the waiting tasks' states and errors are quoted";
    "swarm/task-unhealthy", High,
        "a task was killed because its healthcheck failed, within the window";
    "swarm/task-failed", High,
        "a task failed or was rejected within the window (exit code, missing image, ...), with the daemon's error text";
    "swarm/update-paused", High,
        "the service's rolling update is paused (update_config failure_action: pause), usually by a failing new task";
    "swarm/update-rolled-back", High,
        "the service's update failed and was (or is being) rolled back: the intended version is not running";
    "swarm/update-in-progress", Medium,
        "the service's rolling update has not finished yet";
    "swarm/placement-unsatisfiable", High,
        "no ready, active node satisfies the service's placement constraints: its tasks stay pending";
    "swarm/secret-missing", High,
        "a secret the service mounts, the check lists, or a stack file declares external does not exist on the swarm";
    "swarm/config-missing", High,
        "a config the service mounts, the check lists, or a stack file declares external does not exist on the swarm";
    "swarm/node-down", High,
        "a node is not ready (down, disconnected): its tasks are rescheduled elsewhere, if they can be";
    "swarm/node-unavailable", Info,
        "a node is drained or paused: the scheduler places no new tasks on it (deliberate during maintenance)";
    "swarm/manager-unreachable", High,
        "a manager is not reachable by the others";
    "swarm/quorum-lost", Critical,
        "half or more of the managers are unreachable: the swarm has no Raft quorum and accepts no changes";
}

/// The code entry for `code`.
pub(crate) fn code(code: &str) -> Option<&'static Code> {
    CODES.iter().find(|c| c.code == code)
}

/// A Docker Swarm readiness check.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SwarmCheck {
    /// A manager's daemon: `unix:///var/run/docker.sock`, `tcp://host:2375`; default `DOCKER_HOST`, then the local socket.
    pub(crate) host: Option<String>,
    /// A catalogue target whose `url` is the daemon.
    pub(crate) target: Option<String>,
    /// The stack (`docker stack deploy … NAME`; label `com.docker.stack.namespace`).
    pub(crate) stack: Option<String>,
    /// Services that must be deployed: `web` (within `stack`) or the full name `mystack_web`.
    #[serde(default)]
    pub(crate) services: Vec<String>,
    /// Task failures younger than this fail the check (default `5m`).
    #[serde(default = "default_window", deserialize_with = "de_duration")]
    #[schemars(with = "String")]
    pub(crate) window: Duration,
    /// Secrets that must exist on the swarm (names).
    #[serde(default)]
    pub(crate) secrets: Vec<String>,
    /// Configs that must exist on the swarm (names).
    #[serde(default)]
    pub(crate) configs: Vec<String>,
    /// Stack files (compose files `docker stack deploy -c` reads), relative to
    /// the deployment root: every secret and config they declare `external`
    /// must exist, before a deploy.
    #[serde(default)]
    pub(crate) files: Vec<PathBuf>,
    /// Env files for interpolating `files` (default: `.env` beside the first).
    #[serde(default)]
    pub(crate) env_files: Vec<PathBuf>,
    /// Judge the nodes too: ready, active, managers reachable, quorum (default true).
    #[serde(default = "yes")]
    pub(crate) nodes: bool,
    /// Finding codes to turn off, e.g. `swarm/update-in-progress`.
    #[serde(default)]
    pub(crate) disable: Vec<String>,
}

fn yes() -> bool {
    true
}

fn default_window() -> Duration {
    Duration::from_secs(300)
}

impl CheckKind for SwarmCheck {
    const NAME: &'static str = "swarm";
    const SUMMARY: &'static str = "a Swarm stack's services run every replica, healthy, updated, placeable, with their secrets and configs; nodes ready and managers in quorum";
    const DOCS: &'static str = include_str!("docs.md");
    const CODES: &'static [Code] = CODES;

    fn validate(&self) -> Vec<SpecProblem> {
        let mut p = Vec::new();
        if self.stack.is_none() && self.services.is_empty() && self.files.is_empty() {
            p.push(
                SpecProblem::new(
                    "stack",
                    "select services with `stack` or `services` (or give stack `files`)",
                )
                .hint("e.g. stack: dotmac (the NAME of docker stack deploy -c FILE NAME)"),
            );
        }
        p.extend(docker_api::validate_host(
            self.host.as_deref(),
            self.target.as_deref(),
        ));
        for d in &self.disable {
            if code(d).is_none() {
                let codes: Vec<&str> = CODES.iter().map(|c| c.code).collect();
                p.push(
                    SpecProblem::new("disable", format!("unknown finding code `{d}`")).hint(
                        crate::diag::did_you_mean(d, codes.iter().copied())
                            .map(|s| format!("did you mean `{s}`?"))
                            .unwrap_or_else(|| format!("codes: {}", codes.join(", "))),
                    ),
                );
            }
        }
        p
    }

    fn targets(&self) -> Vec<&str> {
        self.target.as_deref().into_iter().collect()
    }

    fn schema() -> Option<schemars::Schema> {
        Some(super::spec_schema::<Self>())
    }

    async fn run(&self, cx: &RunContext) -> Outcome {
        let host = match docker_api::resolve_host(self.host.as_deref(), self.target.as_deref(), cx)
        {
            Ok(h) => h,
            Err(e) => return Outcome::error(e),
        };
        let mut externals: Vec<External> = self
            .secrets
            .iter()
            .map(|n| listed("secret", n))
            .chain(self.configs.iter().map(|n| listed("config", n)))
            .collect();
        if !self.files.is_empty() {
            match self.stack_externals(cx) {
                Ok(mut e) => externals.append(&mut e),
                Err(o) => return *o,
            }
        }
        let budget = docker_api::budget(cx);
        let sel = Selection {
            stack: self.stack.as_deref(),
            services: &self.services,
        };
        let only_files = self.stack.is_none() && self.services.is_empty();
        let view = match tokio::time::timeout(budget, view::read(&host, &sel)).await {
            Err(_) => {
                return Outcome::fail(format!(
                    "Docker daemon at {} timed out: did not answer within {}",
                    docker_api::shown_host(&host),
                    humantime::format_duration(budget)
                ));
            }
            Ok(Err(ReadError::Daemon(e))) => return Outcome::fail(e),
            Ok(Err(ReadError::NotManager(e))) => {
                let f = Finding::new(e.clone())
                    .code("swarm/not-manager")
                    .hint("ask a manager (docker node ls works there), or docker swarm init");
                return Outcome::fail(e).with_findings(vec![f]);
            }
            Ok(Ok(mut v)) => {
                if only_files {
                    // Only the stack files' externals were asked about.
                    v.services.clear();
                }
                v
            }
        };
        let rules = Rules {
            listed: self.services.clone(),
            stack: self.stack.clone(),
            window: self.window,
            externals,
            nodes: self.nodes,
        };
        let mut findings = evaluate::evaluate(&view, &rules);
        if only_files {
            findings.retain(|f| f.code.as_deref() != Some("swarm/service-missing"));
        }
        findings.retain(|f| !f.code.as_ref().is_some_and(|c| self.disable.contains(c)));
        let running: usize = view
            .tasks
            .iter()
            .filter(|t| t.current() && t.state == "running")
            .count();
        let ok = format!(
            "{} service(s){}: {running} task(s) running, all replicas up; {} node(s) ready",
            view.services.len(),
            self.stack
                .as_ref()
                .map(|s| format!(" in stack {s}"))
                .unwrap_or_default(),
            view.nodes.iter().filter(|n| n.state == "ready").count()
        );
        if crate::report::codes::status_of(&findings, CODES) == crate::report::Status::Fail {
            // Info findings (a drained node) stay in the list, after what fails.
            findings.sort_by_key(|f| f.severity == Some(Severity::Info));
            Outcome::judged(findings, CODES, ok)
        } else {
            Outcome::pass(ok).with_findings(findings)
        }
    }
}

fn listed(what: &'static str, name: &str) -> External {
    External {
        what,
        name: name.to_string(),
        services: Vec::new(),
        at: None,
    }
}

impl SwarmCheck {
    /// The secrets and configs the stack files declare `external`, with the
    /// services that use them and where they are declared.
    fn stack_externals(&self, cx: &RunContext) -> Result<Vec<External>, Box<Outcome>> {
        let opts = crate::compose::LoadOptions {
            files: self.files.iter().map(|f| cx.path(f)).collect(),
            env_files: self.env_files.iter().map(|f| cx.path(f)).collect(),
            process_env: true,
            display_base: Some(cx.root.clone()),
            workdir: Some(cx.root.clone()),
            profiles: vec!["*".to_string()],
            ..Default::default()
        };
        let project = crate::compose::load(&opts).map_err(|d| {
            let findings: Vec<Finding> = d
                .items
                .iter()
                .map(|i| {
                    let mut f = Finding::new(i.message.clone()).code(i.code);
                    if let Some(l) = &i.location {
                        f = f.at(&*l.file, l.line, l.column);
                    }
                    f
                })
                .collect();
            let first = findings
                .first()
                .map_or("unknown problem", |f| f.message.as_str());
            Box::new(
                Outcome::error(format!("the stack files cannot be loaded: {first}"))
                    .with_findings(findings.clone()),
            )
        })?;
        Ok(externals_of(&project))
    }
}

/// `external: true` secrets and configs of a compose model, by swarm name.
pub(crate) fn externals_of(project: &crate::compose::Project) -> Vec<External> {
    let mut out = Vec::new();
    for (what, key) in [("secret", "secrets"), ("config", "configs")] {
        let Some(top) = project.model.get(key).and_then(Node::as_map) else {
            continue;
        };
        for (k, v) in top {
            let external = v.get("external").is_some_and(|e| {
                e.scalar_text().is_some_and(|t| t == "true") || e.as_map().is_some()
            });
            if !external {
                continue;
            }
            // `name:` (or the legacy `external: {name: …}`) renames it on the swarm.
            let name = v
                .get("name")
                .and_then(Node::scalar_text)
                .or_else(|| {
                    v.get("external")
                        .and_then(|e| e.get("name"))
                        .and_then(Node::scalar_text)
                })
                .unwrap_or_else(|| k.clone());
            let services: Vec<String> = project
                .services()
                .filter(|(_, svc)| {
                    svc.get(key)
                        .and_then(Node::as_seq)
                        .unwrap_or_default()
                        .iter()
                        .any(|r| {
                            r.scalar_text().as_deref() == Some(k.as_str())
                                || r.get("source").and_then(Node::scalar_text).as_deref()
                                    == Some(k.as_str())
                        })
                })
                .map(|(n, _)| n.clone())
                .collect();
            let loc = v.key_loc.clone().unwrap_or_else(|| v.loc.clone());
            out.push(External {
                what,
                name,
                services,
                at: (loc.line > 0).then(|| (loc.file.to_string(), loc.line, loc.column)),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_prefixed_and_documented() {
        let mut seen = std::collections::HashSet::new();
        for c in CODES {
            assert!(seen.insert(c.code), "duplicate {}", c.code);
            assert!(c.code.starts_with("swarm/"), "{}", c.code);
            assert!(
                SwarmCheck::DOCS.contains(&format!("`{}`", c.code)),
                "docs.md does not document {}",
                c.code
            );
        }
    }

    #[test]
    fn validation_wants_a_selection_and_known_codes() {
        let spec = |y: &str| -> SwarmCheck {
            marked_yaml::from_node(&marked_yaml::parse_yaml(0, y).unwrap()).unwrap()
        };
        assert_eq!(spec("window: 1m\n").validate()[0].field, "stack");
        let p = spec("stack: s\ndisable: [swarm/update-paused, swarm/replica-short]\n").validate();
        assert_eq!(p.len(), 1);
        assert_eq!(
            p[0].hint.as_deref(),
            Some("did you mean `swarm/replicas-short`?")
        );
        assert_eq!(spec("stack: s\n").window, Duration::from_secs(300));
    }

    #[test]
    fn stack_file_externals_are_named_with_their_services() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("stack.yml"),
            "services:\n  api:\n    image: x\n    secrets: [db_password, {source: tls}]\n    configs: [nginx]\n  web:\n    image: x\nsecrets:\n  db_password:\n    external: true\n  tls:\n    external: true\n    name: prod_tls\n  local:\n    file: ./local.txt\nconfigs:\n  nginx:\n    external: true\n",
        )
        .unwrap();
        let project = crate::compose::load(&crate::compose::LoadOptions {
            files: vec![dir.path().join("stack.yml")],
            workdir: Some(dir.path().to_path_buf()),
            ..Default::default()
        })
        .unwrap_or_else(|_| panic!("loads"));
        let e = externals_of(&project);
        let got: Vec<(&str, &str, Vec<String>)> = e
            .iter()
            .map(|e| (e.what, e.name.as_str(), e.services.clone()))
            .collect();
        assert_eq!(
            got,
            [
                ("secret", "db_password", vec!["api".to_string()]),
                ("secret", "prod_tls", vec!["api".to_string()]),
                ("config", "nginx", vec!["api".to_string()]),
            ]
        );
        assert_eq!(e[0].at.as_ref().map(|a| a.1), Some(9));
    }
}
