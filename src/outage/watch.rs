//! The watcher: runs the probes on an interval and switches mode on their evidence.
//!
//! The decision is a small pure state machine ([`Watch::observe`]) so it can be tested without
//! clocks or folders; `service::watch::run` feeds it probe reports and applies its decisions
//! through the same service calls staff use, with `Detection::Probe`.
//!
//! - After `failures_to_degrade` consecutive failed rounds with no outage open: enter degraded
//!   mode (an outage detected by probe).
//! - After `passes_to_recover` consecutive passing rounds with an outage open that the probes
//!   started: record the line's return.
//! - An outage staff declared by hand is theirs to end: the watcher only notes, once, that the
//!   probes pass again. Staff can always start or end by hand; the watcher counts afresh after
//!   any change it did not make.

use super::probe::Report;

/// What the watcher decided after one round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Nothing,
    Degrade {
        reason: String,
    },
    Recover,
    /// Probes pass again during a staff-declared outage: tell staff, don't end it for them.
    NoteRecovered,
}

#[derive(Debug, Clone)]
pub struct Watch {
    pub failures_to_degrade: u32,
    pub passes_to_recover: u32,
    failures: u32,
    passes: u32,
    noted: bool,
}

/// What the watcher needs to know about the current mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Degraded { by_probe: bool },
}

impl Watch {
    pub fn new(failures_to_degrade: u32, passes_to_recover: u32) -> Watch {
        Watch {
            failures_to_degrade: failures_to_degrade.max(1),
            passes_to_recover: passes_to_recover.max(1),
            failures: 0,
            passes: 0,
            noted: false,
        }
    }

    pub fn observe(&mut self, report: &Report, mode: Mode) -> Decision {
        if report.ok {
            self.passes += 1;
            self.failures = 0;
        } else {
            self.failures += 1;
            self.passes = 0;
        }
        match mode {
            Mode::Normal => {
                self.noted = false;
                if self.failures >= self.failures_to_degrade {
                    self.failures = 0;
                    return Decision::Degrade {
                        reason: format!(
                            "自動検知: {}回連続で失敗 — {}",
                            self.failures_to_degrade,
                            report.summary_ja()
                        ),
                    };
                }
            }
            Mode::Degraded { by_probe } => {
                if self.passes >= self.passes_to_recover {
                    if by_probe {
                        self.passes = 0;
                        return Decision::Recover;
                    }
                    if !self.noted {
                        self.noted = true;
                        return Decision::NoteRecovered;
                    }
                }
            }
        }
        Decision::Nothing
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outage::probe::Check;

    fn report(ok: bool) -> Report {
        Report::from_checks(vec![Check {
            name: "t".into(),
            ok,
            detail_ja: if ok {
                "正常".into()
            } else {
                "応答なし".into()
            },
            detail_en: String::new(),
        }])
    }

    #[test]
    fn degrades_only_after_n_consecutive_failures() {
        let mut w = Watch::new(3, 2);
        assert_eq!(w.observe(&report(false), Mode::Normal), Decision::Nothing);
        assert_eq!(w.observe(&report(false), Mode::Normal), Decision::Nothing);
        assert_eq!(
            w.observe(&report(true), Mode::Normal),
            Decision::Nothing,
            "a pass resets the count"
        );
        assert_eq!(w.observe(&report(false), Mode::Normal), Decision::Nothing);
        assert_eq!(w.observe(&report(false), Mode::Normal), Decision::Nothing);
        assert!(
            matches!(w.observe(&report(false), Mode::Normal), Decision::Degrade { reason } if reason.contains("応答なし"))
        );
    }

    #[test]
    fn recovers_a_probe_outage_after_n_passes() {
        let mut w = Watch::new(1, 2);
        let m = Mode::Degraded { by_probe: true };
        assert_eq!(w.observe(&report(true), m), Decision::Nothing);
        assert_eq!(w.observe(&report(false), m), Decision::Nothing);
        assert_eq!(w.observe(&report(true), m), Decision::Nothing);
        assert_eq!(w.observe(&report(true), m), Decision::Recover);
    }

    #[test]
    fn leaves_a_staff_outage_to_staff_and_says_so_once() {
        let mut w = Watch::new(1, 1);
        let m = Mode::Degraded { by_probe: false };
        assert_eq!(w.observe(&report(true), m), Decision::NoteRecovered);
        assert_eq!(w.observe(&report(true), m), Decision::Nothing);
    }
}
