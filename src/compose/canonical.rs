//! The canonical model `docker compose config` prints, built from a loaded
//! [`Project`]: `name`, long syntax for ports, volumes, secrets, configs and
//! `depends_on`, absolute paths, the default network, `command`/`entrypoint`
//! always present, numbers and durations as compose writes them.
//!
//! The kinds read [`Project::model`] (short syntax kept, positions kept); only
//! `readyctl compose config` prints this form, and the differential test
//! (`tests/it/compose_diff.rs`) compares it with docker compose's own output.
//! Where readyctl does not model an attribute it is passed through as loaded.
//! This module never prints.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value as J, json};

use super::Project;
use super::normalize;
use super::yaml::{Node, Value};

/// Options of `compose config` that change the printed model.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Canon {
    /// `--no-interpolate`: keep `env_file`, no `$$` escaping.
    pub no_interpolate: bool,
}

/// The canonical model as JSON (keys in compose's order where it matters
/// little; compare as values).
pub(crate) fn model(p: &Project, c: Canon) -> J {
    let mut top = Map::new();
    top.insert("name".into(), J::String(p.name.clone()));
    // Compose drops volumes, networks, secrets and configs no service uses;
    // the model keeps them for the lint rules, the printed form does not.
    let mut pruned = p.model.clone();
    super::profiles::prune(&mut pruned);
    let root = &pruned;
    let services = root.get("services").and_then(Node::as_map);
    let mut needs_default = false;
    let mut svcs = Map::new();
    if let Some(services) = services {
        for (name, svc) in services {
            let s = service(p, svc, c);
            if s.get("networks")
                .and_then(J::as_object)
                .is_some_and(|n| n.contains_key("default"))
            {
                needs_default = true;
            }
            svcs.insert(name.clone(), s);
        }
    }
    // Networks: declared ones, plus `default` when a service uses it.
    let mut nets = Map::new();
    if needs_default {
        let declared = root.get("networks").and_then(|n| n.get("default"));
        nets.insert(
            "default".into(),
            network(
                p,
                "default",
                declared.unwrap_or(&Node::synthetic(Value::Null)),
                c,
            ),
        );
    }
    if let Some(m) = root.get("networks").and_then(Node::as_map) {
        for (k, v) in m {
            if k != "default" {
                nets.insert(k.clone(), network(p, k, v, c));
            }
        }
    }
    if !nets.is_empty() {
        top.insert("networks".into(), J::Object(nets));
    }
    top.insert("services".into(), J::Object(svcs));
    for (key, kind) in [
        ("volumes", "volume"),
        ("secrets", "secret"),
        ("configs", "config"),
    ] {
        if let Some(m) = root.get(key).and_then(Node::as_map) {
            let mut out = Map::new();
            for (k, v) in m {
                out.insert(k.clone(), resource(p, kind, k, v));
            }
            if !out.is_empty() {
                top.insert(key.into(), J::Object(out));
            }
        }
    }
    if let Some(m) = root.as_map() {
        for (k, v) in m {
            if k.starts_with("x-") {
                top.insert(k.clone(), v.to_json());
            }
        }
    }
    J::Object(top)
}

/// Compose escapes every `$` of the interpolated output as `$$`, so the
/// printed model can be loaded again.
pub(crate) fn escape_dollars(text: &str) -> String {
    text.replace('$', "$$")
}

fn network(p: &Project, key: &str, n: &Node, c: Canon) -> J {
    let mut out = Map::new();
    let external = n.get("external").is_some_and(truthy);
    let name = n
        .get("name")
        .and_then(Node::scalar_text)
        .unwrap_or_else(|| {
            if external {
                key.to_string()
            } else {
                format!("{}_{key}", p.name)
            }
        });
    out.insert("name".into(), J::String(name));
    if let Some(m) = n.as_map() {
        for (k, v) in m {
            if k == "name" {
                continue;
            }
            out.insert(
                k.clone(),
                if k == "external" {
                    J::Bool(truthy(v))
                } else {
                    v.to_json()
                },
            );
        }
    }
    if !external && !out.contains_key("ipam") && !c.no_interpolate {
        out.insert("ipam".into(), json!({}));
    }
    J::Object(out)
}

fn resource(p: &Project, kind: &str, key: &str, n: &Node) -> J {
    let mut out = Map::new();
    let external = n.get("external").is_some_and(truthy);
    let name = n
        .get("name")
        .and_then(Node::scalar_text)
        .unwrap_or_else(|| {
            if external {
                key.to_string()
            } else {
                format!("{}_{key}", p.name)
            }
        });
    out.insert("name".into(), J::String(name));
    if let Some(m) = n.as_map() {
        for (k, v) in m {
            match k.as_str() {
                "name" => {}
                "external" => {
                    out.insert(k.clone(), J::Bool(truthy(v)));
                }
                "file" if kind != "volume" => {
                    let f = v.scalar_text().unwrap_or_default();
                    out.insert(k.clone(), J::String(abs(p, &f, v)));
                }
                _ => {
                    out.insert(k.clone(), v.to_json());
                }
            }
        }
    }
    J::Object(out)
}

fn truthy(n: &Node) -> bool {
    match &n.value {
        Value::Bool(b) => *b,
        Value::Str(s) => matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "yes" | "y" | "on" | "1"
        ),
        _ => false,
    }
}

/// A path written at `n`, absolute as compose prints it (`~` is the home).
fn abs(p: &Project, written: &str, n: &Node) -> String {
    if let Some(rest) = written.strip_prefix('~')
        && (rest.is_empty() || rest.starts_with('/'))
        && let Some(home) = std::env::var_os("HOME")
    {
        return format!("{}{rest}", PathBuf::from(home).display());
    }
    let path = Path::new(written);
    if path.is_absolute() {
        return written.to_string();
    }
    normalize(&p.base_dir(&n.loc).join(path))
        .display()
        .to_string()
}

fn strings(n: &Node) -> J {
    match &n.value {
        Value::Seq(s) => J::Array(
            s.iter()
                .map(|i| i.scalar_text().map(J::String).unwrap_or(J::Null))
                .collect(),
        ),
        Value::Null => J::Null,
        _ => J::Array(vec![n.scalar_text().map(J::String).unwrap_or(J::Null)]),
    }
}

fn str_map(n: &Node) -> J {
    match n.as_map() {
        Some(m) => J::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), v.scalar_text().map(J::String).unwrap_or(J::Null)))
                .collect(),
        ),
        None => n.to_json(),
    }
}

fn service(p: &Project, svc: &Node, c: Canon) -> J {
    let mut out = Map::new();
    let Some(m) = svc.as_map() else {
        return svc.to_json();
    };
    for (k, v) in m {
        let j = match k.as_str() {
            "command" | "entrypoint" => match &v.value {
                Value::Str(s) => J::Array(shell_split(s).into_iter().map(J::String).collect()),
                _ => v.to_json(),
            },
            "environment" => str_map(v),
            "labels" | "annotations" | "sysctls" => str_map(v),
            "env_file" => {
                if !c.no_interpolate {
                    continue;
                }
                env_file_long(p, v)
            }
            "expose" => strings(v),
            "dns" | "dns_search" | "tmpfs" | "dns_opt" | "cap_add" | "cap_drop" | "profiles" => {
                strings(v)
            }
            "ports" => ports(v),
            "volumes" => volumes(p, v),
            "build" => build(p, v),
            "depends_on" => depends_on(v),
            "healthcheck" => healthcheck(v),
            "networks" => v.to_json(),
            "secrets" => file_refs(v, "/run/secrets/"),
            "configs" => file_refs(v, "/"),
            "extra_hosts" => match v.as_map() {
                Some(m) => J::Array(
                    m.iter()
                        .map(|(h, ip)| {
                            J::String(format!("{h}={}", ip.scalar_text().unwrap_or_default()))
                        })
                        .collect(),
                ),
                None => strings(v),
            },
            "stop_grace_period" => v
                .scalar_text()
                .and_then(|s| go_duration(&s))
                .map(J::String)
                .unwrap_or_else(|| v.to_json()),
            "mem_limit" | "memswap_limit" | "mem_reservation" | "shm_size" => v
                .scalar_text()
                .and_then(|s| bytes(&s))
                .map(|b| J::String(b.to_string()))
                .unwrap_or_else(|| v.to_json()),
            "cpus" => v
                .scalar_text()
                .and_then(|s| s.parse::<f64>().ok())
                .map(num)
                .unwrap_or_else(|| v.to_json()),
            "deploy" => deploy(v),
            "ulimits" => ulimits(v),
            "extends" => continue,
            _ => v.to_json(),
        };
        out.insert(k.clone(), j);
    }
    for k in ["command", "entrypoint"] {
        out.entry(k).or_insert(J::Null);
    }
    if !out.contains_key("networks") && !out.contains_key("network_mode") {
        out.insert("networks".into(), json!({"default": null}));
    }
    J::Object(out)
}

fn num(f: f64) -> J {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        J::from(f as i64)
    } else {
        serde_json::Number::from_f64(f)
            .map(J::Number)
            .unwrap_or(J::Null)
    }
}

fn env_file_long(p: &Project, v: &Node) -> J {
    let items: Vec<&Node> = match &v.value {
        Value::Seq(s) => s.iter().collect(),
        _ => vec![v],
    };
    J::Array(
        items
            .into_iter()
            .map(|i| match i.as_map() {
                Some(m) => {
                    let path = m.get("path").and_then(Node::scalar_text).unwrap_or_default();
                    let mut o = Map::new();
                    o.insert("path".into(), J::String(abs(p, &path, i)));
                    o.insert(
                        "required".into(),
                        J::Bool(m.get("required").is_none_or(truthy)),
                    );
                    if let Some(f) = m.get("format") {
                        o.insert("format".into(), f.to_json());
                    }
                    J::Object(o)
                }
                None => json!({"path": abs(p, &i.scalar_text().unwrap_or_default(), i), "required": true}),
            })
            .collect(),
    )
}

/// Splits a command string as compose does (shell words: blanks separate,
/// quotes group, backslash escapes).
pub(crate) fn shell_split(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' | '\r' => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                for d in chars.by_ref() {
                    if d == '\'' {
                        break;
                    }
                    cur.push(d);
                }
            }
            '"' => {
                in_word = true;
                while let Some(d) = chars.next() {
                    match d {
                        '"' => break,
                        '\\' => match chars.peek() {
                            Some(&e @ ('"' | '\\' | '$' | '`')) => {
                                cur.push(e);
                                chars.next();
                            }
                            _ => cur.push('\\'),
                        },
                        _ => cur.push(d),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(e) = chars.next() {
                    cur.push(e);
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

fn ports(v: &Node) -> J {
    let Some(items) = v.as_seq() else {
        return v.to_json();
    };
    let mut out = Vec::new();
    for i in items {
        if let Some(m) = i.as_map() {
            let mut o = Map::new();
            o.insert(
                "mode".into(),
                m.get("mode")
                    .and_then(Node::scalar_text)
                    .map(J::String)
                    .unwrap_or_else(|| J::String("ingress".into())),
            );
            if let Some(h) = m.get("host_ip").and_then(Node::scalar_text) {
                o.insert("host_ip".into(), J::String(h));
            }
            if let Some(t) = m.get("target").and_then(Node::scalar_text) {
                o.insert(
                    "target".into(),
                    t.parse::<i64>().map(J::from).unwrap_or(J::String(t)),
                );
            }
            if let Some(pb) = m.get("published").and_then(Node::scalar_text) {
                o.insert("published".into(), J::String(pb));
            }
            o.insert(
                "protocol".into(),
                J::String(
                    m.get("protocol")
                        .and_then(Node::scalar_text)
                        .unwrap_or_else(|| "tcp".into()),
                ),
            );
            for (k, val) in m {
                if !o.contains_key(k) {
                    o.insert(k.clone(), val.to_json());
                }
            }
            out.push(J::Object(o));
            continue;
        }
        let Some(text) = i.scalar_text() else {
            continue;
        };
        let spec = super::merge::parse_port(&text);
        let targets = range(&spec.target);
        let published = range(&spec.published);
        for (n, t) in targets.iter().enumerate() {
            let mut o = Map::new();
            o.insert("mode".into(), J::String("ingress".into()));
            if !spec.host_ip.is_empty() {
                o.insert("host_ip".into(), J::String(spec.host_ip.clone()));
            }
            o.insert("target".into(), J::from(*t));
            match published.len() {
                0 => {}
                1 if targets.len() > 1 => {
                    o.insert("published".into(), J::String(spec.published.clone()));
                }
                _ => {
                    if let Some(pb) = published.get(n) {
                        o.insert("published".into(), J::String(pb.to_string()));
                    }
                }
            }
            o.insert("protocol".into(), J::String(spec.protocol.clone()));
            out.push(J::Object(o));
        }
    }
    J::Array(out)
}

fn range(s: &str) -> Vec<i64> {
    if s.is_empty() {
        return Vec::new();
    }
    match s.split_once('-') {
        Some((a, b)) => match (a.parse::<i64>(), b.parse::<i64>()) {
            (Ok(a), Ok(b)) if a <= b && b - a < 65536 => (a..=b).collect(),
            _ => Vec::new(),
        },
        None => s.parse::<i64>().map(|n| vec![n]).unwrap_or_default(),
    }
}

fn volumes(p: &Project, v: &Node) -> J {
    let Some(items) = v.as_seq() else {
        return v.to_json();
    };
    let mut out = Vec::new();
    for i in items {
        if let Some(m) = i.as_map() {
            let mut o = Map::new();
            let ty = m
                .get("type")
                .and_then(Node::scalar_text)
                .unwrap_or_else(|| "volume".into());
            o.insert("type".into(), J::String(ty.clone()));
            for (k, val) in m {
                if k == "type" {
                    continue;
                }
                let j = if k == "source" && ty == "bind" {
                    J::String(abs(p, &val.scalar_text().unwrap_or_default(), val))
                } else {
                    val.to_json()
                };
                o.insert(k.clone(), j);
            }
            out.push(J::Object(o));
            continue;
        }
        let Some(text) = i.scalar_text() else {
            continue;
        };
        out.push(short_volume(p, &text, i));
    }
    J::Array(out)
}

fn short_volume(p: &Project, text: &str, at: &Node) -> J {
    let parts = super::merge::split_volume(text);
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    let (source, target, mode) = match parts.as_slice() {
        [t] => ("", *t, ""),
        [s, t] => (*s, *t, ""),
        [s, t, m, ..] => (*s, *t, *m),
        [] => ("", "", ""),
    };
    let mut o = Map::new();
    if source.is_empty() {
        o.insert("type".into(), J::String("volume".into()));
        o.insert("target".into(), J::String(target.into()));
        o.insert("volume".into(), json!({}));
        return J::Object(o);
    }
    let b = source.as_bytes();
    let drive = b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':';
    let is_path = source.starts_with(['.', '/', '~']) || drive;
    let opts: Vec<&str> = mode.split(',').filter(|s| !s.is_empty()).collect();
    let ro = opts.contains(&"ro");
    if is_path {
        o.insert("type".into(), J::String("bind".into()));
        // A Windows drive path is absolute to compose: kept as written.
        let source = if drive {
            source.to_string()
        } else {
            abs(p, source, at)
        };
        o.insert("source".into(), J::String(source));
        o.insert("target".into(), J::String(target.into()));
        if ro {
            o.insert("read_only".into(), J::Bool(true));
        }
        let mut b = Map::new();
        for opt in &opts {
            match *opt {
                "z" | "Z" => {
                    b.insert("selinux".into(), J::String((*opt).into()));
                }
                "shared" | "rshared" | "slave" | "rslave" | "private" | "rprivate" => {
                    b.insert("propagation".into(), J::String((*opt).into()));
                }
                _ => {}
            }
        }
        b.insert("create_host_path".into(), J::Bool(true));
        o.insert("bind".into(), J::Object(b));
    } else {
        o.insert("type".into(), J::String("volume".into()));
        o.insert("source".into(), J::String(source.into()));
        o.insert("target".into(), J::String(target.into()));
        if ro {
            o.insert("read_only".into(), J::Bool(true));
        }
        let mut vol = Map::new();
        if opts.contains(&"nocopy") {
            vol.insert("nocopy".into(), J::Bool(true));
        }
        o.insert("volume".into(), J::Object(vol));
    }
    J::Object(o)
}

fn build(p: &Project, v: &Node) -> J {
    let Some(m) = v.as_map() else {
        return v.to_json();
    };
    let mut o = Map::new();
    let ctx = m
        .get("context")
        .and_then(Node::scalar_text)
        .unwrap_or_else(|| ".".into());
    let ctx_abs = if ctx.contains("://") || ctx.starts_with("git@") {
        ctx.clone()
    } else {
        abs(p, &ctx, m.get("context").unwrap_or(v))
    };
    o.insert("context".into(), J::String(ctx_abs));
    if m.get("dockerfile_inline").is_none() {
        o.insert(
            "dockerfile".into(),
            J::String(
                m.get("dockerfile")
                    .and_then(Node::scalar_text)
                    .unwrap_or_else(|| "Dockerfile".into()),
            ),
        );
    }
    for (k, val) in m {
        if k == "context" || k == "dockerfile" {
            continue;
        }
        let j = match k.as_str() {
            "args" | "labels" => {
                if val.as_map().is_some_and(|m| m.is_empty()) {
                    continue;
                }
                str_map(val)
            }
            _ => val.to_json(),
        };
        o.insert(k.clone(), j);
    }
    J::Object(o)
}

fn depends_on(v: &Node) -> J {
    let Some(m) = v.as_map() else {
        return v.to_json();
    };
    let mut out = Map::new();
    for (name, spec) in m {
        let mut o = Map::new();
        o.insert(
            "condition".into(),
            J::String(
                spec.get("condition")
                    .and_then(Node::scalar_text)
                    .unwrap_or_else(|| "service_started".into()),
            ),
        );
        if let Some(r) = spec.get("restart") {
            o.insert("restart".into(), J::Bool(truthy(r)));
        }
        o.insert(
            "required".into(),
            J::Bool(spec.get("required").is_none_or(truthy)),
        );
        out.insert(name.clone(), J::Object(o));
    }
    J::Object(out)
}

fn healthcheck(v: &Node) -> J {
    let Some(m) = v.as_map() else {
        return v.to_json();
    };
    let mut o = Map::new();
    for (k, val) in m {
        let j = match k.as_str() {
            "test" => match &val.value {
                Value::Str(s) => json!(["CMD-SHELL", s]),
                _ => val.to_json(),
            },
            // Compose leaves out a false `disable`.
            "disable" if matches!(val.value, Value::Bool(false)) => continue,
            "interval" | "timeout" | "start_period" | "start_interval" => val
                .scalar_text()
                .and_then(|s| go_duration(&s))
                .map(J::String)
                .unwrap_or_else(|| val.to_json()),
            _ => val.to_json(),
        };
        o.insert(k.clone(), j);
    }
    J::Object(o)
}

fn file_refs(v: &Node, prefix: &str) -> J {
    let Some(items) = v.as_seq() else {
        return v.to_json();
    };
    J::Array(
        items
            .iter()
            .map(|i| match i.as_map() {
                Some(m) => {
                    let mut o = Map::new();
                    for (k, val) in m {
                        o.insert(k.clone(), val.to_json());
                    }
                    if prefix.starts_with("/run")
                        && !o.contains_key("target")
                        && let Some(s) = m.get("source").and_then(Node::scalar_text)
                    {
                        o.insert("target".into(), J::String(format!("{prefix}{s}")));
                    }
                    J::Object(o)
                }
                None => {
                    let s = i.scalar_text().unwrap_or_default();
                    if prefix.starts_with("/run") {
                        json!({"source": s, "target": format!("{prefix}{s}")})
                    } else {
                        json!({"source": s})
                    }
                }
            })
            .collect(),
    )
}

fn deploy(v: &Node) -> J {
    let mut j = v.to_json();
    if let Some(res) = j.get_mut("resources").and_then(J::as_object_mut) {
        for part in ["limits", "reservations"] {
            if let Some(l) = res.get_mut(part).and_then(J::as_object_mut) {
                if let Some(mem) = l.get("memory").cloned() {
                    let text = match &mem {
                        J::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    if let Some(b) = bytes(&text) {
                        l.insert("memory".into(), J::String(b.to_string()));
                    }
                }
                if let Some(c) = l.get("cpus").cloned() {
                    let text = match &c {
                        J::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    if let Ok(f) = text.parse::<f64>() {
                        l.insert("cpus".into(), num(f));
                    }
                }
            }
        }
    }
    if let Some(o) = j.as_object_mut() {
        o.entry("placement").or_insert(json!({}));
    }
    j
}

fn ulimits(v: &Node) -> J {
    let Some(m) = v.as_map() else {
        return v.to_json();
    };
    J::Object(
        m.iter()
            .map(|(k, val)| {
                let j = match &val.value {
                    Value::Int(i) => json!({"single": i}),
                    _ => val.to_json(),
                };
                (k.clone(), j)
            })
            .collect(),
    )
}

/// A byte size as compose's `units.RAMInBytes` reads it (`512m`, `1.5G`,
/// `100kb`; binary multiples).
pub(crate) fn bytes(s: &str) -> Option<i64> {
    let t = s.trim().to_ascii_lowercase();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    if split == 0 {
        return None;
    }
    let (n, unit) = t.split_at(split);
    let n: f64 = n.parse().ok()?;
    let unit = unit.trim();
    let unit = unit
        .strip_suffix("ib")
        .or_else(|| unit.strip_suffix('b'))
        .unwrap_or(unit);
    let mult: f64 = match unit {
        "" => 1.0,
        "k" => 1024.0,
        "m" => 1024.0 * 1024.0,
        "g" => 1024.0 * 1024.0 * 1024.0,
        "t" => 1024f64.powi(4),
        "p" => 1024f64.powi(5),
        _ => return None,
    };
    Some((n * mult) as i64)
}

/// A compose duration (`1m30s`, `500ms`, `1.5h`) printed as Go's
/// `time.Duration.String` does (`1m30s`, `500ms`, `1h30m0s`).
pub(crate) fn go_duration(s: &str) -> Option<String> {
    let mut rest = s.trim();
    if rest.is_empty() {
        return None;
    }
    let mut nanos: f64 = 0.0;
    while !rest.is_empty() {
        let n_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        if n_end == 0 {
            return None;
        }
        let n: f64 = rest[..n_end].parse().ok()?;
        let after = &rest[n_end..];
        let u_end = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let mult = match &after[..u_end] {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        nanos += n * mult;
        rest = &after[u_end..];
    }
    let d = nanos.round() as i128;
    Some(fmt_duration(d))
}

fn fmt_duration(d: i128) -> String {
    if d == 0 {
        return "0s".into();
    }
    let frac = |v: i128, unit: i128| -> String {
        let whole = v / unit;
        let rem = v % unit;
        if rem == 0 {
            whole.to_string()
        } else {
            let digits = unit.to_string().len() - 1;
            let s = format!("{rem:0digits$}");
            format!("{whole}.{}", s.trim_end_matches('0'))
        }
    };
    if d < 1_000 {
        return format!("{d}ns");
    }
    if d < 1_000_000 {
        return format!("{}µs", frac(d, 1_000));
    }
    if d < 1_000_000_000 {
        return format!("{}ms", frac(d, 1_000_000));
    }
    let h = d / 3_600_000_000_000;
    let m = (d / 60_000_000_000) % 60;
    let s = d % 60_000_000_000;
    let secs = format!("{}s", frac(s, 1_000_000_000));
    if h > 0 {
        format!("{h}h{m}m{secs}")
    } else if m > 0 {
        format!("{m}m{secs}")
    } else {
        secs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_print_like_go() {
        assert_eq!(go_duration("1m").unwrap(), "1m0s");
        assert_eq!(go_duration("90s").unwrap(), "1m30s");
        assert_eq!(go_duration("30s").unwrap(), "30s");
        assert_eq!(go_duration("500ms").unwrap(), "500ms");
        assert_eq!(go_duration("1h").unwrap(), "1h0m0s");
        assert_eq!(go_duration("1.5s").unwrap(), "1.5s");
    }

    #[test]
    fn sizes_are_binary_multiples() {
        assert_eq!(bytes("512M"), Some(536_870_912));
        assert_eq!(bytes("1g"), Some(1 << 30));
        assert_eq!(bytes("100"), Some(100));
    }

    #[test]
    fn commands_split_as_shell_words() {
        assert_eq!(shell_split("echo hi"), vec!["echo", "hi"]);
        assert_eq!(
            shell_split(r#"sh -c "a b" 'c d'"#),
            vec!["sh", "-c", "a b", "c d"]
        );
    }
}
