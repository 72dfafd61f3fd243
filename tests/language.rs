//! Every text a rep reads, in both languages, is free of the defects issue 12 listed:
//! a count that disagrees with its noun ("1 people", "0 visits", "最近30天只拜访了0次"), a
//! bare "label: number" ("kinds of proof in hand: 1"), an amount printed raw ("worth
//! 550000"), a `{{` left over, an id or an English word where a label belongs, Chinese
//! left in English, the rep's own name for the deal inside a question said to the
//! customer, 贵司 said to a bank, "he" for a person nobody said was a man.
//!
//! It renders every text view (`next --all` as text and Markdown, `review` as text) of
//! every example deal and every whole-deal test case, and the text of `next` for every
//! other playbook test deal (together they fire every rule), and runs one line checker
//! over the output. The checker is tested first on bad lines, one per defect, so each
//! check is known to be able to fail; it is written to find nothing on correct output
//! (words the rep wrote — names, titles, needs, quotes — are taken out before a line is
//! judged, and only advice lines are judged for wording).

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::{root, Cli};
use dealcoach::facts::organisation_kind;
use dealcoach::playbook::settings::EngineSettings;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    Zh,
    En,
}

impl Lang {
    fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Text,
    Markdown,
}

/// What a line of output is: advice (a title, a reason, a question) is judged for its
/// wording; every line is judged for counts, raw amounts and `{{`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Title,
    Why,
    Question,
    Other,
}

/// What the checker knows of the deal a text is about.
#[derive(Debug, Default, Clone)]
struct Deal {
    /// The rep's name for the deal (`deal.name`): never in a question.
    name: String,
    /// Words the rep wrote (names, titles, needs, quotes …), longest first: they are
    /// taken out of a line before its wording is judged.
    data: Vec<String>,
    /// The honorific the deal's customer is addressed by, in zh and en (贵行 / your bank).
    honorific: Option<(&'static str, &'static str)>,
}

const HONORIFICS: [(&str, &str, &str); 5] = [
    ("bank", "贵行", "your bank"),
    ("hospital", "贵院", "your hospital"),
    ("school", "贵校", "your school"),
    ("public", "贵单位", "your organisation"),
    ("company", "贵司", "your company"),
];

/// English nouns whose plural must not follow 1.
const PLURALS: [&str; 22] = [
    "people",
    "visits",
    "deals",
    "days",
    "objections",
    "questions",
    "errors",
    "options",
    "kinds",
    "orders",
    "favours",
    "transactions",
    "issues",
    "points",
    "files",
    "rules",
    "warnings",
    "accounts",
    "champions",
    "signals",
    "referrals",
    "meetings",
];

/// English nouns of a unit with a zero form ("no visit"): "0 visits" is a defect.
const WITH_ZERO_FORM: [&str; 12] = [
    "visits",
    "favours",
    "kinds",
    "objections",
    "questions",
    "options",
    "orders",
    "transactions",
    "people",
    "signals",
    "referrals",
    "allies",
];

/// Chinese measure words after which 0 reads wrong (没有拜访, not 0次).
const MEASURE_WORDS: [char; 8] = ['次', '种', '个', '位', '类', '笔', '套', '人'];

/// Nouns that make "noun …: 3" a bare count where a sentence belongs.
const COUNT_NOUNS: [&str; 12] = [
    "kind",
    "question",
    "objection",
    "issue",
    "visit",
    "favour",
    "people",
    "signal",
    "solution",
    "order",
    "transaction",
    "meeting",
];

/// Latin words a Chinese line may hold besides the rep's own words: product terms.
const LATIN_IN_ZH: [&str; 1] = ["VIP"];

fn is_han(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// The line's kind and its advice text, without layout and the concept-id trail.
fn classify(line: &str, format: Format) -> (Kind, String) {
    let trimmed = line.trim_start();
    let indent = line.len() - trimmed.len();
    let without_trail = |text: &str| -> String {
        // Text: "title  concept.id" or "…  concept.id · source"; Markdown: "**title** (`id`, 97)".
        match text.rfind("  ") {
            Some(at)
                if text[at..]
                    .trim()
                    .split(' ')
                    .next()
                    .is_some_and(|id| id.contains('.') && id.is_ascii()) =>
            {
                text[..at].to_owned()
            }
            _ => text.to_owned(),
        }
    };
    match format {
        Format::Text => {
            if let Some(rest) = trimmed.strip_prefix("? ") {
                return (Kind::Question, rest.to_owned());
            }
            if let Some(rest) = trimmed.strip_prefix("→ ") {
                return (Kind::Title, without_trail(rest));
            }
            if let Some(rest) = trimmed.strip_prefix("! ") {
                // "! 高  title  concept.id"
                let rest = rest.split_once("  ").map_or(rest, |(_, title)| title);
                return (Kind::Title, without_trail(rest));
            }
            if let Some((number, rest)) = trimmed.split_once(". [") {
                if number.chars().all(|c| c.is_ascii_digit()) {
                    let rest = rest.split_once("] ").map_or(rest, |(_, title)| title);
                    return (Kind::Title, without_trail(rest));
                }
            }
            // Reasons (indented under their move) and the signal and objection lines
            // (indented two): a text with its concept trail.
            if indent >= 2 {
                if let Some(rest) = trimmed.strip_prefix("- ") {
                    return (Kind::Why, without_trail(rest));
                }
            }
            (Kind::Other, line.to_owned())
        }
        Format::Markdown => {
            let numbered = trimmed
                .split_once(". **")
                .filter(|(number, _)| number.chars().all(|c| c.is_ascii_digit()))
                .map(|(_, rest)| rest);
            if let Some(rest) = numbered.or_else(|| trimmed.strip_prefix("- **")) {
                let title = rest.rsplit_once("** (`").map_or(rest, |(title, _)| title);
                return (Kind::Title, title.to_owned());
            }
            if indent >= 2 {
                if let Some(rest) = trimmed.strip_prefix("- ") {
                    for ask in ["Ask: ", "可以这样问："] {
                        if let Some(question) = rest.strip_prefix(ask) {
                            return (Kind::Question, question.to_owned());
                        }
                    }
                    // A step of a merged move: "title (`concept.id`) — by".
                    if let Some((title, _)) = rest.rsplit_once(" (`") {
                        return (Kind::Title, title.to_owned());
                    }
                    return (Kind::Why, rest.to_owned());
                }
            }
            (Kind::Other, line.to_owned())
        }
    }
}

/// `text` with every quotation (“…”, "…") emptied: quotes are the customer's words.
fn without_quotes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut closing: Option<char> = None;
    for c in text.chars() {
        match closing {
            Some(close) if c == close => {
                closing = None;
                out.push(c);
            }
            Some(_) => {}
            None => {
                out.push(c);
                closing = match c {
                    '“' => Some('”'),
                    '"' => Some('"'),
                    _ => None,
                };
            }
        }
    }
    out
}

/// The words of `text` (runs of ASCII letters, digits, `_`), each with its byte offset.
fn words(text: &str) -> Vec<(usize, &str)> {
    let mut found = Vec::new();
    let mut start = None;
    for (at, c) in text.char_indices().chain([(text.len(), ' ')]) {
        let part = c.is_ascii_alphanumeric() || c == '_';
        match (part, start) {
            (true, None) => start = Some(at),
            (false, Some(from)) => {
                found.push((from, &text[from..at]));
                start = None;
            }
            _ => {}
        }
    }
    found
}

/// Every defect of one line of output, by name.
fn defects(line: &str, format: Format, lang: Lang, deal: &Deal) -> Vec<&'static str> {
    let mut found = Vec::new();
    if line.contains("{{") {
        found.push("placeholder left in the output");
    }
    let (kind, advice) = classify(line, format);
    let unquoted = without_quotes(line);
    let tokens = words(&unquoted);
    for (index, (at, word)) in tokens.iter().enumerate() {
        let Some((_, next)) = tokens.get(index + 1) else {
            continue;
        };
        let before = unquoted[..*at].chars().next_back();
        let gap = &unquoted[at + word.len()..];
        let adjacent = gap.starts_with(' ') && gap[1..].starts_with(next);
        let standalone = !matches!(before, Some('.' | ',' | '-' | '/' | ':'));
        if lang == Lang::En && adjacent && standalone {
            if *word == "1" && PLURALS.contains(next) {
                found.push("English count: 1 with a plural");
            }
            if *word == "0" && WITH_ZERO_FORM.contains(next) {
                found.push("English count: 0 where the unit has a zero form");
            }
        }
    }
    if lang == Lang::Zh {
        let chars: Vec<char> = unquoted.chars().collect();
        for (index, pair) in chars.windows(2).enumerate() {
            let before = index.checked_sub(1).map(|i| chars[i]);
            if pair[0] == '0'
                && MEASURE_WORDS.contains(&pair[1])
                && !before.is_some_and(|c| c.is_ascii_digit() || c == '.')
            {
                found.push("Chinese count: 0 with a measure word");
            }
        }
    }
    if kind == Kind::Other {
        return found;
    }

    // Advice: judged without the customer's quoted words and the rep's own words.
    let mut text = without_quotes(&advice);
    for data in &deal.data {
        text = text.replace(data.as_str(), "‹›");
    }
    if lang == Lang::En {
        // "kinds of proof in hand: 1" — a bare count where a sentence belongs.
        for clause in text.split([',', ';']) {
            if let Some((label, count)) = clause.rsplit_once(": ") {
                let label = label.to_lowercase();
                let bare = !count.is_empty() && count.trim().chars().all(|c| c.is_ascii_digit());
                if bare && COUNT_NOUNS.iter().any(|noun| label.contains(noun)) {
                    found.push("English count: label: number");
                }
            }
        }
    }
    let advice_words = words(&text);
    for (at, word) in &advice_words {
        let digits = word.chars().all(|c| c.is_ascii_digit());
        let before = text[..*at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        let joined = |c: Option<char>| matches!(c, Some('-' | '.' | '/' | ':' | '#' | '_'));
        if digits && word.len() >= 5 && !joined(before) && !joined(after) {
            found.push("raw amount");
        }
        if word.contains('_') && word.chars().any(|c| c.is_ascii_lowercase()) {
            found.push("id where a label belongs");
        }
        // One letter is a tier of the value pyramid (C级), not English.
        let latin = word.len() > 1 && word.chars().all(|c| c.is_ascii_alphabetic());
        if lang == Lang::Zh && latin && !LATIN_IN_ZH.contains(word) {
            found.push("English word in a Chinese line");
        }
        if lang == Lang::En
            && matches!(
                word.to_lowercase().as_str(),
                "he" | "him" | "his" | "she" | "her"
            )
        {
            found.push("he or she for a person of unknown gender");
        }
    }
    // "1,800,000": thousands separators are raw too.
    if text
        .split(|c: char| !(c.is_ascii_digit() || c == ','))
        .any(|run| run.matches(',').count() >= 2 && run.split(',').skip(1).all(|g| g.len() == 3))
    {
        found.push("raw amount");
    }
    match lang {
        Lang::Zh => {
            let chars: Vec<char> = text.chars().collect();
            for (index, c) in chars.iter().enumerate() {
                let next = chars.get(index + 1);
                let before = index.checked_sub(1).map(|i| chars[i]);
                if matches!(c, '他' | '她') && next != Some(&'们') && before != Some('其') {
                    found.push("他 or 她 for a person of unknown gender");
                }
                // The rep's words were replaced by ‹›: a space beside them is a space
                // between a Chinese word and a name.
                if *c == ' ' && before.is_some_and(|b| is_han(b) || b == '›') {
                    let rest: String = chars[index..].iter().collect();
                    let next = rest.trim_start().chars().next();
                    if next.is_some_and(|n| is_han(n) || n == '‹') {
                        found.push("space between Chinese words");
                    }
                }
            }
        }
        Lang::En => {
            if text.chars().any(is_han) {
                found.push("Chinese word in an English line");
            }
        }
    }
    if kind == Kind::Question && !deal.name.is_empty() && advice.contains(&deal.name) {
        found.push("the deal's name in a question");
    }
    if let Some((zh, en)) = deal.honorific {
        for (_, other_zh, other_en) in HONORIFICS {
            let wrong = match lang {
                Lang::Zh => other_zh != zh && text.contains(other_zh),
                Lang::En => other_en != en && text.to_lowercase().contains(other_en),
            };
            if wrong {
                found.push("honorific of another kind of organisation");
            }
        }
    }
    found
}

/// Every defect of a whole output, as "defect: line".
fn check_output(text: &str, format: Format, lang: Lang, deal: &Deal) -> Vec<String> {
    text.lines()
        .flat_map(|line| {
            defects(line, format, lang, deal)
                .into_iter()
                .map(move |defect| format!("{defect}: {line}"))
        })
        .collect()
}

// ── The checker can fail ─────────────────────────────────────────────────────────────

fn defects_of(line: &str, lang: Lang) -> Vec<&'static str> {
    let deal = Deal {
        name: "Pearl River Bank core system replacement".to_owned(),
        data: vec![
            "Pearl River Bank core system replacement".to_owned(),
            "Pearl River Bank".to_owned(),
            "Ms. Lin".to_owned(),
            "周行长".to_owned(),
            "钱经理".to_owned(),
            "regulatory compliance without service interruption".to_owned(),
        ],
        honorific: Some(("贵行", "your bank")),
    };
    defects(line, Format::Text, lang, &deal)
}

#[test]
fn the_checker_finds_each_defect_on_a_bad_line() {
    let cases: &[(&str, Lang, &str)] = &[
        (
            "       - only 1 people identified so far",
            Lang::En,
            "1 with a plural",
        ),
        (
            "  3. [34] Visit more often: 1 visits in the last 30 days  kpi.visit_frequency",
            Lang::En,
            "1 with a plural",
        ),
        (
            "       - 0 visits and no calls or e-mails in the last 30 days",
            Lang::En,
            "zero form",
        ),
        ("       - 0 kinds of buying signal", Lang::En, "zero form"),
        (
            "       - kinds of proof in hand: 1",
            Lang::En,
            "label: number",
        ),
        ("       - open objections: 2", Lang::En, "label: number"),
        (
            "       - favours in the last 30 days: 0, target 1 a month",
            Lang::En,
            "label: number",
        ),
        (
            "  9. [34] 提高拜访频率：最近30天只拜访了0次，目标2次  kpi.visit_frequency",
            Lang::Zh,
            "0 with a measure word",
        ),
        (
            "       - 只有0种购买信号",
            Lang::Zh,
            "0 with a measure word",
        ),
        (
            "       - 已问的难点性问题0个",
            Lang::Zh,
            "0 with a measure word",
        ),
        ("       - this deal is worth 550000", Lang::En, "raw amount"),
        (
            "       - at 2400000, a deal this size always draws competitors",
            Lang::En,
            "raw amount",
        ),
        ("       - 本单金额600000", Lang::Zh, "raw amount"),
        (
            "       - revenue 1,800,000 in the last 12 months",
            Lang::En,
            "raw amount",
        ),
        (
            "       - 客户关系处于{{item.relationship_zh}}",
            Lang::Zh,
            "placeholder",
        ),
        (
            "       - 采购模式：repeat_volume",
            Lang::Zh,
            "id where a label belongs",
        ),
        (
            "  - objection.no_trust 来自 周行长 [未处理]",
            Lang::Zh,
            "id where a label belongs",
        ),
        (
            "       - 管道阶段：propose",
            Lang::Zh,
            "English word in a Chinese line",
        ),
        (
            "       - pipeline stage: 方案提交",
            Lang::En,
            "Chinese word in an English line",
        ),
        (
            "         ? 是什么事情让贵司决定在现在启动Pearl River Bank core system replacement？",
            Lang::Zh,
            "the deal's name in a question",
        ),
        (
            "         ? What would Pearl River Bank core system replacement have to achieve?",
            Lang::En,
            "the deal's name in a question",
        ),
        (
            "         ? 贵司对这类项目通常怎么安排付款节奏？",
            Lang::Zh,
            "honorific of another kind",
        ),
        (
            "         ? How does your company usually schedule payments?",
            Lang::En,
            "honorific of another kind",
        ),
        (
            "       - reaching the top decision maker is vital; his support raises the odds",
            Lang::En,
            "he or she",
        ),
        (
            "       - 得到他的支持，赢单几率会大增",
            Lang::Zh,
            "他 or 她",
        ),
        (
            "       - 使用者 钱经理支持我们",
            Lang::Zh,
            "space between Chinese words",
        ),
        (
            "       - 请 Ms. Lin 引荐你认识周行长",
            Lang::Zh,
            "space between Chinese words",
        ),
    ];
    for (line, lang, expected) in cases {
        let found = defects_of(line, *lang);
        assert!(
            found.iter().any(|defect| defect.contains(expected)),
            "`{line}` should show “{expected}”, found {found:?}"
        );
    }
}

#[test]
fn the_checker_finds_nothing_on_correct_lines() {
    let good: &[(&str, Lang)] = &[
        ("Pearl River Bank core system replacement · as of 2026-11-24  pearl-bank-core-2027", Lang::En),
        ("  1. [97] Get in front of 周行长, the top decision maker  decision.reach_top", Lang::En),
        ("       - one person identified so far; at least 3 expected", Lang::En),
        ("       - no visit and no calls or e-mails in the last 30 days", Lang::En),
        ("       - we have one kind of proof in hand; at least 2 kinds are recommended", Lang::En),
        ("       - problem questions: none yet; implication questions: 2 asked", Lang::En),
        ("       - the deal is worth 2.4M CNY and expected to close on 2027-01-15", Lang::En),
        ("       - 周行长 cares about: regulatory compliance without service interruption", Lang::En),
        ("       - 周行长 said: “对外部厂商不太放心”", Lang::En),
        ("         ? On “regulatory compliance without service interruption”, what would this project have to achieve?", Lang::En),
        ("         ? What would halving the errors save your bank in a year?", Lang::En),
        ("       - Ms. Lin backs us and has met us", Lang::En),
        ("  11 of 26 deals rated warmer than the evidence supports", Lang::En),
        ("   0  Orient Airlines crew scheduling   Orient Airlines   2.1M  late   80   2", Lang::En),
        ("  - agreed to a technical exchange — Ms. Lin: “Ms. Lin agreed”  signal.agreed_tech_exchange · signals[0]", Lang::En),
        ("  9. [34] 提高拜访频率：最近30天没有拜访，目标是每月2次  kpi.visit_frequency", Lang::Zh),
        ("       - 最近30天拜访了1次，电话和邮件一次也没有", Lang::Zh),
        ("       - 本单金额240万元，预计2027-01-15签约", Lang::Zh),
        ("       - 距预计签约还有10天", Lang::Zh),
        ("       - 为关键人周行长、Ms. Lin建立VIP客情关系卡", Lang::Zh),
        ("       - 请使用者钱经理向其他影响者讲讲一线的痛点，他们最有说服力", Lang::Zh),
        ("       - 周行长关心的是：regulatory compliance without service interruption", Lang::Zh),
        ("         ? 把差错减半，一年能为贵行省下多少？", Lang::Zh),
        ("  - 我不相信 — 周行长：“对外部厂商不太放心” [未处理]  objection.no_trust · objections[0]", Lang::Zh),
        ("四种购买影响者：使用者 已接触 · 技术把关者 已接触", Lang::Zh),
    ];
    for (line, lang) in good {
        let found = defects_of(line, *lang);
        assert!(found.is_empty(), "`{line}` is correct, found {found:?}");
    }
}

#[test]
fn markdown_lines_are_classified_like_text_lines() {
    let deal = Deal::default();
    let title = "1. **Get in front of 周行长, the top decision maker** (`decision.reach_top`, 97)";
    assert_eq!(classify(title, Format::Markdown).0, Kind::Title);
    let ask = "   - Ask: What would this project have to achieve?";
    assert_eq!(classify(ask, Format::Markdown).0, Kind::Question);
    let bad = "   - kinds of proof in hand: 1";
    assert!(!defects(bad, Format::Markdown, Lang::En, &deal).is_empty());
}

// ── Every text view of every deal ────────────────────────────────────────────────────

/// The checker's view of the deal in `path`: its name, the words its rep wrote, and the
/// honorific its customer is addressed by.
fn deal_of(path: &Path) -> Deal {
    let text = std::fs::read_to_string(path).expect("the deal is readable");
    let yaml: serde_yaml::Value = serde_yaml::from_str(&text).expect("the deal is YAML");
    let mut data = BTreeSet::new();
    collect_data(&yaml, false, &mut data);
    let mut data: Vec<String> = data.into_iter().filter(|text| !text.is_empty()).collect();
    data.sort_by_key(|text| std::cmp::Reverse(text.len()));
    let name = yaml["deal"]["name"].as_str().unwrap_or_default().to_owned();
    let account = yaml["account"]["name"].as_str();
    let kinds = EngineSettings::builtin().organisation_words;
    let kind = organisation_kind(account, &kinds);
    let honorific = HONORIFICS
        .iter()
        .find(|(known, _, _)| *known == kind)
        .map(|(_, zh, en)| (*zh, *en));
    Deal {
        name,
        data,
        honorific,
    }
}

/// The strings the rep wrote in their own words: names, titles, needs, what was said,
/// notes … (not the vocabulary words such as `champion`, which must never show as such).
fn collect_data(value: &serde_yaml::Value, own_words: bool, data: &mut BTreeSet<String>) {
    const OWN_WORDS: [&str; 14] = [
        "name",
        "title",
        "needs",
        "said",
        "next_step",
        "notes",
        "note",
        "text",
        "from",
        "with",
        "interests",
        "personal",
        "evidence",
        "id",
    ];
    match value {
        serde_yaml::Value::String(text) if own_words => {
            data.insert(text.clone());
        }
        serde_yaml::Value::Sequence(items) => {
            for item in items {
                collect_data(item, own_words, data);
            }
        }
        serde_yaml::Value::Mapping(map) => {
            for (key, item) in map {
                let own = key.as_str().is_some_and(|key| OWN_WORDS.contains(&key));
                collect_data(item, own, data);
            }
        }
        _ => {}
    }
}

fn run(args: &[&str]) -> String {
    let run = Cli::new(args).env("NO_COLOR", "1").run();
    assert!(matches!(run.code, 0 | 1), "{args:?}: {}", run.stderr);
    run.stdout
}

/// The defects of `next --all` on `path`, in both languages and the given formats.
fn next_defects(path: &Path, formats: &[Format]) -> Vec<String> {
    let deal = deal_of(path);
    let file = path.display().to_string();
    let mut found = Vec::new();
    for lang in [Lang::Zh, Lang::En] {
        for format in formats {
            let name = match format {
                Format::Text => "text",
                Format::Markdown => "markdown",
            };
            let args = [
                "next",
                &file,
                "--all",
                "--lang",
                lang.code(),
                "--format",
                name,
            ];
            let text = run(&args);
            assert!(!text.trim().is_empty(), "{args:?} printed nothing");
            for defect in check_output(&text, *format, lang, &deal) {
                found.push(format!("{file} ({}, {name}) {defect}", lang.code()));
            }
        }
    }
    found
}

/// Runs `check` over `paths` on a few threads (the processes dominate), failing with
/// every defect found.
fn assert_clean(paths: &[PathBuf], formats: &[Format]) {
    let workers = 4;
    let found: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|worker| {
                scope.spawn(move || {
                    paths
                        .iter()
                        .skip(worker)
                        .step_by(workers)
                        .flat_map(|path| next_defects(path, formats))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| handle.join().expect("a checker thread"))
            .collect()
    });
    assert!(
        found.is_empty(),
        "{} defects:\n{}",
        found.len(),
        found.join("\n")
    );
}

fn yaml_files(folder: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(folder))
        .expect("the folder exists")
        .map(|entry| entry.expect("a folder entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    files.sort();
    files
}

/// The deals of the playbook test files (`file` names one, `None` takes them all),
/// written as deal files into `dir`.
fn test_deals(dir: &Path, file: Option<&str>) -> Vec<PathBuf> {
    let mut written = Vec::new();
    for path in yaml_files("playbooks/tests") {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        if file.is_some_and(|file| file != stem) {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("the test file is readable");
        let yaml: serde_yaml::Value = serde_yaml::from_str(&text).expect("the test file is YAML");
        let Some(tests) = yaml["tests"].as_sequence() else {
            continue; // the detection corpus has no deals
        };
        for (index, test) in tests.iter().enumerate() {
            let deal = serde_yaml::to_string(&test["deal"]).expect("a deal serialises");
            let target = dir.join(format!("{stem}-{index:03}.yaml"));
            std::fs::write(&target, deal).expect("the temporary folder is writable");
            written.push(target);
        }
    }
    written
}

#[test]
fn every_example_deal_reads_right_in_text_and_markdown() {
    let mut paths = yaml_files("examples/deals");
    paths.extend(yaml_files("examples/pipeline"));
    assert!(paths.len() > 20, "the examples are there");
    // The product contract's examples, kept in the repository.
    let contract = yaml_files("tests/fixtures/contract");
    assert_eq!(
        contract.len(),
        3,
        "the contract's examples are in the repository"
    );
    paths.extend(contract);
    assert_clean(&paths, &[Format::Text, Format::Markdown]);
}

#[test]
fn every_whole_deal_test_case_reads_right_in_text_and_markdown() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let paths = test_deals(dir.path(), Some("whole_deals"));
    assert!(paths.len() > 5, "the whole-deal cases are there");
    assert_clean(&paths, &[Format::Text, Format::Markdown]);
}

/// The other test deals fire the rules the examples do not (the closed objections, a
/// strategic alliance …): their text views are checked too.
#[test]
fn every_playbook_test_deal_reads_right_in_text() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let paths: Vec<PathBuf> = test_deals(dir.path(), None)
        .into_iter()
        .filter(|path| !path.to_string_lossy().contains("whole_deals-"))
        .collect();
    assert!(paths.len() > 200, "the playbook test deals are there");
    assert_clean(&paths, &[Format::Text]);
}

#[test]
fn the_review_of_every_deal_reads_right() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut paths = test_deals(dir.path(), None);
    paths.extend(yaml_files("examples/deals"));
    paths.extend(yaml_files("examples/pipeline"));
    // One line per deal: the rep's words of every deal are data; there are no questions.
    let mut everyone = Deal::default();
    for path in &paths {
        everyone.data.extend(deal_of(path).data);
    }
    everyone
        .data
        .sort_by_key(|text| std::cmp::Reverse(text.len()));
    everyone.data.dedup();
    let folders = [
        root().join("examples/pipeline").display().to_string(),
        root().join("examples/deals").display().to_string(),
        dir.path().display().to_string(),
    ];
    let mut found = Vec::new();
    for lang in [Lang::Zh, Lang::En] {
        let mut args = vec!["review"];
        args.extend(folders.iter().map(String::as_str));
        args.extend(["--lang", lang.code()]);
        let text = run(&args);
        assert!(text.lines().count() > 50, "{args:?} reviewed the deals");
        for defect in check_output(&text, Format::Text, lang, &everyone) {
            found.push(format!("review ({}) {defect}", lang.code()));
        }
    }
    assert!(
        found.is_empty(),
        "{} defects:\n{}",
        found.len(),
        found.join("\n")
    );
}
