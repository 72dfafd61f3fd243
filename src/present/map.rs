//! The stakeholder power map: the buying committee as a picture a manager puts on a slide.
//!
//! Influence runs up (1–10), stance runs across (opponent → sceptic → neutral → supporter
//! → champion, with people of unknown stance in a column of their own). One node per
//! stakeholder: filled when we have met them, hollow when not, a double ring on the top
//! decision maker, a dashed outline on staff-level people, the influence score inside.
//! Below the plot: the coverage of the four buying influencers (gaps in red), who can
//! introduce whom (the supportive people who have met us → an unmet top decision maker,
//! `facts.who.openers`; whoever offered to introduce someone senior, the
//! `introduced_senior` signal), and a legend.
//!
//! Plain SVG 1.1 — no script, no style sheet, no embedded font (a list of common CJK
//! fonts renders Chinese names), every text escaped ([`crate::present::escape::xml`]) —
//! and deterministic: the same deal gives the same bytes. Every word comes from the label
//! catalog (`map.*`, `role.*`, `coverage.*`).

use std::fmt::Write as _;

use crate::facts::{Facts, Person};
use crate::playbook::Playbook;
use crate::present::escape::xml;
use crate::present::Words;
use crate::snapshot::vocabulary::{Role, Vocabulary};
use crate::snapshot::Snapshot;

/// What the map shows of one deal.
#[derive(Debug, Clone)]
pub struct PowerMap {
    pub deal_name: String,
    pub as_of: String,
    pub people: Vec<Person>,
    /// The four buying influencers in the method's order: role, coverage status
    /// (`engaged`, `identified`, `missing`, `unknown`) and who holds the role.
    pub coverage: Vec<(&'static str, &'static str, Vec<String>)>,
    pub introductions: Vec<Introduction>,
}

/// Someone who can introduce us to someone else, as the deal says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Introduction {
    pub from: String,
    /// The top decision maker; `None` when the deal names nobody more senior.
    pub to: Option<String>,
    /// They offered (an `introduced_senior` signal), rather than could.
    pub offered: bool,
}

impl PowerMap {
    /// The map of a deal: its people and coverage as the rules see them
    /// ([`Facts`]), its signals as `next` reports them (declared, then found in notes).
    pub fn of(playbook: &Playbook, snapshot: &Snapshot) -> PowerMap {
        let (signals, objections) = crate::coach::sightings(playbook, snapshot);
        let facts = Facts::derive(
            snapshot,
            &crate::facts::quoted_sightings(&signals),
            &crate::facts::quoted_sightings(&objections),
            &playbook.engine_settings,
        );
        let top = facts.top.as_ref();
        let top_name = top.map(|person| person.name.clone());
        let mut introductions: Vec<Introduction> = Vec::new();
        for signal in signals
            .iter()
            .filter(|signal| signal.concept == "signal.introduced_senior")
        {
            let Some(from) = &signal.from else { continue };
            if introductions.iter().any(|known| &known.from == from) {
                continue;
            }
            introductions.push(Introduction {
                from: from.clone(),
                to: top_name.clone().filter(|top| top != from),
                offered: true,
            });
        }
        if let Some(top) = top.filter(|top| top.met != Some(true)) {
            for opener in facts.who.openers.iter().flatten() {
                if !introductions.iter().any(|known| &known.from == opener) {
                    introductions.push(Introduction {
                        from: opener.clone(),
                        to: Some(top.name.clone()),
                        offered: false,
                    });
                }
            }
        }
        let coverage = Role::ALL
            .iter()
            .map(|role| {
                let role = role.as_str();
                let status = facts.coverage.get(role).copied().unwrap_or("unknown");
                let holders = facts
                    .people
                    .iter()
                    .filter(|person| person.role == Some(role))
                    .map(|person| person.name.clone())
                    .collect();
                (role, status, holders)
            })
            .collect();
        PowerMap {
            deal_name: snapshot.deal.name.clone(),
            as_of: facts.as_of.clone(),
            people: facts.people,
            coverage,
            introductions,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Layout. Pixels of a 1280-wide drawing (16:9 slides take it whole); the height grows
// with the people of unknown influence.

const WIDTH: f64 = 1280.0;
const PLOT_X: f64 = 80.0;
const COLUMN_WIDTH: f64 = 196.0;
const UNKNOWN_GAP: f64 = 12.0;
const UNKNOWN_WIDTH: f64 = 184.0;
/// Where influence 10 sits, and how far apart two steps of influence are.
const TOP_Y: f64 = 138.0;
const STEP: f64 = 48.0;
const BOTTOM_Y: f64 = TOP_Y + 9.0 * STEP;
/// The closest two nodes of a column come: their three label lines must not touch.
const NODE_SPACING: f64 = 42.0;
const RADIUS: f64 = 13.0;
const TOP_RING: f64 = 18.0;
const BAND_TOP: f64 = 80.0;

/// Stance columns, left to right.
const STANCES: [&str; 5] = ["opponent", "sceptic", "neutral", "supporter", "champion"];
/// Ink and tint of each column: red for opposition, greens for support, grey-blue for
/// unknown; dark enough to print, distinct in greyscale by fill (met) and outline.
const INK: [&str; 6] = [
    "#c62828", "#e65100", "#616161", "#43a047", "#1b5e20", "#78909c",
];
const TINT: [&str; 6] = [
    "#fdecea", "#fff3e0", "#f4f4f4", "#edf7ed", "#e1f0e2", "#eceff1",
];
const GAP_RED: &str = "#c62828";
const ENGAGED_GREEN: &str = "#2e7d32";
const ARROW_BLUE: &str = "#1565c0";
const MUTED: &str = "#546e7a";
const TEXT: &str = "#212121";
/// Fonts that have Chinese glyphs on Windows, macOS and Linux, then the Latin defaults.
const FONTS: &str = "'Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Hiragino Sans GB','Microsoft YaHei','WenQuanYi Micro Hei',Arial,Helvetica,sans-serif";

fn column_of(person: &Person) -> usize {
    person
        .stance
        .and_then(|stance| STANCES.iter().position(|known| *known == stance))
        .unwrap_or(STANCES.len())
}

fn column_x(column: usize) -> f64 {
    if column < STANCES.len() {
        PLOT_X + column as f64 * COLUMN_WIDTH
    } else {
        PLOT_X + STANCES.len() as f64 * COLUMN_WIDTH + UNKNOWN_GAP
    }
}

fn column_width(column: usize) -> f64 {
    if column < STANCES.len() {
        COLUMN_WIDTH
    } else {
        UNKNOWN_WIDTH
    }
}

fn influence_y(influence: i64) -> f64 {
    TOP_Y + (10 - influence.clamp(1, 10)) as f64 * STEP
}

/// A coordinate as written: whole pixels bare, else one decimal (deterministic, short).
fn px(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{}", rounded as i64)
    } else {
        format!("{rounded:.1}")
    }
}

/// About how wide `text` is at `size` pixels: Latin letters half an em, CJK a whole one
/// (a little generous, so a cut text never runs over).
fn text_width(text: &str, size: f64) -> f64 {
    text.chars()
        .map(|c| unicode_width::UnicodeWidthChar::width(c).unwrap_or(0) as f64)
        .sum::<f64>()
        * size
        * 0.56
}

/// `text` cut with an ellipsis to fit `width` pixels at `size`.
fn fit(text: &str, size: f64, width: f64) -> String {
    if text_width(text, size) <= width {
        return text.to_owned();
    }
    let room = width - text_width("…", size);
    let mut used = 0.0;
    let mut out = String::new();
    for c in text.chars() {
        used += text_width(c.encode_utf8(&mut [0; 4]), size);
        if used > room {
            break;
        }
        out.push(c);
    }
    format!("{}…", out.trim_end())
}

/// One node placed: the person, and where their circle is.
struct Placed<'a> {
    person: &'a Person,
    x: f64,
    y: f64,
}

/// Spreads the nodes of one column so that none comes closer than [`NODE_SPACING`] to
/// the next, keeping each as near its influence as it can and inside `top..=bottom`.
/// `wanted` is sorted; the result is in the same order.
fn spread(wanted: &[f64], top: f64, bottom: f64) -> Vec<f64> {
    let mut placed: Vec<f64> = Vec::with_capacity(wanted.len());
    for &y in wanted {
        let floor = placed.last().map_or(f64::MIN, |last| last + NODE_SPACING);
        placed.push(y.max(floor));
    }
    let mut ceiling = bottom;
    for y in placed.iter_mut().rev() {
        *y = y.min(ceiling);
        ceiling = *y - NODE_SPACING;
    }
    if placed.first().is_some_and(|first| *first < top) {
        // More people than the column holds at full spacing: share it evenly.
        let count = placed.len();
        let step = if count > 1 {
            (bottom - top) / (count - 1) as f64
        } else {
            0.0
        };
        for (index, y) in placed.iter_mut().enumerate() {
            *y = top + index as f64 * step;
        }
    }
    placed
}

/// Where every node goes: scored people by influence in their stance column, the
/// unscored in a band below, in snapshot order; and where that band ends.
fn layout(people: &[Person]) -> (Vec<Placed<'_>>, f64, f64) {
    let band_top = BOTTOM_Y + 34.0;
    let mut placed = Vec::new();
    let mut unscored_rows = 1;
    for column in 0..=STANCES.len() {
        let x = column_x(column) + 24.0;
        let members: Vec<(usize, &Person)> = people
            .iter()
            .enumerate()
            .filter(|(_, person)| column_of(person) == column)
            .collect();
        let mut scored: Vec<(f64, usize, &Person)> = members
            .iter()
            .filter_map(|(index, person)| {
                person
                    .influence
                    .map(|influence| (influence_y(influence), *index, *person))
            })
            .collect();
        scored.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let wanted: Vec<f64> = scored.iter().map(|(y, ..)| *y).collect();
        for ((_, _, person), y) in scored.iter().zip(spread(&wanted, TOP_Y, BOTTOM_Y)) {
            placed.push(Placed { person, x, y });
        }
        let unscored: Vec<&Person> = members
            .iter()
            .filter(|(_, person)| person.influence.is_none())
            .map(|(_, person)| *person)
            .collect();
        unscored_rows = unscored_rows.max(unscored.len());
        for (row, person) in unscored.into_iter().enumerate() {
            placed.push(Placed {
                person,
                x,
                y: band_top + 26.0 + row as f64 * NODE_SPACING,
            });
        }
    }
    let band_end = band_top + 26.0 + (unscored_rows - 1) as f64 * NODE_SPACING + 30.0;
    (placed, band_top, band_end)
}

/// The map as an SVG document, in the words of `w`.
pub fn svg(map: &PowerMap, w: Words) -> String {
    let (placed, band_top, band_end) = layout(&map.people);
    let panels_y = band_end + 58.0;
    let introductions_shown = map.introductions.len().min(MOST_INTRODUCTIONS);
    let panel_lines: f64 = 4.0 * 36.0 + 30.0;
    let introduction_lines = (introductions_shown.max(1) + 1) as f64 * 22.0 + 30.0;
    let legend_lines = 7.0 * 22.0 + 30.0;
    let height = (panels_y + panel_lines.max(introduction_lines).max(legend_lines) + 16.0).ceil();

    let mut out = String::with_capacity(16 * 1024);
    let title = w.fill("map.title", &[("deal", &map.deal_name)]);
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"{FONTS}\" font-size=\"12\" fill=\"{TEXT}\">\n<title>{t}</title>\n",
        w = px(WIDTH),
        h = px(height),
        t = xml(&title),
    );
    let _ = write!(
        out,
        "<defs>\n<marker id=\"arrow-can\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"{ARROW_BLUE}\"/></marker>\n<marker id=\"arrow-offered\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"{ARROW_BLUE}\"/></marker>\n</defs>\n<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>\n",
        px(WIDTH),
        px(height)
    );

    // Title and subtitle.
    let _ = writeln!(
        out,
        "<text x=\"24\" y=\"38\" font-size=\"20\" font-weight=\"bold\">{}</text>",
        xml(&fit(&title, 20.0, WIDTH - 48.0))
    );
    let subtitle = format!(
        "{} · {}",
        w.fill("next.as_of", &[("date", &map.as_of)]),
        w.count("unit.stakeholder", map.people.len())
    );
    let _ = writeln!(
        out,
        "<text x=\"24\" y=\"60\" fill=\"{MUTED}\">{}</text>",
        xml(&subtitle)
    );

    // Columns, their headings, the influence grid.
    for column in 0..=STANCES.len() {
        let (x, width) = (column_x(column), column_width(column));
        let _ = writeln!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"6\" fill=\"{}\"/>",
            px(x + 2.0),
            px(BAND_TOP),
            px(width - 4.0),
            px(band_end - BAND_TOP),
            TINT[column]
        );
        let key = format!("map.stance.{}", STANCES.get(column).unwrap_or(&"unknown"));
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"104\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\" fill=\"{}\">{}</text>",
            px(x + width / 2.0),
            INK[column],
            xml(&fit(w.ui(&key), 13.0, width - 12.0))
        );
    }
    let plot_right = column_x(STANCES.len()) + UNKNOWN_WIDTH;
    for influence in 1..=10 {
        let y = influence_y(influence);
        let _ = writeln!(
            out,
            "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"#ffffff\" stroke-width=\"1.5\"/>\n<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"11\" fill=\"{MUTED}\">{influence}</text>",
            px(PLOT_X + 2.0),
            px(plot_right - 2.0),
            px(PLOT_X - 10.0),
            px(y + 4.0),
            y = px(y),
        );
    }
    let _ = writeln!(
        out,
        "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"#b0bec5\" stroke-width=\"1\" stroke-dasharray=\"4 3\"/>\n<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"11\" fill=\"{MUTED}\">?</text>",
        px(PLOT_X + 2.0),
        px(plot_right - 2.0),
        px(PLOT_X - 10.0),
        px(band_top + 30.0),
        y = px(band_top),
    );
    let axis_y = (TOP_Y + band_end) / 2.0;
    let _ = writeln!(
        out,
        "<text x=\"28\" y=\"{y}\" transform=\"rotate(-90 28 {y})\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\" fill=\"{MUTED}\">{}</text>",
        xml(w.ui("map.influence")),
        y = px(axis_y),
    );
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\" fill=\"{MUTED}\">{}</text>",
        px(PLOT_X + 2.5 * COLUMN_WIDTH),
        px(band_end + 24.0),
        xml(w.ui("map.stance_axis"))
    );
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\" fill=\"{MUTED}\">{}</text>",
        px(column_x(STANCES.len()) + UNKNOWN_WIDTH / 2.0),
        px(band_end + 24.0),
        xml(&fit(w.ui("map.unscored"), 11.0, UNKNOWN_WIDTH))
    );
    if map.people.is_empty() {
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"15\" fill=\"{MUTED}\">{}</text>",
            px(PLOT_X + 2.5 * COLUMN_WIDTH),
            px((TOP_Y + BOTTOM_Y) / 2.0),
            xml(&fit(w.ui("map.empty"), 15.0, 5.0 * COLUMN_WIDTH))
        );
    }

    // Introductions first, under the nodes.
    let at = |name: &str| placed.iter().find(|node| node.person.name == name);
    for introduction in &map.introductions {
        let (Some(from), Some(to)) = (
            at(&introduction.from),
            introduction.to.as_deref().and_then(&at),
        ) else {
            continue;
        };
        let (start, control, end) = route(from, to);
        let (marker, dash, stroke) = if introduction.offered {
            ("arrow-offered", "", "2.5")
        } else {
            ("arrow-can", " stroke-dasharray=\"6 4\"", "1.8")
        };
        let _ = writeln!(
            out,
            "<path d=\"M{},{} Q{},{} {},{}\" fill=\"none\" stroke=\"{ARROW_BLUE}\" stroke-width=\"{stroke}\"{dash} marker-end=\"url(#{marker})\" opacity=\"0.85\"/>",
            px(start.0),
            px(start.1),
            px(control.0),
            px(control.1),
            px(end.0),
            px(end.1)
        );
    }

    // The people.
    for node in &placed {
        node_svg(&mut out, node, label_room(node, &placed), w);
    }

    // Panels: coverage, introductions, legend.
    coverage_panel(&mut out, map, w, 24.0, panels_y);
    introductions_panel(&mut out, map, w, 456.0, panels_y);
    legend_panel(&mut out, w, 888.0, panels_y);
    out.push_str("</svg>\n");
    out
}

/// The curve of an introduction arrow, kept off the target's label (which is on its
/// right): from a target to the left, the arrow leaves the source's left side and
/// comes into the target from below or above; to a target to the right, it leaves the
/// source from above or below and comes in from the target's left; within one column
/// it bows out to the left.
fn route(from: &Placed, to: &Placed) -> ((f64, f64), (f64, f64), (f64, f64)) {
    let gap = RADIUS + 3.0;
    let target_gap = if to.person.top { TOP_RING + 3.0 } else { gap };
    let toward = |from: f64, to: f64| if to >= from { 1.0 } else { -1.0 };
    if (to.x - from.x).abs() < 1.0 {
        let bow = from.x - 70.0;
        (
            (from.x - gap, from.y),
            (bow, (from.y + to.y) / 2.0),
            (to.x - target_gap, to.y),
        )
    } else if to.x < from.x {
        let vertical = toward(to.y, from.y);
        (
            (from.x - gap, from.y),
            (to.x, from.y),
            (to.x, to.y + vertical * target_gap),
        )
    } else {
        let vertical = toward(from.y, to.y);
        (
            (from.x, from.y + vertical * gap),
            (from.x, to.y),
            (to.x - target_gap, to.y),
        )
    }
}

/// How wide a node's label may run: to the next node at about its height on the right,
/// else to the plot's edge, at most two columns.
fn label_room(node: &Placed, placed: &[Placed]) -> f64 {
    let label_x = node.x + 22.0;
    let edge = column_x(STANCES.len()) + UNKNOWN_WIDTH - 6.0;
    let blocker = placed
        .iter()
        .filter(|other| other.x > node.x + 1.0 && (other.y - node.y).abs() < 34.0)
        .map(|other| other.x - RADIUS - 8.0)
        .fold(edge, f64::min);
    (blocker - label_x).min(2.0 * COLUMN_WIDTH - 52.0)
}

/// Introductions listed in words; more are counted.
const MOST_INTRODUCTIONS: usize = 6;

fn node_svg(out: &mut String, node: &Placed, room: f64, w: Words) {
    let person = node.person;
    let column = column_of(person);
    let ink = INK[column];
    let met = person.met == Some(true);
    let staff = person.level == Some("staff");
    let dash = if staff {
        " stroke-dasharray=\"4 2.5\""
    } else {
        ""
    };
    let (x, y) = (px(node.x), px(node.y));
    let role = person.role.map_or_else(
        || w.ui("role.unknown").to_owned(),
        |role| w.word("role", role).to_owned(),
    );
    let mut role_line = role.clone();
    if person.top {
        role_line = format!("{role_line} · {}", w.ui("map.top_short"));
    }
    if staff {
        role_line = format!("{role_line} · {}", w.word("level", "staff"));
    }
    let stance_key = format!("map.stance.{}", person.stance.unwrap_or("unknown"));
    let mut tooltip = vec![person.name.clone()];
    tooltip.extend(person.title.clone());
    tooltip.push(role_line.clone());
    tooltip.push(w.ui(&stance_key).to_owned());
    if let Some(influence) = person.influence {
        tooltip.push(w.fill("map.influence_of", &[("n", &influence.to_string())]));
    }
    tooltip.push(w.ui(if met { "met.true" } else { "met.false" }).to_owned());
    let _ = writeln!(out, "<g>\n<title>{}</title>", xml(&tooltip.join(" · ")));
    if person.top {
        let _ = writeln!(
            out,
            "<circle cx=\"{x}\" cy=\"{y}\" r=\"{}\" fill=\"none\" stroke=\"{TEXT}\" stroke-width=\"2\"/>",
            px(TOP_RING)
        );
    }
    let (fill, stroke, number) = if met {
        (ink, TEXT, "#ffffff")
    } else {
        ("#ffffff", ink, ink)
    };
    let stroke_width = if met { "1.2" } else { "2.5" };
    let _ = writeln!(
        out,
        "<circle cx=\"{x}\" cy=\"{y}\" r=\"{}\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{stroke_width}\"{dash}/>",
        px(RADIUS)
    );
    let score = person
        .influence
        .map_or_else(|| "?".to_owned(), |influence| influence.to_string());
    let _ = writeln!(
        out,
        "<text x=\"{x}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\" font-weight=\"bold\" fill=\"{number}\">{score}</text>",
        px(node.y + 4.0)
    );
    let label_x = node.x + 22.0;
    let title = person
        .title
        .as_deref()
        .filter(|title| !title.trim().is_empty());
    let name_y = if title.is_some() {
        node.y - 6.0
    } else {
        node.y - 1.0
    };
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{}\" font-size=\"13\" font-weight=\"bold\">{}</text>",
        px(label_x),
        px(name_y),
        xml(&fit(&person.name, 13.0, room))
    );
    let mut line_y = name_y + 14.0;
    if let Some(title) = title {
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"{MUTED}\">{}</text>",
            px(label_x),
            px(line_y),
            xml(&fit(title, 11.0, room))
        );
        line_y += 13.0;
    }
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"{ink}\">{}</text>\n</g>",
        px(label_x),
        px(line_y),
        xml(&fit(&role_line, 11.0, room))
    );
}

fn heading(out: &mut String, text: &str, x: f64, y: f64) {
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{}\" font-size=\"14\" font-weight=\"bold\">{}</text>",
        px(x),
        px(y),
        xml(&fit(text, 14.0, 400.0))
    );
}

fn coverage_panel(out: &mut String, map: &PowerMap, w: Words, x: f64, y: f64) {
    heading(out, w.ui("map.coverage"), x, y);
    for (index, (role, status, names)) in map.coverage.iter().enumerate() {
        let line_y = y + 26.0 + index as f64 * 36.0;
        let gap = *status != "engaged";
        let line = w.fill(
            "map.coverage.line",
            &[
                ("role", w.word("role", role)),
                ("status", w.word("coverage", status)),
            ],
        );
        let (colour, weight) = if gap {
            (GAP_RED, " font-weight=\"bold\"")
        } else {
            (ENGAGED_GREEN, "")
        };
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" font-size=\"13\" fill=\"{colour}\"{weight}>{}</text>",
            px(x),
            px(line_y),
            xml(&fit(&line, 13.0, 410.0))
        );
        let who = if names.is_empty() {
            w.ui("map.nobody").to_owned()
        } else {
            w.join(names)
        };
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"{MUTED}\">{}</text>",
            px(x),
            px(line_y + 15.0),
            xml(&fit(&who, 11.0, 410.0))
        );
    }
}

fn introductions_panel(out: &mut String, map: &PowerMap, w: Words, x: f64, y: f64) {
    heading(out, w.ui("map.introductions"), x, y);
    if map.introductions.is_empty() {
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"{MUTED}\">{}</text>",
            px(x),
            px(y + 26.0),
            xml(&fit(w.ui("map.introductions.none"), 12.0, 410.0))
        );
        return;
    }
    for (index, introduction) in map
        .introductions
        .iter()
        .take(MOST_INTRODUCTIONS)
        .enumerate()
    {
        let to = introduction
            .to
            .clone()
            .unwrap_or_else(|| w.ui("map.someone_senior").to_owned());
        let key = if introduction.offered {
            "map.introduction.offered"
        } else {
            "map.introduction.can"
        };
        let line = w.fill(key, &[("from", &introduction.from), ("to", &to)]);
        let weight = if introduction.offered {
            " font-weight=\"bold\""
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"{ARROW_BLUE}\"{weight}>{}</text>",
            px(x),
            px(y + 26.0 + index as f64 * 22.0),
            xml(&fit(&line, 12.0, 410.0))
        );
    }
    let more = map.introductions.len().saturating_sub(MOST_INTRODUCTIONS);
    if more > 0 {
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"{MUTED}\">{}</text>",
            px(x),
            px(y + 26.0 + MOST_INTRODUCTIONS as f64 * 22.0),
            xml(&w.count("map.introductions.more", more))
        );
    }
}

fn legend_panel(out: &mut String, w: Words, x: f64, y: f64) {
    heading(out, w.ui("map.legend"), x, y);
    let symbol_x = x + 10.0;
    let text_x = x + 30.0;
    let row = |index: usize| y + 24.0 + index as f64 * 22.0;
    let circle = |out: &mut String, index: usize, radius: f64, attributes: &str| {
        let _ = writeln!(
            out,
            "<circle cx=\"{}\" cy=\"{}\" r=\"{}\" {attributes}/>",
            px(symbol_x),
            px(row(index) - 4.0),
            px(radius)
        );
    };
    let (supporter, neutral) = (INK[3], INK[2]);
    circle(
        out,
        0,
        7.0,
        &format!("fill=\"{supporter}\" stroke=\"{TEXT}\" stroke-width=\"1\""),
    );
    circle(
        out,
        1,
        7.0,
        &format!("fill=\"#ffffff\" stroke=\"{supporter}\" stroke-width=\"2\""),
    );
    circle(
        out,
        2,
        7.0,
        &format!("fill=\"#ffffff\" stroke=\"{neutral}\" stroke-width=\"2\""),
    );
    circle(
        out,
        2,
        10.0,
        &format!("fill=\"none\" stroke=\"{TEXT}\" stroke-width=\"1.5\""),
    );
    circle(
        out,
        3,
        7.0,
        &format!(
            "fill=\"#ffffff\" stroke=\"{neutral}\" stroke-width=\"2\" stroke-dasharray=\"3 2\""
        ),
    );
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"10\" font-weight=\"bold\" fill=\"{}\">7</text>",
        px(symbol_x),
        px(row(4)),
        INK[2]
    );
    let arrow = |out: &mut String, index: usize, dash: &str, marker: &str| {
        let _ = writeln!(
            out,
            "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{ARROW_BLUE}\" stroke-width=\"2\"{dash} marker-end=\"url(#{marker})\"/>",
            px(x),
            px(x + 20.0),
            y = px(row(index) - 4.0)
        );
    };
    arrow(out, 5, " stroke-dasharray=\"4 3\"", "arrow-can");
    arrow(out, 6, "", "arrow-offered");
    let keys = [
        "map.legend.met",
        "map.legend.not_met",
        "map.legend.top",
        "map.legend.staff",
        "map.legend.influence",
        "map.legend.can",
        "map.legend.offered",
    ];
    for (index, key) in keys.iter().enumerate() {
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" font-size=\"12\">{}</text>",
            px(text_x),
            px(row(index)),
            xml(&fit(w.ui(key), 12.0, 1256.0 - text_x))
        );
    }
}

#[cfg(test)]
mod tests {
    //! The layout's arithmetic: nodes of one column never overlap, and stay in the plot.
    use super::*;

    #[test]
    fn nodes_of_one_column_keep_their_distance_within_the_plot() {
        let wanted = [TOP_Y, TOP_Y, TOP_Y + STEP, BOTTOM_Y, BOTTOM_Y];
        let placed = spread(&wanted, TOP_Y, BOTTOM_Y);
        for pair in placed.windows(2) {
            assert!(pair[1] - pair[0] >= NODE_SPACING - 1e-9, "{placed:?}");
        }
        assert!(placed[0] >= TOP_Y && placed[4] <= BOTTOM_Y, "{placed:?}");
        // A crowded column shares the height evenly rather than leaving it.
        let crowded = spread(&[TOP_Y; 20], TOP_Y, BOTTOM_Y);
        assert_eq!(crowded[0], TOP_Y);
        assert_eq!(crowded[19], BOTTOM_Y);
    }

    #[test]
    fn long_texts_are_cut_to_fit() {
        assert_eq!(fit("short", 12.0, 200.0), "short");
        let cut = fit("head of branch operations and much more", 11.0, 100.0);
        assert!(
            cut.ends_with('…') && text_width(&cut, 11.0) <= 100.0,
            "{cut}"
        );
        let chinese = fit("一二三四五六七八九十一二三四五六七八九十", 12.0, 100.0);
        assert!(text_width(&chinese, 12.0) <= 100.0, "{chinese}");
    }
}
