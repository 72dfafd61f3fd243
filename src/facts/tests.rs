//! `facts.who`: the groups of people rules read, as the rhai function they replace
//! gave them.
use super::*;

fn facts_of(yaml: &str) -> Facts {
    let snapshot: Snapshot = serde_yaml::from_str(yaml).expect("the test deal is valid");
    Facts::derive(&snapshot, &[], &[], &EngineSettings::builtin())
}

fn names(list: &[&str]) -> Option<Vec<String>> {
    Some(list.iter().map(|name| name.to_string()).collect())
}

#[test]
fn people_fall_into_the_groups_rules_speak_of() {
    let facts = facts_of(
        "deal: {id: x, name: x, as_of: 2026-03-01}
stakeholders:
  - {name: 林总, role: decision_maker, top_decision_maker: true, influence: 9,
     stance: sceptic, met: false, needs: '', last_contact: 2026-01-01}
  - {name: Ms. Lin, role: user, influence: 6, stance: champion, met: true,
     needs: faster month-end, vip_card: {}}
  - {name: 王工, role: technical_gatekeeper, influence: 7, stance: supporter, met: true,
     last_contact: 2026-02-20}
  - {name: 小张, role: user, level: staff, met: true}
",
    );
    let who = &facts.who;
    assert_eq!(who.count, 4);
    assert_eq!(who.met, names(&["Ms. Lin", "王工", "小张"]));
    assert_eq!(who.openers, names(&["Ms. Lin", "王工"]));
    // 6 + 1 for a champion ties 王工's 7: the first in snapshot order wins.
    assert_eq!(
        who.best_opener,
        vec![BestOpener {
            opener: "Ms. Lin".to_owned()
        }]
    );
    assert_eq!(who.supportive_users, names(&["Ms. Lin"]));
    assert_eq!(who.unconvinced_users, names(&["小张"]));
    assert_eq!(who.swayable, names(&["林总"]));
    assert_eq!(who.not_supportive, names(&["林总", "小张"]));
    assert_eq!(who.staff_unsupportive, names(&["小张"]));
    assert_eq!(who.unscored, names(&["小张"]));
    // An empty `needs` is not written down either.
    assert_eq!(who.no_needs, names(&["林总", "王工", "小张"]));
    // Key people, most influential first.
    assert_eq!(who.key, names(&["林总", "王工"]));
    assert_eq!(who.key_no_needs, names(&["林总", "王工"]));
    assert_eq!(who.key_no_vip_card, names(&["林总", "王工"]));
    let neglected = who.neglected.as_deref().expect("林总 is out of touch");
    assert_eq!(neglected.len(), 1);
    assert_eq!(neglected[0].name, "林总");
    assert_eq!(neglected[0].days_since_contact, Some(59));
    assert!(who.any_vip_card);
}

#[test]
fn empty_groups_are_unknown_to_scripts() {
    let facts = facts_of(
        "deal: {id: x, name: x, as_of: 2026-03-01}
stakeholders:
  - {name: 王工, role: technical_gatekeeper, influence: 5, stance: supporter, met: true,
     needs: uptime}
",
    );
    let who = &facts.who;
    assert_eq!(who.openers, names(&["王工"]));
    assert_eq!(who.not_supportive, None);
    assert_eq!(who.unscored, None);
    assert_eq!(who.key, None);
    assert!(who.neglected.is_none());

    // Rules test `facts.who.key != ()` and texts drop a line whose list is `()`; a
    // `for_each` over `best_opener` needs a list even when it is empty.
    let nobody = facts_of("deal: {id: x, name: x, as_of: 2026-03-01}\n");
    let who = rhai::serde::to_dynamic(&nobody.who)
        .expect("facts.who converts")
        .cast::<rhai::Map>();
    assert_eq!(who["count"].as_int(), Ok(0));
    for group in ["met", "openers", "swayable", "no_needs", "key", "neglected"] {
        assert!(who[group].is_unit(), "{group} is ()");
    }
    assert!(who["best_opener"].clone().into_array().unwrap().is_empty());
    assert_eq!(who["any_vip_card"].as_bool(), Ok(false));
}

fn objection(kind: &str, from: Option<&str>, handled: bool) -> Sighting {
    Sighting {
        concept: format!("objection.{kind}"),
        kind: kind.to_owned(),
        from: from.map(str::to_owned),
        date: None,
        said: None,
        handled: Some(handled),
        source: "objections[0]".to_owned(),
        evidence: None,
        detected_by: None,
    }
}

#[test]
fn objections_are_counted_by_type_with_and_without_who_raised_them() {
    let snapshot: Snapshot =
        serde_yaml::from_str("deal: {id: x, name: x, as_of: 2026-03-01}").expect("valid");
    let objections = [
        objection("no_trust", Some("林总"), false),
        objection("no_trust", None, false),
        objection("no_budget", None, false),
        objection("no_need", Some("王工"), true),
        objection("no_hurry", None, true),
    ];
    let facts = Facts::derive(&snapshot, &[], &objections, &EngineSettings::builtin());
    let count = |key: &str| facts.objection_counts[key];
    assert_eq!(count("no_trust"), 1);
    assert_eq!(count("no_trust_unattributed"), 1);
    assert_eq!(count("no_budget"), 0);
    assert_eq!(count("no_budget_unattributed"), 1);
    // Handled: counted only when it names who raised it.
    assert_eq!(count("handled"), 1);
    assert_eq!(count("no_need"), 0);
    assert_eq!(facts.objection_counts.len(), 9);
}

#[test]
fn a_coverage_gap_names_everyone_identified_but_the_top_decision_maker() {
    let facts = facts_of(
        "deal: {id: x, name: x, as_of: 2026-03-01}
stakeholders:
  - {name: 林总, role: decision_maker, top_decision_maker: true, met: false}
  - {name: 钱经理, role: decision_maker, met: false}
  - {name: 小张, role: user, met: false}
  - {name: 王工, role: technical_gatekeeper, stance: supporter, met: true}
",
    );
    let gap = |role: &str| {
        facts.gaps[role]
            .as_ref()
            .map(|gap| (gap.status, gap.names.clone()))
    };
    assert_eq!(
        gap("decision_maker"),
        Some(("identified", names(&["钱经理"])))
    );
    assert_eq!(gap("user"), Some(("identified", names(&["小张"]))));
    assert_eq!(gap("influencer"), Some(("missing", None)));
    assert_eq!(gap("technical_gatekeeper"), None);
}

#[test]
fn the_account_name_tells_the_kind_of_organisation() {
    let kinds = EngineSettings::builtin().organisation_words;
    let kind = |name: Option<&str>| organisation_kind(name, &kinds);
    assert_eq!(kind(Some("Pearl River Bank")), "bank");
    assert_eq!(kind(Some("珠江农商银行")), "bank");
    assert_eq!(kind(Some("RENJI HOSPITAL")), "hospital");
    assert_eq!(kind(Some("Bright Future School")), "school");
    assert_eq!(kind(Some("City Government")), "public");
    assert_eq!(kind(Some("某市人社局")), "public");
    // A Latin word counts only whole: a river bank is no bank.
    assert_eq!(kind(Some("Riverbank Foods")), "company");
    assert_eq!(kind(Some("锦绣纺织")), "company");
    assert_eq!(kind(None), "company");
}

#[test]
fn revenue_that_is_not_collected_or_not_profitable_holds_the_tier_down() {
    let settings = EngineSettings::builtin();
    // 2% margin and 42% collected: the score reaches tier B, the account is held at C.
    let flattered = value_of(
        Some(5_000_000.0),
        Some(100_000.0),
        Some(2_100_000.0),
        Some(50.0),
        None,
        None,
        None,
        &settings,
    )
    .expect("metrics give a value");
    assert!(flattered.score >= 50.0, "score {}", flattered.score);
    assert_eq!(flattered.tier, "C");
    assert_eq!(
        flattered.capped_by,
        Some(vec!["poor_collection", "thin_profit"])
    );
    // Healthy revenue of the same size keeps the tier its score reaches.
    let healthy = value_of(
        Some(5_000_000.0),
        Some(1_000_000.0),
        Some(5_000_000.0),
        Some(50.0),
        None,
        None,
        None,
        &settings,
    )
    .expect("metrics give a value");
    assert_eq!((healthy.tier.as_str(), healthy.capped_by), ("A", None));
    // A tier already below the cap is not raised to it, nor marked as capped.
    let small = value_of(
        Some(100_000.0),
        Some(1_000.0),
        Some(10_000.0),
        None,
        None,
        None,
        None,
        &settings,
    )
    .expect("metrics give a value");
    assert_eq!((small.tier.as_str(), small.capped_by), ("D", None));
}

#[test]
fn the_quadrant_cut_is_strict() {
    let settings = EngineSettings::builtin();
    // Current value exactly 5 (score 50) and potential exactly 5: both count as low.
    let on_the_cut = value_of(
        Some(2_500_000.0),
        None,
        None,
        None,
        Some(5.0),
        None,
        None,
        &settings,
    )
    .expect("metrics give a value");
    assert_eq!(on_the_cut.current, 5.0);
    assert_eq!(on_the_cut.quadrant.as_deref(), Some("deprioritise"));
    let above = value_of(
        Some(2_600_000.0),
        None,
        None,
        None,
        Some(5.1),
        None,
        None,
        &settings,
    )
    .expect("metrics give a value");
    assert_eq!(above.quadrant.as_deref(), Some("develop"));
}
