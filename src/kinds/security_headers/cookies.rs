//! The Observatory's cookies test (`src/analyzer/tests/cookies.js`) and the
//! part of tough-cookie 5 (its cookie jar) that decides which cookies the
//! test sees.
//!
//! The Observatory does not read `Set-Cookie` headers directly: every
//! response of the scanned session's redirect chain stores its cookies in a
//! tough-cookie jar (`setCookieSync(raw, url, {ignoreError: true})`), and the
//! test walks the jar. So, as there: a cookie that fails to parse (no `=`, an
//! empty name, control characters) is dropped; a `Domain` the host does not
//! domain-match is dropped; `__Secure-` without `Secure`, `__Host-` without
//! `Secure`, host-only and `Path=/` are dropped; a later cookie with the same
//! name, domain and path replaces the earlier; expired cookies stay; the
//! last `SameSite` attribute wins and an unknown value clears it. Only the
//! SameSite-validity check reads the raw headers, and only the final
//! response's. `heroku-session-affinity` is ignored (mozilla/http-observatory#282).
//! Not modelled: the public-suffix check on `Domain` (a cookie for a public
//! suffix such as `Domain=com` is dropped there and kept here).

/// A cookie as the jar holds it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cookie {
    /// Name.
    pub(crate) key: String,
    /// `Secure`.
    pub(crate) secure: bool,
    /// `HttpOnly`.
    pub(crate) http_only: bool,
    /// `SameSite` when it is `strict`, `lax` or `none`.
    pub(crate) same_site: Option<&'static str>,
    domain: String,
    path: String,
}

/// tough-cookie's `Cookie.parse` (strict mode) plus `setCookie`'s checks,
/// for a cookie set by a response to `host` at `path`.
fn parse(raw: &str, host: &str, req_path: &str) -> Option<Cookie> {
    let s = raw.trim();
    let (pair, attrs) = match s.find(';') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let pair = pair.split(['\n', '\r', '\0']).next().unwrap_or_default();
    let eq = pair.find('=')?;
    if eq == 0 {
        return None;
    }
    let key = pair[..eq].trim();
    let value = pair[eq + 1..].trim();
    let control = |x: &str| x.chars().any(|c| (c as u32) < 0x20);
    if control(key) || control(value) {
        return None;
    }
    let mut c = Cookie {
        key: key.to_string(),
        secure: false,
        http_only: false,
        same_site: None,
        domain: String::new(),
        path: String::new(),
    };
    let mut domain: Option<String> = None;
    let mut path: Option<String> = None;
    for av in attrs.unwrap_or_default().split(';') {
        let av = av.trim();
        if av.is_empty() {
            continue;
        }
        let (k, v) = match av.find('=') {
            Some(i) => (&av[..i], Some(av[i + 1..].trim())),
            None => (av, None),
        };
        let v = v.filter(|v| !v.is_empty());
        match k.trim().to_lowercase().as_str() {
            "domain" => {
                if let Some(v) = v {
                    let d = v.trim().strip_prefix('.').unwrap_or(v.trim());
                    if !d.is_empty() {
                        domain = Some(d.to_lowercase());
                    }
                }
            }
            "path" => path = v.filter(|p| p.starts_with('/')).map(str::to_string),
            "secure" => c.secure = true,
            "httponly" => c.http_only = true,
            "samesite" => {
                c.same_site = match v.map(str::to_lowercase).as_deref() {
                    Some("strict") => Some("strict"),
                    Some("lax") => Some("lax"),
                    Some("none") => Some("none"),
                    _ => None,
                }
            }
            _ => {}
        }
    }
    let host = host.trim_end_matches('.').to_lowercase();
    let host_only = match domain {
        Some(d) => {
            if !domain_match(&host, &d) {
                return None;
            }
            c.domain = d;
            false
        }
        None => {
            c.domain = host.clone();
            true
        }
    };
    c.path = match path {
        Some(p) => p,
        None => default_path(req_path),
    };
    if c.key.starts_with("__Secure-") && !c.secure {
        return None;
    }
    if c.key.starts_with("__Host-") && !(c.secure && host_only && c.path == "/") {
        return None;
    }
    Some(c)
}

/// RFC 6265 domain-match as tough-cookie does it: equal, or the host ends
/// with `.domain` and is not an IP address.
fn domain_match(host: &str, domain: &str) -> bool {
    if host == domain {
        return true;
    }
    host.parse::<std::net::IpAddr>().is_err()
        && host.len() > domain.len()
        && host.ends_with(domain)
        && (host.as_bytes()[host.len() - domain.len() - 1] == b'.' || domain.starts_with('.'))
}

/// RFC 6265 default-path.
fn default_path(p: &str) -> String {
    if !p.starts_with('/') {
        return "/".into();
    }
    match p.rfind('/') {
        Some(0) | None => "/".into(),
        Some(i) => p[..i].to_string(),
    }
}

/// The jar: cookies set by each response of the chain, in order.
#[derive(Debug, Default, Clone)]
pub(crate) struct Jar {
    cookies: Vec<Cookie>,
}

impl Jar {
    /// Stores the `Set-Cookie` values of one response to `url`.
    pub(crate) fn store(&mut self, url: &url::Url, set_cookies: &[String]) {
        let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']);
        for raw in set_cookies {
            if let Some(c) = parse(raw, host, url.path()) {
                match self
                    .cookies
                    .iter_mut()
                    .find(|o| o.key == c.key && o.domain == c.domain && o.path == c.path)
                {
                    Some(old) => *old = c,
                    None => self.cookies.push(c),
                }
            }
        }
    }

    /// The cookies the test looks at (`serializeSync` minus the ignored).
    pub(crate) fn cookies(&self) -> impl Iterator<Item = &Cookie> {
        self.cookies
            .iter()
            .filter(|c| !c.key.is_empty() && c.key != "heroku-session-affinity")
    }
}

/// The raw-header SameSite check (`containsInvalidSameSiteCookie`).
fn invalid_same_site(raw: &str) -> bool {
    raw.trim().split(';').any(|p| {
        let mut kv = p.trim().split('=');
        let k = kv.next().unwrap_or_default();
        let v = kv.next();
        k.trim().eq_ignore_ascii_case("samesite")
            && match v {
                None | Some("") => true,
                Some(v) => !["lax", "strict", "none"].contains(&v.trim().to_lowercase().as_str()),
            }
    })
}

/// Worst last, as the test's `goodness` list.
const GOODNESS: &[&str] = &[
    "cookies-without-secure-flag-but-protected-by-hsts",
    "cookies-without-secure-flag",
    "cookies-session-without-secure-flag-but-protected-by-hsts",
    "cookies-samesite-flag-invalid",
    "cookies-anticsrf-without-samesite-flag",
    "cookies-session-without-httponly-flag",
    "cookies-session-without-secure-flag",
];

/// `cookiesTest`: (result, pass, detail).
pub(crate) fn analyze(
    jar: &Jar,
    final_set_cookies: &[String],
    hsts_pass: bool,
) -> (&'static str, bool, String) {
    let mut worst: Option<usize> = None;
    let mut culprit = String::new();
    let mut bump = |r: &str, who: &str| {
        let i = GOODNESS.iter().position(|g| *g == r).unwrap_or(0);
        if worst.is_none_or(|w| i > w) {
            worst = Some(i);
            culprit = who.to_string();
        }
    };
    for raw in final_set_cookies {
        if invalid_same_site(raw) {
            bump(
                "cookies-samesite-flag-invalid",
                raw.split('=').next().unwrap_or_default().trim(),
            );
        }
    }
    let cookies: Vec<&Cookie> = jar.cookies().collect();
    let result: &'static str = if cookies.is_empty() {
        "cookies-not-found"
    } else {
        let mut missing_same_site = false;
        for c in &cookies {
            let lower = c.key.to_lowercase();
            let session = lower.contains("login") || lower.contains("sess");
            let anticsrf = lower.contains("csrf");
            if !c.secure && c.same_site == Some("none") {
                bump("cookies-samesite-flag-invalid", &c.key);
            }
            if !c.secure {
                bump(
                    if hsts_pass {
                        "cookies-without-secure-flag-but-protected-by-hsts"
                    } else {
                        "cookies-without-secure-flag"
                    },
                    &c.key,
                );
            }
            if anticsrf && c.same_site.is_none() {
                bump("cookies-anticsrf-without-samesite-flag", &c.key);
            }
            if session && !c.secure {
                bump(
                    if hsts_pass {
                        "cookies-session-without-secure-flag-but-protected-by-hsts"
                    } else {
                        "cookies-session-without-secure-flag"
                    },
                    &c.key,
                );
            }
            if session && !c.http_only {
                bump("cookies-session-without-httponly-flag", &c.key);
            }
            missing_same_site |= c.same_site.is_none();
        }
        match worst {
            Some(i) => GOODNESS[i],
            None if missing_same_site => "cookies-secure-with-httponly-sessions",
            None => "cookies-secure-with-httponly-sessions-and-samesite",
        }
    };
    // A raw-header SameSite problem with no cookie in the jar still ends
    // as cookies-not-found, as in the JS (the jar check overwrites it).
    let detail = match result {
        "cookies-not-found" => "no cookies set".to_string(),
        "cookies-secure-with-httponly-sessions" => {
            "all cookies Secure, session cookies HttpOnly; SameSite missing on some".to_string()
        }
        "cookies-secure-with-httponly-sessions-and-samesite" => {
            "all cookies Secure and SameSite, session cookies HttpOnly".to_string()
        }
        _ => format!("cookie `{culprit}`"),
    };
    let pass = matches!(
        result,
        "cookies-not-found"
            | "cookies-secure-with-httponly-sessions-and-samesite"
            | "cookies-secure-with-httponly-sessions"
    );
    (result, pass, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grade(set: &[&str], hsts: bool) -> &'static str {
        let url = url::Url::parse("https://app.example/a/b").unwrap();
        let raw: Vec<String> = set.iter().map(|s| s.to_string()).collect();
        let mut jar = Jar::default();
        jar.store(&url, &raw);
        analyze(&jar, &raw, hsts).0
    }

    #[test]
    fn heroku_session_affinity_is_ignored() {
        assert_eq!(
            grade(&["heroku-session-affinity=x"], false),
            "cookies-not-found"
        );
    }

    #[test]
    fn jar_drops_foreign_domains_and_bad_prefixes() {
        assert_eq!(
            grade(&["sessionid=1; Domain=other.example"], false),
            "cookies-not-found"
        );
        assert_eq!(
            grade(&["__Host-sess=1; Secure; Path=/x"], false),
            "cookies-not-found"
        );
        assert_eq!(grade(&["=1"], false), "cookies-not-found");
        assert_eq!(
            grade(
                &["sessionid=1", "sessionid=2; Secure; HttpOnly; SameSite=Lax"],
                false
            ),
            "cookies-secure-with-httponly-sessions-and-samesite"
        );
    }

    #[test]
    fn results_take_the_worst() {
        assert_eq!(
            grade(&["sessionid=1; HttpOnly"], false),
            "cookies-session-without-secure-flag"
        );
        assert_eq!(
            grade(&["sessionid=1; HttpOnly"], true),
            "cookies-session-without-secure-flag-but-protected-by-hsts"
        );
        assert_eq!(
            grade(&["theme=1; Secure; SameSite=Sometimes"], false),
            "cookies-samesite-flag-invalid"
        );
        assert_eq!(
            grade(&["csrftoken=1; Secure"], false),
            "cookies-anticsrf-without-samesite-flag"
        );
    }
}
