//! Helpers shared by the end-to-end tests: run the built binary, locate fixtures.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;

/// The binary under test as a plain process, with a neutral environment (English, no
/// colour, built-in playbooks) so results do not depend on the machine running the tests.
pub fn binary() -> std::process::Command {
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("dealcoach"));
    command
        .env_remove("DEALCOACH_PLAYBOOKS")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "en_US.UTF-8")
        .env_remove("NO_COLOR")
        .env_remove("DEALCOACH_MAX_INPUT_BYTES");
    command
}

/// [`binary`] as an `assert_cmd` command, for tests that feed stdin or set a timeout.
pub fn dealcoach() -> Command {
    Command::from_std(binary())
}

/// Far beyond any run of the tests; a run that reaches it hung, and fails its test.
pub const DEADLINE: Duration = Duration::from_secs(120);

/// One run of the binary as a test describes it (after `just`'s `Test` and ripgrep's
/// `TestCommand`): `Cli::new(["next", path]).env(…).stdin(…).run()`, then assertions on
/// the [`Run`] that name the command and show its output when they fail.
pub struct Cli {
    command: Command,
    shown: String,
}

impl Cli {
    pub fn new<I, S>(args: I) -> Cli
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<S> = args.into_iter().collect();
        let shown = args
            .iter()
            .map(|arg| arg.as_ref().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        let mut command = dealcoach();
        command.args(&args).timeout(DEADLINE);
        Cli { command, shown }
    }

    pub fn env(mut self, name: &str, value: &str) -> Cli {
        self.command.env(name, value);
        self
    }

    pub fn env_remove(mut self, name: &str) -> Cli {
        self.command.env_remove(name);
        self
    }

    pub fn stdin(mut self, text: impl Into<Vec<u8>>) -> Cli {
        self.command.write_stdin(text.into());
        self
    }

    pub fn current_dir(mut self, dir: impl AsRef<std::path::Path>) -> Cli {
        self.command.current_dir(dir);
        self
    }

    /// Runs the command to its end; a run killed at [`DEADLINE`] fails the test.
    #[track_caller]
    pub fn run(mut self) -> Run {
        let output = self.command.output().expect("the binary runs");
        let Some(code) = output.status.code() else {
            panic!("`dealcoach {}` hung or was killed", self.shown);
        };
        Run {
            command: self.shown,
            code,
            stdout: stdout(&output),
            stderr: stderr(&output),
        }
    }
}

/// How a run ended.
#[derive(Debug)]
pub struct Run {
    pub command: String,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Exit code `code`.
    #[track_caller]
    pub fn exits(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "`dealcoach {}` exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.command, self.stdout, self.stderr
        );
        self
    }

    /// Exit code 0.
    #[track_caller]
    pub fn succeeds(self) -> Run {
        self.exits(0)
    }

    /// The contract for bad input: exit code 2, a message on stderr, nothing on stdout,
    /// and no panic.
    #[track_caller]
    pub fn rejected(self) -> Run {
        let run = self.exits(2);
        assert!(
            run.stdout.is_empty(),
            "`dealcoach {}`: nothing may reach stdout, got: {}",
            run.command,
            run.stdout
        );
        assert!(
            !run.stderr.trim().is_empty(),
            "`dealcoach {}`: no message",
            run.command
        );
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        run
    }

    /// stderr holds `needle`.
    #[track_caller]
    pub fn stderr_has(self, needle: &str) -> Run {
        assert!(
            self.stderr.contains(needle),
            "`dealcoach {}`: stderr lacks {needle:?}:\n{}",
            self.command,
            self.stderr
        );
        self
    }

    /// stdout holds `needle`.
    #[track_caller]
    pub fn stdout_has(self, needle: &str) -> Run {
        assert!(
            self.stdout.contains(needle),
            "`dealcoach {}`: stdout lacks {needle:?}:\n{}",
            self.command,
            self.stdout
        );
        self
    }

    /// stdout as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|error| {
            panic!(
                "`dealcoach {}`: stdout is not JSON ({error}):\n{}\n--- stderr\n{}",
                self.command, self.stdout, self.stderr
            )
        })
    }
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A deal under the project's own `examples/deals/`.
pub fn example(name: &str) -> String {
    root()
        .join("examples/deals")
        .join(name)
        .display()
        .to_string()
}

/// One of the product contract's example deals, kept in the repository
/// (`tests/fixtures/contract/`, copied from the spec's `examples/deals/`) so that no test
/// depends on a folder outside the checkout, nor tests less without it.
pub fn contract_example(name: &str) -> String {
    let path = root().join("tests/fixtures/contract").join(name);
    assert!(
        path.is_file(),
        "the contract example {name} is in the repository"
    );
    path.display().to_string()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Writes `text` to a fresh temporary file named `name` and returns its path, keeping the
/// folder alive for the test's duration.
pub fn temp_file(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("temp dir is writable");
    path.display().to_string()
}

/// A playbook folder holding `text` as `playbooks/main.yaml`, with an empty `rules/`.
pub fn playbook_folder(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::create_dir_all(dir.path().join("playbooks")).expect("temp dir is writable");
    std::fs::create_dir_all(dir.path().join("rules")).expect("temp dir is writable");
    std::fs::write(dir.path().join("playbooks/main.yaml"), text).expect("temp dir is writable");
    dir
}

/// One entry of a `rules:` list: a high warning on `risk.stale` titled `title {id}`, with
/// `keys` (whole lines, indented as rule keys) before its condition.
pub fn rule_with(id: &str, keys: &str, when: &str) -> String {
    format!(
        "  - id: {id}\n    concept: risk.stale\n{keys}    when: {when}\n    severity: high\n    title: {{zh: 标题, en: title {id}}}\n    why: {{zh: [原因], en: [reason]}}\n"
    )
}

/// The built-in playbooks, exported into a fresh folder, as a trainer starts.
pub fn exported_playbooks() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    Cli::new([
        "playbooks",
        "export",
        dir.path().to_str().expect("a UTF-8 path"),
    ])
    .run()
    .succeeds();
    dir
}
