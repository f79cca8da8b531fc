//! JSON documents from peers parsed within a budget: a body within the byte
//! limit can still be `[{},{},…]` (one value every 3 bytes, ~80 bytes each
//! once parsed) or nested thousands of levels deep. [`parse`] counts the
//! values and the depth in one pass over the text before building anything,
//! and refuses with a plain reason past [`MAX_VALUES`] or [`MAX_DEPTH`];
//! [`admit`] bounds how many values the whole process builds at once, so
//! two hundred concurrent checks cannot multiply the per-document bound.

use std::sync::LazyLock;

use serde_json::Value;
use tokio::sync::{Semaphore, SemaphorePermit};

/// Most values (objects, arrays, keys and scalars) one document may hold.
/// A real 4 MiB JSON body has roughly 250,000; `[{},{},…]` of 1.5 MB has
/// 500,000 and costs ~40 MiB parsed.
pub(crate) const MAX_VALUES: u32 = 500_000;

/// Deepest nesting evaluated (serde_json itself stops at 128, in its words).
pub(crate) const MAX_DEPTH: usize = 64;

/// Values the whole process may hold parsed at once (two documents at the
/// per-document limit); more wait for a turn within their check's timeout.
pub(crate) const MAX_VALUES_IN_FLIGHT: u32 = 2 * MAX_VALUES;

static IN_FLIGHT: LazyLock<Semaphore> =
    LazyLock::new(|| Semaphore::new(MAX_VALUES_IN_FLIGHT as usize));

/// The shape of a JSON text, counted without parsing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shape {
    /// An upper bound on the values it holds (keys counted as values).
    pub values: u32,
    /// Its deepest nesting.
    pub depth: usize,
}

/// Counts values and depth outside strings, stopping early once either is
/// past its limit (the caller only needs to know that it is).
pub(crate) fn shape(text: &str) -> Shape {
    let (mut values, mut depth, mut deepest) = (1u32, 0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &b in text.as_bytes() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
                values += 1;
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            b',' | b':' => values += 1,
            _ => {}
        }
        if values > MAX_VALUES || deepest > MAX_DEPTH {
            break;
        }
    }
    Shape {
        values,
        depth: deepest,
    }
}

/// Why a document was not parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Refused {
    /// Past [`MAX_VALUES`].
    #[error("the JSON body holds more than {MAX_VALUES} values; readyctl does not evaluate it")]
    TooMany,
    /// Past [`MAX_DEPTH`].
    #[error(
        "the JSON body is nested deeper than {MAX_DEPTH} levels; readyctl does not evaluate it"
    )]
    TooDeep,
    /// Not JSON (serde_json's words).
    #[error("{0}")]
    Invalid(String),
}

/// A turn to hold a parsed document of `shape` (see [`MAX_VALUES_IN_FLIGHT`]).
pub(crate) async fn admit(shape: Shape) -> Option<SemaphorePermit<'static>> {
    IN_FLIGHT
        .acquire_many(shape.values.min(MAX_VALUES))
        .await
        .ok()
}

/// Parses `text` if its shape is within the limits.
pub(crate) fn parse(text: &str, shape: Shape) -> Result<Value, Refused> {
    if shape.depth > MAX_DEPTH {
        return Err(Refused::TooDeep);
    }
    if shape.values > MAX_VALUES {
        return Err(Refused::TooMany);
    }
    serde_json::from_str(text).map_err(|e| Refused::Invalid(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_counts_outside_strings_only() {
        let s = shape(r#"{"a":[1,2,{"b":"x,{[\"]"}]}"#);
        assert_eq!(s.depth, 3);
        // root + { + : + [ + , + , + { + :
        assert_eq!(s.values, 8);
    }

    #[test]
    fn huge_and_deep_documents_are_refused_before_parsing() {
        let many = format!("[{}{{}}]", "{},".repeat(MAX_VALUES as usize));
        assert_eq!(parse(&many, shape(&many)), Err(Refused::TooMany));
        let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert_eq!(parse(&deep, shape(&deep)), Err(Refused::TooDeep));
        let ok = r#"{"status":"ok"}"#;
        assert_eq!(parse(ok, shape(ok)).unwrap()["status"], "ok");
    }
}
