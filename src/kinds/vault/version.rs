//! The `version` constraint of a `vault` check (`>=2.0`, `<1.15`, `=2.7`):
//! compared with the version the seal status reports (`2.7.2`,
//! `1.15.0+ent`); `=2.7` accepts any 2.7.x.

/// A version constraint: `>=2.0`, `<1.15`, `=2.7.2` (a bare version means `=`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct VersionReq {
    op: &'static str,
    version: Vec<u64>,
}

impl VersionReq {
    /// Parses a constraint; `None` when malformed.
    pub(super) fn parse(s: &str) -> Option<VersionReq> {
        let s = s.trim();
        let (op, rest) = [">=", "<=", "==", ">", "<", "="]
            .iter()
            .find_map(|op| s.strip_prefix(op).map(|r| (*op, r)))
            .unwrap_or(("=", s));
        let version = parse_version(rest.trim())?;
        Some(VersionReq {
            op: if op == "==" { "=" } else { op },
            version,
        })
    }

    /// Whether `actual` (e.g. `2.7.2`, `1.15.0+ent`) satisfies the constraint.
    pub(super) fn matches(&self, actual: &str) -> bool {
        let Some(a) = parse_version(actual) else {
            return false;
        };
        let len = a.len().max(self.version.len());
        let pad = |v: &[u64]| {
            let mut v = v.to_vec();
            v.resize(len, 0);
            v
        };
        let ord = if self.op == "=" {
            // `=2.7` accepts 2.7.x.
            pad(&a[..a.len().min(self.version.len())]).cmp(&pad(&self.version))
        } else {
            pad(&a).cmp(&pad(&self.version))
        };
        use std::cmp::Ordering::*;
        match self.op {
            ">=" => ord != Less,
            "<=" => ord != Greater,
            ">" => ord == Greater,
            "<" => ord == Less,
            _ => ord == Equal,
        }
    }
}

fn parse_version(s: &str) -> Option<Vec<u64>> {
    let s = s.trim_start_matches('v');
    let core = s.split(['-', '+', ' ']).next()?;
    let parts: Option<Vec<u64>> = core.split('.').map(|p| p.parse().ok()).collect();
    parts.filter(|p| !p.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_constraints() {
        let r = VersionReq::parse(">=2.0").unwrap();
        assert!(r.matches("2.7.2"));
        assert!(r.matches("v2.0"));
        assert!(!r.matches("1.15.0+ent"));
        assert!(VersionReq::parse("=2.7").unwrap().matches("2.7.2"));
        assert!(!VersionReq::parse("<2.7.2").unwrap().matches("2.7.2"));
        assert!(VersionReq::parse("2.x").is_none());
    }
}
