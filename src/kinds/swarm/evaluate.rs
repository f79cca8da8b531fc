//! The judgement of a [`SwarmView`]: one pure function from what the daemon
//! said to findings, each with a code from [`super::CODES`] and naming the
//! service and the task. Tested on a captured one-node swarm.

use std::time::Duration;

use super::constraint::Constraint;
use super::view::{Mode, NodeView, ServiceView, SwarmView, TaskView};
use crate::report::{Finding, Severity};

/// A secret or config a stack file needs to exist before `docker stack
/// deploy` (declared `external: true`).
#[derive(Debug, Clone)]
pub(crate) struct External {
    /// `secret` or `config`.
    pub(crate) what: &'static str,
    /// The name on the swarm.
    pub(crate) name: String,
    /// The services that use it.
    pub(crate) services: Vec<String>,
    /// Where it is declared: (file, line, column).
    pub(crate) at: Option<(String, u32, u32)>,
}

/// What to judge besides the services themselves.
#[derive(Debug, Clone, Default)]
pub(crate) struct Rules {
    /// Services listed by the check (empty: every service selected).
    pub(crate) listed: Vec<String>,
    /// The stack selected, for names and messages.
    pub(crate) stack: Option<String>,
    /// Task failures younger than this count.
    pub(crate) window: Duration,
    /// Secrets and configs that must exist.
    pub(crate) externals: Vec<External>,
    /// Judge the node list too.
    pub(crate) nodes: bool,
}

fn finding(code: &str, msg: impl Into<String>) -> Finding {
    let f = Finding::new(msg).code(code);
    match super::code(code) {
        Some(c) if c.level == crate::report::codes::Level::Info => f.severity(Severity::Info),
        _ => f,
    }
}

fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

fn ago(now: jiff::Timestamp, t: Option<jiff::Timestamp>) -> String {
    match t {
        Some(t) => {
            let secs = now.as_second().saturating_sub(t.as_second()).max(0) as u64;
            format!(
                " {} ago",
                humantime::format_duration(Duration::from_secs(secs))
            )
        }
        None => String::new(),
    }
}

/// A task's name as `docker service ps` shows it: `web.1`, or `agent` on a
/// node for global services.
fn task_name(s: &ServiceView, t: &TaskView, nodes: &[NodeView]) -> String {
    match (t.slot, &t.node_id) {
        (Some(slot), _) if slot > 0 => format!("{}.{slot} ({})", s.name, short(&t.id)),
        (_, Some(n)) => {
            let host = nodes
                .iter()
                .find(|x| &x.id == n)
                .map_or_else(|| short(n).to_string(), |x| x.hostname.clone());
            format!("{} on {host} ({})", s.name, short(&t.id))
        }
        _ => format!("{} ({})", s.name, short(&t.id)),
    }
}

/// Why a current task is not running, in words.
/// A task stays `starting` past its container's start only while a
/// healthcheck (the service's or the image's) has not passed; the API's
/// service spec does not tell which (bollard 0.21 reads `HealthCheck`, the
/// engine writes `Healthcheck`), so the state is what is judged.
fn not_running(t: &TaskView) -> String {
    let mut why = t.state.clone();
    if t.state == "starting" {
        why.push_str(" (not healthy yet)");
    }
    if let Some(e) = &t.err {
        why.push_str(": ");
        why.push_str(e);
    }
    why
}

/// Every finding about `view`.
pub(crate) fn evaluate(view: &SwarmView, rules: &Rules) -> Vec<Finding> {
    let mut out = Vec::new();
    selection(view, rules, &mut out);
    let schedulable: Vec<&NodeView> = view.nodes.iter().filter(|n| n.schedulable()).collect();
    for s in &view.services {
        let tasks: Vec<&TaskView> = view.tasks.iter().filter(|t| t.service_id == s.id).collect();
        let constraints: Vec<Constraint> = s
            .constraints
            .iter()
            .filter_map(|c| Constraint::parse(c))
            .collect();
        let eligible: Vec<&NodeView> = schedulable
            .iter()
            .copied()
            .filter(|n| constraints.iter().all(|c| c.matches(n)))
            .collect();
        placement(s, &constraints, &schedulable, &eligible, &mut out);
        replicas(view, s, &tasks, &eligible, &mut out);
        failures(view, s, &tasks, rules.window, &mut out);
        update(view, s, &tasks, &mut out);
        references(view, s, &mut out);
    }
    for e in &rules.externals {
        let have = match e.what {
            "config" => &view.configs,
            _ => &view.secrets,
        };
        if !have.iter().any(|(_, n)| n == &e.name) {
            let code = if e.what == "config" {
                "swarm/config-missing"
            } else {
                "swarm/secret-missing"
            };
            let users = match e.services.as_slice() {
                [] => String::new(),
                [one] => format!("service {one} needs "),
                many => format!("services {} need ", many.join(", ")),
            };
            let mut f = finding(
                code,
                format!(
                    "{users}external {} {}, which the swarm does not have: `docker stack deploy` refuses the stack",
                    e.what, e.name
                ),
            )
            .expected_actual(format!("{} {} exists", e.what, e.name), "missing")
            .hint(format!("create it first: docker {} create {} FILE", e.what, e.name));
            if let Some((file, line, col)) = &e.at {
                f = f.at(file.clone(), *line, *col);
            }
            out.push(f);
        }
    }
    if rules.nodes {
        nodes(view, &mut out);
    }
    out
}

fn selection(view: &SwarmView, rules: &Rules, out: &mut Vec<Finding>) {
    let scope = rules
        .stack
        .as_ref()
        .map(|s| format!(" in stack {s}"))
        .unwrap_or_default();
    if rules.listed.is_empty() {
        if view.services.is_empty() {
            out.push(
                finding(
                    "swarm/service-missing",
                    format!("no service is deployed{scope}"),
                )
                .expected_actual("at least one service", "none")
                .hint("deploy it: docker stack deploy -c STACK.yml NAME"),
            );
        }
        return;
    }
    for l in &rules.listed {
        let names = [
            l.clone(),
            rules
                .stack
                .as_ref()
                .map(|s| format!("{s}_{l}"))
                .unwrap_or_default(),
        ];
        if !view.services.iter().any(|s| names.contains(&s.name)) {
            out.push(
                finding(
                    "swarm/service-missing",
                    format!("service {l} is not deployed{scope}"),
                )
                .expected_actual("a service", "none")
                .hint("docker service ls shows what runs"),
            );
        }
    }
}

fn placement(
    s: &ServiceView,
    constraints: &[Constraint],
    schedulable: &[&NodeView],
    eligible: &[&NodeView],
    out: &mut Vec<Finding>,
) {
    if constraints.is_empty() || !eligible.is_empty() {
        return;
    }
    let written: Vec<&str> = constraints.iter().map(|c| c.text.as_str()).collect();
    let why: Vec<String> = schedulable
        .iter()
        .take(3)
        .map(|n| {
            constraints
                .iter()
                .find(|c| !c.matches(n))
                .map(|c| c.why_not(n))
                .unwrap_or_default()
        })
        .collect();
    let nodes = if schedulable.is_empty() {
        "there is no ready, active node".to_string()
    } else {
        format!(
            "{} ready, active node(s): {}",
            schedulable.len(),
            why.join("; ")
        )
    };
    out.push(
        finding(
            "swarm/placement-unsatisfiable",
            format!(
                "service {}: no node satisfies its placement constraints {} ({nodes}); its tasks stay pending",
                s.name,
                written.join(", ")
            ),
        )
        .expected_actual("a node matching every constraint", "none")
        .hint("label a node (docker node update --label-add KEY=VALUE NODE) or fix deploy.placement.constraints"),
    );
}

fn replicas(
    view: &SwarmView,
    s: &ServiceView,
    tasks: &[&TaskView],
    eligible: &[&NodeView],
    out: &mut Vec<Finding>,
) {
    let current: Vec<&&TaskView> = tasks.iter().filter(|t| t.current()).collect();
    let running = current.iter().filter(|t| t.state == "running").count();
    let waiting: Vec<String> = current
        .iter()
        .filter(|t| t.state != "running")
        .take(3)
        .map(|t| {
            format!(
                "task {} is {}",
                task_name(s, t, &view.nodes),
                not_running(t)
            )
        })
        .collect();
    let reasons = if waiting.is_empty() {
        String::new()
    } else {
        format!("; {}", waiting.join("; "))
    };
    match s.mode {
        Mode::Replicated(want) if (running as u64) < want => out.push(
            finding(
                "swarm/replicas-short",
                format!(
                    "service {}: {running} of {want} replicas running{reasons}",
                    s.name
                ),
            )
            .expected_actual(format!("{want} running"), format!("{running} running"))
            .hint(format!("see why: docker service ps --no-trunc {}", s.name)),
        ),
        Mode::Global => {
            let missing: Vec<&str> = eligible
                .iter()
                .filter(|n| {
                    !current
                        .iter()
                        .any(|t| t.state == "running" && t.node_id.as_deref() == Some(&n.id))
                })
                .map(|n| n.hostname.as_str())
                .collect();
            if !missing.is_empty() {
                out.push(
                    finding(
                        "swarm/replicas-short",
                        format!(
                            "service {} (global): no running task on {}{reasons}",
                            s.name,
                            missing.join(", ")
                        ),
                    )
                    .expected_actual(
                        format!("{} running (one per eligible node)", eligible.len()),
                        format!("{} running", eligible.len() - missing.len()),
                    )
                    .hint(format!("see why: docker service ps --no-trunc {}", s.name)),
                );
            }
        }
        _ => {}
    }
}

fn failures(
    view: &SwarmView,
    s: &ServiceView,
    tasks: &[&TaskView],
    window: Duration,
    out: &mut Vec<Finding>,
) {
    let since = view.now.as_second() - window.as_secs() as i64;
    let mut failed: Vec<&&TaskView> = tasks
        .iter()
        .filter(|t| t.failed() && t.timestamp.is_some_and(|ts| ts.as_second() >= since))
        .collect();
    if failed.is_empty() {
        return;
    }
    failed.sort_by_key(|t| std::cmp::Reverse(t.timestamp));
    let last = failed[0];
    let err = last.err.clone().unwrap_or_else(|| last.state.clone());
    let unhealthy = err.contains("unhealthy container");
    let (code, what) = if unhealthy {
        (
            "swarm/task-unhealthy",
            "was killed by its failing healthcheck",
        )
    } else if last.state == "rejected" {
        ("swarm/task-failed", "was rejected")
    } else {
        ("swarm/task-failed", "failed")
    };
    let window_text = humantime::format_duration(window);
    out.push(
        finding(
            code,
            format!(
                "service {}: task {} {what}{} ({err}); {} task failure(s) in the last {window_text}",
                s.name,
                task_name(s, last, &view.nodes),
                ago(view.now, last.timestamp),
                failed.len()
            ),
        )
        .expected_actual(
            format!("no task failure in the last {window_text}"),
            format!("{} failure(s)", failed.len()),
        )
        .hint(if unhealthy {
            format!(
                "the healthcheck fails inside the container: docker service ps --no-trunc {} and docker inspect a task's container for .State.Health",
                s.name
            )
        } else {
            format!("see why: docker service logs {}", s.name)
        }),
    );
}

fn update(view: &SwarmView, s: &ServiceView, tasks: &[&TaskView], out: &mut Vec<Finding>) {
    let Some(state) = s.update_state.as_deref() else {
        return;
    };
    let code = match state {
        "completed" => return,
        "paused" => "swarm/update-paused",
        "updating" => "swarm/update-in-progress",
        _ if state.starts_with("rollback") => "swarm/update-rolled-back",
        _ => "swarm/update-in-progress",
    };
    // "update paused due to failure or early termination of task ID": quote that task's error.
    // The daemon prunes task history (5 per slot), so the named task may be
    // gone: then the latest failure is the best witness.
    let culprit = tasks
        .iter()
        .find(|t| !t.id.is_empty() && s.update_message.contains(t.id.as_str()) && t.err.is_some())
        .map(|t| ("", t))
        .or_else(|| {
            tasks
                .iter()
                .filter(|t| t.failed() && t.err.is_some())
                .max_by_key(|t| t.timestamp)
                .map(|t| ("latest failed ", t))
        });
    let detail = match culprit {
        Some((latest, t)) => format!(
            "; {latest}task {} {}: {}",
            task_name(s, t, &view.nodes),
            t.state,
            t.err.as_deref().unwrap_or("")
        ),
        None => String::new(),
    };
    let what = match state {
        "paused" => "update is paused",
        "updating" => "update is still in progress",
        "rollback_started" => "update failed and is rolling back",
        "rollback_paused" => "update failed and its rollback is paused",
        "rollback_completed" => "last update failed and was rolled back",
        other => other,
    };
    let msg = if s.update_message.is_empty() {
        String::new()
    } else {
        format!(" ({})", s.update_message)
    };
    out.push(
        finding(code, format!("service {}: {what}{msg}{detail}", s.name))
            .expected_actual("update completed", state)
            .hint(match state {
                "paused" => format!(
                    "fix the cause, then docker service update {} (or --rollback)",
                    s.name
                ),
                "updating" => "wait for the rolling update, or gate with --wait".to_string(),
                _ => format!(
                    "the new version did not come up: docker service ps --no-trunc {}",
                    s.name
                ),
            }),
    );
}

fn references(view: &SwarmView, s: &ServiceView, out: &mut Vec<Finding>) {
    for (what, refs, have, code) in [
        ("secret", &s.secrets, &view.secrets, "swarm/secret-missing"),
        ("config", &s.configs, &view.configs, "swarm/config-missing"),
    ] {
        for (id, name) in refs {
            if !have.iter().any(|(i, _)| i == id) {
                out.push(
                    finding(
                        code,
                        format!(
                            "service {} mounts {what} {name}, which no longer exists on the swarm",
                            s.name
                        ),
                    )
                    .expected_actual(format!("{what} {name}"), "missing"),
                );
            }
        }
    }
}

fn nodes(view: &SwarmView, out: &mut Vec<Finding>) {
    for n in &view.nodes {
        if n.state != "ready" {
            let msg = if n.message.is_empty() {
                String::new()
            } else {
                format!(": {}", n.message)
            };
            out.push(
                finding(
                    "swarm/node-down",
                    format!("node {} ({}) is {}{msg}", n.hostname, n.role, n.state),
                )
                .expected_actual("ready", n.state.clone())
                .hint("docker node ps NODE; is its engine running and reachable?"),
            );
        } else if n.availability != "active" {
            out.push(
                finding(
                    "swarm/node-unavailable",
                    format!(
                        "node {} ({}) is {}: the scheduler places no new tasks on it",
                        n.hostname, n.role, n.availability
                    ),
                )
                .expected_actual("active", n.availability.clone())
                .hint("docker node update --availability active NODE when maintenance is over"),
            );
        }
        if let Some(r) = &n.reachability
            && r != "reachable"
        {
            out.push(
                finding(
                    "swarm/manager-unreachable",
                    format!("manager {} is {r}", n.hostname),
                )
                .expected_actual("reachable", r.clone()),
            );
        }
    }
    let managers = view
        .nodes
        .iter()
        .filter(|n| n.reachability.is_some())
        .count();
    let reachable = view
        .nodes
        .iter()
        .filter(|n| n.reachability.as_deref() == Some("reachable"))
        .count();
    if managers > 0 && reachable * 2 <= managers {
        out.push(
            finding(
                "swarm/quorum-lost",
                format!(
                    "only {reachable} of {managers} managers are reachable: the swarm has no Raft quorum and accepts no changes"
                ),
            )
            .expected_actual(
                format!("more than {} reachable", managers / 2),
                reachable.to_string(),
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::view::tests::captured;
    use super::*;

    fn rules() -> Rules {
        Rules {
            window: Duration::from_secs(300),
            nodes: true,
            ..Rules::default()
        }
    }

    fn only(view: &SwarmView, stack: Option<&str>, names: &[&str]) -> SwarmView {
        let mut v = view.clone();
        v.services.retain(|s| {
            names.contains(&s.name.as_str()) || (stack.is_some() && s.stack.as_deref() == stack)
        });
        v
    }

    #[test]
    fn healthy_replicated_and_global_services_pass() {
        let v = only(&captured(), Some("good"), &[]);
        let f = evaluate(&v, &rules());
        assert!(f.is_empty(), "{f:#?}");
    }

    #[test]
    fn failing_healthcheck_names_service_task_and_error() {
        let v = only(&captured(), None, &["bad_sick"]);
        let f = evaluate(&v, &rules());
        let codes: Vec<&str> = f.iter().filter_map(|f| f.code.as_deref()).collect();
        assert_eq!(
            codes,
            ["swarm/replicas-short", "swarm/task-unhealthy"],
            "{f:#?}"
        );
        assert!(
            f[0].message
                .starts_with("service bad_sick: 0 of 1 replicas running; task bad_sick.1"),
            "{}",
            f[0].message
        );
        assert!(
            f[1].message
                .contains("was killed by its failing healthcheck")
                && f[1]
                    .message
                    .contains("(task: non-zero exit (137): dockerexec: unhealthy container)")
                && f[1].message.contains("4 task failure(s) in the last 5m"),
            "{}",
            f[1].message
        );
    }

    #[test]
    fn unsatisfiable_constraint_says_which_and_why() {
        let v = only(&captured(), None, &["bad_pinned"]);
        let f = evaluate(&v, &rules());
        assert_eq!(f[0].code.as_deref(), Some("swarm/placement-unsatisfiable"));
        assert_eq!(
            f[0].message,
            "service bad_pinned: no node satisfies its placement constraints node.labels.zone==nowhere (1 ready, active node(s): vm has no node label zone); its tasks stay pending"
        );
        assert!(
            f[1].message
                .contains("task bad_pinned.1 (okluqan65lrd) is pending: no suitable node"),
            "{}",
            f[1].message
        );
    }

    #[test]
    fn paused_update_quotes_the_failed_task() {
        let v = only(&captured(), None, &["upd"]);
        let f = evaluate(&v, &rules());
        let paused = f
            .iter()
            .find(|f| f.code.as_deref() == Some("swarm/update-paused"))
            .unwrap();
        assert!(
            paused
                .message
                .ends_with(") failed: task: non-zero exit (1)"),
            "{}",
            paused.message
        );
        assert!(
            paused.message.starts_with("service upd: update is paused (update paused due to failure or early termination of task 95wja1gn97uxl32azgzsya7r3); latest failed task upd.1 ("),
            "{}",
            paused.message
        );
    }

    #[test]
    fn old_failures_fall_out_of_the_window() {
        let mut v = only(&captured(), None, &["bad_crash"]);
        v.now = "2026-12-01T13:40:00Z".parse().unwrap();
        let f = evaluate(&v, &rules());
        assert!(
            f.iter()
                .all(|f| f.code.as_deref() != Some("swarm/task-failed")),
            "{f:#?}"
        );
    }

    #[test]
    fn missing_external_secret_names_its_service() {
        let v = only(&captured(), Some("good"), &[]);
        let mut r = rules();
        r.externals = vec![
            External {
                what: "secret",
                name: "good_token".into(),
                services: vec!["web".into()],
                at: None,
            },
            External {
                what: "secret",
                name: "db_password".into(),
                services: vec!["api".into()],
                at: Some(("stack.yml".into(), 9, 7)),
            },
        ];
        let f = evaluate(&v, &r);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(
            f[0].message,
            "service api needs external secret db_password, which the swarm does not have: `docker stack deploy` refuses the stack"
        );
        assert_eq!(f[0].line, Some(9));
    }

    #[test]
    fn drained_and_down_nodes_and_lost_quorum() {
        let mut v = only(&captured(), Some("good"), &[]);
        let mut n2 = v.nodes[0].clone();
        n2.id = "n2".into();
        n2.hostname = "b".into();
        n2.state = "down".into();
        n2.reachability = Some("unreachable".into());
        let mut n3 = n2.clone();
        n3.id = "n3".into();
        n3.hostname = "c".into();
        v.nodes[0].availability = "drain".into();
        v.nodes.push(n2);
        v.nodes.push(n3);
        let f = evaluate(&v, &rules());
        let codes: Vec<&str> = f.iter().filter_map(|f| f.code.as_deref()).collect();
        assert!(codes.contains(&"swarm/node-unavailable") && codes.contains(&"swarm/node-down"));
        assert!(
            codes.contains(&"swarm/quorum-lost") && codes.contains(&"swarm/manager-unreachable")
        );
        // With the only schedulable node drained, the global agent has nowhere to run.
        assert!(
            f.iter()
                .all(|f| f.code.as_deref() != Some("swarm/replicas-short")
                    || !f.message.contains("agent"))
        );
    }

    #[test]
    fn unknown_listed_service_is_named() {
        let v = only(&captured(), Some("good"), &[]);
        let mut r = rules();
        r.stack = Some("good".into());
        r.listed = vec!["web".into(), "worker".into()];
        let f = evaluate(&v, &r);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].message, "service worker is not deployed in stack good");
    }
}
