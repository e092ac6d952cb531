//! サインイン: the start screen, the quick switch of user (F12) and the idle lock, one form.
//!
//! Once accounts exist: choose (↑↓ or click) or type the name, then the PIN, Enter. The idle
//! lock keeps the name of the person who left, so they resume with their PIN alone and find
//! what they were typing; 「別の人」 lets someone else in instead. During an outage, when nobody
//! can sign in, 緊急利用 takes a typed name and a reason (every record marked, reviewed later).
//! Before any account exists there is no PIN: the name typed is written into the records, as
//! the warning in the frame keeps saying.

use iced::widget::{button, column, container, row, space, text, text_input};
use iced::{Element, Length, Task};

use super::theme;
use super::widget::error_ja;
use crate::service::Records;

pub const NAME_INPUT: &str = "sign-in-name";
pub const PIN_INPUT: &str = "sign-in-pin";
const GLASS_NAME_INPUT: &str = "break-glass-name";
const GLASS_REASON_INPUT: &str = "break-glass-reason";

#[derive(Debug, Clone)]
pub enum Message {
    Name(String),
    Pick(String),
    Pin(String),
    Submit,
    /// The idle lock: let someone other than the person who left sign in.
    SomeoneElse,
    BreakGlass,
    GlassName(String),
    GlassReason(String),
    GlassSubmit,
    GlassCancel,
}

/// What the frame does after a message.
pub enum Outcome {
    Stay(Task<Message>),
    /// Signed in (or, before accounts, named): `who` is at the desk now.
    SignedIn {
        who: String,
    },
}

#[derive(Debug, Default)]
pub struct SignIn {
    /// Accounts in use, to choose from; empty before any account exists.
    names: Vec<String>,
    /// No accounts are set up: the name alone, no PIN.
    open: bool,
    name: String,
    pin: String,
    error: Option<String>,
    /// The idle lock: only this person resumes here.
    locked_for: Option<String>,
    /// 緊急利用: the typed name and the reason, while that form is open.
    glass: Option<(String, String)>,
}

impl SignIn {
    /// The form for `records`: the names of the accounts in use, `name` pre-filled.
    pub fn new(records: &Records, name: Option<&str>) -> SignIn {
        let open = !records.identification_on().unwrap_or(true);
        SignIn {
            names: records.sign_in_names().unwrap_or_default(),
            open,
            name: name.unwrap_or_default().to_string(),
            ..SignIn::default()
        }
    }

    /// The idle lock for `who`: their PIN resumes, with their work as they left it.
    pub fn locked(records: &Records, who: &str) -> SignIn {
        SignIn {
            locked_for: Some(who.to_string()),
            name: who.to_string(),
            ..SignIn::new(records, None)
        }
    }

    /// The field to type into first.
    pub fn focus(&self) -> Task<Message> {
        let id = if self.open || self.name.trim().is_empty() {
            NAME_INPUT
        } else {
            PIN_INPUT
        };
        iced::widget::operation::focus(id)
    }

    pub fn update(&mut self, records: &mut Records, message: Message) -> Outcome {
        match message {
            Message::Name(n) => {
                self.name = n;
                self.error = None;
            }
            Message::Pick(n) => {
                self.name = n;
                self.error = None;
                return Outcome::Stay(iced::widget::operation::focus(PIN_INPUT));
            }
            Message::Pin(p) => {
                self.pin = p;
                self.error = None;
            }
            Message::Submit => return self.submit(records),
            Message::SomeoneElse => {
                self.locked_for = None;
                self.name.clear();
                self.pin.clear();
                self.error = None;
                return Outcome::Stay(iced::widget::operation::focus(NAME_INPUT));
            }
            Message::BreakGlass => {
                self.glass = Some((self.name.clone(), String::new()));
                self.error = None;
                return Outcome::Stay(iced::widget::operation::focus(GLASS_NAME_INPUT));
            }
            Message::GlassName(n) => {
                if let Some(g) = &mut self.glass {
                    g.0 = n;
                }
            }
            Message::GlassReason(r) => {
                if let Some(g) = &mut self.glass {
                    g.1 = r;
                }
            }
            Message::GlassCancel => {
                self.glass = None;
                self.error = None;
                return Outcome::Stay(self.focus());
            }
            Message::GlassSubmit => {
                let Some((name, reason)) = self.glass.clone() else {
                    return Outcome::Stay(Task::none());
                };
                return match records.break_glass(&name, &reason) {
                    Ok(_) => Outcome::SignedIn {
                        who: records.actor.clone(),
                    },
                    Err(e) => {
                        self.error = Some(error_ja(&e));
                        Outcome::Stay(Task::none())
                    }
                };
            }
        }
        Outcome::Stay(Task::none())
    }

    fn submit(&mut self, records: &mut Records) -> Outcome {
        let name = self.name.trim().to_string();
        if name.is_empty() {
            self.error = Some("氏名を入力するか、一覧から選んでください".into());
            return Outcome::Stay(iced::widget::operation::focus(NAME_INPUT));
        }
        if self.open {
            records.actor = name.clone();
            return Outcome::SignedIn { who: name };
        }
        if self.pin.is_empty() {
            self.error = Some("PINを入力してください".into());
            return Outcome::Stay(iced::widget::operation::focus(PIN_INPUT));
        }
        let pin = std::mem::take(&mut self.pin);
        match records.sign_in(&name, &pin) {
            Ok(account) => Outcome::SignedIn { who: account.name },
            Err(e) => {
                self.error = Some(error_ja(&e));
                Outcome::Stay(iced::widget::operation::focus(PIN_INPUT))
            }
        }
    }

    /// The form; `outage_on` offers 緊急利用.
    pub fn view(&self, outage_on: bool) -> Element<'_, Message> {
        if let Some((name, reason)) = &self.glass {
            return self.glass_view(name, reason);
        }
        let title = match &self.locked_for {
            Some(who) => format!("{who} さんの画面はロックされています"),
            None if self.open => "オンライン資格確認 障害時受付".into(),
            None => "サインイン".into(),
        };
        let mut col = column![text(title).size(30)]
            .spacing(14)
            .align_x(iced::Center);
        if self.open {
            col = col
                .push(text("受付担当者の名前を入力して Enter を押してください").size(theme::BODY));
            col = col.push(
                text(format!("■ {}", crate::service::access::OPEN_WARNING_JA))
                    .size(theme::BODY)
                    .color(theme::ERROR_TEXT),
            );
        } else if self.locked_for.is_some() {
            col = col.push(
                text("PINを入力して Enter で再開します（入力中の内容はそのまま残っています）")
                    .size(theme::BODY),
            );
        } else {
            col = col.push(
                text("氏名を選ぶか入力し、PINを入力して Enter を押してください").size(theme::BODY),
            );
            if !self.names.is_empty() {
                let chosen = self.name.trim();
                let names = self.names.iter().fold(row![].spacing(8), |r, n| {
                    r.push(
                        button(text(n.as_str()).size(theme::BODY))
                            .padding([6, 12])
                            .style(theme::tab(n == chosen))
                            .on_press(Message::Pick(n.clone())),
                    )
                });
                col = col.push(names.wrap());
            }
        }
        let name_field = text_input("氏名", &self.name)
            .id(NAME_INPUT)
            .size(20)
            .padding(10)
            .width(360)
            .style(theme::input(false));
        let name_field = if self.locked_for.is_some() {
            name_field
        } else {
            name_field
                .on_input(Message::Name)
                .on_submit(Message::Submit)
        };
        col = col.push(name_field);
        if !self.open {
            col = col.push(
                text_input("PIN", &self.pin)
                    .id(PIN_INPUT)
                    .secure(true)
                    .on_input(Message::Pin)
                    .on_submit(Message::Submit)
                    .size(20)
                    .padding(10)
                    .width(360)
                    .style(theme::input(self.error.is_some())),
            );
        }
        let mut buttons = row![button(
            text(if self.open {
                "開始"
            } else {
                "サインイン"
            })
            .size(theme::BODY)
        )
        .padding([8, 24])
        .on_press(Message::Submit)]
        .spacing(12);
        if self.locked_for.is_some() {
            buttons = buttons.push(
                button(text("別の人がサインイン").size(theme::BODY))
                    .padding([8, 16])
                    .on_press(Message::SomeoneElse),
            );
        }
        if !self.open && outage_on {
            buttons = buttons.push(
                button(text("サインインできない（緊急利用）").size(theme::BODY))
                    .padding([8, 16])
                    .on_press(Message::BreakGlass),
            );
        }
        col = col.push(buttons);
        if let Some(e) = &self.error {
            col = col.push(
                text(format!("エラー: {e}"))
                    .size(theme::BODY)
                    .color(theme::ERROR_TEXT),
            );
        }
        col = col.push(
            text(if self.open {
                "入力した名前は、すべての記録と監査ログに残ります。"
            } else {
                "サインイン・失敗・ロックはすべて監査ログに残ります。PINを5回まちがえると5分間ロックされます。"
            })
            .size(theme::BODY)
            .color(theme::MUTED),
        );
        container(col).center(Length::Fill).into()
    }

    fn glass_view<'a>(&'a self, name: &'a str, reason: &'a str) -> Element<'a, Message> {
        let mut col = column![
            text("緊急利用（サインインできないとき）").size(30),
            text("障害中でだれもサインインできないときだけ使います。受付の記録だけができます。")
                .size(theme::BODY),
            text("記録にはすべて「緊急利用」と記され、管理者が後で確認します。")
                .size(theme::BODY)
                .color(theme::AMBER),
            text_input("氏名", name)
                .id(GLASS_NAME_INPUT)
                .on_input(Message::GlassName)
                .on_submit(Message::GlassSubmit)
                .size(20)
                .padding(10)
                .width(420),
            text_input("サインインできない理由（例: PINを忘れた）", reason)
                .id(GLASS_REASON_INPUT)
                .on_input(Message::GlassReason)
                .on_submit(Message::GlassSubmit)
                .size(20)
                .padding(10)
                .width(420),
            row![
                button(text("緊急利用で開始").size(theme::BODY))
                    .padding([8, 16])
                    .on_press(Message::GlassSubmit),
                button(text("戻る").size(theme::BODY))
                    .padding([8, 16])
                    .on_press(Message::GlassCancel),
            ]
            .spacing(12),
        ]
        .spacing(14)
        .align_x(iced::Center);
        if let Some(e) = &self.error {
            col = col.push(
                text(format!("エラー: {e}"))
                    .size(theme::BODY)
                    .color(theme::ERROR_TEXT),
            );
        }
        container(column![col, space::vertical()])
            .center(Length::Fill)
            .into()
    }
}
