//! The detector's mechanics, on a small playbook and on the shipped phrase data.

use super::corpus::*;
use super::*;
use serde::Deserialize;

const PLAYBOOK: &str = include_str!("../../playbooks/detection.yaml");
const EXAMPLES: &str = include_str!("../../playbooks/detection-examples.yaml");
const CORPUS: &str = include_str!("../../playbooks/tests/corpus.yaml");

#[derive(Deserialize)]
struct PlaybookFile {
    detection: DetectionConfig,
}

#[derive(Deserialize)]
struct CorpusFile {
    corpus: Vec<CorpusEntry>,
}

/// The shipped detection data: the patterns and the classifier's examples, merged as
/// the playbook loader merges them.
fn playbook() -> DetectionConfig {
    let mut merged = config(PLAYBOOK);
    if let Err(error) = merged.merge(config(EXAMPLES)) {
        panic!("the shipped detection files do not merge: {error}");
    }
    merged
}

fn corpus() -> Vec<CorpusEntry> {
    match serde_yaml::from_str::<CorpusFile>(CORPUS) {
        Ok(file) => file.corpus,
        Err(error) => panic!("playbooks/tests/corpus.yaml does not parse: {error}"),
    }
}

fn shipped() -> &'static Detector {
    static DETECTOR: std::sync::OnceLock<Detector> = std::sync::OnceLock::new();
    DETECTOR.get_or_init(|| playbook().compile())
}

/// (concept, from) pairs, the part of a finding most tests care about.
fn found(text: &str, names: &[&str]) -> Vec<(String, Option<String>)> {
    shipped()
        .detect_names(text, names)
        .into_iter()
        .map(|f| (f.concept, f.from))
        .collect()
}

fn finding(concept: &str, from: Option<&str>) -> (String, Option<String>) {
    (concept.to_string(), from.map(str::to_string))
}

/// A tiny playbook, so mechanics are tested apart from the shipped phrase lists.
fn config(yaml: &str) -> DetectionConfig {
    match serde_yaml::from_str::<PlaybookFile>(yaml) {
        Ok(file) => file.detection,
        Err(error) => panic!("test playbook does not parse: {error}"),
    }
}

const SMALL: &str = r#"
detection:
  clause_breaks: {zh: [但是, 不过], en: [but]}
  negators: {zh: [不, 没, 不是], en: [not, no, "*n't"]}
  not_negators: {zh: [不错], en: [not only]}
  not_a_problem: {zh: [没问题], en: [not an issue]}
  words:
    title: {zh: [老板, 领导], en: [boss, cfo]}
  concepts:
    objection.no_budget:
      zh: [没有预算, 预算*用完]
      en: [no budget, "budget* * used up"]
      unless: {en: [whether * budget]}
    objection.no_need:
      zh: [不需要]
      en: [no need]
    signal.introduced_senior:
      zh: ["引荐*{title}"]
      en: ["introduc* * {title}"]
    signal.agreed_tech_exchange:
      zh: [同意*技术交流]
      en: ["agree* * tech exchange"]
"#;

fn small(text: &str, names: &[&str]) -> Vec<(String, Option<String>)> {
    config(SMALL)
        .compile()
        .detect_names(text, names)
        .into_iter()
        .map(|f| (f.concept, f.from))
        .collect()
}

#[test]
fn the_acme_example_note_gives_its_objections_and_signal_in_the_customers_words() {
    let note = "李总说今年预算已经用完了，明年再看。王工同意下周安排技术交流会。";
    let findings = shipped().detect_names(note, &["李总", "王工", "赵主管"]);
    let read: Vec<(&str, Option<&str>, &str)> = findings
        .iter()
        .map(|f| (f.concept.as_str(), f.from.as_deref(), f.evidence.as_str()))
        .collect();
    assert_eq!(
        read,
        vec![
            ("objection.no_budget", Some("李总"), "今年预算已经用完了"),
            (
                "signal.agreed_tech_exchange",
                Some("王工"),
                "同意下周安排技术交流会"
            ),
        ]
    );
    assert!(
        findings
            .iter()
            .all(|f| matches!(f.basis, Basis::Pattern { .. })),
        "{findings:#?}"
    );
}

#[test]
fn saying_budget_is_not_a_problem_is_no_objection() {
    for note in [
        "预算没问题。",
        "Budget is not an issue.",
        "The budget issue is no longer a problem.",
    ] {
        assert_eq!(found(note, &[]), vec![], "{note}");
    }
    assert_eq!(small("预算没问题", &[]), vec![]);
    assert_eq!(small("budget is not an issue", &[]), vec![]);
}

#[test]
fn a_negator_that_is_part_of_the_phrase_does_not_cancel_it() {
    let no_budget = vec![finding("objection.no_budget", None)];
    assert_eq!(small("没有预算", &[]), no_budget);
    assert_eq!(small("they have no budget", &[]), no_budget);
    assert_eq!(small("预算已经用完了", &[]), no_budget);
    // two objections in one clause: neither phrase's 没/no negates the other
    assert_eq!(
        small("没有预算也不需要", &[]),
        vec![
            finding("objection.no_budget", None),
            finding("objection.no_need", None)
        ]
    );
}

#[test]
fn a_negator_before_the_phrase_or_in_its_gap_cancels_it() {
    assert_eq!(small("不是没有预算", &[]), vec![]);
    assert_eq!(small("预算还没用完", &[]), vec![]);
    assert_eq!(small("the budget is not used up", &[]), vec![]);
    assert_eq!(small("王工没同意技术交流", &["王工"]), vec![]);
    assert_eq!(
        found("Sun Hao did not agree to a technical workshop.", &[]),
        vec![]
    );
}

#[test]
fn a_double_negative_is_not_an_objection() {
    assert_eq!(small("不是不需要", &[]), vec![]);
    assert_eq!(found("我们不是不需要这套系统。", &[]), vec![]);
    assert_eq!(found("It's not that they don't need it.", &[]), vec![]);
    assert_eq!(found("We do need it.", &[]), vec![]);
    assert_eq!(
        small("不需要", &[]),
        vec![finding("objection.no_need", None)]
    );
}

#[test]
fn a_word_containing_a_negator_does_not_negate() {
    assert_eq!(
        small("方案不错同意技术交流", &[]),
        vec![finding("signal.agreed_tech_exchange", None)]
    );
    assert_eq!(
        found("没想到李总这么快就同意了技术交流会。", &["李总"]),
        vec![finding("signal.agreed_tech_exchange", Some("李总"))]
    );
}

#[test]
fn not_a_problem_cancels_objections_but_not_signals() {
    assert_eq!(
        small("没问题同意技术交流", &[]),
        vec![finding("signal.agreed_tech_exchange", None)]
    );
    assert_eq!(small("没问题没有预算", &[]), vec![]);
}

#[test]
fn unless_phrases_cancel_their_concept_in_the_clause() {
    assert_eq!(small("unclear whether they have no budget", &[]), vec![]);
    assert_eq!(found("They are not in a hurry to drop us.", &[]), vec![]);
    assert_eq!(
        found("They are in no hurry to replace their old ERP.", &[]),
        vec![finding("objection.no_hurry", None)]
    );
}

#[test]
fn negation_stops_at_the_clause_boundary() {
    // the 没 of the first clause does not reach the second
    assert_eq!(
        small("王工没来，但是李总同意技术交流", &["王工", "李总"]),
        vec![finding("signal.agreed_tech_exchange", Some("李总"))]
    );
    assert_eq!(
        small(
            "Chen did not come but Sun agreed to a tech exchange",
            &["Chen", "Sun"]
        ),
        vec![finding("signal.agreed_tech_exchange", Some("Sun"))]
    );
    // a conjunction splits even without punctuation
    assert_eq!(
        small("不是不需要不过没有预算", &[]),
        vec![finding("objection.no_budget", None)]
    );
}

#[test]
fn a_question_states_nothing() {
    assert_eq!(small("王工同意技术交流吗？", &["王工"]), vec![]);
    assert_eq!(small("王工，同意技术交流吗", &["王工"]), vec![]);
    assert_eq!(
        small("agreed to a tech exchange? 没有预算。", &[]),
        vec![finding("objection.no_budget", None)]
    );
    // the question's names do not carry into the next sentence
    assert_eq!(
        small("王工呢？没有预算", &["王工"]),
        vec![finding("objection.no_budget", None)]
    );
}

#[test]
fn a_clause_break_inside_a_listed_phrase_does_not_split_it() {
    // 不过 ("but") is inside 信不过 ("do not trust")
    assert_eq!(
        found("他们信不过我们的交付团队。", &[]),
        vec![finding("objection.no_trust", None)]
    );
}

#[test]
fn evidence_is_the_matching_clause_not_the_whole_note() {
    let findings = small("拜访了王工。\n- 李总说没有预算， 明年再看\n", &["李总"]);
    assert_eq!(findings, vec![finding("objection.no_budget", Some("李总"))]);
    let detailed = config(SMALL).compile().detect_names(
        "Visited the site; \"they have no budget\", but agreed to a tech exchange.",
        &[],
    );
    let evidence: Vec<&str> = detailed.iter().map(|f| f.evidence.as_str()).collect();
    assert_eq!(
        evidence,
        vec!["they have no budget", "agreed to a tech exchange"]
    );
}

#[test]
fn the_speaker_is_the_nearest_name_before_the_phrase_in_the_sentence() {
    let names = ["王工", "李总"];
    // same clause wins over an earlier clause
    assert_eq!(
        small("王工说，李总没有预算", &names),
        vec![finding("objection.no_budget", Some("李总"))]
    );
    // nearest before, within one clause
    assert_eq!(
        found("王工说李总不太相信我们的交付能力。", &names),
        vec![finding("objection.no_trust", Some("李总"))]
    );
    // earlier clause of the same sentence
    assert_eq!(
        small("李总说，今年没有预算", &names),
        vec![finding("objection.no_budget", Some("李总"))]
    );
    // a name in an earlier sentence is not carried over
    assert_eq!(
        small("李总来了。没有预算", &names),
        vec![finding("objection.no_budget", None)]
    );
    // a name inside the phrase is its object, not its speaker
    assert_eq!(
        small("王工同意引荐李总老板", &names),
        vec![finding("signal.introduced_senior", Some("王工"))]
    );
    // a name after the phrase in its clause when none comes before
    assert_eq!(
        small("no budget according to Chen Jie", &["Chen Jie"]),
        vec![finding("objection.no_budget", Some("Chen Jie"))]
    );
}

#[test]
fn english_names_match_whole_words_in_any_case() {
    assert_eq!(
        small("MA LIN's team has no budget", &["Ma Lin"]),
        vec![finding("objection.no_budget", Some("Ma Lin"))]
    );
    // "Li" is not found inside "Liu"
    assert_eq!(
        small("Liu has no budget", &["Li"]),
        vec![finding("objection.no_budget", None)]
    );
    // an abbreviation's period does not end the sentence
    assert_eq!(
        found(
            "Mr. Chen agreed to move forward with the proposal.",
            &["Mr. Chen"]
        ),
        vec![finding("signal.agreed_next_step", Some("Mr. Chen"))]
    );
}

#[test]
fn english_phrases_match_whole_words_only() {
    assert_eq!(small("kno needle", &[]), vec![]);
    assert_eq!(small("no needles here", &[]), vec![]);
    assert_eq!(
        small("NO NEED.", &[]),
        vec![finding("objection.no_need", None)]
    );
    assert_eq!(
        small("no   need", &[]),
        vec![finding("objection.no_need", None)]
    );
    // a * glued to a word lets it continue; with a space the next word stays whole
    assert_eq!(
        small("budgets are used up", &[]),
        vec![finding("objection.no_budget", None)]
    );
    assert_eq!(
        small("he introduced us to the CFO", &[]),
        vec![finding("signal.introduced_senior", None)]
    );
    assert_eq!(small("he introduced us to the cfos", &[]), vec![]);
}

#[test]
fn typography_does_not_matter() {
    // curly apostrophe, full-width letters, spaces between Chinese characters
    assert_eq!(
        found("They don’t need it.", &[]),
        vec![finding("objection.no_need", None)]
    );
    assert_eq!(
        found("对方同意先做ＰＯＣ。", &[]),
        vec![finding("signal.agreed_next_step", None)]
    );
    assert_eq!(
        small("没有 预算", &[]),
        vec![finding("objection.no_budget", None)]
    );
    assert_eq!(
        small("没有\u{200B}预算", &[]),
        vec![finding("objection.no_budget", None)]
    );
}

#[test]
fn one_finding_per_concept_and_speaker_per_note_in_order_of_appearance() {
    assert_eq!(
        small("没有预算也没有预算", &[]),
        vec![finding("objection.no_budget", None)]
    );
    // the same objection from the same person twice is one objection, with both words
    let twice = config(SMALL)
        .compile()
        .detect_names("没有预算，预算已经用完了。李总：没有预算", &["李总"]);
    let read: Vec<(&str, Option<&str>, &str)> = twice
        .iter()
        .map(|f| (f.concept.as_str(), f.from.as_deref(), f.evidence.as_str()))
        .collect();
    assert_eq!(
        read,
        vec![
            ("objection.no_budget", None, "没有预算 / 预算已经用完了"),
            ("objection.no_budget", Some("李总"), "没有预算"),
        ]
    );
    assert_eq!(
        small("同意技术交流，不需要", &[]),
        vec![
            finding("signal.agreed_tech_exchange", None),
            finding("objection.no_need", None)
        ]
    );
}

#[test]
fn odd_input_never_panics() {
    let detector = shipped();
    let odd = [
        "",
        " ",
        "\n\n\r\n",
        "，。；！？、",
        "...",
        ".a.b.c",
        "e.g.",
        "*",
        "{senior}",
        "\u{0}\u{1}\u{7f}",
        "\u{200B}\u{FEFF}\u{200D}",
        "e\u{301}\u{301}\u{301}",
        "🙂🙂 no budget 🙂",
        "مرحبا no budget שלום",
        "\u{202E}没有预算\u{202C}",
        "İstanbul ǅ ß ﬁ",
        "𠀀𠀁 没有预算 𪚥",
        "但是但是但是",
        "but but but",
    ];
    for text in odd {
        let _ = detector.detect_names(text, &[]);
        let _ = detector.detect_names(text, &["", " ", "*", "🙂", "李总", "e\u{301}", "but"]);
    }
    assert_eq!(
        detector.detect_names("🙂🙂 no budget 🙂", &["🙂"]).len(),
        1,
        "emoji around a phrase do not hide it"
    );
}

#[test]
fn very_long_text_is_read_in_linear_time() {
    let detector = shipped();
    let long_clause = "预算".repeat(50_000) + "用完";
    assert_eq!(detector.detect_names(&long_clause, &["李总"]).len(), 1);
    let negators = "不".repeat(100_000) + "需要";
    let _ = detector.detect_names(&negators, &[]);
    let words = "no need budget agreed tech exchange ".repeat(5_000);
    let _ = detector.detect_names(&words, &["no", "need"]);
    let note = "李总说今年预算已经用完了，明年再看。王工同意下周安排技术交流会。".repeat(2_000);
    let started = std::time::Instant::now();
    assert_eq!(detector.detect_names(&note, &["李总", "王工"]).len(), 2);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn the_detector_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Detector>();
    let detector = shipped();
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                assert_eq!(detector.detect_names("没有预算", &[]).len(), 1);
            });
        }
    });
}

#[test]
fn problems_name_the_concept_and_the_pattern() {
    let broken = config(
        r#"
detection:
  clause_breaks: {zh: [但是], en: ["b*ut"]}
  negators: {zh: [""]}
  words:
    title: {zh: [老板]}
  concepts:
    objection.no_budgte:
      zh: [没有预算]
    objection.no_need:
      zh: ["  ", "*", "不需要，", 不需要, 不需要, "引荐*{boss}", "介绍*{title", "同意*但是*交流"]
      en: ["{title} * x"]
    signal.agreed_next_step: {}
"#,
    );
    let problems = broken.problems();
    let expected = [
            "clause_breaks: en pattern #1 `b*ut` contains `*`",
            "negators: zh pattern #1 `` is empty",
            "unknown concept `objection.no_budgte` — did you mean `objection.no_budget`?",
            "concept `objection.no_need`: zh pattern #1 `  ` is empty",
            "concept `objection.no_need`: zh pattern #2 `*` has only `*` and spaces",
            "concept `objection.no_need`: zh pattern #3 `不需要，` can never match: `，` ends a clause",
            "concept `objection.no_need`: zh pattern #5 `不需要` repeats an earlier pattern",
            "concept `objection.no_need`: zh pattern #6 `引荐*{boss}` uses the unknown word list `{boss}`",
            "concept `objection.no_need`: zh pattern #7 `介绍*{title` has a `{` without its `}`",
            "concept `objection.no_need`: zh pattern #8 `同意*但是*交流` can never match",
            "concept `objection.no_need`: en pattern #1 `{title} * x` uses `{title}`, which has no en words",
            "concept `signal.agreed_next_step` has no zh or en patterns",
        ];
    for fragment in expected {
        assert!(
            problems.iter().any(|p| p.contains(fragment)),
            "no problem mentions {fragment:?}; got:\n{}",
            problems.join("\n")
        );
    }
    assert_eq!(problems.len(), expected.len(), "{}", problems.join("\n"));
    // broken lines are skipped; the rest still works
    let detector = broken.compile();
    assert_eq!(detector.detect_names("不需要", &[]).len(), 1);
}

#[test]
fn an_empty_config_detects_nothing() {
    let detector = DetectionConfig::default().compile();
    assert_eq!(
        detector.detect_names("没有预算 no budget", &["李总"]),
        vec![]
    );
    assert_eq!(DetectionConfig::default().problems(), Vec::<String>::new());
}

#[test]
fn unknown_keys_in_the_phrase_data_are_rejected() {
    let typo = "detection:\n  negator: {zh: [不]}\n";
    assert!(serde_yaml::from_str::<PlaybookFile>(typo).is_err());
    let language = "detection:\n  concepts:\n    objection.no_need: {ja: [いらない]}\n";
    assert!(serde_yaml::from_str::<PlaybookFile>(language).is_err());
}

#[test]
fn expected_findings_are_a_concept_or_a_concept_with_its_speaker() {
    let yaml = r#"
corpus:
  - text: a
    expect: [objection.no_budget, {concept: signal.agreed_next_step, from: 李总}, {concept: objection.no_need}]
"#;
    let entries = match serde_yaml::from_str::<CorpusFile>(yaml) {
        Ok(file) => file.corpus,
        Err(error) => panic!("{error}"),
    };
    assert_eq!(
        entries[0].expect,
        vec![
            ExpectedFinding {
                concept: "objection.no_budget".into(),
                from: None
            },
            ExpectedFinding {
                concept: "signal.agreed_next_step".into(),
                from: Some("李总".into())
            },
            ExpectedFinding {
                concept: "objection.no_need".into(),
                from: None
            },
        ]
    );
    for bad in [
        "corpus: [{text: a, expect: [{concept: x, form: 李总}]}]",
        "corpus: [{text: a, expect: [{from: 李总}]}]",
        "corpus: [{text: a, expect: [[x]]}]",
    ] {
        assert!(serde_yaml::from_str::<CorpusFile>(bad).is_err(), "{bad}");
    }
}

#[test]
fn scoring_counts_misses_extras_and_wrong_speakers() {
    let entries = match serde_yaml::from_str::<CorpusFile>(
        r#"
corpus:
  - text: 没有预算
    expect: [objection.no_budget]
  - text: 李总没有预算
    names: [李总]
    expect: [objection.no_budget]
  - text: 不需要
  - text: 天气很好
    expect: [objection.no_need]
"#,
    ) {
        Ok(file) => file.corpus,
        Err(error) => panic!("{error}"),
    };
    let score = score_corpus(&config(SMALL).compile(), &entries);
    assert_eq!(
        (
            score.total.true_positives,
            score.total.false_positives,
            score.total.false_negatives
        ),
        (1, 2, 2)
    );
    let budget = score
        .per_concept
        .iter()
        .find(|(concept, _)| concept == "objection.no_budget")
        .map(|(_, tally)| *tally);
    assert_eq!(
        budget.map(|t| (t.true_positives, t.false_positives, t.false_negatives)),
        Some((1, 1, 1)),
        "the right concept from the wrong speaker is a miss"
    );
    assert_eq!(score.failures.len(), 3, "{:#?}", score.failures);
    assert!(score.failures[0].contains("#2") && score.failures[0].contains("from 李总"));
    assert!((score.precision() - 1.0 / 3.0).abs() < 1e-9);
    assert!((score.recall() - 1.0 / 3.0).abs() < 1e-9);
    let empty = CorpusScore::default();
    assert_eq!((empty.precision(), empty.recall()), (1.0, 1.0));
}

#[test]
fn the_first_corpus_file_meets_the_goal() {
    // The whole corpus is scored by tests/playbooks.rs; this keeps the seed's 144
    // sentences in view while working on the detector alone.
    let detector = playbook().compile();
    let goal = detector.goal();
    let score = score_corpus(&detector, &corpus());
    assert!(
        score.precision() >= goal.precision && score.recall() >= goal.recall,
        "precision {:.3}, recall {:.3}; {} failures:\n{}",
        score.precision(),
        score.recall(),
        score.failures.len(),
        score.failures.join("\n")
    );
}

#[test]
fn the_shipped_phrase_data_has_no_problems() {
    assert_eq!(playbook().problems(), Vec::<String>::new());
}
