//! 設定 (F5): staff accounts for the admin (add, roles, PIN reset, disable), the break-glass
//! sessions to review, and the settings in force, read only (they are changed in the file, by
//! whoever sets the clinic up). Everyone else sees the settings and who may manage accounts.

use iced::widget::{button, checkbox, column, container, row, scrollable, text, text_input};
use iced::{Element, Font, Length, Task};

use super::theme;
use super::widget::{cell, error, error_ja, notice_text, short_time};
use super::Action;
use crate::domain::access::{roles_ja, Right, Role};
use crate::service::Records;
use crate::store::staff::{Account, BreakGlass};

pub const NAME_INPUT: &str = "settings-name";

#[derive(Debug, Clone)]
pub enum Message {
    Select(usize),
    EditRole(Role, bool),
    SaveRoles,
    NewPin(String),
    ResetPin,
    Disable(bool),
    Name(String),
    AddRole(Role, bool),
    Pin(String),
    Pin2(String),
    Add,
    Review(i64),
}

#[derive(Debug, Default)]
pub struct SettingsScreen {
    accounts: Vec<Account>,
    glass: Vec<BreakGlass>,
    selected: usize,
    edit_roles: Vec<Role>,
    new_pin: String,
    name: String,
    roles: Vec<Role>,
    pin: String,
    pin2: String,
    notice: Option<String>,
    error: Option<String>,
}

impl SettingsScreen {
    /// Re-reads the accounts and break-glass sessions (for the admin only).
    pub fn refresh(&mut self, records: &Records) {
        if !records.may(Right::Accounts) && records.identification_on().unwrap_or(true) {
            self.accounts.clear();
            self.glass.clear();
            return;
        }
        self.accounts = records.staff_list().unwrap_or_default();
        self.glass = records.break_glass_list().unwrap_or_default();
        self.selected = self.selected.min(self.accounts.len().saturating_sub(1));
        self.edit_roles = self
            .accounts
            .get(self.selected)
            .map(|a| a.roles.clone())
            .unwrap_or_default();
    }

    pub fn focus(&self) -> Task<Message> {
        iced::widget::operation::focus(NAME_INPUT)
    }

    pub fn update(&mut self, records: &mut Records, message: Message) -> Action<Message> {
        self.notice = None;
        self.error = None;
        let done = match message {
            Message::Select(i) => {
                self.selected = i;
                self.new_pin.clear();
                self.refresh(records);
                return Action::None;
            }
            Message::EditRole(role, on) => {
                toggle(&mut self.edit_roles, role, on);
                return Action::None;
            }
            Message::AddRole(role, on) => {
                toggle(&mut self.roles, role, on);
                return Action::None;
            }
            Message::NewPin(p) => {
                self.new_pin = p;
                return Action::None;
            }
            Message::Name(n) => {
                self.name = n;
                return Action::None;
            }
            Message::Pin(p) => {
                self.pin = p;
                return Action::None;
            }
            Message::Pin2(p) => {
                self.pin2 = p;
                return Action::None;
            }
            Message::SaveRoles => self.selected_name().map(|name| {
                records
                    .set_staff_roles(&name, &self.edit_roles)
                    .map(|a| format!("{} の役割を {} にしました", a.name, roles_ja(&a.roles)))
            }),
            Message::ResetPin => self.selected_name().map(|name| {
                let pin = std::mem::take(&mut self.new_pin);
                records
                    .reset_staff_pin(&name, &pin)
                    .map(|()| format!("{name} のPINを再設定しました（ロックも解除されます）"))
            }),
            Message::Disable(disabled) => self.selected_name().map(|name| {
                records.disable_staff(&name, disabled).map(|a| {
                    let what = if disabled {
                        "無効にしました"
                    } else {
                        "使用中に戻しました"
                    };
                    format!("{} を{what}", a.name)
                })
            }),
            Message::Add => {
                if self.pin != self.pin2 {
                    self.error = Some("PINが確認用と一致しません".into());
                    return Action::None;
                }
                let pin = std::mem::take(&mut self.pin);
                self.pin2.clear();
                Some(records.add_staff(&self.name, &self.roles, &pin).map(|a| {
                    self.name.clear();
                    self.roles.clear();
                    format!(
                        "{}（{}）のアカウントを作成しました",
                        a.name,
                        roles_ja(&a.roles)
                    )
                }))
            }
            Message::Review(id) => Some(
                records
                    .review_break_glass(id)
                    .map(|()| format!("緊急利用 #{id} を確認済みにしました")),
            ),
        };
        match done {
            Some(Ok(notice)) => self.notice = Some(notice),
            Some(Err(e)) => self.error = Some(error_ja(&e)),
            None => {}
        }
        self.refresh(records);
        Action::RecordsChanged(Task::none())
    }

    fn selected_name(&self) -> Option<String> {
        self.accounts.get(self.selected).map(|a| a.name.clone())
    }

    pub fn view<'a>(&'a self, records: &'a Records) -> Element<'a, Message> {
        let mut col = column![text("設定").size(theme::TITLE)].spacing(10);
        if let Some(n) = &self.notice {
            col = col.push(notice_text(n.clone(), 8));
        }
        if let Some(e) = &self.error {
            col = col.push(error(e, 8));
        }
        let manages = records.may(Right::Accounts) || !records.identification_on().unwrap_or(true);
        if manages {
            col = col.push(row![self.accounts_view(), self.add_view()].spacing(24));
            col = col.push(self.glass_view());
        } else {
            col = col.push(
                text("アカウントの管理は管理者だけができます。")
                    .size(theme::BODY)
                    .color(theme::MUTED),
            );
        }
        col = col.push(
            text("現在の設定（読み取り専用。変更は設定ファイル onshi-fallback.toml で）")
                .size(theme::BODY),
        );
        let settings = toml::to_string(&records.config).unwrap_or_default();
        col = col.push(
            container(text(settings).size(14).font(Font::MONOSPACE))
                .padding(8)
                .width(Length::Fill)
                .style(theme::panel),
        );
        scrollable(col).height(Length::Fill).into()
    }

    fn accounts_view(&self) -> Element<'_, Message> {
        let mut list = column![text("アカウント").size(theme::BODY)].spacing(4);
        if self.accounts.is_empty() {
            list = list.push(
                text("まだありません。右の欄で最初の管理者を作成すると、サインインが必要になります（元に戻せません）。")
                    .size(theme::BODY)
                    .color(theme::AMBER),
            );
        }
        for (i, a) in self.accounts.iter().enumerate() {
            let state = if a.in_use() { "使用中" } else { "無効" };
            let line = row![
                cell(a.name.clone(), Length::Fixed(160.0)),
                cell(roles_ja(&a.roles), Length::Fixed(200.0)),
                cell(state.into(), Length::Fixed(60.0)),
            ];
            list = list.push(
                button(line)
                    .padding([2, 6])
                    .style(theme::tab(i == self.selected))
                    .on_press(Message::Select(i)),
            );
        }
        if let Some(a) = self.accounts.get(self.selected) {
            let roles = Role::ALL.iter().fold(row![].spacing(12), |r, role| {
                let role = *role;
                r.push(
                    checkbox(self.edit_roles.contains(&role))
                        .label(role.ja())
                        .on_toggle(move |on| Message::EditRole(role, on)),
                )
            });
            list = list.push(
                column![
                    text(format!("{} の変更", a.name)).size(theme::BODY),
                    row![
                        roles,
                        button(text("役割を保存")).on_press(Message::SaveRoles)
                    ]
                    .spacing(12),
                    row![
                        text_input("新しいPIN", &self.new_pin)
                            .secure(true)
                            .on_input(Message::NewPin)
                            .on_submit(Message::ResetPin)
                            .width(200),
                        button(text("PINを再設定")).on_press(Message::ResetPin),
                        if a.in_use() {
                            button(text("無効にする")).on_press(Message::Disable(true))
                        } else {
                            button(text("使用中に戻す")).on_press(Message::Disable(false))
                        },
                    ]
                    .spacing(12),
                ]
                .spacing(6),
            );
        }
        container(list).padding(8).style(theme::panel).into()
    }

    fn add_view(&self) -> Element<'_, Message> {
        let roles = Role::ALL.iter().fold(row![].spacing(12), |r, role| {
            let role = *role;
            r.push(
                checkbox(self.roles.contains(&role))
                    .label(role.ja())
                    .on_toggle(move |on| Message::AddRole(role, on)),
            )
        });
        container(
            column![
                text("新しいアカウント").size(theme::BODY),
                text_input("氏名（医師は処方箋に印字される保険医の氏名）", &self.name)
                    .id(NAME_INPUT)
                    .on_input(Message::Name)
                    .width(360),
                roles,
                text_input("PIN（4文字以上）", &self.pin)
                    .secure(true)
                    .on_input(Message::Pin)
                    .width(360),
                text_input("PIN（確認）", &self.pin2)
                    .secure(true)
                    .on_input(Message::Pin2)
                    .on_submit(Message::Add)
                    .width(360),
                button(text("作成")).padding([6, 16]).on_press(Message::Add),
            ]
            .spacing(8),
        )
        .padding(8)
        .style(theme::panel)
        .into()
    }

    fn glass_view(&self) -> Element<'_, Message> {
        let mut list =
            column![text("緊急利用の記録（障害中にサインインせずに行った受付）").size(theme::BODY)]
                .spacing(4);
        if self.glass.is_empty() {
            list = list.push(text("ありません").size(theme::BODY).color(theme::MUTED));
        }
        for b in &self.glass {
            let line = text(format!(
                "#{}  {}  {}  理由: {}  記録 {} 件",
                b.id,
                short_time(&b.started_at),
                b.name,
                b.reason,
                b.entries
            ))
            .size(theme::BODY);
            let review: Element<'_, Message> = match (&b.reviewed_at, &b.reviewed_by) {
                (Some(at), Some(by)) => text(format!("確認済 {} {by}", short_time(at)))
                    .size(theme::BODY)
                    .color(theme::MUTED)
                    .into(),
                _ => button(text("確認済みにする"))
                    .on_press(Message::Review(b.id))
                    .into(),
            };
            list = list.push(row![line, review].spacing(16).align_y(iced::Center));
        }
        container(list)
            .padding(8)
            .width(Length::Fill)
            .style(theme::panel)
            .into()
    }
}

fn toggle(roles: &mut Vec<Role>, role: Role, on: bool) {
    roles.retain(|r| *r != role);
    if on {
        roles.push(role);
    }
}
