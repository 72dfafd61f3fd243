//! `dealcoach next DEAL`: the main job.

use clap::Args;

use super::{print, print_raw, stdout_style, Exit, Failure, Format, OutputArgs, PlaybookArgs};
use crate::coach::coach;
use crate::present::next::{self, Shown};
use crate::present::Words;

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
    let lang = args.output.lang.resolve(&playbook)?;
    let report = coach(&playbook, &snapshot, lang)
        .map_err(|message| crate::diag::Diagnostic::error(shown_path, 0, 0, message))?;
    let shown = Shown {
        top: args.output.top,
        all: args.output.all,
    };
    match args.output.format {
        Format::Json => print_raw(&next::json(&report, &playbook))?,
        Format::Text => print(&next::text(
            &report,
            Words::new(&playbook.labels, lang),
            shown,
            stdout_style(),
        ))?,
        Format::Markdown => print(&next::markdown(
            &report,
            Words::new(&playbook.labels, lang),
            shown,
        ))?,
    }
    for error in &report.errors {
        super::say(format_args!(
            "{}:{}: rule `{}` failed: {}",
            error.file, error.line, error.id, error.message
        ));
    }
    // The process ends here: freeing the compiled playbook (scripts, phrase index,
    // classifier) piece by piece would cost more than a millisecond of a ~20 ms run.
    std::mem::forget(playbook);
    Ok(if report.errors.is_empty() {
        Exit::Success
    } else {
        Exit::Findings
    })
}
