//! Colours, sizes and widget styles shared by the screens.

use iced::widget::{button, container, text_input};
use iced::{border, Background, Border, Color, Theme};

/// Body text size (px). Never smaller than 16 on any screen.
pub const BODY: f32 = 16.0;
pub const SMALL: f32 = 16.0;
pub const TITLE: f32 = 22.0;
pub const BANNER: f32 = 22.0;

pub const RED: Color = Color::from_rgb(0.75, 0.05, 0.05);
pub const DARK_RED: Color = Color::from_rgb(0.55, 0.0, 0.0);
pub const GREEN: Color = Color::from_rgb(0.10, 0.45, 0.20);
pub const AMBER: Color = Color::from_rgb(0.60, 0.38, 0.0);
pub const ERROR_TEXT: Color = Color::from_rgb(0.75, 0.0, 0.0);
pub const MUTED: Color = Color::from_rgb(0.35, 0.35, 0.40);
pub const FOCUS: Color = Color::from_rgb(0.0, 0.35, 0.85);
pub const SELECTED_BG: Color = Color::from_rgb(0.85, 0.91, 1.0);
pub const PANEL_BG: Color = Color::from_rgb(0.96, 0.96, 0.97);

pub fn theme() -> Theme {
    Theme::Light
}

/// The degraded-mode banner: red, white text.
pub fn banner_degraded(_: &Theme) -> container::Style {
    container::Style {
        background: Some(Background::Color(RED)),
        text_color: Some(Color::WHITE),
        ..container::Style::default()
    }
}

/// The normal-mode banner: calm green.
pub fn banner_normal(_: &Theme) -> container::Style {
    container::Style {
        background: Some(Background::Color(GREEN)),
        text_color: Some(Color::WHITE),
        ..container::Style::default()
    }
}

pub fn panel(_: &Theme) -> container::Style {
    container::Style {
        background: Some(Background::Color(PANEL_BG)),
        border: Border {
            color: Color::from_rgb(0.8, 0.8, 0.82),
            width: 1.0,
            radius: 4.0.into(),
        },
        ..container::Style::default()
    }
}

pub fn selected_row(_: &Theme) -> container::Style {
    container::Style {
        background: Some(Background::Color(SELECTED_BG)),
        border: Border {
            color: FOCUS,
            width: 2.0,
            radius: 4.0.into(),
        },
        ..container::Style::default()
    }
}

pub fn error_box(_: &Theme) -> container::Style {
    container::Style {
        background: Some(Background::Color(Color::from_rgb(1.0, 0.93, 0.93))),
        border: Border {
            color: RED,
            width: 2.0,
            radius: 4.0.into(),
        },
        text_color: Some(DARK_RED),
        ..container::Style::default()
    }
}

/// Something a person must do by hand (e.g. what to look up for a 不詳 record).
pub fn warning_box(_: &Theme) -> container::Style {
    container::Style {
        background: Some(Background::Color(Color::from_rgb(1.0, 0.97, 0.88))),
        border: Border {
            color: AMBER,
            width: 2.0,
            radius: 4.0.into(),
        },
        ..container::Style::default()
    }
}

pub fn notice_box(_: &Theme) -> container::Style {
    container::Style {
        background: Some(Background::Color(Color::from_rgb(0.92, 0.97, 0.92))),
        border: Border {
            color: GREEN,
            width: 2.0,
            radius: 4.0.into(),
        },
        ..container::Style::default()
    }
}

/// Text inputs: a thick blue border when focused, red when the field is invalid.
pub fn input(invalid: bool) -> impl Fn(&Theme, text_input::Status) -> text_input::Style {
    move |theme, status| {
        let mut style = text_input::default(theme, status);
        let focused = matches!(status, text_input::Status::Focused { .. });
        style.border = match (focused, invalid) {
            (true, _) => Border {
                color: FOCUS,
                width: 3.0,
                radius: border::radius(3.0),
            },
            (false, true) => Border {
                color: RED,
                width: 2.0,
                radius: border::radius(3.0),
            },
            (false, false) => Border {
                color: Color::from_rgb(0.6, 0.6, 0.65),
                width: 1.0,
                radius: border::radius(3.0),
            },
        };
        if invalid {
            style.background = Background::Color(Color::from_rgb(1.0, 0.95, 0.95));
        } else if focused {
            style.background = Background::Color(Color::from_rgb(1.0, 1.0, 0.90));
        }
        style
    }
}

/// Screen tabs and choice buttons: the active one filled.
pub fn tab(active: bool) -> impl Fn(&Theme, button::Status) -> button::Style {
    move |theme, status| {
        if active {
            button::primary(theme, status)
        } else {
            button::secondary(theme, status)
        }
    }
}

/// A list row that is also a button: light, with a border, darker when hovered.
pub fn row_button(_: &Theme, status: button::Status) -> button::Style {
    let bg = match status {
        button::Status::Hovered | button::Status::Pressed => Color::from_rgb(0.90, 0.93, 0.98),
        _ => Color::WHITE,
    };
    button::Style {
        background: Some(Background::Color(bg)),
        text_color: Color::BLACK,
        border: Border {
            color: Color::from_rgb(0.78, 0.78, 0.82),
            width: 1.0,
            radius: 4.0.into(),
        },
        ..button::Style::default()
    }
}

/// The step that matters most (line re-authentication): light red with a red border, a thick
/// blue one when it is the chosen step.
pub fn urgent_row(selected: bool) -> impl Fn(&Theme, button::Status) -> button::Style {
    move |_, status| {
        let bg = match status {
            button::Status::Hovered | button::Status::Pressed => Color::from_rgb(1.0, 0.90, 0.90),
            _ => Color::from_rgb(1.0, 0.95, 0.95),
        };
        let border = if selected {
            Border {
                color: FOCUS,
                width: 3.0,
                radius: 4.0.into(),
            }
        } else {
            Border {
                color: RED,
                width: 2.0,
                radius: 4.0.into(),
            }
        };
        button::Style {
            background: Some(Background::Color(bg)),
            text_color: Color::BLACK,
            border,
            ..button::Style::default()
        }
    }
}
