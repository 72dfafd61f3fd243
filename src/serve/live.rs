//! The playbooks a server answers with, reloaded when their folder changes.
//!
//! With `--playbooks DIR`, before a request is answered the folder's files are looked at
//! (names, sizes, modification times: a metadata walk, no reading) at most every
//! [`CHECK_EVERY`]; when they changed, the folder is loaded again. A folder that no longer
//! loads keeps the last good playbooks in service and its problem is reported by
//! `/healthz` (status `degraded`) until an edit fixes it. One request at a time checks;
//! the others meanwhile answer with the playbooks in service.
//!
//! The built-in playbooks never change: nothing is checked.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use crate::diag::Diagnostics;
use crate::playbook::{Origin, Playbook, PlaybookFiles};
use crate::views::PortfolioSettings;

/// How often, at most, the folder is looked at.
pub const CHECK_EVERY: Duration = Duration::from_millis(500);

/// One loaded set of playbooks, with what requests derive from them once.
pub struct Loaded {
    pub playbook: Playbook,
    /// `review`'s risk model and texts (`playbooks/portfolio.yaml`); a problem with them
    /// fails `/v1/review` only.
    pub portfolio: Result<PortfolioSettings, String>,
}

impl Loaded {
    fn new(playbook: Playbook) -> Loaded {
        let portfolio = PortfolioSettings::load(&playbook).map_err(|problem| problem.message);
        // The digest is computed on first use; every answer carries it.
        let _ = playbook.digest();
        Loaded {
            playbook,
            portfolio,
        }
    }
}

/// The playbooks in service, and the folder they come from.
pub struct Live {
    folder: Option<PathBuf>,
    current: RwLock<Arc<Loaded>>,
    check: Mutex<Check>,
}

/// What the last look at the folder saw.
struct Check {
    at: Instant,
    fingerprint: Vec<(String, u64, Option<SystemTime>)>,
    /// Why the folder's current files do not load (paths relative to the folder).
    error: Option<String>,
}

impl Live {
    /// The built-in playbooks, or those of `folder` (which must load: a server does not
    /// start on a broken folder).
    pub fn new(folder: Option<PathBuf>) -> Result<Live, Diagnostics> {
        let (loaded, fingerprint) = match &folder {
            None => (Playbook::load(PlaybookFiles::builtin())?, Vec::new()),
            Some(folder) => {
                let fingerprint = fingerprint(folder);
                (load(folder)?, fingerprint)
            }
        };
        Ok(Live {
            folder,
            current: RwLock::new(Arc::new(Loaded::new(loaded))),
            check: Mutex::new(Check {
                at: Instant::now(),
                fingerprint,
                error: None,
            }),
        })
    }

    /// The playbooks to answer a request with, after reloading them if their folder
    /// changed. Blocks while it reloads: call it off the async threads.
    pub fn get(&self) -> Arc<Loaded> {
        if let Some(folder) = &self.folder {
            self.refresh(folder);
        }
        match self.current.read() {
            Ok(current) => Arc::clone(&current),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Why the folder's files do not load right now, when they do not.
    pub fn error(&self) -> Option<String> {
        match self.check.lock() {
            Ok(check) => check.error.clone(),
            Err(poisoned) => poisoned.into_inner().error.clone(),
        }
    }

    fn refresh(&self, folder: &Path) {
        // Another request is looking: answer with what is in service.
        let Ok(mut check) = self.check.try_lock() else {
            return;
        };
        if check.at.elapsed() < CHECK_EVERY {
            return;
        }
        check.at = Instant::now();
        let fingerprint = fingerprint(folder);
        if fingerprint == check.fingerprint {
            return;
        }
        check.fingerprint = fingerprint;
        match load(folder) {
            Ok(playbook) => {
                let loaded = Arc::new(Loaded::new(playbook));
                match self.current.write() {
                    Ok(mut current) => *current = loaded,
                    Err(poisoned) => *poisoned.into_inner() = loaded,
                }
                check.error = None;
            }
            Err(problems) => check.error = Some(relative(folder, &problems.to_string())),
        }
    }
}

/// Loads a folder as the CLI does, except that answers name it by its last component
/// (`playbooks.source` of every JSON answer): which set of playbooks answered is the
/// client's business, where the server keeps it is not. The digest identifies the set.
fn load(folder: &Path) -> Result<Playbook, Diagnostics> {
    let mut files = PlaybookFiles::read_folder(folder, crate::snapshot::max_input_bytes())?;
    let name = folder
        .file_name()
        .map_or_else(|| PathBuf::from("playbooks"), PathBuf::from);
    files.origin = Origin::Folder(name);
    Playbook::load(files)
}

/// A message about the folder with the folder's own path taken out: it is reported over
/// HTTP, and where the server keeps its files is nobody's business.
fn relative(folder: &Path, message: &str) -> String {
    let shown = folder.display().to_string();
    message
        .replace(&format!("{shown}/"), "")
        .replace(&shown, "playbooks folder")
}

/// Name, size and modification time of every playbook and script file, in name order:
/// what changes when a trainer saves, adds or removes a file. Links are looked through
/// (a file may be a link to the one being edited), folders are walked without following
/// links, as loading does.
fn fingerprint(folder: &Path) -> Vec<(String, u64, Option<SystemTime>)> {
    let mut files = Vec::new();
    for part in ["playbooks", "rules"] {
        for entry in walkdir::WalkDir::new(folder.join(part))
            .follow_links(false)
            .into_iter()
            .flatten()
        {
            let path = entry.path();
            let watched = matches!(
                path.extension().and_then(|extension| extension.to_str()),
                Some("yaml" | "yml" | "rhai")
            );
            if !watched {
                continue;
            }
            let Ok(metadata) = std::fs::metadata(path) else {
                continue;
            };
            if metadata.is_file() {
                files.push((
                    path.display().to_string(),
                    metadata.len(),
                    metadata.modified().ok(),
                ));
            }
        }
    }
    files.sort();
    files
}
