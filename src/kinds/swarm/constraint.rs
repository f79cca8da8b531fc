//! Swarm placement constraints (`node.labels.zone==eu`, `node.role!=worker`)
//! judged against the node list, the way swarmkit's scheduler matches them
//! (`manager/constraint` in moby/swarmkit): `==` or `!=`, values compared
//! without regard to case, a missing label is the empty string. It says
//! which nodes a service may run on; it never asks the daemon.

use super::view::NodeView;

/// One constraint as written in the service spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Constraint {
    /// As written, for messages.
    pub(crate) text: String,
    key: String,
    equal: bool,
    value: String,
}

impl Constraint {
    /// Parses `key==value` or `key!=value`; `None` for anything else (the
    /// daemon refuses such a service, so it never reaches us).
    pub(crate) fn parse(text: &str) -> Option<Constraint> {
        let (key, value, equal) = if let Some((k, v)) = text.split_once("!=") {
            (k, v, false)
        } else if let Some((k, v)) = text.split_once("==") {
            (k, v, true)
        } else {
            return None;
        };
        let key = key.trim();
        if key.is_empty() {
            return None;
        }
        Some(Constraint {
            text: text.trim().to_string(),
            key: key.to_string(),
            equal,
            value: value.trim().to_string(),
        })
    }

    /// Whether `node` satisfies this constraint. Unknown keys are treated as
    /// satisfied: this reader must not invent an unsatisfiable placement.
    pub(crate) fn matches(&self, node: &NodeView) -> bool {
        let key = self.key.to_ascii_lowercase();
        let actual: Vec<&str> = if let Some(label) = self.key.strip_prefix("node.labels.") {
            vec![node.labels.get(label).map_or("", String::as_str)]
        } else if let Some(label) = self.key.strip_prefix("engine.labels.") {
            vec![node.engine_labels.get(label).map_or("", String::as_str)]
        } else {
            match key.as_str() {
                "node.id" => vec![node.id.as_str()],
                "node.hostname" => vec![node.hostname.as_str()],
                "node.role" => vec![node.role.as_str()],
                "node.platform.os" => vec![node.os.as_str()],
                // swarmkit also accepts the Go names for the common architectures.
                "node.platform.arch" => match node.arch.as_str() {
                    "x86_64" => vec!["x86_64", "amd64"],
                    "aarch64" => vec!["aarch64", "arm64"],
                    a => vec![a],
                },
                _ => return true,
            }
        };
        let hit = actual.iter().any(|a| a.eq_ignore_ascii_case(&self.value));
        hit == self.equal
    }

    /// Why `node` does not satisfy this constraint, for a message.
    pub(crate) fn why_not(&self, node: &NodeView) -> String {
        if let Some(label) = self.key.strip_prefix("node.labels.") {
            return match node.labels.get(label) {
                None => format!("{} has no node label {label}", node.hostname),
                Some(v) => format!("{} has {label}={v}", node.hostname),
            };
        }
        if let Some(label) = self.key.strip_prefix("engine.labels.") {
            return match node.engine_labels.get(label) {
                None => format!("{} has no engine label {label}", node.hostname),
                Some(v) => format!("{} has engine label {label}={v}", node.hostname),
            };
        }
        let actual = match self.key.to_ascii_lowercase().as_str() {
            "node.id" => node.id.clone(),
            "node.role" => node.role.clone(),
            "node.platform.os" => node.os.clone(),
            "node.platform.arch" => node.arch.clone(),
            _ => node.hostname.clone(),
        };
        format!("{} has {}={actual}", node.hostname, self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node() -> NodeView {
        NodeView {
            id: "tdlfw07obgya".into(),
            hostname: "vm".into(),
            role: "manager".into(),
            os: "linux".into(),
            arch: "x86_64".into(),
            labels: [("zone".to_string(), "EU".to_string())].into(),
            ..NodeView::default()
        }
    }

    #[test]
    fn labels_roles_and_platform_match_as_swarmkit_does() {
        let n = node();
        let m = |c: &str| Constraint::parse(c).unwrap().matches(&n);
        assert!(m("node.labels.zone==eu"), "values compare without case");
        assert!(!m("node.labels.zone==us"));
        assert!(m("node.labels.zone!=us"));
        assert!(!m("node.labels.missing==x"));
        assert!(
            m("node.labels.missing!=x"),
            "a missing label is the empty string"
        );
        assert!(m("node.role==manager") && !m("node.role==worker"));
        assert!(m("node.platform.arch==amd64") && m("node.platform.os==linux"));
        assert!(m("node.hostname != other"));
        assert!(
            m("something.else==x"),
            "unknown keys never fail a placement"
        );
    }

    #[test]
    fn says_why_a_node_does_not_match() {
        let c = Constraint::parse("node.labels.disk==ssd").unwrap();
        assert_eq!(c.why_not(&node()), "vm has no node label disk");
        let c = Constraint::parse("node.role==worker").unwrap();
        assert_eq!(c.why_not(&node()), "vm has node.role=manager");
        assert!(Constraint::parse("nonsense").is_none());
    }
}
