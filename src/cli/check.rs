//! `dealcoach check`: validate a playbook folder, reporting every problem at once.

use clap::Args;

use super::{print, Exit, Failure, PlaybookArgs};
use crate::playbook::{Lang, Playbook};

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub playbooks: PlaybookArgs,
    /// Also list every label and rule text not yet written in this language (any code,
    /// case-insensitive: `fr`, `pt-BR`), as warnings; zh and en are always checked.
    #[arg(long, value_name = "CODE")]
    pub lang: Option<String>,
}

pub fn run(args: &CheckArgs) -> Result<Exit, Failure> {
    let lang = args.lang.as_deref().map(language).transpose()?;
    let files = args.playbooks.files()?;
    let (playbook, mut problems) = Playbook::load_lenient(files);
    problems.0.extend(crate::trainer::lint::lint(&playbook).0);
    if let Some(lang) = lang {
        problems
            .0
            .extend(crate::trainer::lint::untranslated(&playbook, lang).0);
    }
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

/// `--lang` for `check`: any well-formed code, since its point is to find a language the
/// playbooks do not speak yet.
fn language(code: &str) -> Result<Lang, Failure> {
    let lang = Lang::new(code);
    if Lang::is_code(lang.code()) {
        Ok(lang)
    } else {
        Err(crate::diag::Diagnostic::error(
            "--lang",
            0,
            0,
            format!("`{code}` is not a language code: two or three letters, optionally a region (`fr`, `pt-br`)"),
        )
        .into())
    }
}
