//! The watcher's runner: feeds the pure state machine of [`crate::outage::watch`] with probe
//! reports and applies its decisions through the same calls staff use, as `Detection::Probe`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::Records;
use crate::domain::{Detection, Service};
use crate::error::Result;
use crate::outage::probe::{Probes, Report};
use crate::outage::watch::{Decision, Mode, Watch};

fn mode_of(records: &Records) -> Result<Mode> {
    Ok(match records.status()?.outage {
        None => Mode::Normal,
        Some(o) => Mode::Degraded {
            by_probe: o.detected_by == Detection::Probe,
        },
    })
}

/// One round: probe, decide, apply. Returns the report and what was decided.
pub fn round(
    records: &mut Records,
    probes: &Probes,
    watch: &mut Watch,
) -> Result<(Report, Decision)> {
    let report = probes.run();
    let decision = watch.observe(&report, mode_of(records)?);
    match &decision {
        Decision::Degrade { reason } => {
            records.outage_start(
                reason,
                &[Service::Qualification, Service::Eprescription],
                Detection::Probe,
            )?;
        }
        Decision::Recover => {
            records.outage_end("自動検知: プローブが正常に戻りました", Detection::Probe)?;
        }
        Decision::NoteRecovered => {
            records.outage_note("自動監視: 資格確認端末の応答が戻りました。確認のうえ「障害終了」を記録してください")?;
        }
        Decision::Nothing => {}
    }
    Ok((report, decision))
}

/// Runs rounds every `interval` until `stop` is set, calling `on_round` after each.
pub fn run(
    records: &mut Records,
    probes: &Probes,
    watch: &mut Watch,
    interval: Duration,
    stop: &AtomicBool,
    mut on_round: impl FnMut(&Report, &Decision),
) -> Result<()> {
    while !stop.load(Ordering::Relaxed) {
        let (report, decision) = round(records, probes, watch)?;
        on_round(&report, &decision);
        // Sleep in short steps so a stop request is honoured promptly.
        let mut left = interval;
        while !left.is_zero() && !stop.load(Ordering::Relaxed) {
            let step = left.min(Duration::from_millis(100));
            std::thread::sleep(step);
            left -= step;
        }
    }
    Ok(())
}
