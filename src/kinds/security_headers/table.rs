//! The Observatory's score table and grade chart, as data: every test, every
//! result a test can give, its score modifier, and the letter for a score.
//!
//! Transcribed from `@mdn/mdn-http-observatory` 1.4.8
//! (`src/grader/charts.js` `SCORE_TABLE` and `GRADE_CHART`, the
//! `possibleResults` of each `src/analyzer/tests/*.js`), which is algorithm 4;
//! algorithm 5 (the live site, 1.6.x) differs only in
//! `x-frame-options-sameorigin-or-deny` scoring +5. The differential test
//! compares this table with the package's own. `readyctl explain
//! security_headers` shows `docs_table`, rendered from it. Nothing here
//! reads a response.

/// Algorithms readyctl grades by (Observatory's `algorithmVersion`).
pub(crate) const ALGORITHMS: &[u8] = &[4, 5];

/// The algorithm the live Observatory site runs, readyctl's default.
pub(crate) const DEFAULT_ALGORITHM: u8 = 5;

/// The tests, by Observatory name, in the order of its `ALL_TESTS`.
pub(crate) const TESTS: &[&str] = &[
    "content-security-policy",
    "cookies",
    "cross-origin-resource-sharing",
    "redirection",
    "referrer-policy",
    "strict-transport-security",
    "subresource-integrity",
    "x-content-type-options",
    "x-frame-options",
    "cross-origin-resource-policy",
];

/// Every result: (test, result name, algorithm-4 modifier), each test's
/// results in the order of its `possibleResults` (best first, roughly).
pub const RESULTS: &[(&str, &str, i32)] = &[
    (
        "content-security-policy",
        "csp-implemented-with-no-unsafe-default-src-none",
        10,
    ),
    (
        "content-security-policy",
        "csp-implemented-with-no-unsafe",
        5,
    ),
    (
        "content-security-policy",
        "csp-implemented-with-unsafe-inline-in-style-src-only",
        0,
    ),
    (
        "content-security-policy",
        "csp-implemented-with-insecure-scheme-in-passive-content-only",
        -10,
    ),
    (
        "content-security-policy",
        "csp-implemented-with-unsafe-eval",
        -10,
    ),
    (
        "content-security-policy",
        "csp-implemented-with-unsafe-inline",
        -20,
    ),
    (
        "content-security-policy",
        "csp-implemented-with-insecure-scheme",
        -20,
    ),
    (
        "content-security-policy",
        "csp-implemented-but-duplicate-directives",
        0,
    ),
    ("content-security-policy", "csp-header-invalid", -25),
    ("content-security-policy", "csp-not-implemented", -25),
    (
        "content-security-policy",
        "csp-not-implemented-but-reporting-enabled",
        -25,
    ),
    (
        "cookies",
        "cookies-secure-with-httponly-sessions-and-samesite",
        5,
    ),
    ("cookies", "cookies-secure-with-httponly-sessions", 0),
    ("cookies", "cookies-not-found", 0),
    (
        "cookies",
        "cookies-without-secure-flag-but-protected-by-hsts",
        -5,
    ),
    (
        "cookies",
        "cookies-session-without-secure-flag-but-protected-by-hsts",
        -10,
    ),
    ("cookies", "cookies-without-secure-flag", -20),
    ("cookies", "cookies-samesite-flag-invalid", -20),
    ("cookies", "cookies-anticsrf-without-samesite-flag", -20),
    ("cookies", "cookies-session-without-httponly-flag", -30),
    ("cookies", "cookies-session-without-secure-flag", -40),
    (
        "cross-origin-resource-sharing",
        "cross-origin-resource-sharing-not-implemented",
        0,
    ),
    (
        "cross-origin-resource-sharing",
        "cross-origin-resource-sharing-implemented-with-public-access",
        0,
    ),
    (
        "cross-origin-resource-sharing",
        "cross-origin-resource-sharing-implemented-with-restricted-access",
        0,
    ),
    (
        "cross-origin-resource-sharing",
        "cross-origin-resource-sharing-implemented-with-universal-access",
        -50,
    ),
    ("redirection", "redirection-all-redirects-preloaded", 0),
    ("redirection", "redirection-to-https", 0),
    ("redirection", "redirection-not-needed-no-http", 0),
    ("redirection", "redirection-off-host-from-http", -5),
    (
        "redirection",
        "redirection-not-to-https-on-initial-redirection",
        -10,
    ),
    ("redirection", "redirection-not-to-https", -20),
    ("redirection", "redirection-missing", -20),
    ("redirection", "redirection-invalid-cert", -20),
    ("referrer-policy", "referrer-policy-private", 5),
    ("referrer-policy", "referrer-policy-not-implemented", 0),
    ("referrer-policy", "referrer-policy-unsafe", -5),
    ("referrer-policy", "referrer-policy-header-invalid", -5),
    ("strict-transport-security", "hsts-preloaded", 5),
    (
        "strict-transport-security",
        "hsts-implemented-max-age-at-least-six-months",
        0,
    ),
    (
        "strict-transport-security",
        "hsts-implemented-max-age-less-than-six-months",
        -10,
    ),
    ("strict-transport-security", "hsts-not-implemented", -20),
    ("strict-transport-security", "hsts-header-invalid", -20),
    (
        "strict-transport-security",
        "hsts-not-implemented-no-https",
        -20,
    ),
    ("strict-transport-security", "hsts-invalid-cert", -20),
    (
        "subresource-integrity",
        "sri-implemented-and-all-scripts-loaded-securely",
        5,
    ),
    (
        "subresource-integrity",
        "sri-implemented-and-external-scripts-loaded-securely",
        5,
    ),
    (
        "subresource-integrity",
        "sri-not-implemented-response-not-html",
        0,
    ),
    (
        "subresource-integrity",
        "sri-not-implemented-but-no-scripts-loaded",
        0,
    ),
    (
        "subresource-integrity",
        "sri-not-implemented-but-all-scripts-loaded-from-secure-origin",
        0,
    ),
    (
        "subresource-integrity",
        "sri-not-implemented-but-external-scripts-loaded-securely",
        -5,
    ),
    (
        "subresource-integrity",
        "sri-implemented-but-external-scripts-not-loaded-securely",
        -20,
    ),
    (
        "subresource-integrity",
        "sri-not-implemented-and-external-scripts-not-loaded-securely",
        -50,
    ),
    // In the score table but in no test's possibleResults: the SRI test
    // gives it when the page cannot be parsed (never, for readyctl).
    ("subresource-integrity", "html-not-parseable", -20),
    (
        "x-content-type-options",
        "x-content-type-options-nosniff",
        0,
    ),
    (
        "x-content-type-options",
        "x-content-type-options-header-invalid",
        -5,
    ),
    (
        "x-content-type-options",
        "x-content-type-options-not-implemented",
        -5,
    ),
    ("x-frame-options", "x-frame-options-implemented-via-csp", 5),
    ("x-frame-options", "x-frame-options-sameorigin-or-deny", 0),
    ("x-frame-options", "x-frame-options-allow-from-origin", 0),
    ("x-frame-options", "x-frame-options-not-implemented", -20),
    ("x-frame-options", "x-frame-options-header-invalid", -20),
    ("cross-origin-resource-policy", "corp-not-implemented", 0),
    (
        "cross-origin-resource-policy",
        "corp-implemented-with-same-origin",
        10,
    ),
    (
        "cross-origin-resource-policy",
        "corp-implemented-with-same-site",
        10,
    ),
    (
        "cross-origin-resource-policy",
        "corp-implemented-with-cross-origin",
        0,
    ),
    ("cross-origin-resource-policy", "corp-header-invalid", -5),
];

/// The score modifier of `result` under `algorithm` (0 for an unknown
/// result, as the Observatory's `getScoreModifier` does).
pub fn modifier(result: &str, algorithm: u8) -> i32 {
    if algorithm >= 5 && result == "x-frame-options-sameorigin-or-deny" {
        return 5;
    }
    RESULTS
        .iter()
        .find(|(_, r, _)| *r == result)
        .map_or(0, |(_, _, m)| *m)
}

/// Letter grades from best to worst.
pub(crate) const GRADES: &[&str] = &[
    "A+", "A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D+", "D", "D-", "F",
];

/// The penalised score from which bonuses count (`MINIMUM_SCORE_FOR_EXTRA_CREDIT`).
pub(crate) const MINIMUM_SCORE_FOR_EXTRA_CREDIT: i32 = 90;

/// The scanner's arithmetic: 100 plus every modifier when the score with
/// only the penalties is at least 90, else 100 plus the penalties; at least 0.
pub fn score(modifiers: impl IntoIterator<Item = i32> + Clone) -> (i32, &'static str) {
    let all: i32 = 100 + modifiers.clone().into_iter().sum::<i32>();
    let uncurved: i32 = 100 + modifiers.into_iter().filter(|m| *m < 0).sum::<i32>();
    let s = if uncurved >= MINIMUM_SCORE_FOR_EXTRA_CREDIT {
        all
    } else {
        uncurved
    }
    .max(0);
    (s, letter(s))
}

/// `GRADE_CHART`: the score rounded down to a multiple of 5, capped at 100.
pub(crate) fn letter(score: i32) -> &'static str {
    match (score - score.rem_euclid(5)).clamp(0, 100) {
        100 => "A+",
        90 | 95 => "A",
        85 => "A-",
        80 => "B+",
        70 | 75 => "B",
        65 => "B-",
        60 => "C+",
        50 | 55 => "C",
        45 => "C-",
        40 => "D+",
        30 | 35 => "D",
        25 => "D-",
        _ => "F",
    }
}

/// Position of a grade in [`GRADES`] (0 is best), case-insensitive.
pub(crate) fn grade_rank(g: &str) -> Option<usize> {
    GRADES.iter().position(|x| x.eq_ignore_ascii_case(g))
}

/// The Markdown table of every result and its modifier under each
/// algorithm, as the kind's docs show it (a test keeps `docs.md` equal to it).
#[cfg(test)]
pub(crate) fn docs_table() -> String {
    let mut s = String::from("| test | result | algorithm 4 | algorithm 5 |\n|---|---|---|---|\n");
    for (t, r, _) in RESULTS {
        s.push_str(&format!(
            "| `{t}` | `{r}` | {:+} | {:+} |\n",
            modifier(r, 4),
            modifier(r, 5)
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_result_belongs_to_a_known_test_and_is_unique() {
        let mut seen = std::collections::HashSet::new();
        for (t, r, _) in RESULTS {
            assert!(TESTS.contains(t), "{t}");
            assert!(seen.insert(*r), "{r} twice");
        }
        for t in TESTS {
            assert!(RESULTS.iter().any(|(x, _, _)| x == t), "{t} has no results");
        }
    }

    #[test]
    fn algorithm_five_differs_from_four_only_in_xfo_deny() {
        let diff: Vec<&str> = RESULTS
            .iter()
            .filter(|(_, r, _)| modifier(r, 4) != modifier(r, 5))
            .map(|(_, r, _)| *r)
            .collect();
        assert_eq!(diff, ["x-frame-options-sameorigin-or-deny"]);
    }

    #[test]
    fn grade_chart_matches_observatory() {
        for (s, g) in [
            (135, "A+"),
            (100, "A+"),
            (99, "A"),
            (90, "A"),
            (89, "A-"),
            (85, "A-"),
            (84, "B+"),
            (80, "B+"),
            (79, "B"),
            (70, "B"),
            (69, "B-"),
            (65, "B-"),
            (64, "C+"),
            (60, "C+"),
            (59, "C"),
            (50, "C"),
            (49, "C-"),
            (45, "C-"),
            (44, "D+"),
            (40, "D+"),
            (39, "D"),
            (30, "D"),
            (29, "D-"),
            (25, "D-"),
            (24, "F"),
            (0, "F"),
        ] {
            assert_eq!(letter(s), g, "score {s}");
        }
    }

    #[test]
    fn bonuses_only_count_from_90() {
        assert_eq!(score([-20, 5]), (80, "B+"));
        assert_eq!(score([-10, 5]), (95, "A"));
        assert_eq!(score([-150]), (0, "F"));
    }
}
