//! `readyctl schema`.

/// The schema.
pub fn render() -> String {
    "{}\n".to_string()
}
