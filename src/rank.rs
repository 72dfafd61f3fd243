//! Ranking: which advice comes first.
//!
//! Moves by priority (highest first), warnings by severity (high first); ties by concept
//! id, then rule id, so the order never depends on evaluation or thread order. The sort
//! is stable, so several firings of one `for_each` rule keep the snapshot's order.

use crate::coach::Advice;
use crate::snapshot::vocabulary::Severity;

/// Higher priority first; ties by concept, then rule id (a stable sort keeps the
/// elements of one rule in their `for_each` order).
pub fn compare_moves(a: &Advice, b: &Advice) -> std::cmp::Ordering {
    b.priority
        .cmp(&a.priority)
        .then_with(|| a.concept.cmp(&b.concept))
        .then_with(|| a.rule.id.cmp(&b.rule.id))
}

pub fn rank_warnings(warnings: &mut [Advice]) {
    let weight = |severity: Option<Severity>| match severity {
        Some(Severity::High) => 0,
        Some(Severity::Medium) => 1,
        _ => 2,
    };
    warnings.sort_by(|a, b| {
        weight(a.severity)
            .cmp(&weight(b.severity))
            .then_with(|| a.concept.cmp(&b.concept))
            .then_with(|| a.rule.id.cmp(&b.rule.id))
    });
}
