//! `dealcoach new FILE`: a commented deal template in the contract format.
//!
//! `new` creates; it never writes through what is already there. An existing file, and a
//! link even when it points nowhere (writing would create its target, wherever that
//! is), are refused without `--force`; with it, the file or the link itself is replaced,
//! never what a link points to. `-` prints the template; a `.json` file gets the same
//! example as JSON (which has no comments).

use std::io::Write;
use std::path::Path;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use super::{print, Exit, Failure};
use crate::diag::Diagnostic;

#[derive(Debug, Args)]
pub struct NewArgs {
    /// Where to write the template (`-` prints it; a `.json` file gets JSON).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Replace the file (or the link itself) if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Every field of the snapshot, commented, with today's date filled in.
pub const TEMPLATE: &str = include_str!("deal-template.yaml");

pub fn run(args: &NewArgs) -> Result<Exit, Failure> {
    let today = crate::snapshot::date::Date::today();
    let template = TEMPLATE.replace("2026-11-20", &today.to_string());
    if args.file.as_os_str() == "-" {
        print(&template)?;
        return Ok(Exit::Success);
    }
    let json = is_json(&args.file);
    let text = if json { as_json(&template)? } else { template };
    let shown = args.file.display().to_string();
    make_room(&args.file, &shown, args.force)?;
    // `create_new` (O_EXCL) never follows a link and never replaces a file, even one
    // that appeared since the check above.
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&args.file)
        .map_err(|error| match error.kind() {
            std::io::ErrorKind::AlreadyExists => refusal(
                &shown,
                "already exists: `new` never overwrites a deal (use --force to replace it)",
            ),
            _ => Failure::Other(anyhow::Error::new(error).context(format!("cannot write {shown}"))),
        })?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {shown}"))?;
    let note = if json {
        " (JSON has no comments: `dealcoach new FILE.yaml` writes the commented template)"
    } else {
        ""
    };
    print(&format!(
        "wrote {shown}: fill it in, then run `dealcoach next {shown}`{note}\n"
    ))?;
    Ok(Exit::Success)
}

/// Refuses what is in the way, or with `force` removes it (the link itself, not its
/// target).
fn make_room(path: &Path, shown: &str, force: bool) -> Result<(), Failure> {
    let existing = match std::fs::symlink_metadata(path) {
        Ok(existing) => existing,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => {
            return Err(Failure::Other(
                anyhow::Error::new(error).context(format!("cannot write {shown}")),
            ))
        }
    };
    if existing.is_dir() {
        return Err(refusal(shown, "is a folder: name the deal file to write"));
    }
    if !force {
        let message = if existing.file_type().is_symlink() {
            let target = std::fs::read_link(path)
                .map(|target| format!(" to `{}`", target.display()))
                .unwrap_or_default();
            format!("is a link{target}: `new` never writes through a link (use --force to replace the link itself with the template)")
        } else {
            "already exists: `new` never overwrites a deal (use --force to replace it)".to_owned()
        };
        return Err(refusal(shown, &message));
    }
    std::fs::remove_file(path)
        .with_context(|| format!("cannot replace {shown}"))
        .map_err(Failure::Other)
}

fn refusal(shown: &str, message: &str) -> Failure {
    Diagnostic::error(shown, 0, 0, message).into()
}

fn is_json(path: &Path) -> bool {
    path.extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| extension.eq_ignore_ascii_case("json"))
}

/// The template's example values as JSON, in the same order.
fn as_json(template: &str) -> Result<String, Failure> {
    let value: serde_json::Value =
        serde_yaml::from_str(template).context("the built-in template is not valid YAML")?;
    let mut text = serde_json::to_string_pretty(&value)
        .context("the built-in template cannot be written as JSON")?;
    text.push('\n');
    Ok(text)
}
