//! The runbook checklist (対応手順) on the 障害対応 screen: the steps in the order that fixes
//! the line fastest, line re-authentication first and emphasised (it is the most common cure,
//! and staff tend to restart machines for an hour before trying it), each tick time-stamped
//! with who did it, the outage's notes, and the incident report written beside the database.
//!
//! Keys (the frame routes them here while F4 is shown): ↑↓ choose a step, Enter in the result
//! field ticks it (only Enter: a stray Space does not), F6 opens the consent page, F8 writes
//! the incident report.

use iced::widget::{button, column, container, operation, row, space, text, text_input, Column};
use iced::{Element, Length, Task};

use super::widget::{error_ja, short_time};
use super::{platform, theme, widget};
use crate::service::{Records, RunbookItem};
use crate::store::outages::Note;

pub const RESULT_INPUT: &str = "runbook-result";
/// The step that gets the emphasis and the browser button.
pub const LINE_REAUTH: &str = "line_reauth";

#[derive(Debug, Clone)]
pub enum Message {
    Select(usize),
    Move(i32),
    ResultChanged(String),
    /// Tick the selected step with the typed result.
    Tick,
    /// Open the consent page of the line re-authentication step in the browser.
    OpenConsentPage,
    /// Write the incident report beside the database.
    WriteReport,
}

#[derive(Default)]
pub struct Checklist {
    items: Vec<RunbookItem>,
    /// The latest outage's notes (newest last).
    notes: Vec<Note>,
    selected: usize,
    result: String,
    notice: Option<String>,
    error: Option<String>,
}

impl Checklist {
    /// Re-reads the steps and their ticks (a tick from the command line shows up too).
    pub fn refresh(&mut self, records: &Records) {
        match records.runbook() {
            Ok(items) => self.items = items,
            Err(e) => self.error = Some(format!("手順を読めません: {}", error_ja(&e))),
        }
        self.notes = records
            .outage_log()
            .ok()
            .and_then(|log| log.into_iter().last())
            .map(|o| o.notes)
            .unwrap_or_default();
        self.selected = self.selected.min(self.items.len().saturating_sub(1));
    }

    pub fn focus(&self) -> Task<Message> {
        operation::focus(RESULT_INPUT)
    }

    pub fn update(&mut self, records: &mut Records, message: Message) -> Task<Message> {
        match message {
            Message::Select(i) => {
                if i < self.items.len() {
                    self.selected = i;
                }
                return self.focus();
            }
            Message::Move(d) => {
                let n = self.items.len() as i32;
                if n > 0 {
                    self.selected = (self.selected as i32 + d).clamp(0, n - 1) as usize;
                }
            }
            // A result never starts with a blank; and a stray Space must not tick a step (it
            // used to): only Enter does.
            Message::ResultChanged(r) if self.result.is_empty() && r.trim().is_empty() => {}
            Message::ResultChanged(r) => self.result = r,
            Message::Tick => return self.tick(records),
            Message::OpenConsentPage => self.open_consent_page(),
            Message::WriteReport => self.write_report(records),
        }
        Task::none()
    }

    fn tick(&mut self, records: &mut Records) -> Task<Message> {
        let Some(item) = self.items.get(self.selected) else {
            return Task::none();
        };
        let (id, title) = (item.step.id.clone(), item.step.title.clone());
        match records.runbook_tick(&id, &self.result) {
            Ok(t) => {
                self.notice = Some(format!("記録しました: {}（{} {}）", title, hm(&t.at), t.by));
                self.error = None;
                self.result.clear();
                self.refresh(records);
                // On to the next step not yet done, as staff work down the list.
                if let Some(next) = self
                    .items
                    .iter()
                    .enumerate()
                    .skip(self.selected + 1)
                    .find(|(_, i)| i.ticked.is_none())
                    .map(|(n, _)| n)
                {
                    self.selected = next;
                }
            }
            Err(e) => {
                self.notice = None;
                self.error = Some(error_ja(&e));
            }
        }
        self.focus()
    }

    fn open_consent_page(&mut self) {
        let url = self
            .items
            .iter()
            .find(|i| i.step.id == LINE_REAUTH)
            .map(|i| i.step.url.trim().to_string())
            .unwrap_or_default();
        if url.is_empty() {
            self.notice = None;
            self.error = Some("設定 [runbook] consent_page_url が未設定です".into());
            return;
        }
        match platform::open(&url) {
            Ok(()) => {
                self.error = None;
                self.notice = Some(format!("ブラウザで同意ページを開きました: {url}"));
            }
            // The OS's own message is in English: name the program instead.
            Err(_) => {
                let program = platform::OPENER;
                self.notice = None;
                self.error = Some(format!("ブラウザを起動できません（{program} を実行できません）。手で開いてください: {url}"));
            }
        }
    }

    fn write_report(&mut self, records: &Records) {
        let written = (|| {
            let id = records
                .outage_log()
                .map_err(|e| error_ja(&e))?
                .last()
                .map(|o| o.outage.id)
                .ok_or_else(|| "障害の記録がまだありません".to_string())?;
            let markdown = records
                .incident_report(Some(id))
                .map_err(|e| error_ja(&e))?;
            let path = super::beside_database(records, &format!("incident-{id}.md"))?;
            records
                .write_output(&path, "F8", markdown.as_bytes())
                .map_err(|e| error_ja(&e))?;
            Ok::<_, String>(path)
        })();
        match written {
            Ok(path) => {
                self.error = None;
                self.notice = Some(format!("障害報告書を保存しました: {}", path.display()));
            }
            Err(e) => {
                self.notice = None;
                self.error = Some(e);
            }
        }
    }

    pub fn view(&self) -> Element<'_, Message> {
        let mut col: Column<'_, Message> = column![row![
            text("対応手順チェックリスト").size(theme::TITLE),
            space::horizontal(),
            text("↑↓ 選択  Enter 記録")
                .size(theme::BODY)
                .color(theme::MUTED),
            // At the top, where a long step list and its notes cannot push it off the screen.
            button(text("F8 報告書を保存").size(theme::BODY))
                .padding([4, 10])
                .style(theme::tab(false))
                .on_press(Message::WriteReport),
        ]
        .spacing(12)
        .align_y(iced::Center)]
        .spacing(4);
        for (i, item) in self.items.iter().enumerate() {
            col = col.push(if item.step.id == LINE_REAUTH {
                self.line_reauth_view(i, item)
            } else {
                self.step_view(i, item)
            });
        }
        if let Some(item) = self.items.get(self.selected) {
            if item.step.id != LINE_REAUTH
                && [&item.step.detail, &item.step.phone, &item.step.url]
                    .iter()
                    .any(|s| !s.is_empty())
            {
                let mut d = item.step.detail.clone();
                if !item.step.phone.is_empty() {
                    d = format!("{d}  電話 {}", item.step.phone);
                }
                // A clinic's own step may name a page (only line re-auth gets the F6 button).
                if !item.step.url.is_empty() {
                    d = format!("{d}  {}", item.step.url);
                }
                col = col.push(text(d).size(theme::BODY));
            }
            col = col.push(
                row![
                    text(format!("{}. 結果:", self.selected + 1)).size(theme::BODY),
                    text_input("結果（任意）例: 「希望する」で復旧", &self.result)
                        .id(RESULT_INPUT)
                        .on_input(Message::ResultChanged)
                        .on_submit(Message::Tick)
                        .size(theme::BODY)
                        .padding(6)
                        .style(theme::input(self.error.is_some())),
                    button(text("Enter 記録").size(theme::BODY))
                        .padding([6, 12])
                        .on_press(Message::Tick),
                ]
                .spacing(8)
                .align_y(iced::Center),
            );
        }
        if let Some(n) = &self.notice {
            col = col.push(widget::notice_text(n.clone(), 6));
        }
        if let Some(e) = &self.error {
            col = col.push(widget::error(e, 6));
        }
        if !self.notes.is_empty() {
            col = col.push(text("メモ").size(theme::BODY).color(theme::MUTED));
            // The latest few: the full log is in the incident report.
            for n in self.notes.iter().rev().take(3).rev() {
                col = col.push(one_line(format!("{} {}: {}", hm(&n.at), n.by, n.text)));
            }
        }
        container(col)
            .padding(10)
            .width(Length::Fill)
            .height(Length::Fill)
            .style(theme::panel)
            .into()
    }

    /// Line re-authentication: its own red-bordered box with the detail, the page and a button.
    fn line_reauth_view<'a>(&'a self, i: usize, item: &'a RunbookItem) -> Element<'a, Message> {
        let selected = i == self.selected;
        let url: Element<'a, Message> = if item.step.url.trim().is_empty() {
            text("同意ページ: 設定 [runbook] consent_page_url が未設定です")
                .size(theme::BODY)
                .color(theme::ERROR_TEXT)
                .into()
        } else {
            one_line(format!("同意ページ: {}", item.step.url))
        };
        let mut head = row![
            text(format!(
                "{}{}. {}",
                marker(selected),
                i + 1,
                item.step.title
            ))
            .size(20)
            .color(theme::DARK_RED),
            space::horizontal()
        ]
        .align_y(iced::Center);
        if item.ticked.is_none() {
            head = head.push(tick_text(item));
        }
        let mut body = column![head].spacing(4);
        // Ticked: on its own line, so the result is read in full.
        if let Some(label) = tick_label(item) {
            body = body.push(text(label).size(theme::BODY).color(theme::GREEN));
        }
        let body = body.extend([
            text(item.step.detail.clone()).size(theme::BODY).into(),
            row![
                url,
                space::horizontal(),
                button(text("F6 同意ページを開く").size(theme::BODY))
                    .padding([4, 12])
                    .on_press(Message::OpenConsentPage)
            ]
            .spacing(8)
            .align_y(iced::Center)
            .into(),
        ]);
        let b = button(body)
            .padding(8)
            .width(Length::Fill)
            .style(theme::urgent_row(selected))
            .on_press(Message::Select(i));
        container(b).padding(1).into()
    }

    fn step_view<'a>(&'a self, i: usize, item: &'a RunbookItem) -> Element<'a, Message> {
        let selected = i == self.selected;
        let mut title = format!("{}{}. {}", marker(selected), i + 1, item.step.title);
        if !item.step.phone.is_empty() {
            title = format!("{title}（電話 {}）", item.step.phone);
        }
        let line = row![
            container(one_line(title))
                .width(Length::FillPortion(3))
                .clip(true),
            tick_text(item)
        ]
        .spacing(8)
        .align_y(iced::Center);
        let b = button(line)
            .padding([4, 8])
            .width(Length::Fill)
            .style(theme::row_button)
            .on_press(Message::Select(i));
        if selected {
            container(b).style(theme::selected_row).padding(1).into()
        } else {
            container(b).padding(1).into()
        }
    }
}

fn marker(selected: bool) -> &'static str {
    if selected {
        "▶ "
    } else {
        ""
    }
}

/// 「■ 済 09:41 佐藤「「希望する」で復旧」」, or None when not ticked.
fn tick_label(item: &RunbookItem) -> Option<String> {
    item.ticked.as_ref().map(|t| {
        let s = format!("■ 済 {} {}", hm(&t.at), t.by);
        if t.result.is_empty() {
            s
        } else {
            format!("{s}「{}」", t.result)
        }
    })
}

/// The tick at the right end of a step's line, or 「□ 未」.
fn tick_text<'a>(item: &RunbookItem) -> Element<'a, Message> {
    match tick_label(item) {
        Some(s) => container(
            text(s)
                .size(theme::BODY)
                .color(theme::GREEN)
                .wrapping(text::Wrapping::None),
        )
        .width(Length::FillPortion(2))
        .align_x(iced::alignment::Horizontal::Right)
        .clip(true)
        .into(),
        None => text("□ 未").size(theme::BODY).color(theme::MUTED).into(),
    }
}

fn one_line<'a>(s: String) -> Element<'a, Message> {
    text(s)
        .size(theme::BODY)
        .wrapping(text::Wrapping::None)
        .into()
}

/// `2026-11-25T09:41:00+09:00` → `09:41` (ticks are read on the day they are made).
fn hm(s: &str) -> String {
    short_time(s)
        .split(' ')
        .nth(1)
        .map(str::to_string)
        .unwrap_or_else(|| s.to_string())
}
