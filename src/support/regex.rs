//! Regexes compiled once per process and shared (see [`cached`]): by the
//! kinds that take patterns from the catalogue and by the domain parsers
//! that take them from the deployment (service selectors).

/// At most this many distinct patterns are kept by [`cached`].
const REGEX_CACHE_MAX: usize = 1024;

type RegexCache =
    std::sync::Mutex<std::collections::HashMap<(String, bool), std::sync::Arc<regex::Regex>>>;
static REGEX_CACHE: std::sync::LazyLock<RegexCache> = std::sync::LazyLock::new(Default::default);

/// Compiles `pattern` (with `(?m)` when `multi_line`) once per process and
/// shares it. Not `Regex::clone`: each clone gets its own empty match cache,
/// whose set-up costs ~20k instructions at the first search. Catalogues repeat a
/// few patterns over many checks: 10,000 `file` checks with `contains: '^#!'`
/// spent a quarter of their instructions compiling it twice per check
/// (validation, then run). Invalid patterns are not cached; past
/// `REGEX_CACHE_MAX` distinct patterns new ones are compiled without caching.
pub(crate) fn cached(
    pattern: &str,
    multi_line: bool,
) -> Result<std::sync::Arc<regex::Regex>, regex::Error> {
    let key = (pattern.to_string(), multi_line);
    if let Some(re) = REGEX_CACHE
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&key)
    {
        return Ok(re.clone());
    }
    let re = std::sync::Arc::new(
        regex::RegexBuilder::new(pattern)
            .multi_line(multi_line)
            .build()?,
    );
    let mut cache = REGEX_CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if cache.len() < REGEX_CACHE_MAX {
        cache.insert(key, re.clone());
    }
    Ok(re)
}

type UnfilteredCache = std::sync::Mutex<
    std::collections::HashMap<String, std::sync::Arc<regex_automata::meta::Regex>>,
>;
static UNFILTERED_CACHE: std::sync::LazyLock<UnfilteredCache> =
    std::sync::LazyLock::new(Default::default);

/// `pattern` as regex-automata's meta regex (the engine under `regex`)
/// without the literal prefilter, compiled once per process and shared like
/// [`cached`]: for many short haystacks (the keys of a `.env` file), where
/// setting the prefilter up costs more than the search. Same matches as
/// `regex`; `None` when the pattern does not compile.
pub(crate) fn cached_unfiltered(
    pattern: &str,
) -> Option<std::sync::Arc<regex_automata::meta::Regex>> {
    if let Some(re) = UNFILTERED_CACHE
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(pattern)
    {
        return Some(re.clone());
    }
    let re = std::sync::Arc::new(
        regex_automata::meta::Regex::builder()
            .configure(regex_automata::meta::Config::new().auto_prefilter(false))
            .build(pattern)
            .ok()?,
    );
    let mut cache = UNFILTERED_CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if cache.len() < REGEX_CACHE_MAX {
        cache.insert(pattern.to_string(), re.clone());
    }
    Some(re)
}
