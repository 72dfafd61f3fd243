//! `dealcoach import salesforce DIR -o OUT` and `dealcoach import csv FILE --map MAP -o
//! OUT`: deal snapshots from a CRM's export, merged into the ones a folder already holds.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{print, say, Exit, Failure, PlaybookArgs};
use crate::import::output::{self, Written};
use crate::import::{mapped, salesforce, Import};
use crate::playbook::Playbook;
use crate::snapshot::date::Date;

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// A Salesforce export: a folder with Opportunity.csv (API field names, as Data Loader
    /// or the weekly Data Export write them) and, if there, Account.csv, Contact.csv and
    /// OpportunityContactRole.csv.
    Salesforce(SalesforceArgs),
    /// Any CRM's CSV (HubSpot, 销售易, 纷享销客, a spreadsheet) through a column map that
    /// names the snapshot field each column fills.
    Csv(CsvArgs),
}

#[derive(Debug, Args)]
pub struct SalesforceArgs {
    /// The export's folder.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// StageName → stage for custom stages (YAML: `Discovery: develop`, `~` for none);
    /// it overrides and extends the standard picklist.
    #[arg(long, value_name = "MAP.yaml")]
    pub stages: Option<PathBuf>,
    /// The currency of the amounts when the export has no CurrencyIsoCode column (a
    /// single-currency org), e.g. USD.
    #[arg(long, value_name = "CODE")]
    pub currency: Option<String>,
    #[command(flatten)]
    pub into: IntoArgs,
}

#[derive(Debug, Args)]
pub struct CsvArgs {
    /// The CRM's export (UTF-8, with or without BOM; comma, semicolon or tab).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The column map (YAML): `deal.id: 商机编号`, `deal.stage: {column: 阶段, values:
    /// {赢单: won}}` … examples/import/ has maps for HubSpot and a Chinese CRM.
    #[arg(long, value_name = "MAP.yaml")]
    pub map: PathBuf,
    #[command(flatten)]
    pub into: IntoArgs,
}

/// Where the snapshots go, and for which day.
#[derive(Debug, Args)]
pub struct IntoArgs {
    /// The folder the snapshots go into, one `<deal id>.yaml` each (created if missing).
    /// A deal it already holds is updated: the CRM's fields change, what the rep added stays.
    #[arg(short = 'o', long = "out", value_name = "OUT")]
    pub out: PathBuf,
    /// The day the snapshots describe (`deal.as_of`, YYYY-MM-DD). Default: Salesforce,
    /// the export's newest LastModifiedDate / SystemModstamp; a CSV, the map's
    /// `deal.as_of` column; else today.
    #[arg(long, value_name = "DATE", value_parser = parse_day)]
    pub as_of: Option<Date>,
    /// Print, per file, what would change (fields added, updated); write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Playbooks whose aliases the CRM's words may use (`赢单` for `won` …).
    #[command(flatten)]
    pub playbooks: PlaybookArgs,
}

fn parse_day(text: &str) -> Result<Date, String> {
    Date::parse(text)
}

pub fn run(command: &ImportCommand) -> Result<Exit, Failure> {
    let max_bytes = crate::snapshot::max_input_bytes();
    match command {
        ImportCommand::Salesforce(args) => {
            let playbook = args.into.playbooks.load()?;
            let stages = match &args.stages {
                Some(path) => salesforce::StageMap::load(path, &playbook.aliases)?,
                None => salesforce::StageMap::default(),
            };
            let options = salesforce::Options {
                stages,
                as_of: args.into.as_of,
                currency: args
                    .currency
                    .as_deref()
                    .map(str::trim)
                    .filter(|code| !code.is_empty())
                    .map(str::to_owned),
            };
            let import = salesforce::read(&args.dir, &options, &playbook.aliases, max_bytes)
                .map_err(Failure::Invalid)?;
            write(import, &args.into, &playbook)
        }
        ImportCommand::Csv(args) => {
            let playbook = args.into.playbooks.load()?;
            let options = mapped::Options {
                as_of: args.into.as_of,
            };
            let import = mapped::read(
                &args.file,
                &args.map,
                &options,
                &playbook.aliases,
                max_bytes,
            )
            .map_err(Failure::Invalid)?;
            write(import, &args.into, &playbook)
        }
    }
}

/// Writes the deals, reports per file on stdout and every problem on stderr.
fn write(import: Import, into: &IntoArgs, playbook: &Playbook) -> Result<Exit, Failure> {
    let outcome = output::write(&import.deals, &into.out, into.dry_run, &playbook.aliases)?;
    let mut problems = import.problems;
    problems.extend(outcome.problems);
    problems.sort();
    for problem in &problems {
        say(problem);
    }
    for warning in &outcome.warnings {
        say(warning);
    }
    for note in &import.notes {
        say(note);
    }

    let mut report = String::new();
    let (mut new, mut updated, mut unchanged) = (0, 0, 0);
    for written in &outcome.written {
        match written {
            Written::New { file } => {
                new += 1;
                if into.dry_run {
                    report.push_str(&format!("{file}: new\n"));
                }
            }
            Written::Updated { file, changes } => {
                updated += 1;
                report.push_str(&format!("{file}: {}\n", count(changes.len(), "change")));
                for change in changes {
                    report.push_str(&format!("  {change}\n"));
                }
            }
            Written::Unchanged { .. } => unchanged += 1,
        }
    }
    let folder = into.out.display();
    let skipped = if problems.is_empty() {
        String::new()
    } else {
        format!("; {} (see above)", count(problems.len(), "problem"))
    };
    if into.dry_run {
        let created = if outcome.created_folder {
            format!(" ({folder} would be created)")
        } else {
            String::new()
        };
        report.push_str(&format!(
            "dry run, nothing written: {} into {folder}{created}: {new} new, {updated} updated, {unchanged} unchanged{skipped}\n",
            count(outcome.written.len(), "deal")
        ));
    } else {
        report.push_str(&format!(
            "imported {} into {folder}: {new} new, {updated} updated, {unchanged} unchanged{skipped}\n",
            count(outcome.written.len(), "deal")
        ));
    }
    print(&report)?;
    Ok(if problems.is_empty() {
        Exit::Success
    } else {
        Exit::Findings
    })
}

fn count(number: usize, noun: &str) -> String {
    if number == 1 {
        format!("1 {noun}")
    } else {
        format!("{number} {noun}s")
    }
}
