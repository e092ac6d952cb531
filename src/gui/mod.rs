//! The desktop app (iced): the frame with the mode banner and screen switcher, and the screens
//! 受付 ([`reception`], [`new_patient`]), 処方 ([`prescribe`]), 照合 ([`reconcile`]) and 障害対応
//! ([`outage`], [`runbook`]); widgets several screens use in [`widget`], what the app asks of the
//! operating system in [`platform`]. Screens never touch SQL: they call
//! [`crate::service::Records`].
//!
//! Each screen is a struct with its own `Message`, an `update` that returns an [`Action`] for the
//! frame, an `on_key` that maps the frame's global keys ([`keys::Shortcut`]) to its own messages,
//! and a `view`. The frame ([`app::App`]) owns the records and the one copy of the mode status,
//! switches screens and turns the actions into effects.

pub mod app;
pub mod banner;
pub mod ime;
pub mod keys;
pub mod live;
pub mod new_patient;
pub mod outage;
pub mod platform;
pub mod prescribe;
pub mod reception;
pub mod reconcile;
pub mod runbook;
pub mod settings;
pub mod sign_in;
pub mod theme;
pub mod widget;

pub use app::{App, Launch, Message};

use iced::{Font, Task};

/// What a screen's `update` asks of the frame.
#[must_use]
pub enum Action<M> {
    /// Nothing beyond the screen's own state.
    None,
    /// Run this task (mostly a focus change).
    Run(Task<M>),
    /// The records changed in a way the banner counts (照合待ち): re-read the mode status, then
    /// run the task.
    RecordsChanged(Task<M>),
    /// An outage was started or ended: re-read the status and the screens that show it, then run
    /// the task.
    ModeChanged(Task<M>),
    /// Nothing left to back out of on this screen: back to 受付.
    Back,
}

impl<M> From<Task<M>> for Action<M> {
    fn from(task: Task<M>) -> Self {
        Action::Run(task)
    }
}

/// IPAexGothic (IPA Font License v1.0, see `fonts/`): bundled so Japanese never renders as boxes.
pub const FONT_BYTES: &[u8] = include_bytes!("../../fonts/ipaexg.ttf");
/// The bundled font, the app's default.
pub const FONT: Font = Font::with_name("IPAexGothic");

/// Window size the screens are designed for: the common clinic PC.
pub const DESIGN_SIZE: (f32, f32) = (1366.0, 768.0);

/// iced settings with the bundled font as default: use these in tests too (else boxes).
pub fn settings() -> iced::Settings {
    iced::Settings {
        fonts: vec![FONT_BYTES.into()],
        default_font: FONT,
        default_text_size: iced::Pixels(theme::BODY),
        ..iced::Settings::default()
    }
}

/// A file next to the database (incident reports, the clerk's CSV): the one folder staff and
/// the administrator already know and back up. An in-memory database has no such folder.
pub fn beside_database(
    records: &crate::service::Records,
    file_name: &str,
) -> Result<std::path::PathBuf, String> {
    let db = records.store.path().ok_or_else(|| {
        "データベースがファイルではないため、保存先のフォルダがありません".to_string()
    })?;
    let dir = db
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    Ok(dir.join(file_name))
}

/// Opens the window and runs until it is closed.
pub fn run(launch: Launch) -> iced::Result {
    iced::application(move || App::boot(launch.clone()), App::update, App::view)
        .title(App::title)
        .subscription(App::subscription)
        .theme(App::theme)
        .settings(settings())
        .window(window_settings())
        .run()
}

/// The smallest window every screen is laid out for (an old 1024×768 monitor less a taskbar).
pub const MIN_SIZE: (f32, f32) = (1000.0, 640.0);

/// Opens maximised, so it fits whatever screen the PC has (a 1280×720 laptop as well as the
/// 1366×768 it is designed at), resizable down to [`MIN_SIZE`].
fn window_settings() -> iced::window::Settings {
    iced::window::Settings {
        size: iced::Size::new(DESIGN_SIZE.0, DESIGN_SIZE.1),
        maximized: true,
        resizable: true,
        min_size: Some(iced::Size::new(MIN_SIZE.0, MIN_SIZE.1)),
        ..iced::window::Settings::default()
    }
}
