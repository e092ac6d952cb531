//! Widgets more than one screen uses.

use iced::widget::{container, text, text_input, TextInput};
use iced::{Element, Length};

use super::theme;
use crate::error::Error;

/// One table cell: one line, cut at its edge rather than running into the next column.
pub fn cell<'a, M: 'a>(s: String, width: Length) -> Element<'a, M> {
    container(text(s).size(theme::BODY).wrapping(text::Wrapping::None))
        .width(width)
        .clip(true)
        .into()
}

/// What was just done, in the green box across the column.
pub fn notice<'a, M: 'a>(content: impl Into<Element<'a, M>>, padding: u16) -> Element<'a, M> {
    container(content)
        .padding(padding)
        .width(Length::Fill)
        .style(theme::notice_box)
        .into()
}

/// A one-line notice in body text.
pub fn notice_text<'a, M: 'a>(message: String, padding: u16) -> Element<'a, M> {
    notice(text(message).size(theme::BODY), padding)
}

/// 「エラー: …」 in the red box across the column.
pub fn error<'a, M: 'a>(message: &str, padding: u16) -> Element<'a, M> {
    container(text(format!("エラー: {message}")).size(theme::BODY))
        .padding(padding)
        .width(Length::Fill)
        .style(theme::error_box)
        .into()
}

/// `2026-11-25T09:12:00+09:00` → `2026-11-25 09:12`.
pub fn short_time(s: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(s) {
        Ok(t) => t.format("%Y-%m-%d %H:%M").to_string(),
        Err(_) => s.to_string(),
    }
}

/// An error as staff should read it: Japanese only, every field named.
pub fn error_ja(e: &Error) -> String {
    e.ja()
}

/// The one-line reason a void or a correction asks for: typed, Enter confirms. The same field
/// wherever a record is changed with a reason, so it reads and behaves alike.
pub fn reason_input<'a, M: Clone + 'a>(
    placeholder: &str,
    value: &str,
    id: &'static str,
    on_input: impl Fn(String) -> M + 'a,
    on_submit: M,
    invalid: bool,
) -> TextInput<'a, M> {
    text_input(placeholder, value)
        .id(id)
        .on_input(on_input)
        .on_submit(on_submit)
        .size(theme::BODY)
        .padding(5)
        .style(theme::input(invalid))
}
