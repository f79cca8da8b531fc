//! Child processes: each in its own process group, output kept as a rolling
//! tail, the whole group killed when the check ends.
//!
//! Why a group: a shell's grandchildren (`sh -c 'sleep 40 & …'`) hold the
//! output pipes open and outlive a kill of the shell alone; a terminal's
//! Ctrl-C goes to the foreground group and would kill children before the
//! runner can mark them `cancelled`. In their own group, children see only
//! what readyctl sends them: `SIGKILL` to the group at the timeout, when the
//! check is dropped (run interrupted or past its deadline) and once the
//! direct child has exited (nothing a check started outlives it).

use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::limit::Tail;

/// How long the output pipes may stay open after the direct child exited
/// (a background grandchild holding them) before the group is killed.
pub(crate) const DRAIN_GRACE: Duration = Duration::from_millis(200);

/// What a finished (or killed) child left.
#[derive(Debug)]
pub(crate) struct Finished {
    /// The direct child's exit status; `None` when it had not exited at the
    /// budget and was killed.
    pub status: Option<ExitStatus>,
    /// Tail of stdout.
    pub stdout: Tail,
    /// Tail of stderr.
    pub stderr: Tail,
    /// Processes of the group still held the output open after the direct
    /// child exited; they were killed.
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "proven by the tests; no kind reports it yet")
    )]
    pub stragglers: bool,
}

impl Finished {
    /// The direct child did not exit within the budget.
    #[cfg(test)]
    fn timed_out(&self) -> bool {
        self.status.is_none()
    }
}

/// Process groups started and not yet killed: [`kill_all`] ends them when the
/// run is over, even when the task that owns one is stuck or abandoned.
static LIVE_GROUPS: std::sync::LazyLock<Mutex<std::collections::HashSet<i32>>> =
    std::sync::LazyLock::new(Default::default);

/// Kills every process group a check started that is still alive. Called by
/// the command layer after a run (deadline, signal or not), before exiting.
pub(crate) fn kill_all() {
    let groups: Vec<i32> = LIVE_GROUPS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .drain()
        .collect();
    for g in groups {
        kill_group(g);
    }
}

/// Kills a process group when dropped.
#[derive(Debug)]
pub(crate) struct GroupGuard {
    pgid: Option<i32>,
}

impl GroupGuard {
    /// Guards the group led by `pid` (as made by `process_group(0)`).
    pub(crate) fn new(pid: Option<u32>) -> Self {
        let pgid = pid.and_then(|p| i32::try_from(p).ok()).filter(|p| *p > 1);
        if let Some(g) = pgid {
            LIVE_GROUPS
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(g);
        }
        GroupGuard { pgid }
    }

    /// Kills the group now (idempotent).
    pub(crate) fn kill(&mut self) {
        if let Some(pgid) = self.pgid.take() {
            kill_group(pgid);
            LIVE_GROUPS
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&pgid);
        }
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        self.kill();
    }
}

#[allow(
    unsafe_code,
    reason = "killpg has no safe wrapper in std or libc; it takes plain integers and touches no memory"
)]
fn kill_group(pgid: i32) {
    // SAFETY: killpg only sends a signal; an already empty group is ESRCH, ignored.
    unsafe {
        libc::killpg(pgid, libc::SIGKILL);
    }
}

/// Runs `cmd` (stdin closed, stdout and stderr piped into tails of
/// `tail_bytes` each) in a new process group and waits at most `budget` for
/// the direct child to exit. The group is killed at the budget, after
/// [`DRAIN_GRACE`] once the child exited, and when this future is dropped.
pub(crate) async fn run(
    mut cmd: tokio::process::Command,
    budget: Duration,
    tail_bytes: usize,
) -> std::io::Result<Finished> {
    cmd.process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd.spawn()?;
    let mut guard = GroupGuard::new(child.id());
    let out = Arc::new(Mutex::new(Tail::new(tail_bytes)));
    let err = Arc::new(Mutex::new(Tail::new(tail_bytes)));
    let readers = {
        let (o, e) = (out.clone(), err.clone());
        let so = child.stdout.take();
        let se = child.stderr.take();
        async move {
            let a = async {
                if let Some(s) = so {
                    pump(s, &o).await;
                }
            };
            let b = async {
                if let Some(s) = se {
                    pump(s, &e).await;
                }
            };
            futures::join!(a, b);
        }
    };
    tokio::pin!(readers);
    let started = tokio::time::Instant::now();
    let mut readers_done = false;
    let status = {
        let wait = tokio::time::timeout(budget, child.wait());
        tokio::pin!(wait);
        loop {
            tokio::select! {
                r = &mut wait => break match r {
                    Ok(s) => Some(s?),
                    Err(_) => None,
                },
                () = &mut readers, if !readers_done => readers_done = true,
            }
        }
    };
    let mut stragglers = false;
    if status.is_some() && !readers_done {
        let left = budget.saturating_sub(started.elapsed()).min(DRAIN_GRACE);
        stragglers = tokio::time::timeout(left, &mut readers).await.is_err();
    }
    guard.kill();
    if status.is_none() {
        let _ = child.wait().await;
    }
    let take = |t: &Arc<Mutex<Tail>>| t.lock().unwrap_or_else(|e| e.into_inner()).clone();
    Ok(Finished {
        status,
        stdout: take(&out),
        stderr: take(&err),
        stragglers,
    })
}

async fn pump<R: tokio::io::AsyncRead + Unpin>(mut r: R, into: &Mutex<Tail>) {
    use tokio::io::AsyncReadExt;
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        match r.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                into.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(&chunk[..n]);
                // A pipe that is always ready (`cat /dev/zero`) would
                // otherwise keep this task in one poll forever: the timeout
                // and the runner's abort could never get a turn.
                tokio::task::yield_now().await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn sh(script: &str) -> tokio::process::Command {
        let mut c = tokio::process::Command::new("sh");
        c.arg("-c").arg(script);
        c
    }

    #[tokio::test]
    async fn a_shell_that_exits_is_not_timed_out_and_its_background_job_dies() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        let t = Instant::now();
        let f = run(
            sh(&format!(
                "sleep 40 & echo $! > {}; echo started",
                pidfile.display()
            )),
            Duration::from_secs(10),
            1024,
        )
        .await
        .unwrap();
        assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
        assert_eq!(f.status.and_then(|s| s.code()), Some(0));
        assert!(f.stdout.text().contains("started"));
        assert!(f.stragglers);
        let pid = std::fs::read_to_string(&pidfile).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        // Gone, or a zombie waiting for a reaper (containers often lack one).
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())).unwrap_or_default();
        let state = stat.rsplit(')').next().unwrap_or("").trim_start();
        assert!(
            stat.is_empty() || state.starts_with('Z'),
            "the background sleep survived: {stat}"
        );
    }

    #[tokio::test]
    async fn endless_output_is_a_bounded_tail_and_the_timeout_kills_the_group() {
        let t = Instant::now();
        let f = run(sh("cat /dev/zero"), Duration::from_millis(500), 4096)
            .await
            .unwrap();
        assert!(f.timed_out());
        assert!(t.elapsed() < Duration::from_secs(3));
        assert_eq!(f.stdout.text().len(), 4096);
        assert!(f.stdout.total > 4096);
    }
}
