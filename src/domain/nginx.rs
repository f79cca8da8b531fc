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
//! neither is reported as a start-up host. `include` is not followed; callers
//! read included files themselves.

/// One directive: `name args…;` or `name args… { children }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// The directive name.
    pub name: String,
    /// Its arguments, quotes removed.
    pub args: Vec<String>,
    /// 1-based line of the name.
    pub line: u32,
    /// The block's directives, for block directives.
    pub children: Vec<Directive>,
}

/// A host nginx resolves at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartupHost {
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
pub fn parse(text: &str) -> Vec<Directive> {
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
pub fn walk<'a>(ds: &'a [Directive], f: &mut dyn FnMut(&'a Directive, &[&'a Directive])) {
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
pub fn startup_hosts(ds: &[Directive]) -> Vec<StartupHost> {
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
pub fn startup_files(ds: &[Directive]) -> Vec<(String, u32, String)> {
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
pub fn is_external_or_literal(host: &str) -> bool {
    host.parse::<std::net::IpAddr>().is_ok()
        || host.eq_ignore_ascii_case("localhost")
        || host.contains('.')
        || host == "*"
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
}
