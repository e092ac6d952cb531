//! The Japanese input method's candidate window must open below the text being typed, not on
//! it. iced reports the caret to the input method as a rectangle one line high; winit 0.30's X11
//! backend passes on only the rectangle's top-left (its size is dropped: winit issue #3965, fixed
//! upstream after 0.30.13), so fcitx5/mozc open their window at the top of the line, over the
//! lower half of the characters. Checked with `shared/tools/ime-test.sh` on the 氏名 field.
//!
//! [`BelowTheCaret`] wraps the whole window once: after the widgets have handled an event, it
//! moves the requested caret area to the bottom of the line, on X11 only (Windows and macOS take
//! the whole rectangle and place their window below it already).

use iced::advanced::layout::{self, Layout};
use iced::advanced::widget::{self, Widget};
use iced::advanced::{overlay, renderer, Clipboard, Shell};
use iced::{mouse, Element, Event, Length, Rectangle, Size, Vector};

/// The window's content, with the caret area moved below the line for the input method.
pub struct BelowTheCaret<'a, Message, Theme, Renderer> {
    content: Element<'a, Message, Theme, Renderer>,
}

impl<'a, Message, Theme, Renderer> BelowTheCaret<'a, Message, Theme, Renderer> {
    pub fn new(content: impl Into<Element<'a, Message, Theme, Renderer>>) -> Self {
        BelowTheCaret {
            content: content.into(),
        }
    }
}

/// The caret area as X11's input method needs it: its top-left at the bottom of the line.
fn below(cursor: Rectangle) -> Rectangle {
    Rectangle {
        y: cursor.y + cursor.height,
        height: 0.0,
        ..cursor
    }
}

impl<Message, Theme, Renderer> Widget<Message, Theme, Renderer>
    for BelowTheCaret<'_, Message, Theme, Renderer>
where
    Renderer: iced::advanced::Renderer,
{
    fn tag(&self) -> widget::tree::Tag {
        self.content.as_widget().tag()
    }

    fn state(&self) -> widget::tree::State {
        self.content.as_widget().state()
    }

    fn children(&self) -> Vec<widget::Tree> {
        self.content.as_widget().children()
    }

    fn diff(&self, tree: &mut widget::Tree) {
        self.content.as_widget().diff(tree);
    }

    fn size(&self) -> Size<Length> {
        self.content.as_widget().size()
    }

    fn size_hint(&self) -> Size<Length> {
        self.content.as_widget().size_hint()
    }

    fn layout(
        &mut self,
        tree: &mut widget::Tree,
        renderer: &Renderer,
        limits: &layout::Limits,
    ) -> layout::Node {
        self.content.as_widget_mut().layout(tree, renderer, limits)
    }

    fn operate(
        &mut self,
        tree: &mut widget::Tree,
        layout: Layout<'_>,
        renderer: &Renderer,
        operation: &mut dyn widget::Operation,
    ) {
        self.content
            .as_widget_mut()
            .operate(tree, layout, renderer, operation);
    }

    fn update(
        &mut self,
        tree: &mut widget::Tree,
        event: &Event,
        layout: Layout<'_>,
        cursor: mouse::Cursor,
        renderer: &Renderer,
        clipboard: &mut dyn Clipboard,
        shell: &mut Shell<'_, Message>,
        viewport: &Rectangle,
    ) {
        self.content.as_widget_mut().update(
            tree, event, layout, cursor, renderer, clipboard, shell, viewport,
        );
        if cfg!(all(unix, not(target_os = "macos"))) {
            if let iced::advanced::input_method::InputMethod::Enabled { cursor, .. } =
                shell.input_method_mut()
            {
                *cursor = below(*cursor);
            }
        }
    }

    fn mouse_interaction(
        &self,
        tree: &widget::Tree,
        layout: Layout<'_>,
        cursor: mouse::Cursor,
        viewport: &Rectangle,
        renderer: &Renderer,
    ) -> mouse::Interaction {
        self.content
            .as_widget()
            .mouse_interaction(tree, layout, cursor, viewport, renderer)
    }

    fn draw(
        &self,
        tree: &widget::Tree,
        renderer: &mut Renderer,
        theme: &Theme,
        style: &renderer::Style,
        layout: Layout<'_>,
        cursor: mouse::Cursor,
        viewport: &Rectangle,
    ) {
        self.content
            .as_widget()
            .draw(tree, renderer, theme, style, layout, cursor, viewport);
    }

    fn overlay<'b>(
        &'b mut self,
        tree: &'b mut widget::Tree,
        layout: Layout<'b>,
        renderer: &Renderer,
        viewport: &Rectangle,
        translation: Vector,
    ) -> Option<overlay::Element<'b, Message, Theme, Renderer>> {
        self.content
            .as_widget_mut()
            .overlay(tree, layout, renderer, viewport, translation)
    }
}

impl<'a, Message, Theme, Renderer> From<BelowTheCaret<'a, Message, Theme, Renderer>>
    for Element<'a, Message, Theme, Renderer>
where
    Message: 'a,
    Theme: 'a,
    Renderer: iced::advanced::Renderer + 'a,
{
    fn from(w: BelowTheCaret<'a, Message, Theme, Renderer>) -> Self {
        Element::new(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caret_area_moves_to_the_bottom_of_the_line() {
        let line = Rectangle {
            x: 140.0,
            y: 180.0,
            width: 1.0,
            height: 20.0,
        };
        let moved = below(line);
        assert_eq!((moved.x, moved.y, moved.height), (140.0, 200.0, 0.0));
    }
}
