//! Who said it: the stakeholders a note names (or titles), and the customer's words
//! without the speaker.

use super::text::{is_word_char, normalize_phrase, Normalized};
use super::Speaker;

/// A stakeholder's name or title found in a sentence (character positions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SpeakerHit {
    /// Index into [`SpeakerTable::name`].
    pub(super) who: usize,
    pub(super) start: u32,
    pub(super) end: u32,
}

/// The names and titles of one call, normalised like the text. Names are matched
/// literally (a `*` in a name is just a character), whole words only.
#[derive(Debug, Default)]
pub(super) struct SpeakerTable<'a> {
    names: Vec<&'a str>,
    /// (normalised name or title, who).
    entries: Vec<(Vec<char>, usize)>,
}

impl<'a> SpeakerTable<'a> {
    pub(super) fn new(speakers: &[Speaker<'a>]) -> SpeakerTable<'a> {
        let mut table = SpeakerTable::default();
        for speaker in speakers {
            let who = match table.names.iter().position(|name| *name == speaker.name) {
                Some(who) => who,
                None => {
                    table.names.push(speaker.name);
                    table.names.len() - 1
                }
            };
            for written in std::iter::once(speaker.name).chain(speaker.title) {
                let folded: Vec<char> = normalize_phrase(written).chars().collect();
                if !folded.is_empty()
                    && !table.entries.iter().any(|(e, w)| *e == folded && *w == who)
                {
                    table.entries.push((folded, who));
                }
            }
        }
        table
    }

    pub(super) fn name(&self, who: usize) -> Option<&'a str> {
        self.names.get(who).copied()
    }

    /// Every name and title in the sentence, in order; one inside a longer one (王总 in
    /// 王总监) is dropped.
    pub(super) fn find(&self, sentence: &Normalized, out: &mut Vec<SpeakerHit>) {
        out.clear();
        let chars = &sentence.chars;
        for (written, who) in &self.entries {
            let (Some(&first), Some(&last)) = (written.first(), written.last()) else {
                continue;
            };
            let (first_is_word, last_is_word) = (is_word_char(first), is_word_char(last));
            let mut found = 0;
            for start in 0..chars.len() {
                if chars[start] != first || !chars[start..].starts_with(written) || found >= 64 {
                    continue;
                }
                let end = start + written.len();
                if first_is_word && start > 0 && is_word_char(chars[start - 1]) {
                    continue;
                }
                if last_is_word && chars.get(end).is_some_and(|&c| is_word_char(c)) {
                    continue;
                }
                found += 1;
                out.push(SpeakerHit {
                    who: *who,
                    start: start as u32,
                    end: end as u32,
                });
            }
        }
        out.sort_by_key(|hit| (hit.start, std::cmp::Reverse(hit.end)));
        let all = out.clone();
        out.retain(|hit| {
            !all.iter().any(|other| {
                other != hit
                    && other.start <= hit.start
                    && other.end >= hit.end
                    && other.end - other.start > hit.end - hit.start
            })
        });
    }
}

/// What attribution looks at in one sentence.
pub(super) struct SentenceView<'a> {
    pub(super) clauses: &'a [(u32, u32)],
    pub(super) speakers: &'a [SpeakerHit],
    /// Where a third party's view is relayed (他们老板觉得, her manager).
    pub(super) relayed: &'a [(u32, u32)],
    /// Where a speaker is introduced (说, said).
    pub(super) speech: &'a [(u32, u32)],
}

impl SentenceView<'_> {
    /// Who said the words at `start..end` of clause `clause`:
    /// 1. the stakeholder named last before them in their clause;
    /// 2. else the first one named after them in the clause ("no budget, per the CFO");
    /// 3. else the last one named in an earlier clause of the sentence;
    /// 4. else, for words that run over several clauses, the one named inside them;
    /// 5. else one named with a speech word in a later clause ("…, said Ma Lin").
    ///
    /// Names inside the words are their object (同意引荐李总), not their speaker. When a
    /// third party's view stands between the speaker and the words (吴姐说老板觉得太贵),
    /// the words are that third party's: no stakeholder is credited.
    pub(super) fn attribute(&self, clause: usize, start: u32, end: u32) -> Option<SpeakerHit> {
        let (clause_start, clause_end) = self.clauses[clause];
        let in_clause = |hit: &&SpeakerHit| hit.start >= clause_start && hit.end <= clause_end;
        let before = self
            .speakers
            .iter()
            .filter(in_clause)
            .filter(|hit| hit.end <= start)
            .max_by_key(|hit| (hit.end, hit.start));
        if let Some(hit) = before {
            return self.unless_relayed(*hit, start);
        }
        let after = self
            .speakers
            .iter()
            .filter(in_clause)
            .filter(|hit| hit.start >= end)
            .min_by_key(|hit| hit.start);
        if let Some(hit) = after {
            return Some(*hit);
        }
        let earlier = self
            .speakers
            .iter()
            .filter(|hit| hit.end <= clause_start)
            .max_by_key(|hit| (hit.end, hit.start));
        if let Some(hit) = earlier {
            return self.unless_relayed(*hit, start);
        }
        // words that run over several clauses (原来拒绝预付，王总现在同意了): the one named
        // inside them
        let inside = self
            .speakers
            .iter()
            .find(|hit| hit.start >= clause_end && hit.end <= end);
        if let Some(hit) = inside {
            return Some(*hit);
        }
        self.speakers
            .iter()
            .filter(|hit| hit.start >= clause_end)
            .find(|hit| self.introduced(hit))
            .copied()
    }

    fn unless_relayed(&self, speaker: SpeakerHit, words: u32) -> Option<SpeakerHit> {
        // the third party stands between the speaker and the words, or is where the
        // words begin (Ben said his boss would like to hear the pitch)
        let relayed = self.relayed.iter().any(|&(relay_start, _)| {
            relay_start >= speaker.end
                && relay_start <= words
                && !self
                    .speakers
                    .iter()
                    .any(|hit| hit.start <= relay_start && relay_start < hit.end)
        });
        (!relayed).then_some(speaker)
    }

    /// A speaker next to a speech word: "said Ma Lin", "王总说".
    fn introduced(&self, hit: &SpeakerHit) -> bool {
        self.speech.iter().any(|&(start, end)| {
            (end <= hit.start && hit.start - end <= 1) || (start >= hit.end && start - hit.end <= 1)
        })
    }

    /// Where the customer's words of clause `clause` begin once a leading speaker and
    /// speech word are left out ("李总说今年预算紧张" → "今年预算紧张").
    pub(super) fn words_start(&self, clause: usize, speaker: Option<SpeakerHit>) -> u32 {
        let (clause_start, clause_end) = self.clauses[clause];
        let Some(speaker) = speaker else {
            return clause_start;
        };
        if speaker.start > clause_start + 1 || speaker.end >= clause_end {
            return clause_start;
        }
        let mut at = speaker.end;
        if let Some(&(_, end)) = self
            .speech
            .iter()
            .find(|&&(start, end)| start >= at && start <= at + 1 && end < clause_end)
        {
            at = end;
        }
        at
    }
}
