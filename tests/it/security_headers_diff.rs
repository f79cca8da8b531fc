#![allow(
    clippy::disallowed_macros,
    reason = "tests say what they skip and measure"
)]
//! Differential test: readyctl's `security_headers` grading against the MDN
//! HTTP Observatory's own code (`@mdn/mdn-http-observatory` 1.4.8, installed
//! by scripts/services/observatory.sh, driven by tests/oracles/observatory.mjs
//! with the algorithm-5 modifier), on the same responses.
//!
//! A corpus of cases — every documented result of every test, the edge cases
//! of issue 18, and seeded generated combinations — is served by a real nginx
//! this test configures and starts on spare loopback ports (one location per
//! case; `add_header` sends each line as written, so repeated header lines
//! reach both clients as repeated lines). Both sides fetch and grade each
//! case themselves: the Observatory through its retriever (Node, axios,
//! tough-cookie), readyctl through `readyctl check --format json`. They are
//! compared test by test (result, score_modifier, pass) and on score and
//! grade. The only differences allowed are the deliberate ones documented
//! in docs/kinds/security_headers.md ("Differences"), each recognised by its
//! trigger and checked to differ exactly as documented.
//!
//! Seed: READYCTL_DIFF_SEED (default fixed); READYCTL_DIFF_CASES sets how
//! many generated cases (default 300).

use crate::common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use readyctl::observatory_table as table;
use serde_json::{Value, json};

/// The origin the Observatory's preflight sends (CONFIG.retriever.corsOrigin).
const OBSERVATORY_ORIGIN: &str = "https://http-observatory.security.mozilla.org";

/// How the http:// side and the https:// side of a case behave.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    /// http:// redirects to the same path on https://.
    ToHttps,
    /// http:// answers with the headers itself (no redirect).
    NoRedirect,
    /// http:// → http:// → https://.
    InitialHttp,
    /// http:// → https:// on another host name (127.0.0.1).
    OffHost,
    /// http:// → http:// elsewhere, never https.
    NeverHttps,
    /// Nothing listens on http://.
    NoHttp,
    /// Nothing listens on https://; the headers come over http://.
    HttpOnly,
    /// https:// with a certificate that does not verify; http:// redirects there.
    BadCert,
    /// https:// redirects once (302) before the answer; both hops set headers.
    HttpsChain,
}

#[derive(Debug, Clone)]
struct Case {
    name: String,
    mode: Mode,
    /// Header lines of the graded answer, in order (repeats allowed).
    lines: Vec<(String, String)>,
    /// Header lines of the first hop (HttpsChain only).
    hop_lines: Vec<(String, String)>,
    /// Reflect the request's Origin with credentials.
    reflect_origin: bool,
}

fn case(name: &str, lines: &[(&str, &str)]) -> Case {
    Case {
        name: name.into(),
        mode: Mode::ToHttps,
        lines: lines
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        hop_lines: vec![],
        reflect_origin: false,
    }
}

fn with_mode(mut c: Case, m: Mode) -> Case {
    c.mode = m;
    c
}

const CSP: &str = "Content-Security-Policy";
const HSTS: &str = "Strict-Transport-Security";
const XFO: &str = "X-Frame-Options";
const XCTO: &str = "X-Content-Type-Options";
const REF: &str = "Referrer-Policy";
const CORP: &str = "Cross-Origin-Resource-Policy";
const ACAO: &str = "Access-Control-Allow-Origin";
const COOKIE: &str = "Set-Cookie";

/// Every documented result of every test, and the edge cases of issue 18.
fn documented() -> Vec<Case> {
    let good = [(HSTS, "max-age=63072000"), (XCTO, "nosniff"), (XFO, "DENY")];
    let with_good = |name: &str, extra: &[(&str, &str)]| {
        let mut l: Vec<(&str, &str)> = good.to_vec();
        l.extend_from_slice(extra);
        case(name, &l)
    };
    let mut v = vec![
        case("nothing", &[]),
        // CSP, every result.
        with_good("csp-default-none", &[(CSP, "default-src 'none'")]),
        with_good("csp-no-unsafe", &[(CSP, "default-src 'self'")]),
        with_good(
            "csp-style-only",
            &[(CSP, "default-src 'self'; style-src 'self' 'unsafe-inline'")],
        ),
        with_good(
            "csp-passive",
            &[(CSP, "default-src 'self'; img-src http://img.example")],
        ),
        with_good(
            "csp-eval",
            &[(CSP, "default-src 'self'; script-src 'self' 'unsafe-eval'")],
        ),
        with_good("csp-inline", &[(CSP, "default-src 'self' 'unsafe-inline'")]),
        with_good(
            "csp-insecure",
            &[(CSP, "default-src 'self'; script-src http://cdn.example")],
        ),
        with_good(
            "csp-dup-report",
            &[(CSP, "default-src 'self'; report-uri /a; report-uri /b")],
        ),
        with_good(
            "csp-dup-directive",
            &[(CSP, "default-src 'self'; default-src 'none'")],
        ),
        with_good(
            "csp-report-only",
            &[("Content-Security-Policy-Report-Only", "default-src 'none'")],
        ),
        with_good(
            "csp-strict-dynamic-alone",
            &[(CSP, "script-src 'strict-dynamic'; object-src 'none'")],
        ),
        with_good(
            "csp-strict-dynamic-nonce",
            &[(
                CSP,
                "script-src 'strict-dynamic' 'nonce-abc123' https: 'unsafe-inline'; object-src 'none'; style-src 'self'",
            )],
        ),
        with_good("csp-short", &[(CSP, "a b")]),
        with_good("csp-https-star", &[(CSP, "default-src https://*")]),
        with_good(
            "csp-http-star",
            &[(CSP, "default-src 'self'; script-src http://*")],
        ),
        with_good(
            "csp-star-dot-star",
            &[(CSP, "default-src 'self'; script-src *.*")],
        ),
        with_good(
            "csp-form-action-not-needed",
            &[(CSP, "default-src 'none'; script-src 'self'")],
        ),
        with_good("csp-bare-default", &[(CSP, "default-src; img-src 'self'")]),
        with_good(
            "csp-two-lines",
            &[(CSP, "default-src *"), (CSP, "default-src 'none'")],
        ),
        with_good(
            "csp-comma-joined",
            &[(CSP, "default-src 'none', script-src *")],
        ),
        with_good(
            "csp-frame-ancestors-star",
            &[(CSP, "default-src 'self'; frame-ancestors *")],
        ),
        with_good(
            "csp-nonce-inline",
            &[(
                CSP,
                "default-src 'self'; script-src 'nonce-x' 'unsafe-inline'",
            )],
        ),
        with_good("csp-object-missing", &[(CSP, "script-src 'self'")]),
        with_good(
            "csp-data-script",
            &[(CSP, "default-src 'self'; script-src 'self' data:")],
        ),
        with_good(
            "csp-prefix-dedupe",
            &[(CSP, "default-src 'self'; script-src h http://evil.example")],
        ),
        with_good("csp-semicolons", &[(CSP, ";;;;;;;;")]),
        with_good("csp-upper", &[(CSP, "DEFAULT-SRC 'NONE'")]),
        // Cookies, every result.
        with_good(
            "cookie-samesite",
            &[(COOKIE, "sessionid=1; Secure; HttpOnly; SameSite=Lax")],
        ),
        with_good(
            "cookie-secure-httponly",
            &[(COOKIE, "sessionid=1; Secure; HttpOnly")],
        ),
        with_good("cookie-no-secure-hsts", &[(COOKIE, "theme=dark")]),
        case("cookie-no-secure", &[(COOKIE, "theme=dark")]),
        with_good(
            "cookie-session-no-secure-hsts",
            &[(COOKIE, "sessionid=1; HttpOnly")],
        ),
        case(
            "cookie-session-no-secure",
            &[(COOKIE, "sessionid=1; HttpOnly")],
        ),
        with_good(
            "cookie-samesite-invalid",
            &[(COOKIE, "theme=1; Secure; SameSite=Sometimes")],
        ),
        with_good(
            "cookie-samesite-empty",
            &[(COOKIE, "theme=1; Secure; SameSite")],
        ),
        with_good(
            "cookie-samesite-none-insecure",
            &[(COOKIE, "theme=1; SameSite=None")],
        ),
        with_good("cookie-anticsrf", &[(COOKIE, "csrftoken=1; Secure")]),
        with_good(
            "cookie-session-no-httponly",
            &[(COOKIE, "sessionid=1; Secure")],
        ),
        with_good(
            "cookie-heroku",
            &[(COOKIE, "heroku-session-affinity=abc; Path=/")],
        ),
        with_good(
            "cookie-foreign-domain",
            &[(COOKIE, "sessionid=1; Domain=other.example")],
        ),
        with_good(
            "cookie-own-domain",
            &[(COOKIE, "sessionid=1; Domain=localhost")],
        ),
        with_good(
            "cookie-host-prefix-bad",
            &[(COOKIE, "__Host-sess=1; Secure; Path=/x")],
        ),
        with_good("cookie-secure-prefix-bad", &[(COOKIE, "__Secure-sess=1")]),
        with_good("cookie-no-equals", &[(COOKIE, "sessionid")]),
        with_good(
            "cookie-replaced",
            &[
                (COOKIE, "sessionid=1"),
                (COOKIE, "sessionid=2; Secure; HttpOnly; SameSite=Strict"),
            ],
        ),
        with_good("cookie-expired", &[(COOKIE, "sessionid=1; Max-Age=0")]),
        with_good(
            "cookie-login",
            &[(COOKIE, "LoginToken=1; Secure; SameSite=Strict")],
        ),
        // CORS.
        with_good("cors-none", &[]),
        with_good("cors-star", &[(ACAO, "*")]),
        with_good("cors-restricted", &[(ACAO, "https://app.example")]),
        // Referrer-Policy.
        with_good("ref-private", &[(REF, "no-referrer")]),
        with_good("ref-unsafe", &[(REF, "unsafe-url")]),
        with_good("ref-invalid", &[(REF, "bogus")]),
        with_good("ref-last-wins", &[(REF, "unsafe-url, strict-origin")]),
        with_good("ref-two-lines", &[(REF, "strict-origin"), (REF, "origin")]),
        // HSTS.
        case("hsts-missing", &[(XCTO, "nosniff")]),
        case("hsts-six-months", &[(HSTS, "max-age=15552000")]),
        case("hsts-just-short", &[(HSTS, "max-age=15551999")]),
        case("hsts-old-threshold", &[(HSTS, "max-age=15768000")]),
        case("hsts-spaces", &[(HSTS, "max-age = 31536000")]),
        case(
            "hsts-doubled",
            &[(HSTS, "max-age=31536000"), (HSTS, "max-age=31536000")],
        ),
        case("hsts-no-max-age", &[(HSTS, "includeSubDomains")]),
        case(
            "hsts-upper",
            &[(HSTS, "MAX-AGE=31536000; INCLUDESUBDOMAINS; PRELOAD")],
        ),
        case("hsts-trailing", &[(HSTS, "max-age=31536000abc")]),
        case("hsts-negative", &[(HSTS, "max-age=-1")]),
        // X-Content-Type-Options.
        case("xcto-nosniff", &[(XCTO, "nosniff")]),
        case("xcto-invalid", &[(XCTO, "sniff")]),
        case("xcto-doubled", &[(XCTO, "nosniff"), (XCTO, "nosniff")]),
        // X-Frame-Options.
        case("xfo-deny", &[(XFO, "DENY")]),
        case("xfo-sameorigin", &[(XFO, "sameorigin")]),
        case("xfo-allow-from", &[(XFO, "ALLOW-FROM https://a.example")]),
        case("xfo-invalid", &[(XFO, "ALLOWALL")]),
        case("xfo-doubled", &[(XFO, "DENY"), (XFO, "DENY")]),
        case("xfo-via-csp", &[(CSP, "frame-ancestors 'none'")]),
        // CORP.
        case("corp-same-origin", &[(CORP, "same-origin")]),
        case("corp-same-site", &[(CORP, "same-site")]),
        case("corp-cross-origin", &[(CORP, "cross-origin")]),
        case("corp-invalid", &[(CORP, "nobody")]),
        // Full strict site: every bonus.
        case(
            "strict-site",
            &[
                (HSTS, "max-age=63072000; includeSubDomains; preload"),
                (XCTO, "nosniff"),
                (XFO, "DENY"),
                (
                    CSP,
                    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'",
                ),
                (REF, "strict-origin-when-cross-origin"),
                (CORP, "same-origin"),
                (
                    COOKIE,
                    "sessionid=abc; Path=/; Secure; HttpOnly; SameSite=Strict",
                ),
            ],
        ),
    ];
    // Redirection, every result reachable without a preload list.
    for (name, mode) in [
        ("redir-missing", Mode::NoRedirect),
        ("redir-initial-http", Mode::InitialHttp),
        ("redir-off-host", Mode::OffHost),
        ("redir-never-https", Mode::NeverHttps),
        ("redir-no-http", Mode::NoHttp),
        ("http-only", Mode::HttpOnly),
        ("bad-cert", Mode::BadCert),
    ] {
        v.push(with_mode(
            with_good(
                name,
                &[
                    (CSP, "default-src 'self'"),
                    (COOKIE, "sessionid=1; HttpOnly"),
                ],
            ),
            mode,
        ));
    }
    let mut chain = with_good(
        "https-chain-cookies",
        &[(COOKIE, "theme=1; Secure; SameSite=Lax")],
    );
    chain.mode = Mode::HttpsChain;
    chain.hop_lines = vec![
        (COOKIE.into(), "sessionid=1; Secure".into()),
        (HSTS.into(), "max-age=10".into()),
    ];
    v.push(chain);
    let mut reflect = with_good(
        "cors-reflect-credentials",
        &[("Access-Control-Allow-Credentials", "true")],
    );
    reflect.reflect_origin = true;
    v.push(reflect);
    v.push(case("hsts-quoted", &[(HSTS, "max-age=\"31536000\"")]));
    v
}

/// A small deterministic generator (xorshift64*), so a seed reproduces a run.
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
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const CSP_DIRECTIVES: &[&str] = &[
    "default-src",
    "script-src",
    "style-src",
    "object-src",
    "img-src",
    "media-src",
    "frame-ancestors",
    "form-action",
    "base-uri",
    "report-uri",
    "connect-src",
    "upgrade-insecure-requests",
];
const CSP_SOURCES: &[&str] = &[
    "'self'",
    "'none'",
    "'unsafe-inline'",
    "'unsafe-eval'",
    "'strict-dynamic'",
    "'nonce-r4nd0m'",
    "'sha256-abc='",
    "data:",
    "https:",
    "http:",
    "*",
    "https://*",
    "http://*",
    "*.*",
    "https://cdn.example",
    "http://cdn.example",
    "ftp://files.example",
    "blob:",
    "wss:",
    "/report",
    "'SELF'",
    "https://a.example/x/",
    "https://a.example/x/y",
];

fn gen_csp(r: &mut Rng) -> String {
    let n = 1 + r.below(5);
    let mut parts = Vec::new();
    for _ in 0..n {
        let d = r.pick(CSP_DIRECTIVES);
        let k = r.below(4);
        let mut p = d.to_string();
        for _ in 0..k {
            p.push(' ');
            p.push_str(r.pick(CSP_SOURCES));
        }
        parts.push(p);
    }
    parts.join(if r.chance(10) { ";" } else { "; " })
}

fn generated(seed: u64, n: usize) -> Vec<Case> {
    let mut r = Rng(seed | 1);
    let mut out = Vec::new();
    for i in 0..n {
        let mut lines: Vec<(String, String)> = Vec::new();
        let mut push = |k: &str, v: String| lines.push((k.to_string(), v));
        if r.chance(70) {
            push(CSP, gen_csp(&mut r));
            if r.chance(10) {
                push(CSP, gen_csp(&mut r));
            }
        }
        if r.chance(10) {
            push("Content-Security-Policy-Report-Only", gen_csp(&mut r));
        }
        if r.chance(75) {
            let v = r.pick(&[
                "max-age=31536000",
                "max-age=15552000",
                "max-age=15551999",
                "max-age=86400",
                "max-age=63072000; includeSubDomains; preload",
                "max-age = 31536000",
                "max-age=0",
                "includeSubDomains",
                "max-age=31536000;includeSubDomains",
                "Max-Age=31536000",
            ]);
            push(HSTS, v.into());
            if r.chance(8) {
                push(HSTS, v.into());
            }
        }
        if r.chance(70) {
            push(
                XCTO,
                r.pick(&[
                    "nosniff",
                    "NOSNIFF",
                    " nosniff",
                    "sniff",
                    "nosniff, nosniff",
                ])
                .into(),
            );
        }
        if r.chance(70) {
            push(
                XFO,
                r.pick(&[
                    "DENY",
                    "SAMEORIGIN",
                    "deny",
                    "ALLOW-FROM https://a.example",
                    "ALLOWALL",
                    "DENY, DENY",
                ])
                .into(),
            );
        }
        if r.chance(50) {
            push(
                REF,
                r.pick(&[
                    "no-referrer",
                    "same-origin",
                    "strict-origin",
                    "strict-origin-when-cross-origin",
                    "origin",
                    "unsafe-url",
                    "no-referrer-when-downgrade",
                    "bogus",
                    "unsafe-url, no-referrer",
                    "no-referrer, unsafe-url",
                    "origin-when-cross-origin",
                ])
                .into(),
            );
        }
        if r.chance(35) {
            push(
                CORP,
                r.pick(&[
                    "same-origin",
                    "same-site",
                    "cross-origin",
                    "bogus",
                    "SAME-SITE",
                ])
                .into(),
            );
        }
        if r.chance(25) {
            push(
                ACAO,
                r.pick(&["*", "https://app.example", OBSERVATORY_ORIGIN])
                    .into(),
            );
            if r.chance(50) {
                push("Access-Control-Allow-Credentials", "true".into());
            }
        }
        for _ in 0..r.below(4) {
            let name = r.pick(&[
                "sessionid",
                "theme",
                "csrftoken",
                "user_login",
                "heroku-session-affinity",
                "__Host-sess",
                "__Secure-id",
                "prefs",
            ]);
            let mut c = format!("{name}=v{}", r.below(100));
            for a in [
                "; Secure",
                "; HttpOnly",
                "; Path=/",
                "; Domain=localhost",
                "; Domain=other.example",
            ] {
                if r.chance(if a.contains("other") { 8 } else { 45 }) {
                    c.push_str(a);
                }
            }
            if r.chance(50) {
                c.push_str(r.pick(&[
                    "; SameSite=Lax",
                    "; SameSite=Strict",
                    "; SameSite=None",
                    "; SameSite=Bogus",
                    "; SameSite",
                ]));
            }
            push(COOKIE, c);
        }
        let mode = match r.below(20) {
            0 => Mode::NoRedirect,
            1 => Mode::HttpOnly,
            2 => Mode::NoHttp,
            3 => Mode::OffHost,
            4 => Mode::HttpsChain,
            5 => Mode::BadCert,
            _ => Mode::ToHttps,
        };
        let mut c = Case {
            name: format!("gen-{i}"),
            mode,
            lines,
            hop_lines: vec![],
            reflect_origin: r.chance(5),
        };
        if mode == Mode::HttpsChain {
            c.hop_lines = vec![(
                COOKIE.into(),
                format!("{}=1", r.pick(&["sessionid", "theme"])),
            )];
        }
        out.push(c);
    }
    out
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Ports {
    http: u16,
    https: u16,
    bad: u16,
    /// Nothing listens here.
    closed: u16,
}

/// nginx that the test starts and stops (Drop kills it).
struct Nginx(Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn quote(v: &str) -> String {
    assert!(
        !v.contains('$'),
        "`$` cannot be sent literally by nginx: {v}"
    );
    format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
}

fn add_headers(lines: &[(String, String)]) -> String {
    let mut s = String::new();
    for (k, v) in lines {
        let _ = write!(s, " add_header {k} {} always;", quote(v));
    }
    s
}

fn nginx_conf(dir: &Path, cases: &[Case], p: &Ports) -> String {
    let d = dir.display();
    let mut http_locs = String::new();
    let mut https_locs = String::new();
    let mut bad_locs = String::new();
    for (i, c) in cases.iter().enumerate() {
        let path = format!("/c/{i}");
        let mut hdr = add_headers(&c.lines);
        if c.reflect_origin {
            hdr.push_str(" add_header Access-Control-Allow-Origin $http_origin always;");
        }
        let serve = format!("location = {path} {{{hdr} return 200 'case {i}';}}\n");
        let to = |host: &str, port: u16, p2: &str| {
            format!("location = {path} {{ return 301 https://{host}:{port}{p2}; }}\n")
        };
        match c.mode {
            Mode::ToHttps | Mode::NoHttp => {
                http_locs.push_str(&to("localhost", p.https, &path));
                https_locs.push_str(&serve);
            }
            Mode::NoRedirect | Mode::HttpOnly => {
                http_locs.push_str(&serve);
                https_locs.push_str(&serve);
            }
            Mode::InitialHttp => {
                http_locs.push_str(&format!(
                    "location = {path} {{ return 301 http://localhost:{}{path}/step; }}\n",
                    p.http
                ));
                http_locs.push_str(&format!(
                    "location = {path}/step {{ return 301 https://localhost:{}{path}; }}\n",
                    p.https
                ));
                https_locs.push_str(&serve);
            }
            Mode::OffHost => {
                http_locs.push_str(&to("127.0.0.1", p.https, &path));
                https_locs.push_str(&serve);
            }
            Mode::NeverHttps => {
                http_locs.push_str(&format!(
                    "location = {path} {{ return 301 http://localhost:{}{path}/elsewhere; }}\n",
                    p.http
                ));
                http_locs.push_str(&format!(
                    "location = {path}/elsewhere {{ return 200 'elsewhere'; }}\n"
                ));
                https_locs.push_str(&serve);
            }
            Mode::BadCert => {
                http_locs.push_str(&to("localhost", p.bad, &path));
                bad_locs.push_str(&serve);
            }
            Mode::HttpsChain => {
                http_locs.push_str(&to("localhost", p.https, &path));
                https_locs.push_str(&format!(
                    "location = {path} {{{} return 302 {path}/final; }}\n",
                    add_headers(&c.hop_lines)
                ));
                https_locs.push_str(&format!(
                    "location = {path}/final {{{hdr} return 200 'final {i}';}}\n"
                ));
            }
        }
    }
    let listen =
        |port: u16, ssl: &str| format!("listen 127.0.0.1:{port}{ssl}; listen [::1]:{port}{ssl};");
    format!(
        "worker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
         events {{ worker_connections 1024; }}\n\
         http {{\n access_log off;\n client_body_temp_path {d}/tmp/b; proxy_temp_path {d}/tmp/p;\n \
         fastcgi_temp_path {d}/tmp/f; uwsgi_temp_path {d}/tmp/u; scgi_temp_path {d}/tmp/s;\n \
         default_type text/plain; server_tokens off;\n \
         server {{ {} \n{http_locs} }}\n \
         server {{ {} ssl_certificate {d}/good.crt; ssl_certificate_key {d}/good.key;\n{https_locs} }}\n \
         server {{ {} ssl_certificate {d}/bad.crt; ssl_certificate_key {d}/bad.key;\n{bad_locs} }}\n}}\n",
        listen(p.http, ""),
        listen(p.https, " ssl"),
        listen(p.bad, " ssl"),
    )
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A test CA, a server certificate for localhost/127.0.0.1 it signs, and a
/// self-signed one nobody trusts.
fn certificates(dir: &Path) {
    let san = "subjectAltName=DNS:localhost,IP:127.0.0.1";
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=diff CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "good.key",
            "-out",
            "good.csr",
        ],
    );
    std::fs::write(
        dir.join("good.ext"),
        format!("basicConstraints=critical,CA:FALSE\n{san}\nextendedKeyUsage=serverAuth\n"),
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "good.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "good.ext",
            "-out",
            "good.crt",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "bad.key",
            "-out",
            "bad.crt",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
            "-addext",
            san,
        ],
    );
}

fn nginx_binary() -> String {
    for c in ["nginx", "/usr/sbin/nginx"] {
        if Command::new(c).arg("-v").output().is_ok() {
            return c.to_string();
        }
    }
    panic!("nginx is not installed (scripts/services/nginx.sh installs it)");
}

fn start_nginx(dir: &Path, conf: &str, ports: &Ports) -> Nginx {
    std::fs::create_dir_all(dir.join("tmp")).unwrap();
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    let child = Command::new(nginx_binary())
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .arg("-p")
        .arg(dir)
        .args(["-g", "daemon off;"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("nginx starts");
    let n = Nginx(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", ports.bad)).is_err() {
        assert!(
            Instant::now() < deadline,
            "nginx did not start: {}",
            std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    n
}

/// (https port, http port) the case is scanned on, and readyctl's URLs.
fn endpoints(c: &Case, i: usize, p: &Ports) -> (u16, u16, String, String) {
    let path = format!("/c/{i}");
    let https_port = match c.mode {
        Mode::BadCert => p.bad,
        Mode::HttpOnly => p.closed,
        _ => p.https,
    };
    let http_port = if c.mode == Mode::NoHttp {
        p.closed
    } else {
        p.http
    };
    let url = if c.mode == Mode::HttpOnly {
        format!("http://localhost:{http_port}{path}")
    } else {
        format!("https://localhost:{https_port}{path}")
    };
    (
        https_port,
        http_port,
        url,
        format!("http://localhost:{http_port}{path}"),
    )
}

fn observatory(pkg: &str, node: &str, ca: &Path, cases: &[Case], p: &Ports) -> Vec<Value> {
    let input: Vec<Value> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let (https, http, ..) = endpoints(c, i, p);
            json!({"id": c.name, "host": "localhost", "httpPort": http, "httpsPort": https,
                   "path": format!("/c/{i}"), "algorithm": 5})
        })
        .collect();
    let mut child = Command::new(node)
        .arg(common::repo("tests/oracles/observatory.mjs"))
        .env("OBSERVATORY", pkg)
        .env("NODE_EXTRA_CA_CERTS", ca)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&input).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("oracle prints JSON")
}

fn readyctl(ca: &Path, cases: &[Case], p: &Ports) -> Vec<Value> {
    let mut cat = String::from("version: 1\nchecks:\n");
    for (i, c) in cases.iter().enumerate() {
        let (.., url, http_url) = endpoints(c, i, p);
        let _ = writeln!(
            cat,
            "  - {{id: c{i}, kind: security_headers, url: \"{url}\", http_url: \"{http_url}\", \
             ca_file: \"{}\", foreign_origin: \"{OBSERVATORY_ORIGIN}\", timeout: 20s}}",
            ca.display()
        );
    }
    let (_dir, path) = common::catalogue(&cat);
    let out = common::readyctl()
        .args(["check", "--format", "json", "--concurrency", "32", "-c"])
        .arg(&path)
        .timeout(Duration::from_secs(300))
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    report["checks"].as_array().unwrap().clone()
}

/// A deliberate, documented difference (docs/kinds/security_headers.md,
/// "Differences"), recognised by its trigger: the test, the Observatory's
/// result, readyctl's result.
fn documented_difference(c: &Case, test: &str, oracle: &str, ours: &str) -> bool {
    let has = |name: &str, pred: &dyn Fn(&str) -> bool| {
        c.lines
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case(name) && pred(v))
    };
    match (test, oracle, ours) {
        // 1. CORS reflection with credentials.
        (
            "cross-origin-resource-sharing",
            "cross-origin-resource-sharing-implemented-with-restricted-access",
            "cross-origin-resource-sharing-implemented-with-universal-access",
        ) => {
            (c.reflect_origin || has(ACAO, &|v| v == OBSERVATORY_ORIGIN))
                && has("Access-Control-Allow-Credentials", &|v| v == "true")
        }
        // 2. max-age without digits.
        (
            "strict-transport-security",
            "hsts-implemented-max-age-at-least-six-months",
            "hsts-header-invalid",
        ) => {
            let lines: Vec<&str> = c
                .lines
                .iter()
                .filter(|(k, _)| k == HSTS)
                .map(|(_, v)| v.as_str())
                .collect();
            lines.len() == 1
                && lines[0].split(';').any(|p| {
                    p.trim()
                        .to_lowercase()
                        .strip_prefix("max-age=")
                        .is_some_and(|n| {
                            !n.trim_start().starts_with(|ch: char| {
                                ch.is_ascii_digit() || ch == '-' || ch == '+'
                            })
                        })
                })
        }
        _ => false,
    }
}

#[test]
fn grades_agree_with_the_observatory() {
    let Some(pkg) = common::service("READYCTL_TEST_OBSERVATORY") else {
        return;
    };
    let Some(node) = common::service("READYCTL_TEST_NODE") else {
        return;
    };
    if common::service("READYCTL_TEST_NGINX_HTTP_PORT").is_none() {
        return;
    }
    let seed: u64 = std::env::var("READYCTL_DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x0b5e_7a70_2026);
    let n: usize = std::env::var("READYCTL_DIFF_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let mut cases = documented();
    let documented_n = cases.len();
    cases.extend(generated(seed, n));

    let dir = tempfile::tempdir().unwrap();
    certificates(dir.path());
    let ports = Ports {
        http: free_port(),
        https: free_port(),
        bad: free_port(),
        closed: free_port(),
    };
    let conf = nginx_conf(dir.path(), &cases, &ports);
    let _nginx = start_nginx(dir.path(), &conf, &ports);
    let ca = dir.path().join("ca.crt");

    let theirs = observatory(&pkg, &node, &ca, &cases, &ports);
    let ours = readyctl(&ca, &cases, &ports);
    assert_eq!(theirs.len(), cases.len());

    let mut per_test_agree = 0usize;
    let mut per_test_total = 0usize;
    let mut documented_diffs: BTreeMap<&str, usize> = BTreeMap::new();
    let mut score_agree = 0usize;
    let mut seen: std::collections::BTreeSet<String> = Default::default();
    let mut problems = Vec::new();
    for (i, (c, t)) in cases.iter().zip(&theirs).enumerate() {
        let o = &ours[i];
        assert_eq!(o["id"], format!("c{i}"));
        if let Some(e) = t["error"].as_str() {
            problems.push(format!(
                "{}: the Observatory could not scan it: {e}",
                c.name
            ));
            continue;
        }
        let Some(g) = o.get("grading").filter(|g| !g.is_null()) else {
            problems.push(format!(
                "{}: readyctl did not grade: {}",
                c.name, o["message"]
            ));
            continue;
        };
        let mut adjusted: Vec<i32> = Vec::new();
        let mut quirk = false;
        for tt in t["tests"].as_array().unwrap() {
            per_test_total += 1;
            let name = tt["test"].as_str().unwrap();
            seen.insert(tt["result"].as_str().unwrap_or_default().to_string());
            let mine = g["tests"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["test"] == name);
            let Some(mine) = mine else {
                problems.push(format!("{}: readyctl has no {name} test", c.name));
                continue;
            };
            let same = mine["result"] == tt["result"]
                && mine["score_modifier"] == tt["score_modifier"]
                && mine["pass"] == tt["pass"];
            if same {
                per_test_agree += 1;
                adjusted.push(tt["score_modifier"].as_i64().unwrap() as i32);
            } else if documented_difference(
                c,
                name,
                tt["result"].as_str().unwrap_or_default(),
                mine["result"].as_str().unwrap_or_default(),
            ) {
                quirk = true;
                *documented_diffs.entry(name).or_default() += 1;
                adjusted.push(mine["score_modifier"].as_i64().unwrap() as i32);
            } else {
                problems.push(format!(
                    "{} ({:?}, {:?}): {name}: Observatory {} {} pass={} | readyctl {} {} pass={}",
                    c.name,
                    c.mode,
                    c.lines,
                    tt["result"],
                    tt["score_modifier"],
                    tt["pass"],
                    mine["result"],
                    mine["score_modifier"],
                    mine["pass"]
                ));
                adjusted.push(tt["score_modifier"].as_i64().unwrap() as i32);
            }
        }
        // With a documented difference the score must be the Observatory's
        // arithmetic over readyctl's modifiers; otherwise the Observatory's own.
        let (want_score, want_grade) = if quirk {
            let (s, g) = table::score(adjusted);
            (json!(s), json!(g))
        } else {
            (t["score"].clone(), t["grade"].clone())
        };
        if g["score"] == want_score && g["grade"] == want_grade && g["algorithm"] == 5 {
            score_agree += 1;
        } else {
            problems.push(format!(
                "{}: score/grade: Observatory {} {} (expected {want_score} {want_grade}) | readyctl {} {}",
                c.name, t["score"], t["grade"], g["score"], g["grade"]
            ));
        }
    }
    eprintln!(
        "security_headers_diff: seed {seed}: {} cases ({documented_n} documented, {n} generated); \
         per-test agreement {per_test_agree}/{per_test_total}; documented differences {documented_diffs:?}; \
         score and grade agree on {score_agree}/{}",
        cases.len(),
        cases.len()
    );
    // Every result a loopback scan can reach appears in the corpus: all but
    // the preload results (no preload list) and the HTML-only SRI results.
    // (universal-access: the Observatory 1.4.8 never gives it, difference 1.)
    let unreachable = |r: &str| {
        r.contains("preload")
            || (r.starts_with("sri-") && r != "sri-not-implemented-response-not-html")
            || r == "html-not-parseable"
            || r == "cross-origin-resource-sharing-implemented-with-universal-access"
    };
    let missing: Vec<&str> = table::RESULTS
        .iter()
        .map(|(_, r, _)| *r)
        .filter(|r| !unreachable(r) && !seen.contains(*r))
        .collect();
    assert!(missing.is_empty(), "results no case exercised: {missing:?}");
    assert!(
        documented_diffs.len() == 2,
        "each documented difference must be exercised by the corpus: {documented_diffs:?}"
    );
    assert!(
        problems.is_empty(),
        "{} disagreements with the Observatory:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// readyctl's score table is the Observatory's (algorithm 5 modifiers).
#[test]
fn score_table_is_the_observatorys() {
    let Some(pkg) = common::service("READYCTL_TEST_OBSERVATORY") else {
        return;
    };
    let Some(node) = common::service("READYCTL_TEST_NODE") else {
        return;
    };
    for algorithm in [4u8, 5] {
        let mut child = Command::new(&node)
            .arg(common::repo("tests/oracles/observatory.mjs"))
            .env("OBSERVATORY", &pkg)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(
                json!({"table": true, "algorithm": algorithm})
                    .to_string()
                    .as_bytes(),
            )
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let theirs: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
        let theirs: BTreeMap<String, i64> = theirs
            .iter()
            .map(|r| {
                (
                    r["result"].as_str().unwrap().to_string(),
                    r["score_modifier"].as_i64().unwrap(),
                )
            })
            .collect();
        let ours: BTreeMap<String, i64> = table::RESULTS
            .iter()
            .map(|(_, r, _)| (r.to_string(), i64::from(table::modifier(r, algorithm))))
            .collect();
        assert_eq!(ours, theirs, "algorithm {algorithm}");
    }
}
