//! Progress on stderr while checks run: how many are done and which are still
//! running after a second. Fed by the runner's `on_event` callback; redrawn by
//! a small ticker task on one line (`\r` + clear). Only ever enabled on a TTY
//! and without `--quiet`, so it never mixes into piped output or JSON.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::runner::Event;

/// How long a check runs before the progress line names it.
pub(crate) const NAME_AFTER: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
struct State {
    total: usize,
    done: usize,
    /// Running checks by catalogue index (a B-tree: removing one is
    /// O(log n); an `IndexMap::shift_remove` was O(n), half of the CPU time
    /// of a 10,000-check run).
    running: BTreeMap<usize, Instant>,
    drawn: bool,
    last: String,
}

/// A live progress line. Inert when disabled.
pub(crate) struct Progress {
    state: Arc<Mutex<State>>,
    names: Arc<Vec<String>>,
    ticker: Option<tokio::task::JoinHandle<()>>,
}

impl Progress {
    /// Starts the display for `total` checks named by `names` (catalogue
    /// order). Must be called inside a tokio runtime when `enabled`.
    pub(crate) fn start(names: Vec<String>, total: usize, enabled: bool) -> Progress {
        let state = Arc::new(Mutex::new(State {
            total,
            ..State::default()
        }));
        let names = Arc::new(names);
        let ticker = enabled.then(|| {
            let state = state.clone();
            let names = names.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_millis(200));
                loop {
                    tick.tick().await;
                    let text = {
                        let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
                        let text = line(&s, &names, Instant::now());
                        if s.drawn && text == s.last {
                            continue;
                        }
                        s.drawn = true;
                        s.last = text.clone();
                        text
                    };
                    let mut err = std::io::stderr().lock();
                    let _ = write!(err, "\r\x1b[2K{text}");
                    let _ = err.flush();
                }
            })
        });
        Progress {
            state,
            names,
            ticker,
        }
    }

    /// Records a runner event.
    pub(crate) fn event(&self, e: &Event) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match e {
            Event::Started { index } => {
                s.running.insert(*index, Instant::now());
            }
            Event::Finished { index, .. } => {
                s.running.remove(index);
                s.done += 1;
            }
        }
    }

    /// Stops the ticker and clears the line.
    pub(crate) fn finish(self) {
        if let Some(t) = self.ticker {
            t.abort();
            let drawn = self.state.lock().map(|s| s.drawn).unwrap_or(true);
            if drawn {
                let mut err = std::io::stderr().lock();
                let _ = write!(err, "\r\x1b[2K");
                let _ = err.flush();
            }
        }
        let _ = self.names;
    }
}

/// The progress line: `[3/12] running: redis.ping, pg.connect (+2)`.
fn line(s: &State, names: &[String], now: Instant) -> String {
    let slow: Vec<&str> = s
        .running
        .iter()
        .filter(|(_, t0)| now.duration_since(**t0) >= NAME_AFTER)
        .filter_map(|(i, _)| names.get(*i).map(String::as_str))
        .collect();
    let mut out = format!("[{}/{}]", s.done, s.total);
    if !slow.is_empty() {
        out.push_str(" running: ");
        out.push_str(&slow.iter().take(3).copied().collect::<Vec<_>>().join(", "));
        if slow.len() > 3 {
            out.push_str(&format!(" (+{})", slow.len() - 3));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_only_checks_running_longer_than_a_second() {
        let t = Instant::now();
        let mut s = State {
            total: 5,
            done: 2,
            ..State::default()
        };
        s.running.insert(0, t);
        s.running.insert(1, t + Duration::from_millis(900));
        let names = vec!["slow.one".to_string(), "fast.two".to_string()];
        assert_eq!(
            line(&s, &names, t + Duration::from_millis(1500)),
            "[2/5] running: slow.one"
        );
        assert_eq!(line(&s, &names, t + Duration::from_millis(500)), "[2/5]");
    }

    #[test]
    fn events_update_counts() {
        let p = Progress::start(vec!["a".into()], 1, false);
        p.event(&Event::Started { index: 0 });
        assert_eq!(p.state.lock().unwrap().running.len(), 1);
        p.event(&Event::Finished { index: 0 });
        assert_eq!(p.state.lock().unwrap().done, 1);
        p.finish();
    }
}
