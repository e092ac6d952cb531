//! 障害対応: the open outage (reason, start, services), starting and ending it by hand, and on
//! the right the runbook checklist ([`super::runbook`]).

use chrono::{DateTime, FixedOffset};
use iced::widget::{button, column, container, row, rule, text, text_input};
use iced::{Element, Length, Task};

use super::banner::{elapsed_ja, services_ja};
use super::keys::Shortcut;
use super::runbook::{self, Checklist};
use super::widget::{error_ja, short_time};
use super::{theme, widget, Action};
use crate::domain::{Detection, Service};
use crate::service::{Records, Status};

pub const REASON_INPUT: &str = "outage-reason";
/// The outage's running notes (what was tried, who was called): Enter records one, the outage
/// goes on.
pub const NOTE_INPUT: &str = "outage-note";

#[derive(Debug, Clone)]
pub enum Message {
    ReasonChanged(String),
    ToggleService(Service),
    Start,
    NoteChanged(String),
    /// Enter in the note field: record the note (the outage goes on).
    AddNote,
    /// The 復旧を記録 button: asks once, records the line's return on the second press.
    End,
    Runbook(runbook::Message),
    /// Esc: back to 受付 (a text field here only loses the focus on Esc).
    Escape,
}

pub struct OutageScreen {
    reason: String,
    services: Vec<Service>,
    note: String,
    /// The 復旧を記録 button was pressed once: the next press records the return.
    confirm_end: bool,
    notice: Option<String>,
    error: Option<String>,
    pub runbook: Checklist,
}

impl Default for OutageScreen {
    fn default() -> Self {
        OutageScreen {
            reason: String::new(),
            services: Service::ALL.to_vec(),
            note: String::new(),
            confirm_end: false,
            notice: None,
            error: None,
            runbook: Checklist::default(),
        }
    }
}

impl OutageScreen {
    /// The frame's keys on this screen: ↑↓ choose a step, F6 the consent page, F8 the report.
    pub fn on_key(&self, key: Shortcut) -> Option<Message> {
        let m = match key {
            Shortcut::Up => runbook::Message::Move(-1),
            Shortcut::Down => runbook::Message::Move(1),
            Shortcut::Primary => runbook::Message::OpenConsentPage,
            Shortcut::Save => runbook::Message::WriteReport,
            Shortcut::Escape => return Some(Message::Escape),
            _ => return None,
        };
        Some(Message::Runbook(m))
    }

    pub fn update(&mut self, records: &mut Records, message: Message) -> Action<Message> {
        match message {
            Message::Runbook(m) => {
                return self.runbook.update(records, m).map(Message::Runbook).into()
            }
            Message::Escape if self.confirm_end => {
                self.confirm_end = false;
                self.notice = None;
                return Action::None;
            }
            Message::Escape => return Action::Back,
            _ => {}
        }
        let asked_to_end = std::mem::take(&mut self.confirm_end);
        self.error = None;
        let mut changed = false;
        match message {
            Message::Runbook(_) | Message::Escape => {}
            Message::ReasonChanged(r) => self.reason = r,
            Message::NoteChanged(n) => self.note = n,
            Message::ToggleService(s) => {
                if let Some(i) = self.services.iter().position(|x| *x == s) {
                    self.services.remove(i);
                } else {
                    self.services.push(s);
                }
            }
            Message::Start => {
                match records.outage_start(&self.reason, &self.services, Detection::Staff) {
                    Ok((o, started)) => {
                        self.notice = Some(if started {
                            format!("障害モードを開始しました: {}", o.reason)
                        } else {
                            "既に障害モードです（対象サービスを追加しました）".into()
                        });
                        self.reason.clear();
                        changed = true;
                    }
                    Err(e) => self.error = Some(error_ja(&e)),
                }
            }
            Message::AddNote => match records.outage_note(&self.note) {
                Ok(()) => {
                    self.notice = Some(format!("メモを記録しました: {}", self.note.trim()));
                    self.note.clear();
                    changed = true;
                }
                Err(e) => self.error = Some(error_ja(&e)),
            },
            Message::End if !asked_to_end => {
                self.confirm_end = true;
                self.notice = Some(
                    "回線の復旧を記録しますか？ もう一度「復旧を記録」で記録します（Esc で取消）"
                        .into(),
                );
            }
            Message::End => match records.outage_end("", Detection::Staff) {
                Ok((_, released)) => {
                    self.notice = Some(format!(
                        "回線の復旧を記録しました。照合待ちになった記録 {released} 件"
                    ));
                    changed = true;
                }
                Err(e) => self.error = Some(error_ja(&e)),
            },
        }
        if changed {
            // The frame re-reads the status, this screen's checklist and today's list.
            Action::ModeChanged(Task::none())
        } else {
            Action::None
        }
    }

    /// `status` is the frame's copy of the mode status.
    pub fn view<'a>(
        &'a self,
        status: Option<&'a Status>,
        now: DateTime<FixedOffset>,
    ) -> Element<'a, Message> {
        let open = status.and_then(|s| s.outage.as_ref());
        let mut left = column![text("障害対応").size(theme::TITLE)]
            .spacing(10)
            .width(Length::FillPortion(5));
        match open {
            Some(o) => {
                let started = DateTime::parse_from_rfc3339(&o.started_at).ok();
                left = left
                    .push(text("現在: 障害モード（オンライン資格確認 停止中）").size(20).color(theme::RED))
                    .push(text(format!("開始: {}（経過 {}）", short_time(&o.started_at), started.map(|s| elapsed_ja(now - s)).unwrap_or_default())).size(theme::BODY))
                    .push(text(format!("理由: {}", o.reason)).size(theme::BODY))
                    .push(text(format!("停止中のサービス: {}", services_ja(&o.services))).size(theme::BODY))
                    .push(text(format!("検知: {}（{}）", o.detected_by.ja(), o.started_by)).size(theme::BODY))
                    .push(rule::horizontal(1))
                    .push(text("経過メモ（Shift+Tab で欄へ、Enter で記録。障害モードは続きます）").size(theme::BODY))
                    .push(
                        text_input("例: 保守業者に電話、折り返し待ち", &self.note)
                            .id(NOTE_INPUT)
                            .on_input(Message::NoteChanged)
                            .on_submit(Message::AddNote)
                            .size(theme::BODY)
                            .padding(6)
                            .style(theme::input(false)),
                    )
                    .push(rule::horizontal(1))
                    .push(text("回線が復旧したら記録してください（照合待ちの記録が照合対象になります）").size(theme::BODY))
                    .push(button(text("復旧を記録（F9 でも可）").size(theme::BODY)).padding([6, 14]).on_press(Message::End));
            }
            None => {
                left = left
                    .push(text("現在: 通常モード").size(20).color(theme::GREEN))
                    .push(text("オンライン資格確認が使えないときは、理由を入力して障害モードを開始してください（F9 でも切替できます）").size(theme::BODY))
                    .push(
                        text_input("理由 例: 資格確認端末がエラー", &self.reason)
                            .id(REASON_INPUT)
                            .on_input(Message::ReasonChanged)
                            .on_submit(Message::Start)
                            .size(theme::BODY)
                            .padding(6)
                            .style(theme::input(self.error.is_some())),
                    );
                let mut services = row![text("停止しているサービス:").size(theme::BODY)]
                    .spacing(8)
                    .align_y(iced::Center);
                for s in Service::ALL {
                    let on = self.services.contains(s);
                    services = services.push(
                        button(
                            text(format!("{} {}", if on { "■" } else { "□" }, s.ja()))
                                .size(theme::BODY),
                        )
                        .padding([4, 10])
                        .style(theme::tab(on))
                        .on_press(Message::ToggleService(*s)),
                    );
                }
                left = left.push(services).push(
                    button(text("障害モードを開始").size(theme::BODY))
                        .padding([6, 14])
                        .on_press(Message::Start),
                );
            }
        }
        if let Some(n) = &self.notice {
            left = left.push(widget::notice_text(n.clone(), 8));
        }
        if let Some(e) = &self.error {
            left = left.push(widget::error(e, 8));
        }

        let runbook = container(self.runbook.view().map(Message::Runbook))
            .width(Length::FillPortion(7))
            .height(Length::Fill);
        row![left, runbook].spacing(16).height(Length::Fill).into()
    }
}
