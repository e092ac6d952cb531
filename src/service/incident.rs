//! The incident report: one outage told as a Markdown document for the clinic's file.

use std::fmt::Write;

use super::OutageRecord;

fn time(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| {
            format!(
                "{} {}",
                crate::domain::wareki::format_wareki(t.date_naive()),
                t.format("%H:%M")
            )
        })
        .unwrap_or_else(|_| rfc3339.to_string())
}

pub fn markdown(o: &OutageRecord, clinic_name: &str) -> String {
    let mut s = String::new();
    let out = &o.outage;
    let _ = writeln!(s, "# 障害報告書（オンライン資格確認 停止）");
    if !clinic_name.is_empty() {
        let _ = writeln!(s, "\n{clinic_name}");
    }
    let _ = writeln!(s, "\n| 項目 | 内容 |\n|---|---|");
    let _ = writeln!(s, "| 障害番号 | #{} |", out.id);
    let _ = writeln!(
        s,
        "| 開始 | {}（{}、{}） |",
        time(&out.started_at),
        out.detected_by.ja(),
        out.started_by
    );
    match &out.ended_at {
        Some(e) => {
            let by = out.ended_detected_by.map(|d| d.ja()).unwrap_or("");
            let _ = writeln!(
                s,
                "| 復旧 | {}（{}、{}） |",
                time(e),
                by,
                out.ended_by.as_deref().unwrap_or("")
            );
        }
        None => {
            let _ = writeln!(s, "| 復旧 | 継続中 |");
        }
    }
    if let Some(m) = o.duration_minutes {
        let _ = writeln!(s, "| 継続時間 | {}時間{}分 |", m / 60, m % 60);
    }
    let services: Vec<&str> = out.services.iter().map(|x| x.ja()).collect();
    let _ = writeln!(s, "| 影響を受けたサービス | {} |", services.join("、"));
    let _ = writeln!(s, "| 理由 | {} |", out.reason.replace('|', "｜"));
    let _ = writeln!(s, "| 障害中の受付 | {} 名 |", o.patients_seen);
    if !out.end_note.is_empty() {
        let _ = writeln!(s, "| 復旧時のメモ | {} |", out.end_note.replace('|', "｜"));
    }
    let _ = writeln!(s, "\n## 実施した手順\n");
    if o.steps.is_empty() {
        let _ = writeln!(s, "（記録なし）");
    }
    for t in &o.steps {
        let result = if t.result.is_empty() {
            String::new()
        } else {
            format!(" — {}", t.result)
        };
        let _ = writeln!(s, "- {} {}（{}）{}", time(&t.at), t.title, t.by, result);
    }
    let _ = writeln!(s, "\n## メモ\n");
    if o.notes.is_empty() {
        let _ = writeln!(s, "（なし）");
    }
    for n in &o.notes {
        let _ = writeln!(s, "- {} {}（{}）", time(&n.at), n.text, n.by);
    }
    s
}
