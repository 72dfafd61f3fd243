//! The `detection:` section of the playbooks as written, its validation and its compilation.

use indexmap::IndexMap;
use serde::Deserialize;

use super::matcher::*;
use super::text::*;
use super::*;

/// The `detection:` section of the playbooks: phrase data, edited by trainers.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectionConfig {
    /// Words that start a new clause even without punctuation (但是, 不过, but, however).
    #[serde(default)]
    pub clause_breaks: LanguagePhrases,
    /// Words that cancel a concept phrase after them in the same clause (不, 没, not, never).
    #[serde(default)]
    pub negators: LanguagePhrases,
    /// Words that contain a negator but do not negate (不错, 不少, 没想到, not only).
    #[serde(default)]
    pub not_negators: LanguagePhrases,
    /// Phrases that say an objection does not hold (没问题, not an issue); they cancel
    /// every objection in their clause.
    #[serde(default)]
    pub not_a_problem: LanguagePhrases,
    /// Named word lists: `{senior}` in a pattern stands for any word of `words.senior`
    /// in the pattern's language, so one line covers 老板 / 领导 / 高层 or boss / CFO / VP.
    #[serde(default)]
    pub words: IndexMap<String, LanguagePhrases>,
    /// Concept id → the phrases that reveal it. Kept in file order so output is stable.
    #[serde(default)]
    pub concepts: IndexMap<String, ConceptPhrases>,
    /// What `dealcoach test` requires of the labelled corpus's tuning part.
    #[serde(default)]
    pub goal: CorpusGoal,
}

/// The precision and recall the detector must reach on the labelled corpus.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorpusGoal {
    pub precision: f64,
    pub recall: f64,
}

/// Issue 13's goal: nine findings in ten right, and 85% of them found.
impl Default for CorpusGoal {
    fn default() -> Self {
        CorpusGoal {
            precision: 0.90,
            recall: 0.85,
        }
    }
}

/// Phrases per language. The matcher treats both alike; the split keeps the lists
/// readable for trainers who maintain one language each.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LanguagePhrases {
    #[serde(default)]
    pub zh: Vec<String>,
    #[serde(default)]
    pub en: Vec<String>,
}

impl LanguagePhrases {
    pub(super) fn tagged(&self) -> impl Iterator<Item = (&'static str, usize, &str)> {
        let zh = self
            .zh
            .iter()
            .enumerate()
            .map(|(i, p)| ("zh", i, p.as_str()));
        let en = self
            .en
            .iter()
            .enumerate()
            .map(|(i, p)| ("en", i, p.as_str()));
        zh.chain(en)
    }

    pub(super) fn in_language(&self, lang: &str) -> &[String] {
        if lang == "zh" {
            &self.zh
        } else {
            &self.en
        }
    }
}

/// The phrases of one concept.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConceptPhrases {
    #[serde(default)]
    pub zh: Vec<String>,
    #[serde(default)]
    pub en: Vec<String>,
    /// The concept is not detected in a clause that also contains one of these
    /// ("not in a hurry to drop us" is no `no_hurry` objection).
    #[serde(default)]
    pub unless: LanguagePhrases,
}

impl ConceptPhrases {
    pub(super) fn patterns(&self) -> LanguagePhrases {
        LanguagePhrases {
            zh: self.zh.clone(),
            en: self.en.clone(),
        }
    }
}

impl DetectionConfig {
    /// Every problem with the phrase data (empty pattern, unknown concept, ...) as human messages naming the concept and pattern.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for (name, words) in &self.words {
            if name.trim().is_empty() || name.contains(['{', '}', '*']) {
                problems.push(format!(
                    "detection: words: list name `{name}` must be a plain name such as `senior`"
                ));
            }
            for (lang, position, word) in words.tagged() {
                let at = format!(
                    "detection: words `{name}`: {lang} word #{} `{word}`",
                    position + 1
                );
                if word.trim().is_empty() {
                    problems.push(format!("{at} is empty"));
                } else if word.contains(['{', '}']) {
                    problems.push(format!(
                        "{at} uses `{{…}}`; word lists cannot refer to other lists"
                    ));
                }
            }
        }

        let breaks = PhraseSet::new(self.compiled_clause_breaks());
        let lists = [
            ("clause_breaks", &self.clause_breaks),
            ("negators", &self.negators),
            ("not_negators", &self.not_negators),
            ("not_a_problem", &self.not_a_problem),
        ];
        for (list, phrases) in lists {
            let plain_words_only = list == "clause_breaks";
            self.check_phrase_list(list, phrases, &breaks, plain_words_only, &mut problems);
        }

        for (concept, phrases) in &self.concepts {
            if !KNOWN_CONCEPTS.contains(&concept.as_str()) {
                let hint = match closest_known_concept(concept) {
                    Some(known) => format!(" — did you mean `{known}`?"),
                    None => format!("; detectable concepts are {}", KNOWN_CONCEPTS.join(", ")),
                };
                problems.push(format!(
                    "detection: unknown concept `{concept}`{hint} (only the objections and signals of the snapshot format can be detected)"
                ));
            }
            if phrases.zh.is_empty() && phrases.en.is_empty() {
                problems.push(format!(
                    "detection: concept `{concept}` has no zh or en patterns, so it is never detected"
                ));
            }
            let name = format!("concept `{concept}`");
            self.check_phrase_list(&name, &phrases.patterns(), &breaks, false, &mut problems);
            let unless = format!("{name}, unless");
            self.check_phrase_list(&unless, &phrases.unless, &breaks, false, &mut problems);
        }
        problems
    }

    /// Compile once; the result is used for thousands of deals, across threads (must be Send + Sync).
    pub fn compile(&self) -> Detector {
        let mut concepts = Vec::new();
        let mut phrases = Vec::new();
        for (id, concept_phrases) in &self.concepts {
            let Ok(index) = u16::try_from(concepts.len()) else {
                break; // more than 65,535 concepts is not phrase data anyone maintains
            };
            concepts.push(CompiledConcept {
                id: id.clone(),
                is_objection: id.starts_with(OBJECTION_PREFIX),
            });
            self.push_compiled(
                &concept_phrases.patterns(),
                Role::Concept(index),
                &mut phrases,
            );
            self.push_compiled(&concept_phrases.unless, Role::Unless(index), &mut phrases);
        }
        self.push_compiled(&self.negators, Role::Negator, &mut phrases);
        self.push_compiled(&self.not_negators, Role::NotNegator, &mut phrases);
        self.push_compiled(&self.not_a_problem, Role::NotAProblem, &mut phrases);
        Detector {
            concepts,
            phrases: PhraseSet::new(phrases),
            clause_breaks: PhraseSet::new(self.compiled_clause_breaks()),
            goal: self.goal,
        }
    }

    /// Compiles every expansion of every pattern; broken patterns are skipped here and
    /// reported by `problems`, so a bad line never takes the rest of the data down.
    pub(super) fn push_compiled(
        &self,
        source: &LanguagePhrases,
        role: Role,
        out: &mut Vec<Phrase>,
    ) {
        for (lang, _, pattern) in source.tagged() {
            if let Ok(expanded) = self.expand_word_lists(pattern, lang) {
                out.extend(expanded.iter().filter_map(|p| compile_pattern(p, role)));
            }
        }
    }

    /// Clause breaks are plain words: a `*` in one is reported by `problems` and the entry
    /// is skipped, because a break spanning a gap has no sensible meaning.
    pub(super) fn compiled_clause_breaks(&self) -> Vec<Phrase> {
        let mut breaks = Vec::new();
        for (lang, _, word) in self.clause_breaks.tagged() {
            if word.contains('*') {
                continue;
            }
            if let Ok(expanded) = self.expand_word_lists(word, lang) {
                breaks.extend(
                    expanded
                        .iter()
                        .filter_map(|w| compile_pattern(w, Role::ClauseBreak)),
                );
            }
        }
        breaks
    }

    /// Replaces each `{list}` with each word of that list in `lang`: one pattern per
    /// combination, so matching itself stays simple.
    pub(super) fn expand_word_lists(
        &self,
        pattern: &str,
        lang: &str,
    ) -> Result<Vec<String>, String> {
        let mut expansions = vec![String::new()];
        let mut rest = pattern;
        while let Some(open) = rest.find(['{', '}']) {
            let (literal, from_brace) = rest.split_at(open);
            if from_brace.starts_with('}') {
                return Err("has a `}` without its `{`".to_string());
            }
            let Some(close) = from_brace.find('}') else {
                return Err("has a `{` without its `}`".to_string());
            };
            let name = &from_brace[1..close];
            let Some(list) = self.words.get(name.trim()) else {
                let known: Vec<&str> = self.words.keys().map(String::as_str).collect();
                return Err(format!(
                    "uses the unknown word list `{{{name}}}` (defined under `words:`: {})",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ));
            };
            let words: Vec<&String> = list
                .in_language(lang)
                .iter()
                .filter(|w| !w.trim().is_empty() && !w.contains(['{', '}']))
                .collect();
            if words.is_empty() {
                return Err(format!("uses `{{{name}}}`, which has no {lang} words"));
            }
            if expansions.len().saturating_mul(words.len()) > MAX_EXPANSIONS_PER_PATTERN {
                return Err(format!(
                    "expands to more than {MAX_EXPANSIONS_PER_PATTERN} phrases; split it or shorten its word lists"
                ));
            }
            expansions = expansions
                .iter()
                .flat_map(|prefix| words.iter().map(move |w| format!("{prefix}{literal}{w}")))
                .collect();
            rest = &from_brace[close + 1..];
        }
        for expansion in &mut expansions {
            expansion.push_str(rest);
        }
        Ok(expansions)
    }

    pub(super) fn check_phrase_list(
        &self,
        list: &str,
        phrases: &LanguagePhrases,
        clause_breaks: &PhraseSet,
        plain_words_only: bool,
        problems: &mut Vec<String>,
    ) {
        type PhraseKey = Vec<(Box<[char]>, bool, bool)>;
        let mut seen: std::collections::HashSet<(&str, PhraseKey)> = Default::default();
        for (lang, position, pattern) in phrases.tagged() {
            let at = format!(
                "detection: {list}: {lang} pattern #{} `{pattern}`",
                position + 1
            );
            if pattern.trim().is_empty() {
                problems.push(format!("{at} is empty"));
                continue;
            }
            if plain_words_only && pattern.contains('*') {
                problems.push(format!("{at} contains `*`; clause breaks are plain words"));
                continue;
            }
            let expanded = match self.expand_word_lists(pattern, lang) {
                Ok(expanded) => expanded,
                Err(message) => {
                    problems.push(format!("{at} {message}"));
                    continue;
                }
            };
            for expansion in &expanded {
                if let Some(separator) = expansion.chars().find(|&c| separator_kind(c).is_some()) {
                    problems.push(format!(
                        "{at} can never match: `{separator}` ends a clause, and a pattern is matched within one clause"
                    ));
                    break;
                }
                let Some(phrase) = compile_pattern(expansion, Role::NotNegator) else {
                    problems.push(format!(
                        "{at} has only `*` and spaces, so it would match every clause"
                    ));
                    break;
                };
                if !plain_words_only {
                    if let Some(word) = clause_break_inside(&phrase, clause_breaks) {
                        problems.push(format!(
                            "{at} can never match as `{expansion}`: `{word}` is a clause break, and a pattern is matched within one clause"
                        ));
                        break;
                    }
                }
                let key: PhraseKey = phrase
                    .pieces
                    .iter()
                    .map(|p| (p.chars.clone(), p.word_start, p.word_end))
                    .collect();
                if !seen.insert((lang, key)) {
                    problems.push(format!("{at} repeats an earlier pattern of the same list"));
                    break;
                }
            }
        }
    }
}

/// A pattern whose word lists multiply beyond this is almost certainly a mistake, and
/// would slow every deal down.
pub(super) const MAX_EXPANSIONS_PER_PATTERN: usize = 2000;

/// The clause break found inside a piece after the first of `phrase`, if one is. (A
/// break inside the first piece is protected by it: 信不过 keeps its 不过.)
pub(super) fn clause_break_inside(phrase: &Phrase, clause_breaks: &PhraseSet) -> Option<String> {
    phrase.pieces.iter().skip(1).find_map(|piece| {
        (0..piece.chars.len()).find_map(|at| {
            clause_breaks
                .longest_single_piece_at(&piece.chars, at)
                .map(|len| piece.chars[at..at + len].iter().collect())
        })
    })
}

pub(super) fn closest_known_concept(concept: &str) -> Option<&'static str> {
    KNOWN_CONCEPTS
        .iter()
        .map(|known| (edit_distance(concept, known), *known))
        .filter(|(distance, _)| *distance <= 4)
        .min()
        .map(|(_, known)| known)
}

pub(super) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}
