//! `dealcoach watch DEAL`: the trainer's live loop. Re-runs `next` whenever the deal or a
//! playbook file changes; a broken edit prints its problems and the watch goes on.
//!
//! Polling file modification times twice a second keeps this simple and works
//! the same on every file system (network mounts included), at a cost nobody notices.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use clap::Args;

use super::next::{run as run_next, NextArgs};
use super::{print, say, stdout_closed, Exit, Failure};
use crate::diag::Diagnostic;

/// `next`'s arguments, plus the watch's own.
#[derive(Debug, Args)]
pub struct WatchArgs {
    #[command(flatten)]
    pub next: NextArgs,
    /// Stop after this many runs (for scripts and tests).
    #[arg(long, hide = true)]
    pub max_runs: Option<usize>,
}

pub fn run(args: &WatchArgs) -> Result<Exit, Failure> {
    let next = &args.next;
    // Standard input can be read once; watching it would re-run on nothing forever.
    if next.deal == "-" {
        return Err(Diagnostic::error(
            "-",
            0,
            0,
            "`watch` re-reads a deal file when it changes, and standard input can be read only once: give a file, or use `dealcoach next -`",
        )
        .into());
    }
    // A deal that is not there at the start is a typo, not an edit to wait for (an
    // editor that replaces the file while saving is waited for later on).
    if !std::path::Path::new(&next.deal).is_file() {
        return Err(Diagnostic::error(
            &next.deal,
            0,
            0,
            "no such file: `watch` needs a deal file that exists (create one with `dealcoach new FILE`)",
        )
        .into());
    }
    let mut watched = vec![PathBuf::from(&next.deal)];
    if let Some(folder) = &next.playbooks.playbooks {
        watched.push(folder.clone());
    }
    let mut runs = 0;
    let mut last = fingerprint(&watched);
    loop {
        match run_next(next) {
            Ok(_) => {}
            Err(Failure::Invalid(problems)) => say(problems),
            Err(Failure::Other(error)) => say(format_args!("dealcoach: {error:#}")),
        }
        runs += 1;
        // Nobody reads the output any more (`watch deal.yaml | head`): stop, as a
        // pipeline's producer does.
        if args.max_runs.is_some_and(|max| runs >= max) || stdout_closed() {
            return Ok(Exit::Success);
        }
        say(format_args!(
            "-- watching {} for changes (Ctrl-C to stop)",
            watched
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        loop {
            std::thread::sleep(Duration::from_millis(500));
            let now = fingerprint(&watched);
            if now != last {
                last = now;
                break;
            }
        }
        // In a terminal a blank line parts the runs; piped into a file or a pager, each
        // run is marked so that one report cannot read as the end of the one before.
        if std::io::stdout().is_terminal() {
            print("\n")?;
        } else {
            print(&format!("\n── run {} ──\n", runs + 1))?;
        }
    }
}

/// Every file under the watched paths with its modification time. Links to folders are
/// not followed (a link cycle would never end); nothing is opened.
fn fingerprint(paths: &[PathBuf]) -> Vec<(PathBuf, Option<SystemTime>)> {
    let mut found = Vec::new();
    for path in paths {
        for entry in walkdir::WalkDir::new(path)
            .follow_links(false)
            .into_iter()
            .flatten()
        {
            if entry.file_type().is_dir() {
                continue;
            }
            let modified = std::fs::metadata(entry.path())
                .and_then(|metadata| metadata.modified())
                .ok();
            found.push((entry.into_path(), modified));
        }
    }
    found.sort();
    found
}
