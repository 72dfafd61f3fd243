//! Playbook settings: thresholds, targets and weights a trainer tunes.
//!
//! Rules read every setting freely (`settings.stale_days`). The few the engine itself
//! needs to derive facts are read here into [`EngineSettings`], checked for type and
//! range. Their defaults apply only to a trainer's folder that leaves them out; the
//! built-in `playbooks/settings.yaml` states every one of them.

use indexmap::IndexMap;
use serde::Deserialize;

/// The settings the engine uses to derive facts.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineSettings {
    /// Influence (1..10) from which a person counts as a key person.
    pub influential: i64,
    /// A deal without a stage is late when its close is this many days away or fewer.
    pub late_within_days: i64,
    /// A key person not contacted for more than this many days is neglected
    /// (`facts.who.neglected`).
    pub key_person_contact_days: i64,
    pub evidence_temperature: TemperatureWeights,
    pub value: ValueModel,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            influential: 7,
            late_within_days: 45,
            key_person_contact_days: 30,
            evidence_temperature: TemperatureWeights::default(),
            value: ValueModel::default(),
        }
    }
}

/// Points that each piece of evidence adds to (or, negative, takes from) the estimated
/// buying temperature; the sum is clamped to 0..100.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TemperatureWeights {
    pub base: f64,
    pub per_signal_type: f64,
    /// The customer asked for details (price breakdown, terms, delivery …).
    pub asked_details: f64,
    pub per_spin_type: f64,
    pub per_open_objection: f64,
    pub top_not_met: f64,
    pub top_supportive: f64,
    pub per_missing_influencer: f64,
}

impl Default for TemperatureWeights {
    fn default() -> Self {
        TemperatureWeights {
            base: 10.0,
            per_signal_type: 18.0,
            asked_details: 8.0,
            per_spin_type: 5.0,
            per_open_objection: -10.0,
            top_not_met: -15.0,
            top_supportive: 10.0,
            per_missing_influencer: -5.0,
        }
    }
}

/// The value pyramid (weighted single indicators → score → tier) and the value
/// scorecard (current × potential → quadrant).
/// Not `deny_unknown_fields`: rules keep their own value thresholds beside these (serde
/// cannot combine that with `flatten`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ValueModel {
    pub weights: Indicators,
    /// The value of each indicator that scores 100.
    pub full_marks: Indicators,
    /// Best first; an account takes the first tier whose `min` its score reaches.
    pub tiers: Vec<Tier>,
    pub potential_weights: PotentialWeights,
    /// On the 0..10 scale: at or above is "high".
    pub quadrant_cut: f64,
    pub quadrants: Quadrants,
    /// Any other value settings (thresholds rules read, such as `poor_collection_below`).
    #[serde(flatten)]
    pub other: IndexMap<String, serde_yaml::Value>,
}

impl Default for ValueModel {
    fn default() -> Self {
        ValueModel {
            weights: Indicators {
                revenue: 0.35,
                profit: 0.3,
                collected: 0.2,
                transactions: 0.15,
            },
            full_marks: Indicators {
                revenue: 5_000_000.0,
                profit: 1_000_000.0,
                collected: 5_000_000.0,
                transactions: 50.0,
            },
            tiers: vec![
                Tier {
                    name: "A".into(),
                    min: 75.0,
                },
                Tier {
                    name: "B".into(),
                    min: 50.0,
                },
                Tier {
                    name: "C".into(),
                    min: 25.0,
                },
                Tier {
                    name: "D".into(),
                    min: 0.0,
                },
            ],
            potential_weights: PotentialWeights {
                growth: 0.4,
                strategic_fit: 0.35,
                share_of_wallet_left: 0.25,
            },
            quadrant_cut: 5.0,
            quadrants: Quadrants::default(),
            other: IndexMap::new(),
        }
    }
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

impl Default for Quadrants {
    fn default() -> Self {
        Quadrants {
            high_current_high_potential: "develop".into(),
            high_current_low_potential: "keep".into(),
            low_current_high_potential: "grow".into(),
            low_current_low_potential: "deprioritise".into(),
        }
    }
}

impl EngineSettings {
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
            "evidence_temperature",
            "value",
        ] {
            if let Some(value) = settings.get(key) {
                subset.insert(serde_yaml::Value::String(key.to_owned()), value.clone());
            }
        }
        let engine: EngineSettings = serde_yaml::from_value(serde_yaml::Value::Mapping(subset))
            .map_err(|error| {
                vec![format!(
                    "settings: {}",
                    crate::snapshot::humanize_serde_message(&error.to_string())
                )]
            })?;
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
