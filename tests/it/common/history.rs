//! The reconciliation history of a year, as both the store bench (`benches/store.rs` includes
//! this file) and the 照合 screen's timed run lay it on their 100,000-visit database: of the
//! visits 1..=`visits`, every 200th left 照合待ち, every 200th offset by 100 要判断 (changed),
//! and the rest (99 %) settled as matches.

use onshi_fallback::reconcile::ReconcileStatus;
use onshi_fallback::service::Records;
use onshi_fallback::store::{queue, Stamp};

pub fn settle_most(records: &mut Records, visits: i64, stamp: &Stamp) {
    records
        .store
        .write(|tx| {
            for id in 1..=visits {
                let (status, settle) = match id % 200 {
                    0 => continue,
                    100 => (ReconcileStatus::Changed, None),
                    _ => (ReconcileStatus::Match, Some(id)),
                };
                queue::record_check(
                    tx,
                    id,
                    &queue::CheckResult {
                        status,
                        differences: &[],
                        reason: "",
                        verified: None,
                        settle_with: settle,
                    },
                    stamp,
                )?;
            }
            Ok(())
        })
        .unwrap();
}
