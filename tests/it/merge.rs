//! `store copy --merge`: a PC that carried on from a backup while the server was out of reach
//! brings its records back, on each engine the server may run.

use crate::common::engines::{self, for_each_engine, open_any};
use crate::common::*;
use onshi_fallback::domain::ids::VisitId;
use onshi_fallback::domain::Detection;
use onshi_fallback::store::merge::{merge, MergeReport, Renumbered};
use onshi_fallback::store::{params, Store};

fn tally(list: &[onshi_fallback::store::merge::TableTally], table: &str) -> u64 {
    list.iter()
        .find(|t| t.table == table)
        .map_or(0, |t| t.records)
}

/// Visit numbers and patient names of the store's visits, in id order.
fn visits(store: &Store) -> Vec<(String, String)> {
    store
        .read(|tx| {
            tx.query(
                "SELECT v.visit_no, p.name FROM visits v JOIN patients p ON p.id = v.patient_id
                  ORDER BY v.id",
                params![],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
        .unwrap()
}

#[test]
fn a_pcs_records_made_apart_come_back_once_without_taking_anyones_number() {
    for_each_engine(|engine| {
        let dir = tempfile::tempdir().unwrap();
        let db = engines::new_database(engine, dir.path());
        let mut server = records(open_any(&db));
        server
            .outage_start("回線認証切れ", &[], Detection::Staff)
            .unwrap();
        for n in 0..3 {
            server.intake(&intake(n)).unwrap();
        }
        // The reception PC loses the server and carries on from its latest backup.
        let laptop_file = dir.path().join("laptop.sqlite3");
        server.backup(&laptop_file).unwrap();
        let mut laptop = records(Store::open(&laptop_file).unwrap());

        // Meanwhile the server goes on with the other PCs…
        server.intake(&intake(10)).unwrap();
        server.intake(&intake(11)).unwrap();
        server.void_visit(VisitId(2), "重複受付").unwrap();
        // …and the PC with its own patients: one new, one returning with new insurance (a
        // new declaration supersedes the shared one), a shared visit voided, a shared visit
        // voided on both sides, and the outage ended here.
        let new_patient = laptop.intake(&intake(20)).unwrap();
        laptop.intake(&intake(1)).unwrap();
        laptop.void_visit(VisitId(3), "取り違え").unwrap();
        laptop.void_visit(VisitId(2), "取り違え").unwrap();
        laptop.outage_end("回線復旧", Detection::Staff).unwrap();
        laptop
            .outage_start("回線認証切れ（再発）", &[], Detection::Staff)
            .unwrap();
        assert_eq!(new_patient.visit_no, "D-1125-004");

        let report = merge(&laptop.store, &mut server.store, "事務 鈴木").unwrap();
        assert_eq!(tally(&report.inserted, "patients"), 1, "{report:?}");
        assert_eq!(tally(&report.inserted, "declarations"), 2);
        assert_eq!(tally(&report.inserted, "visits"), 2);
        assert_eq!(tally(&report.inserted, "reconcile_queue"), 2);
        assert_eq!(
            tally(&report.updated, "declarations"),
            1,
            "the superseded one"
        );
        assert_eq!(
            tally(&report.updated, "visits"),
            1,
            "visit 3, voided on the PC"
        );
        assert_eq!(tally(&report.updated, "outages"), 1, "ended on the PC");
        assert_eq!(
            tally(&report.inserted, "outages"),
            1,
            "opened again on the PC"
        );
        // Visit 2 was voided on both sides: the server's reason stays, for a person to see.
        assert!(
            report.conflicts.iter().any(|c| c.entity == "visit"
                && c.id == 2
                && c.columns.contains(&"void_reason".into())),
            "{:?}",
            report.conflicts
        );
        assert_eq!(
            report.renumbered,
            vec![
                Renumbered {
                    visit_date: "2026-11-25".into(),
                    on_pc: "D-1125-004".into(),
                    now: "D-1125-006".into()
                },
                Renumbered {
                    visit_date: "2026-11-25".into(),
                    on_pc: "D-1125-005".into(),
                    now: "D-1125-007".into()
                },
            ]
        );
        assert!(report.entries_carried > 0);

        // Every visit once, every number once, each pointing at its own patient.
        let all = visits(&server.store);
        assert_eq!(all.len(), 7, "{all:?}");
        let numbers: std::collections::BTreeSet<_> = all.iter().map(|(no, _)| no).collect();
        assert_eq!(numbers.len(), 7, "{all:?}");
        let (name20, _, _) = person(20);
        let (name1, _, _) = person(1);
        assert_eq!(all[5], ("D-1125-006".to_string(), name20));
        assert_eq!(all[6], ("D-1125-007".to_string(), name1));
        server
            .store
            .read(|tx| {
                // The PC's new declaration for patient 1 supersedes the shared one, by the ids
                // the server gave them.
                let (old_superseded_by, new_id): (Option<i64>, i64) = tx.query_one(
                    "SELECT o.superseded_by, v.declaration_id FROM visits v
                       JOIN declarations o ON o.patient_id = v.patient_id AND o.id <> v.declaration_id
                      WHERE v.visit_no = 'D-1125-007'",
                    params![],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                assert_eq!(old_superseded_by, Some(new_id));
                let (void_2, void_3): (String, String) = tx.query_one(
                    "SELECT (SELECT void_reason FROM visits WHERE id = 2),
                            (SELECT void_reason FROM visits WHERE id = 3)",
                    params![],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                assert_eq!((void_2.as_str(), void_3.as_str()), ("重複受付", "取り違え"));
                let open: String =
                    tx.value("SELECT reason FROM outages WHERE ended_at IS NULL", params![])?;
                assert_eq!(open, "回線認証切れ（再発）");
                // Who did it on the PC stays on record, with the PC's own entry.
                let carried: i64 = tx.value(
                    "SELECT COUNT(*) FROM audit_log
                      WHERE actor = '受付 佐藤' AND detail LIKE '%\"merged_from\"%'",
                    params![],
                )?;
                assert_eq!(carried as u64, report.entries_carried);
                Ok(())
            })
            .unwrap();
        assert!(server.audit_verify().unwrap().ok);

        // The same PC merged again: nothing twice.
        let again = merge(&laptop.store, &mut server.store, "事務 鈴木").unwrap();
        assert_eq!(
            again,
            MergeReport {
                fork_seq: report.fork_seq,
                conflicts: report.conflicts.clone(),
                audit_entries: report.audit_entries,
                ..MergeReport::default()
            }
        );
        assert_eq!(visits(&server.store).len(), 7);

        // The server's numbers carry on past the merged ones, in the outage the PC declared.
        let next = server.intake(&intake(12)).unwrap();
        assert_eq!(next.visit_no, "D-1125-008");
    });
}

#[test]
fn records_of_another_database_are_refused_and_nothing_is_written() {
    for_each_engine(|engine| {
        let dir = tempfile::tempdir().unwrap();
        let db = engines::new_database(engine, dir.path());
        let mut server = records(open_any(&db));
        server.intake(&intake(0)).unwrap();
        let other = dir.path().join("other.sqlite3");
        let mut elsewhere = records(demo_store(&other));
        elsewhere.intake(&intake(1)).unwrap();
        let err = merge(&elsewhere.store, &mut server.store, "事務 鈴木").unwrap_err();
        assert!(err.ja().contains("作られたものではありません"), "{err}");
        assert_eq!(count(&server.store, "visits"), 1);
    });
}

#[test]
fn records_stored_before_identities_get_the_same_uuid_in_every_copy() {
    // Two copies of one database at schema 7, migrated apart (the server and a PC's backup):
    // their shared records get the same UUIDs, so a merge finds them rather than adding them.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("v7.sqlite3");
    {
        let mut r = records(demo_store(&file));
        r.intake(&intake(0)).unwrap();
        r.intake(&intake(1)).unwrap();
    }
    let to_v7 = |path: &std::path::Path| {
        let c = rusqlite::Connection::open(path).unwrap();
        for t in [
            "patients",
            "declarations",
            "visits",
            "outages",
            "outage_notes",
            "runbook_ticks",
            "prescriptions",
            "staff",
            "break_glass",
        ] {
            c.execute_batch(&format!(
                "DROP TRIGGER {t}_uuid_fixed; DROP INDEX {t}_uuid; ALTER TABLE {t} DROP COLUMN uuid;"
            ))
            .unwrap();
        }
        c.execute_batch("PRAGMA user_version = 7").unwrap();
    };
    to_v7(&file);
    // Apart, as on two PCs (each keeps its pre-migration backup beside it).
    std::fs::create_dir(dir.path().join("pc")).unwrap();
    let copy = dir.path().join("pc/copy.sqlite3");
    std::fs::copy(&file, &copy).unwrap();
    let uuids = |path: &std::path::Path| -> Vec<String> {
        let s = Store::open(path).unwrap();
        assert!(s.read(onshi_fallback::store::audit::verify).unwrap().ok);
        s.read(|tx| {
            tx.query(
                "SELECT uuid FROM patients UNION ALL SELECT uuid FROM visits ORDER BY 1",
                params![],
                |r| r.get(0),
            )
        })
        .unwrap()
    };
    let (a, b) = (uuids(&file), uuids(&copy));
    assert_eq!(a.len(), 4);
    assert_eq!(a, b);
    assert!(a
        .iter()
        .all(|u| uuid::Uuid::parse_str(u).unwrap().get_version_num() == 7));
}

#[test]
fn the_command_line_merges_a_laptops_file_and_names_each_new_number() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clinic.sqlite3");
    let laptop = dir.path().join("pc/laptop.sqlite3");
    {
        let mut reception = records(demo_store(&db));
        reception.intake(&intake(0)).unwrap();
        reception.backup(&laptop).unwrap();
        reception.intake(&intake(10)).unwrap();
    }
    // The laptop registers as new a patient reception registered after the copy.
    records(Store::open(&laptop).unwrap())
        .intake(&intake(10))
        .unwrap();
    let args = [
        "store",
        "copy",
        "--merge",
        "--from",
        laptop.to_str().unwrap(),
        "--to",
        db.to_str().unwrap(),
    ];
    let out = cli(&db, &args, None);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("新しい記録 4 件"), "{stdout}");
    assert!(stdout.contains("S-1125-002 → S-1125-003"), "{stdout}");
    assert!(stdout.contains("同一人物の可能性 P3 と P2"), "{stdout}");
    let again = cli(&db, &[&args[..], &["--json"]].concat(), None);
    let report: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(report["inserted"], serde_json::json!([]), "{report}");
    assert_eq!(report["entries_carried"], 0);
    assert_eq!(count(&Store::open(&db).unwrap(), "visits"), 3);
}
