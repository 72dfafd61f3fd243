//! `dealcoach check`: validate a playbook folder, reporting every problem at once.

use clap::Args;

use super::{print, Exit, Failure, PlaybookArgs};
use crate::playbook::Playbook;

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub playbooks: PlaybookArgs,
}

pub fn run(args: &CheckArgs) -> Result<Exit, Failure> {
    let files = args.playbooks.files()?;
    let (playbook, mut problems) = Playbook::load_lenient(files);
    problems.0.extend(crate::trainer::lint::lint(&playbook).0);
    problems
        .0
        .sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));
    problems.0.dedup();
    let errors = problems.0.iter().filter(|p| p.is_error()).count();
    let warnings = problems.0.len() - errors;
    if !problems.is_empty() {
        super::say(problems);
    }
    let rules = playbook.rules.len();
    let summary = format!(
        "checked {} files, {rules} rules, {} functions: {errors} errors, {warnings} warnings\n",
        playbook.files.files.len(),
        playbook.scripts.functions.len()
    );
    print(&summary)?;
    Ok(if errors > 0 {
        Exit::Findings
    } else {
        Exit::Success
    })
}
