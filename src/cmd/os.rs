//! What readyctl asks of the operating system: signals, the terminal's
//! width and the open-file limit (which caps concurrency).

/// Resolves on Ctrl-C or SIGTERM.
pub(crate) async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Terminal width for the table: `COLUMNS`, else the terminal's, else 120 (at least 60).
pub(crate) fn terminal_width() -> u16 {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .or_else(|| comfy_table::Table::new().width())
        .unwrap_or(120)
        .max(60)
}

/// File descriptors kept for readyctl itself (stdio, report files, the
/// runtime, DNS) before the rest is shared among concurrent checks.
const FD_RESERVE: u64 = 64;
/// Descriptors one check may hold at once (a socket, a TLS/DNS helper, a file).
const FD_PER_CHECK: u64 = 4;

/// The concurrency a run really uses, and the one-line notice when it was lowered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Concurrency {
    /// Checks at once.
    pub value: usize,
    /// Said on stderr when `--concurrency` was lowered.
    pub note: Option<String>,
}

/// Caps `requested` so that concurrent checks cannot exhaust the open-file
/// limit `limit` (`None`: unknown, no cap): at most
/// `(limit - FD_RESERVE) / FD_PER_CHECK`, and at least 1.
pub(crate) fn cap_concurrency(requested: usize, limit: Option<u64>) -> Concurrency {
    let requested = requested.max(1);
    let Some(limit) = limit else {
        return Concurrency {
            value: requested,
            note: None,
        };
    };
    let allowed = (limit.saturating_sub(FD_RESERVE) / FD_PER_CHECK).max(1);
    if requested as u64 <= allowed {
        return Concurrency {
            value: requested,
            note: None,
        };
    }
    let value = usize::try_from(allowed).unwrap_or(usize::MAX);
    Concurrency {
        value,
        note: Some(format!(
            "readyctl: --concurrency {requested} lowered to {value}: the open-file limit is {limit} (raise it with `ulimit -n`)"
        )),
    }
}

/// The soft open-file limit (RLIMIT_NOFILE), after raising it to the hard
/// limit when allowed; `None` when it cannot be read or is unlimited.
#[allow(
    unsafe_code,
    reason = "getrlimit/setrlimit have no safe wrapper in libc; both only touch a struct we own"
)]
pub(crate) fn open_file_limit() -> Option<u64> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we own; no other memory is touched.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return None;
    }
    if lim.rlim_cur < lim.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: lim.rlim_max,
            rlim_max: lim.rlim_max,
        };
        // SAFETY: setrlimit only reads the struct; failure leaves the limit as it was.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            lim.rlim_cur = lim.rlim_max;
        }
    }
    if lim.rlim_cur == libc::RLIM_INFINITY {
        return None;
    }
    Some(lim.rlim_cur)
}

#[cfg(test)]
mod concurrency_tests {
    use super::*;

    #[test]
    fn concurrency_is_capped_by_the_open_file_limit() {
        assert_eq!(cap_concurrency(64, Some(1024)).value, 64);
        assert_eq!(cap_concurrency(64, Some(1024)).note, None);
        let c = cap_concurrency(256, Some(256));
        assert_eq!(c.value, 48);
        let note = c.note.unwrap();
        assert!(note.contains("--concurrency 256 lowered to 48"), "{note}");
        assert!(!note.contains('\n'));
        assert_eq!(cap_concurrency(10, Some(3)).value, 1);
        assert_eq!(cap_concurrency(0, None).value, 1);
        assert_eq!(cap_concurrency(5000, None).value, 5000);
    }
}
