//! How a note is read beyond finding phrases: slot frames and `**`, the cues that cancel
//! (conditions, our own side, questions, resolved and past concerns), who said it (names,
//! titles, relayed views, the speaker left out of the evidence), details questions, and
//! the classifier with its explanation. On a small playbook, so each rule is seen apart
//! from the shipped phrase data.

use super::*;
use serde::Deserialize;

#[derive(Deserialize)]
struct PlaybookFile {
    detection: DetectionConfig,
}

const CUES: &str = r#"
detection:
  clause_breaks: {zh: [但是], en: [but]}
  negators: {zh: [不, 没, 没有], en: [not, no, "*n't"]}
  not_negators: {zh: [问题], en: [asked if]}
  not_a_problem: {zh: [没问题]}
  resolved: {zh: [打消了顾虑], en: [resolved]}
  hypothetical: {zh: [如果], en: [if]}
  ours: {zh: ["{us}{our_act}"], en: ["we {our_act_en}"]}
  relayed: {zh: ["{third_party}*觉得"], en: ["her boss {opinion_en}"]}
  asking: {zh: [问], en: ["ask* about", "ask* whether", "ask* if"]}
  requests: {en: [asked for]}
  speech: {zh: [说], en: [said]}
  past: {zh: [之前]}
  since: {zh: [现在]}
  spellings: {我门: 我们, yusuan: 预算}
  words:
    us: {zh: [我们]}
    our_act: {zh: [建议, 准备]}
    our_act_en: {en: ["propos*", will]}
    third_party: {zh: [老板, 财务]}
    opinion_en: {en: [thinks]}
    money: {zh: [预算, 经费, 钱], en: [budget, money]}
    short: {zh: [紧张, 不够, 用完], en: [tight, gone]}
    worry: {zh: [担心, 怀疑]}
    ability: {zh: [交付, 能力]}
    refuse: {zh: [拒绝, 不同意]}
    accept: {zh: [同意了, 接受了]}
    detail: {zh: [付款, 报价], en: [payment terms, price breakdown]}
    senior: {zh: [老板, cfo], en: [cfo]}
  concepts:
    objection.no_budget:
      zh: ["{money}*{short}"]
      en: ["{money} * {short}"]
      anchors: [money]
    objection.no_trust:
      zh: ["{worry}*{ability}"]
    signal.accepted_rejected_idea:
      zh: ["{refuse}**{accept}"]
    signal.introduced_senior:
      zh: ["引荐*{senior}"]
    signal.agreed_tech_exchange:
      zh: [同意*技术交流]
    signal.asked_details:
      questions: true
      zh: ["问*{detail}"]
      en: ["ask* * {detail}", "{detail}"]
  examples:
    objection.no_budget: [经费很紧张, 钱都花完了, 资金不到位, 今年的钱不够花]
    objection.no_need: [现在的系统够用, 用不上这个, 不需要换]
    none: [今天拜访了客户, 参观了工厂, 天气很好, 一起吃了饭]
"#;

fn detector() -> &'static Detector {
    static DETECTOR: std::sync::OnceLock<Detector> = std::sync::OnceLock::new();
    DETECTOR.get_or_init(|| match serde_yaml::from_str::<PlaybookFile>(CUES) {
        Ok(file) => file.detection.compile(),
        Err(error) => panic!("test playbook does not parse: {error}"),
    })
}

/// (concept, from, evidence) of each finding.
fn read(text: &str, speakers: &[Speaker]) -> Vec<(String, Option<String>, String)> {
    detector()
        .detect(text, speakers)
        .into_iter()
        .map(|f| (f.concept, f.from, f.evidence))
        .collect()
}

fn concepts(text: &str) -> Vec<String> {
    read(text, &[]).into_iter().map(|(c, _, _)| c).collect()
}

fn one(concept: &str, from: Option<&str>, evidence: &str) -> (String, Option<String>, String) {
    (
        concept.to_owned(),
        from.map(str::to_owned),
        evidence.to_owned(),
    )
}

#[test]
fn a_slot_frame_stands_for_every_pair_of_its_lists_words() {
    for note in [
        "经费紧张",
        "钱不够",
        "预算今年全部用完",
        "the budget is tight",
    ] {
        assert_eq!(concepts(note), vec!["objection.no_budget"], "{note}");
    }
    assert_eq!(concepts("担心我们的交付"), vec!["objection.no_trust"]);
    assert_eq!(
        concepts("经费不是问题"),
        Vec::<String>::new(),
        "no short word"
    );
}

#[test]
fn a_double_star_gap_reaches_into_later_clauses_of_the_sentence() {
    assert_eq!(
        read("王总原来拒绝预付，现在同意了。", &[Speaker::named("王总")]),
        vec![one(
            "signal.accepted_rejected_idea",
            Some("王总"),
            "原来拒绝预付"
        )]
    );
    // but not into the next sentence
    assert_eq!(concepts("原来拒绝预付。后来同意了"), Vec::<String>::new());
}

#[test]
fn a_title_names_its_holder() {
    let speakers = [Speaker {
        name: "刘洋",
        title: Some("CFO"),
    }];
    assert_eq!(
        read("CFO说经费紧张", &speakers),
        vec![one("objection.no_budget", Some("刘洋"), "经费紧张")]
    );
    // a title that is also a word of a list: the object of an introduction
    assert_eq!(
        read("王工答应引荐CFO", &[Speaker::named("王工"), speakers[0]]),
        vec![one("signal.introduced_senior", Some("王工"), "答应引荐CFO")]
    );
}

#[test]
fn the_evidence_leaves_the_speaker_and_the_speech_word_out() {
    assert_eq!(
        read("李总说今年经费紧张", &[Speaker::named("李总")]),
        vec![one("objection.no_budget", Some("李总"), "今年经费紧张")]
    );
    assert_eq!(
        read(
            "Ma Lin said the budget is gone",
            &[Speaker::named("Ma Lin")]
        ),
        vec![one(
            "objection.no_budget",
            Some("Ma Lin"),
            "the budget is gone"
        )]
    );
}

#[test]
fn a_relayed_third_party_view_is_nobody_listed() {
    let speakers = [Speaker::named("吴姐"), Speaker::named("Jenny")];
    assert_eq!(
        read("吴姐说老板觉得经费紧张", &speakers),
        vec![one("objection.no_budget", None, "老板觉得经费紧张")]
    );
    assert_eq!(
        read("Jenny said her boss thinks the budget is tight", &speakers),
        vec![one(
            "objection.no_budget",
            None,
            "her boss thinks the budget is tight"
        )]
    );
    // the organisation's position, stated by the stakeholder, is theirs
    assert_eq!(
        read("吴姐说他们经费紧张", &speakers),
        vec![one("objection.no_budget", Some("吴姐"), "他们经费紧张")]
    );
}

#[test]
fn our_own_side_speaking_states_nothing_but_we_in_reported_speech_does() {
    assert_eq!(concepts("我们建议下周同意技术交流"), Vec::<String>::new());
    assert_eq!(
        concepts("We will ask about the payment terms"),
        Vec::<String>::new()
    );
    let speakers = [Speaker::named("王总")];
    assert_eq!(
        read("王总说我们准备的方案可以，同意技术交流", &speakers),
        vec![one(
            "signal.agreed_tech_exchange",
            Some("王总"),
            "同意技术交流"
        )]
    );
}

/// Main's 80 KB note test (`tests/sandbox.rs`): "we went over the plan … they said
/// there is no budget" was read as our own side speaking to its end.
#[test]
fn a_speech_word_after_our_words_hands_the_sentence_to_the_customer() {
    assert_eq!(
        concepts("We will propose a pilot, they said the budget is tight"),
        vec!["objection.no_budget"]
    );
    assert_eq!(
        concepts("We will propose a pilot and they said the budget is tight"),
        vec!["objection.no_budget"]
    );
    assert_eq!(
        concepts("我们准备了方案，老张说经费紧张"),
        vec!["objection.no_budget"]
    );
    // no speech word: still our side
    assert_eq!(
        concepts("We will propose a pilot as the budget is tight"),
        Vec::<String>::new()
    );
}

#[test]
fn a_condition_states_nothing_from_its_clause_on() {
    assert_eq!(concepts("如果经费紧张，就分两期"), Vec::<String>::new());
    assert_eq!(
        concepts("经费紧张，如果能分期就好了"),
        vec!["objection.no_budget"]
    );
    // "asked if" asks, it does not suppose
    assert_eq!(
        concepts("Peter asked if the price breakdown is ready"),
        vec!["signal.asked_details"]
    );
}

#[test]
fn a_resolved_or_past_concern_is_no_objection() {
    assert_eq!(
        concepts("之前担心交付，看了样板后打消了顾虑"),
        Vec::<String>::new()
    );
    assert_eq!(concepts("之前担心交付，现在放心"), Vec::<String>::new());
    // a concern after the resolution stands
    assert_eq!(
        concepts("打消了顾虑，但是经费紧张"),
        vec!["objection.no_budget"]
    );
}

#[test]
fn a_details_question_needs_a_question_and_questions_cancel_the_rest() {
    assert_eq!(concepts("王总问付款怎么安排"), vec!["signal.asked_details"]);
    assert_eq!(
        concepts("Mike asked for the price breakdown"),
        vec!["signal.asked_details"]
    );
    assert_eq!(
        concepts("报价已经发了"),
        Vec::<String>::new(),
        "no question"
    );
    assert_eq!(
        concepts("the payment terms are agreed"),
        Vec::<String>::new(),
        "a statement"
    );
    assert_eq!(concepts("问他们经费紧张吗？"), Vec::<String>::new());
    assert_eq!(
        concepts("问题是经费紧张"),
        vec!["objection.no_budget"],
        "问 in 问题 asks nothing"
    );
}

#[test]
fn spellings_are_folded_before_matching() {
    assert_eq!(concepts("yusuan紧张"), vec!["objection.no_budget"]);
    assert_eq!(concepts("我门建议同意技术交流"), Vec::<String>::new());
}

#[test]
fn the_classifier_reads_what_no_pattern_matched_and_says_why() {
    let findings = detector().detect("他们的经费不太够花", &[]);
    // no pattern: 不 negates "经费…不够" in the gap; the classifier sees the clause
    let budget: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.concept == "objection.no_budget")
        .collect();
    assert!(budget.len() <= 1);
    let findings = detector().detect("钱都花光了", &[]);
    let verdict = findings.first();
    assert_eq!(
        verdict.map(|f| f.concept.as_str()),
        Some("objection.no_budget"),
        "{findings:#?}"
    );
    match verdict.map(|f| &f.basis) {
        Some(Basis::Examples { probability, like }) => {
            assert!(*probability >= 90, "{probability}");
            assert!(like.iter().any(|e| e == "钱都花完了"), "{like:?}");
        }
        other => panic!("expected the classifier, got {other:?}"),
    }
    // without a word of its anchor lists, the classifier does not report no_budget
    assert_eq!(concepts("都花光了"), Vec::<String>::new());
    // a neutral visit note is nothing
    assert_eq!(concepts("今天拜访了客户"), Vec::<String>::new());
}

#[test]
fn list_words_with_a_glued_star_inside_stand_for_their_endings() {
    assert_eq!(
        matcher::word_forms("want* to know"),
        vec![
            "want to know",
            "wants to know",
            "wantes to know",
            "wanted to know",
            "wantd to know",
            "wanting to know"
        ]
    );
    assert_eq!(matcher::word_forms("agree*"), vec!["agree*"]);
    assert!(matcher::word_forms("看不出*必要").is_empty(), "a gap");
}

#[test]
fn detection_split_over_files_is_merged() {
    let mut patterns = match serde_yaml::from_str::<PlaybookFile>(
        "detection:\n  words: {money: {zh: [预算]}}\n  concepts: {objection.no_budget: {zh: [\"{money}*紧张\"]}}\n",
    ) {
        Ok(file) => file.detection,
        Err(error) => panic!("{error}"),
    };
    let examples = match serde_yaml::from_str::<PlaybookFile>(
        "detection:\n  words: {money: {zh: [经费]}}\n  examples: {none: [天气很好]}\n  goal: {precision: 0.5, recall: 0.5}\n",
    ) {
        Ok(file) => file.detection,
        Err(error) => panic!("{error}"),
    };
    assert_eq!(patterns.merge(examples.clone()), Ok(()));
    assert_eq!(patterns.problems(), Vec::<String>::new());
    let detector = patterns.compile();
    assert_eq!(detector.detect_names("经费紧张", &[]).len(), 1);
    assert_eq!(detector.goal().precision, 0.5);
    assert!(patterns.merge(examples).is_err(), "goal set twice");
}
