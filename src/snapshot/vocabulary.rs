//! The snapshot's closed vocabularies (roles, stances, stages …) and their aliases.
//!
//! Enum values are English snake_case words, but reps write Chinese: playbooks declare
//! aliases (`盟友` → `champion`). Aliases come from the playbook, which serde's derive
//! cannot pass down to a nested field, so the loader installs them in a thread-local
//! [`AliasScope`] for the duration of one parse. That keeps the snapshot types plain
//! `#[derive(Deserialize)]` structs whose errors carry serde_yaml's line and column.

use std::cell::RefCell;
use std::sync::Arc;

use indexmap::IndexMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::diag::did_you_mean;

/// Playbook-declared aliases: vocabulary name (`role`, `stance` …) → alias → canonical value.
pub type Aliases = IndexMap<String, IndexMap<String, String>>;

thread_local! {
    static ACTIVE_ALIASES: RefCell<Option<Arc<Aliases>>> = const { RefCell::new(None) };
}

/// Makes `aliases` visible to vocabulary parsing on this thread until dropped.
pub struct AliasScope {
    previous: Option<Arc<Aliases>>,
}

impl AliasScope {
    pub fn enter(aliases: Arc<Aliases>) -> AliasScope {
        let previous = ACTIVE_ALIASES.with(|active| active.borrow_mut().replace(aliases));
        AliasScope { previous }
    }
}

impl Drop for AliasScope {
    fn drop(&mut self) {
        let previous = self.previous.take();
        ACTIVE_ALIASES.with(|active| *active.borrow_mut() = previous);
    }
}

/// A closed set of snake_case words.
pub trait Vocabulary: Sized + Copy + 'static {
    /// The name used in messages and as the key of the playbook's alias table.
    const NAME: &'static str;
    const ALL: &'static [Self];
    fn as_str(self) -> &'static str;

    fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|value| value.as_str() == text)
    }

    /// Resolves a word written in a file: a canonical value, or an alias of one.
    fn resolve(written: &str) -> Result<Self, String> {
        let trimmed = written.trim();
        if let Some(value) = Self::parse(trimmed) {
            return Ok(value);
        }
        let aliased = ACTIVE_ALIASES.with(|active| {
            active.borrow().as_ref().and_then(|aliases| {
                aliases
                    .get(Self::NAME)
                    .and_then(|table| table.get(trimmed))
                    .cloned()
            })
        });
        if let Some(value) = aliased.as_deref().and_then(Self::parse) {
            return Ok(value);
        }
        let allowed: Vec<&str> = Self::ALL.iter().map(|value| value.as_str()).collect();
        let hint = did_you_mean(trimmed, allowed.iter().copied())
            .map(|nearest| format!(" — did you mean `{nearest}`?"))
            .unwrap_or_default();
        Err(format!(
            "unknown {} `{written}`{hint} (allowed: {})",
            Self::NAME.replace('_', " "),
            allowed.join(", ")
        ))
    }
}

/// Declares a vocabulary enum with its words, serde glue and alias resolution.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident, $label:literal, { $($variant:ident => $word:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($variant),+ }

        impl Vocabulary for $name {
            const NAME: &'static str = $label;
            const ALL: &'static [Self] = &[$($name::$variant),+];
            fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                crate::snapshot::checked::text(deserializer, concat!("a ", $label, " word"), <$name as Vocabulary>::resolve)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary!(
    /// The pipeline stage of a deal.
    Stage, "stage", {
    Qualify => "qualify", Develop => "develop", Propose => "propose", Negotiate => "negotiate",
    Close => "close", Won => "won", Lost => "lost",
});
vocabulary!(ProofAsset, "proof_asset", {
    CaseStudy => "case_study", Testimonial => "testimonial", Video => "video", Demo => "demo",
    ReferenceVisit => "reference_visit", WhitePaper => "white_paper",
});
vocabulary!(
    /// The five stages of a key-account relationship (domain.md §5).
    RelationshipStage, "relationship_stage", {
    Gestation => "gestation", Initial => "initial", Intermediate => "intermediate",
    Advanced => "advanced", StrategicAlliance => "strategic_alliance",
});
vocabulary!(PurchasePattern, "purchase_pattern", {
    OneOffLarge => "one_off_large", GroupBulk => "group_bulk", RepeatVolume => "repeat_volume",
    Strategic => "strategic",
});
vocabulary!(Credit, "credit", { Good => "good", Watch => "watch", Poor => "poor" });
vocabulary!(Severity, "severity", { Low => "low", Medium => "medium", High => "high" });
vocabulary!(Knowledge, "knowledge", { Known => "known", Partial => "partial", Unknown => "unknown" });
vocabulary!(
    /// `staff` is the outline's "小鬼": people below the key people who can still block.
    Level, "level", { Executive => "executive", Manager => "manager", Staff => "staff" });
vocabulary!(
    /// The four buying influencers.
    Role, "role", {
    User => "user", TechnicalGatekeeper => "technical_gatekeeper",
    DecisionMaker => "decision_maker", Influencer => "influencer",
});
vocabulary!(Stance, "stance", {
    Champion => "champion", Supporter => "supporter", Neutral => "neutral",
    Sceptic => "sceptic", Opponent => "opponent",
});
vocabulary!(
    /// The four rejections.
    ObjectionType, "objection", {
    NoNeed => "no_need", NoTrust => "no_trust", NoBudget => "no_budget", NoHurry => "no_hurry",
});
vocabulary!(
    /// The four buying signals of the one-step close, and the customer asking for details
    /// (price breakdown, payment terms, delivery, effort, licences, clauses).
    SignalType, "signal", {
    AcceptedRejectedIdea => "accepted_rejected_idea", AgreedNextStep => "agreed_next_step",
    IntroducedSenior => "introduced_senior", AgreedTechExchange => "agreed_tech_exchange",
    AskedDetails => "asked_details",
});
vocabulary!(
    /// SPIN question types, in the order they are asked.
    QuestionType, "question", {
    Situation => "situation", Problem => "problem", Implication => "implication",
    NeedPayoff => "need_payoff",
});
vocabulary!(
    /// Yes or no, as a CRM export writes it (`是`, `否` are aliases).
    Flag, "flag", { True => "true", False => "false" });
vocabulary!(ActivityType, "activity", {
    Visit => "visit", Call => "call", Meeting => "meeting", TechExchange => "tech_exchange",
    Demo => "demo", Favor => "favor", AfterSales => "after_sales", Proposal => "proposal",
    Email => "email",
});

impl SignalType {
    /// One of the four signs of the one-step close (一步成交的四个标志), which the method
    /// counts to judge closing readiness and the deal's phase. A question about details
    /// shows interest too, but is weighed on its own (`evidence_temperature.asked_details`).
    pub fn is_closing_sign(self) -> bool {
        self != SignalType::AskedDetails
    }
}

impl Stance {
    /// Champions and supporters.
    pub fn is_supportive(self) -> bool {
        matches!(self, Stance::Champion | Stance::Supporter)
    }
    pub fn is_hostile(self) -> bool {
        matches!(self, Stance::Sceptic | Stance::Opponent)
    }
}

/// Every vocabulary, by the name its alias table uses; `check` validates alias tables
/// against this list.
pub fn vocabulary_words(name: &str) -> Option<Vec<&'static str>> {
    fn words<V: Vocabulary>() -> Vec<&'static str> {
        V::ALL.iter().map(|value| value.as_str()).collect()
    }
    Some(match name {
        "stage" => words::<Stage>(),
        "proof_asset" => words::<ProofAsset>(),
        "relationship_stage" => words::<RelationshipStage>(),
        "purchase_pattern" => words::<PurchasePattern>(),
        "credit" => words::<Credit>(),
        "severity" => words::<Severity>(),
        "knowledge" => words::<Knowledge>(),
        "level" => words::<Level>(),
        "role" => words::<Role>(),
        "stance" => words::<Stance>(),
        "objection" => words::<ObjectionType>(),
        "signal" => words::<SignalType>(),
        "question" => words::<QuestionType>(),
        "activity" => words::<ActivityType>(),
        "flag" => words::<Flag>(),
        _ => return None,
    })
}

pub const VOCABULARY_NAMES: &[&str] = &[
    "stage",
    "proof_asset",
    "relationship_stage",
    "purchase_pattern",
    "credit",
    "severity",
    "knowledge",
    "level",
    "role",
    "stance",
    "objection",
    "signal",
    "question",
    "activity",
    "flag",
];
