//! Choosing compose services by what they are, not by a guessed name.
//!
//! A checklist says "the Celery workers", "the API", "the secrets store"; a
//! project calls them `celery-worker` and `celery-beat`, `app`, `openbao` or
//! `vault`. A catalogue names them with a [`ServiceRef`]: one name, a list of
//! candidate names (the first one the project defines), or a
//! [`ServiceSelector`] that matches every service whose name, image, build
//! Dockerfile, build target or command fits. Kinds build a [`ServiceFacts`]
//! from their own source (a compose model, a container) and ask
//! [`ServiceSelector::matches`]; this module only describes and matches.

use serde::Deserialize;

/// Which service(s) a check is about.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub(crate) enum ServiceRef {
    /// Exactly this service.
    Name(String),
    /// Candidate names: the first one the project defines.
    Candidates(Vec<String>),
}

impl ServiceRef {
    /// The names, in order of preference.
    pub(crate) fn names(&self) -> Vec<&str> {
        match self {
            ServiceRef::Name(n) => vec![n.as_str()],
            ServiceRef::Candidates(c) => c.iter().map(String::as_str).collect(),
        }
    }

    /// The first candidate `defined` says exists.
    pub(crate) fn pick(&self, defined: impl Fn(&str) -> bool) -> Option<&str> {
        self.names().into_iter().find(|n| defined(n))
    }

    /// How the reference reads in a message: `app`, or `one of celery, worker`.
    pub(crate) fn describe(&self) -> String {
        match self {
            ServiceRef::Name(n) => format!("`{n}`"),
            ServiceRef::Candidates(c) => format!(
                "any of {}",
                c.iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// Services chosen by what they are; every given field must match (regexes,
/// unanchored unless written with `^`/`$`).
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ServiceSelector {
    /// The service name.
    pub name: Option<String>,
    /// The image (`redis:7-alpine`, `quay.io/openbao/openbao:latest`).
    pub image: Option<String>,
    /// The build Dockerfile as written (`Dockerfile.prod`).
    pub dockerfile: Option<String>,
    /// The build target stage (`api`, `celery`).
    pub target: Option<String>,
    /// The command, its words joined by spaces (`celery -A app worker`).
    pub command: Option<String>,
}

/// What a service is, as a selector sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ServiceFacts {
    /// The service name.
    pub name: String,
    /// The image, if one.
    pub image: Option<String>,
    /// The build Dockerfile, if the service builds.
    pub dockerfile: Option<String>,
    /// The build target, if one.
    pub target: Option<String>,
    /// The command, words joined by spaces, if one.
    pub command: Option<String>,
}

impl ServiceSelector {
    /// The fields given, with their patterns, for validation and messages.
    pub(crate) fn patterns(&self) -> Vec<(&'static str, &str)> {
        [
            ("name", &self.name),
            ("image", &self.image),
            ("dockerfile", &self.dockerfile),
            ("target", &self.target),
            ("command", &self.command),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
        .collect()
    }

    /// Every invalid pattern: (field, error).
    #[cfg(test)]
    pub(crate) fn problems(&self) -> Vec<(&'static str, String)> {
        self.patterns()
            .into_iter()
            .filter_map(|(k, p)| regex::Regex::new(p).err().map(|e| (k, e.to_string())))
            .collect()
    }

    /// Whether a service fits every given field; a field the service lacks
    /// (no image, no build) does not match.
    pub(crate) fn matches(&self, s: &ServiceFacts) -> bool {
        let fits = |pat: &Option<String>, val: Option<&str>| match pat {
            None => true,
            // Compiled once per process: a selector is matched against
            // every service of every project a check reads.
            Some(p) => match (crate::support::regex::cached(p, false), val) {
                (Ok(re), Some(v)) => re.is_match(v),
                _ => false,
            },
        };
        fits(&self.name, Some(&s.name))
            && fits(&self.image, s.image.as_deref())
            && fits(&self.dockerfile, s.dockerfile.as_deref())
            && fits(&self.target, s.target.as_deref())
            && fits(&self.command, s.command.as_deref())
    }

    /// How the selector reads in a message: `command ~ ^celery\b`.
    pub(crate) fn describe(&self) -> String {
        self.patterns()
            .into_iter()
            .map(|(k, p)| format!("{k} ~ /{p}/"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(name: &str, command: Option<&str>, image: Option<&str>) -> ServiceFacts {
        ServiceFacts {
            name: name.into(),
            image: image.map(Into::into),
            dockerfile: command.map(|_| "Dockerfile.prod".into()),
            target: None,
            command: command.map(Into::into),
        }
    }

    #[test]
    fn a_command_pattern_finds_both_celery_services() {
        let sel = ServiceSelector {
            command: Some(r"^celery\b".into()),
            ..Default::default()
        };
        let services = [
            facts("app", Some("uvicorn dotmac.platform.main:app"), None),
            facts(
                "celery-worker",
                Some("celery -A dotmac.platform.tasks worker --loglevel=info"),
                None,
            ),
            facts(
                "celery-beat",
                Some("celery -A dotmac.platform.tasks beat"),
                None,
            ),
            facts("redis", None, Some("redis:7-alpine")),
        ];
        let hit: Vec<_> = services
            .iter()
            .filter(|s| sel.matches(s))
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(hit, ["celery-worker", "celery-beat"]);
    }

    #[test]
    fn every_given_field_must_match_and_missing_facts_do_not() {
        let sel = ServiceSelector {
            image: Some("openbao|vault".into()),
            name: Some("^vault$".into()),
            ..Default::default()
        };
        assert!(sel.matches(&facts(
            "vault",
            None,
            Some("quay.io/openbao/openbao:latest")
        )));
        assert!(!sel.matches(&facts(
            "openbao",
            None,
            Some("quay.io/openbao/openbao:latest")
        )));
        assert!(!sel.matches(&facts("vault", Some("server"), None)));
    }

    #[test]
    fn candidates_pick_the_first_defined_name() {
        let r: ServiceRef = serde_json::from_str(r#"["openbao", "vault"]"#).unwrap();
        assert_eq!(r.pick(|n| n == "vault"), Some("vault"));
        assert_eq!(r.pick(|_| true), Some("openbao"));
        assert_eq!(r.pick(|_| false), None);
        assert_eq!(r.describe(), "any of `openbao`, `vault`");
        let one: ServiceRef = serde_json::from_str(r#""app""#).unwrap();
        assert_eq!(one.names(), ["app"]);
    }

    #[test]
    fn invalid_patterns_are_reported_per_field() {
        let sel = ServiceSelector {
            command: Some("(".into()),
            ..Default::default()
        };
        let p = sel.problems();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].0, "command");
    }
}
