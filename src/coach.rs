//! One deal through the whole pipeline: snapshot → facts → rules → ranking → a report.
//!
//! The report is language-specific (texts are filled in one language) but otherwise
//! independent of how it is rendered; `render` turns it into text, JSON or Markdown.

use serde::Serialize;

use crate::detect::Speaker;
use crate::engine::{Pending, RuleError};
use crate::facts::{Facts, Sighting};
use crate::playbook::{Lang, Playbook, RuleKind};
use crate::rank;
use crate::snapshot::Snapshot;
use crate::template::fill;
use crate::vocabulary::{Severity, Vocabulary};

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
    pub rule: RuleRef,
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
    pub quadrant: Option<String>,
}

/// The deal at a glance.
#[derive(Debug, Clone, Serialize)]
pub struct Assessment {
    pub phase: &'static str,
    pub temperature: Temperature,
    pub influencer_coverage: indexmap::IndexMap<&'static str, &'static str>,
    pub information_completeness: f64,
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
    pub errors: Vec<RuleError>,
}

/// What every rule of one deal reads: the merged signals and objections, the facts, and
/// the scope with the derived values in it (and the derived values that failed).
pub struct DealContext {
    pub signals: Vec<Sighting>,
    pub objections: Vec<Sighting>,
    pub facts: Facts,
    pub scope: rhai::Scope<'static>,
    pub errors: Vec<RuleError>,
}

/// Prepares one deal for its rules: the steps before evaluation, shared by `coach` and
/// `explain`. `Err` only when the deal cannot be handed to the scripts at all.
pub fn deal_context(playbook: &Playbook, snapshot: &Snapshot) -> Result<DealContext, String> {
    let (context, _) = prepare(playbook, snapshot, false)?;
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
    let facts = Facts::derive(snapshot, &signals, &objections, &playbook.engine_settings);
    let mut scope = playbook
        .scripts
        .deal_scope(snapshot, &signals, &objections, &facts)?;
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
    let (firings, rule_errors) = match &mut pending {
        Some(pending) => playbook
            .scripts
            .evaluate_headline(&playbook.rules, &mut scope, pending),
        None => playbook.scripts.evaluate(&playbook.rules, &mut scope),
    };
    errors.extend(rule_errors);

    // Moves keep the rule and element they fired for until they are ranked: with
    // `Detail::Headline` only the first one's title is filled.
    let mut moves: Vec<(Advice, usize, Option<rhai::Dynamic>, bool)> = Vec::new();
    let mut warnings = Vec::new();
    for firing in firings {
        let rule = &playbook.rules[firing.rule_index].rule;
        let (title, why, questions) = match detail {
            Detail::Full => {
                let depth = scope.len();
                if let Some(item) = &firing.item {
                    scope.push_constant_dynamic("item", item.clone());
                }
                let lines = |lines: &[String]| -> Vec<String> {
                    lines
                        .iter()
                        .filter_map(|line| fill(line, &scope, lang, true))
                        .collect()
                };
                let texts = (
                    fill(rule.title.get(lang), &scope, lang, false).unwrap_or_default(),
                    lines(rule.why.get(lang)),
                    lines(rule.questions.get(lang)),
                );
                scope.rewind(depth);
                texts
            }
            Detail::Headline => (String::new(), Vec::new(), Vec::new()),
        };
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
                rule: rule_ref,
            }),
        }
    }
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
        first.title = fill(compiled.rule.title.get(lang), &scope, lang, false).unwrap_or_default();
        scope.rewind(depth);
    }
    if let Some(pending) = pending {
        errors.extend(pending.errors);
    }
    let moves = moves.into_iter().map(|(advice, ..)| advice).collect();
    rank::rank_warnings(&mut warnings);

    let as_of = snapshot.as_of();
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
                quadrant: value.quadrant.clone(),
            }),
        },
        moves,
        warnings,
        signals: signals.iter().map(|s| report_sighting(s, false)).collect(),
        objections: objections
            .iter()
            .map(|s| report_sighting(s, true))
            .collect(),
        errors,
    })
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
    for (source, text, date) in notes {
        for finding in playbook.detector.detect(text, &speakers) {
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
