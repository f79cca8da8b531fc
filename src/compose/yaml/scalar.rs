//! How a scalar's text becomes a typed value.
//!
//! The rules are serde-saphyr's `deserialize_any` with the options readyctl
//! used before it read events itself (`strict_booleans`,
//! `legacy_octal_numbers`, non-finite floats refused), which in turn follow
//! go-yaml v3 closely enough for `docker compose config` to agree (tests/it
//! compares with the real docker compose). The unit tests at the bottom of
//! `mod.rs` compare this with serde-saphyr on every fixture and edge case.

use super::Value;

/// Why a scalar cannot be read.
pub(super) enum ScalarError {
    /// `!!int abc` and the like.
    BadTagged(&'static str),
    /// `!!timestamp`: serde-saphyr refused it as a string, so does readyctl.
    Refused,
    /// `.inf`, `.nan`, `1e999`: compose files have no use for them, and
    /// readyctl refused them before.
    NonFinite,
}

/// The explicit type a tag asks for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Want {
    /// No tag, or one readyctl does not type by (`!reset`, `!custom`).
    Any,
    /// `!!str` or the non-specific `!`.
    Str,
    /// `!!null`.
    Null,
    /// `!!bool`.
    Bool,
    /// `!!int`.
    Int,
    /// `!!float`.
    Float,
    /// `!!binary`: base64, read as (lossy) UTF-8 text.
    Binary,
    /// A core tag readyctl cannot read as any value (`!!timestamp`).
    Refused,
}

/// The typed value of a scalar written `text`; `plain` for unquoted,
/// non-block scalars (the only ones typed implicitly).
pub(super) fn resolve(text: &str, plain: bool, want: Want) -> Result<Value, ScalarError> {
    match want {
        Want::Null => return Ok(Value::Null),
        Want::Bool => {
            return bool12(text)
                .map(Value::Bool)
                .ok_or(ScalarError::BadTagged("boolean"));
        }
        Want::Int => {
            let t = trim(text);
            let v = if t.starts_with('-') {
                int_signed(t).map(Value::Int)
            } else {
                int_unsigned(t).map(unsigned_value)
            };
            return v.ok_or(ScalarError::BadTagged("integer"));
        }
        Want::Float => {
            return match float(text) {
                Some(f) if f.is_finite() => Ok(Value::Float(f)),
                Some(_) => Err(ScalarError::NonFinite),
                None => Err(ScalarError::BadTagged("floating point")),
            };
        }
        Want::Str => return Ok(Value::Str(text.to_string())),
        Want::Refused => return Err(ScalarError::Refused),
        Want::Binary => {
            use base64::Engine as _;
            let compact: String = text.split_whitespace().collect();
            return base64::engine::general_purpose::STANDARD
                .decode(compact)
                .map(|b| Value::Str(String::from_utf8_lossy(&b).into_owned()))
                .map_err(|_| ScalarError::BadTagged("base64 value"));
        }
        Want::Any => {}
    }
    if !plain {
        return Ok(Value::Str(text.to_string()));
    }
    if matches!(text, "" | "~" | "null" | "Null" | "NULL") {
        return Ok(Value::Null);
    }
    if let Some(b) = bool12(text) {
        return Ok(Value::Bool(b));
    }
    let t = trim(text);
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    let uppercase_radix = matches!(unsigned.as_bytes(), [b'0', b'X' | b'O' | b'B', ..]);
    if uppercase_radix || is_signed_nan(t) {
        return Ok(Value::Str(text.to_string()));
    }
    // Only text that starts like a number can be one: skip the parsers for
    // the words and paths most values are.
    let first = unsigned.as_bytes().first().copied();
    if !matches!(first, Some(b'0'..=b'9' | b'.')) {
        return Ok(Value::Str(text.to_string()));
    }
    if t.starts_with('-') {
        if let Some(i) = int_signed(t) {
            return Ok(Value::Int(i));
        }
    } else if let Some(u) = int_unsigned(t) {
        return Ok(unsigned_value(u));
    }
    match float(text) {
        Some(f) if f.is_finite() => Ok(Value::Float(f)),
        Some(_) => Err(ScalarError::NonFinite),
        None => Ok(Value::Str(text.to_string())),
    }
}

/// serde's `visit_u64` into readyctl's tree: past `i64::MAX` it is a float.
fn unsigned_value(u: u64) -> Value {
    i64::try_from(u)
        .map(Value::Int)
        .unwrap_or(Value::Float(u as f64))
}

fn trim(s: &str) -> &str {
    s.trim_matches([' ', '\t', '\r', '\n'])
}

fn bool12(s: &str) -> Option<bool> {
    match trim(s) {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

fn is_signed_nan(t: &str) -> bool {
    t.strip_prefix(['+', '-'])
        .is_some_and(|u| matches!(u, ".nan" | ".NaN" | ".NAN"))
}

/// `0x`, `0o`, `0b` and a legacy leading `0` (octal, as go-yaml reads it).
fn radix_and_digits(rest: &str) -> (u32, &str) {
    fn strip(d: &str) -> &str {
        d.strip_prefix('_').unwrap_or(d)
    }
    if let Some(r) = rest.strip_prefix("0x").or_else(|| rest.strip_prefix("0X")) {
        (16, strip(r))
    } else if let Some(r) = rest.strip_prefix("0o").or_else(|| rest.strip_prefix("0O")) {
        (8, strip(r))
    } else if let Some(r) = rest.strip_prefix("0b").or_else(|| rest.strip_prefix("0B")) {
        (2, strip(r))
    } else if rest == "0" {
        (8, "0")
    } else if let Some(r) = rest.strip_prefix('0') {
        (8, strip(r))
    } else {
        (10, rest)
    }
}

/// Digits with single underscores between them, in `radix`.
fn digits(d: &str, radix: u32) -> Option<u128> {
    let b = d.as_bytes();
    let mut val: u128 = 0;
    let mut saw = false;
    for (i, &c) in b.iter().enumerate() {
        if c == b'_' {
            let prev_ok = i > 0 && b[i - 1] != b'_';
            let next_ok = i + 1 < b.len() && b[i + 1] != b'_';
            if !prev_ok || !next_ok {
                return None;
            }
            continue;
        }
        let v = char::from(c).to_digit(16)?;
        if v >= radix {
            return None;
        }
        val = val
            .checked_mul(u128::from(radix))?
            .checked_add(u128::from(v))?;
        saw = true;
    }
    saw.then_some(val)
}

fn int_unsigned(t: &str) -> Option<u64> {
    if t.starts_with('-') {
        return None;
    }
    let rest = t.strip_prefix('+').unwrap_or(t);
    let (radix, d) = radix_and_digits(rest);
    u64::try_from(digits(d, radix)?).ok()
}

fn int_signed(t: &str) -> Option<i64> {
    let (neg, rest) = match t.strip_prefix('+') {
        Some(r) => (false, r),
        None => match t.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, t),
        },
    };
    let (radix, d) = radix_and_digits(rest);
    let mag = digits(d, radix)?;
    let v: i128 = if neg {
        if mag == (i128::MAX as u128) + 1 {
            i128::MIN
        } else {
            i128::try_from(mag).ok()?.checked_neg()?
        }
    } else {
        i128::try_from(mag).ok()?
    };
    i64::try_from(v).ok()
}

/// A YAML 1.2 float: `.inf`/`.nan` spellings, or what Rust parses (finite,
/// or infinite only when it overflowed from digits, like `1e999`).
fn float(s: &str) -> Option<f64> {
    let t = trim(s);
    let (neg, unsigned) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    match unsigned {
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        ".inf" | ".Inf" | ".INF" => {
            return Some(if neg {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            });
        }
        _ => {}
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Some(v),
        Ok(v) if v.is_infinite() && unsigned.as_bytes().first().is_some_and(u8::is_ascii_digit) => {
            Some(v)
        }
        _ => None,
    }
}
