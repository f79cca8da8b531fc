//! Blocking work off the async workers, bounded in time.
//!
//! A parser that reads files, a `metadata` call on a hung mount: run on
//! tokio's blocking pool so no async worker is held, and abandoned at the
//! budget so the check returns a plain "not read within" instead of waiting.
//! The runner shuts its runtime down without waiting for abandoned threads.
//!
//! A thread that is already off the async workers and watched from outside
//! (the runner's batches of `file` checks, see [`inline`]) runs the work in
//! place: a hop per check to the blocking pool was ~30 futex calls, most of a
//! 100,000-check run's system time.

use std::cell::Cell;
use std::time::Duration;

thread_local! {
    /// Set while [`inline`] runs: [`run`] calls its work in place.
    static INLINE: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with [`run`] calling its work in place on this thread. Only for
/// a thread that is not an async worker and whose caller bounds the time
/// from outside (the runner abandons a batch thread stuck past a check's
/// timeout): inside, no budget is enforced.
pub(crate) fn inline<T>(f: impl FnOnce() -> T) -> T {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            INLINE.with(|c| c.set(self.0));
        }
    }
    let _reset = Reset(INLINE.with(|c| c.replace(true)));
    f()
}

/// The work did not finish within its budget (it may still be running; its
/// result is dropped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimedOut(pub Duration);

/// Runs `f` on the blocking pool and waits at most `budget` for it.
/// Outside a tokio runtime (unit tests of sync code) and within [`inline`]
/// it runs in place.
pub(crate) async fn run<T, F>(budget: Duration, f: F) -> Result<T, TimedOut>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    if INLINE.with(Cell::get) || tokio::runtime::Handle::try_current().is_err() {
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

    /// Within `inline` the work runs on the calling thread (no hand-off),
    /// and only there: the flag is reset afterwards, even after a panic.
    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn inline_runs_in_place_and_only_inside() {
        let here = std::thread::current().id();
        let same = inline(|| {
            futures::executor::block_on(run(Duration::from_secs(1), move || {
                std::thread::current().id() == here
            }))
        });
        assert_eq!(same, Ok(true));
        let r = std::panic::catch_unwind(|| inline(|| panic!("boom")));
        assert!(r.is_err());
        let elsewhere = run(Duration::from_secs(1), move || {
            std::thread::current().id() != here
        });
        assert_eq!(elsewhere.await, Ok(true));
    }
}
