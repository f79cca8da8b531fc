//! The `swarm` kind against a real one-node swarm (scripts/services/swarm.sh:
//! `docker swarm init` on the test engine). Each test deploys its own stack
//! of busybox services (the image docker.sh imports), waits — polling, with
//! generous bounds for a loaded CI machine — for the state it is about, and
//! removes the stack when it ends. Where the engine itself has a verdict
//! (the scheduler's "no suitable node", `docker stack deploy` refusing a
//! missing external secret) the test asks it too.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

const IMAGE: &str = "readyctl-busybox:test";
/// How long a state may take to appear: tasks on vfs storage on a loaded
/// 2-core machine take seconds each to start, and a failing healthcheck
/// needs several of them.
const SETTLE: Duration = Duration::from_secs(180);

struct Swarm {
    host: String,
    cli: String,
}

fn swarm() -> Option<Swarm> {
    let host = common::service("READYCTL_TEST_SWARM")?;
    let cli = common::service("READYCTL_TEST_DOCKER_CLI")?;
    Some(Swarm { host, cli })
}

impl Swarm {
    fn docker(&self, args: &[&str]) -> std::process::Output {
        Command::new(&self.cli)
            .arg("-H")
            .arg(&self.host)
            .args(args)
            .output()
            .expect("run the docker client")
    }

    fn docker_ok(&self, args: &[&str]) -> String {
        let out = self.docker(args);
        assert!(
            out.status.success(),
            "docker {}: {}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Deploys `yaml` as stack `name`; the stack is removed when the guard drops.
    fn deploy(&self, name: &str, yaml: &str) -> Stack<'_> {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("stack.yml");
        std::fs::write(&file, yaml).unwrap();
        std::fs::write(dir.path().join("token.txt"), "not-a-real-token\n").unwrap();
        let stack = Stack {
            swarm: self,
            name: name.to_string(),
            _dir: dir,
        };
        self.docker_ok(&[
            "stack",
            "deploy",
            "--resolve-image",
            "never",
            "-c",
            file.to_str().unwrap(),
            name,
        ]);
        stack
    }

    /// Runs one `swarm` check with `fields`; returns (exit code, the check's result).
    fn check(&self, root: &Path, fields: &str) -> (i32, Value) {
        let text = format!(
            "version: 1\ntargets:\n  swarm: {{url: \"{}\"}}\nchecks:\n  - {{id: swarm.t, kind: swarm, target: swarm, timeout: 30s, {fields}}}\n",
            self.host
        );
        let (_dir, path) = common::catalogue(&text);
        let out = common::readyctl()
            .args(["check", "--format", "json", "--root"])
            .arg(root)
            .arg("--catalog")
            .arg(&path)
            .output()
            .expect("run readyctl");
        let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}): {}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        let result = report["checks"][0].clone();
        (out.status.code().unwrap_or(-1), result)
    }

    /// Runs the check until `done` holds for its result, at most [`SETTLE`].
    fn wait_for(
        &self,
        root: &Path,
        fields: &str,
        what: &str,
        done: impl Fn(&Value) -> bool,
    ) -> (i32, Value) {
        let start = Instant::now();
        loop {
            let (code, r) = self.check(root, fields);
            if done(&r) {
                return (code, r);
            }
            if start.elapsed() > SETTLE {
                panic!("{what}: not seen within {SETTLE:?}; last result: {r:#}");
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    }
}

struct Stack<'a> {
    swarm: &'a Swarm,
    name: String,
    _dir: tempfile::TempDir,
}

impl Drop for Stack<'_> {
    fn drop(&mut self) {
        let _ = self.swarm.docker(&["stack", "rm", &self.name]);
    }
}

fn status(r: &Value) -> &str {
    r["status"].as_str().unwrap_or("")
}

fn message(r: &Value) -> &str {
    r["message"].as_str().unwrap_or("")
}

/// The messages of findings with `code`.
fn with_code<'a>(r: &'a Value, code: &str) -> Vec<&'a str> {
    r["findings"]
        .as_array()
        .map(|f| {
            f.iter()
                .filter(|f| f["code"] == code)
                .filter_map(|f| f["message"].as_str())
                .collect()
        })
        .unwrap_or_default()
}

fn here() -> PathBuf {
    common::repo(".")
}

#[test]
fn healthy_stack_passes() {
    let Some(sw) = swarm() else { return };
    let _stack = sw.deploy(
        "rtgood",
        &format!(
            r#"version: "3.8"
services:
  web:
    image: {IMAGE}
    command: ["sleep", "1000000"]
    healthcheck: {{test: ["CMD", "true"], interval: 1s, timeout: 2s, retries: 3}}
    deploy: {{replicas: 2}}
    secrets: [token]
  agent:
    image: {IMAGE}
    command: ["sleep", "1000000"]
    deploy: {{mode: global}}
secrets:
  token: {{file: ./token.txt}}
"#
        ),
    );
    let (code, r) = sw.wait_for(
        &here(),
        "stack: rtgood, services: [web, agent]",
        "the healthy stack passing",
        |r| status(r) == "pass",
    );
    assert_eq!(code, 0);
    assert!(
        message(&r).starts_with(
            "2 service(s) in stack rtgood: 3 task(s) running, all replicas up; 1 node(s) ready"
        ),
        "{r:#}"
    );
    // A listed service that is not deployed fails by name.
    let (code, r) = sw.check(&here(), "stack: rtgood, services: [web, worker]");
    assert_eq!((code, status(&r)), (1, "fail"), "{r:#}");
    assert_eq!(
        message(&r),
        "service worker is not deployed in stack rtgood"
    );
}

#[test]
fn failing_healthcheck_fails_naming_service_task_and_error() {
    let Some(sw) = swarm() else { return };
    let _stack = sw.deploy(
        "rtsick",
        &format!(
            r#"version: "3.8"
services:
  sick:
    image: {IMAGE}
    command: ["sleep", "1000000"]
    healthcheck: {{test: ["CMD", "false"], interval: 1s, timeout: 2s, retries: 1}}
"#
        ),
    );
    let (code, r) = sw.wait_for(
        &here(),
        "stack: rtsick",
        "a task killed by its healthcheck",
        |r| !with_code(r, "swarm/task-unhealthy").is_empty(),
    );
    assert_eq!((code, status(&r)), (1, "fail"), "{r:#}");
    let m = with_code(&r, "swarm/task-unhealthy")[0];
    assert!(
        m.starts_with("service rtsick_sick: task rtsick_sick.1 (")
            && m.contains("was killed by its failing healthcheck")
            && m.contains("dockerexec: unhealthy container"),
        "{m}"
    );
    // And the service is short of its one replica.
    assert!(
        with_code(&r, "swarm/replicas-short")
            .iter()
            .any(|m| m.starts_with("service rtsick_sick: 0 of 1 replicas running")),
        "{r:#}"
    );
}

#[test]
fn unsatisfiable_placement_fails_as_the_scheduler_says() {
    let Some(sw) = swarm() else { return };
    let _stack = sw.deploy(
        "rtpinned",
        &format!(
            r#"version: "3.8"
services:
  pinned:
    image: {IMAGE}
    command: ["sleep", "1000000"]
    deploy:
      placement: {{constraints: ["node.labels.zone==nowhere"]}}
"#
        ),
    );
    // readyctl judges the constraint itself; the scheduler's verdict arrives
    // as the pending task's error, and both must be there.
    let (code, r) = sw.wait_for(
        &here(),
        "stack: rtpinned",
        "the scheduler's no suitable node",
        |r| {
            with_code(r, "swarm/replicas-short")
                .iter()
                .any(|m| m.contains("no suitable node"))
        },
    );
    assert_eq!((code, status(&r)), (1, "fail"), "{r:#}");
    let hostname = sw.docker_ok(&[
        "node",
        "inspect",
        "self",
        "--format",
        "{{.Description.Hostname}}",
    ]);
    let expected = format!(
        "service rtpinned_pinned: no node satisfies its placement constraints node.labels.zone==nowhere (1 ready, active node(s): {} has no node label zone); its tasks stay pending",
        hostname.trim()
    );
    assert_eq!(
        with_code(&r, "swarm/placement-unsatisfiable"),
        [expected.as_str()]
    );
    let short = with_code(&r, "swarm/replicas-short")[0];
    assert!(
        short.starts_with(
            "service rtpinned_pinned: 0 of 1 replicas running; task rtpinned_pinned.1 ("
        ) && short.contains("is pending: no suitable node (scheduling constraints not satisfied"),
        "{short}"
    );
}

#[test]
fn missing_external_secret_fails_before_stack_deploy_does() {
    let Some(sw) = swarm() else { return };
    let dir = tempfile::tempdir().unwrap();
    let yaml = format!(
        r#"version: "3.8"
services:
  api:
    image: {IMAGE}
    command: ["sleep", "1000000"]
    secrets: [db_password]
secrets:
  db_password:
    external: true
    name: rtabsent_db_password
"#
    );
    let file = dir.path().join("stack.yml");
    std::fs::write(&file, &yaml).unwrap();
    let _ = sw.docker(&["secret", "rm", "rtabsent_db_password"]);

    let (code, r) = sw.check(dir.path(), "files: [stack.yml]");
    assert_eq!((code, status(&r)), (1, "fail"), "{r:#}");
    assert_eq!(
        message(&r),
        "service api needs external secret rtabsent_db_password, which the swarm does not have: `docker stack deploy` refuses the stack"
    );
    assert_eq!(r["findings"][0]["file"], "stack.yml");
    assert_eq!(r["findings"][0]["line"], 8);
    // The reference: the engine refuses that deploy, naming the secret.
    let out = sw.docker(&[
        "stack",
        "deploy",
        "--resolve-image",
        "never",
        "-c",
        file.to_str().unwrap(),
        "rtabsent",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let _cleanup = Stack {
        swarm: &sw,
        name: "rtabsent".into(),
        _dir: tempfile::tempdir().unwrap(),
    };
    assert!(
        !out.status.success(),
        "stack deploy accepted a missing secret"
    );
    assert!(
        stderr.contains("rtabsent_db_password") && stderr.contains("not found"),
        "{stderr}"
    );

    // Once the secret exists, both agree the stack can deploy.
    let mut create = Command::new(&sw.cli)
        .args([
            "-H",
            &sw.host,
            "secret",
            "create",
            "rtabsent_db_password",
            "-",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    create
        .stdin
        .take()
        .unwrap()
        .write_all(b"s3cret-value")
        .unwrap();
    assert!(create.wait().unwrap().success());
    let (code, r) = sw.check(dir.path(), "files: [stack.yml]");
    let out = sw.docker(&[
        "stack",
        "deploy",
        "--resolve-image",
        "never",
        "-c",
        file.to_str().unwrap(),
        "rtabsent",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!((code, status(&r)), (0, "pass"), "{r:#}");
    drop(_cleanup);
    // The secret is in use until the stack's tasks are gone.
    let start = Instant::now();
    while !sw
        .docker(&["secret", "rm", "rtabsent_db_password"])
        .status
        .success()
        && start.elapsed() < Duration::from_secs(60)
    {
        std::thread::sleep(Duration::from_secs(1));
    }
}

#[test]
fn update_paused_by_a_failing_task_fails_with_the_task_error() {
    let Some(sw) = swarm() else { return };
    let _stack = sw.deploy(
        "rtupd",
        &format!(
            r#"version: "3.8"
services:
  app:
    image: {IMAGE}
    command: ["sleep", "1000000"]
    deploy:
      update_config: {{failure_action: pause, monitor: 60s}}
"#
        ),
    );
    sw.wait_for(&here(), "stack: rtupd", "the first version running", |r| {
        status(r) == "pass"
    });
    // The new version exits at once: the update stops at its first task.
    // (`monitor` is generous: on a loaded machine a task that took longer
    // than a 5 s monitor to start and fail was restarted, not counted
    // against the update, and the update never paused.)
    sw.docker_ok(&[
        "service",
        "update",
        "-d",
        "--args",
        "sh -c 'sleep 1; exit 1'",
        "rtupd_app",
    ]);
    let (code, r) = sw.wait_for(&here(), "stack: rtupd", "the update paused", |r| {
        !with_code(r, "swarm/update-paused").is_empty()
    });
    assert_eq!((code, status(&r)), (1, "fail"), "{r:#}");
    let m = with_code(&r, "swarm/update-paused")[0];
    assert!(
        m.starts_with("service rtupd_app: update is paused (update paused due to failure or early termination of task ")
            && m.contains("task rtupd_app.1 (")
            && m.ends_with("failed: task: non-zero exit (1)"),
        "{m}"
    );
    // What the engine itself says.
    let state = sw.docker_ok(&[
        "service",
        "inspect",
        "rtupd_app",
        "--format",
        "{{.UpdateStatus.State}}",
    ]);
    assert_eq!(state.trim(), "paused");
}

/// Runs the `compose` check with `orchestrator: swarm` on `dir/stack.yml`;
/// returns the findings as (code, message).
fn stack_lint(dir: &Path) -> Vec<(String, String)> {
    let (_cat, path) = common::catalogue(
        "version: 1\nchecks:\n  - {id: stack, kind: compose, files: [stack.yml], orchestrator: swarm}\n",
    );
    let out = common::readyctl()
        .args(["check", "--format", "json", "--root"])
        .arg(dir)
        .arg("--catalog")
        .arg(&path)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    report["checks"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap_or("").to_string(),
                f["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn stack_lint_reports_what_docker_stack_deploy_ignores_and_refuses() {
    let Some(sw) = swarm() else { return };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("stack.yml"),
        format!(
            r#"version: "3.8"
services:
  app:
    image: {IMAGE}
    build: .
    command: ["sleep", "1000000"]
    container_name: app-1
    restart: "no"
    links: [db]
    privileged: true
    security_opt: ["no-new-privileges:true"]
    cgroup_parent: readyctl
    external_links: [other]
    depends_on: [db]
  db:
    image: {IMAGE}
    command: ["sleep", "1000000"]
    network_mode: bridge
    devices: ["/dev/null:/dev/null"]
    userns_mode: host
"#
        ),
    )
    .unwrap();
    let findings = stack_lint(dir.path());
    let mut ours: Vec<String> = findings
        .iter()
        .filter_map(|(_, m)| m.split("ignores `").nth(1))
        .filter_map(|rest| rest.split('`').next())
        .map(|k| k.split(':').next().unwrap_or(k).to_string())
        .filter(|k| k != "depends_on" && k != "container_name")
        .collect();
    ours.sort();
    ours.dedup();
    // The reference: the CLI that deploys stacks names what it drops. (It
    // names `restart` whatever its value; readyctl leaves out `always` and
    // `unless-stopped`, which swarm's default restart policy matches — this
    // file says "no", which is lost.)
    let out = sw.docker(&[
        "stack",
        "deploy",
        "--resolve-image",
        "never",
        "-c",
        dir.path().join("stack.yml").to_str().unwrap(),
        "rtlint",
    ]);
    let _cleanup = Stack {
        swarm: &sw,
        name: "rtlint".into(),
        _dir: tempfile::tempdir().unwrap(),
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let line = stderr
        .lines()
        .find_map(|l| l.strip_prefix("Ignoring unsupported options: "))
        .unwrap_or_else(|| panic!("no list of ignored options in {stderr}"));
    let mut theirs: Vec<String> = line.split(", ").map(|s| s.trim().to_string()).collect();
    theirs.sort();
    assert_eq!(ours, theirs, "readyctl {findings:#?}\nCLI: {stderr}");
    assert_eq!(
        stderr.contains("container_name: Setting the container name is not supported"),
        findings
            .iter()
            .any(|(c, _)| c == "compose/stack-ignored-container-name")
    );
    assert!(
        findings
            .iter()
            .any(|(c, _)| c == "compose/stack-ignored-depends-on")
    );

    // What the CLI refuses outright: depends_on conditions, extends.
    for (case, yaml, code, cli_says) in [
        (
            "conditions",
            format!(
                "version: \"3.8\"\nservices:\n  app:\n    image: {IMAGE}\n    depends_on:\n      db: {{condition: service_healthy}}\n  db:\n    image: {IMAGE}\n    healthcheck: {{test: [\"CMD\", \"true\"]}}\n"
            ),
            "compose/stack-depends-on-rejected",
            "depends_on must be a list",
        ),
        (
            "extends",
            format!(
                "version: \"3.8\"\nservices:\n  base:\n    image: {IMAGE}\n  app:\n    extends: {{service: base}}\n"
            ),
            "compose/stack-forbidden-option",
            "Support for `extends` is not implemented",
        ),
    ] {
        std::fs::write(dir.path().join("stack.yml"), &yaml).unwrap();
        let findings = stack_lint(dir.path());
        assert!(
            findings.iter().any(|(c, _)| c == code),
            "{case}: {findings:#?}"
        );
        let out = sw.docker(&[
            "stack",
            "deploy",
            "--resolve-image",
            "never",
            "-c",
            dir.path().join("stack.yml").to_str().unwrap(),
            "rtlint",
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && stderr.contains(cli_says),
            "{case}: the CLI accepted it: {stderr}"
        );
    }
}

#[test]
fn docs_stack_file_runs_serve_as_it_is_and_stack_deploy_accepts_it() {
    let text = std::fs::read_to_string(common::repo("docs/swarm/stack.yml")).unwrap();
    let help = common::readyctl()
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    let flags: Vec<&str> = regex::Regex::new(r"(--[a-z][a-z-]+)")
        .unwrap()
        .captures_iter(&text)
        .map(|c| c.get(1).unwrap().as_str())
        .filter(|f| *f != "--detach")
        .collect();
    assert!(flags.contains(&"--fail-on") && flags.contains(&"--listen"));
    for f in flags {
        assert!(help.contains(f), "`{f}` is not a serve flag");
    }
    let port = &regex::Regex::new(r#"--listen,? "?0\.0\.0\.0:(\d+)"#)
        .unwrap()
        .captures(&text)
        .expect("--listen")[1];
    assert!(
        text.contains(&format!("http://127.0.0.1:{port}/readyz")),
        "healthcheck on /readyz at the --listen port"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("stack.yml"), &text).unwrap();
    std::fs::write(dir.path().join("checks.yml"), "version: 1\nchecks: []\n").unwrap();
    std::fs::write(dir.path().join(".env.production"), "APP_ENV=production\n").unwrap();
    // readyctl's own stack lint: nothing `docker stack deploy` would refuse.
    let critical: Vec<(String, String)> = stack_lint(dir.path())
        .into_iter()
        .filter(|(c, _)| {
            matches!(
                c.as_str(),
                "compose/stack-build-no-image"
                    | "compose/stack-depends-on-rejected"
                    | "compose/stack-forbidden-option"
                    | "compose/stack-relative-bind"
            )
        })
        .collect();
    assert!(critical.is_empty(), "{critical:#?}");
    let Some(sw) = swarm() else { return };
    // The reference: the CLI accepts and creates it (its tasks wait for a
    // readyctl image this machine has no registry to pull from).
    let out = sw.docker(&[
        "stack",
        "deploy",
        "--resolve-image",
        "never",
        "-c",
        dir.path().join("stack.yml").to_str().unwrap(),
        "rtdocs",
    ]);
    let _cleanup = Stack {
        swarm: &sw,
        name: "rtdocs".into(),
        _dir: tempfile::tempdir().unwrap(),
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hc = sw.docker_ok(&[
        "service",
        "inspect",
        "rtdocs_readyctl",
        "--format",
        "{{json .Spec.TaskTemplate.ContainerSpec.Healthcheck.Test}}",
    ]);
    assert!(hc.contains("/readyz"), "{hc}");
}

/// Builds `readyctl:latest` on the test engine, as the docs stack file names
/// it: the binary under test, the shared libraries `ldd` says it loads, and
/// busybox for the healthcheck's `wget` — `docker import` of a root file
/// system, since there is no registry to pull from.
fn import_readyctl_image(sw: &Swarm) {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_readyctl"));
    let dir = tempfile::tempdir().unwrap();
    let rootfs = dir.path().join("rootfs");
    let put = |from: &Path, to: &str| {
        let target = rootfs.join(to.trim_start_matches('/'));
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(from, &target)
            .unwrap_or_else(|e| panic!("copy {} into the image: {e}", from.display()));
    };
    put(&bin, "/usr/local/bin/readyctl");
    let ldd = Command::new("ldd").arg(&bin).output().expect("run ldd");
    for line in String::from_utf8_lossy(&ldd.stdout).lines() {
        // `libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)` and the loader
        // `/lib64/ld-linux-x86-64.so.2 (0x…)`.
        let path = line
            .split("=>")
            .last()
            .and_then(|r| r.split_whitespace().next())
            .filter(|p| p.starts_with('/'));
        if let Some(p) = path {
            let real = std::fs::canonicalize(p).unwrap();
            put(&real, p);
        }
    }
    put(Path::new("/bin/busybox"), "/bin/busybox");
    for applet in ["sh", "wget"] {
        std::os::unix::fs::symlink("busybox", rootfs.join("bin").join(applet)).unwrap();
    }
    let tar = dir.path().join("image.tar");
    let status = Command::new("tar")
        .arg("-C")
        .arg(&rootfs)
        .arg("-cf")
        .arg(&tar)
        .arg(".")
        .status()
        .unwrap();
    assert!(status.success(), "tar the image's root file system");
    sw.docker_ok(&[
        "import",
        "--change",
        r#"ENTRYPOINT ["/usr/local/bin/readyctl"]"#,
        tar.to_str().unwrap(),
        "readyctl:latest",
    ]);
}

/// The docs stack file, deployed as it is with the binary under test in
/// `readyctl:latest`, gates on `/readyz`: with a catalogue whose checks pass
/// docker reports the task healthy and readyctl's own `swarm` kind passes the
/// stack; with a high-severity failure the same file never gets healthy —
/// swarm stops the task for its failing healthcheck and starts another — and
/// the `swarm` kind says the service has no running replica. Docker's own
/// view (`docker ps` health, `docker service ps` history) is the reference.
#[test]
fn docs_stack_file_gates_a_deploy_on_readyz_in_a_real_swarm() {
    let Some(sw) = swarm() else { return };
    import_readyctl_image(&sw);
    let text = std::fs::read_to_string(common::repo("docs/swarm/stack.yml")).unwrap();
    // Two copies side by side (they would fight over the ingress port).
    let deploy = |name: &str, port: u16, catalogue: &str| {
        let dir = tempfile::tempdir().unwrap();
        let yaml = text.replace("published: 9464", &format!("published: {port}"));
        std::fs::write(dir.path().join("stack.yml"), yaml).unwrap();
        std::fs::write(dir.path().join("checks.yml"), catalogue).unwrap();
        std::fs::write(dir.path().join(".env.production"), "APP_ENV=production\n").unwrap();
        sw.docker_ok(&[
            "stack",
            "deploy",
            "--resolve-image",
            "never",
            "-c",
            dir.path().join("stack.yml").to_str().unwrap(),
            name,
        ]);
        Stack {
            swarm: &sw,
            name: name.to_string(),
            _dir: dir,
        }
    };
    let _ready = deploy(
        "rtgateok",
        19464,
        "version: 1\nchecks:\n  - {id: env.mounted, kind: env_file, severity: high, path: .env.production, required: [APP_ENV]}\n",
    );
    let _blocked = deploy(
        "rtgatebad",
        19465,
        "version: 1\nchecks:\n  - {id: env.complete, kind: env_file, severity: high, path: .env.production, required: [APP_ENV, SECRET_KEY]}\n",
    );
    let health = |service: &str| {
        sw.docker_ok(&[
            "ps",
            "-a",
            "--filter",
            &format!("label=com.docker.swarm.service.name={service}"),
            "--format",
            "{{.Status}}",
        ])
    };
    let tasks =
        |service: &str| sw.docker_ok(&["service", "ps", service, "--format", "{{.CurrentState}}"]);
    let start = Instant::now();
    let (mut ok, mut stopped, mut bad_healthy) = (false, false, false);
    while start.elapsed() < SETTLE + SETTLE && !(ok && stopped) {
        ok = ok || health("rtgateok_readyctl").contains("(healthy)");
        bad_healthy = bad_healthy || health("rtgatebad_readyctl").contains("(healthy)");
        // Swarm stops a task whose healthcheck keeps failing and starts
        // another (`restart_policy: any`): a second task in the history.
        stopped = stopped || tasks("rtgatebad_readyctl").lines().count() >= 2;
        std::thread::sleep(Duration::from_secs(2));
    }
    assert!(
        ok,
        "the passing catalogue's task never got healthy: {}",
        health("rtgateok_readyctl")
    );
    assert!(
        stopped && !bad_healthy,
        "the failing catalogue's task was not stopped for its healthcheck (healthy once: {bad_healthy}): {}",
        tasks("rtgatebad_readyctl")
    );
    let root = tempfile::tempdir().unwrap();
    let (code, r) = sw.check(root.path(), "stack: rtgateok");
    assert_eq!((code, status(&r)), (0, "pass"), "{r:#}");
    let (code, r) = sw.check(root.path(), "stack: rtgatebad");
    assert_eq!(code, 1, "{r:#}");
    assert!(
        with_code(&r, "swarm/replicas-short")
            .iter()
            .any(|m| m.contains("service rtgatebad_readyctl: 0 of 1 replicas running")),
        "{r:#}"
    );
}
