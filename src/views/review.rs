//! `review`: a whole pipeline ranked by risk, one row per deal with its top move, and a
//! summary of how often each risk occurs across the pipeline.
//!
//! Each deal goes through the same [`coach`] as `next`; its risk is the sum of the
//! playbook's points for the concepts that fire on it (`settings.risk`), times the factor
//! of its phase, rounded, never below 0 and with no ceiling (a capped score made hundreds
//! of deals tie at 100, so `--top` ranked them by amount alone); advice a snooze hides
//! adds nothing. Rows are ranked by
//! risk, highest first; ties by amount, largest first (a deal without an amount last),
//! then by deal id, so `--top` never depends on file order. A deal id read twice is an
//! error naming both places: the first is reviewed, the second is not.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::pipeline::{self, Fingerprint, Origin};
use super::since::{Previous, SinceSummary};
use super::spill::Sorter;
use super::{concept_matches, ErrorEntry, PortfolioSettings, RiskModel};
use crate::coach::{coach_with, Detail};
use crate::engine::RuleError;
use crate::playbook::{Lang, Playbook};
use crate::snapshot::vocabulary::{Severity, Vocabulary};
use crate::snapshot::Snapshot;

/// Rows held in memory before a sorted run is spilled to disk (see `spill`).
const RUN_SIZE: usize = 8 * 1024;

/// Which deals to show.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// Only deals of this account (`account.name`, ignoring case and surrounding spaces).
    pub account: Option<String>,
    /// Only deals whose risk is at least this.
    pub min_risk: Option<u32>,
    /// Only deals where this concept (or a concept under it) fires.
    pub concept: Option<String>,
    /// Only deals of this owner (`deal.owner`, ignoring case and surrounding spaces).
    pub owner: Option<String>,
}

/// One deal of the pipeline, as `review` reports it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DealRow {
    pub id: String,
    pub name: String,
    pub account: Option<String>,
    /// `deal.owner`, or `null`.
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(serialize_with = "super::whole::option")]
    pub amount: Option<f64>,
    pub currency: Option<String>,
    pub stage: Option<String>,
    /// `facts.phase`: early, middle, late, won or lost.
    pub phase: String,
    /// The rep's temperature (`deal.temperature`), or `null`.
    pub temperature: Option<i64>,
    /// The temperature the evidence supports.
    pub temperature_evidence: i64,
    /// 0 or more: the points times the phase factor, rounded (no ceiling).
    pub risk: u32,
    /// Where the risk comes from: points per concept, before the phase factor.
    pub risk_parts: Vec<RiskPart>,
    pub phase_factor: f64,
    /// How many moves the deal has.
    pub moves: usize,
    /// The warning concepts that fire, most severe first.
    pub warnings: Vec<String>,
    /// Moves, steps and warnings a snooze in force hides (not in `risk`, `moves` or
    /// `warnings`).
    #[serde(default)]
    pub snoozed: usize,
    pub top_move: Option<TopMove>,
    pub file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The rules that failed on this deal (the others still ran): its row is incomplete.
    #[serde(default)]
    pub failed_rules: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RiskPart {
    pub concept: String,
    #[serde(serialize_with = "super::whole::number")]
    pub points: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TopMove {
    pub concept: String,
    pub title: String,
    pub priority: Option<i64>,
}

/// Highest risk first; ties by amount, largest first (no amount last), then deal id, then
/// where the deal was read.
fn rank(a: &DealRow, b: &DealRow) -> Ordering {
    let amount = |row: &DealRow| row.amount.unwrap_or(f64::NEG_INFINITY);
    b.risk
        .cmp(&a.risk)
        .then_with(|| amount(b).total_cmp(&amount(a)))
        .then_with(|| a.id.cmp(&b.id))
        .then_with(|| a.file.cmp(&b.file))
        .then_with(|| a.line.cmp(&b.line))
}

/// A rule that failed on some deals (the rest of the rules still ran).
#[derive(Debug, Clone, Serialize)]
pub struct RuleFailure {
    pub rule: String,
    pub deals: usize,
    /// The failure on the first deal by file path, then line (not the first evaluated,
    /// which depends on the order threads finish), as `deal-file: rule-file:line: message`.
    pub example: String,
    /// Where that deal was read: what chooses the example.
    #[serde(skip)]
    example_origin: (String, Option<usize>),
}

/// A reviewed pipeline: the rows (ranked on demand), the counts behind the summary,
/// and what could not be read.
pub struct Review {
    rows: Sorter<DealRow>,
    /// Deals read and coached, before the filters.
    pub read: usize,
    /// Deals that pass the filters; the summary counts are over these.
    pub reviewed: usize,
    /// Concept → deals (that pass the filters) on which it adds risk.
    pub counts: BTreeMap<String, usize>,
    pub errors: Vec<ErrorEntry>,
    /// What the walk passed over (links to folders, pipes, files reached twice…).
    pub skipped: Vec<pipeline::Skipped>,
    pub rule_failures: Vec<RuleFailure>,
    /// Moves and warnings hidden by snoozes, over the deals that pass the filters.
    pub snoozed_items: usize,
    /// Deals (that pass the filters) with at least one hidden item.
    pub snoozed_deals: usize,
    /// Totals per owner over the deals that pass the filters; deals without an owner
    /// under `None`, last.
    pub owners: BTreeMap<OwnerKey, OwnerTotals>,
    /// Deals passed over because their id was already read (each is also in `errors`).
    pub duplicates: usize,
    /// Against an earlier review (`--since`): deals new, gone, riskier, less risky.
    pub since: Option<SinceSummary>,
}

/// Orders owners by name, with "no owner" last.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum OwnerKey {
    Named(String),
    Unowned,
}

/// One owner's share of the pipeline.
#[derive(Debug, Clone, Serialize)]
pub struct OwnerTotals {
    pub owner: Option<String>,
    pub deals: usize,
    /// Deals at `settings.risk_levels.high` or more.
    pub high_risk: usize,
    /// The sum of the deals' amounts, per currency (`null`: the deal names none); deals
    /// without an amount add nothing.
    pub amounts: Vec<CurrencyTotal>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CurrencyTotal {
    pub currency: Option<String>,
    #[serde(serialize_with = "super::whole::number")]
    pub amount: f64,
}

impl OwnerTotals {
    fn add(&mut self, row: &DealRow, high_risk: u32) {
        self.deals += 1;
        if row.risk >= high_risk {
            self.high_risk += 1;
        }
        if let Some(amount) = row.amount {
            match self
                .amounts
                .iter_mut()
                .find(|total| total.currency == row.currency)
            {
                Some(total) => total.amount += amount,
                None => {
                    self.amounts.push(CurrencyTotal {
                        currency: row.currency.clone(),
                        amount,
                    });
                    self.amounts.sort_by(|a, b| a.currency.cmp(&b.currency));
                }
            }
        }
    }
}

/// One coached deal, before the filters.
struct Assessed {
    row: DealRow,
    concepts: BTreeSet<String>,
    rule_errors: Vec<RuleError>,
}

/// Reads and coaches every deal under `paths`, on every core, keeping one row per deal.
pub fn review(
    paths: &[PathBuf],
    playbook: &Playbook,
    settings: &PortfolioSettings,
    lang: Lang,
    filters: &Filters,
    max_bytes: u64,
) -> io::Result<Review> {
    review_since(paths, playbook, settings, lang, filters, max_bytes, None)
}

/// [`review`], and with `previous` (an earlier review) the counts of deals new, gone,
/// riskier and less risky since then.
pub fn review_since(
    paths: &[PathBuf],
    playbook: &Playbook,
    settings: &PortfolioSettings,
    lang: Lang,
    filters: &Filters,
    max_bytes: u64,
    previous: Option<&Previous>,
) -> io::Result<Review> {
    let mut since = previous.map(SinceSummary::new);
    let mut rows = Sorter::new(RUN_SIZE, rank);
    let mut read = 0;
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut errors = Vec::new();
    let mut failures: BTreeMap<String, RuleFailure> = BTreeMap::new();
    let mut disk_error: Option<io::Error> = None;
    let wanted_account = filters
        .account
        .as_ref()
        .map(|name| name.trim().to_lowercase());
    let wanted_owner = filters
        .owner
        .as_ref()
        .map(|name| name.trim().to_lowercase());
    let mut duplicates = 0;
    let mut snoozed_items = 0;
    let mut snoozed_deals = 0;
    let mut owners: BTreeMap<OwnerKey, OwnerTotals> = BTreeMap::new();
    // Every deal id read, and where it was first read. Chunks arrive in the walk's order,
    // so which copy is reviewed does not depend on threads.
    let mut seen = FirstReads::new(FIRST_READS_IN_MEMORY);

    let skipped = pipeline::for_each_chunk_showing(
        paths,
        &playbook.aliases,
        max_bytes,
        pipeline::Progress::shown(|n| playbook.labels.count("unit.deal_read", n as i64, lang)),
        |snapshot, origin| assess(playbook, settings, lang, snapshot, origin),
        |outcomes| {
            for outcome in outcomes {
                let assessed = match outcome {
                    Ok(assessed) => assessed,
                    Err(error) => {
                        errors.push(error);
                        continue;
                    }
                };
                let row = &assessed.row;
                match seen.first_read(&row.id, &row.file, row.line) {
                    Ok(None) => {}
                    Ok(Some((first_file, first_line))) => {
                        let first = match first_line {
                            Some(line) => format!("{first_file}:{line}"),
                            None => first_file,
                        };
                        duplicates += 1;
                        errors.push(ErrorEntry::new(
                            &row.file,
                            row.line.unwrap_or(0),
                            0,
                            format!(
                                "deal id `{}` is also in {first}: reviewed once, from there — give each deal its own id or remove the copy",
                                row.id
                            ),
                        ));
                        continue;
                    }
                    Err(error) => {
                        disk_error.get_or_insert(error);
                        continue;
                    }
                }
                read += 1;
                for error in &assessed.rule_errors {
                    let origin = (assessed.row.file.clone(), assessed.row.line);
                    let example = || {
                        format!(
                            "{}: {}:{}: {}",
                            assessed.row.file, error.file, error.line, error.message
                        )
                    };
                    let failure = failures
                        .entry(error.id.clone())
                        .or_insert_with(|| RuleFailure {
                            rule: error.id.clone(),
                            deals: 0,
                            example: example(),
                            example_origin: origin.clone(),
                        });
                    if origin < failure.example_origin {
                        failure.example = example();
                        failure.example_origin = origin;
                    }
                    failure.deals += 1;
                }
                let row = assessed.row;
                let account_ok = wanted_account.as_ref().is_none_or(|wanted| {
                    row.account
                        .as_ref()
                        .is_some_and(|name| name.trim().to_lowercase() == *wanted)
                });
                let owner_ok = wanted_owner.as_ref().is_none_or(|wanted| {
                    row.owner
                        .as_ref()
                        .is_some_and(|name| name.trim().to_lowercase() == *wanted)
                });
                let risk_ok = filters.min_risk.is_none_or(|min| row.risk >= min);
                let concept_ok = filters.concept.as_ref().is_none_or(|wanted| {
                    assessed
                        .concepts
                        .iter()
                        .any(|concept| concept_matches(concept, wanted))
                });
                if !(account_ok && owner_ok && risk_ok && concept_ok) {
                    continue;
                }
                if let (Some(since), Some(previous)) = (since.as_mut(), previous) {
                    since.count(&previous.compare(&row));
                }
                snoozed_items += row.snoozed;
                if row.snoozed > 0 {
                    snoozed_deals += 1;
                }
                let key = match &row.owner {
                    Some(owner) => OwnerKey::Named(owner.clone()),
                    None => OwnerKey::Unowned,
                };
                owners
                    .entry(key)
                    .or_insert_with(|| OwnerTotals {
                        owner: row.owner.clone(),
                        deals: 0,
                        high_risk: 0,
                        amounts: Vec::new(),
                    })
                    .add(&row, settings.levels.high);
                for part in &row.risk_parts {
                    *counts.entry(part.concept.clone()).or_default() += 1;
                }
                if disk_error.is_none() {
                    if let Err(error) = rows.push(row) {
                        disk_error = Some(error);
                    }
                }
            }
        },
    );
    if let Some(error) = disk_error {
        return Err(error);
    }
    errors.sort();
    if let (Some(since), Some(previous)) = (since.as_mut(), previous) {
        since.close(previous, |id| seen.contains(id));
    }
    Ok(Review {
        since,
        reviewed: rows.len(),
        rows,
        read,
        counts,
        errors,
        skipped,
        rule_failures: failures.into_values().collect(),
        snoozed_items,
        snoozed_deals,
        owners,
        duplicates,
    })
}

fn assess(
    playbook: &Playbook,
    settings: &PortfolioSettings,
    lang: Lang,
    snapshot: Snapshot,
    origin: &Origin,
) -> Result<Assessed, ErrorEntry> {
    let report = coach_with(playbook, &snapshot, lang, Detail::Headline)
        .map_err(|message| ErrorEntry::new(&origin.file, origin.line.unwrap_or(0), 0, message))?;
    let phase = report.assessment.phase;
    let fired: Vec<Fired> = report
        .advice()
        .map(|advice| Fired {
            concept: &advice.concept,
            rule: &advice.rule.id,
            severity: advice.severity,
        })
        .collect();
    let (risk, risk_parts, phase_factor) = score(&settings.risk, phase, &fired);
    let mut warnings: Vec<String> = Vec::new();
    for advice in &report.warnings {
        if !warnings.contains(&advice.concept) {
            warnings.push(advice.concept.clone());
        }
    }
    let concepts = fired.iter().map(|fired| fired.concept.to_owned()).collect();
    let deal = snapshot.deal;
    Ok(Assessed {
        row: DealRow {
            id: deal.id,
            name: deal.name,
            account: snapshot.account.name,
            owner: deal.owner.map(|owner| owner.trim().to_owned()),
            amount: deal.amount.map(|amount| amount.0),
            currency: deal.currency,
            stage: deal.stage.map(|stage| stage.as_str().to_owned()),
            phase: phase.to_owned(),
            temperature: report.assessment.temperature.stated,
            temperature_evidence: report.assessment.temperature.evidence,
            risk,
            risk_parts,
            phase_factor,
            moves: report.moves.len(),
            warnings,
            snoozed: report.snoozed.iter().map(|entry| entry.hides.len()).sum(),
            top_move: report.moves.first().map(|advice| TopMove {
                concept: advice.concept.clone(),
                title: advice.title.clone(),
                priority: advice.priority,
            }),
            file: origin.file.clone(),
            line: origin.line,
            failed_rules: report.errors.iter().map(|error| error.id.clone()).collect(),
        },
        concepts,
        rule_errors: report.errors,
    })
}

/// A rule that fired on a deal: its concept, its id, and its severity if a warning.
#[derive(Debug, Clone, Copy)]
pub struct Fired<'a> {
    pub concept: &'a str,
    pub rule: &'a str,
    pub severity: Option<Severity>,
}

/// The risk of a deal in `phase` on which the `fired` rules fired: each concept counts
/// once, with the most points any of its rules gives (the rule's own points, else its
/// concept's, else for a warning the points of its severity); the sum times the phase
/// factor, rounded; never below 0, and with no ceiling, so two deals tie only when their
/// weighed points do.
pub fn score(model: &RiskModel, phase: &str, fired: &[Fired]) -> (u32, Vec<RiskPart>, f64) {
    let mut by_concept: BTreeMap<&str, f64> = BTreeMap::new();
    for firing in fired {
        let points = model
            .points
            .get(firing.rule)
            .or_else(|| model.points.get(firing.concept))
            .copied()
            .or_else(|| {
                firing.severity.map(|severity| match severity {
                    Severity::High => model.by_severity.high,
                    Severity::Medium => model.by_severity.medium,
                    Severity::Low => model.by_severity.low,
                })
            })
            .filter(|points| points.is_finite())
            .unwrap_or(0.0);
        by_concept
            .entry(firing.concept)
            .and_modify(|held| *held = held.max(points))
            .or_insert(points);
    }
    let mut parts: Vec<RiskPart> = by_concept
        .into_iter()
        .filter(|(_, points)| *points != 0.0)
        .map(|(concept, points)| RiskPart {
            concept: concept.to_owned(),
            points,
        })
        .collect();
    parts.sort_by(|a, b| {
        b.points
            .total_cmp(&a.points)
            .then_with(|| a.concept.cmp(&b.concept))
    });
    let factor = model.phase_factor.of(phase);
    let total: f64 = parts.iter().map(|part| part.points).sum();
    // `as` saturates at u32::MAX, far beyond any sum of weights of 0..100 each.
    let risk = (total * factor).round().max(0.0) as u32;
    (risk, parts, factor)
}

// ---------------------------------------------------------------------------------------
// The deal ids read.

/// Bytes of first reads kept in memory before they move to a temporary file: some 10,000
/// deals' worth (a record is the file name, the id and 25 bytes), so a small pipeline
/// never touches the disk for them.
const FIRST_READS_IN_MEMORY: usize = 1 << 20;

/// Every deal id read so far and where it was first read: for the duplicate-id error
/// (which names the first file and line) and for `--since` (which earlier deals are gone).
///
/// What stays in memory a deal is fixed, whatever the lengths of its id and file name:
/// the id's [`Fingerprint`] and where its first read is recorded (24 bytes, plus the hash
/// table's slack). The records themselves — file, line and id — are appended to a log,
/// in memory up to a limit, then in a private temporary file, and read back only when an
/// id comes again: rare, and an error.
///
/// A fingerprint found again is checked against the id recorded, so a collision of two
/// ids (see [`Fingerprint`] for how unlikely) never reports a false duplicate: the
/// second id is reviewed as the new deal it is. What a collision would still cost: a
/// later copy of that second id would not be recognised as a copy, and `--since` would
/// take an earlier deal whose id collides with one read as not gone.
struct FirstReads {
    records: HashMap<Fingerprint, u64>,
    log: ReadLog,
}

impl FirstReads {
    fn new(in_memory: usize) -> FirstReads {
        FirstReads {
            records: HashMap::new(),
            log: ReadLog::Memory {
                bytes: Vec::new(),
                limit: in_memory,
            },
        }
    }

    /// Records that `id` was read at `file` (`line`), unless it was read before: then
    /// where it was first read.
    fn first_read(
        &mut self,
        id: &str,
        file: &str,
        line: Option<usize>,
    ) -> io::Result<Option<(String, Option<usize>)>> {
        let fingerprint = Fingerprint::of(id.as_bytes());
        if let Some(&offset) = self.records.get(&fingerprint) {
            let first = self.log.read(offset)?;
            if first.id == id {
                return Ok(Some((first.file, first.line)));
            }
            // Another id with the same fingerprint: a new deal (see above).
            return Ok(None);
        }
        let offset = self.log.append(id, file, line)?;
        self.records.insert(fingerprint, offset);
        Ok(None)
    }

    fn contains(&self, id: &str) -> bool {
        self.records.contains_key(&Fingerprint::of(id.as_bytes()))
    }
}

/// Where a deal id was first read, as the log holds it.
#[derive(Debug, PartialEq)]
struct FirstRead {
    id: String,
    file: String,
    line: Option<usize>,
}

/// Records of first reads, each at its own offset: a line flag (1 byte), the line, the
/// lengths of the id and of the file name (8 bytes each), then the id and the file name.
enum ReadLog {
    Memory {
        bytes: Vec<u8>,
        limit: usize,
    },
    File {
        writer: BufWriter<File>,
        written: u64,
    },
}

impl ReadLog {
    fn append(&mut self, id: &str, file: &str, line: Option<usize>) -> io::Result<u64> {
        let mut record = Vec::with_capacity(25 + id.len() + file.len());
        record.push(u8::from(line.is_some()));
        record.extend_from_slice(&(line.unwrap_or(0) as u64).to_le_bytes());
        record.extend_from_slice(&(id.len() as u64).to_le_bytes());
        record.extend_from_slice(&(file.len() as u64).to_le_bytes());
        record.extend_from_slice(id.as_bytes());
        record.extend_from_slice(file.as_bytes());
        if let ReadLog::Memory { bytes, limit } = self {
            if bytes.len() + record.len() > *limit {
                let mut writer = BufWriter::new(super::spill::private_file()?);
                writer.write_all(bytes)?;
                *self = ReadLog::File {
                    writer,
                    written: bytes.len() as u64,
                };
            }
        }
        match self {
            ReadLog::Memory { bytes, .. } => {
                let offset = bytes.len() as u64;
                bytes.extend_from_slice(&record);
                Ok(offset)
            }
            ReadLog::File { writer, written } => {
                let offset = *written;
                writer.write_all(&record)?;
                *written += record.len() as u64;
                Ok(offset)
            }
        }
    }

    fn read(&mut self, offset: u64) -> io::Result<FirstRead> {
        match self {
            ReadLog::Memory { bytes, .. } => {
                let start = usize::try_from(offset).map_err(io::Error::other)?;
                read_record(&mut bytes.get(start..).unwrap_or_default())
            }
            ReadLog::File { writer, .. } => {
                writer.flush()?;
                let file = writer.get_mut();
                file.seek(SeekFrom::Start(offset))?;
                let record = read_record(file)?;
                // Appends go on at the end.
                file.seek(SeekFrom::End(0))?;
                Ok(record)
            }
        }
    }
}

fn read_record(from: &mut impl Read) -> io::Result<FirstRead> {
    let mut flag = [0u8; 1];
    from.read_exact(&mut flag)?;
    let mut number = || -> io::Result<u64> {
        let mut bytes = [0u8; 8];
        from.read_exact(&mut bytes)?;
        Ok(u64::from_le_bytes(bytes))
    };
    let line = number()?;
    let id_length = number()?;
    let file_length = number()?;
    let mut text = |length: u64| -> io::Result<String> {
        let mut bytes = vec![0; usize::try_from(length).map_err(io::Error::other)?];
        from.read_exact(&mut bytes)?;
        String::from_utf8(bytes).map_err(io::Error::other)
    };
    Ok(FirstRead {
        id: text(id_length)?,
        file: text(file_length)?,
        line: (flag[0] == 1)
            .then(|| usize::try_from(line).map_err(io::Error::other))
            .transpose()?,
    })
}

// ---------------------------------------------------------------------------------------
// The rows, ranked.

/// A line of the summary: one concept, how many deals it touches, in words.
#[derive(Debug, Clone, Serialize)]
pub struct SummaryLine {
    pub concept: String,
    pub deals: usize,
    pub of: usize,
    pub text: String,
}

impl Review {
    /// The summary, most frequent concept first.
    pub fn summary(&self, settings: &PortfolioSettings, lang: Lang) -> Vec<SummaryLine> {
        let mut lines: Vec<SummaryLine> = self
            .counts
            .iter()
            .map(|(concept, count)| {
                let template = settings
                    .review
                    .summary
                    .get(concept)
                    .unwrap_or(&settings.review.summary_other)
                    .get(lang);
                SummaryLine {
                    concept: concept.clone(),
                    deals: *count,
                    of: self.reviewed,
                    text: template
                        .replace("{count}", &count.to_string())
                        .replace("{total}", &self.reviewed.to_string())
                        .replace("{concept}", concept),
                }
            })
            .collect();
        lines.sort_by(|a, b| {
            b.deals
                .cmp(&a.deals)
                .then_with(|| a.concept.cmp(&b.concept))
        });
        lines
    }
}

impl Review {
    /// The rows, riskiest first, merged from disk as they are read (never all in
    /// memory); at most `top`. Rows can be taken once.
    pub fn ranked_rows(
        &mut self,
        top: Option<usize>,
    ) -> io::Result<impl Iterator<Item = io::Result<DealRow>>> {
        let rows = std::mem::replace(&mut self.rows, Sorter::new(1, rank));
        Ok(rows.into_sorted()?.take(top.unwrap_or(usize::MAX)))
    }
}

#[cfg(test)]
mod tests {
    //! The risk score is the playbook's arithmetic: concepts once each, severity for
    //! unlisted warnings, the phase factor, the floor at 0 and no ceiling (many risks at
    //! once still rank above fewer). Deal ids read are kept as fingerprints, and the first
    //! place of each still comes back whole for the duplicate-id error.
    use super::*;
    use crate::views::{BySeverity, PhaseFactors};

    fn model() -> RiskModel {
        RiskModel {
            points: [
                ("risk.stale".to_owned(), 25.0),
                ("risk.stale.no_contact".to_owned(), 8.0),
                ("closing.ready".to_owned(), -10.0),
            ]
            .into_iter()
            .collect(),
            by_severity: BySeverity {
                high: 10.0,
                medium: 5.0,
                low: 0.0,
            },
            phase_factor: PhaseFactors {
                early: 0.5,
                middle: 1.0,
                late: 2.0,
                won: 0.0,
                lost: 0.0,
            },
        }
    }

    fn fired<'a>(list: &[(&'a str, &'a str, Option<Severity>)]) -> Vec<Fired<'a>> {
        list.iter()
            .map(|&(concept, rule, severity)| Fired {
                concept,
                rule,
                severity,
            })
            .collect()
    }

    /// Where an id was first read comes back exactly, from memory or from the file the
    /// log moves to, and reading it back does not disturb what is appended after.
    #[test]
    fn first_reads_name_the_first_file_and_line_in_memory_and_on_disk() {
        // 0: every record on disk; 60: the first in memory, the rest on disk; 1 MiB: none.
        for limit in [0, 60, 1 << 20] {
            let mut seen = FirstReads::new(limit);
            assert_eq!(seen.first_read("a", "one.yaml", None).unwrap(), None);
            assert_eq!(seen.first_read("b", "list.yaml", Some(7)).unwrap(), None);
            assert_eq!(
                seen.first_read("a", "list.yaml", Some(12)).unwrap(),
                Some(("one.yaml".to_owned(), None)),
                "limit {limit}"
            );
            assert_eq!(seen.first_read("c 客户", "三.yaml", Some(1)).unwrap(), None);
            assert_eq!(
                seen.first_read("b", "two.yaml", None).unwrap(),
                Some(("list.yaml".to_owned(), Some(7))),
                "limit {limit}"
            );
            assert_eq!(
                seen.first_read("c 客户", "four.yaml", None).unwrap(),
                Some(("三.yaml".to_owned(), Some(1))),
                "limit {limit}"
            );
            assert!(seen.contains("a") && seen.contains("c 客户"));
            assert!(!seen.contains("d") && !seen.contains("A"));
        }
    }

    #[test]
    fn concepts_count_once_and_unlisted_warnings_by_severity() {
        let fired = fired(&[
            ("risk.stale", "risk.stale", Some(Severity::High)),
            ("risk.stale", "risk.stale.reconnect", None),
            (
                "temperature.overestimated",
                "temperature.overestimated",
                Some(Severity::Medium),
            ),
            ("value.tier", "value.tier", Some(Severity::Low)),
            ("spin.problem", "spin.problem", None),
        ]);
        let (risk, parts, factor) = score(&model(), "middle", &fired);
        assert_eq!(risk, 30);
        assert_eq!(factor, 1.0);
        let concepts: Vec<&str> = parts.iter().map(|p| p.concept.as_str()).collect();
        assert_eq!(concepts, ["risk.stale", "temperature.overestimated"]);
    }

    #[test]
    fn a_rule_id_weighs_instead_of_its_concept() {
        let fired = fired(&[("risk.stale", "risk.stale.no_contact", Some(Severity::Low))]);
        assert_eq!(score(&model(), "middle", &fired).0, 8);
    }

    #[test]
    fn phase_scales_and_bounds_hold() {
        let two = fired(&[
            ("risk.stale", "risk.stale", None),
            ("x.y", "x.y", Some(Severity::High)),
        ]);
        assert_eq!(score(&model(), "late", &two).0, 70);
        assert_eq!(score(&model(), "won", &two).0, 0);
        let many: Vec<(&str, &str, Option<Severity>)> = ["a.a", "b.b", "c.c", "d.d", "e.e"]
            .iter()
            .map(|c| (*c, *c, Some(Severity::High)))
            .chain([("risk.stale", "risk.stale", None)])
            .collect();
        // 5 × 10 + 25 = 75, × 2 (late) = 150: no ceiling, so it ranks above one risk fewer.
        assert_eq!(score(&model(), "late", &fired(&many)).0, 150);
        assert_eq!(score(&model(), "late", &fired(&many[1..])).0, 130);
        let good = fired(&[("closing.ready", "closing.ready", None)]);
        assert_eq!(score(&model(), "middle", &good).0, 0);
    }
}
