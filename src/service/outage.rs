//! Degraded mode: declaring an outage, recording the line's return, and the incident log.

use crate::domain::access::Right;
use chrono::DateTime;
use serde::Serialize;

use super::Records;
use crate::domain::{Detection, Service};
use crate::error::{Error, Result};
use crate::store::outages::{self, Note, Outage, Tick};
use crate::store::{queue, visits};

/// `outage status`: the mode, the open outage, and how many records wait for reconciliation.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub mode: &'static str,
    pub outage: Option<Outage>,
    /// Records not settled yet: 照合待ち (not asked yet) and 要判断 together.
    pub queued: i64,
    /// Of those, the ones answered and waiting for a person (要判断).
    pub to_decide: i64,
}

impl Status {
    /// Records not asked yet (照合待ち).
    pub fn to_check(&self) -> i64 {
        self.queued - self.to_decide
    }

    /// 「照合待ち 3 件・要判断 1 件」: the same two names everywhere.
    pub fn counts_ja(&self) -> String {
        format!(
            "照合待ち {} 件・要判断 {} 件",
            self.to_check(),
            self.to_decide
        )
    }
}

/// One outage as the incident log tells it.
#[derive(Debug, Clone, Serialize)]
pub struct OutageRecord {
    #[serde(flatten)]
    pub outage: Outage,
    pub duration_minutes: Option<i64>,
    pub steps: Vec<Tick>,
    pub notes: Vec<Note>,
    pub patients_seen: i64,
}

impl Records {
    /// Declares degraded mode. Idempotent: with an outage already open it adds any newly named
    /// services and returns that outage (`false` = not newly started).
    pub fn outage_start(
        &mut self,
        reason: &str,
        services: &[Service],
        detected_by: Detection,
    ) -> Result<(Outage, bool)> {
        self.require(Right::Outage)?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Error::field(
                "reason",
                "理由",
                "理由を入力してください（例: 資格確認端末がエラー）",
                "required",
            ));
        }
        let services: Vec<Service> = if services.is_empty() {
            Service::ALL.to_vec()
        } else {
            services.to_vec()
        };
        let stamp = self.stamp();
        self.store.write(|tx| {
            if let Some(open) = outages::current(tx)? {
                outages::add_services(tx, &open, &services, &stamp)?;
                let now = outages::get(tx, open.id)?.unwrap_or(open);
                return Ok((now, false));
            }
            let id = outages::start(tx, reason, &services, detected_by, &stamp)?;
            Ok((outages::get(tx, id)?.expect("just inserted"), true))
        })
    }

    /// Records the line's return. Everything queued while it was down becomes due.
    pub fn outage_end(&mut self, note: &str, detected_by: Detection) -> Result<(Outage, usize)> {
        self.require(Right::Outage)?;
        let stamp = self.stamp();
        self.store.write(|tx| {
            let open = outages::current(tx)?.ok_or_else(|| {
                Error::refused(
                    "障害対応中ではありません（終了する障害がありません）",
                    "no outage is open",
                )
            })?;
            outages::end(tx, open.id, note.trim(), detected_by, &stamp)?;
            let released = queue::release_waiting(tx, &stamp)?;
            Ok((outages::get(tx, open.id)?.expect("exists"), released))
        })
    }

    pub fn status(&self) -> Result<Status> {
        self.store.read(|tx| {
            let outage = outages::current(tx)?;
            Ok(Status {
                mode: if outage.is_some() {
                    "degraded"
                } else {
                    "normal"
                },
                outage,
                queued: queue::count_open(tx)?,
                to_decide: queue::count_to_decide(tx)?,
            })
        })
    }

    pub fn outage_note(&mut self, text: &str) -> Result<()> {
        self.require(Right::Outage)?;
        if text.trim().is_empty() {
            return Err(Error::field("note", "メモ", "入力してください", "required"));
        }
        let stamp = self.stamp();
        self.store.write(|tx| {
            let open = outages::current(tx)?
                .ok_or_else(|| Error::refused("障害対応中ではありません", "no outage is open"))?;
            outages::add_note(tx, open.id, text.trim(), &stamp)
        })
    }

    /// Every outage with its steps, notes, duration and patients seen.
    pub fn outage_log(&self) -> Result<Vec<OutageRecord>> {
        self.require(Right::OutageLog)?;
        let now = self.clock.now();
        self.store.read(|tx| {
            outages::all(tx)?
                .into_iter()
                .map(|o| {
                    let start = DateTime::parse_from_rfc3339(&o.started_at).ok();
                    let end = match &o.ended_at {
                        Some(e) => DateTime::parse_from_rfc3339(e).ok(),
                        None => Some(now),
                    };
                    let duration_minutes = match (start, end) {
                        (Some(s), Some(e)) => Some((e - s).num_minutes()),
                        _ => None,
                    };
                    Ok(OutageRecord {
                        steps: outages::ticks(tx, o.id)?,
                        notes: outages::notes(tx, o.id)?,
                        patients_seen: visits::count_in_outage(tx, o.id)?,
                        duration_minutes,
                        outage: o,
                    })
                })
                .collect()
        })
    }
}

/// A runbook step with its tick in the open outage, if ticked.
#[derive(Debug, Clone, Serialize)]
pub struct RunbookItem {
    #[serde(flatten)]
    pub step: crate::config::RunbookStep,
    pub ticked: Option<Tick>,
}

impl Records {
    /// The runbook for the open outage (or, with none open, the steps alone).
    pub fn runbook(&self) -> Result<Vec<RunbookItem>> {
        self.require(Right::Outage)?;
        let steps = crate::outage::runbook::steps(&self.config.runbook);
        self.store.read(|tx| {
            let ticks = match outages::current(tx)? {
                Some(o) => outages::ticks(tx, o.id)?,
                None => Vec::new(),
            };
            Ok(steps
                .into_iter()
                .map(|step| {
                    let ticked = ticks.iter().rev().find(|t| t.step == step.id).cloned();
                    RunbookItem { step, ticked }
                })
                .collect())
        })
    }

    /// Ticks a runbook step in the open outage, with the time and who did it.
    pub fn runbook_tick(&mut self, step_id: &str, result: &str) -> Result<Tick> {
        self.require(Right::Outage)?;
        let steps = crate::outage::runbook::steps(&self.config.runbook);
        let step = steps
            .iter()
            .find(|s| s.id == step_id.trim())
            .ok_or_else(|| {
                let ids: Vec<&str> = steps.iter().map(|s| s.id.as_str()).collect();
                Error::field(
                    "STEP",
                    "手順",
                    format!(
                        "手順 {step_id} はありません。次のいずれかです: {}",
                        ids.join(", ")
                    ),
                    format!("unknown step; one of {}", ids.join(", ")),
                )
            })?;
        let stamp = self.stamp();
        self.store.write(|tx| {
            let open = outages::current(tx)?.ok_or_else(|| {
                Error::refused(
                    "障害対応中ではありません（手順は障害中に記録します）",
                    "no outage is open",
                )
            })?;
            outages::tick(tx, open.id, &step.id, &step.title, result.trim(), &stamp)?;
            Ok(outages::ticks(tx, open.id)?.pop().expect("just ticked"))
        })
    }

    /// The incident report (Markdown) for outage `id`, or the latest one.
    pub fn incident_report(&self, id: Option<i64>) -> Result<String> {
        self.require(Right::OutageLog)?;
        let log = self.outage_log()?;
        let record = match id {
            Some(id) => log.into_iter().find(|o| o.outage.id == id),
            None => log.into_iter().last(),
        }
        .ok_or_else(|| Error::not_found("該当する障害の記録がありません", "no such outage"))?;
        Ok(super::incident::markdown(
            &record,
            self.config.clinic.name.as_deref().unwrap_or(""),
        ))
    }
}
