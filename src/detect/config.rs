//! The `detection:` section of the playbooks as written, its validation, and its
//! compilation into a [`Detector`].

use indexmap::IndexMap;
use serde::Deserialize;

use super::classifier::{Classifier, ClassifierSettings, Examples};
use super::matcher::{parse_pattern, MatcherBuilder, Role, WordLists};
use super::prepared::blob_struct;
use super::text::{is_separator, Spellings};
use super::{Concept, Detector, KNOWN_CONCEPTS, OBJECTION_PREFIX};

/// The `detection:` section of the playbooks: phrase data and labelled examples, edited
/// by trainers. It may be split over several files: lists are concatenated, maps merged.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectionConfig {
    /// Words that start a new clause even without punctuation (但是, 不过, but, however).
    #[serde(default)]
    pub clause_breaks: LanguagePhrases,
    /// Words that cancel a concept phrase after them in the same clause (不, 没, not, never).
    #[serde(default)]
    pub negators: LanguagePhrases,
    /// Words that contain a cue word but are not that cue (不错, 没想到, 问题 holds 问,
    /// "not only", "asked if" holds "if").
    #[serde(default)]
    pub not_negators: LanguagePhrases,
    /// Phrases that say an objection does not hold (没问题, not an issue); they cancel
    /// every objection in their clause.
    #[serde(default)]
    pub not_a_problem: LanguagePhrases,
    /// Phrases that say a concern has been settled (打消了顾虑, resolved): they cancel the
    /// objections before them in their sentence.
    #[serde(default)]
    pub resolved: LanguagePhrases,
    /// Conditions and suppositions (如果, 要是, if, in case): from the start of their clause
    /// to the end of the sentence nothing is stated.
    #[serde(default)]
    pub hypothetical: LanguagePhrases,
    /// Our own side speaking, planning or proposing (我们建议, 我方, we proposed): nothing
    /// the customer said follows in that clause, nor in the next ones until someone on
    /// the customer's side is named.
    #[serde(default)]
    pub ours: LanguagePhrases,
    /// A third party's view relayed by the speaker (他们老板觉得, 财务那边, her manager): a
    /// finding after one is not credited to the stakeholder named before it.
    #[serde(default)]
    pub relayed: LanguagePhrases,
    /// Words that ask (问, 想知道, asked whether): after one, only concepts found in
    /// questions (`questions: true`) can be found in the sentence.
    #[serde(default)]
    pub asking: LanguagePhrases,
    /// Words that request something (让我们…发, asked for, pls send): like `asking`, they
    /// make a question about details, but they cancel nothing (asked for a formal quote
    /// is a next step).
    #[serde(default)]
    pub requests: LanguagePhrases,
    /// How a speaker is introduced (说, 表示, 觉得, said, told us): left out of the evidence
    /// after the speaker's name, and "…, said Ma Lin" names the speaker after the words.
    #[serde(default)]
    pub speech: LanguagePhrases,
    /// Words placing what follows in the past (之前, 原来, used to): an objection after one
    /// in its clause, followed later in the sentence by a `since` word, is over.
    #[serde(default)]
    pub past: LanguagePhrases,
    /// Words marking a change since (现在, 这次, now, today).
    #[serde(default)]
    pub since: LanguagePhrases,
    /// Spelling variants folded before anything is matched: a typo of the pinyin input
    /// method or a word in pinyin → the word it stands for (我门: 我们, yusuan: 预算).
    #[serde(default)]
    pub spellings: IndexMap<String, String>,
    /// Named word lists: `{senior}` in a pattern stands for any word of `words.senior`
    /// in the pattern's language, so one line covers 老板 / 领导 / 高层 or boss / CFO / VP.
    #[serde(default)]
    pub words: IndexMap<String, LanguagePhrases>,
    /// Concept id → the patterns that reveal it. Kept in file order so output is stable.
    #[serde(default)]
    pub concepts: IndexMap<String, ConceptPhrases>,
    /// Concept id (or `none`) → example clauses the statistical classifier learns from
    /// when the phrase data is compiled (at start; for the built-in playbooks at build
    /// time, see `detect::prepared`). Adding a sentence here is how a trainer teaches the
    /// detector a new way of saying something.
    #[serde(default)]
    pub examples: IndexMap<String, Vec<String>>,
    /// When the classifier may decide on its own.
    #[serde(default)]
    pub classifier: Option<ClassifierSettings>,
    /// What `dealcoach test` requires of the labelled corpus's tuning part.
    #[serde(default)]
    pub goal: Option<CorpusGoal>,
}

blob_struct!(DetectionConfig {
    clause_breaks,
    negators,
    not_negators,
    not_a_problem,
    resolved,
    hypothetical,
    ours,
    relayed,
    asking,
    requests,
    speech,
    past,
    since,
    spellings,
    words,
    concepts,
    examples,
    classifier,
    goal,
});

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

blob_struct!(CorpusGoal { precision, recall });

/// Phrases per language. The matcher treats both alike; the split keeps the lists
/// readable for trainers who maintain one language each, and `{list}` takes the words
/// of the pattern's language.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LanguagePhrases {
    #[serde(default)]
    pub zh: Vec<String>,
    #[serde(default)]
    pub en: Vec<String>,
}

blob_struct!(LanguagePhrases { zh, en });

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

    fn extend(&mut self, other: LanguagePhrases) {
        self.zh.extend(other.zh);
        self.en.extend(other.en);
    }
}

/// The patterns of one concept.
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
    /// The concept is itself a question (asking for details): it is found only in a
    /// question (a question mark, an `asking` word or a `requests` word in the
    /// sentence), which does not cancel it, nor does a condition inside it.
    #[serde(default)]
    pub questions: bool,
    /// Word lists (names under `words:`) one of whose words a clause must hold before the
    /// classifier may report this concept on its own: the classifier decides between
    /// concepts, the anchor says the clause is about the concept at all (no money word,
    /// no no_budget). Empty: no such condition.
    #[serde(default)]
    pub anchors: Vec<String>,
}

blob_struct!(ConceptPhrases {
    zh,
    en,
    unless,
    questions,
    anchors
});

impl ConceptPhrases {
    fn patterns(&self) -> LanguagePhrases {
        LanguagePhrases {
            zh: self.zh.clone(),
            en: self.en.clone(),
        }
    }
}

/// The cue lists, with the role each plays and its name in the file.
fn cue_lists(config: &DetectionConfig) -> [(&'static str, &LanguagePhrases, Role); 13] {
    [
        ("clause_breaks", &config.clause_breaks, Role::ClauseBreak),
        ("negators", &config.negators, Role::Negator),
        ("not_negators", &config.not_negators, Role::Shield),
        ("not_a_problem", &config.not_a_problem, Role::NotAProblem),
        ("resolved", &config.resolved, Role::Resolved),
        ("hypothetical", &config.hypothetical, Role::Hypothetical),
        ("ours", &config.ours, Role::Ours),
        ("relayed", &config.relayed, Role::Relayed),
        ("asking", &config.asking, Role::Asking),
        ("requests", &config.requests, Role::Request),
        ("speech", &config.speech, Role::Speech),
        ("past", &config.past, Role::Past),
        ("since", &config.since, Role::Since),
    ]
}

impl DetectionConfig {
    /// The `detection:` sections of playbook files (path, YAML), merged in the order
    /// given, as loading merges them: what build.rs prepares the built-in detector from.
    /// Loading itself reports problems with their place; this only says which file.
    pub fn from_playbook_files<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<DetectionConfig, String> {
        let mut merged: Option<DetectionConfig> = None;
        for (path, text) in files {
            let Ok(serde_yaml::Value::Mapping(mut file)) = serde_yaml::from_str(text) else {
                continue;
            };
            let Some(section) = file.remove("detection") else {
                continue;
            };
            let config: DetectionConfig = serde_yaml::from_value(section)
                .map_err(|error| format!("{path}: detection: {error}"))?;
            match &mut merged {
                Some(merged) => merged
                    .merge(config)
                    .map_err(|error| format!("{path}: {error}"))?,
                None => merged = Some(config),
            }
        }
        Ok(merged.unwrap_or_default())
    }

    /// Adds the `detection:` section of another playbook file: lists are concatenated,
    /// word lists, concepts and examples merged by name. `goal` and `classifier` may be
    /// set in one file only.
    pub fn merge(&mut self, other: DetectionConfig) -> Result<(), String> {
        if self.goal.is_some() && other.goal.is_some() {
            return Err("`detection.goal` is set twice".to_owned());
        }
        if self.classifier.is_some() && other.classifier.is_some() {
            return Err("`detection.classifier` is set twice".to_owned());
        }
        self.goal = self.goal.or(other.goal);
        self.classifier = self.classifier.take().or(other.classifier);
        self.clause_breaks.extend(other.clause_breaks);
        self.negators.extend(other.negators);
        self.not_negators.extend(other.not_negators);
        self.not_a_problem.extend(other.not_a_problem);
        self.resolved.extend(other.resolved);
        self.hypothetical.extend(other.hypothetical);
        self.ours.extend(other.ours);
        self.relayed.extend(other.relayed);
        self.asking.extend(other.asking);
        self.requests.extend(other.requests);
        self.speech.extend(other.speech);
        self.past.extend(other.past);
        self.since.extend(other.since);
        self.spellings.extend(other.spellings);
        for (name, words) in other.words {
            self.words.entry(name).or_default().extend(words);
        }
        for (id, phrases) in other.concepts {
            let mine = self.concepts.entry(id).or_default();
            mine.zh.extend(phrases.zh);
            mine.en.extend(phrases.en);
            mine.unless.extend(phrases.unless);
            mine.questions |= phrases.questions;
            mine.anchors.extend(phrases.anchors);
        }
        for (class, sentences) in other.examples {
            self.examples.entry(class).or_default().extend(sentences);
        }
        Ok(())
    }

    /// Every problem with the phrase data (empty pattern, unknown concept or word list,
    /// a pattern that can never match …), as messages naming the list and the pattern.
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
                if word
                    .trim_matches(|c: char| c == '*' || c.is_whitespace())
                    .is_empty()
                {
                    problems.push(format!("{at} is empty"));
                } else if word.contains(['{', '}']) {
                    problems.push(format!(
                        "{at} uses `{{…}}`; word lists cannot refer to other lists"
                    ));
                } else if super::matcher::word_forms(word).is_empty() {
                    problems.push(format!(
                        "{at} holds a `*` gap; a word of a list is one slot (a `*` glued inside a word, as in `want* to know`, stands for its endings) — write the gap in a pattern"
                    ));
                } else if let Some(separator) = word.chars().find(|&c| is_separator(c)) {
                    problems.push(format!(
                        "{at} can never match: `{separator}` ends a clause, and a pattern is matched within one clause"
                    ));
                }
            }
        }
        let lists = self.word_lists();
        for (list, phrases, role) in cue_lists(self) {
            let plain = role == Role::ClauseBreak;
            self.check_phrase_list(list, phrases, &lists, plain, &mut problems);
        }
        for (concept, phrases) in &self.concepts {
            if !KNOWN_CONCEPTS.contains(&concept.as_str()) {
                problems.push(unknown_concept(concept));
            }
            if phrases.zh.is_empty() && phrases.en.is_empty() {
                problems.push(format!(
                    "detection: concept `{concept}` has no zh or en patterns, so it is never detected"
                ));
            }
            let name = format!("concept `{concept}`");
            for anchor in &phrases.anchors {
                if !self.words.contains_key(anchor.as_str()) {
                    problems.push(format!(
                        "detection: {name}: anchor `{anchor}` is not a word list under `words:`"
                    ));
                }
            }
            self.check_phrase_list(&name, &phrases.patterns(), &lists, false, &mut problems);
            let unless = format!("{name}, unless");
            self.check_phrase_list(&unless, &phrases.unless, &lists, false, &mut problems);
        }
        for (class, sentences) in &self.examples {
            if class != super::classifier::NOTHING && !KNOWN_CONCEPTS.contains(&class.as_str()) {
                problems.push(format!(
                    "detection: examples: {} (or `{}` for sentences that mean none of them)",
                    unknown_concept(class).trim_start_matches("detection: "),
                    super::classifier::NOTHING
                ));
            }
            for (position, sentence) in sentences.iter().enumerate() {
                if sentence.trim().is_empty() {
                    problems.push(format!(
                        "detection: examples `{class}`: sentence #{} is empty",
                        position + 1
                    ));
                }
            }
        }
        for (variant, canonical) in &self.spellings {
            if variant.trim().is_empty() || canonical.trim().is_empty() {
                problems.push(format!(
                    "detection: spellings: `{variant}: {canonical}` needs a variant and the word it stands for"
                ));
            }
        }
        if let Some(settings) = &self.classifier {
            problems.extend(settings.problems());
        }
        if let Some(goal) = &self.goal {
            for (name, value) in [("precision", goal.precision), ("recall", goal.recall)] {
                if !(0.0..=1.0).contains(&value) {
                    problems.push(format!(
                        "detection: goal: {name} {value} must be between 0 and 1"
                    ));
                }
            }
        }
        problems
    }

    /// The compiled detector: the one build.rs prepared when this is the built-in phrase
    /// data (see [`super::prepared`]), else [`DetectionConfig::compile_here`].
    pub fn compile(&self) -> Detector {
        super::prepared::read(crate::playbook::BUILTIN_DETECTOR, self)
            .unwrap_or_else(|| self.compile_here())
    }

    /// Compiles the phrase data and trains the classifier on the examples. (Training
    /// here, on the thread that compiles the phrases beside the scripts, keeps it off
    /// the path of a `next` that reads a note.) Broken patterns are skipped here and
    /// reported by `problems`, so a bad line never takes the rest of the data down.
    pub fn compile_here(&self) -> Detector {
        let mut builder = MatcherBuilder::default();
        let mut lists = self.word_lists();
        builder.intern_lists(&mut lists);
        let mut concepts = Vec::new();
        for (id, phrases) in &self.concepts {
            let Ok(index) = u16::try_from(concepts.len()) else {
                break; // more than 65,535 concepts is not phrase data anyone maintains
            };
            let anchors = phrases
                .anchors
                .iter()
                .filter_map(|name| self.words.get_index_of(name.as_str()))
                .filter_map(|index| u16::try_from(index).ok())
                .collect();
            concepts.push(Concept {
                id: id.clone(),
                is_objection: id.starts_with(OBJECTION_PREFIX),
                in_questions: phrases.questions,
                anchors,
            });
            self.add_all(
                &phrases.patterns(),
                Role::Concept(index),
                &lists,
                &mut builder,
            );
            self.add_all(&phrases.unless, Role::Unless(index), &lists, &mut builder);
        }
        for (_, phrases, role) in cue_lists(self) {
            self.add_all(phrases, role, &lists, &mut builder);
        }
        for (index, name) in self.words.keys().enumerate() {
            let index = u16::try_from(index).unwrap_or(u16::MAX);
            for lang in ["zh", "en"] {
                if let Ok(words) = lists.get(name, lang) {
                    builder.add_list(index, words);
                }
            }
        }
        let spellings = Spellings::new(
            self.spellings
                .iter()
                .map(|(variant, canonical)| (variant.as_str(), canonical.as_str())),
        );
        let examples = Examples::new(&self.examples, &concepts);
        let matcher = builder.build();
        let classifier = (!examples.is_empty()).then(|| {
            Classifier::train(
                &examples,
                concepts.len(),
                &spellings,
                &matcher,
                self.classifier.unwrap_or_default(),
            )
        });
        Detector {
            concepts,
            matcher,
            spellings,
            classifier,
            goal: self.goal.unwrap_or_default(),
        }
    }

    fn add_all(
        &self,
        phrases: &LanguagePhrases,
        role: Role,
        lists: &WordLists,
        builder: &mut MatcherBuilder,
    ) {
        for (lang, _, pattern) in phrases.tagged() {
            if pattern.chars().any(is_separator) {
                continue;
            }
            if role == Role::ClauseBreak && pattern.contains('*') {
                continue;
            }
            if let Ok(parsed) = parse_pattern(pattern, lists, lang) {
                builder.add(parsed, role, pattern);
            }
        }
    }

    fn word_lists(&self) -> WordLists {
        WordLists::new(
            self.words
                .iter()
                .map(|(name, words)| (name.as_str(), words.zh.as_slice(), words.en.as_slice())),
        )
    }

    fn check_phrase_list(
        &self,
        list: &str,
        phrases: &LanguagePhrases,
        lists: &WordLists,
        plain_words_only: bool,
        problems: &mut Vec<String>,
    ) {
        let mut seen: std::collections::HashSet<(&str, String)> = Default::default();
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
            if let Some(separator) = pattern.chars().find(|&c| is_separator(c)) {
                problems.push(format!(
                    "{at} can never match: `{separator}` ends a clause, and a pattern is matched within one clause"
                ));
                continue;
            }
            if let Err(message) = parse_pattern(pattern, lists, lang) {
                problems.push(format!("{at} {message}"));
                continue;
            }
            if !plain_words_only {
                if let Some(word) = self.clause_break_inside(pattern) {
                    problems.push(format!(
                        "{at} can never match: `{word}` is a clause break, and a pattern is matched within one clause"
                    ));
                    continue;
                }
            }
            let key: String = pattern.split_whitespace().collect::<Vec<_>>().join(" ");
            if !seen.insert((lang, key.to_lowercase())) {
                problems.push(format!("{at} repeats an earlier pattern of the same list"));
            }
        }
    }

    /// A piece of a pattern that is a clause break word on its own (同意*但是*交流): the
    /// clause ends there, so what follows can never be in the same clause. (A break
    /// inside a longer word of a pattern is part of that word: 信不过 keeps its 不过.)
    fn clause_break_inside(&self, pattern: &str) -> Option<String> {
        pattern.split('*').skip(1).map(str::trim).find_map(|piece| {
            self.clause_breaks
                .tagged()
                .map(|(_, _, word)| word.trim())
                .find(|word| !word.is_empty() && piece.eq_ignore_ascii_case(word))
                .map(str::to_owned)
        })
    }
}

fn unknown_concept(concept: &str) -> String {
    let hint = match closest_known_concept(concept) {
        Some(known) => format!(" — did you mean `{known}`?"),
        None => format!("; detectable concepts are {}", KNOWN_CONCEPTS.join(", ")),
    };
    format!(
        "detection: unknown concept `{concept}`{hint} (only the objections and signals of the snapshot format can be detected)"
    )
}

fn closest_known_concept(concept: &str) -> Option<&'static str> {
    KNOWN_CONCEPTS
        .iter()
        .map(|known| (strsim::levenshtein(concept, known), *known))
        .filter(|(distance, _)| *distance <= 4)
        .min()
        .map(|(_, known)| known)
}
