//! What the `swarm` kind reads from the Docker Engine API — services, their
//! tasks, nodes, secrets and configs — as plain summaries, so the judgement
//! ([`super::evaluate`]) is tested on captured API output
//! (`fixtures/swarm/*.json`, from a real one-node swarm) as well as live.

use std::collections::HashMap;

use bollard::Docker;
use bollard::models::{Node, Service, Task};

use super::super::docker_api;

/// The compose-stack label `docker stack deploy` puts on what it creates.
pub(crate) const STACK_LABEL: &str = "com.docker.stack.namespace";

/// How a service is scheduled.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum Mode {
    /// `replicas` tasks.
    Replicated(u64),
    /// One task on every eligible node.
    Global,
    /// A job (`replicated-job`, `global-job`): tasks run to completion.
    #[default]
    Job,
}

/// One service.
#[derive(Debug, Clone, Default)]
pub(crate) struct ServiceView {
    /// Service id.
    pub(crate) id: String,
    /// Service name (`STACK_NAME` for stack services).
    pub(crate) name: String,
    /// Its stack, from [`STACK_LABEL`].
    pub(crate) stack: Option<String>,
    /// Scheduling mode.
    pub(crate) mode: Mode,
    /// Placement constraints as written.
    pub(crate) constraints: Vec<String>,
    /// Secrets it mounts: (id, name).
    pub(crate) secrets: Vec<(String, String)>,
    /// Configs it mounts: (id, name).
    pub(crate) configs: Vec<(String, String)>,
    /// Update or rollback state (`updating`, `paused`, `completed`,
    /// `rollback_started`, `rollback_paused`, `rollback_completed`), when an
    /// update ever ran.
    pub(crate) update_state: Option<String>,
    /// The daemon's message for that state.
    pub(crate) update_message: String,
}

/// One task (a slot's container, current or historic).
#[derive(Debug, Clone, Default)]
pub(crate) struct TaskView {
    /// Task id.
    pub(crate) id: String,
    /// The service it belongs to.
    pub(crate) service_id: String,
    /// Replica slot (replicated services).
    pub(crate) slot: Option<i64>,
    /// The node it is assigned to, once scheduled.
    pub(crate) node_id: Option<String>,
    /// `running` (or `ready`) for current tasks, `shutdown` for history.
    pub(crate) desired: String,
    /// Observed state: `pending`, `starting`, `running`, `failed`, ...
    pub(crate) state: String,
    /// The daemon's error text (`task: non-zero exit (3)`, `no suitable node ...`).
    pub(crate) err: Option<String>,
    /// When it entered its state.
    pub(crate) timestamp: Option<jiff::Timestamp>,
}

/// One node.
#[derive(Debug, Clone, Default)]
pub(crate) struct NodeView {
    /// Node id.
    pub(crate) id: String,
    /// Hostname.
    pub(crate) hostname: String,
    /// `manager` or `worker`.
    pub(crate) role: String,
    /// `active`, `pause` or `drain`.
    pub(crate) availability: String,
    /// `ready`, `down`, `disconnected`, `unknown`.
    pub(crate) state: String,
    /// The daemon's message about its state.
    pub(crate) message: String,
    /// Node labels (`docker node update --label-add`).
    pub(crate) labels: HashMap<String, String>,
    /// Engine labels (daemon `--label`).
    pub(crate) engine_labels: HashMap<String, String>,
    /// OS, e.g. `linux`.
    pub(crate) os: String,
    /// Architecture, e.g. `x86_64`.
    pub(crate) arch: String,
    /// Manager reachability (`reachable`, `unreachable`, `unknown`), for managers.
    pub(crate) reachability: Option<String>,
}

impl NodeView {
    /// Whether the scheduler may place new tasks on it.
    pub(crate) fn schedulable(&self) -> bool {
        self.state == "ready" && self.availability == "active"
    }
}

/// Everything the check judges, read at one moment.
#[derive(Debug, Clone, Default)]
pub(crate) struct SwarmView {
    /// Selected services, by name.
    pub(crate) services: Vec<ServiceView>,
    /// Tasks of the selected services (history included).
    pub(crate) tasks: Vec<TaskView>,
    /// Every node.
    pub(crate) nodes: Vec<NodeView>,
    /// Every secret: (id, name).
    pub(crate) secrets: Vec<(String, String)>,
    /// Every config: (id, name).
    pub(crate) configs: Vec<(String, String)>,
    /// When it was read.
    pub(crate) now: jiff::Timestamp,
}

fn text<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn time(s: Option<&String>) -> Option<jiff::Timestamp> {
    s.and_then(|s| s.parse().ok())
}

impl ServiceView {
    /// Summarises a service from the API.
    pub(crate) fn from_api(s: &Service) -> ServiceView {
        let spec = s.spec.clone().unwrap_or_default();
        let mode = match &spec.mode {
            Some(m) if m.global.is_some() => Mode::Global,
            Some(m) if m.replicated_job.is_some() || m.global_job.is_some() => Mode::Job,
            Some(m) => Mode::Replicated(
                m.replicated
                    .as_ref()
                    .and_then(|r| r.replicas)
                    .unwrap_or(1)
                    .max(0) as u64,
            ),
            None => Mode::Replicated(1),
        };
        let task = spec.task_template.clone().unwrap_or_default();
        let cs = task.container_spec.clone().unwrap_or_default();
        let update = s.update_status.as_ref();
        ServiceView {
            id: text(s.id.as_ref()),
            name: text(spec.name.as_ref()),
            stack: spec
                .labels
                .as_ref()
                .and_then(|l| l.get(STACK_LABEL).cloned()),
            mode,
            constraints: task
                .placement
                .and_then(|p| p.constraints)
                .unwrap_or_default(),
            secrets: cs
                .secrets
                .unwrap_or_default()
                .into_iter()
                .map(|r| (text(r.secret_id), text(r.secret_name)))
                .collect(),
            configs: cs
                .configs
                .unwrap_or_default()
                .into_iter()
                .map(|r| (text(r.config_id), text(r.config_name)))
                .collect(),
            update_state: update
                .and_then(|u| u.state)
                .map(|s| s.to_string())
                .filter(|s| !s.is_empty()),
            update_message: text(update.and_then(|u| u.message.as_ref())),
        }
    }
}

impl TaskView {
    /// Summarises a task from the API.
    pub(crate) fn from_api(t: &Task) -> TaskView {
        let status = t.status.clone().unwrap_or_default();
        TaskView {
            id: text(t.id.as_ref()),
            service_id: text(t.service_id.as_ref()),
            slot: t.slot,
            node_id: t.node_id.clone().filter(|n| !n.is_empty()),
            desired: text(t.desired_state),
            state: text(status.state),
            err: status.err.filter(|e| !e.is_empty()),
            timestamp: time(status.timestamp.as_ref()),
        }
    }

    /// Whether this is a current task (not history): the one its slot runs.
    pub(crate) fn current(&self) -> bool {
        matches!(self.desired.as_str(), "running" | "ready")
    }

    /// Whether it ended in failure.
    pub(crate) fn failed(&self) -> bool {
        matches!(self.state.as_str(), "failed" | "rejected")
    }
}

impl NodeView {
    /// Summarises a node from the API.
    pub(crate) fn from_api(n: &Node) -> NodeView {
        let spec = n.spec.clone().unwrap_or_default();
        let desc = n.description.clone().unwrap_or_default();
        let platform = desc.platform.unwrap_or_default();
        let status = n.status.clone().unwrap_or_default();
        NodeView {
            id: text(n.id.as_ref()),
            hostname: text(desc.hostname.as_ref()),
            role: text(spec.role),
            availability: text(spec.availability),
            state: text(status.state),
            message: text(status.message.as_ref()),
            labels: spec.labels.unwrap_or_default(),
            engine_labels: desc.engine.and_then(|e| e.labels).unwrap_or_default(),
            os: text(platform.os.as_ref()),
            arch: text(platform.architecture.as_ref()),
            reachability: n
                .manager_status
                .as_ref()
                .and_then(|m| m.reachability)
                .map(|r| r.to_string()),
        }
    }
}

/// Which services to read.
pub(crate) struct Selection<'a> {
    /// Services of this stack.
    pub(crate) stack: Option<&'a str>,
    /// Services by name (`web` or `stack_web`).
    pub(crate) services: &'a [String],
}

impl Selection<'_> {
    /// Whether the service named `name` in `stack` is selected.
    pub(crate) fn selects(&self, name: &str, stack: Option<&str>) -> bool {
        if let Some(want) = self.stack
            && stack != Some(want)
        {
            return false;
        }
        self.services.is_empty()
            || self
                .services
                .iter()
                .any(|s| self.names(s).iter().any(|n| n == name))
    }

    /// The names a listed service may have: as written, or inside the stack.
    pub(crate) fn names(&self, listed: &str) -> Vec<String> {
        let mut v = vec![listed.to_string()];
        if let Some(st) = self.stack {
            v.push(format!("{st}_{listed}"));
        }
        v
    }
}

/// Why reading the swarm failed before anything could be judged.
pub(crate) enum ReadError {
    /// The engine answers but is not a swarm manager (not in a swarm, or a worker).
    NotManager(String),
    /// Anything else: the daemon cannot be asked.
    Daemon(String),
}

/// Reads the selected services, their tasks, the nodes, secrets and configs.
pub(crate) async fn read(host: &str, sel: &Selection<'_>) -> Result<SwarmView, ReadError> {
    let docker = docker_api::connect_negotiated(host)
        .await
        .map_err(ReadError::Daemon)?;
    let err = |e: bollard::errors::Error| classify(host, &e);
    let mut filters: HashMap<String, Vec<String>> = HashMap::new();
    if let Some(st) = sel.stack {
        filters.insert("label".into(), vec![format!("{STACK_LABEL}={st}")]);
    }
    let services = docker
        .list_services(Some(bollard::query_parameters::ListServicesOptions {
            filters: Some(filters),
            ..Default::default()
        }))
        .await
        .map_err(err)?;
    let mut services: Vec<ServiceView> = services
        .iter()
        .map(ServiceView::from_api)
        .filter(|s| sel.selects(&s.name, s.stack.as_deref()))
        .collect();
    services.sort_by(|a, b| a.name.cmp(&b.name));
    let mut tasks = Vec::new();
    if !services.is_empty() {
        let mut f: HashMap<String, Vec<String>> = HashMap::new();
        f.insert(
            "service".into(),
            services.iter().map(|s| s.id.clone()).collect(),
        );
        tasks = list_tasks(&docker, f).await.map_err(err)?;
    }
    let nodes = docker
        .list_nodes(None::<bollard::query_parameters::ListNodesOptions>)
        .await
        .map_err(err)?
        .iter()
        .map(NodeView::from_api)
        .collect();
    let secrets = docker
        .list_secrets(None::<bollard::query_parameters::ListSecretsOptions>)
        .await
        .map_err(err)?
        .into_iter()
        .map(|s| (text(s.id), text(s.spec.and_then(|s| s.name))))
        .collect();
    let configs = docker
        .list_configs(None::<bollard::query_parameters::ListConfigsOptions>)
        .await
        .map_err(err)?
        .into_iter()
        .map(|c| (text(c.id), text(c.spec.and_then(|s| s.name))))
        .collect();
    Ok(SwarmView {
        services,
        tasks,
        nodes,
        secrets,
        configs,
        now: jiff::Timestamp::now(),
    })
}

async fn list_tasks(
    docker: &Docker,
    filters: HashMap<String, Vec<String>>,
) -> Result<Vec<TaskView>, bollard::errors::Error> {
    let tasks = docker
        .list_tasks(Some(bollard::query_parameters::ListTasksOptions {
            filters: Some(filters),
        }))
        .await?;
    Ok(tasks.iter().map(TaskView::from_api).collect())
}

/// "This node is not a swarm manager" comes back as HTTP 503 on every swarm
/// endpoint; it deserves its own plain reason.
fn classify(host: &str, e: &bollard::errors::Error) -> ReadError {
    if let bollard::errors::Error::DockerResponseServerError {
        status_code: 503,
        message,
    } = e
    {
        return ReadError::NotManager(format!(
            "the Docker engine at {} is not a swarm manager: {}",
            docker_api::shown_host(host),
            message.trim()
        ));
    }
    ReadError::Daemon(docker_api::describe_error(host, e))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn fixture<T: serde::de::DeserializeOwned>(name: &str) -> T {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/swarm")
            .join(name);
        serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
    }

    /// The captured state of a one-node swarm (Engine 20.10): stack `good`
    /// (web ×2 healthy, agent global), stack `bad` (sick: failing
    /// healthcheck; pinned: unsatisfiable constraint; crash: exits 3) and
    /// `upd`, an update paused by a failing task. `now` is just after capture.
    pub(crate) fn captured() -> SwarmView {
        let services: Vec<Service> = fixture("services.json");
        let tasks: Vec<Task> = fixture("tasks.json");
        let nodes: Vec<Node> = fixture("nodes.json");
        let secrets: Vec<bollard::models::Secret> = fixture("secrets.json");
        let mut services: Vec<ServiceView> = services.iter().map(ServiceView::from_api).collect();
        services.sort_by(|a, b| a.name.cmp(&b.name));
        SwarmView {
            services,
            tasks: tasks.iter().map(TaskView::from_api).collect(),
            nodes: nodes.iter().map(NodeView::from_api).collect(),
            secrets: secrets
                .into_iter()
                .map(|s| (text(s.id), text(s.spec.and_then(|s| s.name))))
                .collect(),
            configs: Vec::new(),
            now: "2026-12-01T12:40:20Z".parse().unwrap(),
        }
    }

    #[test]
    fn reads_modes_health_constraints_and_update_state_from_api_output() {
        let v = captured();
        let s = |n: &str| v.services.iter().find(|s| s.name == n).unwrap();
        assert_eq!(s("good_web").mode, Mode::Replicated(2));
        assert_eq!(s("good_agent").mode, Mode::Global);
        assert_eq!(s("good_web").stack.as_deref(), Some("good"));
        assert_eq!(s("good_web").secrets[0].1, "good_token");
        assert_eq!(s("bad_pinned").constraints, ["node.labels.zone==nowhere"]);
        assert_eq!(s("upd").update_state.as_deref(), Some("paused"));
        assert_eq!(s("good_web").update_state, None);
        let n = &v.nodes[0];
        assert!(n.schedulable() && n.role == "manager");
        assert_eq!(n.reachability.as_deref(), Some("reachable"));
        let pending = v.tasks.iter().find(|t| t.state == "pending").unwrap();
        assert!(
            pending
                .err
                .as_deref()
                .unwrap()
                .starts_with("no suitable node")
        );
    }

    #[test]
    fn selection_takes_short_names_inside_a_stack() {
        let names = ["web".to_string()];
        let sel = Selection {
            stack: Some("good"),
            services: &names,
        };
        assert!(sel.selects("good_web", Some("good")));
        assert!(!sel.selects("bad_web", Some("bad")));
        assert!(!sel.selects("good_agent", Some("good")));
    }
}
