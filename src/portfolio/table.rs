//! Aligned text tables for a terminal, where a Chinese character takes two cells.

/// Terminal cells a character takes: two for wide (CJK, full-width) characters.
pub fn char_width(c: char) -> usize {
    let wide = matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x1F300..=0x1F64F
        | 0x20000..=0x3FFFD);
    if wide {
        2
    } else if c.is_control() {
        0
    } else {
        1
    }
}

pub fn width(text: &str) -> usize {
    text.chars().map(char_width).sum()
}

/// `text` cut to at most `cells` cells, ending in `…` when something was cut. Line
/// breaks become spaces: a table row is one line.
pub fn fit(text: &str, cells: usize) -> String {
    let flat: String = text
        .chars()
        .map(|c| {
            if c == '\n' || c == '\r' || c == '\t' {
                ' '
            } else {
                c
            }
        })
        .collect();
    if width(&flat) <= cells {
        return flat;
    }
    let mut out = String::new();
    let mut used = 0;
    for c in flat.chars() {
        let w = char_width(c);
        if used + w + 1 > cells {
            break;
        }
        out.push(c);
        used += w;
    }
    if cells > 0 {
        out.push('…');
    }
    out
}

/// `text` fitted into `cells` and padded on the right.
pub fn left(text: &str, cells: usize) -> String {
    let fitted = fit(text, cells);
    let pad = cells.saturating_sub(width(&fitted));
    format!("{fitted}{}", " ".repeat(pad))
}

/// `text` fitted into `cells` and padded on the left.
pub fn right(text: &str, cells: usize) -> String {
    let fitted = fit(text, cells);
    let pad = cells.saturating_sub(width(&fitted));
    format!("{}{fitted}", " ".repeat(pad))
}

/// A Markdown table cell: no pipes or line breaks inside.
pub fn markdown_cell(text: &str) -> String {
    crate::escape::markdown(text).into_owned()
}

/// ANSI styling, only on a terminal (the caller decides).
#[derive(Debug, Clone, Copy)]
pub struct Paint {
    pub color: bool,
}

impl Paint {
    fn wrap(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
    pub fn bold(self, text: &str) -> String {
        self.wrap("1", text)
    }
    pub fn dim(self, text: &str) -> String {
        self.wrap("2", text)
    }
    pub fn red(self, text: &str) -> String {
        self.wrap("31", text)
    }
    pub fn yellow(self, text: &str) -> String {
        self.wrap("33", text)
    }
}

#[cfg(test)]
mod tests {
    //! Alignment is what makes a table readable; CJK characters take two cells.
    use super::*;

    #[test]
    fn chinese_takes_two_cells() {
        assert_eq!(width("李总"), 4);
        assert_eq!(width("ACME 集团"), 9);
        assert_eq!(left("李总", 6), "李总  ");
        assert_eq!(right("7", 3), "  7");
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis_inside_the_width() {
        let cut = fit("尽快见到最高决策者李总", 9);
        assert!(width(&cut) <= 9, "{cut}");
        assert!(cut.ends_with('…'));
        assert_eq!(fit("short", 9), "short");
    }
}
