//! Playbook settings: thresholds, targets and weights a trainer tunes.
//!
//! Rules read every setting freely (`settings.stale_days`). The few the engine itself
//! needs to derive facts are read here into [`EngineSettings`], checked for type and
//! range. A trainer's folder that leaves one out gets the built-in one (the folder's
//! settings are merged over `playbooks/settings.yaml`): no setting has a value in Rust.

use indexmap::IndexMap;
use serde::Deserialize;

/// The settings the engine uses to derive facts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineSettings {
    /// Influence (1..10) from which a person counts as a key person.
    pub influential: i64,
    /// A deal without a stage is late when its close is this many days away or fewer.
    pub late_within_days: i64,
    /// A key person not contacted for more than this many days is neglected
    /// (`facts.who.neglected`).
    pub key_person_contact_days: i64,
    /// Dated things this many days ahead or fewer are commitments to prepare for
    /// (`facts.commitments`).
    pub commitment_window_days: i64,
    /// How long before the expected close the buying decision must move
    /// (`facts.decide_by`).
    pub decision_lead_days: i64,
    pub evidence_temperature: TemperatureWeights,
    pub value: ValueModel,
    /// Kind of organisation → words in an account's name that tell it (`bank: [银行,
    /// Bank]`), in the order they are tried; `facts.organisation_kind` is the first kind
    /// one of whose words the name holds, and texts address the customer by it (贵行,
    /// 贵院 …). Kept in lower case, as names are compared without case.
    pub organisation_kinds: IndexMap<String, Vec<String>>,
}

/// The estimated buying temperature: the rung the questioning reached, plus points each
/// piece of evidence adds (or, negative, takes); the sum is clamped to 0..100.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemperatureWeights {
    pub ladder: Ladder,
    pub per_signal_type: f64,
    /// The customer asked for details (price breakdown, terms, delivery …): interest,
    /// weighed apart from the four signs of the one-step close.
    pub asked_details: f64,
    pub per_open_objection: f64,
    pub top_not_met: f64,
    pub top_supportive: f64,
}

/// The temperature of each rung: the deepest SPIN question asked.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ladder {
    pub none: f64,
    pub situation: f64,
    pub problem: f64,
    pub implication: f64,
    pub need_payoff: f64,
}

/// The value pyramid (weighted single indicators → score → tier) and the value
/// scorecard (current × potential → quadrant).
/// Not `deny_unknown_fields`: rules keep their own value thresholds beside these (serde
/// cannot combine that with `flatten`).
#[derive(Debug, Clone, Deserialize)]
pub struct ValueModel {
    pub weights: Indicators,
    /// The value of each indicator that scores 100.
    pub full_marks: Indicators,
    /// Best first; an account takes the first tier whose `min` its score reaches.
    pub tiers: Vec<Tier>,
    pub potential_weights: PotentialWeights,
    /// On the 0..10 scale: strictly above is "high" (a 5 is not high).
    pub quadrant_cut: f64,
    pub quadrants: Quadrants,
    /// The best tier an account can reach while its revenue flatters it (cash collected
    /// below `poor_collection_below`, or margin below `thin_profit_below`); `None`: no cap.
    #[serde(default)]
    pub best_tier_when_flattered: Option<String>,
    /// Any other value settings (thresholds rules read, such as `poor_collection_below`).
    #[serde(flatten)]
    pub other: IndexMap<String, serde_yaml::Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicators {
    pub revenue: f64,
    pub profit: f64,
    pub collected: f64,
    pub transactions: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    pub name: String,
    pub min: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PotentialWeights {
    pub growth: f64,
    pub strategic_fit: f64,
    pub share_of_wallet_left: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quadrants {
    pub high_current_high_potential: String,
    pub high_current_low_potential: String,
    pub low_current_high_potential: String,
    pub low_current_low_potential: String,
}

impl EngineSettings {
    /// The built-in method's settings (playbooks/settings.yaml).
    pub fn builtin() -> EngineSettings {
        crate::playbook::Playbook::load(crate::playbook::PlaybookFiles::builtin())
            .map(|playbook| playbook.engine_settings)
            .unwrap_or_else(|problems| panic!("the built-in settings are invalid: {problems}"))
    }

    /// Reads the engine's settings out of the merged settings map; every problem is a
    /// message naming the setting.
    pub fn from_map(
        settings: &IndexMap<String, serde_yaml::Value>,
    ) -> Result<EngineSettings, Vec<String>> {
        let mut subset = serde_yaml::Mapping::new();
        for key in [
            "influential",
            "late_within_days",
            "key_person_contact_days",
            "commitment_window_days",
            "decision_lead_days",
            "evidence_temperature",
            "value",
            "organisation_kinds",
        ] {
            if let Some(value) = settings.get(key) {
                subset.insert(serde_yaml::Value::String(key.to_owned()), value.clone());
            }
        }
        let mut engine: EngineSettings = serde_yaml::from_value(serde_yaml::Value::Mapping(subset))
            .map_err(|error| {
                vec![format!(
                    "settings: {}",
                    crate::snapshot::humanize_serde_message(&error.to_string())
                )]
            })?;
        for words in engine.organisation_kinds.values_mut() {
            for word in words.iter_mut() {
                *word = word.trim().to_lowercase();
            }
            words.retain(|word| !word.is_empty());
        }
        let problems = engine.problems();
        if problems.is_empty() {
            Ok(engine)
        } else {
            Err(problems)
        }
    }

    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !(1..=10).contains(&self.influential) {
            problems.push(format!(
                "settings.influential must be 1 to 10, not {}",
                self.influential
            ));
        }
        if self.late_within_days < 0 {
            problems.push("settings.late_within_days must be 0 or more".to_owned());
        }
        if self.key_person_contact_days < 0 {
            problems.push("settings.key_person_contact_days must be 0 or more".to_owned());
        }
        if self.commitment_window_days < 0 {
            problems.push("settings.commitment_window_days must be 0 or more".to_owned());
        }
        if self.decision_lead_days < 0 {
            problems.push("settings.decision_lead_days must be 0 or more".to_owned());
        }
        let value = &self.value;
        let weights = [
            value.weights.revenue,
            value.weights.profit,
            value.weights.collected,
            value.weights.transactions,
        ];
        if weights.iter().any(|w| *w < 0.0) || weights.iter().sum::<f64>() <= 0.0 {
            problems.push("settings.value.weights must be 0 or more and not all 0".to_owned());
        }
        let marks = [
            value.full_marks.revenue,
            value.full_marks.profit,
            value.full_marks.collected,
            value.full_marks.transactions,
        ];
        if marks.iter().any(|m| *m <= 0.0) {
            problems.push("settings.value.full_marks must all be more than 0".to_owned());
        }
        let potential = &value.potential_weights;
        let potential = [
            potential.growth,
            potential.strategic_fit,
            potential.share_of_wallet_left,
        ];
        if potential.iter().any(|w| *w < 0.0) || potential.iter().sum::<f64>() <= 0.0 {
            problems.push(
                "settings.value.potential_weights must be 0 or more and not all 0".to_owned(),
            );
        }
        if value.tiers.is_empty() {
            problems.push("settings.value.tiers needs at least one tier".to_owned());
        }
        if value
            .tiers
            .windows(2)
            .any(|pair| pair[0].min <= pair[1].min)
        {
            problems.push("settings.value.tiers must be listed best first, each `min` lower than the one before".to_owned());
        }
        if value.tiers.last().is_some_and(|lowest| lowest.min > 0.0) {
            problems.push(
                "settings.value.tiers: the last tier's `min` must be 0 so every account has a tier"
                    .to_owned(),
            );
        }
        if !(0.0..=10.0).contains(&value.quadrant_cut) {
            problems.push("settings.value.quadrant_cut must be 0 to 10".to_owned());
        }
        problems
    }
}
