//! Masking of secrets in everything readyctl writes.
//!
//! Masking is by construction: whatever enters readyctl as a secret is
//! registered once, in every form it can reappear in, and one pass over every
//! output text replaces all of them. [`Redactor::mask`] applies two mechanisms:
//! - known values: every value the catalogue marks secret, every value of a
//!   secret-looking variable or field ([`looks_secret`]), every URL password and
//!   every value of a secret-looking query parameter ([`secrets_in_text`]),
//!   every value a check reads from a secret store or captures. Each is
//!   registered with its URL-encoded, form-encoded and JSON-escaped forms and
//!   its base64 forms at all three byte alignments — so `user:pass` base64 (an
//!   `Authorization: Basic` header echoed back) and a secret inside a longer
//!   base64 blob are masked too;
//! - shapes: credentials inside URLs and DSNs (`scheme://user:pass@host`, even
//!   with an unencoded `/` or `@` in the password), secret-looking query
//!   values, `NAME=value` pairs and `Authorization:`-like header lines, and
//!   `Bearer`/`Basic` credentials are masked even when nobody declared them.
//!
//! The report layer runs every string of a report through [`Redactor::mask`]
//! before any renderer sees it, so no renderer can forget; diagnostics mask
//! their source snippets with [`Redactor::mask_keep_width`] so carets still
//! point at the right column.

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasherDefault;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, RwLock};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use base64::Engine as _;
use regex::Regex;

/// What a masked value is replaced by.
pub(crate) const MASK: &str = "****";

/// Values shorter than this are not masked by value (masking `1` or `no`
/// everywhere would garble reports); they are still masked by shape.
const MIN_SECRET_LEN: usize = 4;

/// Base64 fragments shorter than this are not registered: a 4-character
/// fragment occurs by chance in ordinary words.
const MIN_B64_FRAGMENT: usize = 6;

/// `str::contains` for a word of a name: a byte-window scan, where
/// `str::contains` sets up a substring searcher per call (8% of a
/// 100,000-line `.env` check, called for every word of every key).
fn has(word: &str, part: &str) -> bool {
    word.as_bytes()
        .windows(part.len())
        .any(|w| w == part.as_bytes())
}

/// Words whose presence makes a name secret-looking on their own.
fn secret_word(w: &str) -> bool {
    matches!(
        w,
        "PASS"
            | "PASSWD"
            | "PWD"
            | "PASSPHRASE"
            | "AUTH"
            | "AUTHORIZATION"
            | "DSN"
            | "SALT"
            | "CREDENTIAL"
            | "CREDENTIALS"
            | "CREDS"
            | "SIGNATURE"
            | "APIKEY"
            | "JWT"
            | "PSK"
            | "SECRETS"
    ) || has(w, "PASSWORD")
        || (has(w, "SECRET") && !has(w, "SECRETARY"))
        || w.ends_with("TOKEN")
        || w == "TOKENS"
        || (w.len() > 3 && w.ends_with("PWD") && w != "OLDPWD")
        || (w.ends_with("PASS")
            && !matches!(
                w,
                "BYPASS" | "COMPASS" | "ENCOMPASS" | "SURPASS" | "OVERPASS" | "UNDERPASS"
            ))
        || w.ends_with("APIKEY")
        || w.ends_with("AUTHTOKEN")
        || w.ends_with("PRIVATEKEY")
        || w.ends_with("ACCESSKEY")
}

/// Words that, before `KEY`, make it a secret (`API_KEY`, `Ocp-Apim-Subscription-Key`).
fn key_qualifier(w: &str) -> bool {
    matches!(
        w,
        "API"
            | "ACCESS"
            | "SECRET"
            | "PRIVATE"
            | "SESSION"
            | "SIGNING"
            | "SUBSCRIPTION"
            | "ENCRYPTION"
            | "MASTER"
            | "HMAC"
            | "FERNET"
            | "LICENSE"
            | "AUTH"
            | "CLIENT"
            | "CRYPTO"
            | "SECURITY"
            | "SERVICE"
            | "ACCOUNT"
            | "STORAGE"
            | "WEBHOOK"
    )
}

/// Words after the secret word that make the name describe a secret rather
/// than hold one (`ACCESS_TOKEN_EXPIRE_MINUTES`, `MONGO_AUTH_SOURCE`,
/// `REDIS_PASSWORD_FILE`, `AWS_ACCESS_KEY_ID`, `RADIUS_AUTH_PORT`).
fn metadata_word(w: &str) -> bool {
    matches!(
        w,
        "PORT"
            | "HOST"
            | "HOSTNAME"
            | "URL"
            | "URI"
            | "PATH"
            | "FILE"
            | "DIR"
            | "MINUTES"
            | "HOURS"
            | "DAYS"
            | "SECONDS"
            | "TTL"
            | "EXPIRE"
            | "EXPIRES"
            | "EXPIRY"
            | "EXPIRATION"
            | "TIMEOUT"
            | "LENGTH"
            | "LEN"
            | "ENABLED"
            | "ENABLE"
            | "DISABLED"
            | "REQUIRED"
            | "REQUIRE"
            | "MIN"
            | "MAX"
            | "SOURCE"
            | "TYPE"
            | "ALGORITHM"
            | "ALG"
            | "MODE"
            | "NAME"
            | "USER"
            | "USERNAME"
            | "ID"
            | "ROTATION"
            | "POLICY"
            | "ISSUER"
            | "AUDIENCE"
            | "ENDPOINT"
            | "HEADER"
            | "PREFIX"
            | "FIELD"
            | "PARAM"
            | "VERSION"
            | "COUNT"
            | "LIMIT"
            | "SIZE"
            | "INTERVAL"
            | "RETRIES"
            | "LEVEL"
            | "LOCATION"
            | "DOMAIN"
            | "SAMESITE"
            | "SECURE"
            | "HTTPONLY"
            | "BACKEND"
            | "PROVIDER"
            | "METHOD"
            | "STRATEGY"
            | "FORMAT"
            | "MOUNT"
            | "ENGINE"
            | "STORE"
            | "SCHEME"
            | "REALM"
            | "SCOPE"
            | "SCOPES"
            | "LIFETIME"
            | "AGE"
            | "CACHE"
            | "ALLOWED"
            | "LOGIN"
            | "MECHANISM"
    )
}

/// A name split into upper-case words at `_`, `-`, `.`, `/` and camelCase
/// boundaries: `accessToken` → `ACCESS`, `TOKEN` (a digit counts as lower
/// case: `X2Y` → `X2`, `Y`). Upper-case names (most variables) are split in place; others are upper-cased once, with `_`
/// where a camelCase boundary was. `f` gets the words.
fn with_words<R>(name: &str, f: impl FnOnce(&[&str]) -> R) -> R {
    let camel = name.bytes().any(|b| b.is_ascii_lowercase())
        || name
            .as_bytes()
            .windows(2)
            .any(|w| w[0].is_ascii_digit() && w[1].is_ascii_uppercase());
    let upper: std::borrow::Cow<'_, str> = if camel {
        let mut s = String::with_capacity(name.len() + 4);
        let mut prev_lower = false;
        for c in name.chars() {
            if !c.is_ascii_alphanumeric() {
                s.push('_');
                prev_lower = false;
                continue;
            }
            if c.is_ascii_uppercase() && prev_lower {
                s.push('_');
            }
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            s.push(c.to_ascii_uppercase());
        }
        s.into()
    } else {
        name.into()
    };
    // Words on the stack: this runs for every key of every `.env` file
    // (100,000 in one benchmark), and a `Vec` per call was a third of it.
    let mut words = upper
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty());
    let mut stack: [&str; 16] = [""; 16];
    let mut n = 0;
    for w in words.by_ref() {
        if n == stack.len() {
            let mut all: Vec<&str> = stack.to_vec();
            all.push(w);
            all.extend(words);
            return f(&all);
        }
        stack[n] = w;
        n += 1;
    }
    f(&stack[..n])
}

/// True for variable, field or header names that conventionally hold secrets
/// (`POSTGRES_PASSWORD`, `MYSQL_PWD`, `JWT_SECRET`, `VAULT_TOKEN`,
/// `MINIO_SECRET_KEY`, `OPENAI_API_KEY`, `Ocp-Apim-Subscription-Key`,
/// `X-Hub-Signature`, `Authorization`, `accessToken`), but not for names that
/// describe one (`ACCESS_TOKEN_EXPIRE_MINUTES`, `REDIS_PASSWORD_FILE`,
/// `AWS_ACCESS_KEY_ID`, `MONGO_AUTH_SOURCE`) nor the shell's `PWD`.
pub(crate) fn looks_secret(name: &str) -> bool {
    with_words(name, |ws| {
        if matches!(ws, ["PWD" | "OLDPWD"]) {
            return false;
        }
        // The cookie headers carry sessions; `SECURE_COOKIES` does not.
        if matches!(ws, ["COOKIE"] | ["SET", "COOKIE"]) {
            return true;
        }
        let last =
            ws.iter().enumerate().rev().find(|(i, w)| {
                secret_word(w) || (**w == "KEY" && *i > 0 && key_qualifier(ws[i - 1]))
            });
        match last {
            Some((i, _)) => !ws[i + 1..].iter().any(|w| metadata_word(w)),
            None => false,
        }
    })
}

/// True for query parameters whose value is a credential: every
/// [`looks_secret`] name plus the short ones APIs use (`key=` of Google APIs,
/// `sig=` of Azure SAS URLs, `code=` of OAuth callbacks).
pub(crate) fn looks_secret_param(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    matches!(
        n.as_str(),
        "key" | "sig" | "code" | "pass" | "pw" | "session" | "sessionid" | "sid_token"
    ) || looks_secret(name)
}

/// True for values that are never worth masking by value: booleans and the
/// like, which a secret-looking flag (`SECURE_COOKIES=false`) may hold and
/// which would otherwise be masked in every sentence.
fn trivial_value(v: &str) -> bool {
    matches!(
        v.to_ascii_lowercase().as_str(),
        "true"
            | "false"
            | "yes"
            | "no"
            | "on"
            | "off"
            | "null"
            | "none"
            | "nil"
            | "enabled"
            | "disabled"
            | "required"
            | "optional"
    )
}

/// The values to treat as secret in an HTTP header `name: value`: the whole
/// value when the name looks secret (`Authorization`, `X-Api-Key`,
/// `Cookie`, …), plus the credential after an auth scheme (`Bearer xyz` →
/// `xyz`), since a server or a finding may quote it alone. Values that still
/// hold a `${…}` placeholder (captures, expanded at run time) are left out:
/// the expanded value is registered when it is captured.
pub(crate) fn header_secrets(name: &str, value: &str) -> Vec<String> {
    if !looks_secret(name) || value.contains("${") {
        return Vec::new();
    }
    let mut out = vec![value.to_string()];
    if let Some((scheme, cred)) = value.trim().split_once(' ')
        && matches!(
            scheme.to_ascii_lowercase().as_str(),
            "bearer" | "basic" | "token" | "digest" | "apikey"
        )
    {
        out.push(cred.trim().to_string());
    }
    out
}

/// The secrets a variable `name=value` carries: the whole value when the
/// name looks secret, and in any case the credentials inside it (a
/// `DATABASE_URL`'s password, an `access_token=` query value).
pub(crate) fn secrets_of_var(name: &str, value: &str) -> Vec<String> {
    let mut out = Vec::new();
    if looks_secret(name) && !value.contains("${") {
        out.push(value.to_string());
    }
    out.extend(secrets_in_text(value));
    out
}

/// One `scheme://user:password@host` found in a text: byte ranges of the
/// user and of the password.
struct UrlCred {
    user: std::ops::Range<usize>,
    pass: Option<std::ops::Range<usize>>,
}

fn is_host_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':' | b'[' | b']' | b'%')
}

fn ends_token(b: u8) -> bool {
    b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b'<' | b'>' | b'`' | b'\\')
}

/// Every URL userinfo in `text`. The password may hold an unencoded `/` or
/// `@` (users paste them so, and drivers accept it): the userinfo ends at the
/// *last* `@` of the token that is followed by a host and then `/`, `?`, `#`
/// or the token's end.
fn url_creds(text: &str) -> Vec<UrlCred> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find("://").map(|i| i + from) {
        let start = i + 3;
        // The scheme must be a scheme.
        let scheme_ok = i > 0 && bytes[i - 1].is_ascii_alphanumeric();
        let end = bytes[start..]
            .iter()
            .position(|b| ends_token(*b))
            .map_or(bytes.len(), |p| start + p);
        from = start;
        if !scheme_ok {
            continue;
        }
        // Find the last '@' followed by host bytes and a terminator.
        let mut at = None;
        for (p, b) in bytes[start..end].iter().enumerate().rev() {
            if *b != b'@' {
                continue;
            }
            let h = start + p + 1;
            let host_end = bytes[h..end]
                .iter()
                .position(|b| !is_host_byte(*b))
                .map_or(end, |q| h + q);
            let terminated = host_end == end
                || matches!(bytes[host_end], b'/' | b'?' | b'#' | b',' | b';' | b')');
            if host_end > h && terminated {
                at = Some(start + p);
                break;
            }
        }
        let Some(at) = at else { continue };
        let info = &text[start..at];
        let cred = match info.find(':') {
            Some(c) => {
                let user = &info[..c];
                let pass = &info[c + 1..];
                // `host:8080/path/@name` is a path, not a password.
                let port_like = pass
                    .split('/')
                    .next()
                    .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                    && pass.contains('/');
                if user.contains('/') || pass.is_empty() || port_like {
                    None
                } else {
                    Some(UrlCred {
                        user: start..start + c,
                        pass: Some(start + c + 1..at),
                    })
                }
            }
            // A long user without password is a token (`https://ghp_…@github.com`);
            // `git@`, `medium.com/@name` are not.
            None if info.len() >= 20 && !info.contains('/') => Some(UrlCred {
                user: start..at,
                pass: None,
            }),
            None => None,
        };
        if let Some(c) = cred {
            out.push(c);
            from = at + 1;
        }
    }
    out
}

static QUERY_PARAM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"[?&;](?P<key>[A-Za-z0-9_.\-\[\]]+)=(?P<val>[^&#\s"'<>;]+)"#)
        .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});
/// True when some word of `text` could make a [`looks_secret`] name: every
/// secret-looking name holds one of [`SECRET_PARTS`], in any case (see
/// `secret_word`, `key_qualifier` + `KEY`, `COOKIE`). It spares the
/// [`KEY_VALUE`] search, whose captures cost ~1.5 µs a text, on the many
/// texts with a `:` or `=` and no such word: a `.env` value such as
/// `postgres://app@db:5432/s0`, most strings of a report. One automaton for
/// the process (~0.2 ms to build), ~2.5 ns a byte to search.
fn may_name_secret(text: &str) -> bool {
    // Without the automaton (it cannot fail on these words), search anyway.
    PARTS.as_ref().is_none_or(|ac| ac.is_match(text))
}

/// The automaton of [`may_name_secret`].
static PARTS: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .kind(Some(AhoCorasickKind::DFA))
        .build(SECRET_PARTS)
        .ok()
});

/// Builds the secret scan's automata now (~3.5 M instructions, ~0.7 ms):
/// `readyctl check` calls it on a second thread as it starts, so that the
/// catalogue's loading, whose first secret-bearing field would build them,
/// finds them built.
pub(crate) fn warm() {
    LazyLock::force(&QUERY_PARAM);
    LazyLock::force(&KEY_VALUE);
    LazyLock::force(&AUTH_SCHEME);
    LazyLock::force(&PARTS);
}

/// The parts of which every [`looks_secret`] name holds at least one.
const SECRET_PARTS: &[&str] = &[
    "pass",
    "pwd",
    "auth",
    "dsn",
    "salt",
    "cred",
    "signature",
    "key",
    "jwt",
    "psk",
    "secret",
    "token",
    "cookie",
];

/// The [`QUERY_PARAM`] matches of `text` whose key `looks_secret_param`,
/// with their captures, in order: the same as filtering `captures_iter`.
/// The key is what lies between the match's first character and its first
/// `=` (the key class has no `=`), so a match is judged on a `find` alone
/// and only the few secret-named ones pay for captures.
fn secret_query_params(text: &str) -> impl Iterator<Item = regex::Captures<'_>> + '_ {
    QUERY_PARAM.find_iter(text).filter_map(move |m| {
        let rest = &text[m.start() + 1..m.end()];
        let key = &rest[..rest.find('=')?];
        if !looks_secret_param(key) {
            return None;
        }
        QUERY_PARAM.captures_at(text, m.start())
    })
}

/// The [`KEY_VALUE`] matches of `text` whose key `looks_secret`, with their
/// captures, in order: the same as filtering `captures_iter`, at a fraction
/// of the cost (`compose config` of 200 services spent 17 M of 123 M
/// instructions in captures of 6,000 matches, a handful of them secret).
/// The key is the match's leading run of key characters: what follows a
/// key (a quote, a blank, `:` or `=`) is none, so the key cannot end
/// sooner. `captures_at` the match's start finds that same match.
fn secret_key_values(text: &str) -> impl Iterator<Item = regex::Captures<'_>> + '_ {
    KEY_VALUE.find_iter(text).filter_map(move |m| {
        let key_len = text.as_bytes()[m.start()..m.end()]
            .iter()
            .take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
            .count();
        if !looks_secret(&text[m.start()..m.start() + key_len]) {
            return None;
        }
        KEY_VALUE.captures_at(text, m.start())
    })
}

/// True when `text` may hold a [`QUERY_PARAM`] match (a `?`, `&` or `;`
/// before a `=`).
fn may_hold_query(text: &str) -> bool {
    text.bytes()
        .position(|b| matches!(b, b'?' | b'&' | b';'))
        .is_some_and(|i| text.as_bytes()[i..].contains(&b'='))
}

/// `key: value`, `key=value`, `"key": "value"` (YAML, JSON, .env, logfmt).
static KEY_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?P<key>[A-Za-z_][A-Za-z0-9_.\-]*)["']?[ \t]*(?P<sep>[:=])[ \t]*(?P<val>"(?:[^"\\]|\\.)*"|'[^']*'|[^\s,}\]\[{#'"&;][^\s,}\]'"&;]*)"#,
    )
    .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});
static AUTH_SCHEME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?P<scheme>bearer|basic)[ \t]+(?P<cred>[A-Za-z0-9._~+/=\-]{8,})")
        .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});

/// True when `text` may hold an [`AUTH_SCHEME`] match: a byte scan that
/// spares the regex search on the many texts (every `.env` value) that name
/// neither scheme. Non-ASCII text goes to the regex as it is: its `(?i)`
/// folds more than ASCII case (`ſ` is an `s`).
fn names_auth_scheme(text: &str) -> bool {
    let b = text.as_bytes();
    !text.is_ascii()
        || memchr::memchr2_iter(b'b', b'B', b).any(|i| {
            b.get(i..i + 5).is_some_and(|w| {
                w.eq_ignore_ascii_case(b"basic") || w[..4].eq_ignore_ascii_case(b"bear")
            })
        })
}

/// A credential after `Bearer` or `Basic` that is one, not a word of prose
/// (`Basic authentication`, `Bearer realm`).
fn real_credential(scheme: &str, cred: &str) -> bool {
    if scheme.eq_ignore_ascii_case("basic") {
        return base64::engine::general_purpose::STANDARD
            .decode(cred)
            .is_ok_and(|d| d.contains(&b':'));
    }
    cred.bytes()
        .any(|b| b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-' | b'~' | b'+' | b'/'))
        || cred.bytes().skip(1).any(|b| b.is_ascii_uppercase())
}

fn unquote(v: &str) -> &str {
    let v = v.trim();
    if v.len() >= 2
        && ((v.starts_with('"') && v.ends_with('"')) || (v.starts_with('\'') && v.ends_with('\'')))
    {
        &v[1..v.len() - 1]
    } else {
        v
    }
}

fn decoded(v: &str) -> String {
    percent_encoding::percent_decode_str(v)
        .decode_utf8_lossy()
        .into_owned()
}

/// The literal secrets a text holds, wherever it came from (a catalogue
/// file, a `.env` value, a diagnostics source): URL passwords (as written and
/// decoded), values of secret-looking query parameters, values of
/// secret-looking keys (`password: x`, `API_KEY=x`, `"token": "x"`) and
/// `Bearer`/`Basic` credentials. Placeholders (`${X}`) are not secrets.
pub(crate) fn secrets_in_text(text: &str) -> Vec<String> {
    secrets_in(text, true)
}

/// The secrets in a catalogue's prose (a title, a remediation, manual
/// instructions): credentials in URLs and query strings and `Bearer …`
/// values, but not `word: value` pairs — "Generate each secret: python3 -c
/// …" names a command, and taking `python3` for a secret masked every
/// `python3.12` in the report.
pub(crate) fn secrets_in_prose(text: &str) -> Vec<String> {
    secrets_in(text, false)
}

fn secrets_in(text: &str, key_value: bool) -> Vec<String> {
    let mut out = Vec::new();
    // Every shape below but the auth scheme needs a `:` or a `=` (a URL's
    // `://`, a query's `=`, a `key: value`): one byte search rules them all
    // out for most values (`value-000002`), where the substring and
    // automaton searches cost ~800 instructions a value of a 100,000-line
    // `.env`.
    if memchr::memchr2(b':', b'=', text.as_bytes()).is_none() && !names_auth_scheme(text) {
        return out;
    }
    let mut push = |v: &str| {
        let v = v.trim();
        // A bare auth scheme (`Authorization: Bearer $(…)`) is not a secret.
        let scheme = matches!(
            v.to_ascii_lowercase().as_str(),
            "bearer" | "basic" | "token" | "digest" | "apikey"
        );
        if !v.is_empty()
            && !scheme
            && !v.contains("${")
            && !v.starts_with('{')
            && !v.starts_with('[')
        {
            out.push(v.to_string());
        }
    };
    if text.contains("://") {
        for c in url_creds(text) {
            let r = c.pass.clone().unwrap_or(c.user.clone());
            push(&text[r.clone()]);
            push(&decoded(&text[r]));
        }
    }
    if may_hold_query(text) {
        for c in secret_query_params(text) {
            push(&c["val"]);
            push(&decoded(&c["val"]));
        }
    }
    if key_value && (text.contains(':') || text.contains('=')) && may_name_secret(text) {
        for c in secret_key_values(text) {
            let v = unquote(&c["val"]);
            for s in header_secrets(&c["key"], v) {
                push(&s);
            }
        }
    }
    if names_auth_scheme(text) {
        for c in AUTH_SCHEME.captures_iter(text) {
            if real_credential(&c["scheme"], &c["cred"]) {
                push(&c["cred"]);
            }
        }
    }
    out
}

/// A command line as it may be shown: the value after a secret-looking flag
/// (`--password X`, `--token=X`, `--api-key X`) is masked, the rest kept.
pub(crate) fn mask_argv(argv: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(argv.len());
    let mut hide_next = false;
    for a in argv {
        if hide_next {
            out.push(MASK.to_string());
            hide_next = false;
            continue;
        }
        let flag = a.starts_with('-') && a.len() > 1;
        match a.split_once('=') {
            Some((name, _)) if flag && looks_secret(name.trim_start_matches('-')) => {
                out.push(format!("{name}={MASK}"));
            }
            None if flag && looks_secret(a.trim_start_matches('-')) => {
                out.push(a.clone());
                hide_next = true;
            }
            _ => out.push(a.clone()),
        }
    }
    out
}

/// The forms a secret can reappear in: as is, URL- and form-encoded,
/// JSON-escaped, and base64 (standard and URL-safe) at each of the three byte
/// alignments it can have inside a longer encoded text (`user:pass` in a
/// Basic header, a token inside a JWT payload). Each base64 form drops the
/// edge characters that depend on the neighbouring bytes.
pub(crate) fn forms(value: &str) -> Vec<String> {
    const ENC: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    let mut out = Vec::with_capacity(12);
    out.push(value.to_string());
    // Bytes no encoder changes (letters, digits, `-._`, most generated
    // secrets): the URL, form and JSON forms are the value itself.
    let plain = value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    if !plain {
        let pct = percent_encoding::utf8_percent_encode(value, ENC).to_string();
        out.push(pct.to_ascii_lowercase_hex());
        out.push(pct);
        out.push(url::form_urlencoded::byte_serialize(value.as_bytes()).collect());
        if let Ok(json) = serde_json::to_string(value) {
            out.push(json[1..json.len() - 1].to_string());
        }
    }
    // Strict encoders (Rust's `NON_ALPHANUMERIC`, JavaScript's `escape`
    // family, some proxies' logs) also write `-._~` as `%2D`, `%2E`, `%5F`,
    // `%7E`.
    if value
        .bytes()
        .any(|b| matches!(b, b'-' | b'.' | b'_' | b'~'))
    {
        let strict = percent_encode_strict(value);
        out.push(strict.to_ascii_lowercase_hex());
        out.push(strict);
    }
    let std = &base64::engine::general_purpose::STANDARD;
    out.push(std.encode(value));
    let mut bytes = Vec::with_capacity(value.len() + 2);
    let mut enc = String::new();
    for k in 0..3usize {
        bytes.clear();
        bytes.resize(k, 0);
        bytes.extend_from_slice(value.as_bytes());
        encode_b64(std, &bytes, &mut enc);
        let enc = enc.trim_end_matches('=');
        let front = [0, 2, 3][k];
        let back = usize::from(bytes.len() % 3 != 0);
        if enc.len() >= front + back + MIN_B64_FRAGMENT {
            let fragment = &enc[front..enc.len() - back];
            // The URL-safe alphabet differs from the standard one in these
            // two characters only (same positions, same padding).
            if fragment.contains(['+', '/']) {
                out.push(fragment.replace('+', "-").replace('/', "_"));
            }
            out.push(fragment.to_string());
        }
    }
    out.sort();
    out.dedup();
    out.retain(|f| char_count(f) >= MIN_SECRET_LEN);
    out
}

/// `value` percent-encoded with `percent_encoding::NON_ALPHANUMERIC` (every
/// byte but ASCII letters and digits as `%XX`), in one pass into a buffer
/// of the right size: the crate's iterator, collected into a string, cost
/// ~2,000 instructions for a 34-byte secret.
fn percent_encode_strict(value: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let extra = value.bytes().filter(|b| !b.is_ascii_alphanumeric()).count();
    let mut out = String::with_capacity(value.len() + 2 * extra);
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    out
}

/// `str::chars().count()`, with ASCII text (nearly every form) counted by
/// its length.
fn char_count(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

/// `engine.encode_string(bytes, out)` into a cleared `out`, through
/// `encode_slice`: the string encoder goes through a chunked writer that
/// cost ~600 instructions a call, three calls for every registered secret.
fn encode_b64(engine: &impl base64::Engine, bytes: &[u8], out: &mut String) {
    out.clear();
    let Some(len) = base64::encoded_len(bytes.len(), true) else {
        return engine.encode_string(bytes, out);
    };
    let mut buf = std::mem::take(out).into_bytes();
    buf.resize(len, 0);
    match engine.encode_slice(bytes, &mut buf) {
        Ok(n) => {
            buf.truncate(n);
            // base64 is ASCII: this cannot fail, and falls back if it did.
            *out = String::from_utf8(buf).unwrap_or_default();
            if out.len() != n {
                out.clear();
                engine.encode_string(bytes, out);
            }
        }
        Err(_) => engine.encode_string(bytes, out),
    }
}

trait LowerHex {
    fn to_ascii_lowercase_hex(&self) -> String;
}

impl LowerHex for String {
    /// `%2F` → `%2f`: some encoders write lower-case hex digits.
    fn to_ascii_lowercase_hex(&self) -> String {
        // Percent-encoded text is ASCII: lower-case the two bytes after
        // each `%` in place (a copy, then `memchr` for the `%`).
        if self.is_ascii() {
            let mut out = self.clone();
            let mut from = 0;
            while let Some(at) = memchr::memchr(b'%', &out.as_bytes()[from..]) {
                let start = from + at + 1;
                let end = (start + 2).min(out.len());
                out[start..end].make_ascii_lowercase();
                from = start;
            }
            return out;
        }
        lowercase_hex_by_chars(self)
    }
}

/// The two characters after each `%` lower-cased, character by character:
/// the general case of [`LowerHex`] (and the reference its ASCII path is
/// tested against).
fn lowercase_hex_by_chars(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut after_pct = 0;
    for c in s.chars() {
        if c == '%' {
            after_pct = 2;
            out.push(c);
        } else if after_pct > 0 {
            after_pct -= 1;
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A set of secret values plus the shape rules. Shared by the whole run;
/// values can be added while checks run (captures, secret-store reads).
///
/// Known values (in all their [`forms`]) are found leftmost-longest, so a
/// secret that contains another is masked whole, by one of two searches over
/// the same forms:
/// - a hash table of the forms with a rolling hash over the text, one probe
///   per text position and distinct form length. Registering a form is one
///   hash and one insert, so registering 10,000 secrets costs what reading
///   them costs, and values added during the run need no rebuild;
/// - an Aho-Corasick automaton, linear in the text whatever the number of
///   lengths, but costly to build (~300 instructions per byte of forms; for
///   10,000 secrets it was 40% of a whole `.env` check run while the report
///   to mask was a few hundred bytes).
///
/// The automaton is built only once the hash searches since the last change
/// have done as much work as building it would ("ski rental"), so the total
/// is never more than about twice the better of the two choices made with
/// hindsight: a small report pays a few probes, a 100,000-check report gets
/// the automaton after the first few thousand strings.
#[derive(Debug, Default)]
pub(crate) struct Redactor {
    inner: RwLock<Values>,
}

/// Probes (text bytes × distinct form lengths) that buy one byte of
/// automaton: a probe costs ~20 instructions, a byte of automaton ~300.
const PROBES_PER_AUTOMATON_BYTE: u64 = 16;

#[derive(Debug, Default)]
struct Values {
    /// The values registered (each once).
    seen: HashSet<String, foldhash::fast::RandomState>,
    /// Every distinct form, in registration order.
    forms: Vec<String>,
    /// Total bytes of `forms`.
    bytes: u64,
    /// Form key ([`form_key`]) → index in `forms`.
    table: HashMap<u64, u32, BuildHasherDefault<KeyHasher>>,
    /// Further forms whose key is taken by another form (a 64-bit hash
    /// collision: practically never, but the search must stay exact).
    collided: HashMap<u64, Vec<u32>, BuildHasherDefault<KeyHasher>>,
    /// Distinct form lengths, longest first, each with `HASH_BASE^len`.
    lengths: Vec<(usize, u64)>,
    /// The automaton over `forms`, once the searches have paid for it.
    matcher: Option<Arc<AhoCorasick>>,
    /// Hash-search probes since the last change of `forms`.
    probes: AtomicU64,
}

/// The table's keys are already mixed ([`form_key`]): hashing them again
/// would only cost time.
#[derive(Debug, Default)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = x;
    }
}

/// The rolling hash's base (odd, so every power is invertible mod 2^64).
const HASH_BASE: u64 = 0x0100_0000_01b3;

/// The rolling hash of `bytes` (each byte + 1, so leading NULs count).
fn rolling(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0u64, |h, b| {
        h.wrapping_mul(HASH_BASE).wrapping_add(u64::from(*b) + 1)
    })
}

/// A table key from a rolling hash and its length, mixed (murmur3's
/// finaliser) so that every bit of the key depends on every byte.
fn form_key(hash: u64, len: usize) -> u64 {
    let mut x = hash ^ (len as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

impl Values {
    /// Adds `form`, whose [`form_key`] is `key` (computed by the caller,
    /// perhaps on another thread: hashing every form under the write lock
    /// was half of registering a large file's secrets).
    fn insert(&mut self, form: String, key: u64) {
        let len = form.len();
        let index = u32::try_from(self.forms.len()).unwrap_or(u32::MAX);
        match self.table.get(&key) {
            None => {
                self.table.insert(key, index);
            }
            Some(&i) if self.forms[i as usize] == form => return,
            Some(_) => {
                let others = self.collided.entry(key).or_default();
                if others.iter().any(|&i| self.forms[i as usize] == form) {
                    return;
                }
                others.push(index);
            }
        }
        if let Err(at) = self.lengths.binary_search_by(|(l, _)| len.cmp(l)) {
            let pow = (0..len).fold(1u64, |p, _| p.wrapping_mul(HASH_BASE));
            self.lengths.insert(at, (len, pow));
        }
        self.bytes += len as u64;
        self.forms.push(form);
        // The forms changed: an automaton would have to be rebuilt, and
        // must be paid for again.
        self.matcher = None;
        *self.probes.get_mut() = 0;
    }

    /// True when `text[at..at + len]` (hash `hash`) is a form.
    fn is_form(&self, text: &[u8], at: usize, len: usize, hash: u64) -> bool {
        let key = form_key(hash, len);
        let found = |i: u32| self.forms[i as usize].as_bytes() == &text[at..at + len];
        match self.table.get(&key) {
            None => false,
            Some(&i) if found(i) => true,
            Some(_) => self
                .collided
                .get(&key)
                .is_some_and(|others| others.iter().any(|&i| found(i))),
        }
    }

    /// The forms in `text`, leftmost-longest, by the hash table.
    fn hash_search(&self, text: &str, out: &mut Vec<std::ops::Range<usize>>) {
        let Some(&(shortest, _)) = self.lengths.last() else {
            return;
        };
        let bytes = text.as_bytes();
        let n = bytes.len();
        if n < shortest {
            return;
        }
        self.probes.fetch_add(
            (n as u64).saturating_mul(self.lengths.len() as u64),
            Ordering::Relaxed,
        );
        // prefix[i] is the rolling hash of bytes[..i].
        let mut prefix = Vec::with_capacity(n + 1);
        prefix.push(0u64);
        let mut h = 0u64;
        for b in bytes {
            h = h.wrapping_mul(HASH_BASE).wrapping_add(u64::from(*b) + 1);
            prefix.push(h);
        }
        let mut at = 0;
        'text: while at + shortest <= n {
            let left = n - at;
            // Longest first: the first form found here is the longest one.
            let from = self.lengths.partition_point(|(l, _)| *l > left);
            for &(len, pow) in &self.lengths[from..] {
                let hash = prefix[at + len].wrapping_sub(prefix[at].wrapping_mul(pow));
                if self.is_form(bytes, at, len, hash) {
                    out.push(at..at + len);
                    at += len;
                    continue 'text;
                }
            }
            at += 1;
        }
    }

    /// True when the hash searches, with the one about to search `text`,
    /// do the automaton's worth of work (so one huge text gets the
    /// automaton at once rather than a probe per byte and length).
    fn automaton_paid(&self, text: &str) -> bool {
        let upcoming = (text.len() as u64).saturating_mul(self.lengths.len() as u64);
        self.matcher.is_none()
            && !self.forms.is_empty()
            && self.probes.load(Ordering::Relaxed).saturating_add(upcoming)
                >= self.bytes.saturating_mul(PROBES_PER_AUTOMATON_BYTE)
    }
}

/// A secret value with its [`forms`], ready for [`Redactor::add_prepared`].
#[derive(Debug)]
pub(crate) struct Prepared {
    value: String,
    /// Each form with its [`form_key`].
    forms: Vec<(String, u64)>,
}

impl Prepared {
    /// `None` for values never worth masking (shorter than
    /// `MIN_SECRET_LEN`, booleans and the like): what [`Redactor::add`]
    /// would ignore.
    pub(crate) fn new(value: String) -> Option<Prepared> {
        if value.chars().count() < MIN_SECRET_LEN || trivial_value(&value) {
            return None;
        }
        let forms = forms(&value)
            .into_iter()
            .map(|f| {
                let key = form_key(rolling(f.as_bytes()), f.len());
                (f, key)
            })
            .collect();
        Some(Prepared { value, forms })
    }
}

impl Redactor {
    /// A redactor that masks `values` (and the usual shapes).
    pub(crate) fn with_values(values: impl IntoIterator<Item = String>) -> Self {
        let r = Redactor::default();
        for v in values {
            r.add(v);
        }
        r
    }

    /// Registers a secret value in all its [`forms`].
    pub(crate) fn add(&self, value: impl Into<String>) {
        if let Some(p) = Prepared::new(value.into()) {
            self.add_prepared(vec![p]);
        }
    }

    /// Registers values whose forms were computed beforehand, perhaps on
    /// other threads ([`Prepared::new`]), under one write lock: a
    /// 100,000-line `.env` registers ~10,000 secrets, and their forms were
    /// a quarter of its check.
    pub(crate) fn add_prepared(&self, prepared: Vec<Prepared>) {
        if prepared.is_empty() {
            return;
        }
        let mut values = self.inner.write().unwrap_or_else(|e| e.into_inner());
        // Room for all at once: growing the tables step by step was a
        // quarter of registering 10,000 secrets.
        let forms = prepared.iter().map(|p| p.forms.len()).sum();
        values.seen.reserve(prepared.len());
        values.forms.reserve(forms);
        values.table.reserve(forms);
        for p in prepared {
            if !values.seen.insert(p.value) {
                continue;
            }
            for (f, key) in p.forms {
                values.insert(f, key);
            }
        }
    }

    /// The number of registered forms (for tests and measurements).
    #[cfg(test)]
    pub(crate) fn forms_registered(&self) -> usize {
        let v = self.inner.read().unwrap_or_else(|e| e.into_inner());
        v.forms.len()
    }

    /// True once the automaton has been built (for tests and measurements).
    #[cfg(test)]
    pub(crate) fn automaton_built(&self) -> bool {
        let v = self.inner.read().unwrap_or_else(|e| e.into_inner());
        v.matcher.is_some()
    }

    /// Returns `text` with every known secret and credential shape masked.
    pub(crate) fn mask(&self, text: &str) -> String {
        self.mask_with(text, false)
    }

    /// Like [`Redactor::mask`], but each masked character becomes one `*`, so
    /// columns stay where they were (diagnostic carets under a source line).
    pub(crate) fn mask_keep_width(&self, text: &str) -> String {
        self.mask_with(text, true)
    }

    fn mask_with(&self, text: &str, keep_width: bool) -> String {
        let mut ranges = Vec::new();
        if self
            .inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .automaton_paid(text)
        {
            let mut v = self.inner.write().unwrap_or_else(|e| e.into_inner());
            if v.automaton_paid(text) {
                // A contiguous NFA, not the builder's automatic choice: for
                // a few dozen forms it picks a DFA, whose construction cost
                // 15 M instructions in the bundled catalogue's files-only
                // run (13% of it) to mask a report of a few kilobytes.
                // The NFA is what `PROBES_PER_AUTOMATON_BYTE` was measured
                // on; it finds the same leftmost-longest matches.
                v.matcher = AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .kind(Some(AhoCorasickKind::ContiguousNFA))
                    .build(&v.forms)
                    .ok()
                    .map(Arc::new);
            }
        }
        {
            let v = self.inner.read().unwrap_or_else(|e| e.into_inner());
            match v.matcher.as_ref().map(|m| m.try_find_iter(text)) {
                Some(Ok(it)) => ranges.extend(it.map(|x| x.range())),
                // No automaton yet (or one refusing the search): the table.
                _ => v.hash_search(text, &mut ranges),
            }
        }
        let known = replace_ranges(text, ranges, keep_width);
        replace_ranges(&known, shape_ranges(&known), keep_width)
    }
}

/// Replaces the (possibly overlapping) byte ranges of `text` by [`MASK`], or
/// by one `*` per character.
fn replace_ranges(text: &str, mut ranges: Vec<std::ops::Range<usize>>, keep_width: bool) -> String {
    if ranges.is_empty() {
        return text.to_string();
    }
    ranges.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    let mut i = 0;
    while i < ranges.len() {
        let start = ranges[i].start.max(pos);
        let mut end = ranges[i].end;
        i += 1;
        while i < ranges.len() && ranges[i].start <= end {
            end = end.max(ranges[i].end);
            i += 1;
        }
        if start >= end || !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            continue;
        }
        out.push_str(&text[pos..start]);
        if keep_width {
            out.extend(std::iter::repeat_n('*', text[start..end].chars().count()));
        } else {
            out.push_str(MASK);
        }
        pos = end;
    }
    out.push_str(&text[pos..]);
    out
}

/// Byte ranges of credential shapes in `text`, whoever wrote them.
fn shape_ranges(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    if text.contains("://") {
        for c in url_creds(text) {
            out.push(c.pass.unwrap_or(c.user));
        }
    }
    if may_hold_query(text) {
        for c in secret_query_params(text) {
            if let Some(v) = c.name("val") {
                out.push(v.range());
            }
        }
    }
    if (text.contains(':') || text.contains('=')) && may_name_secret(text) {
        for c in secret_key_values(text) {
            let (Some(key), Some(val)) = (c.name("key"), c.name("val")) else {
                continue;
            };
            let line_start = text[..key.start()].rfind('\n').map_or(0, |i| i + 1);
            // Line prefixes of verbose HTTP tools (`> ` of curl -v) and lists count as the start.
            let at_line_start = text[line_start..key.start()]
                .chars()
                .all(|c| c.is_whitespace() || matches!(c, '>' | '<' | '*' | '-' | '|' | '#'));
            let quoted_key = text[..key.start()].ends_with('"');
            let mut r = val.range();
            // Strip quotes so the masked value keeps them.
            let v = val.as_str();
            let quoted = v.len() >= 2 && (v.starts_with('"') || v.starts_with('\''));
            if quoted {
                r = r.start + 1..r.end - 1;
            }
            match &c["sep"] {
                "=" => out.push(r),
                // A header line (`Authorization: Bearer x`, `password: x` in
                // YAML): the rest of the line.
                // `file:2:1` is a location, not a header: YAML and headers
                // put a space after the colon.
                _ if quoted => out.push(r),
                _ if at_line_start
                    && c.name("sep")
                        .is_some_and(|m| text[m.end()..].starts_with([' ', '\t'])) =>
                {
                    let eol = text[r.start..]
                        .find('\n')
                        .map_or(text.len(), |i| r.start + i);
                    let end = r.start + text[r.start..eol].trim_end().len();
                    out.push(r.start..end.max(r.end.min(eol)));
                }
                _ if quoted_key => out.push(r),
                _ => {}
            }
        }
    }
    if names_auth_scheme(text) {
        for c in AUTH_SCHEME.captures_iter(text) {
            if real_credential(&c["scheme"], &c["cred"])
                && let Some(m) = c.name("cred")
            {
                out.push(m.range());
            }
        }
    }
    // Already masked (a keep-width mask is all stars): leave it as it is.
    out.retain(|r| r.start < r.end && !text[r.clone()].bytes().all(|b| b == b'*'));
    out
}

/// Masks credentials in URLs/DSNs, whoever wrote them.
pub(crate) fn mask_shapes(text: &str) -> String {
    replace_ranges(text, shape_ranges(text), false)
}

#[cfg(test)]
mod tests {
    /// The find-then-capture iterators give what filtering `captures_iter`
    /// gives (the way they were written before), match for match, on texts
    /// with secret and plain keys in every separator and quoting form.
    #[test]
    fn secret_match_iterators_equal_filtered_captures() {
        let mut texts: Vec<String> = vec![
            "password: hunter2\nuser: bob\n\"token\": \"abc\" api_key=x1 k.e-y=v".into(),
            "DB_PASSWORD='p w'\nx=1;secret = \"a\\\"b\" a: b: c password:x\n".into(),
            "https://h/p?user=a&password=b;token=c=d&x=[1]&access_token=e#f".into(),
            "services:\n  app:\n    environment:\n      JWT__SECRET_KEY: s3cret\n      LOG: info\n"
                .into(),
            "é: 1 passwordé: 2 _secret:3 -token: 4 9key=5 ?p=1&=2&secret=".into(),
        ];
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/dotmac/broken");
        for name in [
            "docker-compose.production.yml",
            "docker-compose.base.yml",
            ".env.production",
            ".env",
        ] {
            if let Ok(t) = std::fs::read_to_string(dir.join(name)) {
                texts.push(t);
            }
        }
        assert!(texts.len() >= 9, "the DotMac fixture files are read");
        let spans = |c: regex::Captures<'_>| -> Vec<Option<std::ops::Range<usize>>> {
            c.iter().map(|m| m.map(|m| m.range())).collect()
        };
        let mut secret = 0;
        for t in &texts {
            let want: Vec<_> = super::KEY_VALUE
                .captures_iter(t)
                .filter(|c| super::looks_secret(&c["key"]))
                .map(spans)
                .collect();
            let got: Vec<_> = super::secret_key_values(t).map(spans).collect();
            assert_eq!(got, want, "{t:?}");
            secret += got.len();
            let want: Vec<_> = super::QUERY_PARAM
                .captures_iter(t)
                .filter(|c| super::looks_secret_param(&c["key"]))
                .map(spans)
                .collect();
            let got: Vec<_> = super::secret_query_params(t).map(spans).collect();
            assert_eq!(got, want, "{t:?}");
            secret += got.len();
        }
        assert!(secret >= 10, "{secret}");
    }

    /// The fast paths of the masking forms against their references: the
    /// base64 crate's `encode_string`, the percent-encoding crate, and the
    /// character loop that lower-cases the two characters after each `%`.
    #[test]
    fn form_helpers_match_their_references() {
        use base64::Engine as _;
        let std = &base64::engine::general_purpose::STANDARD;
        let mut out = String::from("left over");
        for len in 0..70usize {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            super::encode_b64(std, &bytes, &mut out);
            assert_eq!(out, std.encode(&bytes), "{len} bytes");
        }
        for s in [
            "",
            "%",
            "%A",
            "%AB",
            "%ABC",
            "%%AB",
            "A%2FB%3DC",
            "%2F%",
            "no percent",
            "%E9t%C3%A9",
            "%Zé%ÀB",
            "x%%%FF",
        ] {
            assert_eq!(
                super::LowerHex::to_ascii_lowercase_hex(&s.to_string()),
                super::lowercase_hex_by_chars(s),
                "{s:?}"
            );
        }
        for v in [
            "",
            "plain",
            "s3cr3t-000010-9f2c",
            "a b/c?d=e&f",
            "é€😀",
            "-._~%+\u{7f}\u{1}",
        ] {
            assert_eq!(
                super::percent_encode_strict(v),
                percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
                    .to_string(),
                "{v:?}"
            );
        }
        assert_eq!(super::char_count("héllo"), 5);
        assert_eq!(super::char_count("hello"), 5);
    }

    use super::*;

    #[test]
    fn prose_names_no_secret_by_a_colon() {
        let text = r#"Generate each secret: python3 -c "import secrets; print(secrets.token_urlsafe(32))""#;
        assert_eq!(secrets_in_text(text), vec!["python3".to_string()]);
        assert!(secrets_in_prose(text).is_empty());
        // A credential in a URL or a bearer token is a secret in prose too.
        assert_eq!(
            secrets_in_prose("see https://ops:s3cr3t-Pa55@vault.example.com/ui"),
            vec!["s3cr3t-Pa55".to_string(), "s3cr3t-Pa55".to_string()]
        );
    }

    #[test]
    fn masks_known_values_longest_first() {
        let r = Redactor::with_values(["hunter2hunter2".to_string(), "hunter2".to_string()]);
        assert_eq!(r.mask("a hunter2hunter2 b hunter2"), "a **** b ****");
    }

    #[test]
    fn masks_overlapping_and_late_values() {
        let r = Redactor::with_values(["abcdef".to_string(), "defghi".to_string()]);
        assert_eq!(r.mask("x abcdefghi y defghi"), "x ****ghi y ****");
        // A value added after a mask (a capture during the run) is masked too.
        r.add("late-secret-value");
        assert_eq!(r.mask("got late-secret-value"), "got ****");
        let n = r.forms_registered();
        r.add("late-secret-value");
        assert_eq!(r.forms_registered(), n);
    }

    #[test]
    fn masks_thousands_of_values() {
        let r = Redactor::with_values((0..20_000).map(|i| format!("secret-{i:05}-value")));
        let text: String = (0..20_000)
            .map(|i| format!("line {i}: secret-{i:05}-value\n"))
            .collect();
        let masked = r.mask(&text);
        assert!(!masked.contains("secret-"), "{}", &masked[..200]);
        assert_eq!(masked.matches(MASK).count(), 20_000);
    }

    /// The hash table serves small reports; the automaton, built once the
    /// searches have paid for it, must mask exactly as the table did.
    #[test]
    fn table_and_automaton_mask_alike() {
        use base64::engine::general_purpose::STANDARD;
        let mut values: Vec<String> = (0..300)
            .map(|i| format!("sec{i}-{}", "x".repeat(i % 17)))
            .collect();
        values.extend(["p@ss/w0rd+x y", "abcdef", "defghi", "hunter2hunter2"].map(String::from));
        let lines: Vec<String> = values
            .iter()
            .map(|v| {
                format!(
                    "raw {v} basic {} form {} near abcdefghi hunter2hunter2hunter2 ok\n",
                    STANDARD.encode(format!("user:{v}")),
                    url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
                )
            })
            .collect();
        // Secrets that never appear make the automaton costly, so the
        // table serves every line below.
        values.extend((0..5000).map(|i| format!("unused-secret-{i}")));
        let r = Redactor::with_values(values);
        let by_table: Vec<String> = lines.iter().map(|l| r.mask(l)).collect();
        assert!(!r.automaton_built());
        assert!(
            by_table
                .iter()
                .all(|l| !l.contains("sec") && !l.contains("abcdef")),
            "{}",
            by_table[1]
        );
        let whole = lines.concat();
        let mut n = 0;
        while !r.automaton_built() {
            r.mask(&whole);
            n += 1;
            assert!(n < 100, "the automaton was never built");
        }
        let by_automaton: Vec<String> = lines.iter().map(|l| r.mask(l)).collect();
        assert_eq!(by_automaton, by_table);
        // A value added later drops the automaton and is masked at once.
        r.add("late-value-1234");
        assert!(!r.automaton_built());
        assert_eq!(r.mask("x late-value-1234 sec7-xxxxxxx"), "x **** ****");
        // One text worth more probes than the automaton gets it at once.
        let r = Redactor::with_values(["hunter2hunter2".to_string()]);
        assert_eq!(
            r.mask(&"ab hunter2hunter2 ".repeat(500)),
            "ab **** ".repeat(500)
        );
        assert!(r.automaton_built());
    }

    #[test]
    fn masks_url_and_dsn_credentials() {
        let r = Redactor::default();
        assert_eq!(
            r.mask("postgres://app:s3cr3t@db:5432/app"),
            "postgres://app:****@db:5432/app"
        );
        assert_eq!(
            r.mask("redis://:pw1234@127.0.0.1:6379"),
            "redis://:****@127.0.0.1:6379"
        );
        assert_eq!(
            r.mask("host=db user=app password=s3cr3t dbname=x"),
            "host=db user=app password=**** dbname=x"
        );
    }

    #[test]
    fn leaves_short_values_and_plain_urls_alone() {
        let r = Redactor::with_values(["no".to_string()]);
        assert_eq!(r.mask("https://example.com/no"), "https://example.com/no");
    }

    #[test]
    fn secret_headers_give_the_value_and_the_credential() {
        assert_eq!(
            header_secrets("Authorization", "Bearer abcd1234"),
            vec!["Bearer abcd1234".to_string(), "abcd1234".to_string()]
        );
        assert_eq!(header_secrets("X-Api-Key", "k3y"), vec!["k3y".to_string()]);
        assert!(header_secrets("Accept", "application/json").is_empty());
        assert!(header_secrets("Authorization", "Bearer ${token}").is_empty());
    }

    #[test]
    fn masks_argv_after_secret_flags() {
        let argv: Vec<String> = [
            "mysql",
            "--password",
            "hunter22",
            "--user=app",
            "--token=abc123",
            "-h",
            "db",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            mask_argv(&argv).join(" "),
            "mysql --password **** --user=app --token=**** -h db"
        );
    }

    #[test]
    fn recognises_secret_names() {
        for n in [
            "POSTGRES_PASSWORD",
            "JWT_SECRET",
            "VAULT_TOKEN",
            "MINIO_SECRET_KEY",
            "api_key",
            "X-Api-Key",
            "Authorization",
        ] {
            assert!(looks_secret(n), "{n}");
        }
        for n in ["ENVIRONMENT", "DATABASE__HOST", "VAULT__ENABLED"] {
            assert!(!looks_secret(n), "{n}");
        }
    }

    #[test]
    fn recognises_the_names_the_old_heuristic_missed() {
        for n in [
            "MYSQL_PWD",
            "DBPWD",
            "Ocp-Apim-Subscription-Key",
            "OPENAI_API_KEY",
            "apiKey",
            "accessToken",
            "X-Hub-Signature-256",
            "X-Amz-Credential",
            "GOOGLE_APPLICATION_CREDENTIALS",
            "NOTIFICATIONS__TWILIO_AUTH_TOKEN",
            "X-Vault-Token",
            "BASIC_AUTH",
            "Proxy-Authorization",
            "Cookie",
            "ENCRYPTION_KEY",
            "AZURE_STORAGE_ACCOUNT_KEY",
            "requirepass",
            "DB_PASS",
        ] {
            assert!(looks_secret(n), "{n}");
        }
    }

    /// Regression: names from DotMac's `.env` examples that describe a secret
    /// (and hold `15`, `admin`, `1812`, `false`, a URL) must not turn their
    /// values into masks everywhere.
    #[test]
    fn ordinary_names_are_not_secret() {
        for n in [
            "PWD",
            "OLDPWD",
            "ACCESS_TOKEN_EXPIRE_MINUTES",
            "JWT_REFRESH_TOKEN_EXPIRE_DAYS",
            "MONGO_AUTH_SOURCE",
            "RADIUS_AUTH_PORT",
            "SECURE_COOKIES",
            "SECURITY__PASSWORD_MIN_LENGTH",
            "SECURITY__PASSWORD_REQUIRE_DIGITS",
            "SECURITY__SESSION_TIMEOUT_MINUTES",
            "NEXTAUTH_URL",
            "NOTIFICATIONS__FCM_CREDENTIALS_PATH",
            "REDIS_PASSWORD_FILE",
            "AWS_ACCESS_KEY_ID",
            "JWT_ALGORITHM",
            "VAULT_MOUNT_POINT",
            "AUTHOR",
            "TOKENIZERS_PARALLELISM",
            "PRIMARY_KEY",
            "authSource",
            "authMechanism",
        ] {
            assert!(!looks_secret(n), "{n}");
        }
    }

    #[test]
    fn registers_encoded_and_base64_forms() {
        use base64::engine::general_purpose::STANDARD;
        let secret = "p@ss/w0rd+x y";
        let r = Redactor::with_values([secret.to_string()]);
        let basic = STANDARD.encode(format!("someone:{secret}"));
        for shown in [
            secret.to_string(),
            percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC)
                .to_string(),
            url::form_urlencoded::byte_serialize(secret.as_bytes()).collect(),
            STANDARD.encode(secret),
            basic.clone(),
            STANDARD.encode(format!("ab{secret}cd")),
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("x{secret}")),
        ] {
            let masked = r.mask(&format!("echo: {shown} end"));
            assert!(masked.contains(MASK), "{shown} → {masked}");
            // Only the user part and the edge characters of a base64 form remain.
            let left = masked
                .replace("echo: ", "")
                .replace(" end", "")
                .replace(MASK, "");
            let allowed = if shown == basic { 12 } else { 8 };
            assert!(left.len() <= allowed, "{shown} → {masked}");
        }
        assert_eq!(r.mask("an ordinary sentence"), "an ordinary sentence");
    }

    #[test]
    fn booleans_are_never_masked_by_value() {
        let r = Redactor::with_values(["false".to_string(), "true".to_string()]);
        assert_eq!(
            r.mask("enabled: false, debug: true"),
            "enabled: false, debug: true"
        );
    }

    #[test]
    fn masks_dsn_passwords_with_unencoded_slash_and_at() {
        let r = Redactor::default();
        assert_eq!(
            r.mask("DATABASE_URL is postgres://app:pa/ss@w0rd@db:5432/app now"),
            "DATABASE_URL is postgres://app:****@db:5432/app now"
        );
        assert_eq!(
            r.mask("mysql://root:a@b/c@127.0.0.1/x"),
            "mysql://root:****@127.0.0.1/x"
        );
        assert_eq!(
            secrets_in_text("x=postgres://app:p%40ss%2Fw@db/app"),
            vec!["p%40ss%2Fw".to_string(), "p@ss/w".to_string()]
        );
        // Paths with an `@` are not credentials.
        for plain in [
            "https://medium.com/@someone/post",
            "https://host:8080/path/@x",
            "ssh://git@github.com/a/b",
        ] {
            assert_eq!(r.mask(plain), plain);
        }
    }

    #[test]
    fn masks_secret_query_values_and_headers_lines() {
        let r = Redactor::default();
        assert_eq!(
            r.mask("GET https://api/x?page=2&access_token=abc123def&api_key=k3y9&sig=zz99zz"),
            "GET https://api/x?page=2&access_token=****&api_key=****&sig=****"
        );
        assert_eq!(
            r.mask("mongodb://h/db?authSource=admin&replicaSet=rs0"),
            "mongodb://h/db?authSource=admin&replicaSet=rs0"
        );
        assert_eq!(
            r.mask("HTTP/1.1 401\nAuthorization: Bearer abc.def.ghi\nX-Other: 1"),
            "HTTP/1.1 401\nAuthorization: ****\nX-Other: 1"
        );
        assert_eq!(
            r.mask("> Authorization: Digest u=1\n  x-api-key: k3yk3y\nAccept: */*"),
            "> Authorization: ****\n  x-api-key: ****\nAccept: */*"
        );
        assert_eq!(r.mask("MYSQL_PWD=hunter22 ok"), "MYSQL_PWD=**** ok");
        assert_eq!(
            r.mask("  DB_PASSWORD: \"a b c\"\n"),
            "  DB_PASSWORD: \"****\"\n"
        );
        // A diagnostic location is not a header line.
        assert_eq!(r.mask("  --> credentials:2:1"), "  --> credentials:2:1");
        assert_eq!(
            r.mask("use Basic authentication or a Bearer realm"),
            "use Basic authentication or a Bearer realm"
        );
    }

    #[test]
    fn finds_literal_secrets_in_a_catalogue_line() {
        let text = r#"
    url: https://u:hunter22@api/x?api_key=k3y-1234
    headers: {Authorization: "Bearer tok-5678-abcd", Accept: json}
    password: "${PG_PASSWORD}"
    token: {json: $.access_token}
"#;
        let found = secrets_in_text(text);
        for s in [
            "hunter22",
            "k3y-1234",
            "tok-5678-abcd",
            "Bearer tok-5678-abcd",
        ] {
            assert!(found.contains(&s.to_string()), "{s}: {found:?}");
        }
        assert!(
            !found.iter().any(|s| s.contains("${") || s.contains("json")),
            "{found:?}"
        );
    }

    #[test]
    fn keep_width_masking_keeps_columns() {
        let r = Redactor::with_values(["hunter22".to_string()]);
        assert_eq!(r.mask_keep_width("pw: hunter22 # x"), "pw: ******** # x");
    }

    #[test]
    fn late_values_are_masked_and_merged() {
        let r = Redactor::with_values(["base-secret-1".to_string()]);
        assert_eq!(r.mask("base-secret-1"), MASK);
        for i in 0..200 {
            r.add(format!("late-secret-{i:03}"));
            assert_eq!(
                r.mask(&format!("x late-secret-{i:03} base-secret-1")),
                "x **** ****"
            );
        }
        assert_eq!(r.mask("late-secret-007"), MASK);
    }

    /// The byte scan in front of the key/value search must never skip a
    /// name `looks_secret` accepts: checked on names built from every word
    /// the classifier knows, in three spellings, and on real variable names.
    #[test]
    fn the_secret_name_prefilter_never_skips_a_secret_name() {
        let words = [
            "PASS",
            "PASSWD",
            "PWD",
            "PASSPHRASE",
            "AUTH",
            "AUTHORIZATION",
            "DSN",
            "SALT",
            "CREDENTIAL",
            "CREDENTIALS",
            "CREDS",
            "SIGNATURE",
            "APIKEY",
            "JWT",
            "PSK",
            "SECRETS",
            "PASSWORD",
            "DBPASSWORD",
            "SECRET",
            "CLIENTSECRET",
            "TOKEN",
            "AUTHTOKEN",
            "TOKENS",
            "MYPWD",
            "USERPASS",
            "PRIVATEKEY",
            "ACCESSKEY",
            "KEY",
            "API",
            "ACCESS",
            "PRIVATE",
            "SESSION",
            "SIGNING",
            "SUBSCRIPTION",
            "MASTER",
            "HMAC",
            "FERNET",
            "CLIENT",
            "WEBHOOK",
            "COOKIE",
            "SET",
            "ID",
            "FILE",
            "HOST",
            "DATABASE",
            "URL",
            "REDIS",
            "MINIO",
            "ROOT",
            "USER",
            "APP",
        ];
        let mut checked = 0;
        for a in words {
            for b in words {
                for name in [
                    format!("{a}_{b}"),
                    format!("{}-{}", a.to_lowercase(), b.to_lowercase()),
                    format!("{}{}{}", a.to_lowercase(), &b[..1], b[1..].to_lowercase()),
                    b.to_string(),
                ] {
                    if looks_secret(&name) {
                        checked += 1;
                        assert!(may_name_secret(&name), "{name}");
                        assert!(may_name_secret(&format!("x {name}: v")), "{name}");
                    }
                }
            }
        }
        assert!(checked > 1000, "{checked}");
        for n in [
            "ENVIRONMENT",
            "DATABASE_URL",
            "LOG_LEVEL",
            "postgres://app@db:5432/s0",
        ] {
            assert!(!may_name_secret(n), "{n}");
        }
        // The texts it lets through are still searched: a DSN without the
        // word, a header line with it.
        assert_eq!(
            secrets_in_text("postgres://app:pw-9f2c7e1a@db:5432/s0"),
            ["pw-9f2c7e1a", "pw-9f2c7e1a"]
        );
        assert_eq!(mask_shapes("X-Api-Key: abcdef123456"), "X-Api-Key: ****");
        assert_eq!(mask_shapes("mode: fast, level=3"), "mode: fast, level=3");
    }

    #[test]
    fn strictly_percent_encoded_secrets_are_masked_too() {
        let r = Redactor::with_values(["s3cr-et_v.alue~42".to_string()]);
        for text in [
            "GET /cb?q=s3cr%2Det%5Fv%2Ealue%7E42 HTTP/1.1",
            "GET /cb?q=s3cr%2det%5fv%2ealue%7e42 HTTP/1.1",
            "GET /cb?q=s3cr-et_v.alue~42 HTTP/1.1",
        ] {
            let masked = r.mask(text);
            assert!(!masked.contains("s3cr"), "{text} -> {masked}");
        }
    }
}
