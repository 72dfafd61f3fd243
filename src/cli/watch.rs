//! `dealcoach watch DEAL`: the trainer's live loop. Re-runs `next` whenever the deal or a
//! playbook file changes; a broken edit prints its problems and the watch goes on.
//!
//! Polling file modification times twice a second keeps this simple and works
//! the same on every file system (network mounts included), at a cost nobody notices.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use clap::Args;

use super::next::{run as run_next, NextArgs};
use super::{print, say, stdout_closed, Exit, Failure};

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
        print("\n")?;
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
