//! The frame: opening the records, signing in (and the quick switch and idle lock), the mode
//! banner, the screen switcher, global shortcuts and the periodic status refresh.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use iced::event::{self, Event};
use iced::keyboard::{self, key::Named, Key};
use iced::widget::{button, column, container, operation, row, space, text};
use iced::{window, Element, Length, Subscription, Task, Theme};

use super::sign_in::{self, SignIn};
use super::{banner, outage, prescribe, reception, reconcile, settings, theme, Action};
use crate::config::Config;
use crate::domain::access::{roles_ja, Right};
use crate::service::access::OPEN_WARNING_JA;
use crate::service::{Clock, Records, Session};

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
    /// The start screen, the quick switch and the idle lock.
    SignIn(sign_in::Message),
    /// A key or a click: the idle lock's clock starts again.
    Activity,
    /// Lock now for the person at the desk, keeping their work (what the idle timer sends).
    IdleLock,
    Switch(Screen),
    Key(Shortcut),
    Banner(banner::Message),
    Reception(reception::Message),
    Outage(outage::Message),
    Reconcile(reconcile::Message),
    Prescription(prescribe::Message),
    Settings(settings::Message),
    /// Periodic re-read of the mode and today's list (a switch by the CLI or watcher shows up).
    Tick,
}

/// How often the banner re-reads the status from the database.
pub const REFRESH: Duration = Duration::from_secs(3);

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
        form: SignIn,
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
    settings: settings::SettingsScreen,
    /// The quick switch or the idle lock, over the screens (which keep their state).
    lock: Option<SignIn>,
    /// Who was at the desk when it locked: they resume where they were.
    locked_from: String,
    /// The last key or click, for the idle lock.
    last_activity: Instant,
    /// What F10 printed from this screen (or why it could not): said under the tabs.
    printed: Option<Result<String, String>>,
    /// F10 was pressed once on this screen: the second prints (paper is never one key alone).
    print_asked: bool,
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
        let form = SignIn::new(&records, staff);
        let focus = form.focus().map(Message::SignIn);
        (
            App::SignIn {
                records: Box::new(records),
                form,
                warning,
            },
            focus,
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

    /// How many times the window has chimed for the line's return.
    pub fn chimes(&self) -> u32 {
        match self {
            App::Main(main) => main.mode.chimes,
            _ => 0,
        }
    }

    pub fn title(&self) -> String {
        match self {
            App::Main(main) if main.lock.is_none() => {
                format!("オン資障害時受付 onshi-fallback — {}", main.records.actor)
            }
            _ => "オン資障害時受付 onshi-fallback".into(),
        }
    }

    pub fn theme(&self) -> Theme {
        theme::theme()
    }

    pub fn subscription(&self) -> Subscription<Message> {
        let keys = event::listen_with(key_message);
        match self {
            App::Main(main) => {
                let mut all = vec![
                    keys,
                    event::listen_with(activity),
                    iced::time::every(REFRESH).map(|_| Message::Tick),
                ];
                // On the clinic's server, another PC's change shows as soon as it commits.
                if let Some(server) = main.records.store.server() {
                    all.push(super::live::changes(server.clone()).map(|()| Message::Tick));
                }
                Subscription::batch(all)
            }
            _ => keys,
        }
    }

    pub fn update(&mut self, message: Message) -> Task<Message> {
        match (&mut *self, message) {
            (App::SignIn { records, form, .. }, Message::SignIn(m)) => {
                match form.update(records, m) {
                    sign_in::Outcome::Stay(task) => task.map(Message::SignIn),
                    sign_in::Outcome::SignedIn { .. } => {
                        // Take the records out of the start screen: it ends here.
                        let placeholder = App::failed("", "");
                        let App::SignIn {
                            records, warning, ..
                        } = std::mem::replace(self, placeholder)
                        else {
                            unreachable!("matched above");
                        };
                        let (main, task) = Main::open(*records, warning);
                        *self = App::Main(Box::new(main));
                        task
                    }
                }
            }
            (App::SignIn { .. }, Message::Key(Shortcut::Next)) => operation::focus_next(),
            (App::SignIn { .. }, Message::Key(Shortcut::Previous)) => operation::focus_previous(),
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
        super::ime::BelowTheCaret::new(self.screen()).into()
    }

    fn screen(&self) -> Element<'_, Message> {
        match self {
            App::Failed {
                detail,
                path,
                latest,
            } => failed_view(detail, path, latest.as_ref()),
            App::SignIn { records, form, .. } => form
                .view(records.status().is_ok_and(|s| s.outage.is_some()))
                .map(Message::SignIn),
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
            settings: settings::SettingsScreen::default(),
            lock: None,
            locked_from: String::new(),
            last_activity: Instant::now(),
            printed: None,
            print_asked: false,
        };
        main.mode.refresh(&main.records);
        main.reception.refresh(&main.records);
        (main, operation::focus(reception::SEARCH_INPUT))
    }

    fn update(&mut self, message: Message) -> Task<Message> {
        if let Some(lock) = &mut self.lock {
            // Locked: the sign-in form alone takes input; the screens wait as they were.
            return match message {
                Message::SignIn(m) => match lock.update(&mut self.records, m) {
                    sign_in::Outcome::Stay(task) => task.map(Message::SignIn),
                    sign_in::Outcome::SignedIn { who } => self.unlock(&who),
                },
                Message::Tick => {
                    self.mode.refresh(&self.records);
                    Task::none()
                }
                Message::Key(Shortcut::Next) => operation::focus_next(),
                Message::Key(Shortcut::Previous) => operation::focus_previous(),
                _ => Task::none(),
            };
        }
        // A question F10 asked holds for the very next key only.
        if self.print_asked
            && !matches!(
                message,
                Message::Key(Shortcut::Print) | Message::Tick | Message::Activity
            )
        {
            self.print_asked = false;
            self.printed = None;
            if matches!(message, Message::Key(Shortcut::Escape)) {
                return Task::none();
            }
        }
        match message {
            Message::Activity => {
                self.last_activity = Instant::now();
                Task::none()
            }
            Message::IdleLock => self.lock_for_idle(),
            Message::Switch(screen) => self.switch(screen),
            Message::Tick => {
                let minutes = self.records.config.staff.idle_lock_minutes;
                if idle_due(self.last_activity, Instant::now(), minutes) {
                    return self.lock_for_idle();
                }
                self.check_daily_backup();
                self.mode.refresh(&self.records);
                match self.screen {
                    Screen::Reception => self.reception.refresh_today(&self.records),
                    Screen::Outage => self.outage.runbook.refresh(&self.records),
                    Screen::Prescription => self.prescription.refresh(&self.records),
                    // Re-read only when the records changed (a decision or pass from another
                    // PC, the command line): one lookup when nothing did.
                    Screen::Reconciliation => self.reconcile.refresh(&self.records),
                    Screen::Settings => {}
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
            Message::Settings(m) => {
                let action = self.settings.update(&mut self.records, m);
                self.perform(action, Message::Settings)
            }
            Message::Key(key) => self.shortcut(key),
            Message::SignIn(_) => Task::none(),
        }
    }

    /// F10: the screen's paper form, archived and sent to the printer: 受付 the 申立書 of the
    /// patient just received, 障害対応 the day's list, 照合 the clerk's report.
    fn print_form(&mut self) {
        use crate::service::Form;
        let form = match self.screen {
            Screen::Reception => match self.reception.newest_today() {
                Some((visit, name)) => Some((
                    Form::Declaration(visit),
                    format!("{name} さんの被保険者資格申立書"),
                )),
                None => {
                    self.printed = Some(Err(
                        "本日の受付がまだありません（申立書は受け付けた患者の分を印刷します）"
                            .into(),
                    ));
                    return;
                }
            },
            Screen::Outage => Some((
                Form::DayList(self.records.today()),
                "本日の障害時受付一覧".into(),
            )),
            Screen::Reconciliation => Some((Form::ReconcileReport, "照合結果一覧".into())),
            Screen::Prescription | Screen::Settings => None,
        };
        let Some((form, what)) = form else {
            return;
        };
        self.print_asked = !self.print_asked;
        if self.print_asked {
            self.printed = Some(Ok(format!(
                "{what}を印刷しますか？ もう一度 F10 で印刷します（Esc でやめる）"
            )));
            return;
        }
        self.printed = Some(match self.records.print_form(form) {
            Ok(path) => Ok(format!("{what}を印刷しました（控え: {}）", path.display())),
            Err(e) => Err(format!("{what}を印刷できませんでした: {}", e.ja())),
        });
    }

    /// The idle lock: only with accounts (before them there is nobody to lock out). The person
    /// is signed out at once, so the library refuses everything until the PIN is typed again.
    fn lock_for_idle(&mut self) -> Task<Message> {
        if self.records.session == Session::Open {
            return Task::none();
        }
        let who = self.records.actor.clone();
        self.records.sign_out();
        let lock = SignIn::locked(&self.records, &who);
        self.locked_from = who;
        let focus = lock.focus().map(Message::SignIn);
        self.lock = Some(lock);
        focus
    }

    /// F12: someone else takes the PC; the one at the desk may also come back with their PIN.
    fn switch_user(&mut self) -> Task<Message> {
        self.locked_from = self.records.actor.clone();
        self.records.sign_out();
        let lock = SignIn::new(&self.records, None);
        let focus = lock.focus().map(Message::SignIn);
        self.lock = Some(lock);
        focus
    }

    /// Signed in again: the same person finds their work as they left it; someone else starts
    /// on fresh screens (unsaved input was the other person's).
    fn unlock(&mut self, who: &str) -> Task<Message> {
        self.lock = None;
        self.last_activity = Instant::now();
        self.mode.refresh(&self.records);
        if who == self.locked_from {
            return self.switch(self.screen);
        }
        self.reception = reception::Reception::default();
        self.outage = outage::OutageScreen::default();
        self.reconcile = reconcile::ReconcileScreen::default();
        self.prescription = prescribe::PrescriptionScreen::default();
        self.settings = settings::SettingsScreen::default();
        self.reception.refresh(&self.records);
        self.switch(Screen::Reception)
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
        self.printed = None;
        self.print_asked = false;
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
            Screen::Settings => {
                self.settings.refresh(&self.records);
                self.settings.focus().map(Message::Settings)
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
            Shortcut::SwitchUser => return self.switch_user(),
            // F10 prints on every screen; 処方's printing is issuing, its own.
            Shortcut::Print if self.screen != Screen::Prescription => {
                self.print_form();
                return Task::none();
            }
            Shortcut::ModeSwitch => Some(Message::Banner(banner::Message::Open)),
            Shortcut::Next => return operation::focus_next(),
            Shortcut::Previous => return operation::focus_previous(),
            other => match self.screen {
                Screen::Reception => self.reception.on_key(other).map(Message::Reception),
                Screen::Prescription => self.prescription.on_key(other).map(Message::Prescription),
                Screen::Reconciliation => self.reconcile.on_key(other).map(Message::Reconcile),
                Screen::Outage => self.outage.on_key(other).map(Message::Outage),
                Screen::Settings => None,
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
            text(who_is_at_the_desk(records)).size(theme::BODY),
            text(format!(
                "本日 {}",
                crate::domain::wareki::format_wareki(records.today())
            ))
            .size(theme::BODY)
            .color(theme::MUTED),
        ]
        .spacing(16)
        .align_y(iced::Center);
        let needed = screen_right(self.screen);
        let body: Element<'_, Message> = if let Some(lock) = &self.lock {
            lock.view(self.mode.degraded()).map(Message::SignIn)
        } else if needed.is_some_and(|r| !records.may(r)) {
            refused_view(self.screen, needed.unwrap_or(Right::Outage), records)
        } else {
            match self.screen {
                Screen::Reception => self.reception.view(records).map(Message::Reception),
                Screen::Outage => self
                    .outage
                    .view(self.mode.status.as_ref(), now)
                    .map(Message::Outage),
                Screen::Reconciliation => self.reconcile.view(records).map(Message::Reconcile),
                Screen::Prescription => self.prescription.view(records).map(Message::Prescription),
                Screen::Settings => self.settings.view(records).map(Message::Settings),
            }
        };
        let mut frame = column![banner, container(nav).padding([6, 12])];
        if let Some(w) = identity_warning(records) {
            frame = frame.push(
                container(text(w).size(theme::BODY).color(theme::ERROR_TEXT)).padding([0, 12]),
            );
        }
        match &self.printed {
            Some(Ok(m)) => {
                frame =
                    frame.push(container(super::widget::notice_text(m.clone(), 6)).padding([0, 12]))
            }
            Some(Err(e)) => {
                frame = frame.push(container(super::widget::error(e, 6)).padding([0, 12]))
            }
            None => {}
        }
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
            .push(
                container(
                    text(footer(self.screen))
                        .size(theme::BODY)
                        .color(theme::MUTED)
                        .wrapping(text::Wrapping::None),
                )
                .padding([2, 12])
                .clip(true),
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
        Key::Named(Named::F5) => Shortcut::Screen(Screen::Settings),
        Key::Named(Named::F12) => Shortcut::SwitchUser,
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

/// The keys of the screen shown, one line at the foot of every screen: the same F-key does
/// the same kind of thing everywhere (F6 the screen's main action, F7 a new patient, F8 a file
/// or a copy, F10 paper, Ctrl+Delete a deletion or a void that asks for its reason), and the
/// frame's keys are always there.
pub fn footer(screen: Screen) -> String {
    let own = match screen {
        Screen::Reception => {
            "Enter 検索・受付  F7 新規患者  F10 申立書を印刷（2回）  Ctrl+E 訂正  Ctrl+Del 受付取消"
        }
        Screen::Prescription => {
            "Enter 患者を選ぶ  F10 発行・印刷  F6 PDFを開く  F8 再印刷（2回）  Ctrl+Del 行の削除・（一覧で）取消"
        }
        Screen::Reconciliation => {
            "F6 照合を実行  1–4 判断（Enter で確定）  F8 CSVを保存  F10 一覧を印刷（2回）"
        }
        Screen::Outage => "Enter 記録  F6 同意ページ  F8 報告書を保存  F10 本日の受付一覧を印刷（2回）",
        Screen::Settings => "Tab 次の欄  Enter 実行",
    };
    format!("{own}　｜　F1–F5 画面  F9 障害モード  F12 交代  Esc 戻る")
}

/// The idle lock's timer: `minutes` without a key or click (0 = never).
pub fn idle_due(last: Instant, now: Instant, minutes: u32) -> bool {
    minutes > 0 && now.duration_since(last) >= Duration::from_secs(u64::from(minutes) * 60)
}

/// Keys and clicks, whichever widget takes them, restart the idle lock's timer.
fn activity(event: Event, _status: event::Status, _window: window::Id) -> Option<Message> {
    match event {
        Event::Keyboard(keyboard::Event::KeyPressed { .. })
        | Event::Mouse(iced::mouse::Event::ButtonPressed(_)) => Some(Message::Activity),
        _ => None,
    }
}

/// The name always in view: the account and its roles, break-glass, or the name typed.
fn who_is_at_the_desk(records: &Records) -> String {
    match &records.session {
        Session::SignedIn(a) => format!("利用者: {}（{}）　F12 切替", a.name, roles_ja(&a.roles)),
        Session::BreakGlass(b) => format!("緊急利用: {}", b.name),
        Session::SignedOut => "サインインしていません".into(),
        Session::Open => format!("受付担当: {}", records.actor),
    }
}

/// What the frame says about identification for as long as it holds: no accounts yet, or
/// break-glass in use, or sessions the admin has not reviewed.
fn identity_warning(records: &Records) -> Option<String> {
    match &records.session {
        Session::Open => Some(format!("■ {OPEN_WARNING_JA}")),
        Session::BreakGlass(b) => Some(format!(
            "■ 緊急利用中（#{} {}・理由: {}）: 受付の記録だけができます。記録はすべて管理者が確認します",
            b.id, b.name, b.reason
        )),
        Session::SignedIn(_) if records.may(Right::Accounts) => {
            match records.break_glass_unreviewed() {
                Ok(n) if n > 0 => Some(format!(
                    "■ 未確認の緊急利用が {n} 件あります（F5 設定で確認してください）"
                )),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The right a screen's work needs (設定 shows the settings to all; accounts are checked there).
fn screen_right(screen: Screen) -> Option<Right> {
    match screen {
        Screen::Reception => Some(Right::ViewRecords),
        Screen::Prescription => Some(Right::Prescribe),
        Screen::Reconciliation => Some(Right::Reconcile),
        Screen::Outage => Some(Right::Outage),
        Screen::Settings => None,
    }
}

/// A screen the person at the desk has no right to: which right, whose it is.
fn refused_view<'a>(screen: Screen, right: Right, records: &Records) -> Element<'a, Message> {
    let e = records
        .require(right)
        .err()
        .map(|e| e.ja())
        .unwrap_or_default();
    container(
        column![
            text(format!("{}画面は使えません", screen.ja())).size(theme::TITLE),
            text(e).size(theme::BODY),
            text("別の人に交代するには F12 を押してください。")
                .size(theme::BODY)
                .color(theme::MUTED),
        ]
        .spacing(12),
    )
    .padding(24)
    .into()
}

fn failed_view<'a>(
    detail: &str,
    path: &str,
    latest: Option<&(String, String)>,
) -> Element<'a, Message> {
    if crate::store::pg::is_url(path) {
        return server_failed_view(detail, path, latest);
    }
    let restore = match latest {
        Some((backup, when)) => column![
            text(format!("3. ファイルが壊れている場合は、最新のバックアップを復元してください: {backup}（{}）", super::widget::short_time(when))).size(theme::BODY),
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
    ];
    error_screen(body)
}

/// A start screen that says what failed and what to do, in the error box.
fn error_screen(body: iced::widget::Column<'_, Message>) -> Element<'_, Message> {
    container(
        container(body.spacing(10).max_width(1100))
            .padding(24)
            .style(theme::error_box),
    )
    .center(Length::Fill)
    .padding(24)
    .into()
}

/// The clinic's server cannot be reached (or refused): what to do at this PC, never a hang.
fn server_failed_view<'a>(
    detail: &str,
    url: &str,
    latest: Option<&(String, String)>,
) -> Element<'a, Message> {
    let carry_on = match latest {
        Some((backup, when)) => column![
            text(format!("3. サーバーが失われた場合は、このPCの最新バックアップで続けられます: {backup}（{}）", super::widget::short_time(when))).size(theme::BODY),
            text(format!("　 起動: onshi-fallback-desktop --db \"{backup}\"（サーバーが戻ったら、管理者がこのPCで受け付けた記録をサーバーへ統合します）")).size(theme::BODY),
        ],
        None => column![text("3. このPCにはサーバーのバックアップがありません。システム担当者に連絡してください").size(theme::BODY)],
    }
    .spacing(4);
    let body = column![
        text("データベースサーバーに接続できません").size(30),
        text(format!("接続先: {url}")).size(theme::BODY),
        text(format!("原因: {detail}")).size(theme::BODY),
        space().height(8),
        text("対処方法").size(theme::TITLE),
        text("1. サーバーのパソコンの電源とネットワーク（LANケーブル・ハブ）を確認し、アプリを起動し直してください。").size(theme::BODY),
        text("2. 復旧するまでは紙の申立書で受付を続け、後で入力してください。受け付けた記録は失われていません。").size(theme::BODY),
        carry_on,
    ];
    error_screen(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_idle_lock_falls_due_after_the_set_minutes_and_never_at_zero() {
        let start = Instant::now();
        let later = |s: u64| start + Duration::from_secs(s);
        assert!(!idle_due(start, later(599), 10));
        assert!(idle_due(start, later(600), 10));
        assert!(!idle_due(start, later(100_000), 0), "0 = never");
    }
}
