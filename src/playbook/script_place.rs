//! Where a rule's script is written in its YAML file: rhai reports a problem at a line and
//! column of the script; [`ScriptPlace`] turns that into the line and column of the file,
//! for plain, quoted and block scalars alike. The engine (derived values that fail to
//! compile) and `check` (misspelt names) both place problems through it.

use rhai::Position;

/// Where a script is written in its YAML file, to turn a place in the script (rhai's
/// line and column) into a place in the file.
#[derive(Debug, Clone)]
pub struct ScriptPlace {
    /// Each line of the script as rhai reads it: (file line, file column of its first
    /// character, its length in characters), 1-based.
    lines: Vec<Vec<(usize, usize, usize)>>,
}

impl ScriptPlace {
    /// The script written at `place` in `text`.
    pub fn new(text: &str, place: &crate::snapshot::places::Place) -> ScriptPlace {
        let start = place.start;
        let file_lines: Vec<&str> = text.lines().collect();
        let raw = text.get(start.index..place.end.index).unwrap_or_default();
        let first = raw.chars().next().unwrap_or(' ');
        let mut lines: Vec<Vec<(usize, usize, usize)>> = Vec::new();
        if first == '|' || first == '>' {
            // A block scalar: each content line is one script line, its indentation cut.
            let mut indent = None;
            for (index, line) in file_lines.iter().enumerate().skip(start.line + 1) {
                if index > place.end.line {
                    break;
                }
                if line.trim().is_empty() {
                    lines.push(vec![(index + 1, 1, 0)]);
                    continue;
                }
                let own = line.chars().take_while(|c| *c == ' ').count();
                let indent = *indent.get_or_insert(own);
                if own < indent {
                    break;
                }
                lines.push(vec![(index + 1, indent + 1, line.chars().count() - indent)]);
            }
        } else {
            // A plain or quoted scalar: one script line, folded from the file's lines.
            let quote = usize::from(first == '"' || first == '\'');
            let mut segments = Vec::new();
            for index in start.line..=place.end.line.min(file_lines.len().saturating_sub(1)) {
                let line = file_lines.get(index).copied().unwrap_or_default();
                if index == start.line {
                    let column = start.column + quote;
                    let length = line.chars().count().saturating_sub(column);
                    segments.push((index + 1, column + 1, length));
                } else {
                    let own = line.chars().take_while(|c| *c == ' ').count();
                    segments.push((index + 1, own + 1, line.chars().count() - own));
                }
            }
            lines.push(segments);
        }
        ScriptPlace { lines }
    }

    /// The file's line and column of a place in the script.
    pub fn locate(&self, position: Position) -> Option<(usize, usize)> {
        let line = position.line()?;
        let mut column = position.position().unwrap_or(1).max(1);
        let segments = self.lines.get(line.checked_sub(1)?)?;
        for (index, &(file_line, file_column, length)) in segments.iter().enumerate() {
            // Folded lines are joined by one space.
            if column <= length || index + 1 == segments.len() {
                return Some((file_line, file_column + column - 1));
            }
            column -= length + 1;
        }
        None
    }
}
