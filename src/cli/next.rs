//! `dealcoach next DEAL`: the main job.

use clap::Args;

use super::{print, stdout_style, Exit, Failure, Format, OutputArgs, PlaybookArgs};
use crate::coach::coach;
use crate::render::{self, Shown};

#[derive(Debug, Args)]
pub struct NextArgs {
    /// The deal snapshot (YAML or JSON); `-` reads standard input.
    #[arg(value_name = "DEAL")]
    pub deal: String,
    #[command(flatten)]
    pub playbooks: PlaybookArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub fn run(args: &NextArgs) -> Result<Exit, Failure> {
    let playbook = args.playbooks.load()?;
    let (shown_path, snapshot) = super::load_deal(&args.deal, &playbook)?;
    let shown_path = shown_path.as_str();
    let lang = args.output.lang();
    let report = coach(&playbook, &snapshot, lang)
        .map_err(|message| crate::diag::Diagnostic::error(shown_path, 0, 0, message))?;
    let shown = Shown {
        top: args.output.top,
        all: args.output.all,
    };
    let output = match args.output.format {
        Format::Json => render::json(&report, &playbook),
        Format::Text => render::text(&report, lang, shown, stdout_style()),
        Format::Markdown => render::markdown(&report, lang, shown),
    };
    print(&output)?;
    for error in &report.errors {
        eprintln!(
            "{}:{}: rule `{}` failed: {}",
            error.file, error.line, error.id, error.message
        );
    }
    Ok(if report.errors.is_empty() {
        Exit::Success
    } else {
        Exit::Findings
    })
}
