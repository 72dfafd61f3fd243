//! Accounts from deal files: each account field from the latest snapshot that states it,
//! the relationship KPIs rolled up across the account's deals.

use super::*;

/// What one deal says about its account.
pub(super) struct DealPiece {
    name: String,
    stamp: Stamp,
    account: Account,
    visits: Vec<ActivityKey>,
    favors: Vec<ActivityKey>,
    key_without_card: Vec<String>,
    key_with_card: Vec<String>,
}

#[derive(Default)]
pub(super) struct AccountState {
    account: Account,
    stamps: BTreeMap<&'static str, Stamp>,
    latest: Option<Date>,
    deals: usize,
    visits: BTreeSet<ActivityKey>,
    favors: BTreeSet<ActivityKey>,
    key_without_card: BTreeSet<String>,
    key_with_card: BTreeSet<String>,
}

/// What a deal contributes to its account; `None` for a deal without `account.name`.
pub(super) fn piece_of(
    snapshot: Snapshot,
    origin: &Origin,
    playbook: &Playbook,
) -> Result<Option<DealPiece>, ErrorEntry> {
    let Some(name) = snapshot
        .account
        .name
        .as_ref()
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
    else {
        return Ok(None);
    };
    let as_of = snapshot.as_of();
    // Signals and objections play no part in the KPIs; the facts are derived without them.
    let facts = Facts::derive(&snapshot, &[], &[], &playbook.engine_settings);
    let window = |kinds: &[ActivityType]| -> Vec<ActivityKey> {
        snapshot
            .activities
            .iter()
            .filter_map(|activity| {
                let kind = activity.kind.filter(|kind| kinds.contains(kind))?;
                let date = activity
                    .date
                    .filter(|date| *date <= as_of && as_of.days_since(*date) < 30)?;
                let mut with: Vec<String> = activity
                    .with
                    .iter()
                    .map(|person| person.0.clone())
                    .collect();
                with.sort();
                Some((date, kind.as_str(), with))
            })
            .collect()
    };
    let visits = window(&[ActivityType::Visit, ActivityType::Meeting]);
    let favors = window(&[ActivityType::Favor]);
    let key_with_card = facts
        .key_people
        .iter()
        .filter(|person| person.has_vip_card)
        .map(|person| person.name.clone())
        .collect();
    Ok(Some(DealPiece {
        stamp: (
            as_of,
            snapshot.deal.id.clone(),
            origin.file.clone(),
            origin.line.unwrap_or(0),
        ),
        name,
        account: snapshot.account,
        visits,
        favors,
        key_without_card: facts.key_contacts_without_vip_card,
        key_with_card,
    }))
}

/// The accounts described by the deals under `paths`, with the deals that could not be
/// read and how many deals name no account, and what the walk passed over.
pub fn from_deals(
    paths: &[PathBuf],
    playbook: &Playbook,
    settings: &PortfolioSettings,
    max_bytes: u64,
) -> (
    Vec<AccountInput>,
    Vec<ErrorEntry>,
    usize,
    Vec<pipeline::Skipped>,
) {
    let mut states: BTreeMap<String, AccountState> = BTreeMap::new();
    let mut errors = Vec::new();
    let mut without_account = 0;
    let skipped = pipeline::for_each_chunk(
        paths,
        &playbook.aliases,
        max_bytes,
        |snapshot, origin| piece_of(snapshot, origin, playbook),
        |outcomes| {
            for outcome in outcomes {
                match outcome {
                    Ok(Some(piece)) => states.entry(piece.name.clone()).or_default().absorb(piece),
                    Ok(None) => without_account += 1,
                    Err(error) => errors.push(error),
                }
            }
        },
    );
    errors.sort();
    let inputs = states
        .into_iter()
        .map(|(name, state)| state.into_input(name, settings))
        .collect();
    (inputs, errors, without_account, skipped)
}

impl AccountState {
    fn absorb(&mut self, piece: DealPiece) {
        self.deals += 1;
        let as_of = piece.stamp.0;
        self.latest = self.latest.max(Some(as_of));
        let stamp = &piece.stamp;
        let account = piece.account;
        macro_rules! take {
            ($($field:ident),+) => {$(
                if account.$field.is_some()
                    && self.stamps.get(stringify!($field)).map_or(true, |held| stamp > held)
                {
                    self.account.$field = account.$field.clone();
                    self.stamps.insert(stringify!($field), stamp.clone());
                }
            )+};
        }
        take!(
            name,
            is_key_account,
            relationship_stage,
            purchase_pattern,
            metrics,
            potential,
            credit,
            has_account_file,
            referrals,
            thinks_of_us_first,
            service_issues
        );
        self.visits.extend(piece.visits);
        self.favors.extend(piece.favors);
        self.key_without_card.extend(piece.key_without_card);
        self.key_with_card.extend(piece.key_with_card);
    }

    fn into_input(self, name: String, settings: &PortfolioSettings) -> AccountInput {
        let kpi = self.latest.map(|latest| {
            let recent = |key: &&ActivityKey| key.0 <= latest && latest.days_since(key.0) < 30;
            Kpi {
                as_of: latest.to_string(),
                visits_30d: self.visits.iter().filter(recent).count(),
                visit_target_30d: settings.visit_target_30d,
                favors_30d: self.favors.iter().filter(recent).count(),
                favor_target_30d: settings.favor_target_30d,
                key_contacts_without_vip_card: self
                    .key_without_card
                    .difference(&self.key_with_card)
                    .cloned()
                    .collect(),
                referrals: self.account.referrals.map(|count| count.0),
            }
        });
        AccountInput {
            name,
            account: self.account,
            as_of: self.latest,
            deals: Some(self.deals),
            kpi,
        }
    }
}
