//! `compose`: "will it come up?" — lint a compose project (after merge,
//! `extends`, profiles and interpolation, exactly as docker compose reads it)
//! together with what it builds and mounts: the Dockerfile stage each service
//! gets, the entrypoint script that stage runs and the words it accepts, the
//! nginx configuration a proxy service mounts, the env examples an operator
//! fills in. Each rule has a stable code, a severity saying whether it stops
//! the deploy (`critical`) or weakens it, and can be turned off per check.
//!
//! The model comes from [`crate::compose`]; Dockerfiles, `.dockerignore`,
//! entrypoint scripts and nginx configs from [`crate::domain`]. Findings point
//! at the file, line and column of the offending value, in whichever file
//! (base, overlay or extended) set it, and list every other file:line
//! involved as `related`. One file per rule family:
//! `paths` (files that must exist), `image` (what a build produces and
//! runs), `network` (names services reach each other by: dependencies,
//! profiles, proxies), `vars` (interpolation and credentials) and
//! `hardening` (dev-mode leftovers and weak defaults).

mod hardening;
mod image;
mod installs;
mod monitoring;
mod network;
mod paths;
mod proxy;
mod stack;
mod vars;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

pub(crate) use super::project::load_project;
use super::{CheckKind, Outcome, RunContext, SpecProblem};
use crate::compose::Project;
use crate::compose::yaml::{Loc, Node, Value};
use crate::report::codes::{Code, Level};
use crate::report::{Finding, Severity};

/// One lint rule: a stable code, a name, its severity and what it finds.
pub(crate) struct Rule {
    /// Stable code; published codes never change.
    pub code: &'static str,
    /// `critical`: the deploy stops (a build fails, a container exits or
    /// never starts); lower: it runs, weakened; `info`: worth knowing, never
    /// a failure.
    pub severity: Severity,
}

macro_rules! rules {
    ($($code:literal, $name:literal, $sev:ident, $summary:literal;)*) => {
        /// Every rule, in the order findings are reported.
        pub(crate) const RULES: &[Rule] = &[$(Rule { code: $code, severity: Severity::$sev }),*];
        /// The same rules as the kind's declared finding codes.
        pub(crate) const CODES: &[Code] = &[$(Code { code: $code, level: Level::graded(Severity::$sev), summary: $summary }),*];
    };
}

rules! {
    "compose/missing-path", "missing local path", Critical,
        "an `env_file`, `build.context`, `build.dockerfile` or `configs`/`secrets` `file` that does not exist (compose refuses the project)";
    "compose/missing-mount-file", "missing bind-mounted file", Critical,
        "a bind mount whose missing source names a *file* (`./redis/redis.conf:/etc/redis/redis.conf`): docker creates a directory in its place and the service cannot read its config";
    "compose/missing-mount-config-dir", "missing bind-mounted input directory", Medium,
        "a missing bind-mounted directory the service reads input from (`/docker-entrypoint-initdb.d`, policies, certificates, `conf.d`, provisioning): docker creates it empty, the service starts without its init scripts or policies";
    "compose/missing-mount-dir", "missing bind-mounted directory", Info,
        "a missing bind-mounted *directory*: docker creates it empty (harmless for data)";
    "compose/dockerfile-missing-source", "Dockerfile source missing", Critical,
        "a `COPY`/`ADD` source, in a stage the build needs, missing from the build context: the build fails on a clean clone";
    "compose/dockerfile-ignored-source", "Dockerfile source excluded by .dockerignore", Critical,
        "a `COPY`/`ADD` source that exists but `.dockerignore` (or `<Dockerfile>.dockerignore`) excludes";
    "compose/build-unknown-target", "unknown build target", Critical,
        "`build.target` names no stage";
    "compose/build-last-stage", "multi-stage build without target", High,
        "no `target` on a Dockerfile with several final stages, and the last one is named for another service (or another final stage for this one)";
    "compose/entrypoint-missing", "entrypoint script missing", Critical,
        "the script the built stage's `ENTRYPOINT`/`CMD` runs is not in the build context";
    "compose/entrypoint-not-executable", "entrypoint not executable", Critical,
        "that script has no execute bit *in the image*: no `COPY --chmod` with x, no later `RUN chmod` naming it, no x in the repository";
    "compose/command-rejected", "command the entrypoint rejects", Critical,
        "the service's `command:` reaches an entrypoint script whose `case \"$1\"` does not accept its first word (the arm exits non-zero): the container exits at once";
    "compose/entrypoint-unreadable", "entrypoint dispatch not understood", Info,
        "an entrypoint dispatches on `$1` in a way readyctl does not follow (shifted arguments, a `case` inside a condition, a derived subject): not judged, never guessed";
    "compose/proxy-unknown-host", "proxy to an unknown host", Critical,
        "a mounted nginx config's `upstream` server or literal `proxy_pass` host is no service, `container_name`, `hostname` or alias: nginx refuses to start";
    "compose/proxy-missing-file", "proxy file missing from its mount", Critical,
        "a mounted nginx config's `ssl_certificate`/`ssl_certificate_key`/`include`/… names a file under a bind-mounted directory whose source lacks it (`./nginx/ssl` missing, `ssl_certificate /etc/nginx/ssl/cert.pem`)";
    "compose/proxy-dropped-headers", "add_header drops inherited security headers", Medium,
        "a `server`/`location`/`if` of a mounted nginx config (its `include`s followed through the bind mounts) sets its own `add_header`, so nginx stops sending there the security headers (`Strict-Transport-Security`, `Content-Security-Policy`, `X-Frame-Options`, `X-Content-Type-Options`, `Referrer-Policy`, `Permissions-Policy`) set at an enclosing level; names the dropping line and each dropped header's line. Not judged: a level with an `include` that cannot be read (it may repeat them), a level answering with `return` (a fixed body or redirect), `add_header_inherit`. Headers a proxied application sets itself still pass through; readyctl cannot see them, so check the app before dismissing (DotMac's API sets none)";
    "compose/prometheus-unknown-alertmanager", "Prometheus alerts to an unknown host", High,
        "the mounted `prometheus.yml` (`--config.file`, default /etc/prometheus/prometheus.yml) sends alerts to a bare `host:port` (no dot) that no service, `container_name` or alias answers to: no alert is ever delivered";
    "compose/prometheus-unknown-target", "Prometheus scrapes an unknown host", Medium,
        "a `static_configs` scrape target `host:port` there names no service, `container_name` or alias: the target is down for ever (`up == 0`). Not judged: a Prometheus on an external network or `network_mode`, a missing mount source, targets with dots (external hosts), variables, service discovery";
    "compose/container-name-scaled", "container_name on a scaled service", Critical,
        "`container_name` together with `deploy.replicas` > 1 (or `scale`): compose refuses the project";
    "compose/profile-dependency", "dependency only under a profile", Critical,
        "a default service `depends_on` a service only a profile starts (compose: \"depends on undefined service\")";
    "compose/profile-reference", "reference to a profile-only service", High,
        "a default service's env URL (`OTEL_EXPORTER_OTLP_ENDPOINT`) or proxy upstream names a profile-only service (critical for nginx, which then refuses to start)";
    "compose/interpolation-error", "interpolation error", Critical,
        "`${VAR:?msg}` without a value, or an invalid `$` reference";
    "compose/unset-variable", "unset variable", High,
        "a variable with no value and no default (compose substitutes \"\")";
    "compose/similar-variable", "variable defined under another name", High,
        "`${JWT_SECRET}` is defined nowhere (env files, env examples, `env_file`s) while the example defines `AUTH__JWT_SECRET_KEY`: names both places";
    "compose/secret-default", "secret with inline default", High,
        "a secret-looking variable with an inline default, e.g. `${MINIO_SECRET_KEY:-minioadmin123}`";
    "compose/credential-mismatch", "one credential under two names", High,
        "a server (MinIO, PostgreSQL, MySQL/MariaDB, RabbitMQ, MongoDB) and a client that connects to it take the same credential from different variables";
    "compose/unknown-dependency", "unknown dependency", Critical,
        "`depends_on` names an unknown service";
    "compose/unhealthy-dependency", "dependency without healthcheck", Critical,
        "`condition: service_healthy` on a service without a healthcheck";
    "compose/sealed-dependency", "dependency on a sealed Vault's health", Critical,
        "a service `depends_on` a Vault/OpenBao *server* (`command: server …`, not `-dev`) with `condition: service_healthy` while that server's healthcheck fails until an operator initialises and unseals it (`/v1/sys/health` through `wget --spider`/`curl -f` without both `uninitcode=200` and `sealedcode=200`, or `vault`/`bao status`): the first `docker compose up` ends \"dependency failed to start\" and the dependant never starts";
    "compose/vault-dev-mode", "Vault/OpenBao in dev mode", Critical,
        "Vault/OpenBao started with `-dev` (or with no command: the images default to `server -dev`)";
    "compose/dev-leftover", "dev-mode setting left in", High,
        "`VAULT_DEV_ROOT_TOKEN_ID`/`VAULT_DEV_LISTEN_ADDRESS` still set on a server that is not in dev mode";
    "compose/root-token", "root token handed to an application", High,
        "an application gets `${…ROOT_TOKEN}` as its Vault token";
    "compose/tls-disabled", "listener without TLS", High,
        "a Vault/OpenBao listener in `VAULT_LOCAL_CONFIG` sets `tls_disable`";
    "compose/default-credential", "default admin credential", High,
        "an admin password variable (`GF_SECURITY_ADMIN_PASSWORD`, `MINIO_ROOT_PASSWORD`, …) resolves to a vendor default or placeholder";
    "compose/anonymous-admin", "anonymous admin access", Critical,
        "Grafana with `GF_AUTH_ANONYMOUS_ENABLED=true` and `GF_AUTH_ANONYMOUS_ORG_ROLE=Admin`";
    "compose/image-latest", "floating image tag", Medium,
        "an image tagged `latest` or untagged (services with `build` are exempt)";
    "compose/no-restart", "no restart policy", Medium,
        "no `restart` (nor `deploy.restart_policy`)";
    "compose/no-healthcheck", "no healthcheck", Low,
        "no `healthcheck`";
    "compose/exposed-datastore", "datastore published on all interfaces", High,
        "a database, cache or secret-store port published on all interfaces";
    "compose/obsolete-version", "obsolete top-level version", Low,
        "a top-level `version:` (obsolete; compose warns)";
    "compose/console-script-not-on-path", "console script not on PATH", Critical,
        "the image runs a Python console script (`celery`, `uvicorn`, `gunicorn`, `alembic`, …) that `pip install --target DIR` (or `--prefix DIR`) put in `DIR/bin`, while the `COPY --from` into `site-packages` leaves that directory off `PATH`: `not found`. Judged where the image really runs it: the service's `command:`/`entrypoint:`, its healthcheck (compose's, else the stage's `HEALTHCHECK`), the `exec` of the entrypoint-script arm the command selects, and the default run of each final stage a service builds or `build-last-stage` says it should";
    "compose/program-not-a-dependency", "program not among the dependencies", Critical,
        "such a program is not among the dependencies the image installs (`[tool.poetry.dependencies]`/`[project] dependencies` of `pyproject.toml` when the Dockerfile runs `poetry export`/`poetry install`/`pip install .`, requirements files it installs, packages named on `pip install`; a lock file in the context that names it counts as installed)";
    "compose/run-on-deleted-path", "RUN on a path a builder deleted", Critical,
        "a `RUN chmod`/`chown` on a path that a builder stage deleted (`find src -name '*.py' -delete`) before the `COPY --from` that brought the tree in: the RUN fails, the image does not build";
    "compose/build-context-secrets", "secrets in the build context", Medium,
        "env files (`.env`, `.env.production`; not `*.example`) or private keys at the root of a build context that a whole-context `COPY .` puts into the image (not excluded by `.dockerignore`), or `.git`/`node_modules` copied that way without a `.dockerignore`; `info` when the context has no `.dockerignore` and holds such secrets but nothing copies them";
    "compose/stack-build-no-image", "build without image (swarm)", Critical,
        "`build` without `image`: stack deploy ignores build, nothing to run";
    "compose/stack-ignored-build", "build ignored (swarm)", Low,
        "`build` is ignored: the image must be pushed to a registry every node reaches";
    "compose/stack-ignored-container-name", "container_name ignored (swarm)", Info,
        "`container_name` is ignored (tasks are `STACK_SERVICE.N.ID`)";
    "compose/stack-depends-on-rejected", "depends_on conditions refused (swarm)", Critical,
        "`depends_on` with conditions: the CLI refuses the file (\"depends_on must be a list\")";
    "compose/stack-ignored-depends-on", "depends_on ignored (swarm)", Low,
        "`depends_on` (a list) is ignored: services start together and must retry";
    "compose/stack-ignored-restart", "restart ignored (swarm)", Medium,
        "`restart: no` / `on-failure` without `deploy.restart_policy`: ignored, swarm restarts on any exit (`always`/`unless-stopped` match swarm's default and are not reported)";
    "compose/stack-ignored-network-mode", "network_mode ignored (swarm)", High,
        "`network_mode` is ignored: tasks join the overlay network";
    "compose/stack-ignored-links", "links ignored (swarm)", Medium,
        "`links` are ignored: their aliases do not resolve";
    "compose/stack-ignored-option", "option ignored (swarm)", Medium,
        "`privileged`, `devices`, `cgroup_parent`, `security_opt`, `userns_mode`, `external_links` are ignored";
    "compose/stack-forbidden-option", "option refused (swarm)", Critical,
        "`extends` (as written in a `-f` file), `volumes_from`, `volume_driver`, `mem_limit`, `memswap_limit`, `cpu_shares`, `cpu_quota`, `cpuset`: the CLI refuses the file";
    "compose/stack-relative-bind", "relative bind mount (swarm)", Medium,
        "a relative bind source: made absolute on the deploying machine, it must exist on every node";
    "compose/stack-no-version", "no version (swarm, old CLI)", Low,
        "no top-level `version:` in a `-f` file: the Docker CLI 20.10 refuses it (newer CLIs accept it)";
}

/// Where the project is deployed: judged as `docker compose up` runs it, or
/// as `docker stack deploy` does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Orchestrator {
    /// `docker compose up` on one host (the default).
    #[default]
    Compose,
    /// `docker stack deploy` on a swarm: adds the `compose/stack-*` rules.
    Swarm,
}

/// The rule with `code`.
pub(crate) fn rule(code: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.code == code)
}

/// A compose project to lint.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ComposeCheck {
    /// Compose files in `-f` order, relative to the deployment root
    /// (default: found as docker compose finds them, from the root).
    #[serde(default)]
    pub files: Vec<PathBuf>,
    /// Env files for interpolation (default: `.env` beside the first file).
    #[serde(default)]
    pub env_files: Vec<PathBuf>,
    /// Let the process environment override env files, as compose does (default true).
    #[serde(default = "yes")]
    pub process_env: bool,
    /// Profiles to enable, as `--profile` (default: those in `COMPOSE_PROFILES`).
    #[serde(default)]
    pub profiles: Vec<String>,
    /// Only these services (default: all).
    #[serde(default)]
    pub services: Vec<String>,
    /// Rule codes to turn off, e.g. `compose/no-healthcheck`.
    #[serde(default)]
    pub disable: Vec<String>,
    /// `swarm`: also judge what `docker stack deploy` ignores or refuses
    /// (default `compose`).
    #[serde(default)]
    pub orchestrator: Orchestrator,
}

fn yes() -> bool {
    true
}

/// A finding at `loc` with a rule code and that rule's severity.
pub(crate) fn at(loc: &Loc, code: &str, msg: impl Into<String>) -> Finding {
    let f = super::project::finding_at(loc, code, msg);
    match rule(code) {
        Some(r) => f.severity(r.severity),
        None => f,
    }
}

/// A finding at `file:line` (a non-compose file) with a rule code.
pub(crate) fn at_file(file: &str, line: u32, code: &str, msg: impl Into<String>) -> Finding {
    at(
        &Loc {
            file: file.into(),
            line,
            column: 1,
        },
        code,
        msg,
    )
}

impl CheckKind for ComposeCheck {
    const NAME: &'static str = "compose";
    const SUMMARY: &'static str = "will it come up? compose files as docker compose reads them, with the Dockerfile stages, entrypoint scripts and nginx configs they use";
    const DOCS: &'static str = include_str!("docs.md");
    const CODES: &'static [Code] = CODES;

    fn validate(&self) -> Vec<SpecProblem> {
        let mut p = Vec::new();
        for d in &self.disable {
            if !RULES.iter().any(|r| r.code == d) {
                let codes: Vec<&str> = RULES.iter().map(|r| r.code).collect();
                p.push(
                    SpecProblem::new("disable", format!("unknown rule code `{d}`")).hint(
                        crate::diag::did_you_mean(d, codes.iter().copied())
                            .map(|s| format!("did you mean `{s}`?"))
                            .unwrap_or_else(|| format!("codes: {}", codes.join(", "))),
                    ),
                );
            }
        }
        p
    }

    fn schema() -> Option<schemars::Schema> {
        Some(super::spec_schema::<Self>())
    }

    async fn run(&self, cx: &RunContext) -> Outcome {
        let project = match load_project(cx, &self.files, &self.env_files, self.process_env) {
            Ok(p) => p,
            Err(o) => return *o,
        };
        let opts = Options {
            only: self.services.clone(),
            disable: interacting(&self.disable),
            profiles: self.profiles.clone(),
            orchestrator: self.orchestrator,
        };
        // Every rule runs once per (project, services, profiles,
        // orchestrator, interacting codes disabled) in a run, and each check
        // drops the other codes it disables: the bundled catalogue's four
        // `compose` checks differ only in `disable`, and linting the same
        // project four times was 9.1 M of its files-only run's 73 M
        // instructions.
        let key = format!(
            "{:?}\0{:?}\0{}\0{:?}\0{:?}\0{:?}\0{:?}",
            self.files,
            self.env_files,
            self.process_env,
            opts.only,
            opts.profiles,
            opts.orchestrator,
            opts.disable
        );
        let slot = cx.memo.slot("compose.lint", PathBuf::from(key));
        let all = slot
            .get_or_init(|| async {
                Arc::new(lint_all(&project, &opts)) as Arc<dyn std::any::Any + Send + Sync>
            })
            .await;
        let Some(all) = all.downcast_ref::<Vec<Finding>>() else {
            return Outcome::error("compose lint: internal cache mismatch");
        };
        let findings = all
            .iter()
            .filter(|f| !f.code.as_ref().is_some_and(|c| self.disable.contains(c)))
            .cloned()
            .collect();
        let n = project.services().count();
        outcome(findings, n)
    }
}

/// The verdict for a set of findings: failing when any is above `info`.
pub(crate) fn outcome(findings: Vec<Finding>, services: usize) -> Outcome {
    if crate::report::codes::status_of(&findings, CODES) == crate::report::Status::Fail {
        return Outcome::judged(findings, CODES, "");
    }
    let msg = if findings.is_empty() {
        format!("{services} services: no compose problems found")
    } else {
        format!(
            "{services} services: no compose problems found ({} notes)",
            findings.len()
        )
    };
    Outcome::pass(msg).with_findings(findings)
}

/// What to lint.
#[derive(Debug, Clone, Default)]
pub(crate) struct Options {
    /// Only these services (empty: all).
    pub only: Vec<String>,
    /// Rule codes turned off.
    pub disable: Vec<String>,
    /// Profiles enabled in addition to `COMPOSE_PROFILES`.
    pub profiles: Vec<String>,
    /// Where the project is deployed.
    pub orchestrator: Orchestrator,
}

/// Runs every enabled rule over `project` (no extra profiles).
#[cfg(test)]
pub(crate) fn lint(project: &Project, only: &[String], disable: &[String]) -> Vec<Finding> {
    lint_with(
        project,
        &Options {
            only: only.to_vec(),
            disable: disable.to_vec(),
            profiles: Vec::new(),
            orchestrator: Orchestrator::Compose,
        },
    )
}

/// What every rule family shares: the project, which services run, and the
/// names services reach each other by.
pub(crate) struct Cx<'a> {
    pub project: &'a Project,
    pub opts: &'a Options,
    /// Every service name.
    pub names: HashSet<&'a str>,
    /// Services a plain `up` starts (no profile, or an enabled one).
    pub active: HashSet<&'a str>,
    /// DNS names on the compose network (service, container_name, aliases,
    /// hostname, links) → the service.
    pub hosts: HashMap<String, &'a str>,
    /// Positions of the values still in the merged model: a value an overlay
    /// replaced (or a service `extends` did not pull in) has no effect.
    pub effective: LocSet,
}

/// Value positions; foldhash because a 200-service project has ~30,000.
pub(crate) type LocSet = HashSet<(std::sync::Arc<str>, u32, u32), foldhash::fast::RandomState>;

impl<'a> Cx<'a> {
    fn new(project: &'a Project, opts: &'a Options) -> Cx<'a> {
        let mut enabled: Vec<String> = opts.profiles.clone();
        if let Some(p) = project.env.get("COMPOSE_PROFILES") {
            enabled.extend(
                p.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty()),
            );
        }
        let mut names = HashSet::new();
        let mut active = HashSet::new();
        let mut hosts = HashMap::new();
        for (name, svc) in project.services() {
            names.insert(name.as_str());
            let profiles: Vec<String> = svc
                .get("profiles")
                .and_then(Node::as_seq)
                .unwrap_or_default()
                .iter()
                .filter_map(Node::scalar_text)
                .collect();
            if profiles.is_empty()
                || profiles
                    .iter()
                    .any(|p| enabled.iter().any(|e| e == p || e == "*"))
            {
                active.insert(name.as_str());
            }
            hosts.insert(name.clone(), name.as_str());
            for key in ["container_name", "hostname"] {
                if let Some(h) = svc.get(key).and_then(Node::scalar_text) {
                    hosts.insert(h, name.as_str());
                }
            }
            if let Some(nets) = svc.get("networks").and_then(Node::as_map) {
                for n in nets.values() {
                    for a in n.get("aliases").and_then(Node::as_seq).unwrap_or_default() {
                        if let Some(a) = a.scalar_text() {
                            hosts.insert(a, name.as_str());
                        }
                    }
                }
            }
        }
        // `links: [db:database]` makes `database` a name of `db`.
        for (_, svc) in project.services() {
            for l in svc.get("links").and_then(Node::as_seq).unwrap_or_default() {
                if let Some(t) = l.scalar_text()
                    && let Some((target, alias)) = t.split_once(':')
                    && let Some((k, _)) = project.services().find(|(n, _)| *n == target)
                {
                    hosts.insert(alias.to_string(), k.as_str());
                }
            }
        }
        // Values of services that do not run have no effect either.
        let mut effective = LocSet::default();
        if let Some(top) = project.model.as_map() {
            for (k, v) in top {
                if k != "services" {
                    collect_locs(v, &mut effective);
                }
            }
        }
        for (name, svc) in project.services() {
            if active.contains(name.as_str()) {
                collect_locs(svc, &mut effective);
            }
        }
        Cx {
            project,
            opts,
            names,
            active,
            hosts,
            effective,
        }
    }

    /// Whether the value written at `loc` is still in the merged model.
    pub(crate) fn is_effective(&self, loc: &Loc) -> bool {
        self.effective
            .contains(&(loc.file.clone(), loc.line, loc.column))
    }

    /// Variable references whose values are still in the merged model.
    pub(crate) fn var_uses(
        &self,
    ) -> impl Iterator<Item = &'a (Loc, crate::compose::interp::VarUse)> + '_ {
        self.project
            .var_uses
            .iter()
            .filter(|(l, _)| self.is_effective(l))
    }

    /// Whether `code` is enabled.
    pub(crate) fn on(&self, code: &str) -> bool {
        !self.opts.disable.iter().any(|d| d == code)
    }

    /// Whether `name` is linted.
    pub(crate) fn wanted(&self, name: &str) -> bool {
        self.opts.only.is_empty() || self.opts.only.iter().any(|s| s == name)
    }

    /// The services linted, in order: those a plain `docker compose up`
    /// starts (as `docker compose config` lists them), and the wanted ones.
    pub(crate) fn services(&self) -> impl Iterator<Item = (&'a String, &'a Node)> + '_ {
        self.project
            .services()
            .filter(|(n, _)| self.wanted(n) && self.active.contains(n.as_str()))
    }

    /// `p` relative to the project directory, for messages.
    pub(crate) fn rel(&self, p: &Path) -> String {
        rel(self.project, p)
    }
}

fn collect_locs(n: &Node, out: &mut LocSet) {
    out.insert((n.loc.file.clone(), n.loc.line, n.loc.column));
    match &n.value {
        Value::Seq(items) => items.iter().for_each(|i| collect_locs(i, out)),
        Value::Map(m) => m.values().for_each(|v| collect_locs(v, out)),
        _ => {}
    }
}

/// Runs every enabled rule over `project`.
#[cfg(test)]
pub(crate) fn lint_with(project: &Project, opts: &Options) -> Vec<Finding> {
    filter_disabled(lint_all(project, opts), &opts.disable)
}

/// Rule codes whose disabling changes what other rules find, not only
/// drops their own findings: a variable reported as a likely typo of another
/// (`similar-variable`) is not also reported unset, so with that rule off
/// `unset-variable` reports it; the two console-script rules report one
/// finding per place, the first that applies, so with one off the other may
/// report there. A lint shared between checks is keyed by which of these
/// they disable (`disabling_a_rule_only_removes_its_findings_on_real_projects`
/// finds any other on the real projects).
const INTERACTING: &[&str] = &[
    "compose/similar-variable",
    "compose/program-not-a-dependency",
    "compose/console-script-not-on-path",
];

/// The codes of `disable` the rules themselves must see (see
/// [`INTERACTING`]); the rest are dropped from a shared lint afterwards.
fn interacting(disable: &[String]) -> Vec<String> {
    let mut v: Vec<String> = disable
        .iter()
        .filter(|d| INTERACTING.contains(&d.as_str()))
        .cloned()
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Every rule's findings with `opts.disable` off, before `opts.disable` is
/// applied to the findings themselves: the rules skip what is disabled to
/// save the work, but may still emit it, so callers filter afterwards.
fn lint_all(project: &Project, opts: &Options) -> Vec<Finding> {
    let cx = Cx::new(project, opts);
    let mut out = Vec::new();
    paths::check(&cx, &mut out);
    image::check(&cx, &mut out);
    network::check(&cx, &mut out);
    proxy::check(&cx, &mut out);
    monitoring::check(&cx, &mut out);
    vars::check(&cx, &mut out);
    hardening::check(&cx, &mut out);
    installs::check(&cx, &mut out);
    if opts.orchestrator == Orchestrator::Swarm {
        stack::check(&cx, &mut out);
        // The CLI that deploys stacks still wants `version:` (20.10 refuses a file without it).
        out.retain(|f| f.code.as_deref() != Some("compose/obsolete-version"));
    }
    out
}

/// Drops findings whose code is disabled.
#[cfg(test)]
pub(crate) fn filter_disabled(findings: Vec<Finding>, disable: &[String]) -> Vec<Finding> {
    findings
        .into_iter()
        .filter(|f| !f.code.as_ref().is_some_and(|c| disable.contains(c)))
        .collect()
}

pub(crate) fn svc_loc(svc: &Node) -> Loc {
    svc.key_loc.clone().unwrap_or_else(|| svc.loc.clone())
}

pub(crate) fn rel(project: &Project, p: &Path) -> String {
    match p.strip_prefix(&project.project_dir) {
        Ok(r) if r.as_os_str().is_empty() => ".".to_string(),
        Ok(r) => r.display().to_string(),
        Err(_) => p.display().to_string(),
    }
}

/// The words of a `command:`/`entrypoint:` value: a list as written, a
/// string split the way compose splits it (shell quoting, no expansion).
pub(crate) fn command_words(n: &Node) -> Option<Vec<String>> {
    match &n.value {
        Value::Seq(items) => Some(items.iter().filter_map(Node::scalar_text).collect()),
        Value::Str(s) => Some(shell_split(s)),
        Value::Null => None,
        _ => n.scalar_text().map(|t| vec![t]),
    }
}

/// Splits like a POSIX shell word list (quotes and backslashes), without
/// expansions — what compose (go-shellwords) does with a string command.
pub(crate) fn shell_split(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for n in chars.by_ref() {
                    if n == '\'' {
                        break;
                    }
                    cur.push(n);
                }
            }
            '"' => {
                in_word = true;
                while let Some(n) = chars.next() {
                    match n {
                        '"' => break,
                        '\\' => {
                            if let Some(m) = chars.next() {
                                cur.push(m);
                            }
                        }
                        _ => cur.push(n),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(m) = chars.next() {
                    cur.push(m);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            _ => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    out
}

/// The host a connection value names: the host of a URL or `host:port`,
/// else the whole value.
pub(crate) fn network_host(v: &str) -> &str {
    network::url_host(v.trim()).unwrap_or(v.trim())
}

/// The environment of a service as (key, value node).
pub(crate) fn environment(svc: &Node) -> Vec<(&String, &Node)> {
    svc.get("environment")
        .and_then(Node::as_map)
        .map(|m| m.iter().collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
