//! Unit-aware configuration values and the comparisons catalogues write
//! against them (`256mb` equals `268435456`, `>= 128MB`, `30s` equals `30000ms`).
//!
//! Two dialects: Redis sizes (`k`=1000, `kb`=1024, … case-insensitive) and
//! PostgreSQL quantities (`kB`/`MB`/`GB`/`TB` = powers of 1024; `us`, `ms`,
//! `s`, `min`, `h`, `d`), where a bare number is in the setting's own unit
//! (`shared_buffers = 16384` is 16384 × 8kB). Values are only read and
//! compared here; kinds decide what a mismatch means.

use std::cmp::Ordering;
use std::fmt;

/// A configuration value, normalised so that equal settings compare equal.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// A size in bytes.
    Bytes(f64),
    /// A duration in milliseconds.
    Millis(f64),
    /// A plain number (no unit).
    Number(f64),
    /// `yes`/`no`, `on`/`off`, `true`/`false`.
    Bool(bool),
    /// Anything else, whitespace-normalised.
    Text(String),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bytes(b) => write!(f, "{}", human_bytes(*b)),
            Value::Millis(ms) => write!(f, "{}", human_millis(*ms)),
            Value::Number(n) => write!(f, "{}", trim_float(*n)),
            Value::Bool(b) => write!(f, "{}", if *b { "on" } else { "off" }),
            Value::Text(t) => write!(f, "{t}"),
        }
    }
}

fn trim_float(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e18 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// `268435456` → `268435456 bytes (256MB)`: the raw number plus a readable form.
pub(crate) fn human_bytes(b: f64) -> String {
    const UNITS: [(&str, f64); 4] = [
        ("TB", 1024.0 * 1024.0 * 1024.0 * 1024.0),
        ("GB", 1024.0 * 1024.0 * 1024.0),
        ("MB", 1024.0 * 1024.0),
        ("kB", 1024.0),
    ];
    for (name, size) in UNITS {
        if b >= size && (b / size).fract() == 0.0 {
            return format!("{} bytes ({}{name})", trim_float(b), trim_float(b / size));
        }
    }
    format!("{} bytes", trim_float(b))
}

fn human_millis(ms: f64) -> String {
    for (name, size) in [
        ("d", 86_400_000.0),
        ("h", 3_600_000.0),
        ("min", 60_000.0),
        ("s", 1000.0),
    ] {
        if ms >= size && (ms / size).fract() == 0.0 {
            return format!("{}{name}", trim_float(ms / size));
        }
    }
    format!("{}ms", trim_float(ms))
}

fn split_number(s: &str) -> Option<(f64, &str)> {
    let s = s.trim();
    let end = s
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || (i == 0 && (c == '-' || c == '+'))))
        .map(|(i, _)| i)
        .unwrap_or(s.len());
    let n: f64 = s[..end].parse().ok()?;
    Some((n, s[end..].trim()))
}

fn boolean(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "yes" | "on" | "true" => Some(true),
        "no" | "off" | "false" => Some(false),
        _ => None,
    }
}

fn text(s: &str) -> Value {
    Value::Text(s.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Reads a Redis configuration value: memory sizes with Redis's units
/// (`1k` = 1000, `1kb` = 1024, case-insensitive), `yes`/`no`, numbers, text.
pub(crate) fn redis_value(s: &str) -> Value {
    if let Some(b) = boolean(s) {
        return Value::Bool(b);
    }
    match split_number(s) {
        Some((n, "")) => Value::Number(n),
        Some((n, unit)) => match redis_unit(unit) {
            Some(mult) => Value::Bytes(n * mult),
            None => text(s),
        },
        None => text(s),
    }
}

fn redis_unit(unit: &str) -> Option<f64> {
    Some(match unit.to_ascii_lowercase().as_str() {
        "b" => 1.0,
        "k" => 1e3,
        "kb" => 1024.0,
        "m" => 1e6,
        "mb" => 1024.0 * 1024.0,
        "g" => 1e9,
        "gb" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    })
}

/// Bytes in a Redis size (`256mb` → 268435456), `None` if it is not one.
pub(crate) fn redis_bytes(s: &str) -> Option<u64> {
    match redis_value(s) {
        Value::Bytes(b) | Value::Number(b) if b >= 0.0 => Some(b as u64),
        _ => None,
    }
}

/// The multiplier of a PostgreSQL unit as `pg_settings.unit` writes it
/// (`8kB`, `kB`, `MB`, `ms`, `s`, `min`): bytes or milliseconds.
fn pg_unit(unit: &str) -> Option<(f64, bool)> {
    let (count, name) = match split_number(unit) {
        Some((n, rest)) => (n, rest),
        None => (1.0, unit.trim()),
    };
    let (mult, is_bytes) = match name.to_ascii_lowercase().as_str() {
        "b" => (1.0, true),
        "kb" => (1024.0, true),
        "mb" => (1024.0 * 1024.0, true),
        "gb" => (1024.0 * 1024.0 * 1024.0, true),
        "tb" => (1024.0 * 1024.0 * 1024.0 * 1024.0, true),
        "us" => (0.001, false),
        "ms" => (1.0, false),
        "s" => (1000.0, false),
        "min" => (60_000.0, false),
        "h" => (3_600_000.0, false),
        "d" => (86_400_000.0, false),
        _ => return None,
    };
    Some((count * mult, is_bytes))
}

/// Reads a PostgreSQL setting value. `default_unit` is the setting's own unit
/// (`pg_settings.unit`, e.g. `8kB`), applied to bare numbers.
pub(crate) fn pg_value(s: &str, default_unit: Option<&str>) -> Value {
    let s = s.trim().trim_matches('\'');
    if let Some(b) = boolean(s) {
        return Value::Bool(b);
    }
    let Some((n, unit)) = split_number(s) else {
        return text(s);
    };
    let unit = if unit.is_empty() {
        match default_unit.filter(|u| !u.is_empty()) {
            Some(u) => u,
            None => return Value::Number(n),
        }
    } else {
        unit
    };
    match pg_unit(unit) {
        Some((mult, true)) => Value::Bytes(n * mult),
        Some((mult, false)) => Value::Millis(n * mult),
        None => text(s),
    }
}

/// The unit PostgreSQL applies to a bare number for common settings, for
/// reading init SQL files without a server to ask.
pub(crate) fn pg_default_unit(setting: &str) -> Option<&'static str> {
    Some(match setting {
        "shared_buffers" | "effective_cache_size" | "wal_buffers" | "temp_buffers" => "8kB",
        "work_mem"
        | "maintenance_work_mem"
        | "autovacuum_work_mem"
        | "logical_decoding_work_mem" => "kB",
        "max_wal_size" | "min_wal_size" | "wal_keep_size" => "MB",
        "checkpoint_timeout" | "autovacuum_naptime" | "wal_sender_timeout_s" => "s",
        "statement_timeout"
        | "lock_timeout"
        | "idle_in_transaction_session_timeout"
        | "log_min_duration_statement"
        | "deadlock_timeout"
        | "wal_writer_delay"
        | "bgwriter_delay"
        | "wal_sender_timeout"
        | "idle_session_timeout" => "ms",
        _ => return None,
    })
}

/// A comparison operator in an expectation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    /// `=` (the default)
    Eq,
    /// `!=`
    Ne,
    /// `>=`
    Ge,
    /// `>`
    Gt,
    /// `<=`
    Le,
    /// `<`
    Lt,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "",
            Op::Ne => "!= ",
            Op::Ge => ">= ",
            Op::Gt => "> ",
            Op::Le => "<= ",
            Op::Lt => "< ",
        }
    }
}

/// An expected value as a catalogue writes it: `200`, `>= 256MB`, `!= noeviction`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Expectation {
    /// The operator (`=` when none is written).
    pub op: Op,
    /// The value after the operator, as written.
    pub value: String,
}

impl Expectation {
    /// Parses `>=200`, `> 1GB`, `yes`.
    pub(crate) fn parse(s: &str) -> Expectation {
        let t = s.trim();
        for (p, op) in [
            (">=", Op::Ge),
            ("<=", Op::Le),
            ("!=", Op::Ne),
            ("==", Op::Eq),
            (">", Op::Gt),
            ("<", Op::Lt),
            ("=", Op::Eq),
        ] {
            if let Some(rest) = t.strip_prefix(p) {
                return Expectation {
                    op,
                    value: rest.trim().to_string(),
                };
            }
        }
        Expectation {
            op: Op::Eq,
            value: t.to_string(),
        }
    }

    /// Whether `actual` satisfies this expectation once `expected` (this
    /// expectation's value read in the same dialect) is known.
    /// `Err` when the two cannot be compared with an ordering operator.
    pub(crate) fn holds(&self, expected: &Value, actual: &Value) -> Result<bool, String> {
        let ord = compare(expected, actual);
        match (self.op, ord) {
            (Op::Eq, o) => Ok(o == Some(Ordering::Equal)),
            (Op::Ne, o) => Ok(o != Some(Ordering::Equal)),
            (_, None) => Err(format!(
                "cannot compare `{actual}` with `{}` using `{}`",
                self.value,
                self.op.as_str().trim()
            )),
            // `ord` is actual compared to expected.
            (Op::Ge, Some(o)) => Ok(o != Ordering::Less),
            (Op::Gt, Some(o)) => Ok(o == Ordering::Greater),
            (Op::Le, Some(o)) => Ok(o != Ordering::Greater),
            (Op::Lt, Some(o)) => Ok(o == Ordering::Less),
        }
    }

    /// How the expectation reads in a message: `>= 256MB`.
    pub(crate) fn describe(&self, expected: &Value) -> String {
        match expected {
            Value::Bytes(_) | Value::Millis(_) => format!("{}{expected}", self.op.as_str()),
            _ => format!("{}{}", self.op.as_str(), self.value),
        }
    }
}

/// Orders `actual` against `expected` when they are comparable. A bare number
/// compares with a size or a duration as a number of bytes or milliseconds.
fn compare(expected: &Value, actual: &Value) -> Option<Ordering> {
    use Value::*;
    let num = |v: &Value| match v {
        Bytes(n) | Millis(n) | Number(n) => Some(*n),
        _ => None,
    };
    match (expected, actual) {
        (Bytes(_), Millis(_)) | (Millis(_), Bytes(_)) => None,
        (Bool(a), Bool(b)) => Some(b.cmp(a)),
        (Text(a), Text(b)) => a.eq_ignore_ascii_case(b).then_some(Ordering::Equal),
        (a, b) => match (num(a), num(b)) {
            (Some(x), Some(y)) => y.partial_cmp(&x),
            // A number and a word: equal only when they read the same.
            _ => a
                .to_string()
                .eq_ignore_ascii_case(&b.to_string())
                .then_some(Ordering::Equal),
        },
    }
}

/// Longest check or run timeout: a day. Anything longer is a typo
/// (`--deadline 500000000000y` once overflowed the clock and panicked).
pub(crate) const MAX_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Longest duration any field accepts (certificate validity, ages): 100 years.
pub(crate) const MAX_DURATION: std::time::Duration =
    std::time::Duration::from_secs(100 * 365 * 24 * 3600);

/// A humantime duration no longer than `max`; errors are plain sentences.
pub(crate) fn parse_duration_within(
    s: &str,
    max: std::time::Duration,
) -> Result<std::time::Duration, String> {
    let d = humantime::parse_duration(s.trim()).map_err(|e| e.to_string())?;
    if d > max {
        return Err(format!(
            "`{}` is longer than the maximum of {}",
            s.trim(),
            humantime::format_duration(max)
        ));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_beyond_the_maximum_are_refused_not_overflowed() {
        assert_eq!(
            parse_duration_within("30s", MAX_TIMEOUT),
            Ok(std::time::Duration::from_secs(30))
        );
        for huge in ["500000000000y", "25h", "10000000000000000000s"] {
            assert!(parse_duration_within(huge, MAX_TIMEOUT).is_err(), "{huge}");
        }
        assert!(parse_duration_within("90d", MAX_DURATION).is_ok());
    }

    #[test]
    fn redis_sizes_follow_redis_units() {
        assert_eq!(redis_bytes("256mb"), Some(268_435_456));
        assert_eq!(redis_bytes("256MB"), Some(268_435_456));
        assert_eq!(redis_bytes("1k"), Some(1000));
        assert_eq!(redis_bytes("1kb"), Some(1024));
        assert_eq!(redis_bytes("2gb"), Some(2 * 1024 * 1024 * 1024));
        assert_eq!(redis_bytes("268435456"), Some(268_435_456));
        assert_eq!(redis_bytes("allkeys-lru"), None);
    }

    #[test]
    fn redis_size_equals_its_byte_count() {
        let e = Expectation::parse("256mb");
        assert!(
            e.holds(&redis_value(&e.value), &redis_value("268435456"))
                .unwrap()
        );
        assert!(!e.holds(&redis_value(&e.value), &redis_value("0")).unwrap());
        let e = Expectation::parse("yes");
        assert!(e.holds(&redis_value("yes"), &redis_value("YES")).unwrap());
        assert!(!e.holds(&redis_value("yes"), &redis_value("no")).unwrap());
        let e = Expectation::parse("allkeys-lru");
        assert!(
            !e.holds(&redis_value("allkeys-lru"), &redis_value("noeviction"))
                .unwrap()
        );
    }

    #[test]
    fn pg_values_use_the_setting_unit_for_bare_numbers() {
        assert_eq!(pg_value("16384", Some("8kB")), Value::Bytes(134_217_728.0));
        assert_eq!(pg_value("'128MB'", None), Value::Bytes(134_217_728.0));
        assert_eq!(pg_value("30s", Some("ms")), Value::Millis(30_000.0));
        assert_eq!(pg_value("5min", None), Value::Millis(300_000.0));
        assert_eq!(pg_value("200", None), Value::Number(200.0));
        assert_eq!(pg_value("on", None), Value::Bool(true));
        assert_eq!(
            pg_value("'pg_stat_statements'", None),
            Value::Text("pg_stat_statements".into())
        );
    }

    #[test]
    fn ordering_operators_compare_quantities() {
        let e = Expectation::parse(">= 256MB");
        assert_eq!(e.op, Op::Ge);
        let want = pg_value(&e.value, Some("8kB"));
        assert!(e.holds(&want, &pg_value("32768", Some("8kB"))).unwrap());
        assert!(!e.holds(&want, &pg_value("16384", Some("8kB"))).unwrap());
        assert_eq!(e.describe(&want), ">= 268435456 bytes (256MB)");
        let e = Expectation::parse(">=200");
        assert!(
            e.holds(&Value::Number(200.0), &Value::Number(200.0))
                .unwrap()
        );
        assert!(
            Expectation::parse("> 1s")
                .holds(&Value::Millis(1000.0), &Value::Bytes(1.0))
                .is_err()
        );
    }
}
