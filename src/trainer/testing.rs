//! Playbook test cases: a deal plus the concepts that must and must not appear.
//!
//! Trainers write them beside their rules (`playbooks/tests/*.yaml`), `dealcoach test` runs
//! them, and `cargo test` runs the built-in ones, so the method and its tests can't drift
//! apart. A test file may also hold a labelled `corpus` of note sentences for the
//! detector, scored by precision and recall.

use std::collections::BTreeSet;
use std::path::Path;

use indexmap::IndexMap;
use serde::Deserialize;

use crate::coach::{coach, Report};
use crate::detect::{score_corpus, CorpusEntry, CorpusScore, Tally};
use crate::diag::Diagnostic;
use crate::playbook::{Lang, Origin, Playbook, SourceFile};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTestFile {
    #[serde(default)]
    tests: Vec<TestCase>,
    #[serde(default)]
    corpus: Vec<CorpusEntry>,
}

/// One test case as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestCase {
    pub name: String,
    /// An inline snapshot, or a path relative to the test file.
    pub deal: serde_yaml::Value,
    #[serde(default)]
    pub expect: Expectations,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectations {
    /// Concepts that must appear among the moves or warnings.
    #[serde(default)]
    pub present: Vec<String>,
    /// Concepts that must not appear among the moves or warnings.
    #[serde(default)]
    pub absent: Vec<String>,
    /// Concept → it must be among the first N moves.
    #[serde(default)]
    pub top: IndexMap<String, usize>,
    /// Concept → it must be exactly the Nth move (1 = first).
    #[serde(default)]
    pub rank: IndexMap<String, usize>,
    /// Concept (or prefix) → it must not be among the first N moves (it may come later).
    #[serde(default)]
    pub not_top: IndexMap<String, usize>,
    /// Concept → texts its advice must contain (in English: in the title, a reason or a
    /// question), for texts built from the deal.
    #[serde(default)]
    pub says: IndexMap<String, Vec<String>>,
    /// Rule ids that must fire.
    #[serde(default)]
    pub fires: Vec<String>,
    /// Rule ids that must not fire.
    #[serde(default)]
    pub quiet: Vec<String>,
    /// Signal concepts that must be reported (declared or detected).
    #[serde(default)]
    pub signals: Vec<String>,
    /// Objection concepts that must be reported (declared or detected).
    #[serde(default)]
    pub objections: Vec<String>,
    /// Signal or objection concepts that must not be reported.
    #[serde(default)]
    pub not_detected: Vec<String>,
}

/// The outcome of one test.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub name: String,
    pub file: String,
    /// The line of the test's `name:` in its file (0 when not found).
    pub line: usize,
    /// Empty when the test passed.
    pub failures: Vec<String>,
    /// Extra lines to print even on success (the corpus's precision and recall).
    pub notes: Vec<String>,
    /// Lines printed only on request (`test --misses`): the tuning corpus's sentences
    /// not detected exactly as labelled.
    pub details: Vec<String>,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// All results of a run.
#[derive(Debug, Clone, Default)]
pub struct TestRun {
    pub outcomes: Vec<Outcome>,
    /// Rule ids fired by at least one test.
    pub fired: BTreeSet<String>,
    /// The labelled corpus's score, per part.
    pub corpus: Vec<(CorpusPart, CorpusScore)>,
}

/// The two parts of the labelled corpus. Held-out files (under `playbooks/tests/heldout/`)
/// were written before any tuning, by another hand: they measure how the detector reads
/// notes it was not tuned on, so they are scored but never listed sentence by sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorpusPart {
    Tuning,
    HeldOut,
}

impl CorpusPart {
    pub fn label(self) -> &'static str {
        match self {
            CorpusPart::Tuning => "tuning part",
            CorpusPart::HeldOut => "held-out part, never tuned on",
        }
    }

    fn folder(self) -> &'static str {
        match self {
            CorpusPart::Tuning => "playbooks/tests",
            CorpusPart::HeldOut => HELD_OUT_FOLDER,
        }
    }
}

/// Where the held-out part of the corpus lives, inside the playbook folder.
pub const HELD_OUT_FOLDER: &str = "playbooks/tests/heldout/";

fn is_held_out(path: &str) -> bool {
    path.starts_with(HELD_OUT_FOLDER)
}

/// Precision and recall per concept, one line each, after the overall figure.
fn score_table(score: &CorpusScore) -> Vec<String> {
    let width = score
        .per_concept
        .iter()
        .map(|(concept, _)| concept.len())
        .max()
        .unwrap_or(0)
        .max("all concepts".len());
    let line = |label: &str, tally: &Tally| {
        format!(
            "{label:<width$}  precision {:.3}  recall {:.3}  ({} found right, {} wrong, {} missed)",
            tally.precision(),
            tally.recall(),
            tally.true_positives,
            tally.false_positives,
            tally.false_negatives
        )
    };
    let mut lines = vec![line("all concepts", &score.total)];
    lines.extend(
        score
            .per_concept
            .iter()
            .map(|(concept, tally)| line(concept, tally)),
    );
    lines
}

impl TestRun {
    pub fn passed(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|outcome| outcome.passed())
            .count()
    }
    pub fn failed(&self) -> usize {
        self.outcomes.len() - self.passed()
    }
    /// Rules that no test fired, in playbook order.
    pub fn uncovered<'a>(&self, playbook: &'a Playbook) -> Vec<&'a crate::playbook::Rule> {
        playbook
            .rules
            .iter()
            .map(|compiled| &compiled.rule)
            .filter(|rule| !self.fired.contains(&rule.id))
            .collect()
    }
}

/// A test file with its cases and its detection corpus.
pub type TestFile = (SourceFile, Vec<TestCase>, Vec<CorpusEntry>);

/// Loads every test file of the playbook folder. A file that does not parse is an error
/// naming its place.
pub fn load_tests(playbook: &Playbook) -> Result<Vec<TestFile>, Vec<Diagnostic>> {
    let mut loaded = Vec::new();
    let mut problems = Vec::new();
    for file in playbook.files.test_yaml() {
        if file.text.trim().is_empty() {
            continue;
        }
        match crate::snapshot::from_yaml::<RawTestFile>(&file.text, &file.path) {
            Ok(raw) => loaded.push((file.clone(), raw.tests, raw.corpus)),
            Err(problem) => problems.push(problem),
        }
    }
    if problems.is_empty() {
        Ok(loaded)
    } else {
        Err(problems)
    }
}

/// Runs the tests whose name contains `filter` (all when `None`), in English.
pub fn run_tests(playbook: &Playbook, filter: Option<&str>) -> Result<TestRun, Vec<Diagnostic>> {
    run_tests_in(playbook, filter, Lang::En)
}

/// [`run_tests`], filling the texts in `lang` (a text that fails in one language only
/// fails its test there).
pub fn run_tests_in(
    playbook: &Playbook,
    filter: Option<&str>,
    lang: Lang,
) -> Result<TestRun, Vec<Diagnostic>> {
    let files = load_tests(playbook)?;
    let known_concepts: BTreeSet<&str> = playbook
        .rules
        .iter()
        .map(|compiled| compiled.rule.concept.as_str())
        .collect();
    let known_rules: BTreeSet<&str> = playbook
        .rules
        .iter()
        .map(|compiled| compiled.rule.id.as_str())
        .collect();
    let mut run = TestRun::default();
    let mut tuning = (0usize, CorpusScore::default());
    let mut held_out = (0usize, CorpusScore::default());
    for (file, tests, corpus) in &files {
        for test in tests {
            if filter.is_some_and(|pattern| !test.name.contains(pattern)) {
                continue;
            }
            let mut failures = Vec::new();
            match test_report(playbook, file, test, lang) {
                Ok((report, snapshot)) => {
                    // A pipeline review computes less (see docs/playbooks.md): on every
                    // test deal of any folder, it must fire what `next` fires.
                    if let Some(disagreement) = review_disagrees(playbook, &snapshot) {
                        failures.push(disagreement);
                    }
                    // Kept, folded into another move, or set aside by the judgement: the
                    // rule fired either way.
                    run.fired.extend(report.advice().flat_map(|a| {
                        std::iter::once(a.rule.id.clone())
                            .chain(a.steps.iter().map(|step| step.rule.clone()))
                    }));
                    run.fired
                        .extend(report.suppressed.iter().map(|s| s.rule.clone()));
                    failures.extend(check_expectations(
                        &test.expect,
                        &report,
                        &known_concepts,
                        &known_rules,
                    ));
                }
                Err(message) => failures.push(message),
            }
            run.outcomes.push(Outcome {
                name: test.name.clone(),
                file: file.path.clone(),
                line: name_line(&file.text, &test.name),
                failures,
                notes: Vec::new(),
                details: Vec::new(),
            });
        }
        if !corpus.is_empty() {
            let part = if is_held_out(&file.path) {
                &mut held_out
            } else {
                &mut tuning
            };
            let mut score = score_corpus(&playbook.detector, corpus);
            for failure in &mut score.failures {
                *failure = format!("{}: {failure}", file.path);
            }
            part.0 += 1;
            part.1.add(&score);
        }
    }
    let wanted = |name: &str| {
        filter.is_none_or(|pattern| name.contains(pattern) || "corpus".contains(pattern))
    };
    let goal = playbook.detector.goal();
    for (part, (files, score)) in [
        (CorpusPart::Tuning, tuning),
        (CorpusPart::HeldOut, held_out),
    ] {
        if files == 0 {
            continue;
        }
        let name = format!(
            "corpus, {} ({} sentences in {} file{})",
            part.label(),
            score.sentences,
            files,
            if files == 1 { "" } else { "s" }
        );
        if !wanted(&name) {
            continue;
        }
        let below = score.precision() < goal.precision || score.recall() < goal.recall;
        let verdict = format!(
            "precision {:.3}, recall {:.3}: {} the goal (precision {:.2}, recall {:.2})",
            score.precision(),
            score.recall(),
            if below { "below" } else { "meets" },
            goal.precision,
            goal.recall
        );
        let mut notes = score_table(&score);
        let (failures, details) = match part {
            // The tuning part is what trainers improve: below the goal it fails, and
            // its misses can be listed (`--misses`).
            CorpusPart::Tuning => (
                if below { vec![verdict] } else { Vec::new() },
                score.failures.clone(),
            ),
            // The held-out part is only measured: its sentences are never shown, so
            // nobody tunes the phrases to them by accident.
            CorpusPart::HeldOut => {
                notes.push(verdict);
                (Vec::new(), Vec::new())
            }
        };
        run.corpus.push((part, score));
        run.outcomes.push(Outcome {
            name,
            file: part.folder().to_owned(),
            line: 0,
            failures,
            notes,
            details,
        });
    }
    Ok(run)
}

/// The line of the first `name:` (or key) that holds `name`.
fn name_line(text: &str, name: &str) -> usize {
    text.lines()
        .position(|line| {
            let trimmed = line.trim_start().trim_start_matches("- ");
            (trimmed.starts_with("name:") || trimmed.starts_with(&format!("{name}:")))
                && line.contains(name)
        })
        .map_or(0, |index| index + 1)
}

/// Why a review of this deal would not fire what `next` fires: the rules fired, in
/// order, with their priorities, and the rules that failed.
fn review_disagrees(playbook: &Playbook, snapshot: &crate::snapshot::Snapshot) -> Option<String> {
    let (next, review) = match (
        crate::coach::firings(playbook, snapshot, false),
        crate::coach::firings(playbook, snapshot, true),
    ) {
        (Ok(next), Ok(review)) => (next, review),
        (Err(message), _) | (_, Err(message)) => return Some(message),
    };
    if next.0 != review.0 {
        // Name the rules that differ, not the whole list.
        fn tally(fired: &[(String, Option<i64>)]) -> indexmap::IndexMap<&str, Vec<Option<i64>>> {
            let mut counts: indexmap::IndexMap<&str, Vec<Option<i64>>> = indexmap::IndexMap::new();
            for (id, priority) in fired {
                counts.entry(id.as_str()).or_default().push(*priority);
            }
            counts
        }
        let (in_next, in_review) = (tally(&next.0), tally(&review.0));
        let differing: Vec<String> = in_next
            .keys()
            .chain(in_review.keys())
            .copied()
            .collect::<indexmap::IndexSet<&str>>()
            .into_iter()
            .filter(|id| in_next.get(id) != in_review.get(id))
            .map(|id| {
                let times = |counts: &indexmap::IndexMap<&str, Vec<Option<i64>>>| {
                    counts.get(id).map_or(0, Vec::len)
                };
                format!(
                    "rule `{id}` fires {} times in a review and {} times in `next`",
                    times(&in_review),
                    times(&in_next)
                )
            })
            .collect();
        let differing = if differing.is_empty() {
            "the rules fire in another order".to_owned()
        } else {
            differing.join("; ")
        };
        return Some(format!(
            "a review disagrees with `next` on this deal: {differing} (a defect of the engine: please report it with this deal)"
        ));
    }
    (next.1 != review.1).then(|| {
        format!(
            "a review fails rules [{}] where `next` fails [{}]",
            review.1.join(", "),
            next.1.join(", ")
        )
    })
}

fn test_report(
    playbook: &Playbook,
    file: &SourceFile,
    test: &TestCase,
    lang: Lang,
) -> Result<(Report, crate::snapshot::Snapshot), String> {
    let label = format!("{} (test `{}`)", file.path, test.name);
    let text = match &test.deal {
        serde_yaml::Value::String(relative) => read_relative(playbook, &file.path, relative)?,
        inline => serde_yaml::to_string(inline)
            .map_err(|error| format!("cannot read the inline deal: {error}"))?,
    };
    let snapshot = crate::snapshot::parse(&text, &label, &playbook.aliases)
        .map_err(|problem| format!("the deal is invalid: {problem}"))?;
    let report = coach(playbook, &snapshot, lang)?;
    if let Some(error) = report.errors.first() {
        return Err(format!("rule `{}` failed: {}", error.id, error.message));
    }
    Ok((report, snapshot))
}

/// A deal file named by a test, relative to the test file: looked up among the
/// playbook's files (so built-in tests work without the source tree), then on disk.
fn read_relative(playbook: &Playbook, test_path: &str, relative: &str) -> Result<String, String> {
    let base = Path::new(test_path).parent().unwrap_or(Path::new(""));
    let joined = normalize(&base.join(relative));
    if let Some(file) = playbook.files.file(&joined) {
        return Ok(file.text.clone());
    }
    if let Origin::Folder(folder) = &playbook.origin {
        let full = folder.join(&joined);
        return crate::snapshot::read_text(
            &full.display().to_string(),
            crate::snapshot::max_input_bytes(),
        )
        .map_err(|problem| problem.to_string());
    }
    Err(format!("no deal file `{relative}` (looked for {joined})"))
}

fn normalize(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for component in path.components() {
        match component {
            std::path::Component::ParentDir => {
                parts.pop();
            }
            std::path::Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            _ => {}
        }
    }
    parts.join("/")
}

fn check_expectations(
    expect: &Expectations,
    report: &Report,
    known_concepts: &BTreeSet<&str>,
    known_rules: &BTreeSet<&str>,
) -> Vec<String> {
    let mut failures = Vec::new();
    // A move folded into another (`merge:`) is said as one of its steps: present, and
    // ranked where the move holding it is.
    let advice: Vec<&str> = report
        .advice()
        .flat_map(|a| {
            std::iter::once(a.concept.as_str()).chain(a.steps.iter().map(|s| s.concept.as_str()))
        })
        .collect();
    // A rule fired when its condition held, whether what it said was kept or set aside.
    let fired: BTreeSet<&str> = report
        .advice()
        .flat_map(|a| {
            std::iter::once(a.rule.id.as_str()).chain(a.steps.iter().map(|s| s.rule.as_str()))
        })
        .chain(report.suppressed.iter().map(|s| s.rule.as_str()))
        .collect();
    let position = |concept: &str| {
        report.moves.iter().position(|a| {
            a.concept == concept || a.steps.iter().any(|step| step.concept == concept)
        })
    };
    let listing = || {
        format!(
            "got: {}",
            if advice.is_empty() {
                "nothing".to_owned()
            } else {
                moves_and_warnings(report)
            }
        )
    };

    let mentioned = expect
        .present
        .iter()
        .chain(&expect.absent)
        .chain(expect.top.keys())
        .chain(expect.rank.keys());
    for concept in mentioned {
        if !known_concepts.contains(concept.as_str()) {
            failures.push(format!(
                "expects concept `{concept}`, which no rule produces"
            ));
        }
    }
    for id in expect.fires.iter().chain(&expect.quiet) {
        if !known_rules.contains(id.as_str()) {
            failures.push(format!("names rule `{id}`, which does not exist"));
        }
    }
    for concept in &expect.present {
        if !advice.contains(&concept.as_str()) {
            failures.push(format!(
                "expected `{concept}`, but it did not appear ({})",
                listing()
            ));
        }
    }
    for concept in &expect.absent {
        if advice.contains(&concept.as_str()) {
            failures.push(format!("`{concept}` appeared but must not"));
        }
    }
    for (concept, within) in &expect.top {
        match position(concept) {
            Some(index) if index < *within => {}
            Some(index) => failures.push(format!(
                "expected `{concept}` in the top {within} moves, but it is move {} ({})",
                index + 1,
                listing()
            )),
            None => failures.push(format!(
                "expected `{concept}` in the top {within} moves, but it is not a move ({})",
                listing()
            )),
        }
    }
    for (pattern, within) in &expect.not_top {
        let early = report.moves.iter().take(*within).find(|advice| {
            crate::views::concept_matches(&advice.concept, pattern)
                || advice
                    .steps
                    .iter()
                    .any(|step| crate::views::concept_matches(&step.concept, pattern))
        });
        if let Some(advice) = early {
            failures.push(format!(
                "`{pattern}` must not be in the top {within} moves, but `{}` is ({})",
                advice.concept,
                listing()
            ));
        }
    }
    for (concept, texts) in &expect.says {
        let Some(advice) = report.advice().find(|advice| advice.concept == *concept) else {
            failures.push(format!(
                "`{concept}` must say something, but it is not advised ({})",
                listing()
            ));
            continue;
        };
        let said: Vec<&str> = std::iter::once(advice.title.as_str())
            .chain(advice.why.iter().map(String::as_str))
            .chain(advice.questions.iter().flatten().map(String::as_str))
            .collect();
        for text in texts {
            if !said.iter().any(|line| line.contains(text.as_str())) {
                failures.push(format!(
                    "`{concept}` must say “{text}”, but it says:\n      {}",
                    said.join("\n      ")
                ));
            }
        }
    }
    for (concept, rank) in &expect.rank {
        match position(concept) {
            Some(index) if index + 1 == *rank => {}
            Some(index) => failures.push(format!(
                "expected `{concept}` as move {rank}, but it is move {}",
                index + 1
            )),
            None => failures.push(format!(
                "expected `{concept}` as move {rank}, but it is not a move"
            )),
        }
    }
    for id in &expect.fires {
        if !fired.contains(id.as_str()) {
            failures.push(format!("expected rule `{id}` to fire, but it stayed quiet"));
        }
    }
    for id in &expect.quiet {
        if fired.contains(id.as_str()) {
            failures.push(format!("rule `{id}` fired but must stay quiet"));
        }
    }
    let reported = |list: &[crate::coach::SightingOut], concept: &str| {
        list.iter().any(|s| s.concept == concept)
    };
    for concept in &expect.signals {
        if !reported(&report.signals, concept) {
            failures.push(format!("expected signal `{concept}` to be reported"));
        }
    }
    for concept in &expect.objections {
        if !reported(&report.objections, concept) {
            failures.push(format!("expected objection `{concept}` to be reported"));
        }
    }
    for concept in &expect.not_detected {
        if reported(&report.signals, concept) || reported(&report.objections, concept) {
            failures.push(format!("`{concept}` was reported but must not be"));
        }
    }
    failures
}

fn moves_and_warnings(report: &Report) -> String {
    let moves: Vec<String> = report.moves.iter().map(|a| a.concept.clone()).collect();
    let warnings: Vec<String> = report.warnings.iter().map(|a| a.concept.clone()).collect();
    format!(
        "moves [{}], warnings [{}]",
        moves.join(", "),
        warnings.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coach::Advice;
    use crate::playbook::PlaybookFiles;

    /// Every deal of the built-in tests and of the examples: (name, text).
    fn every_known_deal(playbook: &Playbook) -> Vec<(String, String)> {
        let mut deals: Vec<(String, String)> = Vec::new();
        for (file, tests, _) in load_tests(playbook).expect("built-in tests load") {
            for test in tests {
                let text = match &test.deal {
                    serde_yaml::Value::String(relative) => {
                        read_relative(playbook, &file.path, relative).expect("deal file")
                    }
                    inline => serde_yaml::to_string(inline).expect("inline deal"),
                };
                deals.push((test.name.clone(), text));
            }
        }
        let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
        for folder in [examples.join("deals"), examples.join("pipeline")] {
            for entry in std::fs::read_dir(&folder).expect("examples folder") {
                let path = entry.expect("entry").path();
                let text = std::fs::read_to_string(&path).expect("example deal");
                deals.push((path.display().to_string(), text));
            }
        }
        assert!(deals.len() > 300, "only {} deals found", deals.len());
        deals
    }

    /// Every built-in test deal and every example deal gives the same report, in both
    /// languages, whether the simple scripts are evaluated directly or all by rhai.
    #[test]
    fn direct_evaluation_gives_the_reports_rhai_gives() {
        let direct = Playbook::load(PlaybookFiles::builtin()).expect("built-in playbooks");
        let mut interpreted = Playbook::load(PlaybookFiles::builtin()).expect("built-in");
        interpreted.scripts.interpret_only();
        for (name, text) in &every_known_deal(&direct) {
            let snapshot = crate::snapshot::parse(text, name, &direct.aliases).expect(name);
            for lang in [Lang::En, Lang::Zh] {
                let fast = coach(&direct, &snapshot, lang).expect(name);
                let reference = coach(&interpreted, &snapshot, lang).expect(name);
                assert_eq!(
                    serde_json::to_string(&fast).expect("json"),
                    serde_json::to_string(&reference).expect("json"),
                    "{name}"
                );
            }
        }
    }

    /// A review's headline (derived values computed on demand, single elements built only
    /// for the move shown) fires the same rules, in the same order, with the same
    /// priorities and failures as the full report, and the same first title.
    #[test]
    fn a_headline_agrees_with_the_full_report() {
        let playbook = Playbook::load(PlaybookFiles::builtin()).expect("built-in playbooks");
        let outline = |advice: &Advice| {
            (
                advice.concept.clone(),
                advice.rule.id.clone(),
                advice.priority,
                advice.severity,
            )
        };
        for (name, text) in &every_known_deal(&playbook) {
            let snapshot = crate::snapshot::parse(text, name, &playbook.aliases).expect(name);
            for lang in [Lang::En, Lang::Zh] {
                let full = coach(&playbook, &snapshot, lang).expect(name);
                let headline = crate::coach::coach_with(
                    &playbook,
                    &snapshot,
                    lang,
                    crate::coach::Detail::Headline,
                )
                .expect(name);
                let fired = |report: &Report| report.advice().map(outline).collect::<Vec<_>>();
                assert_eq!(fired(&full), fired(&headline), "{name}");
                assert_eq!(
                    full.moves.first().map(|advice| &advice.title),
                    headline.moves.first().map(|advice| &advice.title),
                    "{name}"
                );
                let failed = |report: &Report| {
                    let mut ids: Vec<String> =
                        report.errors.iter().map(|error| error.id.clone()).collect();
                    ids.sort();
                    ids
                };
                assert_eq!(failed(&full), failed(&headline), "{name}");
            }
        }
    }
}
