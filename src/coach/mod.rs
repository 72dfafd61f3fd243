//! One deal through the whole pipeline: snapshot → facts → rules → ranking → a report.
//!
//! The report is language-specific (texts are filled in one language) but otherwise
//! independent of how it is rendered; `render` turns it into text, JSON or Markdown.

pub mod judgement;
pub mod template;

use serde::Serialize;

use crate::coach::template::fill;
use crate::detect::Speaker;
use crate::engine::{Pending, RuleError};
use crate::facts::{Facts, Sighting};
use crate::playbook::{Lang, Playbook, RuleKind};
use crate::rank;
use crate::snapshot::vocabulary::{Severity, Vocabulary};
use crate::snapshot::Snapshot;

/// Where a piece of advice came from.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RuleRef {
    pub id: String,
    pub file: String,
    pub line: usize,
}

/// A move (priority) or a warning (severity), with its reasons.
#[derive(Debug, Clone, Serialize)]
pub struct Advice {
    pub concept: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    pub title: String,
    pub why: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub questions: Option<Vec<String>>,
    /// By when to act (`YYYY-MM-DD`), when the deal gives a date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// Moves folded into this one (`merge:`), in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<Step>,
    /// A warning that changes the strategy: shown without `--all`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub verdict: bool,
    pub rule: RuleRef,
}

/// A move folded into another as one of its steps.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub concept: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    pub rule: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DealRef {
    pub id: String,
    pub name: String,
    pub as_of: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Temperature {
    pub stated: Option<i64>,
    pub evidence: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct AccountStanding {
    pub tier: String,
    pub score: f64,
    /// Why the tier is below what the score reaches (`poor_collection`, `thin_profit`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capped_by: Option<Vec<&'static str>>,
    pub quadrant: Option<String>,
}

/// The deal at a glance.
#[derive(Debug, Clone, Serialize)]
pub struct Assessment {
    pub phase: &'static str,
    pub temperature: Temperature,
    pub influencer_coverage: indexmap::IndexMap<&'static str, &'static str>,
    /// `null` when the snapshot records no checklist item (not assessed).
    pub information_completeness: Option<f64>,
    pub relationship_stage: Option<&'static str>,
    pub account: Option<AccountStanding>,
}

/// A signal or objection as reported.
#[derive(Debug, Clone, Serialize)]
pub struct SightingOut {
    pub concept: String,
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handled: Option<bool>,
    /// When it was said or seen, if known: the declared date, or the date of the
    /// activity whose note it was found in. Left out when unknown (a finding in the
    /// deal's undated `notes`), never guessed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    pub source: String,
    pub evidence: Option<String>,
    /// For a detection in notes: the pattern that found it, or the classifier with the
    /// labelled examples nearest to the words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detected_by: Option<String>,
}

/// Everything `next` reports for one deal.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub deal: DealRef,
    pub assessment: Assessment,
    pub moves: Vec<Advice>,
    pub warnings: Vec<Advice>,
    pub signals: Vec<SightingOut>,
    pub objections: Vec<SightingOut>,
    /// Advice that fired but a coach would not give here, and why (gates, silencing).
    pub suppressed: Vec<judgement::Suppressed>,
    /// The snapshot's snoozes that still hold on `as_of`, with what each one hides.
    pub snoozed: Vec<SnoozedOut>,
    pub errors: Vec<RuleError>,
}

/// A snooze in force: its concept, date and reason, and the advice it hides (empty when
/// nothing fires for the concept: the snooze may be out of date, which the report notes).
#[derive(Debug, Clone, Serialize)]
pub struct SnoozedOut {
    pub concept: String,
    pub until: String,
    pub reason: String,
    pub hides: Vec<Hidden>,
}

/// A move or warning a snooze hides.
#[derive(Debug, Clone, Serialize)]
pub struct Hidden {
    /// `move`, `step` (of a merged move) or `warning`.
    pub kind: &'static str,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    pub rule: String,
}

/// What every rule of one deal reads: the merged signals and objections, the facts, and
/// the scope with the derived values in it (and the derived values that failed).
pub struct DealContext {
    pub signals: Vec<Sighting>,
    pub objections: Vec<Sighting>,
    pub facts: std::sync::Arc<Facts>,
    pub scope: rhai::Scope<'static>,
    pub errors: Vec<RuleError>,
}

/// Prepares one deal for its rules: the steps before evaluation, shared by `coach` and
/// `explain`. `Err` only when the deal cannot be handed to the scripts at all.
pub fn deal_context(playbook: &Playbook, snapshot: &Snapshot) -> Result<DealContext, String> {
    let (mut context, _) = prepare(playbook, snapshot, false)?;
    // Handed out: every script may run on it, so the facts are made whole now.
    playbook.scripts.whole_facts(&mut context.scope)?;
    Ok(context)
}

/// [`deal_context`]; with `lazily`, the derived values are left to be computed when read
/// (the `Pending` returned).
fn prepare(
    playbook: &Playbook,
    snapshot: &Snapshot,
    lazily: bool,
) -> Result<(DealContext, Option<Pending>), String> {
    let (signals, objections) = sightings(playbook, snapshot);
    // Rules see the customer's words quoted (cut when long); the report keeps them whole.
    let (facts, mut scope) = {
        let quoted_signals = crate::facts::quoted_sightings(&signals);
        let quoted_objections = crate::facts::quoted_sightings(&objections);
        let facts = std::sync::Arc::new(Facts::derive(
            snapshot,
            &quoted_signals,
            &quoted_objections,
            &playbook.engine_settings,
        ));
        let scope =
            playbook
                .scripts
                .deal_scope(snapshot, &quoted_signals, &quoted_objections, &facts)?;
        (facts, scope)
    };
    let (errors, pending) = if lazily {
        (
            Vec::new(),
            Some(playbook.scripts.push_derived_lazily(&mut scope)),
        )
    } else {
        (playbook.scripts.push_derived(&mut scope), None)
    };
    let context = DealContext {
        signals,
        objections,
        facts,
        scope,
        errors,
    };
    Ok((context, pending))
}

/// How much text a report needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Titles, reasons and questions: what `next` shows.
    Full,
    /// The title of the first move only (every other text left empty): a pipeline review
    /// shows one line per deal, and filling every text of every deal was a third of its
    /// time.
    Headline,
}

impl Report {
    /// Every move, then every warning.
    pub fn advice(&self) -> impl Iterator<Item = &Advice> {
        self.moves.iter().chain(&self.warnings)
    }
}

/// Coaches one deal. `Err` only when the deal cannot be handed to the scripts at all.
pub fn coach(playbook: &Playbook, snapshot: &Snapshot, lang: Lang) -> Result<Report, String> {
    coach_with(playbook, snapshot, lang, Detail::Full)
}

/// Each firing of a deal as (rule id, priority), in order.
pub type Fired = Vec<(String, Option<i64>)>;

/// What the rules do on one deal, before judgement and texts: each firing as (rule id,
/// priority), and the ids of the rules that failed, sorted. `headline`: as a pipeline
/// review evaluates (derived values on demand, counted elements), which must agree with
/// the full evaluation `next` does — `test` compares the two on every test deal.
pub fn firings(
    playbook: &Playbook,
    snapshot: &Snapshot,
    headline: bool,
) -> Result<(Fired, Vec<String>), String> {
    let (DealContext { mut scope, .. }, mut pending) = prepare(playbook, snapshot, headline)?;
    let (firings, errors) = match &mut pending {
        Some(pending) => playbook
            .scripts
            .evaluate_headline(&playbook.rules, &mut scope, pending),
        None => playbook.scripts.evaluate(&playbook.rules, &mut scope),
    };
    let fired = firings
        .iter()
        .map(|firing| {
            (
                playbook.rules[firing.rule_index].rule.id.clone(),
                firing.priority,
            )
        })
        .collect();
    let mut failed: Vec<String> = errors.into_iter().map(|error| error.id).collect();
    failed.sort();
    Ok((fired, failed))
}

/// [`coach`], filling only the texts `detail` asks for.
pub fn coach_with(
    playbook: &Playbook,
    snapshot: &Snapshot,
    lang: Lang,
    detail: Detail,
) -> Result<Report, String> {
    let (
        DealContext {
            signals,
            objections,
            facts,
            mut scope,
            mut errors,
        },
        mut pending,
    ) = prepare(playbook, snapshot, detail == Detail::Headline)?;
    let words = crate::present::Words::new(&playbook.labels, lang);
    let (firings, rule_errors) = match &mut pending {
        Some(pending) => playbook
            .scripts
            .evaluate_headline(&playbook.rules, &mut scope, pending),
        None => playbook.scripts.evaluate(&playbook.rules, &mut scope),
    };
    errors.extend(rule_errors);

    let judged = judgement::judge(
        playbook,
        &mut scope,
        pending.as_mut(),
        firings,
        &mut errors,
        words,
    );
    let mut suppressed: Vec<judgement::Suppressed> = Vec::new();
    for set_aside in &judged.set_aside {
        let entry =
            judgement::Suppressed::of(set_aside, &playbook.rules, &playbook.judgement, lang);
        if !suppressed.iter().any(|known| known.rule == entry.rule) {
            suppressed.push(entry);
        }
    }

    // Moves keep the rule and element they fired for until they are ranked: with
    // `Detail::Headline` only the first one's title is filled.
    let mut moves: Vec<(Advice, usize, Option<rhai::Dynamic>, bool)> = Vec::new();
    let mut warnings = Vec::new();
    // The bytes of text filled so far: a deal's report is bounded too. Past the limit,
    // firings are left out and each rule that loses one is an error.
    let mut report_bytes = 0;
    let most_bytes = playbook.scripts.limits.max_report_bytes_per_deal;
    let mut cut_rules: Vec<usize> = Vec::new();
    let as_of = snapshot.as_of();
    // A snoozed concept is left out wherever it would be said, a step of a merged move too
    // (reaching the top decision maker joins the move about his objection).
    let in_force: Vec<&crate::snapshot::Snooze> = snapshot
        .snoozed
        .iter()
        .filter(|entry| entry.holds_on(as_of))
        .collect();
    let mut hidden_steps: Vec<(String, Hidden)> = Vec::new();
    for (firing, merged) in judged.kept {
        let rule = &playbook.rules[firing.rule_index].rule;
        let (title, why, questions, by) = match detail {
            Detail::Full => {
                let texts = fill_texts(playbook, &mut scope, &firing, words, lang);
                (texts.title, texts.why, texts.questions, texts.by)
            }
            Detail::Headline => (String::new(), Vec::new(), Vec::new(), None),
        };
        let mut steps = Vec::new();
        let mut questions = questions;
        for member in &merged {
            let member_rule = &playbook.rules[member.rule_index].rule;
            let texts = match detail {
                Detail::Full => Some(fill_texts(playbook, &mut scope, member, words, lang)),
                Detail::Headline => None,
            };
            if in_force
                .iter()
                .any(|entry| entry.concept.0 == member_rule.concept)
            {
                let hidden = Hidden {
                    kind: "step",
                    title: texts.map(|texts| texts.title).unwrap_or_default(),
                    severity: None,
                    rule: member_rule.id.clone(),
                };
                hidden_steps.push((member_rule.concept.clone(), hidden));
                continue;
            }
            let Some(texts) = texts else { continue };
            // A step brings its first question, while the move asks few enough to be
            // asked in one conversation.
            if let Some(question) = texts.questions.into_iter().next() {
                if questions.len() < MOST_QUESTIONS && !questions.contains(&question) {
                    questions.push(question);
                }
            }
            steps.push(Step {
                concept: member_rule.concept.clone(),
                title: texts.title,
                // The move's own date is said once.
                by: texts.by.filter(|step_by| Some(step_by) != by.as_ref()),
                rule: member_rule.id.clone(),
            });
        }
        let bytes = title.len()
            + why.iter().map(String::len).sum::<usize>()
            + questions.iter().map(String::len).sum::<usize>()
            + steps.iter().map(|step| step.title.len()).sum::<usize>();
        if report_bytes + bytes > most_bytes || !cut_rules.is_empty() {
            if !cut_rules.contains(&firing.rule_index) {
                cut_rules.push(firing.rule_index);
                errors.push(RuleError::of(
                    rule,
                    format!("its texts take the deal's report past {most_bytes} bytes (sandbox.max_report_bytes_per_deal): they are left out"),
                ));
            }
            continue;
        }
        report_bytes += bytes;
        let rule_ref = RuleRef {
            id: rule.id.clone(),
            file: rule.place.file.clone(),
            line: rule.place.line,
        };
        match &rule.kind {
            RuleKind::Move { .. } => moves.push((
                Advice {
                    concept: rule.concept.clone(),
                    priority: firing.priority,
                    severity: None,
                    title,
                    why,
                    questions: Some(questions),
                    by,
                    steps,
                    verdict: false,
                    rule: rule_ref,
                },
                firing.rule_index,
                firing.item,
                firing.deferred,
            )),
            RuleKind::Warning { severity } => warnings.push(Advice {
                concept: rule.concept.clone(),
                priority: None,
                severity: Some(*severity),
                title,
                why,
                questions: None,
                by,
                steps,
                verdict: rule.verdict,
                rule: rule_ref,
            }),
        }
    }
    let snoozed = snooze(&in_force, &mut moves, &mut warnings, hidden_steps);
    moves.sort_by(|(a, ..), (b, ..)| rank::compare_moves(a, b));
    if let (Some(pending), Some((first, rule_index, item, deferred))) =
        (&mut pending, moves.first_mut())
    {
        let compiled = &playbook.rules[*rule_index];
        let item =
            playbook
                .scripts
                .title_item(compiled, &mut scope, pending, item.take(), *deferred);
        let depth = scope.len();
        if let Some(item) = item {
            scope.push_constant_dynamic("item", item);
        }
        first.title = fill(compiled.rule.title.get(lang), &scope, words, false).unwrap_or_default();
        scope.rewind(depth);
    }
    if let Some(pending) = pending {
        errors.extend(pending.errors);
    }
    let moves = moves.into_iter().map(|(advice, ..)| advice).collect();
    rank::rank_warnings(&mut warnings);

    Ok(Report {
        deal: DealRef {
            id: snapshot.deal.id.clone(),
            name: snapshot.deal.name.clone(),
            as_of: as_of.to_string(),
        },
        assessment: Assessment {
            phase: facts.phase,
            temperature: Temperature {
                stated: facts.temperature_stated,
                evidence: facts.temperature_evidence,
            },
            influencer_coverage: facts.coverage.clone(),
            information_completeness: facts.information_completeness,
            relationship_stage: facts.relationship_stage,
            account: facts.value.as_ref().map(|value| AccountStanding {
                tier: value.tier.clone(),
                score: value.score,
                capped_by: value.capped_by.clone(),
                quadrant: value.quadrant.clone(),
            }),
        },
        moves,
        warnings,
        suppressed,
        snoozed,
        signals: signals.iter().map(|s| report_sighting(s, false)).collect(),
        objections: objections
            .iter()
            .map(|s| report_sighting(s, true))
            .collect(),
        errors,
    })
}

/// Takes out of `moves` and `warnings` the advice whose concept a snooze `in_force` (on
/// `as_of`, in the snapshot's order) names, and lists each such snooze with what it hid —
/// those and the steps of merged moves already left out (`hidden_steps`, by concept). A
/// lapsed snooze is not in force: it hides nothing, is not listed, and its advice is back.
fn snooze(
    in_force: &[&crate::snapshot::Snooze],
    moves: &mut Vec<(Advice, usize, Option<rhai::Dynamic>, bool)>,
    warnings: &mut Vec<Advice>,
    hidden_steps: Vec<(String, Hidden)>,
) -> Vec<SnoozedOut> {
    let mut listed: Vec<SnoozedOut> = Vec::new();
    for entry in in_force {
        let concept = &entry.concept.0;
        let mut hides = Vec::new();
        moves.retain(|(advice, ..)| {
            let hidden = advice.concept == *concept;
            if hidden {
                hides.push(Hidden::of("move", advice));
            }
            !hidden
        });
        warnings.retain(|advice| {
            let hidden = advice.concept == *concept;
            if hidden {
                hides.push(Hidden::of("warning", advice));
            }
            !hidden
        });
        hides.extend(
            hidden_steps
                .iter()
                .filter(|(step_concept, _)| step_concept == concept)
                .map(|(_, hidden)| hidden.clone()),
        );
        hides.sort_by(|a, b| a.kind.cmp(b.kind).then_with(|| a.rule.cmp(&b.rule)));
        listed.push(SnoozedOut {
            concept: concept.clone(),
            until: entry.until.to_string(),
            reason: entry.reason.clone(),
            hides,
        });
    }
    listed
}

impl Hidden {
    fn of(kind: &'static str, advice: &Advice) -> Hidden {
        Hidden {
            kind,
            title: advice.title.clone(),
            severity: advice.severity,
            rule: advice.rule.id.clone(),
        }
    }
}

/// The questions a merged move asks at most: its own, then one per step.
const MOST_QUESTIONS: usize = 4;

/// A firing's texts in one language, and its date.
struct Texts {
    title: String,
    why: Vec<String>,
    questions: Vec<String>,
    by: Option<String>,
}

/// Fills a firing's title, reasons and questions (a line whose fact is unknown is left
/// out) and finds its `by`: the first of the rule's `by` placeholders that gives a date.
fn fill_texts(
    playbook: &Playbook,
    scope: &mut rhai::Scope<'static>,
    firing: &crate::engine::Firing,
    words: crate::present::Words,
    lang: Lang,
) -> Texts {
    let rule = &playbook.rules[firing.rule_index].rule;
    let depth = scope.len();
    if let Some(item) = &firing.item {
        scope.push_constant_dynamic("item", item.clone());
    }
    let lines = |lines: &[String]| -> Vec<String> {
        lines
            .iter()
            .filter_map(|line| fill(line, scope, words, true))
            .collect()
    };
    let texts = Texts {
        title: fill(rule.title.get(lang), scope, words, false).unwrap_or_default(),
        why: lines(rule.why.get(lang)),
        questions: lines(rule.questions.get(lang)),
        by: rule
            .by
            .iter()
            .filter_map(|template| fill(template, scope, words, true))
            .find_map(|text| crate::snapshot::date::Date::parse(text.trim()).ok())
            .map(|date| date.to_string()),
    };
    scope.rewind(depth);
    texts
}

fn report_sighting(sighting: &Sighting, with_handled: bool) -> SightingOut {
    SightingOut {
        concept: sighting.concept.clone(),
        from: sighting.from.clone(),
        handled: if with_handled {
            Some(sighting.handled == Some(true))
        } else {
            None
        },
        date: sighting.date.clone(),
        source: sighting.source.clone(),
        evidence: sighting.evidence.clone(),
        detected_by: sighting.detected_by.clone(),
    }
}

/// The deal's signals and objections: declared ones first, then those detected in its
/// notes. A detection that repeats a declared item (same type, and the same person or no
/// person on either side) adds its words to that item's evidence instead of a duplicate.
pub fn sightings(playbook: &Playbook, snapshot: &Snapshot) -> (Vec<Sighting>, Vec<Sighting>) {
    let mut signals: Vec<Sighting> = snapshot
        .signals
        .iter()
        .enumerate()
        .map(|(index, signal)| Sighting {
            concept: format!("signal.{}", signal.kind.as_str()),
            kind: signal.kind.as_str().to_owned(),
            from: signal.from.as_ref().map(|from| from.0.clone()),
            date: signal.date.map(|date| date.to_string()),
            said: None,
            handled: None,
            source: format!("signals[{index}]"),
            evidence: signal.note.clone(),
            detected_by: None,
        })
        .collect();
    let mut objections: Vec<Sighting> = snapshot
        .objections
        .iter()
        .enumerate()
        .map(|(index, objection)| Sighting {
            concept: format!("objection.{}", objection.kind.as_str()),
            kind: objection.kind.as_str().to_owned(),
            from: objection.from.as_ref().map(|from| from.0.clone()),
            date: objection.date.map(|date| date.to_string()),
            said: objection.said.clone(),
            handled: Some(objection.handled == Some(true)),
            source: format!("objections[{index}]"),
            evidence: objection.said.clone(),
            detected_by: None,
        })
        .collect();

    let speakers: Vec<Speaker> = snapshot
        .stakeholders
        .iter()
        .map(|person| Speaker {
            name: person.name.0.as_str(),
            title: person.title.as_deref(),
        })
        .collect();
    let mut notes: Vec<(String, &str, Option<String>)> = Vec::new();
    // The deal's notes are not dated: what is found there has no date (not `as_of`,
    // which would make an old remark look like today's).
    if let Some(text) = &snapshot.deal.notes {
        notes.push(("notes".to_owned(), text, None));
    }
    for (index, activity) in snapshot.activities.iter().enumerate() {
        if let Some(text) = &activity.note {
            notes.push((
                format!("activities[{index}].note"),
                text,
                activity.date.map(|d| d.to_string()),
            ));
        }
    }
    let reader = playbook.detector.reader(&speakers);
    for (source, text, date) in notes {
        for finding in reader.read(text) {
            let Some((family, kind)) = finding.concept.split_once('.') else {
                continue;
            };
            let is_objection = family == "objection";
            let list = if is_objection {
                &mut objections
            } else {
                &mut signals
            };
            let same = list.iter_mut().find(|known| {
                known.kind == kind
                    && (known.from == finding.from
                        || known.from.is_none()
                        || finding.from.is_none())
            });
            match same {
                Some(known) => add_evidence(known, &finding.evidence),
                None => list.push(Sighting {
                    concept: finding.concept.clone(),
                    kind: kind.to_owned(),
                    from: finding.from.clone(),
                    date: date.clone(),
                    said: is_objection.then(|| finding.evidence.clone()),
                    handled: is_objection.then_some(false),
                    source: source.clone(),
                    evidence: Some(finding.evidence.clone()),
                    detected_by: Some(finding.basis.describe()),
                }),
            }
        }
    }
    (signals, objections)
}

fn add_evidence(known: &mut Sighting, words: &str) {
    match &mut known.evidence {
        // The note says what was already declared: the declared words stay as they are.
        Some(evidence) if evidence.contains(words) || words.contains(evidence.as_str()) => {}
        Some(evidence) => {
            evidence.push_str(" / ");
            evidence.push_str(words);
        }
        None => known.evidence = Some(words.to_owned()),
    }
}
