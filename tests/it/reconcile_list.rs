//! The 照合 screen's list model at the size of a year: open records by default, settled ones on
//! request and a page at a time (newest first), a window of rows read around the selection,
//! and a re-read only when the records changed.

use crate::common::*;
use onshi_fallback::domain::ids::VisitId;
use onshi_fallback::reconcile::ReconcileStatus;
use onshi_fallback::service::{Decision, ReconcileCounts, ReconcileList, Records};
use onshi_fallback::store::{queue, visits};

/// 30 visits: 1–20 settled by a pass (match), 21–25 answered with a difference (要判断),
/// 26–30 still due (照合待ち).
fn history() -> Records {
    let mut r = memory_records();
    for n in 0..30 {
        r.intake(&intake(n)).unwrap();
    }
    let stamp = r.stamp();
    r.store
        .write(|tx| {
            for id in 1..=25 {
                let v = visits::require(tx, id)?;
                let settle = (id <= 20).then_some(v.declaration_id);
                let status = if settle.is_some() {
                    ReconcileStatus::Match
                } else {
                    ReconcileStatus::Changed
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
                    &stamp,
                )?;
            }
            Ok(())
        })
        .unwrap();
    r
}

fn ids(range: impl Iterator<Item = i64>) -> Vec<VisitId> {
    range.map(VisitId).collect()
}

#[test]
fn open_records_come_first_and_settled_ones_page_newest_first() {
    let r = history();
    assert_eq!(
        r.reconcile_counts().unwrap(),
        ReconcileCounts {
            to_decide: 5,
            waiting: 5,
            settled: 20
        }
    );
    assert_eq!(
        r.reconcile_open_ids().unwrap(),
        ids((21..=25).chain(26..=30)),
        "要判断 first, then 照合待ち"
    );
    let page = |offset, limit| -> Vec<VisitId> {
        r.reconcile_settled(offset, limit)
            .unwrap()
            .into_iter()
            .map(|row| row.visit_id)
            .collect()
    };
    assert_eq!(page(0, 8), ids((13..=20).rev()));
    assert_eq!(page(16, 8), ids((1..=4).rev()), "the last page is short");
    assert!(page(20, 8).is_empty());
    let rows = r.reconcile_rows(&ids([22, 27].into_iter())).unwrap();
    assert_eq!(rows[0].visit_id, VisitId(22));
    assert_eq!(rows[1].visit_id, VisitId(27));
    assert!(r.reconcile_rows(&[VisitId(99)]).is_err(), "no such entry");
}

#[test]
fn the_list_shows_open_records_and_the_settled_only_on_request_a_window_at_a_time() {
    let r = history();
    let mut list = ReconcileList::new(4);
    assert!(list.refresh(&r).unwrap(), "first read");
    assert_eq!(list.len(), 10, "settled records are counted, not listed");
    assert_eq!(list.counts().settled, 20);
    let window: Vec<_> = list.window().map(|(i, row)| (i, row.visit_id)).collect();
    assert_eq!(
        window,
        vec![
            (0, VisitId(21)),
            (1, VisitId(22)),
            (2, VisitId(23)),
            (3, VisitId(24))
        ]
    );

    // Moving past the window's end moves the window, one row at a time.
    list.move_by(&r, 5).unwrap();
    assert_eq!(list.selected(), 5);
    assert_eq!(list.top(), 2);
    assert_eq!(list.selected_row().unwrap().visit_id, VisitId(26));
    assert_eq!(list.window().count(), 4);

    // On request the settled records follow, newest first, read a window at a time.
    list.set_show_settled(&r, true).unwrap();
    assert_eq!(list.len(), 30);
    assert_eq!(list.selected(), 10, "the first settled record is selected");
    assert_eq!(list.selected_row().unwrap().visit_id, VisitId(20));
    list.move_by(&r, 1000).unwrap();
    assert_eq!(list.selected(), 29, "clamped to the list");
    assert_eq!(list.selected_row().unwrap().visit_id, VisitId(1));
    let window: Vec<_> = list.window().map(|(_, row)| row.visit_id).collect();
    assert_eq!(window, ids([4, 3, 2, 1].into_iter()));
    list.move_by(&r, -1000).unwrap();
    assert_eq!(list.selected_row().unwrap().visit_id, VisitId(21));

    list.set_show_settled(&r, false).unwrap();
    assert_eq!(list.len(), 10);
}

#[test]
fn the_list_is_read_again_only_when_the_records_changed() {
    let mut r = history();
    let mut list = ReconcileList::new(4);
    assert!(list.refresh(&r).unwrap());
    assert!(!list.refresh(&r).unwrap(), "nothing changed: nothing read");
    list.move_by(&r, 1).unwrap();
    assert_eq!(list.selected_row().unwrap().visit_id, VisitId(22));

    // A decision made elsewhere (another PC, the command line) moves the mark.
    let before = r.change_mark().unwrap();
    r.resolve(VisitId(21), Decision::AcceptDeclared, "本人確認済み")
        .unwrap();
    assert!(r.change_mark().unwrap() > before);
    assert!(list.refresh(&r).unwrap());
    assert_eq!(list.counts().to_decide, 4);
    assert_eq!(list.counts().settled, 21);
    assert_eq!(list.len(), 9, "the settled record left the open list");
    assert_eq!(
        list.selected_row().unwrap().visit_id,
        VisitId(22),
        "the same record stays selected"
    );
    assert!(!list.refresh(&r).unwrap());
}
