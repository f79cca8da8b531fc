//! `compose/proxy-dropped-headers` against the reference: the real nginx.
//! One configuration with every kind of level (http, server, location,
//! nested location, `if` in a location, `include`d snippets) is linted by
//! readyctl as a compose project mounting it, and served by the nginx binary
//! `scripts/test.sh` provides. For every level, the security headers its
//! parent level really sends and it really does not send must be exactly
//! the headers readyctl says that level drops.

use crate::common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

const SECURITY: &[&str] = &[
    "strict-transport-security",
    "content-security-policy",
    "x-frame-options",
    "x-content-type-options",
    "referrer-policy",
    "permissions-policy",
];

/// `@P` is the port, `@D` the directory; `#@name` marks a level's first
/// add_header line (the line readyctl reports). Every level serves a file.
const CONF: &str = r#"user root;
daemon off;
worker_processes 1;
pid @D/nginx.pid;
error_log @D/error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path @D/tmp/body;
    proxy_temp_path @D/tmp/proxy;
    fastcgi_temp_path @D/tmp/fastcgi;
    uwsgi_temp_path @D/tmp/uwsgi;
    scgi_temp_path @D/tmp/scgi;
    root @D/www;
    include /etc/nginx/mime.types;
    add_header X-Frame-Options SAMEORIGIN always;
    add_header X-Content-Type-Options nosniff always;
    add_header X-XSS-Protection "1; mode=block" always;
    server {
        listen 127.0.0.1:@P;
        server_name plain;
        location /a { }
    }
    server {
        listen 127.0.0.1:@P;
        server_name one;
        add_header Strict-Transport-Security "max-age=63072000" always; #@one
        location /a { }
        location /b {
            add_header X-Cache-Status HIT; #@one-b
        }
        location /c {
            add_header X-Frame-Options DENY; #@one-c
            add_header Content-Security-Policy "default-src 'self'";
            location /cd {
                add_header X-Other 1; #@one-cd
            }
            if ($arg_x) {
                add_header X-If 1; #@one-c-if
            }
        }
        location /e { #@one-e
            include /etc/nginx/snippets/hsts.conf;
            add_header X-Extra 1;
        }
        location /f { #@one-f
            include /etc/nginx/snippets/hsts.conf;
        }
    }
    server { #@two
        listen 127.0.0.1:@P;
        server_name two;
        include /etc/nginx/snippets/hsts.conf;
        location /a {
            add_header Referrer-Policy no-referrer; #@two-a
        }
    }
}
"#;

const SNIPPET: &str = "add_header Strict-Transport-Security \"max-age=31536000\" always;\nadd_header Permissions-Policy \"camera=()\" always;\n";

/// (level, Host, path it serves, the parent level's (Host, path), the marker of the line readyctl reports).
/// (Host, path) of a request.
type Req = (&'static str, &'static str);
/// (file, marker) of a line.
type Mark = (&'static str, &'static str);

const LEVELS: &[(&str, &str, &str, Req, Mark)] = &[
    (
        "server one",
        "one",
        "/z",
        ("plain", "/a"),
        ("nginx.conf", "#@one"),
    ),
    ("one: location /a", "one", "/a", ("one", "/z"), ("", "")),
    (
        "one: location /b",
        "one",
        "/b",
        ("one", "/z"),
        ("nginx.conf", "#@one-b"),
    ),
    (
        "one: location /c",
        "one",
        "/c",
        ("one", "/z"),
        ("nginx.conf", "#@one-c"),
    ),
    (
        "one: location /cd in /c",
        "one",
        "/cd",
        ("one", "/c"),
        ("nginx.conf", "#@one-cd"),
    ),
    (
        "one: if in /c",
        "one",
        "/c?x=1",
        ("one", "/c"),
        ("nginx.conf", "#@one-c-if"),
    ),
    (
        "one: location /e (snippet + own)",
        "one",
        "/e",
        ("one", "/z"),
        ("nginx.conf", "#@one-e"),
    ),
    (
        "one: location /f (snippet only)",
        "one",
        "/f",
        ("one", "/z"),
        ("nginx.conf", "#@one-f"),
    ),
    (
        "server two (snippet)",
        "two",
        "/z",
        ("plain", "/a"),
        ("nginx.conf", "#@two"),
    ),
    (
        "two: location /a",
        "two",
        "/a",
        ("two", "/z"),
        ("nginx.conf", "#@two-a"),
    ),
];

fn line_of(dir: &Path, file: &str, marker: &str) -> u64 {
    let text = std::fs::read_to_string(dir.join(file)).unwrap();
    let i = text
        .lines()
        .position(|l| l.ends_with(marker))
        .unwrap_or_else(|| panic!("{marker} in {file}"));
    i as u64 + 1
}

/// The security headers nginx sends for `path` on virtual host `host`.
fn sent(port: u16, host: &str, path: &str) -> Vec<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n").unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf);
    let head = text.split("\r\n\r\n").next().unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{host}{path}: {head}");
    let mut out: Vec<String> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, _)| k.trim().to_ascii_lowercase())
        .filter(|k| SECURITY.contains(&k.as_str()))
        .collect();
    out.sort();
    out
}

struct Nginx(std::process::Child);
impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM: the master stops its workers (SIGKILL would orphan them).
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(self.0.id().to_string())
            .status();
        let _ = self.0.wait();
    }
}

#[test]
fn dropped_headers_are_what_the_real_nginx_does_not_send() {
    let Some(bin) = common::service("READYCTL_TEST_NGINX_BIN") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for sub in ["www", "tmp", "snippets", "run"] {
        std::fs::create_dir_all(d.join(sub)).unwrap();
    }
    for f in ["a", "b", "c", "cd", "e", "f", "z"] {
        std::fs::write(d.join("www").join(f), f).unwrap();
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let conf = CONF
        .replace("@D", &d.display().to_string())
        .replace("@P", &port.to_string());
    // What readyctl reads (container paths), and what nginx runs (the same
    // lines, with the mounted snippets at their host path).
    std::fs::write(d.join("nginx.conf"), &conf).unwrap();
    std::fs::write(d.join("snippets/hsts.conf"), SNIPPET).unwrap();
    let mime = ["/etc/nginx/mime.types"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .unwrap_or("/dev/null");
    std::fs::write(
        d.join("run/nginx.conf"),
        conf.replace(
            "/etc/nginx/snippets",
            &d.join("snippets").display().to_string(),
        )
        .replace("/etc/nginx/mime.types", mime),
    )
    .unwrap();
    std::fs::write(
        d.join("docker-compose.yml"),
        "services:\n  proxy:\n    image: nginx:1.27.3\n    restart: unless-stopped\n    volumes:\n      - ./nginx.conf:/etc/nginx/nginx.conf:ro\n      - ./snippets:/etc/nginx/snippets:ro\n",
    )
    .unwrap();

    let (_c, cat) = common::catalogue(
        "version: 1\nchecks:\n  - id: c\n    kind: compose\n    files: [docker-compose.yml]\n    disable: [compose/no-healthcheck]\n",
    );
    let out = common::readyctl()
        .args(["check", "--format", "json", "--catalog"])
        .arg(&cat)
        .arg("--root")
        .arg(d)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = report["checks"][0]["findings"].as_array().unwrap().clone();
    for f in &findings {
        assert_eq!(f["code"], "compose/proxy-dropped-headers", "{f:#}");
    }

    let _nginx = Nginx(
        std::process::Command::new(&bin)
            .arg("-c")
            .arg(d.join("run/nginx.conf"))
            .arg("-p")
            .arg(d)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "nginx did not start: {}",
            std::fs::read_to_string(d.join("error.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let mut matched = Vec::new();
    let mut dropping = 0;
    for (level, host, path, (phost, ppath), (file, marker)) in LEVELS {
        let parent = sent(port, phost, ppath);
        let here = sent(port, host, path);
        let really: Vec<String> = parent.into_iter().filter(|h| !here.contains(h)).collect();
        let at = (!file.is_empty()).then(|| (*file, line_of(d, file, marker)));
        // The finding for this level, at its dropping line.
        let mut said: Vec<String> = findings
            .iter()
            .enumerate()
            .filter(|(_, f)| at.is_some_and(|(file, line)| f["file"] == file && f["line"] == line))
            .flat_map(|(i, f)| {
                matched.push(i);
                f["related"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(|r| r["note"].as_str()?.strip_suffix(" (dropped)"))
                    .map(str::to_ascii_lowercase)
                    .collect::<Vec<_>>()
            })
            .collect();
        said.sort();
        if !really.is_empty() {
            dropping += 1;
        }
        assert_eq!(said, really, "{level}: readyctl vs nginx");
    }
    assert!(dropping >= 5, "the configuration exercises real drops");
    matched.sort();
    matched.dedup();
    assert_eq!(
        matched.len(),
        findings.len(),
        "every finding is a level above: {findings:#?}"
    );
}
