//! `dealcoach playbooks export DIR`: the trainer's starting point.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use super::{print, Exit, Failure, PlaybookArgs};

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The folder to write playbooks/ and rules/ into.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Overwrite files that already exist there.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub playbooks: PlaybookArgs,
}

pub fn run(args: &ExportArgs) -> Result<Exit, Failure> {
    let files = args.playbooks.files()?;
    if !args.force {
        if let Some(existing) = files
            .files
            .iter()
            .map(|file| args.dir.join(&file.path))
            .find(|path| path.exists())
        {
            return Err(crate::diag::Diagnostic::error(
                existing.display().to_string(),
                0,
                0,
                "already exists: export never overwrites a trainer's edits (use --force to replace them)",
            )
            .into());
        }
    }
    let written = files
        .export(&args.dir)
        .with_context(|| format!("cannot write to {}", args.dir.display()))?;
    print(&format!(
        "wrote {} files to {}\nuse them with: dealcoach next DEAL --playbooks {}\n",
        written.len(),
        args.dir.display(),
        args.dir.display()
    ))?;
    Ok(Exit::Success)
}
