//! The frame: opening the records, choosing who is at the desk, the mode banner, the screen
//! switcher, global shortcuts and the periodic status refresh.

use std::path::PathBuf;
use std::time::Duration;

use iced::event::{self, Event};
use iced::keyboard::{self, key::Named, Key};
use iced::widget::{button, column, container, operation, row, space, text, text_input};
use iced::{window, Element, Length, Subscription, Task, Theme};

use super::{banner, outage, prescribe, reception, reconcile, theme, Action};
use crate::config::Config;
use crate::service::{Clock, Records};

/// What the binary hands the app: where the records are and who was named on the command line.
#[derive(Debug, Clone)]
pub struct Launch {
    pub db_path: PathBuf,
    pub config_path: Option<PathBuf>,
    /// `--staff`: pre-fills the start screen.
    pub staff: Option<String>,
    pub clock: Clock,
}

pub use super::keys::{Screen, Shortcut};

#[derive(Debug, Clone)]
pub enum Message {
    StaffChanged(String),
    StaffConfirmed,
    Switch(Screen),
    Key(Shortcut),
    Banner(banner::Message),
    Reception(reception::Message),
    Outage(outage::Message),
    Reconcile(reconcile::Message),
    Prescription(prescribe::Message),
    /// Periodic re-read of the mode and today's list (a switch by the CLI or watcher shows up).
    Tick,
}

/// How often the banner re-reads the status from the database.
pub const REFRESH: Duration = Duration::from_secs(3);

const STAFF_INPUT: &str = "staff-name";

/// The app: each state holds what it has, so there are no records without a desk or a screen
/// without records.
pub enum App {
    /// The database could not be opened: say so and what to do.
    Failed {
        detail: String,
        path: String,
        latest: Option<(String, String)>,
    },
    /// Who is at the desk?
    SignIn {
        /// Boxed, as `Main` is: the records are large, the error screen small.
        records: Box<Records>,
        name: String,
        error: Option<String>,
        /// Said in the frame once it opens, e.g. a failed daily backup.
        warning: Option<String>,
    },
    /// Boxed: the screens are large, the other states small.
    Main(Box<Main>),
}

/// The main screens and the frame around them (banner, switcher).
pub struct Main {
    records: Records,
    /// Said in the frame, e.g. a failed daily backup.
    warning: Option<String>,
    /// The day's backup, taken in the background from the start: its outcome is looked at on
    /// the tick (a failure joins the warning). Closing the window waits for it.
    daily_backup: Option<crate::service::DailyBackup>,
    screen: Screen,
    /// The one copy of the mode status: the banner and the 障害対応 screen read it from here.
    mode: banner::Mode,
    banner: banner::Banner,
    reception: reception::Reception,
    outage: outage::OutageScreen,
    reconcile: reconcile::ReconcileScreen,
    prescription: prescribe::PrescriptionScreen,
}

impl App {
    /// Opens the database named at launch (backups beside it, as the command line does) and
    /// makes the day's backup; a failure becomes the error screen, never a crash.
    pub fn boot(launch: Launch) -> (App, Task<Message>) {
        let path = launch.db_path.display().to_string();
        let config = match &launch.config_path {
            Some(p) => Config::load(p),
            None => Ok(Config::default()),
        };
        let opened = config.and_then(|config| {
            let (records, backup_failed) =
                Records::open(&launch.db_path, config, String::new(), launch.clock.clone())?;
            // A database that opens but cannot be read (corrupt pages) must fail here, too.
            records.status()?;
            Ok((records, backup_failed))
        });
        match opened {
            Ok((records, backup_failed)) => {
                // A wrong clock must not stop reception, only be said (so is a failed daily backup,
                // once it is done: it runs in the background).
                let warning = (!backup_failed.is_empty()).then(|| {
                    backup_failed
                        .iter()
                        .map(crate::error::Error::ja)
                        .collect::<Vec<_>>()
                        .join(" ／ ")
                });
                App::sign_in(records, launch.staff.as_deref(), warning)
            }
            Err(e) => {
                let config = launch
                    .config_path
                    .as_deref()
                    .and_then(|p| Config::load(p).ok());
                let latest =
                    crate::service::latest_backup(&config.unwrap_or_default(), &launch.db_path)
                        .map(|b| (b.path, b.modified));
                (
                    App::Failed {
                        detail: super::widget::error_ja(&e),
                        path,
                        latest,
                    },
                    Task::none(),
                )
            }
        }
    }

    /// The start screen for open records, the name pre-filled if known.
    pub fn start(records: Records, staff: Option<&str>) -> (App, Task<Message>) {
        App::sign_in(records, staff, None)
    }

    fn sign_in(
        records: Records,
        staff: Option<&str>,
        warning: Option<String>,
    ) -> (App, Task<Message>) {
        let name = staff.unwrap_or_default().to_string();
        (
            App::SignIn {
                records: Box::new(records),
                name,
                error: None,
                warning,
            },
            operation::focus(STAFF_INPUT),
        )
    }

    /// Straight to the main screens, with `records.actor` at the desk (tests, demos).
    pub fn ready(records: Records) -> (App, Task<Message>) {
        let (main, task) = Main::open(records, None);
        (App::Main(Box::new(main)), task)
    }

    /// The error screen (for tests of the failure path).
    pub fn failed(detail: impl Into<String>, path: impl Into<String>) -> App {
        App::Failed {
            detail: detail.into(),
            path: path.into(),
            latest: None,
        }
    }

    pub fn records(&self) -> Option<&Records> {
        match self {
            App::Failed { .. } => None,
            App::SignIn { records, .. } => Some(records.as_ref()),
            App::Main(main) => Some(&main.records),
        }
    }

    pub fn title(&self) -> String {
        match self {
            App::Main(main) => format!("オン資障害時受付 onshi-fallback — {}", main.records.actor),
            _ => "オン資障害時受付 onshi-fallback".into(),
        }
    }

    pub fn theme(&self) -> Theme {
        theme::theme()
    }

    pub fn subscription(&self) -> Subscription<Message> {
        let keys = event::listen_with(key_message);
        match self {
            App::Main(_) => {
                Subscription::batch([keys, iced::time::every(REFRESH).map(|_| Message::Tick)])
            }
            _ => keys,
        }
    }

    pub fn update(&mut self, message: Message) -> Task<Message> {
        match (&mut *self, message) {
            (App::SignIn { name, error, .. }, Message::StaffChanged(n)) => {
                *name = n;
                *error = None;
                Task::none()
            }
            (App::SignIn { name, error, .. }, Message::StaffConfirmed) => {
                let who = name.trim().to_string();
                if who.is_empty() {
                    *error = Some("受付担当者の名前を入力してください".into());
                    return Task::none();
                }
                // Take the records out of the start screen: it ends here.
                let placeholder = App::failed("", "");
                let App::SignIn {
                    mut records,
                    warning,
                    ..
                } = std::mem::replace(self, placeholder)
                else {
                    unreachable!("matched above");
                };
                records.actor = who;
                let (main, task) = Main::open(*records, warning);
                *self = App::Main(Box::new(main));
                task
            }
            (App::Main(main), Message::Tick) => {
                // The file deleted, moved or restored over under the running app: stop here
                // and show the way out, rather than acknowledge visits nobody will find.
                if let Err(e) = main.records.store.check_still_there() {
                    let db = main.records.store.path();
                    let path = db.map(|p| p.display().to_string()).unwrap_or_default();
                    let latest = db
                        .and_then(|db| crate::service::latest_backup(&main.records.config, db))
                        .map(|b| (b.path, b.modified));
                    *self = App::Failed {
                        detail: e.ja(),
                        path,
                        latest,
                    };
                    return Task::none();
                }
                main.update(Message::Tick)
            }
            (App::Main(main), message) => main.update(message),
            _ => Task::none(),
        }
    }

    pub fn view(&self) -> Element<'_, Message> {
        match self {
            App::Failed {
                detail,
                path,
                latest,
            } => failed_view(detail, path, latest.as_ref()),
            App::SignIn { name, error, .. } => start_view(name, error.as_deref()),
            App::Main(main) => main.view(),
        }
    }
}

impl Main {
    /// The main screens on 受付, the status and today's list read.
    fn open(mut records: Records, warning: Option<String>) -> (Main, Task<Message>) {
        let daily_backup = records.take_daily_backup();
        let mut main = Main {
            records,
            warning,
            daily_backup,
            screen: Screen::Reception,
            mode: banner::Mode::default(),
            banner: banner::Banner::default(),
            reception: reception::Reception::default(),
            outage: outage::OutageScreen::default(),
            reconcile: reconcile::ReconcileScreen::default(),
            prescription: prescribe::PrescriptionScreen::default(),
        };
        main.mode.refresh(&main.records);
        main.reception.refresh(&main.records);
        (main, operation::focus(reception::SEARCH_INPUT))
    }

    fn update(&mut self, message: Message) -> Task<Message> {
        match message {
            Message::Switch(screen) => self.switch(screen),
            Message::Tick => {
                self.check_daily_backup();
                self.mode.refresh(&self.records);
                match self.screen {
                    Screen::Reception => self.reception.refresh_today(&self.records),
                    Screen::Outage => self.outage.runbook.refresh(&self.records),
                    Screen::Prescription => self.prescription.refresh(&self.records),
                    // Re-read only when the records changed (a decision or pass from another
                    // PC, the command line): one lookup when nothing did.
                    Screen::Reconciliation => self.reconcile.refresh(&self.records),
                }
                Task::none()
            }
            Message::Banner(m) => {
                let action = self.banner.update(&mut self.records, &mut self.mode, m);
                let switched = matches!(action, Action::ModeChanged(_));
                let task = self.perform(action, Message::Banner);
                if switched {
                    // Switched: back to where staff were typing.
                    return Task::batch([task, self.switch(self.screen)]);
                }
                task
            }
            Message::Reception(m) => {
                let action = self.reception.update(&mut self.records, m);
                self.perform(action, Message::Reception)
            }
            Message::Reconcile(m) => {
                let action = self.reconcile.update(&mut self.records, m);
                self.perform(action, Message::Reconcile)
            }
            Message::Outage(m) => {
                let action = self.outage.update(&mut self.records, m);
                self.perform(action, Message::Outage)
            }
            Message::Prescription(m) => {
                let action = self.prescription.update(&mut self.records, m);
                self.perform(action, Message::Prescription)
            }
            Message::Key(key) => self.shortcut(key),
            Message::StaffChanged(_) | Message::StaffConfirmed => Task::none(),
        }
    }

    /// The day's backup, once it is done: a failure is said in the frame (reception carries
    /// on).
    fn check_daily_backup(&mut self) {
        if !self.daily_backup.as_ref().is_some_and(|b| b.is_finished()) {
            return;
        }
        if let Some(Err(e)) = self.daily_backup.take().map(|b| b.finish()) {
            let failed = e.ja();
            self.warning = Some(match self.warning.take() {
                Some(w) => format!("{w} ／ {failed}"),
                None => failed,
            });
        }
    }

    /// A screen's action as the app's effects.
    fn perform<M: Send + 'static>(
        &mut self,
        action: Action<M>,
        wrap: fn(M) -> Message,
    ) -> Task<Message> {
        match action {
            Action::None => Task::none(),
            Action::Run(task) => task.map(wrap),
            Action::RecordsChanged(task) => {
                self.mode.refresh(&self.records);
                task.map(wrap)
            }
            Action::ModeChanged(task) => {
                self.mode.refresh(&self.records);
                self.outage.runbook.refresh(&self.records);
                self.reception.refresh_today(&self.records);
                self.reconcile.refresh(&self.records);
                task.map(wrap)
            }
            Action::Back => self.switch(Screen::Reception),
        }
    }

    fn switch(&mut self, screen: Screen) -> Task<Message> {
        self.screen = screen;
        match screen {
            Screen::Reception => self.reception.focus().map(Message::Reception),
            Screen::Outage => {
                self.outage.runbook.refresh(&self.records);
                // During an outage the checklist is the work; ending it is a deliberate Tab away.
                if self.mode.degraded() {
                    self.outage
                        .runbook
                        .focus()
                        .map(|m| Message::Outage(outage::Message::Runbook(m)))
                } else {
                    operation::focus(outage::REASON_INPUT)
                }
            }
            Screen::Reconciliation => {
                // The one thing the line's return asks for is being done: the banner calms.
                self.mode.line_returned = false;
                self.reconcile.refresh(&self.records);
                self.reconcile.focus().map(Message::Reconcile)
            }
            Screen::Prescription => {
                self.prescription.refresh(&self.records);
                self.prescription.focus().map(Message::Prescription)
            }
        }
    }

    /// The frame's own keys first; the rest go to the screen shown, which maps them itself.
    fn shortcut(&mut self, key: Shortcut) -> Task<Message> {
        // The mode-switch field takes Esc and Enter first while it is open.
        if self.banner.switching() {
            return match key {
                Shortcut::Escape => {
                    self.banner.cancel();
                    self.switch(self.screen)
                }
                _ => Task::none(),
            };
        }
        let message = match key {
            Shortcut::Screen(s) => return self.switch(s),
            Shortcut::ModeSwitch => Some(Message::Banner(banner::Message::Open)),
            Shortcut::Next => return operation::focus_next(),
            Shortcut::Previous => return operation::focus_previous(),
            other => match self.screen {
                Screen::Reception => self.reception.on_key(other).map(Message::Reception),
                Screen::Prescription => self.prescription.on_key(other).map(Message::Prescription),
                Screen::Reconciliation => self.reconcile.on_key(other).map(Message::Reconcile),
                Screen::Outage => self.outage.on_key(other).map(Message::Outage),
            },
        };
        match message {
            Some(m) => self.update(m),
            None => Task::none(),
        }
    }

    fn view(&self) -> Element<'_, Message> {
        let records = &self.records;
        let now = records.clock.now();
        let banner = self.banner.view(&self.mode, now).map(Message::Banner);
        let tabs = Screen::ALL.iter().fold(row![].spacing(6), |r, s| {
            r.push(
                button(text(format!("{} {}", s.key(), s.ja())).size(theme::BODY))
                    .padding([6, 14])
                    .style(theme::tab(*s == self.screen))
                    .on_press(Message::Switch(*s)),
            )
        });
        let nav = row![
            tabs,
            space::horizontal(),
            text(format!("受付担当: {}", records.actor)).size(theme::BODY),
            text(format!(
                "本日 {}",
                crate::domain::wareki::format_wareki(records.today())
            ))
            .size(theme::BODY)
            .color(theme::MUTED),
        ]
        .spacing(16)
        .align_y(iced::Center);
        let body: Element<'_, Message> = match self.screen {
            Screen::Reception => self.reception.view(records).map(Message::Reception),
            Screen::Outage => self
                .outage
                .view(self.mode.status.as_ref(), now)
                .map(Message::Outage),
            Screen::Reconciliation => self.reconcile.view(records).map(Message::Reconcile),
            Screen::Prescription => self.prescription.view(records).map(Message::Prescription),
        };
        let mut frame = column![banner, container(nav).padding([6, 12])];
        if let Some(w) = &self.warning {
            frame = frame.push(
                container(
                    text(format!("注意: {w}"))
                        .size(theme::BODY)
                        .color(theme::AMBER),
                )
                .padding([0, 12]),
            );
        }
        frame
            .push(
                container(body)
                    .padding([4, 12])
                    .width(Length::Fill)
                    .height(Length::Fill),
            )
            .into()
    }
}

/// The global key map, used by the subscription and by tests alike.
pub fn key_message(event: Event, status: event::Status, _window: window::Id) -> Option<Message> {
    let Event::Keyboard(keyboard::Event::KeyPressed { key, modifiers, .. }) = event else {
        return None;
    };
    let ignored = status == event::Status::Ignored;
    let shortcut = match key.as_ref() {
        Key::Named(Named::F1) => Shortcut::Screen(Screen::Reception),
        Key::Named(Named::F2) => Shortcut::Screen(Screen::Prescription),
        Key::Named(Named::F3) => Shortcut::Screen(Screen::Reconciliation),
        Key::Named(Named::F4) => Shortcut::Screen(Screen::Outage),
        Key::Named(Named::F6) => Shortcut::Primary,
        Key::Named(Named::F7) => Shortcut::NewPatient,
        Key::Named(Named::F8) => Shortcut::Save,
        Key::Named(Named::F9) => Shortcut::ModeSwitch,
        Key::Named(Named::F10) => Shortcut::Print,
        Key::Named(Named::Enter) if ignored => Shortcut::Enter,
        Key::Named(Named::Delete) if modifiers.control() => Shortcut::Ctrl('\u{7f}'),
        Key::Character(c) if modifiers.control() && !modifiers.alt() => {
            match c.chars().next().map(|c| c.to_ascii_lowercase()) {
                Some('p') => Shortcut::Print,
                Some(c) => Shortcut::Ctrl(c),
                None => return None,
            }
        }
        // A focused text input swallows Esc (it only unfocuses): back out anyway.
        Key::Named(Named::Escape) => Shortcut::Escape,
        Key::Named(Named::Tab) if modifiers.shift() => Shortcut::Previous,
        Key::Named(Named::Tab) => Shortcut::Next,
        Key::Named(Named::ArrowUp) if ignored => Shortcut::Up,
        Key::Named(Named::ArrowDown) if ignored => Shortcut::Down,
        Key::Character(c) if ignored && !modifiers.control() && !modifiers.alt() => {
            match c.parse::<u8>() {
                Ok(d) if d <= 9 => Shortcut::Digit(d),
                _ => return None,
            }
        }
        _ => return None,
    };
    Some(Message::Key(shortcut))
}

fn start_view<'a>(name: &'a str, error: Option<&'a str>) -> Element<'a, Message> {
    let mut col = column![
        text("オンライン資格確認 障害時受付").size(30),
        text("受付担当者の名前を入力して Enter を押してください").size(theme::BODY),
        text_input("例: 佐藤", name)
            .id(STAFF_INPUT)
            .on_input(Message::StaffChanged)
            .on_submit(Message::StaffConfirmed)
            .size(20)
            .padding(10)
            .width(360)
            .style(theme::input(error.is_some())),
        button(text("開始").size(theme::BODY))
            .padding([8, 24])
            .on_press(Message::StaffConfirmed),
    ]
    .spacing(16)
    .align_x(iced::Center);
    if let Some(e) = error {
        col = col.push(
            text(format!("エラー: {e}"))
                .size(theme::BODY)
                .color(theme::ERROR_TEXT),
        );
    }
    col = col.push(
        text("入力した名前は、すべての記録と監査ログに残ります。")
            .size(theme::BODY)
            .color(theme::MUTED),
    );
    container(col).center(Length::Fill).into()
}

fn failed_view<'a>(
    detail: &str,
    path: &str,
    latest: Option<&(String, String)>,
) -> Element<'a, Message> {
    let restore = match latest {
        Some((backup, when)) => column![
            text(format!("3. ファイルが壊れている場合は、最新のバックアップを復元してください: {backup}（{when}）")).size(theme::BODY),
            text(format!("　 コマンド: onshi-fallback restore \"{backup}\"（壊れたファイルは消さずに別名で残ります）")).size(theme::BODY),
        ],
        None => column![text("3. ファイルが壊れている場合は、最新のバックアップを復元してください（バックアップが見つかりません。システム担当者に連絡してください）").size(theme::BODY)],
    }
    .spacing(4);
    let body = column![
        text("データベースを開けません").size(30),
        text(format!("ファイル: {path}")).size(theme::BODY),
        text(format!("原因: {detail}")).size(theme::BODY),
        space().height(8),
        text("対処方法").size(theme::TITLE),
        text("1. 他のパソコンやプログラムがこのファイルを使用中でないか確認し、アプリを起動し直してください。").size(theme::BODY),
        text("2. ファイルが読み取り専用になっていないか、保存先（ネットワークドライブ等）に接続できるか確認してください。").size(theme::BODY),
        restore,
        text("4. 復旧するまでは紙の申立書で受付を続け、後で入力してください。").size(theme::BODY),
        text("壊れたファイルは削除せず、そのまま保管して管理者に連絡してください。").size(theme::BODY),
    ]
    .spacing(10)
    .max_width(1100);
    container(container(body).padding(24).style(theme::error_box))
        .center(Length::Fill)
        .padding(24)
        .into()
}
