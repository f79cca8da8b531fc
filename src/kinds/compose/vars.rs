//! Interpolation and credentials: what `${VAR}` becomes, and whether the two
//! ends of a connection get the same secret.
//!
//! Compose substitutes an empty string for an unset `${VAR}` and only warns.
//! The operator fills in the env example the project ships; when the compose
//! file asks for `${JWT_SECRET}` and the example defines `AUTH__JWT_SECRET_KEY`,
//! the value they set is never used and the secret is silently empty (or the
//! inline default). And a server and its client often read the same
//! credential from differently named variables (MinIO's `MINIO_ROOT_USER`
//! against the app's `${MINIO_ACCESS_KEY}`): set one, and the other side
//! keeps its default, so the client cannot log in.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use super::{Cx, at, environment};
use crate::compose::interp::Op;
use crate::compose::yaml::{Loc, Node};
use crate::domain::envfile::EnvFile;
use crate::report::Finding;

pub(super) fn check(cx: &Cx, out: &mut Vec<Finding>) {
    let project = cx.project;
    if cx.on("compose/interpolation-error") {
        for (loc, msg) in &project.interp_errors {
            out.push(at(loc, "compose/interpolation-error", msg.clone()).hint(
                "set the variable in the env file or the environment, or give it a default; write $$ for a literal $",
            ));
        }
    }
    let similar = if cx.on("compose/similar-variable") {
        similar_variables(cx, out)
    } else {
        HashSet::new()
    };
    let mut seen = HashSet::new();
    for (loc, u) in cx.var_uses() {
        let key = (loc.file.clone(), loc.line, u.name.clone());
        if cx.on("compose/unset-variable")
            && !u.set
            && matches!(u.op, Op::Plain)
            && !similar.contains(&u.name)
            && seen.insert(key.clone())
        {
            out.push(
                at(loc, "compose/unset-variable", format!("variable {} has no value and no default; compose substitutes an empty string", u.name))
                    .hint(format!("set {} in the env file, or write ${{{}:?{} is required}} to fail loudly", u.name, u.name, u.name)),
            );
        }
        if cx.on("compose/secret-default")
            && u.has_default()
            && u.arg
                .as_deref()
                .is_some_and(|a| !a.is_empty() && !a.contains('@'))
            && crate::redact::looks_secret(&u.name)
            && !is_address_name(&u.name)
            // Dev-only variables are compose/dev-leftover's business.
            && !u.name.to_ascii_uppercase().contains("_DEV_")
        {
            out.push(
                at(loc, "compose/secret-default", format!("secret-looking variable {} has an inline default in the compose file", u.name))
                    .hint(format!("remove the default: ${{{}:?{} must be set}} makes a missing secret an error instead of a known value", u.name, u.name)),
            );
        }
    }
    if cx.on("compose/credential-mismatch") {
        credentials(cx, out);
    }
}

/// Names of addresses, not secrets (`NEXTAUTH_URL`), unless they say otherwise.
fn is_address_name(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    ["_URL", "_URI", "_ENDPOINT", "_HOST", "_PORT"]
        .iter()
        .any(|s| n.ends_with(s))
        && !n.contains("PASSWORD")
        && !n.contains("SECRET")
}

/// A variable defined in an env file the project ships.
struct Defined {
    file: String,
    line: u32,
}

/// Env files in the project directory an operator reads or fills in:
/// `.env`, `.env.example`, `.env.production.example`, `env.sample`, …
fn env_examples(cx: &Cx) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(&cx.project.project_dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let n = p
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_ascii_lowercase();
            p.is_file()
                && (n.starts_with(".env")
                    || n.starts_with("env.")
                    || n.ends_with(".env")
                    || n.ends_with(".env.example")
                    || n.ends_with(".env.sample"))
        })
        .collect();
    out.sort();
    out.truncate(32);
    out
}

fn tokens(name: &str) -> Vec<String> {
    name.to_ascii_uppercase()
        .split('_')
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// Whether two variable names plausibly mean the same setting.
fn similar(a: &str, b: &str) -> bool {
    if a.eq_ignore_ascii_case(b) {
        return false;
    }
    let (ta, tb) = (tokens(a), tokens(b));
    let common = ta.iter().filter(|t| tb.contains(t)).count();
    let subset = ta.iter().all(|t| tb.contains(t)) || tb.iter().all(|t| ta.contains(t));
    // `REDIS_PORT` and `REDIS__PORT` differ only by the nesting delimiter:
    // usually two settings (a published port, the app's nested field).
    let mut sa = ta.clone();
    let mut sb = tb.clone();
    sa.sort();
    sb.sort();
    if sa == sb {
        return false;
    }
    (subset && common >= 2)
        || (a.len() >= 6 && strsim::normalized_damerau_levenshtein(a, b) >= 0.85)
}

/// `compose/similar-variable`; returns the names it reported.
fn similar_variables(cx: &Cx, out: &mut Vec<Finding>) -> HashSet<String> {
    let project = cx.project;
    let mut defined: HashMap<String, Vec<Defined>> = HashMap::new();
    for p in env_examples(cx) {
        let Ok(f) = EnvFile::read(&p) else { continue };
        let shown = cx.rel(&p);
        for e in f.entries {
            defined.entry(e.key).or_default().push(Defined {
                file: shown.clone(),
                line: e.line,
            });
        }
    }
    // env_file entries of services define container variables, not
    // interpolation ones, but an operator who wrote the name there meant it.
    for (_, svc) in project.services() {
        for n in svc
            .get("env_file")
            .map(|n| {
                n.as_seq()
                    .map(<[Node]>::to_vec)
                    .unwrap_or_else(|| vec![n.clone()])
            })
            .unwrap_or_default()
        {
            let Some(p) = n
                .as_str()
                .map(str::to_string)
                .or_else(|| n.get("path").and_then(Node::scalar_text))
            else {
                continue;
            };
            let full = project.resolve(&p, &n.loc);
            if let Ok(f) = EnvFile::read(&full) {
                let shown = cx.rel(&full);
                for e in f.entries {
                    defined.entry(e.key).or_default().push(Defined {
                        file: shown.clone(),
                        line: e.line,
                    });
                }
            }
        }
    }
    // Names the effective model interpolates: a value set under one of
    // them is used.
    let used: HashSet<&str> = cx.var_uses().map(|(_, u)| u.name.as_str()).collect();
    let mut reported = HashSet::new();
    for (loc, u) in cx.var_uses() {
        if u.set
            || project.env.contains_key(&u.name)
            // Defined only in another example (.env.example) still leaves it
            // empty here: compose reads `.env`.
            || defined
                .get(&u.name)
                .is_some_and(|ds| ds.iter().any(|d| d.file.ends_with(".env")))
            || u.name.to_ascii_uppercase().contains("_DEV_")
        {
            continue;
        }
        // With an inline default the file works as written; a similar name
        // elsewhere is as likely unrelated (MINIO_API_PORT vs API_PORT, seen on
        // DotMac b2470133) as meant for it: no finding.
        if reported.contains(&u.name) || u.has_default() {
            continue;
        }
        let mut cands: Vec<(&String, &Vec<Defined>)> = defined
            .iter()
            .filter(|(k, _)| similar(&u.name, k) && !used.contains(k.as_str()))
            .collect();
        if cands.is_empty() {
            continue;
        }
        // What compose reads (`.env`) first, then the closest name.
        let in_dotenv = |ds: &Vec<Defined>| ds.iter().any(|d| d.file.ends_with(".env"));
        cands.sort_by(|a, b| {
            in_dotenv(b.1)
                .cmp(&in_dotenv(a.1))
                .then(
                    strsim::normalized_damerau_levenshtein(&u.name, b.0)
                        .total_cmp(&strsim::normalized_damerau_levenshtein(&u.name, a.0)),
                )
                .then(a.0.cmp(b.0))
        });
        cands.truncate(3);
        reported.insert(u.name.clone());
        let effect = if u.has_default() {
            "the inline default is used instead"
        } else {
            "compose substitutes an empty string"
        };
        let first = &cands[0];
        let mut f = at(
            loc,
            "compose/similar-variable",
            format!(
                "{} is interpolated here but defined nowhere ({effect}), while {}:{} defines {}: the operator's value is never used",
                u.name, first.1[0].file, first.1[0].line, first.0
            ),
        )
        .expected_actual(format!("{} defined, or the compose file using {}", u.name, first.0), format!("{} undefined", u.name))
        .hint(format!(
            "use ${{{}}} in the compose file, or rename {} to {} in the env example (and your env file)",
            first.0, first.0, u.name
        ));
        for (k, ds) in &cands {
            for d in ds.iter().take(2) {
                f = f.related(&d.file, Some(d.line), format!("defines {k}"));
            }
        }
        out.push(f);
    }
    reported
}

/// Credential variables of servers, by image: (image part, user keys, password keys).
const SERVERS: &[(&str, &[&str], &[&str])] = &[
    (
        "minio",
        &["MINIO_ROOT_USER", "MINIO_ACCESS_KEY"],
        &["MINIO_ROOT_PASSWORD", "MINIO_SECRET_KEY"],
    ),
    ("postgres", &["POSTGRES_USER"], &["POSTGRES_PASSWORD"]),
    ("postgis", &["POSTGRES_USER"], &["POSTGRES_PASSWORD"]),
    ("mysql", &["MYSQL_USER"], &["MYSQL_PASSWORD"]),
    (
        "mariadb",
        &["MARIADB_USER", "MYSQL_USER"],
        &["MARIADB_PASSWORD", "MYSQL_PASSWORD"],
    ),
    (
        "rabbitmq",
        &["RABBITMQ_DEFAULT_USER"],
        &["RABBITMQ_DEFAULT_PASS"],
    ),
    (
        "mongo",
        &["MONGO_INITDB_ROOT_USERNAME"],
        &["MONGO_INITDB_ROOT_PASSWORD"],
    ),
];

#[derive(Clone, Copy, PartialEq)]
enum Role {
    User,
    Password,
}

fn client_role(suffix: &str) -> Option<Role> {
    let s = suffix.to_ascii_uppercase();
    if s.contains("PASSWORD") || s.ends_with("PASS") || s.contains("SECRET") {
        Some(Role::Password)
    } else if s.contains("USER") || s.contains("ACCESS_KEY") {
        Some(Role::User)
    } else {
        None
    }
}

/// Variables interpolated into the value written at `loc`.
fn vars_at<'a>(cx: &'a Cx, loc: &Loc) -> Vec<&'a str> {
    cx.project
        .var_uses
        .iter()
        .filter(|(l, _)| l == loc)
        .map(|(_, u)| u.name.as_str())
        .collect()
}

fn credentials(cx: &Cx, out: &mut Vec<Finding>) {
    let project = cx.project;
    for (server, ssvc) in project.services() {
        let image = ssvc
            .get("image")
            .and_then(Node::as_str)
            .unwrap_or_default()
            .to_ascii_lowercase();
        let repo = image.split(':').next().unwrap_or_default();
        let Some((_, users, passwords)) = SERVERS
            .iter()
            .find(|(part, ..)| repo.rsplit('/').next().is_some_and(|r| r.contains(part)))
        else {
            continue;
        };
        let senv = environment(ssvc);
        let server_side = |keys: &[&str]| {
            senv.iter()
                .find(|(k, _)| keys.contains(&k.as_str()))
                .map(|(k, v)| ((*k).clone(), (*v).clone()))
        };
        let sides = [
            (Role::User, server_side(users)),
            (Role::Password, server_side(passwords)),
        ];
        let server_names: Vec<&str> = cx
            .hosts
            .iter()
            .filter(|(_, s)| **s == server.as_str())
            .map(|(h, _)| h.as_str())
            .collect();
        for (client, csvc) in project.services().filter(|(n, _)| *n != server) {
            if !cx.wanted(client) {
                continue;
            }
            let cenv = environment(csvc);
            // Keys that point at the server give the client's prefix for it.
            let prefixes: Vec<String> = cenv
                .iter()
                .filter(|(_, v)| {
                    v.as_str().is_some_and(|t| {
                        let host = super::network_host(t);
                        server_names.contains(&host)
                    })
                })
                .filter_map(|(k, _)| {
                    k.rfind('_')
                        .map(|i| k[..=i].to_string())
                        .filter(|p| p.len() > 1)
                })
                .collect();
            if prefixes.is_empty() {
                continue;
            }
            for (ck, cv) in &cenv {
                let Some(prefix) = prefixes.iter().find(|p| ck.starts_with(p.as_str())) else {
                    continue;
                };
                let Some(role) = client_role(&ck[prefix.len()..]) else {
                    continue;
                };
                let Some((sk, sv)) = sides
                    .iter()
                    .find(|(r, _)| *r == role)
                    .and_then(|(_, s)| s.clone())
                else {
                    continue;
                };
                let (cvars, svars) = (vars_at(cx, &cv.loc), vars_at(cx, &sv.loc));
                if cvars.is_empty() || svars.is_empty() || cvars.iter().any(|v| svars.contains(v)) {
                    continue;
                }
                out.push(
                    at(&cv.loc, "compose/credential-mismatch", format!(
                        "service `{client}` takes {ck} from ${{{}}}, but service `{server}` takes the matching {sk} from ${{{}}}: setting one leaves the other at its default, and `{client}` cannot log in to `{server}`",
                        cvars.join("}, ${"), svars.join("}, ${")
                    ))
                    .expected_actual(format!("both from the same variable (${{{}}})", svars[0]), format!("${{{}}} and ${{{}}}", cvars[0], svars[0]))
                    .hint(format!("use ${{{}}} for {ck} too (or the other way round), so one value configures both ends", svars[0]))
                    .related(sv.loc.file.to_string(), Some(sv.loc.line), format!("{sk} of `{server}`")),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::similar;

    #[test]
    fn similar_names() {
        assert!(similar("JWT_SECRET", "AUTH__JWT_SECRET_KEY"));
        assert!(similar("GRAFANA_ADMIN_PASSWORD", "GRAFANA_PASSWORD"));
        assert!(similar("POSTGRES_PASSWORD", "POSTGRES_PASSWD"));
        assert!(!similar("REDIS_HOST", "POSTGRES_HOST"));
        assert!(!similar("SECRET_KEY", "NEXTAUTH_SECRET"));
        assert!(!similar("APP_PORT", "APP_PORT"));
        assert!(!similar("REDIS_PORT", "REDIS__PORT"));
    }
}
