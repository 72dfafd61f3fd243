//! `dealcoach new FILE`: a commented deal template in the contract format.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use super::{print, Exit, Failure};

#[derive(Debug, Args)]
pub struct NewArgs {
    /// Where to write the template.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Replace the file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Every field of the snapshot, commented, with today's date filled in.
pub const TEMPLATE: &str = include_str!("deal-template.yaml");

pub fn run(args: &NewArgs) -> Result<Exit, Failure> {
    if args.file.exists() && !args.force {
        return Err(crate::diag::Diagnostic::error(
            args.file.display().to_string(),
            0,
            0,
            "already exists: `new` never overwrites a deal (use --force to replace it)",
        )
        .into());
    }
    let today = crate::date::Date::today();
    let text = TEMPLATE.replace("2026-11-20", &today.to_string());
    std::fs::write(&args.file, text)
        .with_context(|| format!("cannot write {}", args.file.display()))?;
    print(&format!(
        "wrote {}: fill it in, then run `dealcoach next {}`\n",
        args.file.display(),
        args.file.display()
    ))?;
    Ok(Exit::Success)
}
