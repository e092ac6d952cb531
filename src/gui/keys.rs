//! The keys the frame handles whatever widget has focus, and the screens they switch between:
//! shared by the frame (`app.rs`) and the screens, which map a [`Shortcut`] to their own
//! messages (so the screens need nothing else from the frame).

/// The screens of the switcher, in key order F1–F5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Reception,
    Prescription,
    Reconciliation,
    Outage,
    Settings,
}

impl Screen {
    pub const ALL: [Screen; 5] = [
        Screen::Reception,
        Screen::Prescription,
        Screen::Reconciliation,
        Screen::Outage,
        Screen::Settings,
    ];

    pub fn ja(self) -> &'static str {
        match self {
            Screen::Reception => "受付",
            Screen::Prescription => "処方",
            Screen::Reconciliation => "照合",
            Screen::Outage => "障害対応",
            Screen::Settings => "設定",
        }
    }

    pub(super) fn key(self) -> &'static str {
        match self {
            Screen::Reception => "F1",
            Screen::Prescription => "F2",
            Screen::Reconciliation => "F3",
            Screen::Outage => "F4",
            Screen::Settings => "F5",
        }
    }
}

/// Keys the frame handles whatever widget has focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortcut {
    Screen(Screen),
    /// F12: another member of staff takes the PC (the shared exam-room PC): their name and PIN.
    SwitchUser,
    /// F9: switch mode by hand (opens the reason field).
    ModeSwitch,
    /// F7: new patient (申立書).
    NewPatient,
    /// F6: the screen's main action (照合: run the pass; 障害対応: open the consent page).
    Primary,
    /// F8: write the screen's file (照合: the clerk's CSV; 障害対応: the incident report).
    Save,
    /// A digit key no text field took (照合: the decision keys 1–4).
    Digit(u8),
    Escape,
    /// Enter that no text field took (処方: pick the chosen visit).
    Enter,
    /// F10 or Ctrl+P: issue and print (処方).
    Print,
    /// Ctrl plus a letter (lower case), or `'\u{7f}'` for Ctrl+Delete: the screen's editing keys.
    Ctrl(char),
    Next,
    Previous,
    Up,
    Down,
}
