//! The few styles text output uses, and when to use them.
//!
//! Colour follows the conventions every CLI shares (anstyle-query): never with
//! `NO_COLOR`, always with `CLICOLOR_FORCE`, otherwise only on a terminal that supports
//! it. The escape codes are anstyle's; [`crate::present::escape::terminal`] lets exactly these
//! through and no others.

use std::io::IsTerminal;

use anstyle::{AnsiColor, Effects};

/// Bold, dim and three colours, or plain text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    /// Plain text: files, pipes, tests.
    pub const PLAIN: Style = Style { color: false };

    /// The style for standard output, by the usual conventions.
    pub fn for_stdout() -> Style {
        let color = if anstyle_query::no_color() {
            false
        } else if anstyle_query::clicolor_force() {
            true
        } else {
            std::io::stdout().is_terminal()
                && anstyle_query::term_supports_ansi_color()
                && anstyle_query::clicolor() != Some(false)
        };
        Style { color }
    }

    fn paint(self, style: anstyle::Style, text: &str) -> String {
        if self.color && !text.is_empty() {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_owned()
        }
    }

    pub fn bold(self, text: &str) -> String {
        self.paint(anstyle::Style::new().effects(Effects::BOLD), text)
    }

    pub fn dim(self, text: &str) -> String {
        self.paint(anstyle::Style::new().effects(Effects::DIMMED), text)
    }

    pub fn red(self, text: &str) -> String {
        self.paint(AnsiColor::Red.on_default(), text)
    }

    pub fn yellow(self, text: &str) -> String {
        self.paint(AnsiColor::Yellow.on_default(), text)
    }

    pub fn green(self, text: &str) -> String {
        self.paint(AnsiColor::Green.on_default(), text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The terminal filter keeps our own styles and only those: if anstyle rendered them
    /// differently, colour would silently vanish from every report.
    #[test]
    fn our_styles_pass_the_terminal_filter_intact() {
        let style = Style { color: true };
        for styled in [
            style.bold("a"),
            style.dim("a"),
            style.red("a"),
            style.yellow("a"),
            style.green("a"),
        ] {
            assert!(styled.contains('\u{1b}'), "{styled:?}");
            assert_eq!(crate::present::escape::terminal(&styled, true), styled);
        }
        assert_eq!(Style::PLAIN.bold("a"), "a");
    }
}
