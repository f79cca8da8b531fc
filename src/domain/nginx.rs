//! A small nginx configuration reader: directives and blocks with their
//! lines (quotes, `#` comments, `${…}`-free nginx syntax), and the hosts nginx
//! must resolve when it starts.
//!
//! nginx resolves every host named in an `upstream { server host:port; }` and
//! in a literal `proxy_pass`/`grpc_pass`/`fastcgi_pass`/`uwsgi_pass`/
//! `scgi_pass` URL once, at start-up, and refuses to start when one does not
//! resolve ("host not found in upstream"). A pass URL containing a variable
//! is resolved per request through `resolver` instead, and an upstream
//! `server … resolve` is re-resolved at run time: neither stops start-up, so
//! neither is reported as a start-up host. `include` is followed only through
//! [`expand_includes`], with a resolver the caller gives (nginx runs in a
//! container; only the caller knows which host file a container path is).
//!
//! [`dropped_headers`] models `add_header` inheritance: a level (`http`,
//! `server`, `location`, `if` in a location) inherits the enclosing level's
//! `add_header` list only when it defines no `add_header` of its own, so one
//! `add_header X-Cache-Status …` in a location silently drops every security
//! header the server sets (nginx documents this; `tests/it/nginx_headers.rs`
//! checks the model against the real nginx).

use std::sync::Arc;

/// One directive: `name args…;` or `name args… { children }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Directive {
    /// The directive name.
    pub name: String,
    /// Its arguments, quotes removed.
    pub args: Vec<String>,
    /// 1-based line of the name.
    pub line: u32,
    /// The block's directives, for block directives.
    pub children: Vec<Directive>,
    /// The file it comes from when spliced in by [`expand_includes`]
    /// (`None`: the file that was parsed).
    pub file: Option<Arc<str>>,
}

/// A host nginx resolves at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StartupHost {
    /// The host name (no port).
    pub host: String,
    /// The port, when written.
    pub port: Option<String>,
    /// 1-based line.
    pub line: u32,
    /// The directive (`server` in `upstream NAME`, `proxy_pass`, …).
    pub via: String,
}

/// Parses nginx configuration text; unbalanced braces are tolerated (the
/// directives read so far are returned).
pub(crate) fn parse(text: &str) -> Vec<Directive> {
    let toks = tokenize(text);
    let mut pos = 0;
    block(&toks, &mut pos)
}

#[derive(Debug)]
enum Tok {
    Word(String, u32),
    Semi,
    Open,
    Close,
}

fn tokenize(text: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut line = 1;
    let mut it = text.chars().peekable();
    let mut word = String::new();
    let mut wline = 1;
    let flush = |word: &mut String, out: &mut Vec<Tok>, wline: u32| {
        if !word.is_empty() {
            out.push(Tok::Word(std::mem::take(word), wline));
        }
    };
    while let Some(c) = it.next() {
        if word.is_empty() {
            wline = line;
        }
        match c {
            '\n' => {
                flush(&mut word, &mut out, wline);
                line += 1;
            }
            c if c.is_whitespace() => flush(&mut word, &mut out, wline),
            '#' if word.is_empty() => {
                for n in it.by_ref() {
                    if n == '\n' {
                        line += 1;
                        break;
                    }
                }
            }
            '"' | '\'' if word.is_empty() => {
                while let Some(n) = it.next() {
                    if n == c {
                        break;
                    }
                    if n == '\\'
                        && let Some(m) = it.next()
                    {
                        word.push(m);
                        continue;
                    }
                    if n == '\n' {
                        line += 1;
                    }
                    word.push(n);
                }
                // An empty quoted string is still an argument.
                out.push(Tok::Word(std::mem::take(&mut word), wline));
            }
            ';' => {
                flush(&mut word, &mut out, wline);
                out.push(Tok::Semi);
            }
            '{' if !word.ends_with('$') => {
                flush(&mut word, &mut out, wline);
                out.push(Tok::Open);
            }
            '}' if !word.contains("${") => {
                flush(&mut word, &mut out, wline);
                out.push(Tok::Close);
            }
            _ => word.push(c),
        }
    }
    flush(&mut word, &mut out, wline);
    out
}

fn block(toks: &[Tok], pos: &mut usize) -> Vec<Directive> {
    let mut out = Vec::new();
    let mut cur: Option<Directive> = None;
    while *pos < toks.len() {
        let t = &toks[*pos];
        *pos += 1;
        match t {
            Tok::Word(w, l) => match &mut cur {
                Some(d) => d.args.push(w.clone()),
                None => {
                    cur = Some(Directive {
                        name: w.clone(),
                        args: Vec::new(),
                        line: *l,
                        children: Vec::new(),
                        file: None,
                    })
                }
            },
            Tok::Semi => out.extend(cur.take()),
            Tok::Open => {
                let children = block(toks, pos);
                if let Some(mut d) = cur.take() {
                    d.children = children;
                    out.push(d);
                }
            }
            Tok::Close => break,
        }
    }
    out.extend(cur);
    out
}

/// Calls `f` on every directive, depth first.
pub(crate) fn walk<'a>(ds: &'a [Directive], f: &mut dyn FnMut(&'a Directive, &[&'a Directive])) {
    fn go<'a>(
        ds: &'a [Directive],
        parents: &mut Vec<&'a Directive>,
        f: &mut dyn FnMut(&'a Directive, &[&'a Directive]),
    ) {
        for d in ds {
            f(d, parents);
            parents.push(d);
            go(&d.children, parents, f);
            parents.pop();
        }
    }
    go(ds, &mut Vec::new(), f)
}

const PASSES: &[&str] = &[
    "proxy_pass",
    "grpc_pass",
    "fastcgi_pass",
    "uwsgi_pass",
    "scgi_pass",
];

/// Splits `host:port` / `[v6]:port` / `host`.
fn host_port(s: &str) -> (String, Option<String>) {
    if let Some(rest) = s.strip_prefix('[')
        && let Some((h, p)) = rest.split_once(']')
    {
        return (h.to_string(), p.strip_prefix(':').map(str::to_string));
    }
    match s.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => {
            (h.to_string(), Some(p.to_string()))
        }
        _ => (s.to_string(), None),
    }
}

/// The hosts nginx resolves at start-up, excluding upstream-group names
/// used in pass URLs (the group's servers are listed instead).
pub(crate) fn startup_hosts(ds: &[Directive]) -> Vec<StartupHost> {
    let mut upstreams = Vec::new();
    walk(ds, &mut |d, _| {
        if d.name == "upstream"
            && let Some(n) = d.args.first()
        {
            upstreams.push(n.clone());
        }
    });
    let mut out = Vec::new();
    walk(ds, &mut |d, parents| {
        let in_upstream = parents.last().is_some_and(|p| p.name == "upstream");
        if in_upstream && d.name == "server" {
            let Some(addr) = d.args.first() else { return };
            if addr.starts_with("unix:") || d.args.iter().any(|a| a == "resolve") {
                return;
            }
            let (host, port) = host_port(addr);
            out.push(StartupHost {
                host,
                port,
                line: d.line,
                via: format!(
                    "server in upstream {}",
                    parents
                        .last()
                        .and_then(|p| p.args.first())
                        .map(String::as_str)
                        .unwrap_or("?")
                ),
            });
        } else if PASSES.contains(&d.name.as_str()) {
            let Some(url) = d.args.first() else { return };
            if url.contains('$') {
                return; // resolved per request through `resolver`
            }
            let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
            if rest.starts_with("unix:") {
                return;
            }
            let authority = rest.split('/').next().unwrap_or_default();
            let (host, port) = host_port(authority);
            if upstreams.contains(&host) || host.is_empty() {
                return;
            }
            out.push(StartupHost {
                host,
                port,
                line: d.line,
                via: d.name.clone(),
            });
        }
    });
    out
}

/// Directives naming a file nginx must read at start-up.
const FILE_DIRECTIVES: &[&str] = &[
    "ssl_certificate",
    "ssl_certificate_key",
    "ssl_trusted_certificate",
    "ssl_client_certificate",
    "ssl_dhparam",
    "ssl_password_file",
    "auth_basic_user_file",
    "include",
];

/// Absolute files the configuration reads at start-up (no variables, no
/// globs): (path, line, directive).
pub(crate) fn startup_files(ds: &[Directive]) -> Vec<(String, u32, String)> {
    let mut out = Vec::new();
    walk(ds, &mut |d, _| {
        if FILE_DIRECTIVES.contains(&d.name.as_str())
            && let Some(p) = d.args.first()
            && p.starts_with('/')
            && !p.contains(['$', '*', '?', '['])
        {
            out.push((p.clone(), d.line, d.name.clone()));
        }
    });
    out
}

/// Whether `host` needs no DNS name of the deployment: an IP literal,
/// `localhost`, or a fully qualified name (outside the compose network).
pub(crate) fn is_external_or_literal(host: &str) -> bool {
    host.parse::<std::net::IpAddr>().is_ok()
        || host.eq_ignore_ascii_case("localhost")
        || host.contains('.')
        || host == "*"
}

/// What an `include` names, as the caller resolves it.
pub(crate) enum Included {
    /// The files it reads, in nginx's order: (name shown, text).
    Files(Vec<(Arc<str>, String)>),
    /// Not readable here (not mounted, a variable, too deep): left in place
    /// as an `include` directive, so rules know the level is incomplete.
    Unknown,
}

/// Replaces each `include` whose files `resolve` returns by those files'
/// directives (attributed to their file), recursively up to 8 levels;
/// unresolved includes stay as `include` directives.
pub(crate) fn expand_includes(ds: &mut Vec<Directive>, resolve: &mut dyn FnMut(&str) -> Included) {
    fn go(ds: &mut Vec<Directive>, resolve: &mut dyn FnMut(&str) -> Included, depth: u32) {
        let mut out = Vec::with_capacity(ds.len());
        for mut d in std::mem::take(ds) {
            if d.name == "include"
                && d.children.is_empty()
                && d.args.len() == 1
                && depth < 8
                && let Included::Files(files) = resolve(&d.args[0])
            {
                for (name, text) in files {
                    let mut inner = parse(&text);
                    set_file(&mut inner, &name);
                    go(&mut inner, resolve, depth + 1);
                    out.extend(inner);
                }
                continue;
            }
            go(&mut d.children, resolve, depth);
            out.push(d);
        }
        *ds = out;
    }
    go(ds, resolve, 0)
}

fn set_file(ds: &mut [Directive], name: &Arc<str>) {
    for d in ds {
        if d.file.is_none() {
            d.file = Some(name.clone());
        }
        set_file(&mut d.children, name);
    }
}

/// Files of the stock nginx image an `include` commonly names; none sets a
/// header, so an unresolved include of one leaves a level complete.
const STOCK_INCLUDES: &[&str] = &[
    "mime.types",
    "fastcgi_params",
    "fastcgi.conf",
    "proxy_params",
    "uwsgi_params",
    "scgi_params",
    "koi-utf",
    "koi-win",
    "win-utf",
];

/// The response headers whose loss weakens a site: what HSTS, CSP and the
/// framing/sniffing/referrer/permissions policies protect is gone when they
/// are not sent.
pub(crate) const SECURITY_HEADERS: &[&str] = &[
    "Strict-Transport-Security",
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Permissions-Policy",
];

/// One `add_header` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    /// The header name as written.
    pub name: String,
    /// Its file (`None`: the parsed file) and line.
    pub file: Option<Arc<str>>,
    /// 1-based line.
    pub line: u32,
}

/// A level whose own `add_header` lines drop security headers it would
/// otherwise inherit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HeaderDrop {
    /// The level, e.g. `location /api` or `server`.
    pub level: String,
    /// Where the level's block starts.
    pub level_file: Option<Arc<str>>,
    /// Its line.
    pub level_line: u32,
    /// The level's own `add_header` lines (the first is the dropping line).
    pub own: Vec<Header>,
    /// The security headers of the enclosing levels it no longer sends.
    pub dropped: Vec<Header>,
}

const LEVELS: &[&str] = &["http", "server", "location", "if"];

fn level_name(d: &Directive) -> String {
    if d.args.is_empty() {
        d.name.clone()
    } else {
        format!("{} {}", d.name, d.args.join(" "))
    }
}

/// Every level that defines its own `add_header` and thereby drops a
/// security header an enclosing level sets. `ds` is a whole configuration,
/// or a file included at `http` level (`conf.d/*.conf`), whose top level is
/// taken as the `http` level.
///
/// Not reported, because nginx's behaviour or the harm is not certain: a
/// level with an unresolved `include` (it may repeat the headers); levels
/// below a level whose headers are unknown; a level that answers with
/// `return` (a fixed body or redirect nginx writes, e.g. `/health` or a CORS
/// preflight: nothing to frame or sniff); anything under `add_header_inherit`
/// (nginx 1.29.3 can merge instead).
pub(crate) fn dropped_headers(ds: &[Directive]) -> Vec<HeaderDrop> {
    fn own(ds: &[Directive]) -> Vec<Header> {
        ds.iter()
            .filter(|d| d.name == "add_header" && !d.args.is_empty())
            .map(|d| Header {
                name: d.args[0].clone(),
                file: d.file.clone(),
                line: d.line,
            })
            .collect()
    }
    fn unresolved(ds: &[Directive]) -> bool {
        ds.iter().any(|d| {
            d.name == "include"
                && !d.args.first().is_some_and(|a| {
                    let base = a.rsplit('/').next().unwrap_or(a);
                    STOCK_INCLUDES.contains(&base)
                })
        })
    }
    fn go(ds: &[Directive], inherited: Option<&[Header]>, out: &mut Vec<HeaderDrop>) {
        for d in ds {
            if !LEVELS.contains(&d.name.as_str()) {
                continue;
            }
            if d.children.iter().any(|c| c.name == "add_header_inherit") {
                continue;
            }
            let mine = own(&d.children);
            let incomplete = unresolved(&d.children);
            let effective: Option<Vec<Header>> = if !mine.is_empty() {
                Some(mine.clone())
            } else if incomplete {
                None
            } else {
                inherited.map(<[Header]>::to_vec)
            };
            let answers = d.children.iter().any(|c| c.name == "return");
            if !mine.is_empty()
                && !incomplete
                && !answers
                && let Some(parent) = inherited
            {
                let dropped: Vec<Header> = parent
                    .iter()
                    .filter(|h| {
                        SECURITY_HEADERS
                            .iter()
                            .any(|s| s.eq_ignore_ascii_case(&h.name))
                            && !mine.iter().any(|m| m.name.eq_ignore_ascii_case(&h.name))
                    })
                    .cloned()
                    .collect();
                if !dropped.is_empty() {
                    out.push(HeaderDrop {
                        level: level_name(d),
                        level_file: d.file.clone(),
                        level_line: d.line,
                        own: mine,
                        dropped,
                    });
                }
            }
            go(&d.children, effective.as_deref(), out);
        }
    }
    let mut out = Vec::new();
    if ds.iter().any(|d| d.name == "add_header_inherit") {
        return out;
    }
    let top = own(ds);
    let inherited = if ds.iter().any(|d| d.name == "http") {
        // The main context: `include` there loads modules, never headers.
        Some(Vec::new())
    } else if !top.is_empty() {
        Some(top)
    } else if unresolved(ds) {
        None
    } else {
        Some(Vec::new())
    };
    go(ds, inherited.as_deref(), &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONF: &str = "events {}\nhttp {\n  # upstream api\n  upstream api_backend {\n    least_conn;\n    server api:8000 max_fails=3;\n    server unix:/tmp/x.sock;\n    server dyn:80 resolve;\n  }\n  server {\n    listen 443 ssl;\n    location / { proxy_pass http://api_backend; }\n    location /ws { proxy_pass http://frontend:3000/ws; }\n    location /v { set $b \"vault\"; proxy_pass http://$b:8200; }\n    location /g { grpc_pass grpc://[::1]:50051; }\n    location ~ \\.php$ { fastcgi_pass php:9000; }\n    location /e { proxy_pass https://example.com; }\n  }\n}\n";

    #[test]
    fn finds_startup_hosts_with_lines() {
        let ds = parse(CONF);
        let hosts: Vec<_> = startup_hosts(&ds)
            .into_iter()
            .map(|h| (h.host, h.port, h.line))
            .collect();
        assert_eq!(
            hosts,
            vec![
                ("api".into(), Some("8000".into()), 6),
                ("frontend".into(), Some("3000".into()), 13),
                ("::1".into(), Some("50051".into()), 15),
                ("php".into(), Some("9000".into()), 16),
                ("example.com".into(), None, 17),
            ]
        );
        assert!(is_external_or_literal("::1") && is_external_or_literal("example.com"));
        let files = startup_files(&parse(
            "include /etc/nginx/mime.types;\ninclude /etc/nginx/conf.d/*.conf;\nserver { ssl_certificate /etc/nginx/ssl/$host.pem; ssl_certificate_key /etc/nginx/ssl/key.pem; }\n",
        ));
        assert_eq!(
            files,
            vec![
                ("/etc/nginx/mime.types".into(), 1, "include".into()),
                (
                    "/etc/nginx/ssl/key.pem".into(),
                    3,
                    "ssl_certificate_key".into()
                )
            ]
        );
        assert!(!is_external_or_literal("api"));
    }

    #[test]
    fn quoted_arguments_and_comments() {
        let ds = parse("add_header X \"a; b\" always; # c { \nreturn 200 '';\n");
        assert_eq!(ds.len(), 2);
        assert_eq!(ds[0].args, vec!["X", "a; b", "always"]);
        assert_eq!((ds[1].line, ds[1].args.len()), (2, 2));
    }

    /// (level, dropping line, [(dropped header, its line)]).
    type Drop = (String, u32, Vec<(String, u32)>);

    fn drops(text: &str) -> Vec<Drop> {
        dropped_headers(&parse(text))
            .into_iter()
            .map(|d| {
                (
                    d.level,
                    d.own[0].line,
                    d.dropped.into_iter().map(|h| (h.name, h.line)).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn own_add_header_drops_the_inherited_security_headers() {
        let conf = "http {\n add_header X-Frame-Options DENY;\n add_header X-XSS-Protection 1;\n server {\n  add_header Strict-Transport-Security max-age=1;\n  location /api { add_header X-Cache-Status $upstream_cache_status; }\n  location / { }\n  location /s { add_header Strict-Transport-Security max-age=2; add_header X-A 1; }\n }\n}\n";
        assert_eq!(
            drops(conf),
            vec![
                (
                    "server".into(),
                    5,
                    vec![("X-Frame-Options".into(), 2)] // X-XSS-Protection is not tracked
                ),
                (
                    "location /api".into(),
                    6,
                    vec![("Strict-Transport-Security".into(), 5)]
                ),
            ]
        );
    }

    #[test]
    fn unknown_includes_returns_and_inherit_merge_are_not_judged() {
        // The include may repeat the headers: not judged.
        assert!(drops("http { add_header X-Frame-Options DENY; server { include /etc/nginx/snippets/h.conf; add_header X-A 1; } }").is_empty());
        // A level whose headers are unknown hides what its children inherit.
        assert!(drops("http { add_header X-Frame-Options DENY; server { include snippets/h.conf; location / { add_header X-A 1; } } }").is_empty());
        // The stock image's includes set no headers.
        assert_eq!(drops("http { add_header X-Frame-Options DENY; server { include proxy_params; add_header X-A 1; } }").len(), 1);
        // A CORS preflight answered by nginx: nothing to frame or sniff.
        assert!(drops("server { add_header X-Frame-Options DENY; location / { if ($request_method = OPTIONS) { add_header Access-Control-Allow-Origin *; return 204; } } }").is_empty());
        assert!(drops("http { add_header_inherit merge; add_header X-Frame-Options DENY; server { add_header X-A 1; } }").is_empty());
        // A conf.d file: its top level is the http level.
        assert_eq!(
            drops(
                "add_header X-Content-Type-Options nosniff;\nserver {\n if ($x) { add_header X-B 1; }\n add_header X-A 1;\n}\n"
            ),
            vec![(
                "server".into(),
                4,
                vec![("X-Content-Type-Options".into(), 1)]
            )]
        );
    }

    #[test]
    fn includes_are_spliced_with_their_file() {
        let mut ds = parse(
            "http {\n include /etc/nginx/snippets/sec.conf;\n include /etc/nginx/gone.conf;\n server { add_header X-A 1; }\n}\n",
        );
        expand_includes(&mut ds, &mut |arg| {
            if arg.ends_with("sec.conf") {
                Included::Files(vec![(
                    Arc::from("nginx/sec.conf"),
                    "\nadd_header Referrer-Policy no-referrer;\n".to_string(),
                )])
            } else {
                Included::Unknown
            }
        });
        let d = dropped_headers(&ds);
        // The unknown include at http level: what it sets is unknown, but
        // Referrer-Policy from the snippet is known to be dropped.
        assert_eq!(d.len(), 1);
        assert_eq!(
            (d[0].dropped[0].file.as_deref(), d[0].dropped[0].line),
            (Some("nginx/sec.conf"), 2)
        );
        assert!(ds[0].children.iter().any(|c| c.name == "include"));
    }
}
