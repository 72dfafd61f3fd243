//! `dealcoach diff OLD NEW`: what changed between two snapshots of one deal.

use clap::Args;

use super::{print, print_raw, stdout_style, Exit, Failure, Format, LangArgs, PlaybookArgs};
use crate::coach::{coach, Report};
use crate::diag::Diagnostic;
use crate::playbook::{Lang, Playbook};
use crate::present::diff;
use crate::present::Words;
use crate::snapshot::places::Places;
use crate::snapshot::Snapshot;

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier snapshot of the deal (YAML or JSON); `-` reads standard input.
    #[arg(value_name = "OLD")]
    pub old: String,
    /// The later snapshot of the same deal (same `deal.id`).
    #[arg(value_name = "NEW")]
    pub new: String,
    #[command(flatten)]
    pub playbooks: PlaybookArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub lang: LangArgs,
}

/// One snapshot, read, validated and coached.
struct Coached {
    shown_path: String,
    text: String,
    snapshot: Snapshot,
    report: Report,
}

fn coached(deal: &str, playbook: &Playbook, lang: Lang) -> Result<Coached, Failure> {
    let text = crate::snapshot::read_text(deal, crate::snapshot::max_input_bytes())?;
    let shown_path = if deal == "-" { "<stdin>" } else { deal }.to_owned();
    let snapshot = crate::snapshot::parse(&text, &shown_path, &playbook.aliases)?;
    let report = coach(playbook, &snapshot, lang)
        .map_err(|message| Diagnostic::error(&shown_path, 0, 0, message))?;
    Ok(Coached {
        shown_path,
        text,
        snapshot,
        report,
    })
}

pub fn run(args: &DiffArgs) -> Result<Exit, Failure> {
    if args.old == "-" && args.new == "-" {
        return Err(Diagnostic::error(
            "-",
            0,
            0,
            "standard input can be only one of the two snapshots: give the other as a file",
        )
        .into());
    }
    let playbook = args.playbooks.load()?;
    let lang = args.lang.resolve(&playbook)?;
    let old = coached(&args.old, &playbook, lang)?;
    let new = coached(&args.new, &playbook, lang)?;
    if old.snapshot.deal.id != new.snapshot.deal.id {
        let (line, column) = Places::of(&new.text)
            .value_line_column(&["deal", "id"])
            .unwrap_or((0, 0));
        return Err(Diagnostic::error(
            &new.shown_path,
            line,
            column,
            format!(
                "deal id `{}` is not `{}` (the id in {}): `diff` compares two snapshots of one deal",
                new.snapshot.deal.id, old.snapshot.deal.id, old.shown_path
            ),
        )
        .with_source(&new.text)
        .into());
    }
    let compared = crate::views::diff::diff(
        (&old.snapshot, &old.report, &old.shown_path),
        (&new.snapshot, &new.report, &new.shown_path),
    );
    let words = Words::new(&playbook.labels, lang);
    match args.format {
        Format::Json => print_raw(&diff::json(&compared, &playbook))?,
        Format::Text => print(&diff::text(&compared, words, stdout_style()))?,
        Format::Markdown => print(&diff::markdown(&compared, words))?,
    }
    let mut failed = false;
    for coached in [&old, &new] {
        for error in &coached.report.errors {
            failed = true;
            super::say(format_args!(
                "{}: {}:{}: rule `{}` failed: {}",
                coached.shown_path, error.file, error.line, error.id, error.message
            ));
        }
    }
    Ok(if failed {
        Exit::Findings
    } else {
        Exit::Success
    })
}
