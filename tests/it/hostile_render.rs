//! Text renderers under hostile text (issue 17, class 7): a terminal escape,
//! a carriage return or a newline in a file name or a command's output
//! reaches neither the terminal nor the Markdown report raw, and cannot
//! forge a row; a huge value is clipped.

use crate::common;

use std::time::Duration;

#[test]
fn escapes_and_newlines_cannot_paint_the_terminal_or_forge_rows() {
    let dir = tempfile::tempdir().unwrap();
    let evil = "evil\n  PASS  forged.row      looks fine\u{1b}[2J\r";
    std::fs::write(dir.path().join(evil), "content").unwrap();
    let cat = dir.path().join("readyctl.yml");
    std::fs::write(
        &cat,
        format!(
            r#"version: 1
checks:
  - id: file.evil-name
    kind: file
    path: {path}
    contains: nope
  - id: command.evil-output
    kind: command
    run: [sh, -c, 'printf "\033[31mred\033]0;title\007\r\n  PASS  forged.out  fine\n"; head -c 300000 /dev/zero | tr "\0" x; exit 1']
"#,
            path = serde_json::to_string(evil).unwrap()
        ),
    )
    .unwrap();
    let md = dir.path().join("report.md");
    let out = common::readyctl()
        .args(["check", "--color", "never", "-v", "-c"])
        .arg(&cat)
        .arg("--root")
        .arg(dir.path())
        .arg("--report")
        .arg(format!("markdown={}", md.display()))
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let table = String::from_utf8_lossy(&out.stdout).to_string();
    let markdown = std::fs::read_to_string(&md).unwrap();
    for (name, text) in [("table", &table), ("markdown", &markdown)] {
        // Both checks are shown, and say what was there, escaped.
        assert!(
            text.contains("file.evil-name") && text.contains("command.evil-output"),
            "{name}:\n{text}"
        );
        assert!(
            text.contains("\\x1b"),
            "{name} does not show the escape:\n{text}"
        );
        for bad in ['\u{1b}', '\r', '\u{7}'] {
            assert!(!text.contains(bad), "{name} holds {bad:?} raw:\n{text}");
        }
        // No line reads as a row of its own: a table row has its status
        // within the first columns; a Markdown row starts with `|`, and the
        // forged text stays in the row of the check that showed it.
        for line in text.lines().filter(|l| l.contains("forged")) {
            let indent = line.len() - line.trim_start().len();
            if name == "table" {
                assert!(
                    !(indent <= 4 && line.trim_start().starts_with("PASS")),
                    "table has a forged row {line:?}:\n{text}"
                );
            } else {
                assert!(
                    !line.starts_with('|') || line.contains(".evil-"),
                    "markdown has a forged row {line:?}:\n{text}"
                );
                assert!(!line.trim_start().starts_with("PASS"), "{line:?}");
            }
        }
        // The 300,000-character line is clipped.
        assert!(text.len() < 200_000, "{name} is {} bytes", text.len());
    }
    // Every Markdown table row keeps its cells.
    for line in markdown.lines().filter(|l| l.starts_with('|')) {
        let cells = line.replace("\\|", "").matches('|').count();
        assert_eq!(cells, 5, "{line}");
    }
}
