//! Blocking work off the async workers, bounded in time.
//!
//! A parser that reads files, a `metadata` call on a hung mount: run on
//! tokio's blocking pool so no async worker is held, and abandoned at the
//! budget so the check returns a plain "not read within" instead of waiting.
//! The runner shuts its runtime down without waiting for abandoned threads.

use std::time::Duration;

/// The work did not finish within its budget (it may still be running; its
/// result is dropped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimedOut(pub Duration);

/// Runs `f` on the blocking pool and waits at most `budget` for it.
/// Outside a tokio runtime (unit tests of sync code) it runs inline.
pub(crate) async fn run<T, F>(budget: Duration, f: F) -> Result<T, TimedOut>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    if tokio::runtime::Handle::try_current().is_err() {
        return Ok(f());
    }
    let job = tokio::task::spawn_blocking(f);
    match tokio::time::timeout(budget, job).await {
        Ok(Ok(v)) => Ok(v),
        // A panic in the job: re-raise it in the check, where the runner
        // turns it into an `error` result with the message.
        Ok(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Ok(Err(_)) => Err(TimedOut(budget)),
        Err(_) => Err(TimedOut(budget)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn gives_up_at_the_budget_without_holding_a_worker() {
        let t = Instant::now();
        let r = run(Duration::from_millis(200), || {
            std::thread::sleep(Duration::from_secs(3));
        })
        .await;
        assert_eq!(r, Err(TimedOut(Duration::from_millis(200))));
        assert!(t.elapsed() < Duration::from_secs(2));
        assert_eq!(run(Duration::from_secs(1), || 7).await, Ok(7));
    }
}
