//! Normalisation and merging of compose service definitions, following the
//! compose specification's "Merge" rules:
//!
//! - mappings merge key by key, the overriding file winning on conflicts;
//! - sequences are appended, except
//!   - `command`, `entrypoint` and `healthcheck.test`, which are replaced;
//!   - the unique resources `ports` (key `{ip, target, published, protocol}`),
//!     `volumes`, `secrets` and `configs` (key: `target`), where an entry with
//!     an existing key replaces it and others are appended; `expose`, `dns`,
//!     `dns_search`, `env_file`, `cap_add`, `cap_drop`, `tmpfs` keep one copy
//!     of equal entries (compose de-duplicates them);
//! - scalars are replaced.
//!
//! Before merging, the attributes that compose accepts as a list *or* a
//! mapping (`environment`, `labels`, `annotations`, `sysctls`, `build.args`,
//! `build.labels`, `depends_on`, `extra_hosts`, `networks`) are normalised to mappings, so
//! `- KEY=VALUE` in one file and `KEY: VALUE` in the other merge by key, and a
//! string `build: ./dir` becomes `{context: ./dir}`.

use super::yaml::Map;

use super::yaml::{Node, Tag, Value};

/// Attributes whose list form is `KEY=VALUE` (or `KEY` alone).
const KEY_VALUE_LISTS: &[&str] = &["environment", "labels", "annotations", "sysctls"];

/// Normalises one service definition in place (see the module docs).
/// `lookup` resolves `- KEY` entries of `environment` that carry no value.
pub(crate) fn normalize_service(svc: &mut Node, lookup: &dyn Fn(&str) -> Option<String>) {
    let Some(map) = svc.as_map_mut() else { return };
    for attr in KEY_VALUE_LISTS {
        if let Some(n) = map.get_mut(*attr) {
            to_key_value_map(n, *attr == "environment", lookup);
        }
    }
    if let Some(n) = map.get_mut("env_file")
        && let Value::Str(_) = n.value
    {
        n.value = Value::Seq(vec![n.clone()]);
    }
    // Within one file too, compose keeps one entry per key of the unique
    // resources (two `./a:/data` lines are one mount).
    for attr in [
        "ports",
        "volumes",
        "secrets",
        "configs",
        "expose",
        "dns",
        "dns_search",
        "env_file",
        "cap_add",
        "cap_drop",
        "tmpfs",
        "profiles",
    ] {
        if let Some(n) = map.get_mut(attr)
            && let Value::Seq(items) = &mut n.value
            && let Some(key) = unique_key(attr)
        {
            let mut out: Vec<Node> = Vec::with_capacity(items.len());
            for item in std::mem::take(items) {
                let k = key(&item);
                match k.and_then(|k| out.iter().position(|e| key(e).as_ref() == Some(&k))) {
                    Some(i) => out[i] = item,
                    None => out.push(item),
                }
            }
            *items = out;
        }
    }
    if let Some(n) = map.get_mut("extra_hosts") {
        to_key_value_map_sep(n, &['=', ':']);
    }
    if let Some(n) = map.get_mut("build") {
        if let Value::Str(s) = &n.value {
            let mut m = Map::default();
            m.insert(
                "context".to_string(),
                Node::at(Value::Str(s.clone()), n.loc.clone()),
            );
            n.value = Value::Map(m);
        }
        if let Some(b) = n.as_map_mut() {
            if let Some(a) = b.get_mut("args") {
                // A bare `- NAME` build arg comes from the environment (or is
                // dropped), like a bare environment entry.
                to_key_value_map(a, true, &|_| None);
            }
            if let Some(a) = b.get_mut("labels") {
                to_key_value_map(a, false, lookup);
            }
        }
    }
    if let Some(n) = map.get_mut("networks")
        && let Value::Seq(items) = &n.value
    {
        // `networks: [a]` is `networks: {a: null}`; the mapping form merges by name.
        let mut m = Map::default();
        for item in items {
            if let Some(name) = item.scalar_text() {
                let mut v = Node::at(Value::Null, item.loc.clone());
                v.key_loc = Some(item.loc.clone());
                m.insert(name, v);
            }
        }
        n.value = Value::Map(m);
    }
    if let Some(n) = map.get_mut("depends_on")
        && let Value::Seq(items) = &n.value
    {
        let mut m = Map::default();
        for item in items {
            if let Some(name) = item.scalar_text() {
                let mut cond = Map::default();
                cond.insert(
                    "condition".to_string(),
                    Node::at(Value::Str("service_started".into()), item.loc.clone()),
                );
                let mut v = Node::at(Value::Map(cond), item.loc.clone());
                v.key_loc = Some(item.loc.clone());
                m.insert(name, v);
            }
        }
        n.value = Value::Map(m);
    }
}

fn to_key_value_map(n: &mut Node, environment: bool, lookup: &dyn Fn(&str) -> Option<String>) {
    match &mut n.value {
        Value::Seq(items) => {
            let mut m = Map::default();
            for item in items.iter() {
                let Some(text) = item.scalar_text() else {
                    continue;
                };
                let (key, value) = match text.split_once('=') {
                    Some((k, v)) => (k.to_string(), Value::Str(v.to_string())),
                    // `- KEY` alone: the value comes from the environment, if any.
                    None if environment => (
                        text.clone(),
                        lookup(&text).map(Value::Str).unwrap_or(Value::Null),
                    ),
                    None => (text.clone(), Value::Str(String::new())),
                };
                let mut v = Node::at(value, item.loc.clone());
                v.key_loc = Some(item.loc.clone());
                m.insert(key, v);
            }
            n.value = Value::Map(m);
        }
        Value::Map(m) => {
            // Compose reads mapping values as strings (`PORT: 8080` is "8080").
            for v in m.values_mut() {
                if !matches!(v.value, Value::Null | Value::Str(_))
                    && let Some(t) = v.scalar_text()
                {
                    v.value = Value::Str(t);
                }
            }
        }
        _ => {}
    }
}

fn to_key_value_map_sep(n: &mut Node, seps: &[char]) {
    if let Value::Seq(items) = &n.value {
        let mut m = Map::default();
        for item in items {
            if let Some(text) = item.scalar_text()
                && let Some((k, v)) = text.split_once(seps)
            {
                let mut v = Node::at(Value::Str(v.to_string()), item.loc.clone());
                v.key_loc = Some(item.loc.clone());
                m.insert(k.to_string(), v);
            }
        }
        n.value = Value::Map(m);
    }
}

/// Merges `over` into `base` at `path` (keys from the document root, e.g.
/// `["services", "app", "ports"]`).
pub(crate) fn merge(base: &mut Node, over: Node, path: &mut Vec<String>) {
    let attr = service_attr(path);
    let replace = matches!(attr.as_deref(), Some("command" | "entrypoint"))
        || (path.len() == 4
            && path[0] == "services"
            && path[2] == "healthcheck"
            && path[3] == "test");
    if replace {
        *base = over;
        return;
    }
    // A mapping's position becomes the last file's that wrote it, so
    // "missing key" findings point at the overlay a user would edit.
    if matches!((&base.value, &over.value), (Value::Map(_), Value::Map(_))) && over.loc.line > 0 {
        base.loc = over.loc.clone();
        if over.key_loc.is_some() {
            base.key_loc = over.key_loc.clone();
        }
    }
    match (&mut base.value, over.value) {
        (Value::Map(b), Value::Map(o)) => {
            for (k, mut v) in o {
                match v.tag {
                    // `!reset`: what earlier files set is dropped.
                    Some(Tag::Reset) => {
                        b.shift_remove(&k);
                        continue;
                    }
                    // `!override`: replaced whole, not merged.
                    Some(Tag::Override) => {
                        v.tag = None;
                        strip_resets(&mut v);
                        b.insert(k, v);
                        continue;
                    }
                    None => {}
                }
                match b.get_mut(&k) {
                    Some(existing) => {
                        path.push(k);
                        merge(existing, v, path);
                        path.pop();
                    }
                    None => {
                        strip_resets(&mut v);
                        b.insert(k, v);
                    }
                }
            }
        }
        (Value::Seq(b), Value::Seq(o)) => {
            let key = attr.as_deref().and_then(unique_key);
            match key {
                None => b.extend(o),
                Some(key) => {
                    for item in o {
                        let k = key(&item);
                        match k.and_then(|k| b.iter().position(|e| key(e).as_ref() == Some(&k))) {
                            Some(i) => b[i] = item,
                            None => b.push(item),
                        }
                    }
                }
            }
        }
        (_, o) => {
            base.value = o;
            base.loc = over.loc;
            if over.key_loc.is_some() {
                base.key_loc = over.key_loc;
            }
        }
    }
}

/// Removes `!reset` entries from a value that has nothing to reset, and
/// forgets `!override` tags (both only matter against an earlier value).
pub(crate) fn strip_resets(n: &mut Node) {
    n.tag = None;
    match &mut n.value {
        Value::Map(m) => {
            m.retain(|_, v| v.tag != Some(Tag::Reset));
            m.values_mut().for_each(strip_resets);
        }
        Value::Seq(s) => {
            s.retain(|v| v.tag != Some(Tag::Reset));
            s.iter_mut().for_each(strip_resets);
        }
        _ => {}
    }
}

/// The key that makes entries of a service's list attribute the same one.
fn unique_key(attr: &str) -> Option<fn(&Node) -> Option<String>> {
    match attr {
        "ports" => Some(port_key),
        "volumes" => Some(volume_key),
        "secrets" | "configs" => Some(secret_key),
        "expose" | "dns" | "dns_search" | "env_file" | "cap_add" | "cap_drop" | "tmpfs"
        | "profiles" => Some(|n: &Node| Some(format!("{:?}", n.to_json()))),
        _ => None,
    }
}

/// The service attribute a path is at (`services.NAME.ATTR`), if any.
fn service_attr(path: &[String]) -> Option<String> {
    (path.len() == 3 && path[0] == "services").then(|| path[2].clone())
}

/// `{ip, target, published, protocol}` of a port entry.
pub(crate) fn port_key(n: &Node) -> Option<String> {
    if let Some(m) = n.as_map() {
        let f = |k: &str| m.get(k).and_then(Node::scalar_text).unwrap_or_default();
        let proto = m
            .get("protocol")
            .and_then(Node::scalar_text)
            .unwrap_or_else(|| "tcp".into());
        return Some(format!(
            "{}|{}|{}|{}",
            f("host_ip"),
            f("target"),
            f("published"),
            proto
        ));
    }
    let p = parse_port(&n.scalar_text()?);
    Some(format!(
        "{}|{}|{}|{}",
        p.host_ip, p.target, p.published, p.protocol
    ))
}

/// A port in short syntax: `[HOST_IP:][PUBLISHED:]TARGET[/PROTOCOL]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PortSpec {
    /// Host address (empty: all interfaces).
    pub host_ip: String,
    /// Published (host) port or range (empty: none / random).
    pub published: String,
    /// Container port or range.
    pub target: String,
    /// `tcp` unless written.
    pub protocol: String,
}

/// Parses a short-syntax port (IPv6 host addresses in brackets).
pub(crate) fn parse_port(s: &str) -> PortSpec {
    let (body, protocol) = match s.rsplit_once('/') {
        Some((b, p)) => (b, p.to_string()),
        None => (s, "tcp".to_string()),
    };
    let (host_ip, rest) = if let Some(r) = body.strip_prefix('[') {
        match r.split_once(']') {
            Some((ip, rest)) => (ip.to_string(), rest.trim_start_matches(':')),
            None => (String::new(), body),
        }
    } else {
        let parts: Vec<&str> = body.split(':').collect();
        if parts.len() == 3 {
            (parts[0].to_string(), &body[parts[0].len() + 1..])
        } else {
            (String::new(), body)
        }
    };
    let (published, target) = match rest.split_once(':') {
        Some((p, t)) => (p.to_string(), t.to_string()),
        None => (String::new(), rest.to_string()),
    };
    PortSpec {
        host_ip,
        published,
        target,
        protocol,
    }
}

/// Splits a short-syntax volume on `:`, keeping a Windows drive letter
/// (`C:\\data`, `d:/d`) with its path, as compose does: `d:/d` is one
/// container path, not volume `d` at `/d`.
pub(crate) fn split_volume(s: &str) -> Vec<String> {
    let mut parts: Vec<String> = s.split(':').map(str::to_string).collect();
    let b = s.as_bytes();
    if b.len() >= 3
        && b[0].is_ascii_alphabetic()
        && b[1] == b':'
        && matches!(b[2], b'/' | b'\\')
        && parts.len() > 1
    {
        let first = parts.remove(0);
        parts[0] = format!("{first}:{}", parts[0]);
    }
    parts
}

/// The container path of a volume entry.
pub(crate) fn volume_key(n: &Node) -> Option<String> {
    if let Some(m) = n.as_map() {
        return m.get("target").and_then(Node::scalar_text);
    }
    let s = n.scalar_text()?;
    let parts = split_volume(&s);
    Some(match parts.len() {
        1 => parts[0].clone(),
        _ => parts[1].clone(),
    })
}

fn secret_key(n: &Node) -> Option<String> {
    if let Some(m) = n.as_map() {
        return m
            .get("target")
            .or_else(|| m.get("source"))
            .and_then(Node::scalar_text);
    }
    n.scalar_text()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn node(text: &str) -> Node {
        super::super::yaml::parse(&Arc::from("t.yml"), text).unwrap()
    }

    fn merged(a: &str, b: &str) -> serde_json::Value {
        let mut a = node(a);
        let mut b = node(b);
        for n in [&mut a, &mut b] {
            if let Some(s) = n.as_map_mut().and_then(|m| m.get_mut("services")) {
                for svc in s.as_map_mut().unwrap().values_mut() {
                    normalize_service(svc, &|_| None);
                }
            }
        }
        merge(&mut a, b, &mut Vec::new());
        a.to_json()
    }

    #[test]
    fn mappings_merge_and_scalars_replace() {
        let m = merged(
            "services: {foo: {key1: value1, key2: value2}}",
            "services: {foo: {key2: VALUE, key3: value3}}",
        );
        assert_eq!(
            m["services"]["foo"],
            serde_json::json!({"key1": "value1", "key2": "VALUE", "key3": "value3"})
        );
    }

    #[test]
    fn sequences_append_but_commands_replace() {
        let m = merged(
            "services: {foo: {dns: [1.1.1.1], command: [echo, foo]}}",
            "services: {foo: {dns: [8.8.8.8], command: [echo, bar]}}",
        );
        assert_eq!(
            m["services"]["foo"]["dns"],
            serde_json::json!(["1.1.1.1", "8.8.8.8"])
        );
        assert_eq!(
            m["services"]["foo"]["command"],
            serde_json::json!(["echo", "bar"])
        );
    }

    #[test]
    fn environment_merges_by_key_across_list_and_map_forms() {
        let m = merged(
            "services: {foo: {environment: [A=1, B=2]}}",
            "services: {foo: {environment: {B: 3, C: x}}}",
        );
        assert_eq!(
            m["services"]["foo"]["environment"],
            serde_json::json!({"A": "1", "B": "3", "C": "x"})
        );
    }

    #[test]
    fn unique_resources_merge_by_key() {
        let m = merged(
            "services: {foo: {volumes: ['foo:/work', './a:/a'], ports: ['8080:80', '443:443']}}",
            "services: {foo: {volumes: ['bar:/work'], ports: ['8080:80', '9000:90']}}",
        );
        assert_eq!(
            m["services"]["foo"]["volumes"],
            serde_json::json!(["bar:/work", "./a:/a"])
        );
        assert_eq!(
            m["services"]["foo"]["ports"],
            serde_json::json!(["8080:80", "443:443", "9000:90"])
        );
    }

    #[test]
    fn parses_port_short_syntax() {
        let p = parse_port("127.0.0.1:5432:5432");
        assert_eq!(
            (p.host_ip.as_str(), p.published.as_str(), p.target.as_str()),
            ("127.0.0.1", "5432", "5432")
        );
        let p = parse_port("6379:6379/udp");
        assert_eq!(
            (
                p.host_ip.as_str(),
                p.published.as_str(),
                p.protocol.as_str()
            ),
            ("", "6379", "udp")
        );
        assert_eq!(parse_port("[::1]:80:8080").host_ip, "::1");
        assert_eq!(parse_port("8080").target, "8080");
    }
}
