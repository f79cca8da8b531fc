#![allow(
    clippy::disallowed_macros,
    reason = "tests say what they skip and measure"
)]
//! Differential test: `readyctl compose config` against the real docker
//! compose (v2.40.3, `scripts/services/compose.sh`) on the same files.
//!
//! Three corpora, each project run through both tools and compared field by
//! field as normalized JSON (every leaf path and value; a project both tools
//! refuse counts as one agreeing field):
//! - hand-written cases, one file per compose rule under
//!   `tests/corpus/compose/cases/*.case` (several files in one, see
//!   [`parse_case`]);
//! - real projects under `tests/corpus/compose/real/NAME/` (copied from public
//!   repositories, origin in each `ORIGIN.md`, invocation in `case.args`);
//! - generated projects: a seeded generator combining features at random
//!   (`READYCTL_DIFF_SEED`, `READYCTL_DIFF_COUNT`; default 320 projects).
//!
//! And `.env` files: `tests/corpus/compose/env/*.env` plus generated ones,
//! each read as a service's `env_file:` by both tools (values, and error or
//! not).
//!
//! The test fails on any difference not on [`ALLOWED`], the short list of
//! compose behaviours readyctl deliberately does not copy.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// Differences readyctl keeps on purpose: (case-name prefix or `*`, leaf
/// path prefix, why). Each is documented in docs/compose.md.
const ALLOWED: &[(&str, &str, &str)] = &[
    // Compose prints `ipam: {}` and similar empty defaults on some objects
    // depending on the load path; readyctl prints the same fields otherwise.
    (
        "*",
        ".networks.default.ipam",
        "compose adds an empty ipam only on some load paths",
    ),
];

fn allowed(case: &str, path: &str) -> bool {
    ALLOWED.iter().any(|(c, p, _)| {
        (*c == "*" || case.starts_with(c)) && (path == *p || path.starts_with(&format!("{p}.")))
    })
}

/// One project: files to write, CLI arguments, process environment.
#[derive(Debug, Clone, Default)]
struct Case {
    name: String,
    files: Vec<(String, String)>,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

/// Reads the `.case` format: `args:` and `env:` header lines, then files,
/// each introduced by a `--- PATH` line. `#` lines before the first file
/// are comments.
fn parse_case(name: &str, text: &str) -> Case {
    let mut c = Case {
        name: name.to_string(),
        ..Default::default()
    };
    let mut current: Option<(String, String)> = None;
    for line in text.split_inclusive('\n') {
        if let Some(path) = line.strip_prefix("--- ") {
            if let Some(f) = current.take() {
                c.files.push(f);
            }
            current = Some((path.trim().to_string(), String::new()));
            continue;
        }
        match &mut current {
            Some((_, body)) => body.push_str(line),
            None => {
                let l = line.trim();
                if let Some(a) = l.strip_prefix("args:") {
                    c.args = a.split_whitespace().map(str::to_string).collect();
                } else if let Some(e) = l.strip_prefix("env:") {
                    c.env = e
                        .split_whitespace()
                        .filter_map(|kv| kv.split_once('='))
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect();
                }
            }
        }
    }
    if let Some(f) = current.take() {
        c.files.push(f);
    }
    c
}

#[derive(Debug)]
enum Outcome {
    Model(Value),
    Refused(String),
}

fn run(mut cmd: Command, dir: &Path, env: &[(String, String)]) -> Outcome {
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("tool runs");
    if !out.status.success() {
        return Outcome::Refused(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    match serde_json::from_slice(&out.stdout) {
        Ok(v) => Outcome::Model(v),
        Err(e) => Outcome::Refused(format!("output is not JSON: {e}")),
    }
}

fn both(dc: &str, case: &Case) -> (Outcome, Outcome) {
    let dir = tempfile::Builder::new().prefix("diff").tempdir().unwrap();
    for (name, text) in &case.files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let mut d = Command::new(dc);
    d.args(&case.args).args(["config", "--format", "json"]);
    let mut r = Command::new(env!("CARGO_BIN_EXE_readyctl"));
    r.args(["compose", "config"])
        .args(&case.args)
        .args(["--format", "json", "--show-secrets"]);
    let a = run(d, dir.path(), &case.env);
    let b = run(r, dir.path(), &case.env);
    (a, b)
}

fn flatten(v: &Value, path: String, out: &mut BTreeMap<String, Value>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, x) in m {
                flatten(x, format!("{path}.{k}"), out);
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for (i, x) in a.iter().enumerate() {
                flatten(x, format!("{path}[{i}]"), out);
            }
        }
        _ => {
            out.insert(path, v.clone());
        }
    }
}

/// Agreeing fields, all fields, and the differences not allowed.
#[derive(Debug, Default)]
struct Tally {
    agree: usize,
    total: usize,
    diffs: Vec<String>,
}

fn compare(case: &Case, compose: &Outcome, readyctl: &Outcome) -> Tally {
    let mut t = Tally::default();
    match (compose, readyctl) {
        (Outcome::Refused(_), Outcome::Refused(_)) => {
            t.agree = 1;
            t.total = 1;
        }
        (Outcome::Refused(e), Outcome::Model(_)) => {
            t.total = 1;
            t.diffs.push(format!(
                "docker compose refuses, readyctl accepts: {}",
                e.trim()
            ));
        }
        (Outcome::Model(_), Outcome::Refused(e)) => {
            t.total = 1;
            t.diffs.push(format!(
                "readyctl refuses, docker compose accepts: {}",
                e.trim()
            ));
        }
        (Outcome::Model(a), Outcome::Model(b)) => {
            let (mut fa, mut fb) = (BTreeMap::new(), BTreeMap::new());
            flatten(a, String::new(), &mut fa);
            flatten(b, String::new(), &mut fb);
            let keys: std::collections::BTreeSet<&String> = fa.keys().chain(fb.keys()).collect();
            for k in keys {
                t.total += 1;
                match (fa.get(k), fb.get(k)) {
                    (Some(x), Some(y)) if x == y => t.agree += 1,
                    _ if allowed(&case.name, k) => t.agree += 1,
                    (x, y) => t.diffs.push(format!(
                        "{k}: docker compose {} / readyctl {}",
                        x.map_or("(absent)".to_string(), Value::to_string),
                        y.map_or("(absent)".to_string(), Value::to_string)
                    )),
                }
            }
        }
    }
    t
}

/// Runs every case (a few at a time: the oracle's start-up dominates) and
/// returns per-case tallies in input order.
fn run_all(dc: &str, cases: &[Case]) -> Vec<Tally> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get() * 3)
        .unwrap_or(4)
        .clamp(2, 12);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some(c) = cases.get(i) else { break };
                    let (a, b) = both(dc, c);
                    let t = compare(c, &a, &b);
                    results.lock().unwrap().push((i, t));
                }
            });
        }
    });
    let mut r = results.into_inner().unwrap();
    r.sort_by_key(|(i, _)| *i);
    r.into_iter().map(|(_, t)| t).collect()
}

fn report(label: &str, cases: &[Case], tallies: &[Tally]) -> Vec<String> {
    let agree: usize = tallies.iter().map(|t| t.agree).sum();
    let total: usize = tallies.iter().map(|t| t.total).sum();
    eprintln!(
        "{label}: {} cases, {agree}/{total} fields agree",
        cases.len()
    );
    let mut failures = Vec::new();
    for (c, t) in cases.iter().zip(tallies) {
        if label == "real" {
            eprintln!("  {}: {}/{} fields agree", c.name, t.agree, t.total);
        }
        if !t.diffs.is_empty() {
            let files: String = c
                .files
                .iter()
                .map(|(n, b)| format!("--- {n}\n{b}"))
                .collect();
            failures.push(format!(
                "case {} (args {:?}, env {:?}):\n  {}\n{files}",
                c.name,
                c.args,
                c.env,
                t.diffs.join("\n  ")
            ));
        }
    }
    failures
}

fn corpus_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/compose")
}

fn hand_written() -> Vec<Case> {
    let mut out = Vec::new();
    let dir = corpus_dir().join("cases");
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "case"))
        .collect();
    entries.sort();
    for p in entries {
        let name = p.file_stem().unwrap().to_string_lossy().into_owned();
        out.push(parse_case(&name, &std::fs::read_to_string(&p).unwrap()));
    }
    out
}

fn real_projects() -> Vec<Case> {
    let mut out = Vec::new();
    let dir = corpus_dir().join("real");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return out;
    };
    let mut dirs: Vec<_> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
    dirs.sort();
    for d in dirs.into_iter().filter(|d| d.is_dir()) {
        let mut c = Case {
            name: d.file_name().unwrap().to_string_lossy().into_owned(),
            ..Default::default()
        };
        let mut stack = vec![d.clone()];
        while let Some(x) = stack.pop() {
            for e in std::fs::read_dir(&x).unwrap().filter_map(Result::ok) {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                    continue;
                }
                let rel = p.strip_prefix(&d).unwrap().to_string_lossy().into_owned();
                if rel == "ORIGIN.md" {
                    continue;
                }
                if rel == "case.args" {
                    let text = std::fs::read_to_string(&p).unwrap();
                    let h = parse_case(&c.name, &text);
                    c.args = h.args;
                    c.env = h.env;
                    continue;
                }
                c.files.push((rel, std::fs::read_to_string(&p).unwrap()));
            }
        }
        c.files.sort();
        out.push(c);
    }
    out
}

/// A small deterministic PRNG (xorshift64*), so a seed names a corpus.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const SCALARS: &[&str] = &[
    "on",
    "No",
    "yes",
    "off",
    "010",
    "0x1F",
    "1.0",
    "1.50",
    "true",
    "False",
    "'quoted'",
    "\"007\"",
    "1_000",
    "~",
    "",
    "1e3",
    "-5",
    "'50$ off'",
    "'a$'",
    "${SET}",
    "${UNSET:-dflt}",
    "${EMPTY-x}",
    "'${SET:+alt}'",
    "$$LITERAL",
    "'${JSON:-{\"a\":1}}'",
    "plain text",
    "0o17",
    ".5",
];

fn gen_env_value(r: &mut Rng) -> String {
    r.pick(SCALARS).to_string()
}

/// One generated project.
fn generate(r: &mut Rng, n: usize) -> Case {
    let mut c = Case {
        name: format!("gen{n:04}"),
        ..Default::default()
    };
    let services = 1 + r.below(4);
    let mut base = String::from("services:\n");
    let mut over = String::from("services:\n");
    let mut overlay = false;
    let mut volumes = Vec::new();
    let mut networks = Vec::new();
    let mut profiles_used = Vec::new();
    let mut env_files = Vec::new();
    for i in 0..services {
        let name = format!("s{i}");
        base.push_str(&format!("  {name}:\n"));
        if i > 0 && r.chance(15) {
            base.push_str(&format!("    extends: s{}\n", r.below(i)));
        }
        base.push_str(&format!(
            "    image: {}\n",
            r.pick(&[
                "nginx:1.27",
                "app:${TAG:-1.0}",
                "y",
                "'010'",
                "postgres",
                "reg:5000/x@sha256:ab"
            ])
        ));
        if r.chance(50) {
            base.push_str(&format!(
                "    restart: {}\n",
                r.pick(&["no", "always", "'on-failure:3'", "unless-stopped", "\"no\""])
            ));
        }
        if r.chance(70) {
            if r.chance(50) {
                base.push_str("    environment:\n");
                for k in 0..1 + r.below(4) {
                    base.push_str(&format!("      K{k}: {}\n", gen_env_value(r)));
                }
            } else {
                base.push_str("    environment:\n");
                for k in 0..1 + r.below(3) {
                    let v = r.pick(&["=1", "=on", "=${SET}", "", "=a=b", "=$$x", "= spaced "]);
                    base.push_str(&format!("      - \"L{k}{v}\"\n"));
                }
                if r.chance(30) {
                    base.push_str("      - SET\n");
                }
            }
        }
        if r.chance(25) {
            let f = format!("env/s{i}.env");
            base.push_str(&format!("    env_file: {f}\n"));
            env_files.push(f);
        }
        if r.chance(40) {
            base.push_str("    ports:\n");
            for _ in 0..1 + r.below(2) {
                let p = r.pick(&[
                    "\"80\"",
                    "\"8080:80\"",
                    "\"127.0.0.1:5432:5432\"",
                    "\"9000-9001:9000-9001\"",
                    "\"53:53/udp\"",
                    "{target: 90, published: 9090}",
                    "\"[::1]:6379:6379\"",
                    "\"3000\"",
                ]);
                base.push_str(&format!("      - {p}\n"));
            }
        }
        if r.chance(20) {
            base.push_str("    expose: [\"8000\", 9000]\n");
        }
        if r.chance(40) {
            base.push_str("    volumes:\n");
            for _ in 0..1 + r.below(2) {
                match r.below(4) {
                    0 => {
                        let v = format!("v{}", r.below(3));
                        base.push_str(&format!("      - {v}:/data/{v}\n"));
                        volumes.push(v);
                    }
                    1 => base.push_str("      - ./conf:/etc/conf:ro\n"),
                    2 => base.push_str("      - /var/log:/host-log:rw,z\n"),
                    _ => base.push_str("      - /anon\n"),
                }
            }
        }
        if r.chance(25) {
            let net = format!("n{}", r.below(2));
            if r.chance(50) {
                base.push_str(&format!("    networks: [{net}]\n"));
            } else {
                base.push_str(&format!(
                    "    networks:\n      {net}:\n        aliases: [a{i}]\n"
                ));
            }
            networks.push(net);
        }
        if i > 0 && r.chance(35) {
            let dep = format!("s{}", r.below(i));
            if r.chance(50) {
                base.push_str(&format!("    depends_on: [{dep}]\n"));
            } else {
                base.push_str(&format!(
                    "    depends_on:\n      {dep}:\n        condition: {}\n",
                    r.pick(&[
                        "service_started",
                        "service_healthy",
                        "service_completed_successfully"
                    ])
                ));
                if r.chance(30) {
                    base.push_str("        required: false\n");
                }
            }
        }
        if r.chance(30) {
            base.push_str(&format!(
                "    healthcheck:\n      test: {}\n      interval: {}\n      retries: 3\n",
                r.pick(&[
                    "curl -f http://localhost",
                    "[\"CMD\", \"true\"]",
                    "[\"CMD-SHELL\", \"pg_isready\"]"
                ]),
                r.pick(&["10s", "1m", "1m30s", "500ms", "90s"])
            ));
        }
        if r.chance(30) {
            base.push_str(&format!(
                "    command: {}\n",
                r.pick(&[
                    "echo hello",
                    "[\"python\", \"app.py\"]",
                    "sh -c 'a b'",
                    "\"--flag=$$HOME\""
                ])
            ));
        }
        if r.chance(20) {
            base.push_str("    labels:\n      - com.example.a=1\n      - bare\n");
        }
        if r.chance(20) {
            base.push_str(&format!(
                "    build: {}\n",
                r.pick(&[
                    ".",
                    "./sub",
                    "{context: ., dockerfile: Dockerfile.prod}",
                    "{context: ., args: [SET, NOPE]}",
                    "{context: ., args: {A: 1, B: on}}"
                ])
            ));
        }
        if r.chance(15) {
            let p = r.pick(&["dev", "debug", "prod"]).to_string();
            base.push_str(&format!("    profiles: [{p}]\n"));
            profiles_used.push(p);
        }
        if r.chance(10) {
            base.push_str("    stop_grace_period: 1m\n    user: \"1000\"\n    working_dir: /app\n");
        }
        // Overlay for some services.
        if r.chance(35) {
            overlay = true;
            over.push_str(&format!("  {name}:\n"));
            match r.below(6) {
                0 => over.push_str("    image: override:2\n"),
                1 => over.push_str("    environment:\n      K0: overridden\n      EXTRA: \"x\"\n"),
                2 => over.push_str("    ports: !reset []\n"),
                3 => over.push_str("    environment: !override\n      ONLY: this\n"),
                4 => over.push_str("    command: [\"run\", \"--prod\"]\n    restart: always\n"),
                _ => over.push_str("    ports:\n      - \"8443:443\"\n"),
            }
        }
    }
    volumes.sort();
    volumes.dedup();
    networks.sort();
    networks.dedup();
    if !volumes.is_empty() || r.chance(20) {
        base.push_str("volumes:\n");
        for v in &volumes {
            base.push_str(&format!("  {v}:\n"));
        }
        if r.chance(30) {
            base.push_str("  unused_volume: {}\n");
        }
        if volumes.is_empty() {
            base.push_str("  only_unused: {}\n");
        }
    }
    if !networks.is_empty() {
        base.push_str("networks:\n");
        for n in &networks {
            base.push_str(&format!("  {n}:\n"));
        }
    }
    let mut dotenv = String::from("SET=value\nEMPTY=\nTAG=2.1\n");
    if r.chance(30) {
        dotenv.push_str("COMPOSE_PROFILES=dev\n");
    }
    c.files.push(("compose.yaml".into(), base));
    if overlay {
        c.files.push(("compose.override.yaml".into(), over));
    }
    c.files.push((".env".into(), dotenv));
    for f in env_files {
        let mut body = String::new();
        for k in 0..1 + r.below(4) {
            body.push_str(&gen_env_line(r, k));
        }
        c.files.push((f, body));
    }
    if !profiles_used.is_empty() && r.chance(50) {
        c.args = vec![
            "--profile".into(),
            profiles_used[r.below(profiles_used.len())].clone(),
        ];
    }
    if r.chance(30) {
        c.env.push(("SET".into(), "from-shell".into()));
    }
    if r.chance(20) {
        c.env.push(("TAG".into(), String::new()));
    }
    c
}

/// One line of a generated `.env` file.
fn gen_env_line(r: &mut Rng, k: usize) -> String {
    let key = r.pick(&["A", "B_2", "c.d", "E-F", "export G", "H"]);
    let sep = r.pick(&["=", "=", " = ", ": "]);
    let value = r.pick(&[
        "plain",
        "two words",
        "'single $SET'",
        "\"double ${SET}\"",
        "\"esc \\n \\t \\\" \\$x\"",
        "'it\\'s'",
        "value # comment",
        "a#b",
        "${SET:-d}",
        "$SET_B",
        "\"multi\nline\"",
        "",
        "\"unterminated",
        "$1 $",
        "${NOPE:?needed}",
        "''",
    ]);
    if r.chance(8) {
        return format!("{key}{k}\n");
    }
    if r.chance(4) {
        return format!("bad key{k}=1\n");
    }
    format!("{key}{k}{sep}{value}\n")
}

fn env_cases(r: &mut Rng, generated: usize) -> Vec<Case> {
    let mut out = Vec::new();
    let compose = "services:\n  a:\n    image: x\n    env_file: e.env\n".to_string();
    let dir = corpus_dir().join("env");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    files.sort();
    for p in files {
        out.push(Case {
            name: format!("env-{}", p.file_name().unwrap().to_string_lossy()),
            files: vec![
                ("compose.yaml".into(), compose.clone()),
                ("e.env".into(), std::fs::read_to_string(&p).unwrap()),
            ],
            env: vec![
                ("SET".into(), "shell".into()),
                ("H0".into(), "inherited".into()),
            ],
            ..Default::default()
        });
    }
    for n in 0..generated {
        let mut body = String::new();
        for k in 0..1 + r.below(6) {
            body.push_str(&gen_env_line(r, k));
        }
        out.push(Case {
            name: format!("envgen{n:04}"),
            files: vec![
                ("compose.yaml".into(), compose.clone()),
                ("e.env".into(), body),
            ],
            env: vec![("SET".into(), "shell".into())],
            ..Default::default()
        });
    }
    out
}

#[test]
fn readyctl_reads_compose_projects_as_docker_compose_does() {
    let Some(dc) = common::service("READYCTL_TEST_DOCKER_COMPOSE") else {
        return;
    };
    let seed: u64 = std::env::var("READYCTL_DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_c0de);
    let count: usize = std::env::var("READYCTL_DIFF_COUNT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(320);
    eprintln!("seed {seed:#x}, {count} generated projects");
    let mut r = Rng(seed | 1);
    let mut failures = Vec::new();
    let hand = hand_written();
    failures.extend(report("hand-written", &hand, &run_all(&dc, &hand)));
    let real = real_projects();
    failures.extend(report("real", &real, &run_all(&dc, &real)));
    let generated: Vec<Case> = (0..count).map(|n| generate(&mut r, n)).collect();
    failures.extend(report("generated", &generated, &run_all(&dc, &generated)));
    let env = env_cases(&mut r, 120);
    failures.extend(report(".env", &env, &run_all(&dc, &env)));
    assert!(
        failures.is_empty(),
        "{} case(s) differ from docker compose:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn the_allow_list_stays_short() {
    assert!(ALLOWED.len() < 10, "{} allow-list entries", ALLOWED.len());
    assert!(ALLOWED.iter().all(|(_, _, why)| !why.is_empty()));
}
