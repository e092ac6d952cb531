//! Waking as soon as a file lands in a folder of the terminal (its result in `res/`, or a
//! request in `req/` for the stand-in): a file-system notification
//! (inotify, ReadDirectoryChangesW, through `notify`) instead of waiting out the next look.
//! Looking every `poll_ms` stays as the fallback: where no notification can be had (a network
//! share, a Samba mount whose server sends none, too many watches) and for one that is lost,
//! the wait simply ends at the poll interval as before.

use std::path::Path;
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::Duration;

use notify::{RecommendedWatcher, RecursiveMode, Watcher};

/// A watch on one folder: `res/` while a request waits for its answer, `req/` in the
/// terminal stand-in.
pub struct FolderWatch {
    /// `None` when the folder could not be watched: every wait is then a plain sleep.
    notices: Option<(RecommendedWatcher, Receiver<()>)>,
}

/// Why a wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Woken {
    /// Something changed in the folder: look now.
    Notice,
    /// The interval passed (no notification, or none can be had): look anyway.
    Interval,
}

impl FolderWatch {
    /// Starts watching `dir` (not its subfolders). Set up before the request is written, so a
    /// result that comes back at once is not missed.
    pub fn on(dir: &Path) -> FolderWatch {
        let (tx, rx) = channel();
        let notices = notify::recommended_watcher(move |_event: notify::Result<notify::Event>| {
            // Any event, even an error, is a reason to look: the look decides.
            let _ = tx.send(());
        })
        .and_then(|mut w| w.watch(dir, RecursiveMode::NonRecursive).map(|()| w))
        .ok()
        .map(|w| (w, rx));
        FolderWatch { notices }
    }

    /// No watch: every wait is the full interval.
    pub fn none() -> FolderWatch {
        FolderWatch { notices: None }
    }

    /// Whether notifications arrive, or every wait is the full interval.
    pub fn is_notified(&self) -> bool {
        self.notices.is_some()
    }

    /// Waits until something changes in the folder or `at_most` has passed. Notifications
    /// that queued up meanwhile are taken together: the caller looks at the folder after
    /// this returns, which covers all of them.
    pub fn wait(&self, at_most: Duration) -> Woken {
        let Some((_, rx)) = &self.notices else {
            std::thread::sleep(at_most);
            return Woken::Interval;
        };
        match rx.recv_timeout(at_most) {
            Ok(()) => {
                while rx.try_recv().is_ok() {}
                Woken::Notice
            }
            Err(RecvTimeoutError::Timeout) => Woken::Interval,
            // The watcher's thread ended: carry on by the clock.
            Err(RecvTimeoutError::Disconnected) => {
                std::thread::sleep(at_most);
                Woken::Interval
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_written_into_the_folder_wakes_the_wait_before_its_interval() {
        let dir = tempfile::tempdir().unwrap();
        let watch = FolderWatch::on(dir.path());
        assert!(watch.is_notified(), "a local folder can be watched");
        let path = dir.path().join("OQSsiquc01res_1.xml");
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            std::fs::write(path, b"<x/>").unwrap();
        });
        // An hour: only a notification ends this wait while the test runs.
        assert_eq!(watch.wait(Duration::from_secs(3600)), Woken::Notice);
        writer.join().unwrap();
    }

    #[test]
    fn a_folder_that_cannot_be_watched_falls_back_to_the_interval() {
        let dir = tempfile::tempdir().unwrap();
        let watch = FolderWatch::on(&dir.path().join("not there"));
        assert!(!watch.is_notified());
        assert_eq!(watch.wait(Duration::from_millis(1)), Woken::Interval);
    }
}
