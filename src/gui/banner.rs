//! The mode banner, always at the top: normal, or red 「オンライン資格確認 停止中」 with the elapsed
//! time, the services affected and how many records wait for reconciliation. F9 opens a reason
//! field; Enter switches the mode; Esc cancels.

use chrono::{DateTime, FixedOffset};
use iced::widget::{column, container, operation, row, space, text, text_input};
use iced::{Element, Length, Task};

use super::{theme, Action};
use crate::domain::{Detection, Service};
use crate::service::{Records, Status};

pub const REASON_INPUT: &str = "mode-switch-reason";

#[derive(Debug, Clone)]
pub enum Message {
    Open,
    ReasonChanged(String),
    Confirm,
}

/// The mode status as last read from the database: the frame holds the one copy and hands it
/// to the banner and the screens that show it.
#[derive(Default)]
pub struct Mode {
    pub status: Option<Status>,
    /// The status could not be read (shown in the banner, not a crash).
    pub error: Option<String>,
    /// The line came back (seen by the probes, another PC or this one) since the window last
    /// showed an outage: said in the banner until staff open 照合 or a new outage begins.
    pub line_returned: bool,
    /// How many times this window has chimed for the line's return (one short system sound
    /// each time it comes back).
    pub chimes: u32,
}

impl Mode {
    pub fn refresh(&mut self, records: &Records) {
        match records.status() {
            Ok(s) => {
                let was_degraded = self.degraded();
                self.status = Some(s);
                self.error = None;
                if self.degraded() {
                    self.line_returned = false;
                } else if was_degraded {
                    self.line_returned = true;
                    self.chimes += 1;
                    super::platform::chime();
                }
            }
            Err(e) => self.error = Some(format!("状態を読めません: {e}")),
        }
    }

    pub fn degraded(&self) -> bool {
        self.status.as_ref().is_some_and(|s| s.outage.is_some())
    }
}

/// The banner's own state: the reason field, while a manual switch is being made.
#[derive(Default)]
pub struct Banner {
    switch: Option<SwitchForm>,
}

struct SwitchForm {
    reason: String,
    error: Option<String>,
}

impl Banner {
    pub fn switching(&self) -> bool {
        self.switch.is_some()
    }

    pub fn cancel(&mut self) {
        self.switch = None;
    }

    /// `mode` is the frame's: opening the field re-reads it, so the prompt matches the mode.
    pub fn update(
        &mut self,
        records: &mut Records,
        mode: &mut Mode,
        message: Message,
    ) -> Action<Message> {
        match message {
            Message::Open => {
                mode.refresh(records);
                self.switch = Some(SwitchForm {
                    reason: String::new(),
                    error: None,
                });
                Action::Run(operation::focus(REASON_INPUT))
            }
            Message::ReasonChanged(r) => {
                if let Some(f) = self.switch.as_mut() {
                    f.reason = r;
                    f.error = None;
                }
                Action::None
            }
            Message::Confirm => {
                let Some(form) = self.switch.as_mut() else {
                    return Action::None;
                };
                let result = if mode.degraded() {
                    records
                        .outage_end(&form.reason, Detection::Staff)
                        .map(|_| ())
                } else {
                    records
                        .outage_start(&form.reason, &[], Detection::Staff)
                        .map(|_| ())
                };
                match result {
                    Ok(()) => {
                        self.switch = None;
                        Action::ModeChanged(Task::none())
                    }
                    Err(e) => {
                        form.error = Some(super::widget::error_ja(&e));
                        Action::None
                    }
                }
            }
        }
    }

    pub fn view<'a>(&'a self, mode: &'a Mode, now: DateTime<FixedOffset>) -> Element<'a, Message> {
        let degraded = mode.degraded();
        let counts = mode
            .status
            .as_ref()
            .map(|s| s.counts_ja())
            .unwrap_or_default();
        let line: Element<'a, Message> = match mode.status.as_ref().and_then(|s| s.outage.as_ref())
        {
            Some(o) => {
                let started = DateTime::parse_from_rfc3339(&o.started_at).ok();
                let elapsed = started.map(|s| elapsed_ja(now - s)).unwrap_or_default();
                let since = started
                    .map(|s| s.format("%H:%M").to_string())
                    .unwrap_or_default();
                let services = o
                    .services
                    .iter()
                    .map(|s| s.ja())
                    .collect::<Vec<_>>()
                    .join("・");
                // The state and its key on the first line, the details on the next (wrapping
                // on a narrow window rather than pushing F9 off the screen).
                column![
                    row![
                        text("■ 障害モード: オンライン資格確認 停止中").size(theme::BANNER),
                        space::horizontal(),
                        text("F9 復旧を記録").size(theme::BODY),
                    ]
                    .spacing(20)
                    .align_y(iced::Center),
                    row![
                        text(format!("経過 {elapsed}（{since} から）")).size(theme::BODY),
                        text(format!("停止: {services}")).size(theme::BODY),
                        text(counts.clone()).size(theme::BODY),
                    ]
                    .spacing(20)
                    .wrap(),
                ]
                .spacing(6)
                .into()
            }
            None if mode.line_returned => row![
                text("■ 回線が復旧しました").size(theme::BANNER),
                text(format!("{counts} — F3 で照合してください")).size(theme::BANNER),
                space::horizontal(),
                text("F9 障害モードに切替").size(theme::BODY),
            ]
            .spacing(20)
            .align_y(iced::Center)
            .into(),
            None => row![
                text("通常モード（オンライン資格確認 利用可）").size(theme::BODY),
                text(counts.clone()).size(theme::BODY),
                space::horizontal(),
                text("F9 障害モードに切替").size(theme::BODY),
            ]
            .spacing(20)
            .align_y(iced::Center)
            .into(),
        };
        let mut col = column![line].spacing(6);
        if let Some(o) = mode.status.as_ref().and_then(|s| s.outage.as_ref()) {
            col = col.push(
                text(format!(
                    "理由: {}（{}・{}）",
                    o.reason,
                    o.detected_by.ja(),
                    o.started_by
                ))
                .size(theme::BODY),
            );
        }
        if let Some(e) = &mode.error {
            col = col.push(text(e.clone()).size(theme::BODY));
        }
        if let Some(form) = &self.switch {
            let prompt = if degraded {
                "復旧の記録（メモ・任意）:"
            } else {
                "障害モードに切り替える理由:"
            };
            let input = text_input(
                if degraded {
                    "例: 端末の再起動で回復"
                } else {
                    "例: 資格確認端末がエラー"
                },
                &form.reason,
            )
            .id(REASON_INPUT)
            .on_input(Message::ReasonChanged)
            .on_submit(Message::Confirm)
            .size(theme::BODY)
            .padding(6)
            .width(480)
            .style(theme::input(form.error.is_some()));
            let mut r = row![
                text(prompt).size(theme::BODY),
                input,
                text("Enter で確定 / Esc で取消").size(theme::BODY)
            ]
            .spacing(12)
            .align_y(iced::Center);
            if let Some(e) = &form.error {
                r = r.push(text(format!("エラー: {e}")).size(theme::BODY));
            }
            col = col.push(r);
        }
        let style = if degraded {
            theme::banner_degraded
        } else {
            theme::banner_normal
        };
        container(col)
            .padding([8, 14])
            .width(Length::Fill)
            .style(style)
            .into()
    }
}

/// 「1時間5分」「12分」.
pub fn elapsed_ja(d: chrono::TimeDelta) -> String {
    let minutes = d.num_minutes().max(0);
    if minutes >= 60 {
        format!("{}時間{}分", minutes / 60, minutes % 60)
    } else {
        format!("{minutes}分")
    }
}

/// The services, for other screens.
pub fn services_ja(services: &[Service]) -> String {
    services
        .iter()
        .map(|s| s.ja())
        .collect::<Vec<_>>()
        .join("・")
}
