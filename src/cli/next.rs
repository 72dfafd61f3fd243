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
    let text = crate::snapshot::read_text(&args.deal, crate::snapshot::max_input_bytes())?;
    let shown_path = if args.deal == "-" {
        "<stdin>"
    } else {
        args.deal.as_str()
    };
    let snapshot = crate::snapshot::parse(&text, shown_path, &playbook.aliases)?;
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
