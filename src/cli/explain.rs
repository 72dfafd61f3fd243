//! `dealcoach explain DEAL [--rule ID]`: why each rule did or did not fire.
//!
//! The explanation itself is [`crate::trainer::explain`]; this prints it as text, or as
//! JSON with `--format json` (what `POST /v1/explain` answers).

use clap::{Args, ValueEnum};

use super::{print, print_raw, Exit, Failure, PlaybookArgs};
use crate::trainer::explain::{explain, NotExplained, Outcome};

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The deal snapshot (YAML or JSON); `-` reads standard input.
    #[arg(value_name = "DEAL")]
    pub deal: String,
    /// Explain only the rules whose id contains ID.
    #[arg(long, value_name = "ID")]
    pub rule: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
    pub format: ExplainFormat,
    #[command(flatten)]
    pub playbooks: PlaybookArgs,
    /// The language of the rules' titles and of the reasons judgement gives (default: en,
    /// whatever the locale, so an explanation reads the same on every machine).
    #[arg(long, value_name = "CODE")]
    pub lang: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    Text,
    Json,
}

pub fn run(args: &ExplainArgs) -> Result<Exit, Failure> {
    let playbook = args.playbooks.load()?;
    let lang = super::LangArgs::explicit_or_english(args.lang.as_deref(), &playbook)?;
    let (shown_path, snapshot) = super::load_deal(&args.deal, &playbook)?;
    let explanation = explain(&playbook, &snapshot, args.rule.as_deref(), lang).map_err(
        |problem| match problem {
            NotExplained::BadDeal(message) => {
                crate::diag::Diagnostic::error(shown_path.as_str(), 0, 0, message)
            }
            NotExplained::NoSuchRule(message) => {
                crate::diag::Diagnostic::error(playbook.origin.label(), 0, 0, message)
            }
        },
    )?;
    match args.format {
        ExplainFormat::Text => print(&explanation.text())?,
        ExplainFormat::Json => print_raw(&explanation.json(&playbook, &snapshot))?,
    }
    let failed = explanation
        .rules
        .iter()
        .any(|rule| rule.outcome == Outcome::Error);
    Ok(if failed {
        Exit::Findings
    } else {
        Exit::Success
    })
}
