//! The account's value: the pyramid score and tier, and the scorecard quadrant.

use indexmap::IndexMap;
use serde::Serialize;

use crate::playbook::settings::EngineSettings;
use crate::snapshot::Snapshot;

use super::round2;

/// The account's value on the pyramid and the scorecard.
#[derive(Debug, Clone, Serialize)]
pub struct AccountValue {
    /// 0..100, the weighted pyramid score.
    pub score: f64,
    pub tier: String,
    /// Why the tier is lower than the score reaches (`poor_collection`, `thin_profit`):
    /// revenue that is not collected or not profitable flatters the account, so it is
    /// held at `settings.value.best_tier_when_flattered`.
    pub capped_by: Option<Vec<&'static str>>,
    /// 0..10.
    pub current: f64,
    /// 0..10, or `None` without potential scores.
    pub potential: Option<f64>,
    pub quadrant: Option<String>,
    pub collection_rate: Option<f64>,
    pub profit_margin: Option<f64>,
    /// Each single indicator's 0..100 score, for those given.
    pub indicators: IndexMap<&'static str, f64>,
}

/// The value pyramid score and tier, and the scorecard quadrant. Only indicators the
/// snapshot gives are weighted; with none, the account's value is unknown.
pub fn account_value(snapshot: &Snapshot, settings: &EngineSettings) -> Option<AccountValue> {
    let metrics = snapshot.account.metrics.as_ref()?;
    let potential = snapshot.account.potential.as_ref();
    value_of(
        metrics.revenue.map(|m| m.0),
        metrics.profit,
        metrics.collected.map(|m| m.0),
        metrics.transactions.map(|c| c.0 as f64),
        potential.and_then(|p| p.growth).map(|s| s.0),
        potential.and_then(|p| p.strategic_fit).map(|s| s.0),
        potential.and_then(|p| p.share_of_wallet_left).map(|s| s.0),
        settings,
    )
}

/// The value model over raw numbers; shared by deals and the `accounts` CSV.
#[allow(clippy::too_many_arguments)]
pub fn value_of(
    revenue: Option<f64>,
    profit: Option<f64>,
    collected: Option<f64>,
    transactions: Option<f64>,
    growth: Option<f64>,
    strategic_fit: Option<f64>,
    share_of_wallet_left: Option<f64>,
    settings: &EngineSettings,
) -> Option<AccountValue> {
    let model = &settings.value;
    let single = [
        (
            "revenue",
            revenue,
            model.weights.revenue,
            model.full_marks.revenue,
        ),
        (
            "profit",
            profit,
            model.weights.profit,
            model.full_marks.profit,
        ),
        (
            "collected",
            collected,
            model.weights.collected,
            model.full_marks.collected,
        ),
        (
            "transactions",
            transactions,
            model.weights.transactions,
            model.full_marks.transactions,
        ),
    ];
    let mut indicators = IndexMap::new();
    let (mut weighted, mut weight_sum) = (0.0, 0.0);
    for (name, value, weight, full_mark) in single {
        if let Some(value) = value {
            let score = (value / full_mark * 100.0).clamp(0.0, 100.0);
            indicators.insert(name, round2(score));
            weighted += weight * score;
            weight_sum += weight;
        }
    }
    if indicators.is_empty() || weight_sum <= 0.0 {
        return None;
    }
    let score = round2(weighted / weight_sum);
    let reached = model
        .tiers
        .iter()
        .position(|tier| score >= tier.min)
        .unwrap_or(model.tiers.len().checked_sub(1)?);
    let ratio = |part: Option<f64>| match (part, revenue) {
        (Some(part), Some(revenue)) if revenue > 0.0 => Some(round2(part / revenue)),
        _ => None,
    };
    let (collection_rate, profit_margin) = (ratio(collected), ratio(profit));
    let threshold = |name: &str| model.other.get(name).and_then(serde_yaml::Value::as_f64);
    let below = |rate: Option<f64>, name: &str| {
        rate.zip(threshold(name))
            .is_some_and(|(rate, threshold)| rate < threshold)
    };
    let flattered: Vec<&'static str> = [
        (
            "poor_collection",
            below(collection_rate, "poor_collection_below"),
        ),
        ("thin_profit", below(profit_margin, "thin_profit_below")),
    ]
    .into_iter()
    .filter_map(|(why, holds)| holds.then_some(why))
    .collect();
    let cap = model
        .best_tier_when_flattered
        .as_ref()
        .and_then(|name| model.tiers.iter().position(|tier| tier.name == *name))
        .filter(|cap| !flattered.is_empty() && *cap > reached);
    let tier = model.tiers[cap.unwrap_or(reached)].name.clone();
    let current = round2(score / 10.0);

    let potential_parts = [
        (growth, model.potential_weights.growth),
        (strategic_fit, model.potential_weights.strategic_fit),
        (
            share_of_wallet_left,
            model.potential_weights.share_of_wallet_left,
        ),
    ];
    let (mut potential_sum, mut potential_weight) = (0.0, 0.0);
    for (value, weight) in potential_parts {
        if let Some(value) = value {
            potential_sum += value * weight;
            potential_weight += weight;
        }
    }
    let potential = (potential_weight > 0.0).then(|| round2(potential_sum / potential_weight));
    let quadrant = potential.map(|potential| {
        let quadrants = &model.quadrants;
        let high_current = current > model.quadrant_cut;
        let high_potential = potential > model.quadrant_cut;
        match (high_current, high_potential) {
            (true, true) => quadrants.high_current_high_potential.clone(),
            (true, false) => quadrants.high_current_low_potential.clone(),
            (false, true) => quadrants.low_current_high_potential.clone(),
            (false, false) => quadrants.low_current_low_potential.clone(),
        }
    });
    Some(AccountValue {
        score,
        tier,
        capped_by: cap.map(|_| flattered),
        current,
        potential,
        quadrant,
        collection_rate,
        profit_margin,
        indicators,
    })
}
