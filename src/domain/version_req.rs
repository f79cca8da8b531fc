//! Server version constraints (`>=15`, `>=7.0, <8`, `15`) and the
//! normalisation of the versions servers report, which are rarely semver
//! (`15.18 (Debian 15.18-0+deb12u1)`, `7.0.15`, `server_version_num` 150018).

use std::cmp::Ordering;

/// A version as numeric components: `15.18` → `[15, 18]`.
pub(crate) type Version = Vec<u64>;

/// The leading `N.N.N` of a reported version string; `None` when it does not
/// start with a number.
pub(crate) fn normalise(reported: &str) -> Option<Version> {
    let head: String = reported
        .trim()
        .trim_start_matches(['v', 'V'])
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let parts: Option<Version> = head
        .split('.')
        .filter(|p| !p.is_empty())
        .map(|p| p.parse().ok())
        .collect();
    parts.filter(|p| !p.is_empty())
}

/// PostgreSQL's `server_version_num` (`150018` → `15.18`, `90624` → `9.6.24`).
pub(crate) fn from_pg_version_num(num: u64) -> Version {
    if num >= 100_000 {
        vec![num / 10_000, num % 10_000]
    } else {
        vec![num / 10_000, (num / 100) % 100, num % 100]
    }
}

/// Shows a version as `15.18`.
pub(crate) fn display(v: &[u64]) -> String {
    v.iter().map(u64::to_string).collect::<Vec<_>>().join(".")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Ge,
    Gt,
    Le,
    Lt,
    Ne,
    /// `=15` and bare `15`: the version starts with these components.
    Prefix,
}

/// A parsed constraint: every comparator must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VersionReq {
    parts: Vec<(Op, Version)>,
    written: String,
}

impl VersionReq {
    /// Parses `>=15`, `>= 7.0, < 8`, `=15.4`, `15`.
    pub(crate) fn parse(s: &str) -> Result<VersionReq, String> {
        let mut parts = Vec::new();
        for piece in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (op, rest) = [
                (">=", Op::Ge),
                ("<=", Op::Le),
                ("!=", Op::Ne),
                ("==", Op::Prefix),
                (">", Op::Gt),
                ("<", Op::Lt),
                ("=", Op::Prefix),
            ]
            .into_iter()
            .find_map(|(p, op)| piece.strip_prefix(p).map(|r| (op, r.trim())))
            .unwrap_or((Op::Prefix, piece));
            let v = normalise(rest)
                .filter(|_| rest.chars().all(|c| c.is_ascii_digit() || c == '.'))
                .ok_or_else(|| {
                    format!(
                        "`{piece}` is not a version constraint (write e.g. `>=15` or `>=7.0, <8`)"
                    )
                })?;
            parts.push((op, v));
        }
        if parts.is_empty() {
            return Err("empty version constraint (write e.g. `>=15`)".to_string());
        }
        Ok(VersionReq {
            parts,
            written: s.trim().to_string(),
        })
    }

    /// Whether `v` satisfies every comparator.
    pub(crate) fn matches(&self, v: &[u64]) -> bool {
        self.parts.iter().all(|(op, want)| {
            let ord = cmp_padded(v, want);
            match op {
                Op::Ge => ord != Ordering::Less,
                Op::Gt => ord == Ordering::Greater,
                Op::Le => ord != Ordering::Greater,
                Op::Lt => ord == Ordering::Less,
                Op::Ne => ord != Ordering::Equal,
                Op::Prefix => v.len() >= want.len() && v[..want.len()] == want[..],
            }
        })
    }
}

impl std::fmt::Display for VersionReq {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.written)
    }
}

fn cmp_padded(a: &[u64], b: &[u64]) -> Ordering {
    let n = a.len().max(b.len());
    (0..n)
        .map(|i| {
            a.get(i)
                .copied()
                .unwrap_or(0)
                .cmp(&b.get(i).copied().unwrap_or(0))
        })
        .find(|o| *o != Ordering::Equal)
        .unwrap_or(Ordering::Equal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_distribution_version_strings() {
        assert_eq!(
            normalise("15.18 (Debian 15.18-0+deb12u1)"),
            Some(vec![15, 18])
        );
        assert_eq!(normalise("7.0.15"), Some(vec![7, 0, 15]));
        assert_eq!(normalise("v2.7.2"), Some(vec![2, 7, 2]));
        assert_eq!(normalise("devel"), None);
        assert_eq!(from_pg_version_num(150018), vec![15, 18]);
        assert_eq!(from_pg_version_num(90624), vec![9, 6, 24]);
    }

    #[test]
    fn constraints_hold_or_not() {
        let r = VersionReq::parse(">=15").unwrap();
        assert!(r.matches(&[15, 18]));
        assert!(r.matches(&[16]));
        assert!(!r.matches(&[14, 9]));
        let r = VersionReq::parse(">= 7.0, < 8").unwrap();
        assert!(r.matches(&[7, 0, 15]));
        assert!(!r.matches(&[8, 0, 0]));
        assert!(VersionReq::parse("15").unwrap().matches(&[15, 4]));
        assert!(!VersionReq::parse("15").unwrap().matches(&[16, 0]));
        assert!(VersionReq::parse(">=fifteen").is_err());
        assert!(VersionReq::parse("").is_err());
    }
}
