//! The command line: argument types (their doc comments are the `--help` text) and the
//! dispatch to one file per subcommand.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::diag::Diagnostics;
use crate::playbook::{Lang, Playbook, PlaybookFiles};

mod accounts;
mod check;
mod diff;
mod explain;
mod export;
mod import;
mod map;
mod new;
pub(crate) mod next;
mod review;
mod serve;
mod test;
mod watch;

/// dealcoach: a coach for key-account selling. Describe a deal in YAML, ask what next.
#[derive(Debug, Parser)]
#[command(name = "dealcoach", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Ranked next moves, warnings, buying signals and objections for one deal.
    Next(next::NextArgs),
    /// What changed between two snapshots of one deal: people, objections, signals,
    /// questions, information, temperature, and the advice resolved, new and still open.
    Diff(diff::DiffArgs),
    /// Every rule, fired or not, with the facts its condition read: why did or didn't it fire.
    Explain(explain::ExplainArgs),
    /// Validate the playbooks and scripts; every problem as file:line:col: message.
    Check(check::CheckArgs),
    /// Run the playbooks' own test cases (a deal plus the concepts expected).
    Test(test::TestArgs),
    /// Review a pipeline: many deals (folders or list files), one row each, ranked by risk.
    Review(review::ReviewArgs),
    /// Classify accounts by value: single indicators, pyramid tier, scorecard quadrant, misjudgements.
    Accounts(accounts::AccountsArgs),
    /// Turn a CRM's export into deal snapshots (Salesforce, or any CSV through a column map).
    #[command(subcommand)]
    Import(import::ImportCommand),
    /// Write a commented deal template (never overwrites without --force).
    New(new::NewArgs),
    /// Re-run `next` whenever the deal or the playbooks change.
    Watch(watch::WatchArgs),
    /// The stakeholder power map of a deal (influence × stance), as SVG.
    Map(map::MapArgs),
    /// Serve the HTTP API (for CRMs) and the web page (for reps).
    Serve(serve::ServeArgs),
    /// Work with the playbooks themselves.
    #[command(subcommand)]
    Playbooks(PlaybooksCommand),
}

#[derive(Debug, Subcommand)]
pub enum PlaybooksCommand {
    /// Write the playbooks (built-in, or those of --playbooks) to DIR, for a trainer to edit.
    Export(export::ExportArgs),
}

/// Which playbooks to use.
#[derive(Debug, Args, Clone)]
pub struct PlaybookArgs {
    /// A playbook folder (with playbooks/ and rules/) to use instead of the built-in one.
    #[arg(long, env = "DEALCOACH_PLAYBOOKS", value_name = "DIR")]
    pub playbooks: Option<PathBuf>,
}

impl PlaybookArgs {
    pub fn files(&self) -> Result<PlaybookFiles, Failure> {
        match &self.playbooks {
            Some(folder) => {
                let files = PlaybookFiles::read_folder(folder, crate::snapshot::max_input_bytes())
                    .map_err(Failure::Invalid)?;
                for skipped in &files.skipped {
                    say(skipped);
                }
                Ok(files)
            }
            None => Ok(PlaybookFiles::builtin()),
        }
    }

    pub fn load(&self) -> Result<Playbook, Failure> {
        Playbook::load(self.files()?).map_err(Failure::Invalid)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Markdown,
}

/// How to print a report.
#[derive(Debug, Args, Clone)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub lang: LangArgs,
    /// How many moves the text and markdown formats show.
    #[arg(long, default_value_t = 7, value_name = "N")]
    pub top: usize,
    /// Show every move and warning, not just the top ones.
    #[arg(long)]
    pub all: bool,
}

/// The output language.
#[derive(Debug, Args, Clone, Default)]
pub struct LangArgs {
    /// Output language: zh, en, or any language the playbooks' label catalog speaks
    /// (default: from LC_ALL / LC_MESSAGES / LANG; English when the locale's language
    /// is not one of them).
    #[arg(long, value_name = "CODE")]
    pub lang: Option<String>,
}

impl LangArgs {
    /// `--lang` of the trainer's commands (`test`, `explain`): checked like the others',
    /// but English without it, whatever the locale, so their output is reproducible.
    pub fn explicit_or_english(code: Option<&str>, playbook: &Playbook) -> Result<Lang, Failure> {
        match code {
            Some(code) => LangArgs {
                lang: Some(code.to_owned()),
            }
            .resolve(playbook),
            None => Ok(Lang::En),
        }
    }

    /// The language asked for, checked against what the playbooks speak.
    pub fn resolve(&self, playbook: &Playbook) -> Result<Lang, Failure> {
        let spoken = playbook.labels.languages();
        match &self.lang {
            Some(code) => {
                let lang = Lang::new(code);
                if spoken.contains(&lang) {
                    return Ok(lang);
                }
                let codes: Vec<&str> = spoken.iter().map(|lang| lang.code()).collect();
                let hint = crate::diag::did_you_mean(lang.code(), codes.iter().copied())
                    .map(|nearest| format!(" — did you mean `{nearest}`?"))
                    .unwrap_or_default();
                Err(crate::diag::Diagnostic::error(
                    "--lang",
                    0,
                    0,
                    format!(
                        "the playbooks have no words in `{code}`{hint} (they speak: {}; add a language to the label catalog, playbooks/labels.yaml)",
                        codes.join(", ")
                    ),
                )
                .into())
            }
            None => {
                let wanted = lang_from_locale();
                Ok(if spoken.contains(&wanted) {
                    wanted
                } else {
                    Lang::En
                })
            }
        }
    }
}

/// The language of the locale (`LC_ALL` overrides `LC_MESSAGES` overrides `LANG`, as in
/// every POSIX program): `zh_CN.UTF-8` → zh.
pub fn lang_from_locale() -> Lang {
    let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|value| !value.is_empty())
        .unwrap_or_default();
    let code = locale
        .split(['_', '.', '@', '-'])
        .next()
        .unwrap_or_default();
    if Lang::is_code(code) {
        Lang::new(code)
    } else {
        Lang::En
    }
}

/// Colour by the usual conventions (NO_COLOR, CLICOLOR_FORCE, a terminal).
pub fn stdout_style() -> crate::present::Style {
    crate::present::Style::for_stdout()
}

/// The exit codes, as the README documents them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything worked.
    Success = 0,
    /// `check` found problems, `test` had failures, or a rule failed while the rest ran.
    Findings = 1,
    /// Usage error, or unreadable or invalid input.
    Invalid = 2,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}

/// Why a command could not do its job.
#[derive(Debug)]
pub enum Failure {
    /// Input that cannot be used: printed on stderr, exit 2, nothing on stdout.
    Invalid(Diagnostics),
    /// Anything else that stops the command (an I/O error writing output): exit 2.
    Other(anyhow::Error),
}

impl From<crate::diag::Diagnostic> for Failure {
    fn from(diagnostic: crate::diag::Diagnostic) -> Failure {
        Failure::Invalid(Diagnostics(vec![diagnostic]))
    }
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Failure {
        Failure::Other(error)
    }
}

/// Parses the arguments, runs the command and maps the outcome to an exit code.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() {
                Exit::Invalid
            } else {
                Exit::Success
            };
            let _ = error.print();
            return code.into();
        }
    };
    // Every command reads input under the size cap; a cap that cannot be read is a usage
    // error before anything runs, not a silently different limit.
    if let Err(problem) = crate::snapshot::max_input_bytes_setting() {
        say(problem);
        return Exit::Invalid.into();
    }
    let outcome = match cli.command {
        Command::Next(args) => next::run(&args),
        Command::Diff(args) => diff::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Test(args) => test::run(&args),
        Command::Review(args) => review::run(&args),
        Command::Accounts(args) => accounts::run(&args),
        Command::Import(command) => import::run(&command),
        Command::New(args) => new::run(&args),
        Command::Watch(args) => watch::run(&args),
        Command::Map(args) => map::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Playbooks(PlaybooksCommand::Export(args)) => export::run(&args),
    };
    match outcome {
        Ok(exit) => exit.into(),
        Err(Failure::Invalid(diagnostics)) => {
            say(diagnostics);
            Exit::Invalid.into()
        }
        Err(Failure::Other(error)) => {
            say(format_args!("dealcoach: {error:#}"));
            Exit::Invalid.into()
        }
    }
}

/// Reads and validates the deal a command names (`-` for stdin), with the playbook's
/// aliases; returns the name messages use for it and the snapshot.
pub fn load_deal(
    deal: &str,
    playbook: &Playbook,
) -> Result<(String, crate::snapshot::Snapshot), Failure> {
    let text = crate::snapshot::read_text(deal, crate::snapshot::max_input_bytes())?;
    let shown_path = if deal == "-" { "<stdin>" } else { deal };
    let snapshot = crate::snapshot::parse(&text, shown_path, &playbook.aliases)?;
    Ok((shown_path.to_owned(), snapshot))
}

/// Set once a write to stdout met a closed pipe: whoever read the output stopped
/// reading, so a command that would go on producing output (`watch`) stops.
static STDOUT_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Writes text for a person to stdout (see [`crate::present::escape::terminal`]: a deal's text
/// cannot drive the terminal), treating a closed pipe (`| head`) as success rather than a
/// panic.
pub fn print(text: &str) -> Result<(), Failure> {
    print_raw(&crate::present::escape::terminal(
        text,
        stdout_style().color,
    ))
}

/// Writes to stdout as it is: JSON, whose strings are escaped by JSON itself.
pub fn print_raw(text: &str) -> Result<(), Failure> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {
            STDOUT_CLOSED.store(true, std::sync::atomic::Ordering::Relaxed);
            Ok(())
        }
        Err(error) => Err(Failure::Other(
            anyhow::Error::new(error).context("cannot write the output"),
        )),
    }
}

/// Whether a write to stdout found nobody reading any more.
pub fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(std::sync::atomic::Ordering::Relaxed)
}

/// Writes one line to stderr. `eprintln!` panics when stderr is a closed pipe
/// (`2>&1 | head -1`); a message nobody can read any more is dropped instead, and the
/// exit code still tells what happened.
/// Messages quote files people wrote, so they pass [`crate::present::escape::terminal`] too.
pub fn say(message: impl std::fmt::Display) {
    use std::io::Write;
    let text = format!("{message}\n");
    let _ = std::io::stderr()
        .lock()
        .write_all(crate::present::escape::terminal(&text, false).as_bytes());
}
