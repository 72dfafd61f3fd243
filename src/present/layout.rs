//! Terminal layout: how many cells a text takes (a Chinese character takes two), fitting
//! a text into a column, and breaking a paragraph into lines by the Unicode rules (a
//! Chinese line may break between any two characters, never before `。` or after `（`).

use unicode_width::UnicodeWidthStr;

/// Total width of text output: what fits a terminal.
pub const WIDTH: usize = 100;

/// Terminal cells `text` takes.
pub fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// `text` on one line, cut to at most `cells` cells, ending in `…` when something was cut.
pub fn fit(text: &str, cells: usize) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect();
    if width(&flat) <= cells {
        return flat;
    }
    if cells == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in flat.chars() {
        let cell = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + cell + 1 > cells {
            break;
        }
        out.push(c);
        used += cell;
    }
    out.push('…');
    out
}

/// `text` fitted into `cells`, padded on the right.
pub fn left(text: &str, cells: usize) -> String {
    let fitted = fit(text, cells);
    let pad = cells.saturating_sub(width(&fitted));
    format!("{fitted}{}", " ".repeat(pad))
}

/// `text` fitted into `cells`, padded on the left (numbers).
pub fn right(text: &str, cells: usize) -> String {
    let fitted = fit(text, cells);
    let pad = cells.saturating_sub(width(&fitted));
    format!("{}{fitted}", " ".repeat(pad))
}

/// `text` broken into lines of at most `width` cells; lines after the first start with
/// `indent` spaces (which count towards the width).
pub fn wrap(text: &str, width: usize, indent: usize) -> Vec<String> {
    let pad = " ".repeat(indent);
    let options = textwrap::Options::new(width.max(indent + 8))
        .subsequent_indent(&pad)
        .break_words(true);
    textwrap::wrap(text, options)
        .into_iter()
        .map(|line| line.into_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    //! Alignment and wrapping are what make a table and a paragraph readable in both
    //! languages.
    use super::*;

    #[test]
    fn chinese_characters_take_two_cells() {
        assert_eq!(width("ACME"), 4);
        assert_eq!(width("锦绣纺织"), 8);
        assert_eq!(left("锦绣纺织", 10), "锦绣纺织  ");
        assert_eq!(right("42", 4), "  42");
        assert_eq!(fit("锦绣纺织 ERP 项目", 9), "锦绣纺织…");
        assert_eq!(fit("a\nb", 5), "a b");
    }

    #[test]
    fn paragraphs_break_at_spaces_and_between_chinese_characters() {
        let en = wrap(
            "every concept that fires on a deal adds its points once",
            20,
            2,
        );
        assert!(en.iter().all(|line| width(line) <= 20), "{en:?}");
        assert_eq!(en[0], "every concept that");
        assert!(en[1].starts_with("  "));
        let zh = wrap(
            "每个在商机上触发的概念按其分值计入一次，总分乘以阶段系数。",
            20,
            0,
        );
        assert!(
            zh.len() > 1 && zh.iter().all(|line| width(line) <= 20),
            "{zh:?}"
        );
        assert!(
            zh.iter()
                .all(|line| !line.starts_with('，') && !line.starts_with('。')),
            "{zh:?}"
        );
    }
}
