//! `docker`: the deployment's containers are running, healthy and stable,
//! asked of the Docker Engine API (bollard) on the local socket or `DOCKER_HOST`.
//!
//! Docker Engine 20.10 speaks API 1.41, whose container list has no health
//! field: each selected container is inspected, and its `State.Status` is read
//! before `State.Health`, because an exited container keeps its last health.
//! Evaluation works on `ContainerView`, a plain summary, so it is tested on
//! captured `docker inspect` output.

use std::collections::HashMap;

use bollard::models::ContainerInspectResponse;
use serde::Deserialize;

use super::{CheckKind, Code, Outcome, RunContext, SpecProblem, docker_api};
use crate::domain::selector::ServiceRef;
use crate::report::Finding;

/// The compose project label.
pub(crate) const PROJECT_LABEL: &str = "com.docker.compose.project";
/// The compose service label.
pub(crate) const SERVICE_LABEL: &str = "com.docker.compose.service";

/// A Docker containers check.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DockerCheck {
    /// The daemon: `unix:///var/run/docker.sock`, `tcp://host:2375`; default `DOCKER_HOST`, then the local socket.
    pub(crate) host: Option<String>,
    /// A catalogue target whose `url` is the daemon.
    pub(crate) target: Option<String>,
    /// Compose project (label `com.docker.compose.project`).
    pub(crate) project: Option<String>,
    /// Compose services (label `com.docker.compose.service`); each must have a
    /// running container. An entry may be a list of candidate names (`[openbao, vault]`):
    /// one of them must have a running container.
    #[serde(default)]
    pub(crate) services: Vec<ServiceRef>,
    /// Container names.
    #[serde(default)]
    pub(crate) names: Vec<String>,
    /// Services whose containers may have exited with code 0 (migrations, init jobs).
    #[serde(default)]
    pub(crate) one_shot: Vec<String>,
    /// Containers with a healthcheck must be healthy (default true).
    #[serde(default = "yes")]
    pub(crate) healthy: bool,
    /// Largest acceptable restart count per container.
    pub(crate) max_restarts: Option<i64>,
}

fn yes() -> bool {
    true
}

impl CheckKind for DockerCheck {
    const NAME: &'static str = "docker";
    const SUMMARY: &'static str =
        "containers (by compose project, service or name) are running, healthy and not restarting";
    const CODES: &'static [Code] = &[
        Code::fail(
            "docker/no-container",
            "no container matches the selection (a typo, or the stack is not up)",
        ),
        Code::fail(
            "docker/not-running",
            "`NAME (service S) is exited (exit code 3); expected running` — also `restarting`, `paused`, `created`, `dead` (a finished `one_shot` service is fine)",
        ),
        Code::fail(
            "docker/unhealthy",
            "`NAME (service S) is running but unhealthy (healthcheck failed N times in a row)`",
        ),
        Code::fail(
            "docker/health-starting",
            "running, but its healthcheck has not passed yet",
        ),
        Code::fail(
            "docker/restarts",
            "`NAME restarted N times; at most M allowed` (a crash loop)",
        ),
        Code::fail(
            "docker/service-missing",
            "a listed service (or every candidate of one) has no container at all",
        ),
    ];
    const DOCS: &'static str = r#"# docker

## What it checks
Asks the Docker Engine (local socket, `DOCKER_HOST`, or a target's `url`)
about the containers selected by compose project, compose service or name:
- each is running — not exited, created, paused, dead or restarting;
- each that defines a healthcheck is `healthy` (not `unhealthy`, not still `starting`);
- each restarted at most `max_restarts` times;
- every compose service (the `services` list, or every service seen in the
  project) has a running container.
Services listed in `one_shot` (migrations, init jobs) may have exited with code 0.

## Why it matters
"All containers running" and "PostgreSQL/Redis healthy" are the checklist's
startup gate. `docker compose up` returns once containers are created, not
once they are healthy; a crash-looping worker shows as "Up 2 seconds" between
restarts, and only its restart count gives it away.

## Example
```yaml
- id: docker.stack
  kind: docker
  title: Every service of the stack runs and is healthy
  severity: critical
  project: dotmac
  services: [app, postgres, redis, [openbao, vault], celery-worker]
  one_shot: [migrate]
  max_restarts: 3
- id: docker.api
  kind: docker
  title: API container is healthy
  host: unix:///var/run/docker.sock
  names: [dotmac-app-1]
```

## Fields
| field | type | meaning |
|---|---|---|
| `host` | URL | the daemon (`unix:///var/run/docker.sock`, `tcp://host:2375`); default `$DOCKER_HOST`, then the local socket |
| `target` | name | a catalogue target whose `url` is the daemon |
| `project` | name | select containers of this compose project |
| `services` | list | select these compose services; each must have a running container. An entry may be a list of candidates (`[openbao, vault]`): one of them must have one |
| `names` | list | select containers by exact name |
| `one_shot` | list | services whose containers may have exited with code 0 |
| `healthy` | bool | containers with a healthcheck must be healthy (default `true`) |
| `max_restarts` | number | largest acceptable restart count per container |

At least one of `project`, `services` or `names` is required. Given
together, a container must match all of them.

## Findings
When the daemon cannot be asked (`socket missing`, `permission denied`,
`daemon not answering`, `timed out`) the check fails with that reason and no
finding; everything else is a finding:
"#;

    fn validate(&self) -> Vec<SpecProblem> {
        let mut problems = Vec::new();
        if self.project.is_none() && self.services.is_empty() && self.names.is_empty() {
            problems.push(
                SpecProblem::new(
                    "project",
                    "select containers with `project`, `services` or `names`",
                )
                .hint("e.g. project: dotmac (the compose project name)"),
            );
        }
        problems.extend(docker_api::validate_host(
            self.host.as_deref(),
            self.target.as_deref(),
        ));
        if self.max_restarts.is_some_and(|m| m < 0) {
            problems.push(SpecProblem::new("max_restarts", "must be 0 or more"));
        }
        problems
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
        let budget = docker_api::budget(cx);
        match tokio::time::timeout(budget, self.collect(&host)).await {
            Err(_) => Outcome::fail(format!(
                "Docker daemon at {} timed out: did not answer within {}",
                docker_api::shown_host(&host),
                humantime::format_duration(budget)
            )),
            Ok(Err(e)) => Outcome::fail(e),
            Ok(Ok(views)) => {
                let findings = evaluate(self, &views);
                Outcome::judged(
                    findings,
                    <DockerCheck as crate::kinds::CheckKind>::CODES,
                    self.pass_message(&views),
                )
            }
        }
    }
}

impl DockerCheck {
    async fn collect(&self, host: &str) -> Result<Vec<ContainerView>, String> {
        let docker = docker_api::connect_negotiated(host).await?;
        let mut filters: HashMap<String, Vec<String>> = HashMap::new();
        if let Some(p) = &self.project {
            filters.insert("label".into(), vec![format!("{PROJECT_LABEL}={p}")]);
        }
        let options = bollard::query_parameters::ListContainersOptions {
            all: true,
            filters: Some(filters),
            ..Default::default()
        };
        let list = docker
            .list_containers(Some(options))
            .await
            .map_err(|e| docker_api::describe_error(host, &e))?;
        let mut views = Vec::new();
        for summary in list {
            let Some(id) = summary.id else { continue };
            let names: Vec<String> = summary
                .names
                .unwrap_or_default()
                .iter()
                .map(|n| n.trim_start_matches('/').to_string())
                .collect();
            let service = summary
                .labels
                .as_ref()
                .and_then(|l| l.get(SERVICE_LABEL).cloned());
            if !self.names.is_empty() && !names.iter().any(|n| self.names.contains(n)) {
                continue;
            }
            if !self.services.is_empty()
                && !service.as_ref().is_some_and(|s| self.selects_service(s))
            {
                continue;
            }
            match docker.inspect_container(&id, None).await {
                Ok(c) => views.push(ContainerView::from_inspect(&c)),
                // Removed between list and inspect: it is not running either way.
                Err(bollard::errors::Error::DockerResponseServerError {
                    status_code: 404, ..
                }) => {}
                Err(e) => return Err(docker_api::describe_error(host, &e)),
            }
        }
        views.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(views)
    }

    /// Whether a compose service is one of `services` (or of a candidate list).
    fn selects_service(&self, s: &str) -> bool {
        self.services.iter().any(|r| r.names().contains(&s))
    }

    fn selection(&self) -> String {
        let mut parts = Vec::new();
        if let Some(p) = &self.project {
            parts.push(format!("project {p}"));
        }
        if !self.services.is_empty() {
            let names: Vec<String> = self.services.iter().map(|r| r.names().join("|")).collect();
            parts.push(format!("services {}", names.join(", ")));
        }
        if !self.names.is_empty() {
            parts.push(format!("names {}", self.names.join(", ")));
        }
        parts.join(", ")
    }

    fn pass_message(&self, views: &[ContainerView]) -> String {
        let healthchecked = views.iter().filter(|v| v.health.is_some()).count();
        format!(
            "{} container(s) running ({}); {healthchecked} with a healthcheck, all healthy",
            views.len(),
            self.selection()
        )
    }
}

/// What the check needs to know about one container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContainerView {
    /// Name without the leading `/`.
    pub(crate) name: String,
    /// Compose service label.
    pub(crate) service: Option<String>,
    /// `running`, `exited`, `restarting`, `paused`, `created`, `dead`, ...
    pub(crate) status: String,
    /// Last exit code.
    pub(crate) exit_code: i64,
    /// Health status when the container defines a healthcheck (`healthy`, `unhealthy`, `starting`).
    pub(crate) health: Option<String>,
    /// Consecutive failed healthchecks.
    pub(crate) failing_streak: i64,
    /// Times Docker restarted it.
    pub(crate) restart_count: i64,
}

impl ContainerView {
    /// Summarises `docker inspect` output.
    pub(crate) fn from_inspect(c: &ContainerInspectResponse) -> ContainerView {
        let state = c.state.as_ref();
        let status = state
            .and_then(|s| s.status)
            .map_or_else(|| "unknown".to_string(), |s| s.to_string());
        let health = state.and_then(|s| s.health.as_ref());
        ContainerView {
            name: c
                .name
                .as_deref()
                .unwrap_or("?")
                .trim_start_matches('/')
                .to_string(),
            service: c
                .config
                .as_ref()
                .and_then(|cfg| cfg.labels.as_ref())
                .and_then(|l| l.get(SERVICE_LABEL).cloned()),
            status,
            exit_code: state.and_then(|s| s.exit_code).unwrap_or(0),
            health: health
                .and_then(|h| h.status)
                .map(|s| s.to_string())
                .filter(|s| !s.is_empty() && s != "none"),
            failing_streak: health.and_then(|h| h.failing_streak).unwrap_or(0),
            restart_count: c.restart_count.unwrap_or(0),
        }
    }

    fn label(&self) -> String {
        match &self.service {
            Some(s) => format!("{} (service {s})", self.name),
            None => self.name.clone(),
        }
    }

    fn finished_one_shot(&self, one_shot: &[String]) -> bool {
        self.status == "exited"
            && self.exit_code == 0
            && self.service.as_ref().is_some_and(|s| one_shot.contains(s))
    }
}

/// Every finding about the selected containers.
pub(crate) fn evaluate(spec: &DockerCheck, views: &[ContainerView]) -> Vec<Finding> {
    let mut findings = Vec::new();
    if views.is_empty() {
        findings.push(
            Finding::new(format!("no container matches {}", spec.selection()))
                .code("docker/no-container")
                .expected_actual("at least one container", "none")
                .hint("check the names, or start the stack (`docker compose up -d`)"),
        );
        return findings;
    }
    for v in views {
        // State first: an exited container keeps its last health value.
        if v.status != "running" {
            if v.finished_one_shot(&spec.one_shot) {
                continue;
            }
            let detail = match v.status.as_str() {
                "exited" | "dead" => format!("{} (exit code {})", v.status, v.exit_code),
                "restarting" => format!("restarting (restarted {} times)", v.restart_count),
                other => other.to_string(),
            };
            findings.push(
                Finding::new(format!("{} is {detail}; expected running", v.label()))
                    .code("docker/not-running")
                    .expected_actual("running", detail)
                    .hint(format!("see why: docker logs {}", v.name)),
            );
        } else if spec.healthy {
            match v.health.as_deref() {
                Some("unhealthy") => findings.push(
                    Finding::new(format!(
                        "{} is running but unhealthy (healthcheck failed {} times in a row)",
                        v.label(),
                        v.failing_streak
                    ))
                    .code("docker/unhealthy")
                    .expected_actual("healthy", "unhealthy")
                    .hint(format!(
                        "see the healthcheck's output: docker inspect --format '{{{{json .State.Health}}}}' {}",
                        v.name
                    )),
                ),
                Some("starting") => findings.push(
                    Finding::new(format!(
                        "{} is running but its health is still starting",
                        v.label()
                    ))
                    .code("docker/health-starting")
                    .expected_actual("healthy", "starting"),
                ),
                _ => {}
            }
        }
        if let Some(max) = spec.max_restarts
            && v.restart_count > max
        {
            findings.push(
                Finding::new(format!(
                    "{} restarted {} times; at most {max} allowed",
                    v.label(),
                    v.restart_count
                ))
                .code("docker/restarts")
                .expected_actual(
                    format!("at most {max} restarts"),
                    v.restart_count.to_string(),
                )
                .hint(format!("a crash loop: docker logs {}", v.name)),
            );
        }
    }
    // Every service has a running container (one of a candidate list will do).
    let mut services: Vec<Vec<String>> = if spec.services.is_empty() {
        views
            .iter()
            .filter_map(|v| v.service.clone())
            .map(|s| vec![s])
            .collect()
    } else {
        spec.services
            .iter()
            .map(|r| r.names().into_iter().map(str::to_string).collect())
            .collect()
    };
    services.sort();
    services.dedup();
    // A service whose containers are all down already has a finding per container.
    for alts in &services {
        if !views
            .iter()
            .any(|v| v.service.as_ref().is_some_and(|s| alts.contains(s)))
        {
            let (what, up) = match alts.as_slice() {
                [one] => (format!("service {one} has no container"), one.clone()),
                _ => (
                    format!("none of the services {} has a container", alts.join(", ")),
                    alts.join(" or "),
                ),
            };
            findings.push(
                Finding::new(what)
                    .code("docker/service-missing")
                    .expected_actual("a running container", "none")
                    .hint(format!("docker compose up -d {up}")),
            );
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(yaml: &str) -> DockerCheck {
        let node = marked_yaml::parse_yaml(0, yaml).unwrap();
        marked_yaml::from_node(&node).unwrap()
    }

    /// Trimmed from `docker inspect` of containers on Docker Engine 20.10.
    fn inspect(name: &str, service: &str, state: &str) -> ContainerView {
        let json = format!(
            r#"{{"Id":"abc","Name":"/{name}","RestartCount":0,
               "State":{state},
               "Config":{{"Labels":{{"com.docker.compose.project":"readyctltest","com.docker.compose.service":"{service}"}}}}}}"#
        );
        let c: ContainerInspectResponse = serde_json::from_str(&json).unwrap();
        ContainerView::from_inspect(&c)
    }

    const HEALTHY: &str = r#"{"Status":"running","Running":true,"Restarting":false,"ExitCode":0,"Health":{"Status":"healthy","FailingStreak":0,"Log":[]}}"#;
    const UNHEALTHY: &str = r#"{"Status":"running","Running":true,"Restarting":false,"ExitCode":0,"Health":{"Status":"unhealthy","FailingStreak":7,"Log":[]}}"#;
    // Exited containers keep their last health value.
    const EXITED_WAS_HEALTHY: &str = r#"{"Status":"exited","Running":false,"ExitCode":3,"Health":{"Status":"healthy","FailingStreak":0,"Log":[]}}"#;
    const NO_HEALTHCHECK: &str =
        r#"{"Status":"running","Running":true,"Restarting":false,"ExitCode":0}"#;
    const EXITED_OK: &str = r#"{"Status":"exited","Running":false,"ExitCode":0}"#;

    #[test]
    fn reads_state_and_health_from_inspect_output() {
        let v = inspect("w-1", "worker", UNHEALTHY);
        assert_eq!(v.status, "running");
        assert_eq!(v.health.as_deref(), Some("unhealthy"));
        assert_eq!(v.failing_streak, 7);
        assert_eq!(v.service.as_deref(), Some("worker"));
        assert_eq!(inspect("a", "a", NO_HEALTHCHECK).health, None);
    }

    #[test]
    fn exited_container_fails_on_state_not_on_stale_health() {
        let s = spec("project: readyctltest\n");
        let f = evaluate(&s, &[inspect("m-1", "migrate", EXITED_WAS_HEALTHY)]);
        assert!(
            f[0].message == "m-1 (service migrate) is exited (exit code 3); expected running",
            "{}",
            f[0].message
        );
        assert_eq!(f.len(), 1, "{f:?}");
    }

    #[test]
    fn unhealthy_fails_healthy_and_unchecked_pass() {
        let s = spec("project: readyctltest\n");
        let f = evaluate(
            &s,
            &[
                inspect("web-1", "web", HEALTHY),
                inspect("worker-1", "worker", UNHEALTHY),
                inspect("cache-1", "cache", NO_HEALTHCHECK),
            ],
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(
            f[0].message,
            "worker-1 (service worker) is running but unhealthy (healthcheck failed 7 times in a row)"
        );
    }

    #[test]
    fn one_shot_services_may_exit_zero_and_listed_services_must_exist() {
        let s = spec("project: p\nservices: [web, migrate, redis]\none_shot: [migrate]\n");
        let f = evaluate(
            &s,
            &[
                inspect("web-1", "web", HEALTHY),
                inspect("migrate-1", "migrate", EXITED_OK),
            ],
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].message, "service redis has no container");
    }

    #[test]
    fn a_candidate_list_is_satisfied_by_any_one_of_its_services() {
        let s = spec("project: p\nservices: [postgres, [openbao, vault]]\n");
        let up = [
            inspect("postgres-1", "postgres", HEALTHY),
            inspect("vault-1", "vault", HEALTHY),
        ];
        assert!(evaluate(&s, &up).is_empty(), "{:?}", evaluate(&s, &up));
        assert!(s.selects_service("vault") && s.selects_service("openbao"));
        assert!(!s.selects_service("redis"));
        let f = evaluate(&s, &up[..1]);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(
            f[0].message,
            "none of the services openbao, vault has a container"
        );
    }

    #[test]
    fn restart_count_over_the_bound_fails() {
        let s = spec("names: [x]\nmax_restarts: 2\n");
        let mut v = inspect("x", "x", NO_HEALTHCHECK);
        v.restart_count = 5;
        let f = evaluate(&s, &[v]);
        assert_eq!(
            f[0].message,
            "x (service x) restarted 5 times; at most 2 allowed"
        );
    }

    #[test]
    fn empty_selection_fails() {
        let f = evaluate(&spec("project: nope\n"), &[]);
        assert_eq!(f[0].message, "no container matches project nope");
    }

    #[tokio::test]
    async fn missing_socket_is_a_plain_reason() {
        let s = spec("host: unix:///nonexistent/docker.sock\nproject: p\n");
        let o = s.run(&RunContext::for_root(".")).await;
        assert_eq!(o.status(), crate::report::Status::Fail);
        assert!(
            o.message
                .starts_with("Docker socket /nonexistent/docker.sock does not exist"),
            "{}",
            o.message
        );
    }

    #[tokio::test]
    async fn socket_without_daemon_is_not_answering() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("docker.sock");
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        drop(listener); // the file stays; nobody listens
        let s = spec(&format!("host: unix://{}\nproject: p\n", path.display()));
        let o = s.run(&RunContext::for_root(".")).await;
        assert!(
            o.message.starts_with("Docker daemon not answering at"),
            "{}",
            o.message
        );
    }

    #[test]
    fn validation_requires_a_selection() {
        assert_eq!(spec("max_restarts: 1\n").validate()[0].field, "project");
        assert_eq!(
            spec("project: p\nhost: ftp://x\n").validate()[0].field,
            "host"
        );
    }
}
