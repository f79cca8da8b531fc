//! Text shaping shared by kinds: how a matched snippet is shown in a finding.

/// Shortens a matched snippet for a finding: its first line, at most 80
/// characters (an ellipsis marks the cut).
pub(crate) fn clip(s: &str) -> String {
    let one_line = s.lines().next().unwrap_or("");
    if one_line.chars().count() > 80 {
        format!("{}…", one_line.chars().take(80).collect::<String>())
    } else {
        one_line.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_keeps_the_first_line_and_eighty_characters() {
        assert_eq!(clip("a\nb"), "a");
        let long = "x".repeat(100);
        assert_eq!(clip(&long), format!("{}…", "x".repeat(80)));
    }
}
