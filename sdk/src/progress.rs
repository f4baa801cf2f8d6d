//! Progress reports to the host: how many files the plugin has examined.
//! The host shows them in the operator's progress display and records the
//! final count in the report. Reports are paced (at most one hostcall per
//! 100 ms, plus the final one), so calling [`Progress::file_done`] per file
//! costs nothing noticeable.

use std::cell::Cell;
use std::time::{Duration, Instant};

const PACE: Duration = Duration::from_millis(100);

/// Counts examined files and reports them to the host. Methods take `&self`
/// so a shared reader (a root-filesystem helper, say) can count as it reads.
/// The final count is sent when it is dropped, if it was not sent already.
#[derive(Debug)]
pub struct Progress {
    done: Cell<u32>,
    total: Cell<Option<u32>>,
    sent: Cell<Option<(u32, Instant)>>,
}

impl Progress {
    /// `total` is the number of files the plugin expects to examine, when
    /// it knows it up front.
    pub fn new(total: Option<u32>) -> Self {
        Progress {
            done: Cell::new(0),
            total: Cell::new(total),
            sent: Cell::new(None),
        }
    }

    pub fn set_total(&self, total: Option<u32>) {
        self.total.set(total);
    }

    /// One more file examined.
    pub fn file_done(&self) {
        self.done.set(self.done.get().saturating_add(1));
        let due = match self.sent.get() {
            None => true,
            Some((_, at)) => at.elapsed() >= PACE,
        };
        if due {
            self.send();
        }
    }

    /// Files examined so far.
    pub fn done(&self) -> u32 {
        self.done.get()
    }

    /// Send the current count now (the last report of a run).
    pub fn finish(&self) {
        if self.sent.get().map(|(n, _)| n) != Some(self.done.get()) {
            self.send();
        }
    }

    fn send(&self) {
        let (done, total) = (self.done.get(), self.total.get());
        self.sent.set(Some((done, Instant::now())));
        #[cfg(target_arch = "wasm32")]
        crate::bindings::aicomply::plugin::host::progress(done, total);
        #[cfg(not(target_arch = "wasm32"))]
        let _ = (done, total);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_paces() {
        let p = Progress::new(Some(3));
        p.file_done();
        let first = p.sent.get().unwrap();
        assert_eq!(first.0, 1, "the first file is reported at once");
        p.file_done();
        assert_eq!(p.sent.get().unwrap().0, 1, "the next waits for the pace");
        p.finish();
        assert_eq!(p.sent.get().unwrap().0, 2);
        assert_eq!(p.done(), 2);
    }
}
