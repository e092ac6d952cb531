//! The store's guarantees: nothing deleted, tampering detected, all-or-nothing intake, unique
//! visit numbers, migrations that never clobber a database.

use crate::common::*;
use onshi_fallback::domain::ids::PatientId;
use onshi_fallback::domain::{Basis, Detection};
use onshi_fallback::error::Error;
use onshi_fallback::store::Store;

#[test]
fn rows_cannot_be_deleted_from_any_table() {
    on_each_engine(|mut r, _| {
        r.outage_start("端末エラー", &[], Detection::Staff).unwrap();
        r.intake(&intake(1)).unwrap();
        for table in [
            "patients",
            "declarations",
            "visits",
            "outages",
            "reconcile_queue",
            "audit_log",
        ] {
            let err = r
                .store
                .execute_outside_app(&format!("DELETE FROM {table}"))
                .unwrap_err();
            assert!(
                err.to_string().contains("never deleted")
                    || err.to_string().contains("append-only"),
                "{table}: {err}"
            );
            assert!(count(&r.store, table) > 0, "{table} lost rows");
        }
    });
}

#[test]
fn audit_entries_cannot_be_updated() {
    on_each_engine(|mut r, _| {
        r.intake(&intake(1)).unwrap();
        let err = r
            .store
            .execute_outside_app("UPDATE audit_log SET actor = 'someone else'")
            .unwrap_err();
        assert!(err.to_string().contains("append-only"));
    });
}

#[test]
fn declarations_are_fixed_once_written() {
    on_each_engine(|mut r, _| {
        r.intake(&intake(1)).unwrap();
        let err = r
            .store
            .execute_outside_app("UPDATE declarations SET number = '9999'")
            .unwrap_err();
        assert!(err.to_string().contains("supersede"));
    });
}

#[test]
fn an_intact_database_verifies() {
    on_each_engine(|mut r, _| {
        r.outage_start("端末エラー", &[], Detection::Staff).unwrap();
        for n in 0..5 {
            r.intake(&intake(n)).unwrap();
        }
        r.intake_returning(PatientId(1), Basis::ReturningNoChange, None)
            .unwrap();
        r.outage_end("復旧", Detection::Staff).unwrap();
        let report = r.audit_verify().unwrap();
        assert!(report.ok, "{:?}", report.problem);
        assert!(report.entries > 10);
    });
}

#[test]
fn an_edited_audit_entry_is_detected_at_its_sequence_number() {
    on_each_engine(|mut r, _| {
        for n in 0..3 {
            r.intake(&intake(n)).unwrap();
        }
        // An attacker with the file drops the guard and edits history.
        drop_guard(&r.store, "audit_log_no_update", "audit_log");
        r.store
            .execute_outside_app("UPDATE audit_log SET actor = 'x' WHERE seq = 4")
            .unwrap();
        let report = r.audit_verify().unwrap();
        assert!(!report.ok);
        assert_eq!(report.problem.unwrap().seq, Some(4));
    });
}

#[test]
fn a_removed_audit_entry_is_detected() {
    on_each_engine(|mut r, _| {
        for n in 0..3 {
            r.intake(&intake(n)).unwrap();
        }
        drop_guard(&r.store, "audit_log_no_delete", "audit_log");
        r.store
            .execute_outside_app("DELETE FROM audit_log WHERE seq = 2")
            .unwrap();
        let p = r.audit_verify().unwrap().problem.unwrap();
        assert_eq!(p.seq, Some(3));
    });
}

#[test]
fn a_record_edited_behind_the_apps_back_is_detected() {
    on_each_engine(|mut r, _| {
        r.intake(&intake(1)).unwrap();
        drop_guard(&r.store, "declarations_fixed", "declarations");
        r.store
            .execute_outside_app("UPDATE declarations SET number = '9999' WHERE id = 1")
            .unwrap();
        let p = r.audit_verify().unwrap().problem.unwrap();
        assert_eq!(p.entity.as_deref(), Some("declaration"));
        assert_eq!(p.entity_id.as_deref(), Some("1"));
        assert!(p.message_ja.contains("監査ログの記録と内容が違います"));
    });
}

#[test]
fn verify_reads_a_long_chain_whole_and_finds_a_change_far_into_it() {
    // 700 intakes: 2,800 entries and as many rows, read and checked in several batches.
    let mut r = memory_records();
    for n in 0..700 {
        r.intake(&intake(n)).unwrap();
    }
    let report = r.audit_verify().unwrap();
    assert!(report.ok, "{:?}", report.problem);
    assert_eq!((report.entries, report.records_checked), (2_800, 2_800));
    drop_guard(&r.store, "declarations_fixed", "declarations");
    r.store
        .execute_outside_app("UPDATE declarations SET number = '9999' WHERE id = 650")
        .unwrap();
    let p = r.audit_verify().unwrap().problem.unwrap();
    assert_eq!(p.entity.as_deref(), Some("declaration"));
    assert_eq!(p.entity_id.as_deref(), Some("650"));
}

#[test]
fn a_record_deleted_behind_the_apps_back_is_detected() {
    on_each_engine(|mut r, _| {
        r.outage_start("回線断", &[], Detection::Staff).unwrap();
        r.outage_note("one").unwrap();
        r.outage_note("two").unwrap();
        drop_guard(&r.store, "outage_notes_no_delete", "outage_notes");
        r.store
            .execute_outside_app("DELETE FROM outage_notes WHERE id = 2")
            .unwrap();
        let p = r
            .audit_verify()
            .unwrap()
            .problem
            .expect("the deletion is found");
        assert_eq!(p.entity.as_deref(), Some("outage_note"));
        assert_eq!(p.entity_id.as_deref(), Some("2"));
        assert!(
            p.message_ja.contains("削除されています"),
            "{}",
            p.message_ja
        );
    });
}

#[test]
fn a_cut_off_tail_is_found_by_the_heads_kept_outside_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clinic.sqlite3");
    let mut r = records(Store::open(&db).unwrap());
    r.outage_start("回線断", &[], Detection::Staff).unwrap();
    r.outage_note("one").unwrap();
    r.outage_note("two").unwrap();
    r.backup(&dir.path().join("backups/onshi-fallback-20261125.sqlite3"))
        .unwrap();
    assert!(r.audit_verify().unwrap().ok);
    // The last entry and the note it audits are removed: what is left still links up.
    r.store
        .raw()
        .execute_batch(
            "DROP TRIGGER audit_log_no_delete; DROP TRIGGER outage_notes_no_delete;
             DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log);
             DELETE FROM outage_notes WHERE id = 2;",
        )
        .unwrap();
    let p = r
        .audit_verify()
        .unwrap()
        .problem
        .expect("found by the anchor file");
    assert!(
        p.message_ja.contains("切り取られています"),
        "{}",
        p.message_ja
    );
    assert!(p.message_ja.contains("アンカー"), "{}", p.message_ja);
    // The anchor file gone too: the newest backup's chain still holds more.
    std::fs::remove_file(onshi_fallback::store::anchor_path(&db)).unwrap();
    let p = r
        .audit_verify()
        .unwrap()
        .problem
        .expect("found by the backup");
    assert!(p.message_ja.contains("バックアップ"), "{}", p.message_ja);
}

#[test]
fn a_visit_counter_set_back_is_detected() {
    on_each_engine(|mut r, _| {
        for n in 0..3 {
            r.intake(&intake(n)).unwrap();
        }
        assert!(r.audit_verify().unwrap().ok);
        r.store
            .execute_outside_app("UPDATE visit_counters SET last = 1")
            .unwrap();
        let p = r
            .audit_verify()
            .unwrap()
            .problem
            .expect("the reset is found");
        assert_eq!(p.entity.as_deref(), Some("visit_counter"));
        assert!(p.message_ja.contains("戻されています"), "{}", p.message_ja);
    });
}

#[test]
fn a_row_inserted_behind_the_apps_back_is_detected() {
    on_each_engine(|mut r, _| {
        r.intake(&intake(1)).unwrap();
        r.store
        .execute_outside_app(
            "INSERT INTO outages (started_at, reason, services, detected_by, started_by) VALUES ('x', 'y', '[]', 'staff', 'z')",
        )
        .unwrap();
        let p = r.audit_verify().unwrap().problem.unwrap();
        assert_eq!(p.entity.as_deref(), Some("outage"));
    });
}

#[test]
fn intake_is_all_or_nothing_with_its_queue_entry() {
    on_each_engine(|mut r, engine| {
        r.intake(&intake(1)).unwrap();
        let before: Vec<i64> = [
            "patients",
            "declarations",
            "visits",
            "reconcile_queue",
            "audit_log",
        ]
        .iter()
        .map(|t| count(&r.store, t))
        .collect();
        // Make the queue insert fail, as a full disk or a crash at that point would.
        r.store
        .execute_outside_app(match engine {
            Engine::Sqlite => "CREATE TEMP TRIGGER fail_queue BEFORE INSERT ON reconcile_queue BEGIN SELECT RAISE(ABORT, 'boom'); END;",
            Engine::Postgres => "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'boom'; END $$;
                CREATE TRIGGER fail_queue BEFORE INSERT ON reconcile_queue FOR EACH ROW EXECUTE FUNCTION boom();",
        })
        .unwrap();
        let err = r.intake(&intake(2)).unwrap_err();
        assert!(matches!(err, Error::Db(_) | Error::Pg(_)), "{err:?}");
        let after: Vec<i64> = [
            "patients",
            "declarations",
            "visits",
            "reconcile_queue",
            "audit_log",
        ]
        .iter()
        .map(|t| count(&r.store, t))
        .collect();
        assert_eq!(before, after, "a failed intake left rows behind");
        // and every visit has its queue entry
        let orphans: i64 = r
        .store
        .read(|tx| tx.value("SELECT COUNT(*) FROM visits WHERE id NOT IN (SELECT visit_id FROM reconcile_queue)", &[]))
        .unwrap();
        assert_eq!(orphans, 0);
    });
}

#[test]
fn bad_input_writes_nothing() {
    on_each_engine(|mut r, _| {
        let mut bad = intake(1);
        bad.insurance.insurer_number = "01130013".into();
        let audit_before = count(&r.store, "audit_log");
        let err = r.intake(&bad).unwrap_err();
        assert!(err.is_bad_input());
        assert_eq!(count(&r.store, "audit_log"), audit_before);
        assert_eq!(count(&r.store, "patients"), 0);
    });
}

#[test]
fn visit_numbers_count_up_per_day_and_mark_the_outage() {
    on_each_engine(|mut r, _| {
        let a = r.intake(&intake(1)).unwrap();
        assert_eq!(a.visit_no, "S-1125-001");
        r.outage_start("端末エラー", &[], Detection::Staff).unwrap();
        let b = r.intake(&intake(2)).unwrap();
        let c = r.intake(&intake(3)).unwrap();
        assert_eq!(b.visit_no, "D-1125-001");
        assert_eq!(c.visit_no, "D-1125-002");
    });
}

#[test]
fn visits_made_during_an_outage_wait_then_become_due() {
    on_each_engine(|mut r, _| {
        r.outage_start("端末エラー", &[], Detection::Staff).unwrap();
        r.intake(&intake(1)).unwrap();
        let rows = r.visits(None).unwrap();
        assert_eq!(rows[0].queue_state.unwrap().as_str(), "waiting");
        let (_, released) = r.outage_end("", Detection::Staff).unwrap();
        assert_eq!(released, 1);
        assert_eq!(
            r.visits(None).unwrap()[0].queue_state.unwrap().as_str(),
            "due"
        );
        assert_eq!(r.status().unwrap().queued, 1);
    });
}

#[test]
fn no_change_reuses_no_insurance_reconciliation_left_to_follow_up_unless_a_reason_is_given() {
    use onshi_fallback::domain::ids::VisitId;
    use onshi_fallback::service::Decision;
    on_each_engine(|mut r, _| {
        let first = r.intake(&intake(1)).unwrap();
        // The clerk could not settle it: 要確認, still open.
        r.store
        .execute_outside_app(&format!(
            "UPDATE reconcile_queue SET status = 'needs_manual', state = 'needs_decision' WHERE visit_id = {}",
            first.visit_id.0
        ))
        .unwrap();
        r.resolve(
            VisitId(first.visit_id.0),
            Decision::FollowUp,
            "保険者に電話",
        )
        .unwrap();
        let doubt = r
            .doubt_about_last_insurance(first.patient_id)
            .unwrap()
            .unwrap();
        assert!(doubt.contains("要確認のまま"), "{doubt}");
        let err = r
            .intake_returning(first.patient_id, Basis::ReturningNoChange, None)
            .unwrap_err();
        assert!(err.ja().contains("要確認のまま"), "{}", err.ja());
        assert_eq!(r.visits(None).unwrap().len(), 1, "nothing recorded");
        let taken = r
            .intake_returning(
                first.patient_id,
                Basis::ReturningNoChange,
                Some("保険証を確認、変更なし"),
            )
            .unwrap();
        let said: Vec<&str> = taken
            .warnings
            .iter()
            .map(|w| w.message_ja.as_str())
            .collect();
        assert!(
            said.iter()
                .any(|w| w.contains("申告のまま受付（理由: 保険証を確認、変更なし）")),
            "{said:?}"
        );
        assert!(
            said.iter()
                .any(|w| w.contains(&format!("本日受付済み {}", first.visit_no))),
            "{said:?}"
        );
    });
}

#[test]
fn a_voided_visit_reads_as_cancelled_in_the_clerks_list() {
    on_each_engine(|mut r, _| {
        let v = r.intake(&intake(1)).unwrap();
        r.void_visit(v.visit_id, "二重受付").unwrap();
        let row = r.reconcile_list().unwrap().remove(0);
        assert!(row.voided);
        assert_eq!(row.status_ja(), "取消");
    });
}

#[test]
fn the_same_person_is_not_registered_twice() {
    on_each_engine(|mut r, _| {
        let a = r.intake(&intake(1)).unwrap();
        let b = r.intake(&intake(1)).unwrap();
        assert_eq!(a.patient_id, b.patient_id);
        assert_eq!(count(&r.store, "patients"), 1);
        // the newer declaration supersedes, the older stays
        assert_eq!(count(&r.store, "declarations"), 2);
        let current: i64 = r
            .store
            .read(|tx| {
                tx.value(
                    "SELECT COUNT(*) FROM declarations WHERE superseded_by IS NULL",
                    &[],
                )
            })
            .unwrap();
        assert_eq!(current, 1);
    });
}

#[test]
fn a_possible_duplicate_is_registered_but_flagged() {
    on_each_engine(|mut r, _| {
        r.intake(&intake(1)).unwrap();
        let mut other = intake(1);
        other.patient.name = "山田 太朗".into(); // a different kanji, same カナ and birth date
        let b = r.intake(&other).unwrap();
        assert_eq!(b.patient_id, PatientId(2));
        assert!(b.warnings.iter().any(|w| w.message_ja.contains("P1")));
    });
}

#[test]
fn returning_patient_reuses_the_last_declaration() {
    on_each_engine(|mut r, _| {
        let a = r.intake(&intake(1)).unwrap();
        let b = r
            .intake_returning(a.patient_id, Basis::ReturningNoChange, None)
            .unwrap();
        let rows = r.visits(None).unwrap();
        assert_eq!(rows[0].visit.declaration_id, rows[1].visit.declaration_id);
        assert_eq!(rows[1].visit.basis.as_str(), "returning_no_change");
        assert_eq!(b.patient_id, a.patient_id);
        let err = r
            .intake_returning(PatientId(99), Basis::ReturningNoChange, None)
            .unwrap_err();
        assert!(err.is_bad_input());
    });
}

#[test]
fn an_outage_start_is_idempotent() {
    on_each_engine(|mut r, _| {
        let (a, started) = r
            .outage_start(
                "端末エラー",
                &[onshi_fallback::domain::Service::Qualification],
                Detection::Staff,
            )
            .unwrap();
        assert!(started);
        let (b, started) = r
            .outage_start(
                "もう一度",
                &[onshi_fallback::domain::Service::Eprescription],
                Detection::Staff,
            )
            .unwrap();
        assert!(!started);
        assert_eq!(a.id, b.id);
        assert_eq!(b.services.len(), 2, "the newly named service is added");
        assert_eq!(count(&r.store, "outages"), 1);
        assert!(r.outage_end("", Detection::Staff).is_ok());
        assert!(r
            .outage_end("", Detection::Staff)
            .unwrap_err()
            .is_bad_input());
    });
}

#[test]
fn search_finds_by_kana_name_birth_date_and_numbers() {
    on_each_engine(|mut r, _| {
        for n in 0..10 {
            r.intake(&intake(n)).unwrap();
        }
        let ids = |q: &str| {
            r.search_patients(q, 50)
                .unwrap()
                .into_iter()
                .map(|h| h.patient_id)
                .collect::<Vec<_>>()
        };
        assert_eq!(ids("やまだ").len(), 2); // n = 0, 5
        assert_eq!(ids("ﾔﾏﾀﾞ"), ids("ヤマダ"));
        assert_eq!(ids("ヤマダ タロウ"), ids("やまだ"), "family + given name");
        assert_eq!(ids("タロウ").len(), 2, "given name alone");
        assert_eq!(ids("山田"), ids("やまだ"));
        assert_eq!(ids("S45.3.2"), vec![PatientId(2)]);
        assert_eq!(ids("昭和45年3月2日"), vec![PatientId(2)]);
        assert_eq!(ids("1003"), vec![PatientId(4)]);
        assert_eq!(ids("01130012").len(), 10);
        assert_eq!(ids("やまだ S45.3.6"), vec![PatientId(6)]);
        assert!(ids("スズキ S45.3.6").is_empty(), "every word must match");
    });
}

#[test]
fn a_number_that_also_reads_as_a_date_is_searched_both_ways() {
    on_each_engine(|mut r, _| {
        // Insurer numbers (valid check digits) whose digits are also a YYYYMMDD date.
        for n in 0..6 {
            let mut i = intake(n);
            i.insurance.insurer_number = ["01130426", "06130314"][n % 2].into();
            r.intake(&i).unwrap();
        }
        // A patient born 1970-03-01 (intake 0, S45.3.1), and another whose insured number is
        // 19700301.
        let mut i = intake(10);
        i.insurance.number = "19700301".into();
        r.intake(&i).unwrap();
        let ids = |q: &str| {
            let mut ids: Vec<PatientId> = r
                .search_patients(q, 50)
                .unwrap()
                .into_iter()
                .map(|h| h.patient_id)
                .collect();
            ids.sort_by_key(|p| p.0);
            ids
        };
        let p = |ns: &[i64]| ns.iter().map(|&n| PatientId(n)).collect::<Vec<_>>();
        assert_eq!(ids("01130426"), p(&[1, 3, 5]));
        assert_eq!(ids("０６１３０３１４"), p(&[2, 4, 6]), "full-width too");
        assert_eq!(ids("19700301"), p(&[1, 7]), "the birth date and the number");
        assert_eq!(
            ids("01130426 やまだ"),
            p(&[1]),
            "and every word still must match"
        );
    });
}

#[test]
fn a_file_that_is_not_a_database_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clinic.sqlite3");
    std::fs::write(&path, b"this is not a database, but somebody's data").unwrap();
    let err = Store::open(&path).err().expect("must refuse");
    assert!(err.to_string().contains("バックアップから復元"), "{err}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        b"this is not a database, but somebody's data"
    );
}

#[test]
fn migrations_run_once_and_a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clinic.sqlite3");
    {
        let mut r = records(Store::open(&path).unwrap());
        assert_eq!(r.store.schema_version().unwrap(), Store::latest_version());
        r.intake(&intake(1)).unwrap();
    }
    {
        let s = Store::open(&path).unwrap();
        assert_eq!(count(&s, "patients"), 1);
        s.raw()
            .execute_batch(&format!(
                "PRAGMA user_version = {}",
                Store::latest_version() + 1
            ))
            .unwrap();
    }
    let err = Store::open(&path)
        .err()
        .expect("newer schema must be refused");
    assert!(err.to_string().contains("新しい版"), "{err}");
}

#[test]
fn backup_is_a_complete_copy() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = records(Store::open(&dir.path().join("live.sqlite3")).unwrap());
    for n in 0..4 {
        r.intake(&intake(n)).unwrap();
    }
    let copy = dir.path().join("copy.sqlite3");
    r.backup(&copy).unwrap();
    let c = Store::open(&copy).unwrap();
    for t in [
        "patients",
        "declarations",
        "visits",
        "reconcile_queue",
        "audit_log",
    ] {
        assert_eq!(count(&c, t), count(&r.store, t), "{t}");
    }
    assert!(records(c).audit_verify().unwrap().ok);
    assert!(
        r.backup(&copy).unwrap_err().is_bad_input(),
        "never overwrites"
    );
}

#[test]
fn fushou_visits_export_with_the_seven_fill() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = memory_records();
    r.intake(&serde_json::from_str(&fushou_json(1)).unwrap())
        .unwrap();
    r.intake(&intake(2)).unwrap();
    let out = dir.path().join("claims.csv");
    let s = r.export_csv(&out).unwrap();
    assert_eq!((s.visits, s.fushou), (2, 1));
    let text = std::fs::read_to_string(&out).unwrap();
    let fushou_line = text.lines().find(|l| l.contains("不詳 患者1")).unwrap();
    assert!(
        fushou_line.contains(",77777777,,777777777,"),
        "{fushou_line}"
    );
    assert!(
        fushou_line.contains("不詳 住所:東京都港区芝5-1 事業所:自営業 連絡先:090-0000-0001"),
        "{fushou_line}"
    );
}

#[test]
fn fushou_for_a_late_elderly_patient_uses_eight_sevens() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = memory_records();
    let json = fushou_json(1).replace("1975-01-02", "1940-01-02");
    r.intake(&serde_json::from_str(&json).unwrap()).unwrap();
    let out = dir.path().join("claims.csv");
    r.export_csv(&out).unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains(",77777777,,77777777,"), "{text}");
}

#[test]
fn released_migrations_are_never_edited() {
    use sha2::{Digest, Sha256};
    // A migration that has shipped is in clinics' databases: change the schema by adding a new
    // migration, never by editing one (a database at that version would never see the edit).
    let released = [
        "1946361f32b310febfa3a8d6dc7a74d63bdc911dedc8fb2a1154e040131bd8b1",
        "5b21acc95761f876b286b292d6fd5ab525b62a922e7d9ab4d896e8b8043ca9d8",
    ];
    let migrations = onshi_fallback::store::schema::MIGRATIONS;
    assert!(migrations.len() >= released.len());
    for (n, want) in released.iter().enumerate() {
        let got: String = Sha256::digest(migrations[n].as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(&got, want, "migration {} was edited after release", n + 1);
    }
}

#[test]
fn search_folds_variant_forms_of_names() {
    on_each_engine(|mut r, _| {
        for (n, name) in ["髙橋 一郎", "山﨑 花子", "𠮷田 太郎"].iter().enumerate() {
            let mut i = intake(n);
            i.patient.name = name.to_string();
            r.intake(&i).unwrap();
        }
        for (typed, want) in [
            ("高橋", "髙橋 一郎"),
            ("髙橋", "髙橋 一郎"),
            ("山崎", "山﨑 花子"),
            ("吉田", "𠮷田 太郎"),
            ("𠮷田", "𠮷田 太郎"),
        ] {
            let hits = r.search_patients(typed, 5).unwrap();
            assert!(
                hits.iter().any(|h| h.patient.details.name == want),
                "{typed} finds {want}: {hits:?}"
            );
        }
        assert!(r.audit_verify().unwrap().ok);
    });
}

#[test]
fn store_copy_moves_a_clinics_records_to_the_server_and_back() {
    use onshi_fallback::config::Config;
    use onshi_fallback::service::transfer::store_copy;
    let Some(server) = engines::test_server() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("clinic.sqlite3");
    {
        let mut r = records(demo_store(&file));
        r.outage_start("回線認証切れ", &[], Detection::Staff)
            .unwrap();
        for n in 0..6 {
            r.intake(&intake(n)).unwrap();
        }
        // A second declaration for a patient (the first superseded) and a voided visit.
        r.intake(&intake(1)).unwrap();
        r.void_visit(onshi_fallback::domain::ids::VisitId(2), "重複受付")
            .unwrap();
    }
    let url = engines::new_pg_database(&server);
    let report = store_copy(&Config::default(), file.to_str().unwrap(), &url).unwrap();
    let rows = |t: &str| report.tables.iter().find(|c| c.table == t).unwrap().clone();
    assert_eq!(rows("visits").source, 7);
    assert_eq!(rows("visits").destination, 7);
    assert_eq!(rows("declarations").destination, 7);
    assert_eq!(report.audit_entries as i64, rows("audit_log").destination);

    // The server carries on where the file stopped, in the same outage: new ids, the day's
    // numbers continue.
    let mut server_records = records(Store::open_postgres(&url).unwrap());
    let next = server_records.intake(&intake(20)).unwrap();
    assert_eq!(next.visit_id.0, 8);
    assert!(next.visit_no.ends_with("-008"), "{}", next.visit_no);
    assert!(server_records.audit_verify().unwrap().ok);

    // Into a store that already holds records: refused, nothing added.
    let err = store_copy(&Config::default(), file.to_str().unwrap(), &url).unwrap_err();
    assert!(err.ja().contains("すでに記録があります"), "{err}");
    assert_eq!(count(&server_records.store, "visits"), 8);

    // The server's backup is a SQLite file of its own, which opens and verifies anywhere; and
    // `store copy` brings the records back into a new file.
    let backup = dir.path().join("backups/server-20261125.sqlite3");
    server_records.backup(&backup).unwrap();
    let back = dir.path().join("back.sqlite3");
    store_copy(&Config::default(), &url, back.to_str().unwrap()).unwrap();
    for copy in [&backup, &back] {
        let s = Store::open_readonly(copy).unwrap();
        let report = s.read(onshi_fallback::store::audit::verify).unwrap();
        assert!(report.ok, "{copy:?}: {:?}", report.problem);
        assert_eq!(count(&s, "visits"), 8);
    }
}

#[test]
fn a_change_on_one_pc_wakes_the_others_and_each_pc_keeps_a_daily_copy_of_the_server() {
    use onshi_fallback::config::Config;
    use onshi_fallback::service::{Clock, Records};
    use onshi_fallback::store::pg::ChangeListener;
    use std::time::Duration;
    let Some(server) = engines::test_server() else {
        return;
    };
    let url = engines::new_pg_database(&server);
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.backup.dir = dir.path().join("server-backups").display().to_string();
    // Reception's PC opens the records on the server: its day's copy is taken on this PC.
    let (mut reception, warnings) = Records::open(
        std::path::Path::new(&url),
        config,
        "受付 佐藤",
        Clock::System,
    )
    .unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let copy = reception
        .take_daily_backup()
        .expect("the day's copy was started")
        .finish()
        .unwrap()
        .expect("written");
    assert!(copy.starts_with(dir.path().join("server-backups")));
    let s = Store::open_readonly(&copy).unwrap();
    assert!(s.read(onshi_fallback::store::audit::verify).unwrap().ok);

    let mut listener = ChangeListener::connect(reception.store.server().unwrap()).unwrap();
    assert!(
        !listener.wait(Duration::from_millis(100)).unwrap(),
        "nothing changed yet"
    );
    // The doctor's PC, a connection of its own, declares the outage.
    let mut doctor = records(Store::open_postgres(&url).unwrap());
    let started = std::time::Instant::now();
    doctor
        .outage_start("回線認証切れ", &[], Detection::Staff)
        .unwrap();
    assert!(
        listener.wait(Duration::from_secs(10)).unwrap(),
        "the commit woke the listener"
    );
    eprintln!("change seen on the other PC after {:?}", started.elapsed());
    assert!(reception.status().unwrap().outage.is_some());
    // A write that fails (rolled back) wakes nobody.
    assert!(doctor
        .intake(&{
            let mut bad = intake(1);
            bad.insurance.insurer_number = "01130013".into();
            bad
        })
        .is_err());
    assert!(!listener.wait(Duration::from_millis(300)).unwrap());
}
