//! `dealcoach review PATH...`: a pipeline ranked by risk, with the top move on each deal.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{stdout_style, Exit, Failure, LangArgs, PlaybookArgs};
use crate::diag::{did_you_mean, Diagnostic};
use crate::playbook::Playbook;
use crate::present::{self, Words};
use crate::views::review::{self, Filters};
use crate::views::since::Previous;
use crate::views::{ignore_broken_pipe, Format, PortfolioSettings};

/// Output formats of the portfolio views (`review`, `accounts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PortfolioFormat {
    Text,
    Json,
    Csv,
    Markdown,
}

impl From<PortfolioFormat> for Format {
    fn from(format: PortfolioFormat) -> Format {
        match format {
            PortfolioFormat::Text => Format::Text,
            PortfolioFormat::Json => Format::Json,
            PortfolioFormat::Csv => Format::Csv,
            PortfolioFormat::Markdown => Format::Markdown,
        }
    }
}

/// How the portfolio views print.
#[derive(Debug, Args, Clone)]
pub struct PortfolioOutput {
    /// Output format.
    #[arg(long, value_enum, default_value_t = PortfolioFormat::Text)]
    pub format: PortfolioFormat,
    #[command(flatten)]
    pub lang: LangArgs,
}

#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// Deal folders (every *.yaml, *.yml and *.json file, subfolders included) and list
    /// files (one YAML file whose top level is a list of snapshots).
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    /// Only the deals of this account (`account.name`, ignoring case).
    #[arg(long, value_name = "NAME")]
    pub account: Option<String>,
    /// Only the deals of this owner (`deal.owner`, ignoring case).
    #[arg(long, value_name = "NAME")]
    pub owner: Option<String>,
    /// Only deals whose risk is at least N (risk starts at 0 and has no ceiling).
    #[arg(long, value_name = "N")]
    pub min_risk: Option<u32>,
    /// Only deals where this concept fires, as a move or a warning; a prefix such as
    /// `risk` or `value.misjudge` takes every concept under it.
    #[arg(long, value_name = "ID")]
    pub concept: Option<String>,
    /// Compare with an earlier review: PREVIOUS is what `review --format json` printed
    /// then. Each row gets its risk change and its top move then; the summary counts deals
    /// new, gone, riskier and less risky.
    #[arg(long, value_name = "PREVIOUS.json")]
    pub since: Option<String>,
    /// Show only the N riskiest deals (the summary still counts every deal).
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
    #[command(flatten)]
    pub playbooks: PlaybookArgs,
    #[command(flatten)]
    pub output: PortfolioOutput,
}

pub fn run(args: &ReviewArgs) -> Result<Exit, Failure> {
    let playbook = args.playbooks.load()?;
    let settings = PortfolioSettings::load(&playbook)?;
    warn_unknown_concepts(&settings, &playbook);
    crate::views::pipeline::check_paths(&args.paths)?;
    if let Some(concept) = &args.concept {
        check_concept(concept, &playbook)?;
    }
    let filters = Filters {
        account: args.account.clone(),
        min_risk: args.min_risk,
        concept: args.concept.clone(),
        owner: args.owner.clone(),
    };
    let lang = args.output.lang.resolve(&playbook)?;
    let format = Format::from(args.output.format);
    let previous = match &args.since {
        Some(file) => {
            let text = crate::snapshot::read_text(file, crate::snapshot::max_input_bytes())?;
            Some(Previous::parse(&text, file)?)
        }
        None => None,
    };
    let reviewed = review::review_since(
        &args.paths,
        &playbook,
        &settings,
        lang,
        &filters,
        crate::snapshot::max_input_bytes(),
        previous.as_ref(),
    )
    .map_err(|error| {
        Failure::Other(anyhow::Error::new(error).context("cannot keep the reviewed rows"))
    })?;
    let failed = !reviewed.errors.is_empty() || !reviewed.rule_failures.is_empty();
    for skipped in &reviewed.skipped {
        super::say(skipped);
    }
    // Every format: stdout holds the report alone (the headline counts the unreadable
    // files; JSON also lists them under `errors`), stderr says which and why.
    for error in &reviewed.errors {
        super::say(&error.message);
    }
    if format == Format::Csv {
        // CSV has no room for the comparison with the earlier review; it goes to stderr.
        if let Some(since) = &reviewed.since {
            for line in present::review::since_lines(since, Words::new(&playbook.labels, lang)) {
                super::say(line);
            }
        }
    }
    for failure in &reviewed.rule_failures {
        super::say(format_args!(
            "rule `{}` failed on {} deal(s), e.g. {}",
            failure.rule, failure.deals, failure.example
        ));
    }
    let view = present::review::View {
        format,
        words: Words::new(&playbook.labels, lang),
        style: if format == Format::Text {
            stdout_style()
        } else {
            present::Style::PLAIN
        },
        top: args.top,
        filters: &filters,
        settings: &settings,
        playbook: &playbook,
        since: previous.as_ref(),
    };
    let stdout = std::io::stdout();
    let buffered = std::io::BufWriter::new(stdout.lock());
    // JSON and CSV escape text themselves; text and Markdown go through the terminal filter.
    let mut out: Box<dyn Write> = match format {
        Format::Json | Format::Csv => Box::new(buffered),
        Format::Text | Format::Markdown => Box::new(crate::present::escape::TerminalSafe::new(
            buffered,
            view.style.color,
        )),
    };
    ignore_broken_pipe(
        present::review::write(reviewed, &view, &mut out).and_then(|()| out.flush()),
    )
    .map_err(|error| {
        Failure::Other(anyhow::Error::new(error).context("cannot write the review"))
    })?;
    Ok(if failed {
        Exit::Findings
    } else {
        Exit::Success
    })
}

/// Settings that name a concept no rule produces are probably typos; say so, once.
pub fn warn_unknown_concepts(settings: &PortfolioSettings, playbook: &Playbook) {
    for concept in settings.unknown_concepts(playbook) {
        super::say(format_args!(
            "warning: the portfolio settings name concept `{concept}`, which no rule of the playbooks produces"
        ));
    }
}

/// `--concept` must name a concept (or a prefix of concepts) the playbooks produce.
fn check_concept(wanted: &str, playbook: &Playbook) -> Result<(), Failure> {
    let concepts: std::collections::BTreeSet<&str> = playbook
        .rules
        .iter()
        .map(|rule| rule.rule.concept.as_str())
        .collect();
    if concepts
        .iter()
        .any(|concept| crate::views::concept_matches(concept, wanted))
    {
        return Ok(());
    }
    let hint = did_you_mean(wanted, concepts.iter().copied())
        .map(|nearest| format!(" — did you mean `{nearest}`?"))
        .unwrap_or_default();
    Err(Diagnostic::error(
        "--concept",
        0,
        0,
        format!("no rule of the playbooks produces concept `{wanted}`{hint}"),
    )
    .into())
}
