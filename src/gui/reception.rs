//! 受付: search as you type, a returning patient in two keys (Enter shows the last known
//! insurance, Enter again records "no change"), the new-patient form (F7), and today's list.

use iced::widget::{
    button, column, container, operation, row, rule, scrollable, space, text, text_input, Column,
};
use iced::{Element, Length, Task};

use super::keys::Shortcut;
use super::new_patient::{self, Form, FormOutcome};
use super::widget::{self, cell, error_ja, short_time};
use super::{theme, Action};
use crate::domain::ids::{PatientId, VisitId};
use crate::domain::wareki::format_wareki;
use crate::domain::Basis;
use crate::service::{IntakeReceipt, PatientHit, Records, VisitRow};

pub const SEARCH_INPUT: &str = "reception-search";
/// The reason for cancelling a visit recorded by mistake.
pub const VOID_REASON_INPUT: &str = "reception-void-reason";
/// How many hits are listed while typing (what fits 1366×768 under the red banner and a notice).
pub const HIT_LIMIT: usize = 6;

#[derive(Debug, Clone)]
pub enum Message {
    QueryChanged(String),
    /// Enter in the search box: show the selected patient, or record them if shown.
    Submit,
    Select(usize),
    Move(i32),
    /// Record the shown patient as 「再診・変更なし」.
    RecordNoChange,
    NewPatient,
    /// Ctrl+E on a shown patient: correct their details (氏名・住所・電話…).
    CorrectPatient,
    /// Ctrl+Delete on a shown patient received today: cancel that visit (a reason is asked).
    AskVoid,
    VoidReasonChanged(String),
    /// Enter in the reason: cancel the visit.
    Void,
    Escape,
    Form(new_patient::Message),
}

#[derive(Default)]
pub struct Reception {
    query: String,
    hits: Vec<PatientHit>,
    /// More patients match than are listed.
    more: bool,
    selected: usize,
    /// The selected patient's last insurance is shown; Enter records the visit.
    detail: bool,
    today: Vec<VisitRow>,
    notice: Option<Notice>,
    form: Option<Form>,
    /// About the shown patient (see [`Reception::show_detail`]).
    cautions: Cautions,
}

/// What the desk must see before recording a shown patient as "no change".
#[derive(Default)]
struct Cautions {
    /// Reconciliation found the last insurance wanting: "no change" is refused.
    doubt: Option<String>,
    /// Visits already recorded for the patient today (not voided), oldest first.
    received_today: Vec<(VisitId, String)>,
    /// Cancelling the newest of them (Ctrl+Delete): the reason typed so far.
    voiding: Option<String>,
}

enum Notice {
    Done {
        receipt: IntakeReceipt,
        name: String,
        how: &'static str,
    },
    Corrected {
        name: String,
        changed: bool,
    },
    Voided {
        visit_no: String,
        reason: String,
    },
    Error(String),
}

impl Reception {
    /// The newest visit of today's list that stands (not voided): the patient just received,
    /// whose 申立書 F10 prints.
    pub fn newest_today(&self) -> Option<(VisitId, &str)> {
        self.today
            .iter()
            .filter(|v| v.visit.voided_at.is_none())
            .max_by_key(|v| v.visit_id.0)
            .map(|v| (v.visit_id, v.patient_name.as_str()))
    }

    pub fn refresh(&mut self, records: &Records) {
        self.refresh_today(records);
    }

    pub fn refresh_today(&mut self, records: &Records) {
        match records.visits(Some(records.today())) {
            Ok(v) => self.today = v,
            Err(e) => {
                self.notice = Some(Notice::Error(format!(
                    "本日の受付一覧を読めません: {}",
                    error_ja(&e)
                )))
            }
        }
    }

    pub fn focus(&self) -> Task<Message> {
        match &self.form {
            Some(f) => f.focus_first().map(Message::Form),
            None => operation::focus(SEARCH_INPUT),
        }
    }

    pub fn hits(&self) -> &[PatientHit] {
        &self.hits
    }

    /// The frame's keys on this screen: ↑↓ choose a hit, F7 the 申立書, Esc backs out.
    pub fn on_key(&self, key: Shortcut) -> Option<Message> {
        match key {
            Shortcut::Escape => Some(Message::Escape),
            Shortcut::Up => Some(Message::Move(-1)),
            Shortcut::Down => Some(Message::Move(1)),
            Shortcut::NewPatient => Some(Message::NewPatient),
            Shortcut::Ctrl('e') => Some(Message::CorrectPatient),
            Shortcut::Ctrl('\u{7f}') => Some(Message::AskVoid),
            _ => None,
        }
    }

    /// Only tasks: the banner's 照合待ち count takes a new visit on its next periodic refresh.
    pub fn update(&mut self, records: &mut Records, message: Message) -> Action<Message> {
        Action::Run(self.apply(records, message))
    }

    fn apply(&mut self, records: &mut Records, message: Message) -> Task<Message> {
        match message {
            // A key the field took without changing it (Ctrl+Delete at the end) keeps the hit.
            Message::QueryChanged(q) if q == self.query => Task::none(),
            Message::QueryChanged(q) => {
                // 「受付しました」 is about the last patient: the next search is about another.
                if matches!(
                    self.notice,
                    Some(Notice::Done { .. } | Notice::Corrected { .. })
                ) {
                    self.notice = None;
                }
                self.query = q;
                self.search(records);
                Task::none()
            }
            Message::Submit => {
                if self.detail {
                    return self.record_no_change(records);
                }
                if !self.hits.is_empty() {
                    self.show_detail(records);
                    return Task::none();
                }
                if !self.query.trim().is_empty() {
                    // Nobody found: the obvious next step is the 申立書.
                    return self.open_form(records, None);
                }
                Task::none()
            }
            Message::Select(i) => {
                if i < self.hits.len() {
                    self.selected = i;
                    self.show_detail(records);
                }
                operation::focus(SEARCH_INPUT)
            }
            Message::Move(d) => {
                if !self.hits.is_empty() && self.form.is_none() {
                    let n = self.hits.len() as i32;
                    self.selected = (self.selected as i32 + d).clamp(0, n - 1) as usize;
                }
                Task::none()
            }
            Message::RecordNoChange => self.record_no_change(records),
            Message::NewPatient => {
                if self.form.is_some() {
                    return Task::none();
                }
                // From a shown patient: their insurance changed, so a new 申立書 for them.
                let known = if self.detail {
                    self.hits.get(self.selected).cloned()
                } else {
                    None
                };
                self.open_form(records, known)
            }
            Message::CorrectPatient => {
                let shown = self.hits.get(self.selected).filter(|_| self.detail);
                let (None, Some(hit)) = (&self.form, shown) else {
                    return Task::none();
                };
                let form = Form::correcting(hit, records.today());
                let task = form.focus_first().map(Message::Form);
                self.form = Some(form);
                task
            }
            Message::AskVoid => {
                if self.detail && self.form.is_none() && !self.cautions.received_today.is_empty() {
                    self.cautions.voiding = Some(String::new());
                    return operation::focus(VOID_REASON_INPUT);
                }
                Task::none()
            }
            Message::VoidReasonChanged(r) => {
                if let Some(reason) = self.cautions.voiding.as_mut() {
                    *reason = r;
                }
                Task::none()
            }
            Message::Void => self.void_newest_today(records),
            Message::Escape if self.cautions.voiding.is_some() => {
                self.cautions.voiding = None;
                operation::focus(SEARCH_INPUT)
            }
            Message::Escape => {
                if let Some(form) = self.form.as_mut() {
                    let outcome = form.update(records, new_patient::Message::Cancel);
                    return self.after_form(records, outcome);
                }
                if self.detail {
                    self.detail = false;
                } else if !self.query.is_empty() {
                    self.query.clear();
                    self.hits.clear();
                } else {
                    self.notice = None;
                }
                operation::focus(SEARCH_INPUT)
            }
            Message::Form(m) => {
                let Some(form) = self.form.as_mut() else {
                    return Task::none();
                };
                let outcome = form.update(records, m);
                self.after_form(records, outcome)
            }
        }
    }

    fn after_form(&mut self, records: &mut Records, outcome: FormOutcome) -> Task<Message> {
        match outcome {
            FormOutcome::Stay(task) => task.map(Message::Form),
            FormOutcome::Cancelled => {
                self.form = None;
                operation::focus(SEARCH_INPUT)
            }
            FormOutcome::Corrected {
                patient_id,
                name,
                changed,
            } => {
                self.form = None;
                self.show_again(records, patient_id, &name);
                self.notice = Some(Notice::Corrected { name, changed });
                self.refresh_today(records);
                operation::focus(SEARCH_INPUT)
            }
            FormOutcome::Saved { receipt, name } => {
                self.form = None;
                self.notice = Some(Notice::Done {
                    receipt,
                    name,
                    how: "申立書",
                });
                self.query.clear();
                self.hits.clear();
                self.detail = false;
                self.refresh_today(records);
                operation::focus(SEARCH_INPUT)
            }
        }
    }

    fn open_form(&mut self, records: &Records, known: Option<PatientHit>) -> Task<Message> {
        let form = match known {
            Some(hit) => Form::for_patient(&hit, records.today()),
            None => Form::from_search(&self.query, records.today()),
        };
        let task = form.focus_first().map(Message::Form);
        self.form = Some(form);
        task
    }

    /// Shows the patient again after their details changed: among the same search's hits, or
    /// found by their new name when it no longer matches.
    fn show_again(&mut self, records: &mut Records, patient: PatientId, name: &str) {
        self.search(records);
        if !self.hits.iter().any(|h| h.patient_id == patient) {
            self.query = name.to_string();
            self.search(records);
        }
        if let Some(i) = self.hits.iter().position(|h| h.patient_id == patient) {
            self.selected = i;
            self.show_detail(records);
        }
    }

    /// Shows the selected patient's last insurance, with what the desk must know before
    /// recording "no change": what reconciliation found against it, and visits already today.
    fn show_detail(&mut self, records: &mut Records) {
        self.detail = true;
        self.cautions = Cautions::default();
        let Some(hit) = self.hits.get(self.selected) else {
            return;
        };
        // Opening a patient's record is an access the audit log keeps; a database that cannot
        // be written will say so at the next save, and must not hide the record meanwhile.
        let _ = records.viewed("reception", &[hit.patient_id.0]);
        let found = records
            .doubt_about_last_insurance(hit.patient_id)
            .and_then(|doubt| Ok((doubt, records.visits_today(hit.patient_id)?)));
        match found {
            Ok((doubt, today)) => {
                self.cautions = Cautions {
                    doubt,
                    received_today: today,
                    voiding: None,
                }
            }
            Err(e) => self.notice = Some(Notice::Error(error_ja(&e))),
        }
    }

    /// Cancels the shown patient's newest visit of today, recorded by mistake: it stays, marked,
    /// with the reason (audited), and leaves the reconciliation queue.
    fn void_newest_today(&mut self, records: &mut Records) -> Task<Message> {
        let (Some(reason), Some((visit, visit_no))) = (
            self.cautions.voiding.clone(),
            self.cautions.received_today.last().cloned(),
        ) else {
            return Task::none();
        };
        match records.void_visit(visit, &reason) {
            Ok(_) => {
                self.notice = Some(Notice::Voided {
                    visit_no,
                    reason: reason.trim().to_string(),
                });
                self.refresh_today(records);
                self.show_detail(records);
                operation::focus(SEARCH_INPUT)
            }
            // The reason is missing: say so and stay in the field (the notice shifts the
            // layout, so the focus is set again).
            Err(e) => {
                self.notice = Some(Notice::Error(error_ja(&e)));
                operation::focus(VOID_REASON_INPUT)
            }
        }
    }

    fn search(&mut self, records: &Records) {
        self.selected = 0;
        self.detail = false;
        if self.query.trim().is_empty() {
            self.hits.clear();
            return;
        }
        // One more than shown, to know whether to ask for a narrower search.
        match records.search_patients(&self.query, HIT_LIMIT + 1) {
            Ok(h) => {
                self.more = h.len() > HIT_LIMIT;
                self.hits = h.into_iter().take(HIT_LIMIT).collect();
            }
            Err(e) => {
                self.hits.clear();
                self.notice = Some(Notice::Error(error_ja(&e)));
            }
        }
    }

    fn record_no_change(&mut self, records: &mut Records) -> Task<Message> {
        let Some(hit) = self.hits.get(self.selected) else {
            return Task::none();
        };
        let name = hit.patient.details.name.clone();
        match records.intake_returning(hit.patient_id, Basis::ReturningNoChange, None) {
            Ok(receipt) => {
                self.notice = Some(Notice::Done {
                    receipt,
                    name,
                    how: Basis::ReturningNoChange.ja(),
                });
                self.query.clear();
                self.hits.clear();
                self.detail = false;
                self.selected = 0;
                self.refresh_today(records);
            }
            Err(e) => self.notice = Some(Notice::Error(error_ja(&e))),
        }
        operation::focus(SEARCH_INPUT)
    }

    pub fn view<'a>(&'a self, records: &'a Records) -> Element<'a, Message> {
        if let Some(form) = &self.form {
            return form.view().map(Message::Form);
        }
        let search = text_input(
            "氏名・カナ・生年月日（S45.3.1 / 1970-03-01）・保険者番号で検索",
            &self.query,
        )
        .id(SEARCH_INPUT)
        .on_input(Message::QueryChanged)
        .on_submit(Message::Submit)
        .size(20)
        .padding(10)
        .style(theme::input(false));
        let mut left = column![
            row![
                text("患者検索").size(theme::TITLE),
                space::horizontal(),
                button(text("F7 新規患者（申立書）").size(theme::BODY))
                    .padding([6, 12])
                    .on_press(Message::NewPatient)
            ]
            .align_y(iced::Center),
            search,
        ]
        .spacing(8)
        .width(Length::FillPortion(11));

        if let Some(n) = &self.notice {
            left = left.push(notice_view(n));
        }
        if self.detail {
            if let Some(hit) = self.hits.get(self.selected) {
                left = left.push(detail_view(hit, &self.cautions));
            }
        } else if !self.hits.is_empty() {
            let count = if self.more {
                format!("{} 名以上 — 生年月日などを続けて入力して絞り込んでください（例: やまだ S45.3.1）", HIT_LIMIT)
            } else {
                format!(
                    "{} 名 — ↑↓ で選択、Enter で前回の保険を表示",
                    self.hits.len()
                )
            };
            left = left.push(text(count).size(theme::BODY).color(if self.more {
                theme::AMBER
            } else {
                theme::MUTED
            }));
            for (i, hit) in self.hits.iter().enumerate() {
                left = left.push(hit_view(i, hit, i == self.selected));
            }
        } else if !self.query.trim().is_empty() {
            left = left.push(
                text("該当する患者はいません。Enter（または F7）で新規患者の申立書を入力します")
                    .size(theme::BODY),
            );
        } else {
            left = left.push(
                text("検索語を入力してください。再診の方は Enter → Enter（変更なし）で受付できます。Esc で戻ります。").size(theme::BODY).color(theme::MUTED),
            );
        }

        let right = today_view(&self.today, records).width(Length::FillPortion(9));
        row![left, rule::vertical(1), right]
            .spacing(14)
            .height(Length::Fill)
            .into()
    }
}

fn notice_view(n: &Notice) -> Element<'_, Message> {
    match n {
        Notice::Done { receipt, name, how } => {
            let mut col = column![text(format!(
                "受付しました: 受付番号 {}  {}（{}）",
                receipt.visit_no, name, how
            ))
            .size(20)]
            .spacing(4);
            for w in &receipt.warnings {
                col = col.push(
                    text(format!("注意: {}: {}", w.label, w.message_ja))
                        .size(theme::BODY)
                        .color(theme::AMBER),
                );
            }
            widget::notice(col, 8)
        }
        Notice::Corrected { name, changed } => widget::notice(
            text(if *changed {
                format!("患者情報を訂正しました: {name}（訂正前の内容は監査ログに残ります）")
            } else {
                format!("変更はありませんでした: {name}")
            })
            .size(20),
            8,
        ),
        Notice::Voided { visit_no, reason } => widget::notice(
            text(format!(
                "受付 {visit_no} を取り消しました（理由: {reason}）。記録は取消として残ります"
            ))
            .size(20),
            8,
        ),
        Notice::Error(e) => widget::error(e, 8),
    }
}

fn hit_view(i: usize, hit: &PatientHit, selected: bool) -> Element<'_, Message> {
    let p = &hit.patient.details;
    let line = column![
        row![
            text(format!("{}  {}", p.name, p.kana)).size(18),
            space::horizontal(),
            text(format!("{} {}", format_wareki(p.birth_date), p.sex.ja())).size(theme::BODY),
        ],
        text(if hit.insurance_summary.is_empty() {
            "保険情報なし".to_string()
        } else {
            hit.insurance_summary.clone()
        })
        .size(theme::BODY)
        .color(theme::MUTED),
    ]
    .spacing(2);
    let b = button(line)
        .padding(6)
        .width(Length::Fill)
        .style(theme::row_button)
        .on_press(Message::Select(i));
    if selected {
        container(b).style(theme::selected_row).padding(2).into()
    } else {
        container(b).padding(2).into()
    }
}

fn detail_view<'a>(hit: &'a PatientHit, cautions: &Cautions) -> Element<'a, Message> {
    let p = &hit.patient.details;
    let mut col: Column<'_, Message> = column![
        text(format!("{}（{}）", p.name, p.kana)).size(24),
        text(format!(
            "{} {}  {}  患者ID {}",
            format_wareki(p.birth_date),
            p.sex.ja(),
            p.address,
            hit.patient_id
        ))
        .size(theme::BODY),
        rule::horizontal(1),
    ]
    .spacing(6);
    match &hit.insurance {
        Some(d) => {
            let i = &d.insurance;
            col = col.push(text("前回の保険").size(theme::BODY).color(theme::MUTED));
            col = col.push(text(hit.insurance_summary.clone()).size(20));
            let mut extra = vec![format!("負担 {}割", i.copay_percent / 10)];
            if let Some(r) = i.relationship {
                extra.push(r.ja().to_string());
            }
            if !i.insurer_name.is_empty() {
                extra.push(i.insurer_name.clone());
            }
            col = col.push(text(extra.join("  ")).size(theme::BODY));
            for (n, f) in i.public_funds.iter().enumerate() {
                col = col.push(
                    text(format!("第{}公費 {} / {}", n + 1, f.payer, f.recipient))
                        .size(theme::BODY),
                );
            }
            let verified = match &d.verified_at {
                Some(v) => format!("最終確認: {}（オンライン確認済）", short_time(v)),
                None => format!(
                    "最終確認: なし（{} {} に{}）",
                    d.source.ja(),
                    short_time(&d.created_at),
                    basis_ja(&d.basis)
                ),
            };
            col = col.push(
                text(verified)
                    .size(theme::BODY)
                    .color(if d.verified_at.is_some() {
                        theme::GREEN
                    } else {
                        theme::AMBER
                    }),
            );
            if !cautions.received_today.is_empty() {
                col = col.push(
                    text(format!(
                        "本日受付済み {}（二重受付でないか確認してください）",
                        cautions
                            .received_today
                            .iter()
                            .map(|(_, no)| no.as_str())
                            .collect::<Vec<_>>()
                            .join("、")
                    ))
                    .size(18)
                    .color(theme::AMBER),
                );
                col = col.push(match &cautions.voiding {
                    Some(reason) => Element::from(
                        column![
                            text(format!(
                                "受付 {} を取り消します。理由を入力して Enter（Esc でやめる）",
                                cautions
                                    .received_today
                                    .last()
                                    .map(|(_, no)| no.as_str())
                                    .unwrap_or("")
                            ))
                            .size(theme::BODY)
                            .color(theme::ERROR_TEXT),
                            widget::reason_input(
                                "取消の理由 例: 二重受付",
                                reason,
                                VOID_REASON_INPUT,
                                Message::VoidReasonChanged,
                                Message::Void,
                                false,
                            ),
                        ]
                        .spacing(4),
                    ),
                    None => text("間違えて受け付けた場合は Ctrl+Delete で取消（理由を入力）")
                        .size(theme::SMALL)
                        .color(theme::MUTED)
                        .into(),
                });
            }
            // Insurance reconciliation found wanting is not offered as "no change".
            let record: Element<'_, Message> = match &cautions.doubt {
                Some(doubt) => column![
                    text(format!("× {doubt}")).size(18).color(theme::ERROR_TEXT),
                    text("新しい保険証を確認し、F7 で申立書を入力してください")
                        .size(theme::BODY)
                        .color(theme::ERROR_TEXT),
                ]
                .spacing(2)
                .into(),
                None => button(text("Enter 変更なしで受付").size(18))
                    .padding([8, 16])
                    .on_press(Message::RecordNoChange)
                    .into(),
            };
            col = col.push(
                row![
                    record,
                    button(text("F7 保険が変わった（申立書）").size(theme::BODY))
                        .padding([8, 12])
                        .style(theme::tab(false))
                        .on_press(Message::NewPatient),
                    button(text("Ctrl+E 訂正").size(theme::BODY))
                        .padding([8, 12])
                        .style(theme::tab(false))
                        .on_press(Message::CorrectPatient),
                    text("Esc 戻る").size(theme::BODY).color(theme::MUTED),
                ]
                .spacing(12)
                .align_y(iced::Center),
            );
        }
        None => {
            col = col.push(
                text("前回の保険情報がありません。F7 で申立書を入力してください")
                    .size(theme::BODY)
                    .color(theme::AMBER),
            );
        }
    }
    container(col)
        .padding(12)
        .width(Length::Fill)
        .style(theme::selected_row)
        .into()
}

fn today_view<'a>(rows: &'a [VisitRow], records: &Records) -> Column<'a, Message> {
    let mut col = column![row![
        text("本日の受付").size(theme::TITLE),
        space::horizontal(),
        text(format!(
            "{} 件  {}",
            rows.len(),
            format_wareki(records.today())
        ))
        .size(theme::BODY)
    ]
    .align_y(iced::Center)]
    .spacing(4);
    col = col.push(
        row![
            text("受付番号")
                .size(theme::BODY)
                .width(NO_W)
                .color(theme::MUTED),
            text("氏名")
                .size(theme::BODY)
                .width(Length::FillPortion(3))
                .color(theme::MUTED),
            text("保険（照合後）")
                .size(theme::BODY)
                .width(Length::FillPortion(5))
                .color(theme::MUTED),
            text("照合")
                .size(theme::BODY)
                .width(STATE_W)
                .color(theme::MUTED),
        ]
        .spacing(6),
    );
    col = col.push(rule::horizontal(1));
    if rows.is_empty() {
        col = col.push(
            text("まだ受付はありません")
                .size(theme::BODY)
                .color(theme::MUTED),
        );
    }
    // Newest first, so the visit just recorded is always on top; the rest scroll.
    let mut list = column![].spacing(2);
    for v in rows.iter().rev() {
        let void = v.visit.voided_at.is_some();
        let state = if void {
            "取消".to_string()
        } else {
            v.queue_state
                .map(|s| s.ja().to_string())
                .unwrap_or_else(|| "—".into())
        };
        let name = if void {
            format!("［取消］{}", v.patient_name)
        } else {
            v.patient_name.clone()
        };
        // The insurance as it stands after reconciliation, whole (it may take two lines).
        let insurance = if v.claimed_summary != v.insurance_summary {
            format!("{}（照合で更新）", v.claimed_summary)
        } else {
            v.claimed_summary.clone()
        };
        list = list.push(
            row![
                cell(v.visit.visit_no.clone(), Length::Fixed(NO_W)),
                cell(name, Length::FillPortion(3)),
                text(insurance)
                    .size(theme::BODY)
                    .width(Length::FillPortion(5)),
                cell(state, Length::Fixed(STATE_W)),
            ]
            .spacing(6),
        );
    }
    col = col.push(scrollable(list).height(Length::Fill));
    col
}

const NO_W: f32 = 118.0;
const STATE_W: f32 = 104.0;

fn basis_ja(b: &str) -> &'static str {
    Basis::parse(b).map(|b| b.ja()).unwrap_or("申告")
}
