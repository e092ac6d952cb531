//! The records themselves: `audit verify`, `backup`, `backups`, `restore` and `export`.

use std::path::Path;

use onshi_fallback::service::backup_dir;
use onshi_fallback::store::backup;

use super::context::Context;
use super::output::Output;
use super::{CliResult, Failure};

/// Checks the tamper-evident audit chain: the report is printed either way, and a broken chain
/// is a failure (exit 1) naming the first bad entry.
pub fn audit_verify(ctx: &Context) -> CliResult {
    let report = ctx.records()?.audit_verify()?;
    match &report.problem {
        None => {
            let mut lines = vec![format!(
                "監査ログは正常です: {} 件, 記録 {} 件を照合 (audit chain ok)",
                report.entries, report.records_checked
            )];
            lines.extend(clock_lines(&report.clock_moved_back));
            Ok(Output::new(&report, lines))
        }
        Some(p) => {
            let failure = Failure::Other(format!(
                "監査ログの異常 (audit chain broken): {} ({})",
                p.message_ja, p.message_en
            ));
            Ok(Output::new(&report, Vec::<String>::new()).then_fail(failure))
        }
    }
}

/// The entries written while the PC's clock had gone back: the first few, and how many.
fn clock_lines(steps: &[onshi_fallback::store::audit::ClockStep]) -> Vec<String> {
    const SHOWN: usize = 10;
    if steps.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![format!(
        "注意: PCの時計が前の記録より戻っていた記録が {} 件あります (the system clock went back {} time(s)):",
        steps.len(),
        steps.len()
    )];
    lines.extend(steps.iter().take(SHOWN).map(|s| {
        format!(
            "  監査ログ {} 番: {}（前の記録 {}）(entry {}: {}, previous {})",
            s.seq, s.at, s.previous_at, s.seq, s.at, s.previous_at
        )
    }));
    if steps.len() > SHOWN {
        lines.push(format!(
            "  ほか {} 件 (and {} more)",
            steps.len() - SHOWN,
            steps.len() - SHOWN
        ));
    }
    lines
}

pub fn backup(ctx: &Context, path: &Path) -> CliResult {
    ctx.records()?.backup(path)?;
    Ok(Output::new(
        &serde_json::json!({"backup": path.display().to_string()}),
        [format!("バックアップを作成しました: {}", path.display())],
    ))
}

/// `store copy`: the records of one store copied whole into another, both chains verified.
pub fn store_copy(ctx: &Context, from: &str, to: &str) -> CliResult {
    let report = onshi_fallback::service::transfer::store_copy(&ctx.config()?, from, to)?;
    let mut lines = vec![format!(
        "コピーしました: {from} → {to}（監査ログ {} 件、両方で検証済み）",
        report.audit_entries
    )];
    lines.extend(report.tables.iter().map(|t| {
        format!(
            "  {:<16} {:>8} 件 → {:>8} 件",
            t.table, t.source, t.destination
        )
    }));
    Ok(Output::new(&report, lines))
}

/// `store copy --merge`: what a PC did on its own brought back, as the admin of the records
/// merged into (when they have accounts).
pub fn store_merge(ctx: &Context, from: &str, to: &str) -> CliResult {
    use onshi_fallback::service::transfer;
    let config = ctx.config()?;
    let source = transfer::open_existing(&config, from)?;
    let mut destination = transfer::open_existing(&config, to)?;
    ctx.check_admin_of(&destination)?;
    let r = transfer::store_merge(&source, &mut destination, &ctx.actor())?;
    let count = |list: &[onshi_fallback::store::merge::TableTally]| -> u64 {
        list.iter().map(|t| t.records).sum()
    };
    let mut lines = vec![format!(
        "統合しました: {from} → {to}（共通の記録は監査ログ {} 番まで。新しい記録 {} 件、更新 {} 件、監査ログ {} 件を引き継ぎ、統合後 {} 件を検証済み）",
        r.fork_seq,
        count(&r.inserted),
        count(&r.updated),
        r.entries_carried,
        r.audit_entries
    )];
    lines.extend(
        r.inserted
            .iter()
            .map(|t| format!("  新規 {:<16} {:>6} 件", t.table, t.records)),
    );
    lines.extend(
        r.updated
            .iter()
            .map(|t| format!("  更新 {:<16} {:>6} 件", t.table, t.records)),
    );
    lines.extend(r.renumbered.iter().map(|v| {
        format!(
            "  受付番号の変更 {}: {} → {}（番号が統合先で使用済みのため。紙の控えの番号を直してください）",
            v.visit_date, v.on_pc, v.now
        )
    }));
    lines.extend(r.conflicts.iter().map(|c| {
        format!(
            "  要確認 {} {} 番: 両方で変更されています（{}）。統合先の内容を残しました。監査ログで PC 側の内容を確認してください",
            c.entity,
            c.id,
            c.columns.join(", ")
        )
    }));
    lines.extend(r.possible_same_person.iter().map(|p| {
        let here: Vec<String> = p.already_here.iter().map(|id| format!("P{id}")).collect();
        format!(
            "  同一人物の可能性 P{} と {}（カナ・生年月日・性別が同じ）。確認して patients merge で統合してください",
            p.merged,
            here.join("、")
        )
    }));
    lines.extend(
        r.prescription_pdfs.iter().map(|p| {
            format!("  処方箋PDFは統合元のPCにあります。保管フォルダへ移してください: {p}")
        }),
    );
    Ok(Output::new(&r, lines))
}

/// Creates a new database (with its schema) where there is none; `demo`: one for demos and
/// tests, which alone runs on a fixed clock (`ONSHI_FALLBACK_NOW`).
pub fn init(ctx: &Context, demo: bool) -> CliResult {
    use onshi_fallback::store::Store;
    let path = ctx.db_path()?;
    let backups = backup_dir(&ctx.config()?, &path);
    let (line, purpose) = if demo {
        Store::create_demo(&path, &backups)?;
        (
            "デモ・テスト用のデータベースを作成しました（ONSHI_FALLBACK_NOW が使えます）",
            "demo",
        )
    } else {
        Store::create(&path, &backups)?;
        ("新しいデータベースを作成しました", "clinic")
    };
    Ok(Output::new(
        &serde_json::json!({"created": path.display().to_string(), "purpose": purpose}),
        [format!("{line}: {}", path.display())],
    ))
}

/// Lists the backups, newest first, without opening the database (it may be the damaged one).
pub fn backups(ctx: &Context) -> CliResult {
    let cfg = ctx.config()?;
    let list = backup::list(&backup_dir(&cfg, &ctx.db_path()?));
    let mut lines: Vec<String> = list
        .iter()
        .map(|b| format!("{}  {}  {} KB", b.modified, b.path, b.bytes / 1024))
        .collect();
    if lines.is_empty() {
        lines.push("バックアップはまだありません".into());
    }
    Ok(Output::new(&list, lines))
}

/// Puts a backup in place of the database. The database is not opened (it may be damaged) and
/// the settings are not read: the current file is set aside beside it, never deleted.
pub fn restore(ctx: &Context, from: &Path) -> CliResult {
    let path = ctx.db_path()?;
    authorize_restore(ctx, &path, from)?;
    let stamp = chrono::Local::now().format("%Y%m%d%H%M%S").to_string();
    let aside = backup::restore(from, &path, &stamp)?;
    let mut lines = vec![format!(
        "{} を復元しました: {}",
        from.display(),
        path.display()
    )];
    if let Some(a) = &aside {
        lines.push(format!("元のファイルは {} に残してあります", a.display()));
    }
    Ok(Output::new(
        &serde_json::json!({
            "restored": from.display().to_string(),
            "database": path.display().to_string(),
            "previous_file": aside.as_ref().map(|p| p.display().to_string()),
        }),
        lines,
    ))
}

/// Restoring is the admin's: the live database's admin when it can still be read (signed in
/// and audited there), else an admin of the backup that is to become the records.
fn authorize_restore(ctx: &Context, db: &Path, backup: &Path) -> Result<(), Failure> {
    use onshi_fallback::domain::access::Right;
    use onshi_fallback::store::Store;
    if let Ok(live) = Store::open_readonly(db) {
        if live.read(onshi_fallback::store::staff::identification_on)? {
            drop(live);
            ctx.records()?.require(Right::Administer)?;
        }
        return Ok(());
    }
    match Store::open_readonly(backup) {
        Ok(store) => ctx.check_admin_of(&store),
        // An unreadable backup is refused by the restore itself, with its reason.
        Err(_) => Ok(()),
    }
}

pub fn export(ctx: &Context, csv: &Path) -> CliResult {
    let s = ctx.records()?.export_csv(csv)?;
    let line = format!(
        "{} 件を書き出しました: {}（不詳 {} 件, 照合未了 {} 件）",
        s.visits, s.path, s.fushou, s.unsettled
    );
    Ok(Output::new(&s, [line]))
}
