//! 照合: the afternoon pass and the clerk's decisions. F6 runs the pass on a worker thread with
//! its own connection to the database (the pass blocks on the terminal for seconds per record;
//! the window must keep drawing), and reports progress through a channel. The list shows open
//! decisions first; the selected record's detail and the decision keys sit beside it so they
//! are always visible at 1366×768.
//!
//! Keys: ↑↓ choose a record; 1 確認済みを採用, 2 申告のまま (reason), 3 要確認 (note),
//! 4 手入力 (the manual lookup's numbers); Enter confirms, Esc cancels; F8 writes the clerk's CSV;
//! Ctrl+A shows the settled records too (or hides them again).
//!
//! The list is a window on [`ReconcileList`]: the records not settled yet, the settled ones
//! only on request, and only the rows in sight are read and laid out, so a year of history
//! opens and moves as fast as one day. It is re-read only when the records changed.

use iced::widget::{
    button, column, container, mouse_area, operation, row, rule, space, text, text_input, Column,
};
use iced::{Element, Length, Task};

use super::keys::Shortcut;
use super::widget::{self, cell, error_ja, short_time};
use super::{theme, Action};
use crate::domain::form_codes;
use crate::domain::intake::{validate_insurance, InsuranceInput};
use crate::domain::wareki::format_wareki;
use crate::domain::{QueueDecision, QueueState};
use crate::reconcile::ReconcileStatus;
use crate::service::{Decision, PassReport, QueueRow, ReconcileList, Records};

pub const NOTE_INPUT: &str = "reconcile-note";
/// Rows of the list laid out at once: what fits beside the detail at 1366×768.
pub const LIST_ROWS: usize = 12;
/// No widget has this id: focusing it takes the focus off every field, so the digit keys
/// reach the screen instead of a text box.
const NOWHERE: &str = "reconcile-nowhere";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Verified,
    Declared,
    FollowUp,
    Manual,
}

impl Choice {
    pub fn from_digit(d: u8) -> Option<Choice> {
        Some(match d {
            1 => Choice::Verified,
            2 => Choice::Declared,
            3 => Choice::FollowUp,
            4 => Choice::Manual,
            _ => return None,
        })
    }

    fn label(self) -> &'static str {
        match self {
            Choice::Verified => "1 確認済みを採用",
            Choice::Declared => "2 申告のまま（理由が必要）",
            Choice::FollowUp => "3 要確認（確認することを記入）",
            Choice::Manual => "4 手入力（照会結果）",
        }
    }
}

/// The fields of the manual-lookup form, in the order of the insurance card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Insurer,
    Symbol,
    Number,
    Branch,
    Relationship,
    Copay,
}

impl Field {
    const ALL: [Field; 6] = [
        Field::Insurer,
        Field::Symbol,
        Field::Number,
        Field::Branch,
        Field::Relationship,
        Field::Copay,
    ];

    fn label(self) -> &'static str {
        match self {
            Field::Insurer => "保険者番号",
            Field::Symbol => "記号",
            Field::Number => "番号",
            Field::Branch => "枝番",
            Field::Relationship => "本人1 家族2",
            Field::Copay => "負担 1-3割",
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Field::Insurer => "manual-insurer",
            Field::Symbol => "manual-symbol",
            Field::Number => "manual-number",
            Field::Branch => "manual-branch",
            Field::Relationship => "manual-relationship",
            Field::Copay => "manual-copay",
        }
    }

    fn width(self) -> f32 {
        match self {
            Field::Insurer | Field::Number => 120.0,
            Field::Symbol => 100.0,
            _ => 80.0,
        }
    }
}

/// What the pass worker reports.
#[derive(Debug, Clone)]
pub enum PassEvent {
    Progress {
        done: usize,
        total: usize,
        visit_no: String,
        patient: String,
    },
    Done(Result<PassCount, String>),
}

/// What a finished pass did: records asked, and how many of them got no usable answer.
#[derive(Debug, Clone, Copy)]
pub struct PassCount {
    pub checked: usize,
    pub unanswered: usize,
}

#[derive(Debug, Clone)]
pub enum Message {
    Move(i32),
    Select(usize),
    Choose(Choice),
    NoteChanged(String),
    FieldChanged(Field, String),
    /// Enter in the note or the form: record the pending decision.
    Confirm,
    RunPass,
    Pass(PassEvent),
    WriteCsv,
    /// Ctrl+A: show the settled records too, or hide them again.
    ToggleSettled,
    /// The mouse wheel over the list: rows to move by.
    Scroll(i32),
    /// Esc: cancels a decision being made, else back to 受付.
    Escape,
}

#[derive(Default)]
struct Manual {
    values: [String; 6],
}

impl Manual {
    fn from_row(row: &QueueRow) -> Manual {
        let i = &row.declared;
        let mut m = Manual::default();
        m.values[0] = i.insurer_number.clone().unwrap_or_default();
        m.values[1] = i.symbol.clone();
        m.values[2] = i.number.clone().unwrap_or_default();
        m.values[3] = i.branch.clone();
        m.values[4] = match i.relationship {
            Some(crate::domain::Relationship::Insured) => "1".into(),
            Some(crate::domain::Relationship::Family) => "2".into(),
            None => String::new(),
        };
        m.values[5] = if i.insurer_number.is_some() {
            (i.copay_percent / 10).to_string()
        } else {
            String::new()
        };
        m
    }

    fn get(&self, f: Field) -> &str {
        &self.values[f as usize]
    }

    /// The form as the library's input: the kind is left to the insurer number (the lookup
    /// result names the insurer, not a kind), 1/2 and 1–3 as on the paper form.
    fn input(&self) -> InsuranceInput {
        InsuranceInput {
            kind: "unknown".into(),
            insurer_number: self.get(Field::Insurer).into(),
            symbol: self.get(Field::Symbol).into(),
            number: self.get(Field::Number).into(),
            branch: self.get(Field::Branch).into(),
            relationship: form_codes::relationship(self.get(Field::Relationship)),
            copay_percent: form_codes::copay_percent(self.get(Field::Copay)),
            ..InsuranceInput::default()
        }
    }
}

struct Running {
    done: usize,
    total: usize,
    current: String,
}

pub struct ReconcileScreen {
    /// Open decisions first, then those still to be checked, then (on request) the settled
    /// ones: a window of them read at a time.
    list: ReconcileList,
    pending: Option<Choice>,
    note: String,
    manual: Manual,
    running: Option<Running>,
    /// Set when a pass starts and cleared when the clerk picks a record: while set, the
    /// selection stays on the first row (the first open decision) instead of following a
    /// record that the pass moves into another group, out of sight.
    follow_top: bool,
    notice: Option<String>,
    error: Option<String>,
    /// The error says the pass waits for the line's return: it goes once the outage ends.
    error_until_line_returns: bool,
}

impl Default for ReconcileScreen {
    fn default() -> Self {
        ReconcileScreen {
            list: ReconcileList::new(LIST_ROWS),
            pending: None,
            note: String::new(),
            manual: Manual::default(),
            running: None,
            follow_top: false,
            notice: None,
            error: None,
            error_until_line_returns: false,
        }
    }
}

fn group(r: &QueueRow) -> u8 {
    match r.entry.state {
        QueueState::NeedsDecision => 0,
        QueueState::Waiting | QueueState::Due => 1,
        QueueState::Settled => 2,
    }
}

impl ReconcileScreen {
    /// Re-reads the list if the records changed since it was read, keeping the same record
    /// selected when it is still there. Cheap when nothing changed: the frame calls it on every
    /// tick while the screen is shown.
    pub fn refresh(&mut self, records: &Records) {
        if self.error_until_line_returns && records.status().is_ok_and(|s| s.outage.is_none()) {
            self.error = None;
            self.error_until_line_returns = false;
        }
        if let Err(e) = self.list.refresh(records) {
            self.error = Some(format!("照合一覧を読めません: {}", error_ja(&e)));
        }
    }

    /// An error of the list's own reads, said on the screen.
    fn read(&mut self, result: crate::error::Result<()>) {
        if let Err(e) = result {
            self.error = Some(format!("照合一覧を読めません: {}", error_ja(&e)));
        }
    }

    /// Focus off every field so the digit keys act on the list.
    pub fn focus(&self) -> Task<Message> {
        match self.pending {
            Some(Choice::Manual) => operation::focus(Field::Insurer.id()),
            Some(_) => operation::focus(NOTE_INPUT),
            None => operation::focus(NOWHERE),
        }
    }

    /// Esc: cancels a decision being made; false when there is nothing to cancel.
    fn escape(&mut self) -> bool {
        if self.pending.take().is_some() {
            self.error = None;
            true
        } else {
            false
        }
    }

    /// The list as the screen holds it.
    pub fn list(&self) -> &ReconcileList {
        &self.list
    }

    /// The frame's keys on this screen: ↑↓ choose a record, 1–4 decide, F6 runs the pass, F8
    /// writes the clerk's CSV.
    pub fn on_key(&self, key: Shortcut) -> Option<Message> {
        Some(match key {
            Shortcut::Up => Message::Move(-1),
            Shortcut::Down => Message::Move(1),
            Shortcut::Primary => Message::RunPass,
            Shortcut::Save => Message::WriteCsv,
            Shortcut::Digit(d) => Message::Choose(Choice::from_digit(d)?),
            Shortcut::Escape => Message::Escape,
            // Not while a note is typed: there Ctrl+A selects the text.
            Shortcut::Ctrl('a') if self.pending.is_none() => Message::ToggleSettled,
            _ => return None,
        })
    }

    pub fn update(&mut self, records: &mut Records, message: Message) -> Action<Message> {
        match message {
            Message::Move(d) | Message::Scroll(d) => {
                let moved = self.list.move_by(records, i64::from(d));
                self.read(moved);
                self.pending = None;
                self.follow_top = false;
                return Action::Run(self.focus());
            }
            Message::Select(i) => {
                if i < self.list.len() {
                    let selected = self.list.select(records, i);
                    self.read(selected);
                    self.pending = None;
                    self.follow_top = false;
                }
                return Action::Run(self.focus());
            }
            Message::ToggleSettled => {
                let show = !self.list.shows_settled();
                let shown = self.list.set_show_settled(records, show);
                self.read(shown);
                self.pending = None;
                self.follow_top = false;
                return Action::Run(self.focus());
            }
            Message::Choose(c) => return self.choose(c),
            Message::Escape if self.escape() => return Action::Run(self.focus()),
            Message::Escape => return Action::Back,
            Message::NoteChanged(n) => self.note = n,
            Message::FieldChanged(f, v) => self.manual.values[f as usize] = v,
            Message::Confirm => {
                if let Some(c) = self.pending {
                    return self.decide(records, c);
                }
            }
            Message::RunPass => return Action::Run(self.run_pass(records)),
            Message::Pass(PassEvent::Progress {
                done,
                total,
                visit_no,
                patient,
            }) => {
                self.running = Some(Running {
                    done,
                    total,
                    current: format!("{visit_no} {patient}"),
                });
                self.refresh(records);
                if self.follow_top {
                    let top = self.list.select(records, 0);
                    self.read(top);
                }
                return Action::RecordsChanged(Task::none());
            }
            Message::Pass(PassEvent::Done(result)) => {
                self.running = None;
                (self.notice, self.error) = match result {
                    Ok(PassCount { checked: 0, .. }) => (
                        Some("照合する記録はありませんでした（照合待ちの記録がありません）".into()),
                        None,
                    ),
                    // Nothing came back: a failure to act on, not a pass done.
                    Ok(PassCount { checked, unanswered }) if unanswered == checked => (
                        None,
                        Some(format!(
                            "照合できませんでした: {checked} 件すべてに回答がありません。資格確認端末と回線を確認してから F6 でやり直してください"
                        )),
                    ),
                    Ok(PassCount { checked, unanswered: 0 }) => {
                        (Some(format!("照合が終わりました: {checked} 件を確認しました")), None)
                    }
                    Ok(PassCount { checked, unanswered }) => (
                        None,
                        Some(format!(
                            "照合は途中までです: {checked} 件のうち {unanswered} 件は回答がありません（照合待ちのまま。F6 でやり直せます）"
                        )),
                    ),
                    Err(e) => (None, Some(e)),
                };
                self.error_until_line_returns =
                    self.error.is_some() && records.status().is_ok_and(|s| s.outage.is_some());
                self.refresh(records);
                if self.follow_top {
                    let top = self.list.select(records, 0);
                    self.read(top);
                }
                return Action::RecordsChanged(Task::none());
            }
            Message::WriteCsv => self.write_csv(records),
        }
        Action::None
    }

    fn choose(&mut self, c: Choice) -> Action<Message> {
        let Some(row) = self.list.selected_row() else {
            return Action::None;
        };
        if row.entry.state != QueueState::NeedsDecision {
            self.notice = None;
            self.error = Some(format!(
                "{} は判断待ちではありません（状態: {}）",
                row.visit_no,
                row.entry.state.ja()
            ));
            return Action::None;
        }
        self.error = None;
        // Every choice waits for Enter (a note is optional for 1): one key never settles a
        // record, Esc takes it back.
        if c == Choice::Manual {
            self.manual = Manual::from_row(row);
        }
        self.note.clear();
        self.pending = Some(c);
        Action::Run(self.focus())
    }

    fn decide(&mut self, records: &mut Records, c: Choice) -> Action<Message> {
        let Some(row) = self.list.selected_row() else {
            return Action::None;
        };
        let (visit, visit_no, name) =
            (row.visit_id, row.visit_no.clone(), row.patient.name.clone());
        let decision = match c {
            Choice::Verified => Decision::AcceptVerified,
            Choice::Declared => Decision::AcceptDeclared,
            Choice::FollowUp => Decision::FollowUp,
            Choice::Manual => Decision::Manual(Box::new(self.manual.input())),
        };
        match records.resolve(visit, decision, &self.note) {
            Ok(entry) => {
                let how = entry.decision.map(|d| d.ja()).unwrap_or("");
                self.notice = Some(format!(
                    "{}しました: {visit_no} {name}（{how}）",
                    if entry.state == QueueState::Settled {
                        "確定"
                    } else {
                        "記録"
                    }
                ));
                self.error = None;
                self.pending = None;
                self.note.clear();
                self.refresh(records);
                // The next open decision, so the clerk can work down the list (a settled record
                // leaves it: the next one takes its place).
                let next = self.list.select_first_open(records, |r| {
                    r.entry.state == QueueState::NeedsDecision && r.entry.decision.is_none()
                });
                self.read(next.map(|_| ()));
                Action::RecordsChanged(self.focus())
            }
            Err(e) => {
                self.notice = None;
                self.error = Some(error_ja(&e));
                Action::None
            }
        }
    }

    fn run_pass(&mut self, records: &Records) -> Task<Message> {
        if self.running.is_some() {
            return Task::none();
        }
        self.notice = None;
        let (tx, rx) = iced::futures::channel::mpsc::unbounded();
        let done = tx.clone();
        let started = records.start_pass(
            move |p| {
                let _ = tx.unbounded_send(PassEvent::Progress {
                    done: p.done,
                    total: p.total,
                    visit_no: p.visit_no.clone(),
                    patient: p.patient_name.clone(),
                });
            },
            move |result| {
                let count = |r: PassReport| PassCount {
                    checked: r.checked,
                    unanswered: r
                        .results
                        .iter()
                        .filter(|x| x.status == ReconcileStatus::NoAnswer)
                        .count(),
                };
                let _ = done
                    .unbounded_send(PassEvent::Done(result.map(count).map_err(|e| error_ja(&e))));
            },
        );
        if let Err(e) = started {
            self.error_until_line_returns = records.status().is_ok_and(|s| s.outage.is_some());
            self.error = Some(error_ja(&e));
            return Task::none();
        }
        self.error = None;
        self.follow_top = true;
        self.pending = None;
        self.running = Some(Running {
            done: 0,
            total: 0,
            current: String::new(),
        });
        Task::run(rx, Message::Pass)
    }

    fn write_csv(&mut self, records: &Records) {
        let file = format!("reconcile-{}.csv", records.today().format("%Y%m%d"));
        let written = super::beside_database(records, &file).and_then(|path| {
            records
                .reconcile_report_csv(&path)
                .map_err(|e| error_ja(&e))
        });
        match written {
            Ok(s) => {
                self.error = None;
                self.notice = Some(format!(
                    "請求担当用の一覧を保存しました: {}（{} 件, 未確定 {} 件）",
                    s.path, s.visits, s.unsettled
                ));
            }
            Err(e) => {
                self.notice = None;
                self.error = Some(e);
            }
        }
    }

    pub fn view<'a>(&'a self, records: &'a Records) -> Element<'a, Message> {
        let counts = self.list.counts();
        let mut head = row![
            text("照合").size(theme::TITLE),
            text(format!(
                "要判断 {} 件 / 照合待ち {} 件 / 確定 {} 件",
                counts.to_decide, counts.waiting, counts.settled
            ))
            .size(theme::BODY),
            space::horizontal(),
        ]
        .spacing(16)
        .align_y(iced::Center);
        head = match &self.running {
            Some(r) if r.total > 0 => head.push(
                text(format!("照合中 {} / {} 件: {}", r.done, r.total, r.current))
                    .size(theme::BODY)
                    .color(theme::AMBER),
            ),
            Some(_) => head.push(
                text("照合を開始しています…")
                    .size(theme::BODY)
                    .color(theme::AMBER),
            ),
            None => head.push(
                button(text("F6 照合を実行").size(theme::BODY))
                    .padding([6, 12])
                    .on_press(Message::RunPass),
            ),
        };
        head = head.push(
            button(text("F8 請求担当用CSVを保存").size(theme::BODY))
                .padding([6, 12])
                .style(theme::tab(false))
                .on_press(Message::WriteCsv),
        );

        let mut top = column![head].spacing(6);
        if let Some(n) = &self.notice {
            top = top.push(widget::notice_text(n.clone(), 6));
        }
        if let Some(e) = &self.error {
            top = top.push(widget::error(e, 6));
        }

        let detail: Element<'a, Message> = match self.list.selected_row() {
            Some(r) => self.detail_view(r, records),
            None => text("照合する記録はありません（障害中に受け付けた記録が、回線の復旧後にここに並びます）").size(theme::BODY).color(theme::MUTED).into(),
        };
        let body = row![
            container(self.list_view())
                .width(Length::FillPortion(11))
                .height(Length::Fill),
            rule::vertical(1),
            container(detail)
                .width(Length::FillPortion(10))
                .height(Length::Fill),
        ]
        .spacing(10)
        .height(Length::Fill);
        column![top, body].spacing(8).into()
    }

    fn list_view(&self) -> Element<'_, Message> {
        let header = row![
            text("結果")
                .size(theme::BODY)
                .width(STATUS_W)
                .color(theme::MUTED),
            text("受付番号")
                .size(theme::BODY)
                .width(NO_W)
                .color(theme::MUTED),
            text("氏名")
                .size(theme::BODY)
                .width(NAME_W)
                .color(theme::MUTED),
            text("相違・理由")
                .size(theme::BODY)
                .width(Length::Fill)
                .color(theme::MUTED),
        ]
        .spacing(6)
        .padding([0, 8]);
        let mut col: Column<'_, Message> = column![].spacing(2);
        let mut last = None;
        for (i, r) in self.list.window() {
            let g = group(r);
            if last != Some(g) {
                let title = match g {
                    0 => "要判断（判断してください）",
                    1 => "照合待ち（次の照合で確認します）",
                    _ => "確定（新しい順）",
                };
                col = col.push(text(title).size(theme::BODY).color(if g == 0 {
                    theme::RED
                } else {
                    theme::MUTED
                }));
                last = Some(g);
            }
            let what = if r.entry.differences.is_empty() {
                r.entry.reason.clone()
            } else {
                r.differences_ja()
            };
            let status = if r.entry.decision == Some(QueueDecision::FollowUp) {
                format!("{}・要確認", r.status_ja())
            } else {
                r.status_ja()
            };
            let line = row![
                cell(status, Length::Fixed(STATUS_W)),
                cell(r.visit_no.clone(), Length::Fixed(NO_W)),
                cell(r.patient.name.clone(), Length::Fixed(NAME_W)),
                cell(what, Length::Fill),
            ]
            .spacing(6);
            let b = button(line)
                .padding([3, 8])
                .width(Length::Fill)
                .style(theme::row_button)
                .on_press(Message::Select(i));
            col = col.push(if i == self.list.selected() {
                container(b).style(theme::selected_row).padding(1)
            } else {
                container(b).padding(1)
            });
        }
        let counts = self.list.counts();
        let shown_end = self.list.top() + self.list.window_len();
        if !self.list.shows_settled() && counts.settled > 0 && shown_end >= self.list.len() {
            col = col.push(
                text(format!(
                    "確定 {} 件は表示していません（Ctrl+A で表示）",
                    counts.settled
                ))
                .size(theme::BODY)
                .color(theme::MUTED),
            );
        }
        // Only the rows in sight are laid out; ↑↓ and the wheel move the window.
        let position = if self.list.is_empty() {
            String::new()
        } else {
            format!("{} / {} 件目", self.list.selected() + 1, self.list.len())
        };
        let toggle = if self.list.shows_settled() {
            "Ctrl+A 確定を隠す"
        } else {
            "Ctrl+A 確定も表示"
        };
        let footer = row![
            text(position).size(theme::BODY).color(theme::MUTED),
            space::horizontal(),
            button(text(toggle).size(theme::BODY))
                .padding([2, 10])
                .style(theme::tab(self.list.shows_settled()))
                .on_press(Message::ToggleSettled),
        ]
        .align_y(iced::Center);
        let rows = mouse_area(container(col).height(Length::Fill).width(Length::Fill)).on_scroll(
            |delta| {
                let y = match delta {
                    iced::mouse::ScrollDelta::Lines { y, .. } => y * 3.0,
                    iced::mouse::ScrollDelta::Pixels { y, .. } => y / 10.0,
                };
                Message::Scroll(-(y.round() as i32))
            },
        );
        column![header, rows, footer].spacing(2).into()
    }

    fn detail_view<'a>(&'a self, r: &'a QueueRow, records: &Records) -> Element<'a, Message> {
        let p = &r.patient;
        let mut col: Column<'a, Message> = column![
            text(format!("{}  {}（{}）", r.visit_no, p.name, p.kana)).size(20),
            text(format!(
                "{} {}  受診日 {}  {}",
                format_wareki(p.birth_date),
                p.sex.ja(),
                format_wareki(r.visit_date),
                r.patient_id
            ))
            .size(theme::BODY),
            text(format!(
                "状態: {}  照合結果: {}",
                r.entry.state.ja(),
                r.status_ja()
            ))
            .size(theme::BODY),
            text(format!("申告: {}", r.declared.summary_ja())).size(theme::BODY),
        ]
        .spacing(4);
        if let Some(v) = &r.entry.verified {
            col = col.push(
                text(format!("確認済み: {}", v.summary_ja()))
                    .size(theme::BODY)
                    .color(theme::GREEN),
            );
        }
        for d in &r.entry.differences {
            col = col.push(
                text(format!("{}: {} → {}", d.label, d.declared, d.verified))
                    .size(18)
                    .color(theme::ERROR_TEXT),
            );
        }
        if !r.entry.reason.is_empty() {
            col = col.push(text(format!("理由: {}", r.entry.reason)).size(theme::BODY));
        }
        if let Some(l) = &r.lookup {
            col = col.push(
                container(
                    column![
                        text("手作業で照会してください（緊急時医療情報・資格確認機能）")
                            .size(theme::BODY),
                        text(l.clone()).size(18)
                    ]
                    .spacing(2),
                )
                .padding(6)
                .width(Length::Fill)
                .style(theme::warning_box),
            );
        }
        if let Some(d) = r.entry.decision {
            let mut s = format!(
                "判断: {}（{} {}）",
                d.ja(),
                r.entry.decided_by.clone().unwrap_or_default(),
                r.entry
                    .decided_at
                    .as_deref()
                    .map(short_time)
                    .unwrap_or_default()
            );
            if !r.entry.note.is_empty() {
                s = format!("{s}  メモ: {}", r.entry.note);
            }
            col = col.push(text(s).size(theme::BODY));
        }
        col = col.push(
            text(format!(
                "請求に使う番号: {}（{}）",
                r.claim.summary_ja(),
                r.claim_basis_ja
            ))
            .size(theme::BODY),
        );
        col = col.push(rule::horizontal(1));
        if r.entry.state == QueueState::NeedsDecision {
            col = col.push(self.decision_view(r, records));
        } else if r.entry.state == QueueState::Settled {
            col = col.push(
                text("確定済みです。↑↓ で他の記録を選んでください")
                    .size(theme::BODY)
                    .color(theme::MUTED),
            );
        } else {
            col = col.push(
                text("まだ照合していません。F6 で照合を実行してください")
                    .size(theme::BODY)
                    .color(theme::MUTED),
            );
        }
        col.into()
    }

    fn decision_view<'a>(&'a self, r: &'a QueueRow, records: &Records) -> Element<'a, Message> {
        let mut buttons = row![].spacing(6);
        for c in [
            Choice::Verified,
            Choice::Declared,
            Choice::FollowUp,
            Choice::Manual,
        ] {
            let enabled = c != Choice::Verified || r.entry.verified.is_some();
            let b = button(text(c.label()).size(theme::BODY))
                .padding([4, 8])
                .style(theme::tab(self.pending == Some(c)));
            buttons = buttons.push(if enabled {
                b.on_press(Message::Choose(c))
            } else {
                b
            });
        }
        let mut col = column![
            text("判断: 数字キー 1–4（↑↓ で記録を選択、Enter 確定、Esc 取消）")
                .size(theme::BODY)
                .color(theme::MUTED),
            buttons.wrap()
        ]
        .spacing(6);
        let Some(pending) = self.pending else {
            return col.into();
        };
        if pending == Choice::Manual {
            let mut fields = row![].spacing(6);
            for f in Field::ALL {
                fields = fields.push(
                    column![
                        text(f.label()).size(theme::BODY),
                        text_input("", self.manual.get(f))
                            .id(f.id())
                            .on_input(move |v| Message::FieldChanged(f, v))
                            .on_submit(Message::Confirm)
                            .size(theme::BODY)
                            .padding(4)
                            .width(f.width())
                            .style(theme::input(false)),
                    ]
                    .spacing(2),
                );
            }
            col = col.push(fields);
            // Live check with the same rules as the 申立書, before anything is written.
            let birth = r.patient.birth_date;
            let input = self.manual.input();
            let line = if input.insurer_number.trim().is_empty() && input.number.trim().is_empty() {
                (
                    "照会結果の保険者番号と番号を入力してください".to_string(),
                    theme::AMBER,
                )
            } else {
                match validate_insurance(&input, birth, records.today()) {
                    Ok((ins, warnings)) => {
                        let mut s = format!("入力に誤りはありません: {}", ins.summary_ja());
                        for w in warnings {
                            s = format!("{s}（注意: {}）", w.message_ja);
                        }
                        (s, theme::GREEN)
                    }
                    Err(errors) => (
                        errors
                            .iter()
                            .map(|e| format!("× {}: {}", e.label, e.message_ja))
                            .collect::<Vec<_>>()
                            .join(" / "),
                        theme::ERROR_TEXT,
                    ),
                }
            };
            col = col.push(text(line.0).size(theme::BODY).color(line.1));
        }
        let placeholder = match pending {
            Choice::Declared => "申告のまま確定する理由（必須）例: 本人確認済み、保険証を確認",
            Choice::FollowUp => "確認すること（必須）例: 本人に電話して保険証を確認",
            Choice::Verified => {
                "確認済みの資格で確定します。メモ（任意）を入力して Enter、Esc でやめる"
            }
            _ => "メモ（任意）例: 緊急時資格確認で照会",
        };
        col = col.push(
            text_input(placeholder, &self.note)
                .id(NOTE_INPUT)
                .on_input(Message::NoteChanged)
                .on_submit(Message::Confirm)
                .size(theme::BODY)
                .padding(6)
                .style(theme::input(self.error.is_some())),
        );
        col = col.push(
            row![
                button(text("Enter 確定").size(theme::BODY))
                    .padding([4, 12])
                    .on_press(Message::Confirm),
                text("Esc 取消").size(theme::BODY).color(theme::MUTED),
            ]
            .spacing(12)
            .align_y(iced::Center),
        );
        col.into()
    }
}

const STATUS_W: f32 = 130.0;
const NO_W: f32 = 110.0;
const NAME_W: f32 = 110.0;
