//! Versioned schema migrations, applied in order and tracked in `PRAGMA user_version`.
//!
//! A migration is never edited once released: add a new one. Each runs in one transaction
//! together with the version bump, so a power cut leaves the old version or the new, never half.

/// Migration N (1-based) is `MIGRATIONS[N - 1]`.
pub const MIGRATIONS: &[&str] = &[
    // 1: the outage record.
    r#"
CREATE TABLE patients (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    kana          TEXT NOT NULL,
    birth_date    TEXT NOT NULL,            -- ISO 8601
    sex           TEXT NOT NULL CHECK (sex IN ('male', 'female')),
    address       TEXT NOT NULL DEFAULT '',
    phone         TEXT NOT NULL DEFAULT '',
    -- search keys: katakana without spaces; name without spaces (NFKC)
    kana_key      TEXT NOT NULL,
    kana_given    TEXT NOT NULL,            -- the part after the first space
    name_key      TEXT NOT NULL,
    name_given    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    -- a patient registered twice is merged into another, never deleted
    merged_into   INTEGER REFERENCES patients(id)
);
CREATE INDEX patients_kana_key   ON patients(kana_key);
CREATE INDEX patients_kana_given ON patients(kana_given);
CREATE INDEX patients_name_key   ON patients(name_key);
CREATE INDEX patients_name_given ON patients(name_given);
CREATE INDEX patients_birth      ON patients(birth_date);
CREATE INDEX patients_phone      ON patients(phone);

-- One row per insurance as declared or verified. A newer row supersedes an older one for the
-- same patient; the old row stays as history.
CREATE TABLE declarations (
    id              INTEGER PRIMARY KEY,
    patient_id      INTEGER NOT NULL REFERENCES patients(id),
    kind            TEXT NOT NULL CHECK (kind IN ('shaho', 'kokuho', 'kouki', 'unknown')),
    insurer_number  TEXT,                   -- NULL on the 不詳 path
    symbol          TEXT NOT NULL DEFAULT '',
    number          TEXT,
    branch          TEXT NOT NULL DEFAULT '',
    relationship    TEXT CHECK (relationship IN ('self', 'family')),
    insurer_name    TEXT NOT NULL DEFAULT '',
    employer        TEXT NOT NULL DEFAULT '',
    copay_percent   INTEGER NOT NULL CHECK (copay_percent IN (10, 20, 30)),
    public_funds    TEXT NOT NULL DEFAULT '[]',   -- JSON [{payer, recipient}]
    source          TEXT NOT NULL CHECK (source IN ('declared', 'verified', 'manual')),
    basis           TEXT NOT NULL,
    verified_at     TEXT,                   -- when the national service last confirmed it
    created_at      TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    superseded_by   INTEGER REFERENCES declarations(id)
);
CREATE INDEX declarations_patient ON declarations(patient_id);
CREATE INDEX declarations_insurer ON declarations(insurer_number);
CREATE INDEX declarations_number  ON declarations(number);

CREATE TABLE outages (
    id            INTEGER PRIMARY KEY,
    started_at    TEXT NOT NULL,
    ended_at      TEXT,
    reason        TEXT NOT NULL,
    services      TEXT NOT NULL,            -- JSON ["qualification", "eprescription"]
    detected_by   TEXT NOT NULL CHECK (detected_by IN ('staff', 'probe')),
    started_by    TEXT NOT NULL,
    ended_by      TEXT,
    ended_detected_by TEXT,
    end_note      TEXT NOT NULL DEFAULT ''
);
-- at most one open outage
CREATE UNIQUE INDEX outages_one_open ON outages((1)) WHERE ended_at IS NULL;

CREATE TABLE outage_notes (
    id         INTEGER PRIMARY KEY,
    outage_id  INTEGER NOT NULL REFERENCES outages(id),
    at         TEXT NOT NULL,
    by         TEXT NOT NULL,
    text       TEXT NOT NULL
);

CREATE TABLE runbook_ticks (
    id         INTEGER PRIMARY KEY,
    outage_id  INTEGER NOT NULL REFERENCES outages(id),
    step       TEXT NOT NULL,
    title      TEXT NOT NULL,
    at         TEXT NOT NULL,
    by         TEXT NOT NULL,
    result     TEXT NOT NULL DEFAULT ''
);

CREATE TABLE visits (
    id              INTEGER PRIMARY KEY,
    visit_no        TEXT NOT NULL,          -- D-1125-007: short, for paper hand-offs
    visit_date      TEXT NOT NULL,
    patient_id      INTEGER NOT NULL REFERENCES patients(id),
    declaration_id  INTEGER NOT NULL REFERENCES declarations(id),
    basis           TEXT NOT NULL,
    outage_id       INTEGER REFERENCES outages(id),
    warnings        TEXT NOT NULL DEFAULT '[]',
    created_at      TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    voided_at       TEXT,
    voided_by       TEXT,
    void_reason     TEXT,
    UNIQUE (visit_date, visit_no)
);
CREATE INDEX visits_date    ON visits(visit_date);
CREATE INDEX visits_patient ON visits(patient_id);

-- The last visit number drawn per day and prefix (D = during an outage, S = outside one).
CREATE TABLE visit_counters (
    visit_date  TEXT NOT NULL,
    prefix      TEXT NOT NULL,
    last        INTEGER NOT NULL,
    PRIMARY KEY (visit_date, prefix)
);

-- Every visit waits here until a final status is reached. Created with the visit, in the same
-- transaction.
CREATE TABLE reconcile_queue (
    visit_id        INTEGER PRIMARY KEY REFERENCES visits(id),
    state           TEXT NOT NULL CHECK (state IN ('waiting', 'due', 'needs_decision', 'settled')),
    status          TEXT,                   -- match / changed / ineligible / not_found / needs_manual / no_answer
    differences     TEXT NOT NULL DEFAULT '[]',
    reason          TEXT NOT NULL DEFAULT '',   -- why, for staff (codes verbatim)
    verified        TEXT,                   -- JSON of the verified insurance, when any
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_checked_at TEXT,
    decision        TEXT,                   -- verified / declared / follow_up / auto
    -- the declaration to claim with once decided (NULL: the visit's own declaration)
    claim_declaration_id INTEGER REFERENCES declarations(id),
    decided_at      TEXT,
    decided_by      TEXT,
    note            TEXT NOT NULL DEFAULT '',
    updated_at      TEXT NOT NULL
);
CREATE INDEX reconcile_queue_state ON reconcile_queue(state);

-- Append-only, hash-chained: each entry holds the hash of the one before.
CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    entity     TEXT NOT NULL,
    entity_id  TEXT NOT NULL,
    detail     TEXT NOT NULL,               -- JSON
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);

-- Nothing is ever deleted; the audit log is never changed.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER patients_no_delete BEFORE DELETE ON patients
    BEGIN SELECT RAISE(ABORT, 'records are never deleted: merge instead'); END;
CREATE TRIGGER declarations_no_delete BEFORE DELETE ON declarations
    BEGIN SELECT RAISE(ABORT, 'records are never deleted: supersede instead'); END;
CREATE TRIGGER visits_no_delete BEFORE DELETE ON visits
    BEGIN SELECT RAISE(ABORT, 'records are never deleted: void instead'); END;
CREATE TRIGGER outages_no_delete BEFORE DELETE ON outages
    BEGIN SELECT RAISE(ABORT, 'records are never deleted'); END;
CREATE TRIGGER outage_notes_no_delete BEFORE DELETE ON outage_notes
    BEGIN SELECT RAISE(ABORT, 'records are never deleted'); END;
CREATE TRIGGER runbook_ticks_no_delete BEFORE DELETE ON runbook_ticks
    BEGIN SELECT RAISE(ABORT, 'records are never deleted'); END;
CREATE TRIGGER reconcile_queue_no_delete BEFORE DELETE ON reconcile_queue
    BEGIN SELECT RAISE(ABORT, 'records are never deleted'); END;
-- A declaration's content is fixed once written; only the superseded_by link and the
-- verified_at stamp may change.
CREATE TRIGGER declarations_fixed BEFORE UPDATE OF patient_id, kind, insurer_number, symbol,
    number, branch, relationship, insurer_name, employer, copay_percent, public_funds, source,
    basis, created_at, created_by ON declarations
    BEGIN SELECT RAISE(ABORT, 'declarations are fixed: supersede instead'); END;
"#,
    // 2: paper prescriptions, archived as printed.
    r#"
CREATE TABLE prescriptions (
    id            INTEGER PRIMARY KEY,
    visit_id      INTEGER NOT NULL REFERENCES visits(id),
    outage_id     INTEGER REFERENCES outages(id),   -- issued while e-prescription was down
    issued_on     TEXT NOT NULL,
    doctor        TEXT NOT NULL,
    content       TEXT NOT NULL,          -- the prescription as entered (JSON)
    pdf_path      TEXT NOT NULL,          -- the archived PDF: a reprint is this very file
    pdf_sha256    TEXT NOT NULL,
    pages         INTEGER NOT NULL,
    symbols       INTEGER NOT NULL,       -- JAHIS 2D symbols printed
    created_at    TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    voided_at     TEXT,
    voided_by     TEXT,
    void_reason   TEXT
);
CREATE INDEX prescriptions_visit ON prescriptions(visit_id);
CREATE TRIGGER prescriptions_no_delete BEFORE DELETE ON prescriptions
    BEGIN SELECT RAISE(ABORT, 'records are never deleted: void instead'); END;
CREATE TRIGGER prescriptions_fixed BEFORE UPDATE OF visit_id, outage_id, issued_on, doctor, content,
    pdf_path, pdf_sha256, pages, symbols, created_at, created_by ON prescriptions
    BEGIN SELECT RAISE(ABORT, 'prescriptions are fixed once issued: void and issue anew'); END;
"#,
    // 3: search keys hold variant characters in their standard form (髙→高, 﨑→崎, 𠮷→吉), as
    // domain::text::name_key now makes them. The keys are derived from the audited name, and
    // the audit compares records without them.
    r#"
UPDATE patients SET
    name_key = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(name_key, '𠮷', '吉'), '﨑', '崎'), '髙', '高'), '德', '徳'), '濵', '浜'), '邊', '辺'), '邉', '辺'), '齋', '斎'), '齊', '斉'), '槗', '橋'), '𡈽', '土'),
    name_given = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(name_given, '𠮷', '吉'), '﨑', '崎'), '髙', '高'), '德', '徳'), '濵', '浜'), '邊', '辺'), '邉', '辺'), '齋', '斎'), '齊', '斉'), '槗', '橋'), '𡈽', '土');
"#,
    // 4: what a database is for. A database created for demos and tests (`init --demo`) holds
    // ('purpose', 'demo') and alone honours ONSHI_FALLBACK_NOW. The mark is set only while the
    // database is empty (no audit entry yet) and never changed or removed: a clinic's
    // database cannot be turned into one whose clock can be set.
    r#"
CREATE TABLE meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
CREATE TRIGGER meta_purpose_at_creation BEFORE INSERT ON meta
    WHEN NEW.key = 'purpose' AND EXISTS (SELECT 1 FROM audit_log)
    BEGIN SELECT RAISE(ABORT, 'the purpose of a database is set when it is created'); END;
CREATE TRIGGER meta_no_update BEFORE UPDATE ON meta
    BEGIN SELECT RAISE(ABORT, 'meta is fixed once written'); END;
CREATE TRIGGER meta_no_delete BEFORE DELETE ON meta
    BEGIN SELECT RAISE(ABORT, 'records are never deleted'); END;
"#,
    // 5: staff accounts (安全管理ガイドライン: identification, rights by role). The audited
    // row holds the name, the roles and whether the account is in use; the PIN's hash and the
    // failed attempts live apart in `staff_secrets`, so that no hash ever enters the audit log.
    // Identification is on once `meta` holds ('identification', 'on'), written with the first
    // admin and, like all of `meta`, never changed or removed. `break_glass` keeps each time
    // reception worked under a typed name during an outage, for the admin to review.
    r#"
CREATE TABLE staff (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    roles       TEXT NOT NULL,              -- comma-separated: reception,doctor,clerk,admin
    disabled_at TEXT,
    disabled_by TEXT,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL
);
CREATE TRIGGER staff_no_delete BEFORE DELETE ON staff
    BEGIN SELECT RAISE(ABORT, 'records are never deleted: disable instead'); END;
CREATE TABLE staff_secrets (
    staff_id        INTEGER PRIMARY KEY REFERENCES staff(id),
    pin_hash        TEXT NOT NULL,          -- argon2id, PHC string
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until    TEXT
);
CREATE TABLE break_glass (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    reason      TEXT NOT NULL,
    outage_id   INTEGER REFERENCES outages(id),
    started_at  TEXT NOT NULL,
    reviewed_at TEXT,
    reviewed_by TEXT
);
CREATE TRIGGER break_glass_no_delete BEFORE DELETE ON break_glass
    BEGIN SELECT RAISE(ABORT, 'records are never deleted'); END;
"#,
    // 6: 公費単独 (生活保護 and the like) is a kind of its own, with no co-payment by default.
    // Both CHECKs only loosen, so every row already stored satisfies them: the table is not
    // rebuilt (its triggers, indexes and references stay), its CREATE text is rewritten in
    // place, SQLite's documented way to change a CHECK constraint (`Store::migrate` then bumps
    // the schema cookie).
    r#"
PRAGMA writable_schema = ON;
UPDATE sqlite_master
   SET sql = replace(replace(sql,
       'CHECK (kind IN (''shaho'', ''kokuho'', ''kouki'', ''unknown''))',
       'CHECK (kind IN (''shaho'', ''kokuho'', ''kouki'', ''public_only'', ''unknown''))'),
       'CHECK (copay_percent IN (10, 20, 30))',
       'CHECK (copay_percent IN (0, 10, 20, 30))')
 WHERE type = 'table' AND name = 'declarations';
"#,
    // 7: what reconciliation last made of a declaration is looked up through the visits that
    // used it (a returning patient's "no change" asks it every time): without this index that
    // read every visit, 17 ms at 100,000 visits.
    r#"
CREATE INDEX visits_declaration ON visits(declaration_id);
"#,
    // 8: record identity that survives merging. Every record carries a UUID beside its short
    // number, so the records a PC made while the server was out of reach can be merged back
    // (`store copy --merge`) without two records sharing a number or one record arriving
    // twice. New records get a v7 UUID with their first audit entry; rows already stored get
    // theirs from `store::identity::fill` in the same transaction as this migration.
    r#"
ALTER TABLE patients ADD COLUMN uuid TEXT;
CREATE UNIQUE INDEX patients_uuid ON patients(uuid);
ALTER TABLE declarations ADD COLUMN uuid TEXT;
CREATE UNIQUE INDEX declarations_uuid ON declarations(uuid);
ALTER TABLE visits ADD COLUMN uuid TEXT;
CREATE UNIQUE INDEX visits_uuid ON visits(uuid);
ALTER TABLE outages ADD COLUMN uuid TEXT;
CREATE UNIQUE INDEX outages_uuid ON outages(uuid);
ALTER TABLE outage_notes ADD COLUMN uuid TEXT;
CREATE UNIQUE INDEX outage_notes_uuid ON outage_notes(uuid);
ALTER TABLE runbook_ticks ADD COLUMN uuid TEXT;
CREATE UNIQUE INDEX runbook_ticks_uuid ON runbook_ticks(uuid);
ALTER TABLE prescriptions ADD COLUMN uuid TEXT;
CREATE UNIQUE INDEX prescriptions_uuid ON prescriptions(uuid);
ALTER TABLE staff ADD COLUMN uuid TEXT;
CREATE UNIQUE INDEX staff_uuid ON staff(uuid);
ALTER TABLE break_glass ADD COLUMN uuid TEXT;
CREATE UNIQUE INDEX break_glass_uuid ON break_glass(uuid);
CREATE TRIGGER patients_uuid_fixed BEFORE UPDATE OF uuid ON patients WHEN OLD.uuid IS NOT NULL
    BEGIN SELECT RAISE(ABORT, 'a record''s uuid is fixed'); END;
CREATE TRIGGER declarations_uuid_fixed BEFORE UPDATE OF uuid ON declarations WHEN OLD.uuid IS NOT NULL
    BEGIN SELECT RAISE(ABORT, 'a record''s uuid is fixed'); END;
CREATE TRIGGER visits_uuid_fixed BEFORE UPDATE OF uuid ON visits WHEN OLD.uuid IS NOT NULL
    BEGIN SELECT RAISE(ABORT, 'a record''s uuid is fixed'); END;
CREATE TRIGGER outages_uuid_fixed BEFORE UPDATE OF uuid ON outages WHEN OLD.uuid IS NOT NULL
    BEGIN SELECT RAISE(ABORT, 'a record''s uuid is fixed'); END;
CREATE TRIGGER outage_notes_uuid_fixed BEFORE UPDATE OF uuid ON outage_notes WHEN OLD.uuid IS NOT NULL
    BEGIN SELECT RAISE(ABORT, 'a record''s uuid is fixed'); END;
CREATE TRIGGER runbook_ticks_uuid_fixed BEFORE UPDATE OF uuid ON runbook_ticks WHEN OLD.uuid IS NOT NULL
    BEGIN SELECT RAISE(ABORT, 'a record''s uuid is fixed'); END;
CREATE TRIGGER prescriptions_uuid_fixed BEFORE UPDATE OF uuid ON prescriptions WHEN OLD.uuid IS NOT NULL
    BEGIN SELECT RAISE(ABORT, 'a record''s uuid is fixed'); END;
CREATE TRIGGER staff_uuid_fixed BEFORE UPDATE OF uuid ON staff WHEN OLD.uuid IS NOT NULL
    BEGIN SELECT RAISE(ABORT, 'a record''s uuid is fixed'); END;
CREATE TRIGGER break_glass_uuid_fixed BEFORE UPDATE OF uuid ON break_glass WHEN OLD.uuid IS NOT NULL
    BEGIN SELECT RAISE(ABORT, 'a record''s uuid is fixed'); END;
"#,
    // 9: search results in order straight from an index. PostgreSQL's indexes on the search
    // keys gain the id (see schema_pg.rs); SQLite's already end with it (the rowid), so there
    // is nothing to do here.
    r#"
-- PostgreSQL only.
"#,
];
