//! `dealcoach accounts FILE`: which accounts are truly key, from a CRM export (CSV) or
//! from the `account` sections of deal files.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;

use super::review::{warn_unknown_concepts, PortfolioOutput};
use super::{stdout_style, Exit, Failure, PlaybookArgs};
use crate::present::{self, Words};
use crate::views::accounts;
use crate::views::{ignore_broken_pipe, Format, PortfolioSettings};

#[derive(Debug, Args)]
pub struct AccountsArgs {
    /// A CRM export (CSV with the columns name, revenue, profit, collected, transactions,
    /// growth, strategic_fit, share_of_wallet_left, purchase_pattern, is_key_account; an
    /// empty cell is unknown), or deal files (a folder or a list file) whose `account`
    /// sections describe the accounts.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[command(flatten)]
    pub playbooks: PlaybookArgs,
    #[command(flatten)]
    pub output: PortfolioOutput,
}

/// Deal files are YAML or JSON, or a folder of them; anything else is read as CSV.
fn is_deal_input(path: &Path) -> bool {
    path.is_dir()
        || path
            .extension()
            .and_then(|extension| extension.to_str())
            .is_some_and(|extension| {
                matches!(
                    extension.to_ascii_lowercase().as_str(),
                    "yaml" | "yml" | "json"
                )
            })
}

pub fn run(args: &AccountsArgs) -> Result<Exit, Failure> {
    let playbook = args.playbooks.load()?;
    let settings = PortfolioSettings::load(&playbook)?;
    warn_unknown_concepts(&settings, &playbook);
    let paths = [args.file.clone()];
    crate::views::pipeline::check_paths(&paths)?;
    let max_bytes = crate::snapshot::max_input_bytes();
    let (inputs, errors, without_account) = if is_deal_input(&args.file) {
        let (inputs, errors, without_account, skipped) =
            accounts::from_deals(&paths, &playbook, &settings, max_bytes);
        for skipped in &skipped {
            super::say(skipped);
        }
        (inputs, errors, without_account)
    } else {
        let shown = args.file.display().to_string();
        let text = crate::snapshot::read_text(&shown, max_bytes)?;
        let (inputs, ignored) =
            accounts::read_csv(&text, &shown, &playbook.aliases).map_err(Failure::Invalid)?;
        if !ignored.is_empty() {
            super::say(format_args!(
                "{shown}: note: columns ignored: {}",
                ignored.join(", ")
            ));
        }
        (inputs, Vec::new(), 0)
    };
    let lang = args.output.lang.resolve(&playbook)?;
    let format = Format::from(args.output.format);
    let classified = accounts::classify(inputs, &playbook, &settings, lang);
    if format == Format::Csv {
        for error in &errors {
            super::say(&error.message);
        }
    }
    for (rule, (count, example)) in &classified.rule_failures {
        super::say(format_args!(
            "rule `{rule}` failed on {count} account(s), e.g. {example}"
        ));
    }
    let view = present::accounts::View {
        format,
        words: Words::new(&playbook.labels, lang),
        style: if format == Format::Text {
            stdout_style()
        } else {
            present::Style::PLAIN
        },
        settings: &settings,
        playbook: &playbook,
        errors: &errors,
        without_account,
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
        present::accounts::write(&classified, &view, &mut out).and_then(|()| out.flush()),
    )
    .map_err(|error| {
        Failure::Other(anyhow::Error::new(error).context("cannot write the accounts"))
    })?;
    Ok(
        if errors.is_empty() && classified.rule_failures.is_empty() {
            Exit::Success
        } else {
            Exit::Findings
        },
    )
}
