//! `dealcoach test`: run the playbooks' own test cases.

use clap::Args;

use super::{print, Exit, Failure, PlaybookArgs};
use crate::diag::{Diagnostic, Diagnostics};
use crate::trainer::testing::run_tests_in;

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Run only the tests whose name contains PAT.
    #[arg(long, value_name = "PAT")]
    pub filter: Option<String>,
    /// Also list the rules that no test fires.
    #[arg(long)]
    pub coverage: bool,
    /// Print only the failures and the summary, not a line per passing test.
    #[arg(long, short)]
    pub quiet: bool,
    /// Also list the sentences of the corpus's tuning part that are not detected exactly
    /// as labelled (the held-out part is never listed: it must not be tuned on).
    #[arg(long)]
    pub misses: bool,
    #[command(flatten)]
    pub playbooks: PlaybookArgs,
    /// The language the advice texts are filled in (default: en, whatever the locale, so
    /// a run reads the same on every machine).
    #[arg(long, value_name = "CODE")]
    pub lang: Option<String>,
}

pub fn run(args: &TestArgs) -> Result<Exit, Failure> {
    let playbook = args.playbooks.load()?;
    let lang = super::LangArgs::explicit_or_english(args.lang.as_deref(), &playbook)?;
    let run = run_tests_in(&playbook, args.filter.as_deref(), lang)
        .map_err(|problems| Failure::Invalid(Diagnostics(problems)))?;
    if let (Some(filter), true) = (&args.filter, run.outcomes.is_empty()) {
        // "0 passed" with exit 0 reads as success when a typo in the filter ran nothing.
        return Err(Failure::Invalid(Diagnostics(vec![Diagnostic::error(
            "--filter",
            0,
            0,
            format!("no test's name contains `{filter}`: nothing was run"),
        )])));
    }
    let mut out = String::new();
    for outcome in &run.outcomes {
        if outcome.passed() {
            if !args.quiet {
                out.push_str(&format!("test {} ... ok\n", outcome.name));
            }
        } else {
            out.push_str(&format!(
                "test {} ... FAILED: {}\n",
                outcome.name,
                outcome.failures.first().cloned().unwrap_or_default()
            ));
            for failure in outcome.failures.iter().skip(1) {
                out.push_str(&format!("    {failure}\n"));
            }
            out.push_str(&format!("    at {}:{}\n", outcome.file, outcome.line));
        }
        if args.quiet && outcome.passed() {
            continue;
        }
        for note in &outcome.notes {
            out.push_str(&format!("    {note}\n"));
        }
        if args.misses {
            for detail in &outcome.details {
                out.push_str(&format!("    {detail}\n"));
            }
        }
    }
    if args.coverage {
        let uncovered = run.uncovered(&playbook);
        if uncovered.is_empty() {
            out.push_str(&format!(
                "coverage: every one of the {} rules is fired by a test\n",
                playbook.rules.len()
            ));
        } else {
            out.push_str(&format!(
                "coverage: {} of {} rules are fired by no test:\n",
                uncovered.len(),
                playbook.rules.len()
            ));
            for rule in uncovered {
                out.push_str(&format!(
                    "  {}:{}: {}\n",
                    rule.place.file, rule.place.line, rule.id
                ));
            }
        }
    }
    out.push_str(&format!(
        "{} passed, {} failed\n",
        run.passed(),
        run.failed()
    ));
    print(&out)?;
    let uncovered = args.coverage && !run.uncovered(&playbook).is_empty();
    Ok(if run.failed() > 0 || uncovered {
        Exit::Findings
    } else {
        Exit::Success
    })
}
