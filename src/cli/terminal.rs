//! The line and the terminal: `probe`, `watch` and `simulate-terminal`.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use onshi_fallback::error::Error;
use onshi_fallback::outage::probe::Probes;

use super::context::Context;
use super::output::Output;
use super::{CliResult, Failure};

/// Runs the configured health probes once and reports each.
pub fn probe(ctx: &Context) -> CliResult {
    let r = ctx.records()?;
    let report = Probes::from_config(&r.config)?.run();
    let mut lines = Vec::new();
    if report.checks.is_empty() {
        lines.push(
            "プローブが設定されていません（[qualification] root または [probes] tcp を設定してください）"
                .to_string(),
        );
    }
    for c in &report.checks {
        lines.push(format!(
            "{} {}",
            if c.ok { "正常" } else { "異常" },
            c.detail_ja
        ));
    }
    Ok(Output::new(&report, lines))
}

/// Watches the probes and switches mode until stopped (or for `rounds` rounds), printing each
/// round as it happens.
pub fn watch(ctx: &Context, interval: Option<u64>, rounds: Option<u64>) -> CliResult {
    use onshi_fallback::outage::watch::{Decision, Watch};
    use onshi_fallback::service::watch;
    let mut r = ctx.records_as("自動監視")?;
    let probes = Probes::from_config(&r.config)?;
    if probes.is_empty() {
        return Err(Failure::Input(Error::field(
            "probes",
            "プローブ",
            "監視するものがありません。設定 [qualification] root または [probes] tcp を指定してください",
            "nothing to watch: set [qualification] root or [probes] tcp",
        )));
    }
    let p = &r.config.probes;
    let mut w = Watch::new(
        p.failures_to_degrade,
        p.passes_to_recover.unwrap_or(p.failures_to_degrade),
    );
    let interval = std::time::Duration::from_secs(interval.unwrap_or(p.interval_s));
    let stop = AtomicBool::new(false);
    let mut done = 0u64;
    watch::run(
        &mut r,
        &probes,
        &mut w,
        interval,
        &stop,
        |report, decision| {
            let now = chrono::Local::now().format("%H:%M:%S");
            let verdict = if report.ok { "正常" } else { "異常" };
            match decision {
                Decision::Degrade { reason } => {
                    println!("{now} {verdict} → 障害モードに切り替えました: {reason}")
                }
                Decision::Recover => println!("{now} {verdict} → 回線の復旧を記録しました"),
                Decision::NoteRecovered => println!(
                    "{now} {verdict} → 応答が戻りました（職員が宣言した障害のため、終了は手動で）"
                ),
                Decision::Nothing => println!("{now} {verdict} {}", report.summary_ja()),
            }
            done += 1;
            if rounds.is_some_and(|n| done >= n) {
                stop.store(true, Ordering::Relaxed);
            }
        },
    )?;
    Ok(Output::nothing())
}

/// Runs the terminal simulator in the foreground until the process is stopped.
pub fn simulate_terminal(root: &Path, roster: &Path) -> CliResult {
    use onshi_fallback::qualification::simulator::{self, Roster};
    static STOP: AtomicBool = AtomicBool::new(false);
    let roster = Roster::load(roster)?;
    eprintln!(
        "資格確認端末シミュレーター起動: {} ({}名). 動作は {} で切替 (up|down|error|truncated|slow|garbage). Ctrl+C で終了\n\
         terminal simulator running on {} ({} people); switch behaviour in {}; Ctrl+C to stop",
        root.display(),
        roster.people.len(),
        root.join(simulator::MODE_FILE).display(),
        root.display(),
        roster.people.len(),
        root.join(simulator::MODE_FILE).display(),
    );
    simulator::run(root, &roster, &STOP)?;
    Ok(Output::nothing())
}
