//! The hostile corpus: input files made to hang a reader, exhaust its memory or make it
//! panic (alias bombs, deep nesting, quotes that fool hand-made scanners, one-line
//! megabytes, link loops, pipes). Each is run through the built binary with `next`,
//! `review` and, for YAML a trainer could put in a playbook, `check --playbooks`, and
//! must end the contract's way: within a deadline (a run killed at the deadline is a
//! hang), never a panic, exit 2 with nothing on stdout for bad input, exit 1 for a review
//! that still reviewed the rest, and a peak memory under [`MAX_RSS_KB`].
//!
//! Small files are kept in `tests/hostile/inputs/`; big ones are generated at test time.
//! Peak memory is the child's own high-water mark (`VmHWM` in `/proc/PID/status`, read
//! every millisecond until it exits; `wait4`'s rusage would also count the memory of this
//! test process, which the child shares until it starts the binary), so the corpus is
//! Linux-only.
#![cfg(target_os = "linux")]

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// A run still going after this is a hang.
const DEADLINE: Duration = Duration::from_secs(10);
/// 300 MB: reading an input may cost a multiple of its size, never an unbounded one.
const MAX_RSS_KB: i64 = 300 * 1024;

/// How a run ended.
struct Run {
    description: String,
    /// `None` when killed by a signal (at the deadline, or a crash).
    code: Option<i32>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
    peak_rss_kb: i64,
    hung: bool,
}

/// Runs the binary with the neutral environment of `common::binary`, under the
/// deadline, measuring its peak resident memory.
fn run(args: &[&str]) -> Run {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let stdout_path = dir.path().join("stdout");
    let stderr_path = dir.path().join("stderr");
    let mut command = common::binary();
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_path).expect("writable"))
        .stderr(std::fs::File::create(&stderr_path).expect("writable"));
    let started = Instant::now();
    let mut child = command.spawn().expect("the binary starts");
    let mut peak_rss_kb = 0;
    let mut hung = false;
    let status = loop {
        if let Some(high_water) = high_water_kb(child.id()) {
            peak_rss_kb = peak_rss_kb.max(high_water);
        }
        match child.try_wait().expect("the child can be waited for") {
            Some(status) => break status,
            None if started.elapsed() > DEADLINE && !hung => {
                hung = true;
                let _ = child.kill();
            }
            None => std::thread::sleep(Duration::from_millis(1)),
        }
    };
    let elapsed = started.elapsed();
    let read = |path: &Path| {
        String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned()
    };
    Run {
        description: format!("dealcoach {}", args.join(" ")),
        code: status.code(),
        stdout: read(&stdout_path),
        stderr: read(&stderr_path),
        elapsed,
        peak_rss_kb,
        hung,
    }
}

/// The peak resident memory of process `pid` so far, once it runs the binary (before
/// that it is a copy of this test process).
fn high_water_kb(pid: u32) -> Option<i64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let name = status.lines().next()?.strip_prefix("Name:")?.trim();
    if name != "dealcoach" {
        return None;
    }
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// The exit a command must end with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// 0.
    Success,
    /// 1: a review with bad entries that still reviewed the rest (or `check` findings).
    Findings,
    /// 2 and nothing on stdout.
    Invalid,
}

/// Every way `run` can break the contract, as one line each (empty when it kept it).
fn broken(run: &Run, expect: Expect) -> Vec<String> {
    let mut problems = Vec::new();
    let excerpt = |text: &str| text.chars().take(300).collect::<String>();
    if run.hung {
        problems.push(format!("hung: killed after {DEADLINE:?}"));
    }
    if run.code == Some(101) || run.stderr.contains("panicked") {
        problems.push(format!("panicked: {}", excerpt(&run.stderr)));
    }
    let wanted = match expect {
        Expect::Success => 0,
        Expect::Findings => 1,
        Expect::Invalid => 2,
    };
    if run.code != Some(wanted) {
        problems.push(format!(
            "exit {:?}, expected {wanted}: {}",
            run.code,
            excerpt(&run.stderr)
        ));
    }
    if expect == Expect::Invalid && !run.stdout.is_empty() {
        problems.push(format!("refused but printed: {}", excerpt(&run.stdout)));
    }
    if expect == Expect::Invalid && run.stderr.trim().is_empty() {
        problems.push("refused without a message".to_owned());
    }
    if run.peak_rss_kb > MAX_RSS_KB {
        problems.push(format!("peak memory {} MB", run.peak_rss_kb / 1024));
    }
    problems
        .into_iter()
        .map(|problem| {
            format!(
                "{} ({:.2} s, {} MB): {problem}",
                run.description,
                run.elapsed.as_secs_f64(),
                run.peak_rss_kb / 1024
            )
        })
        .collect()
}

/// Runs every command of the corpus, prints what each cost, and fails with every broken
/// contract at once.
fn check_all(runs: Vec<(Vec<String>, Expect)>) -> Vec<Run> {
    let mut problems = Vec::new();
    let mut done = Vec::new();
    for (args, expect) in runs {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = run(&args);
        eprintln!(
            "{:>6.2} s {:>4} MB exit {:?}  {}",
            run.elapsed.as_secs_f64(),
            run.peak_rss_kb / 1024,
            run.code,
            run.description
        );
        problems.extend(broken(&run, expect));
        done.push(run);
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
    done
}

fn fixture(name: &str) -> String {
    common::root()
        .join("tests/hostile/inputs")
        .join(name)
        .display()
        .to_string()
}

fn owned(args: &[&str]) -> Vec<String> {
    args.iter().map(|arg| (*arg).to_owned()).collect()
}

/// A deal file `next` refuses (2) and `review` turns into one error entry (1).
fn refused_deal(path: &str) -> Vec<(Vec<String>, Expect)> {
    vec![
        (owned(&["next", path]), Expect::Invalid),
        (
            owned(&["review", path, "--format", "json"]),
            Expect::Findings,
        ),
    ]
}

/// The same text as a trainer's playbook file: `check` reports it (1), `next` refuses
/// the folder (2).
fn refused_playbook(dir: &Path, name: &str, text: &str) -> Vec<(Vec<String>, Expect)> {
    let folder = dir.join(name);
    std::fs::create_dir_all(folder.join("playbooks")).unwrap();
    std::fs::create_dir_all(folder.join("rules")).unwrap();
    std::fs::write(folder.join("playbooks/main.yaml"), text).unwrap();
    let folder = folder.display().to_string();
    vec![
        (owned(&["check", "--playbooks", &folder]), Expect::Findings),
        (
            owned(&[
                "next",
                &common::example("bank-core.yaml"),
                "--playbooks",
                &folder,
            ]),
            Expect::Invalid,
        ),
    ]
}

fn alias_expansion_deal() -> String {
    // D2: 1.1 MB whose 1 MiB note is aliased 2,000 times.
    let mut text = format!(
        "deal:\n  id: a\n  name: b\n  notes: &n {}\nstakeholders:\n",
        "x".repeat(1 << 20)
    );
    for index in 0..2000 {
        text.push_str(&format!("  - {{name: p{index}, needs: *n}}\n"));
    }
    text
}

fn nested_deal(first_line: &str) -> String {
    // D3: 100,000 nested brackets after a line that fooled the old quote tracking.
    format!(
        "{first_line}\nquestions: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    )
}

#[test]
fn hostile_deal_files_end_the_contracts_way() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let mut runs = Vec::new();
    for name in [
        "alias-cycle.yaml",
        "alias-unknown.yaml",
        "billion-laughs.yaml",
        "block-nesting.yaml",
        "control-characters.yaml",
        "duplicate-keys.yaml",
        "empty.yaml",
        "huge-number.yaml",
        "latin1.yaml",
        "merge-key.yaml",
        "only-comments.yaml",
        "two-documents.yaml",
    ] {
        runs.extend(refused_deal(&fixture(name)));
    }
    runs.extend(refused_deal(&write(
        "alias-expansion.yaml",
        &alias_expansion_deal(),
    )));
    runs.extend(refused_deal(&write(
        "nesting-apostrophe.yaml",
        &nested_deal("deal: {id: a, name: rock 'n roll}"),
    )));
    runs.extend(refused_deal(&write(
        "nesting-backslash.yaml",
        &nested_deal("deal: {id: a, name: \"a \\\\\"}"),
    )));
    // Under the 8 MiB cap, but millions of tiny nodes: the node count refuses it.
    let flat = format!(
        "deal: {{id: a, name: b}}\nquestions: [{}]\n",
        vec!["a"; 4_000_000].join(",")
    );
    runs.extend(refused_deal(&write("flat-nodes.yaml", &flat)));
    // A million anchors, each named once.
    let anchors: Vec<String> = (0..700_000).map(|index| format!("&a{index} x")).collect();
    let anchors = format!(
        "deal: {{id: a, name: b}}\nquestions: [{}]\n",
        anchors.join(",")
    );
    runs.extend(refused_deal(&write("many-anchors.yaml", &anchors)));
    // Over the cap: refused unread.
    let over = format!(
        "deal: {{id: a, name: b, notes: \"{}\"}}\n",
        "x".repeat(9 << 20)
    );
    runs.extend(refused_deal(&write("over-the-cap.yaml", &over)));
    // Endless input where a file is expected.
    runs.extend(refused_deal("/dev/zero"));
    // A valid deal that is one 8 MB line of notes: read, within the limits.
    let notes = format!(
        "deal: {{id: a, name: b, notes: \"{}\"}}\n",
        "budget is tight, call Bob's boss. ".repeat(230_000)
    );
    let notes = write("one-line-notes.yaml", &notes);
    runs.push((
        owned(&["next", &notes, "--format", "json"]),
        Expect::Success,
    ));
    runs.push((
        owned(&["review", &notes, "--format", "json"]),
        Expect::Success,
    ));

    for (name, text) in [
        ("alias-expansion", alias_expansion_deal()),
        ("nesting", nested_deal("a: rock 'n roll")),
        (
            "billion-laughs",
            std::fs::read_to_string(fixture("billion-laughs.yaml")).unwrap(),
        ),
        (
            "alias-cycle",
            std::fs::read_to_string(fixture("alias-cycle.yaml")).unwrap(),
        ),
        ("flat-nodes", flat.clone()),
    ] {
        runs.extend(refused_playbook(dir.path(), name, &text));
    }
    check_all(runs);
}

/// The deal ids a review reported, sorted.
fn reviewed_ids(run: &Run) -> Vec<String> {
    let review: serde_json::Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|error| panic!("{error}: {}", run.stdout));
    let mut ids: Vec<String> = review["deals"]
        .as_array()
        .expect("deals")
        .iter()
        .map(|deal| deal["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    ids.sort();
    ids
}

#[test]
fn hostile_list_files_review_exactly_what_they_hold() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    // 5,000 entries borrowing one anchored account from the first entry.
    let mut fanout =
        String::from("- deal: {id: d0, name: D0}\n  account: &acme {name: Acme, credit: good}\n");
    for index in 1..5000 {
        fanout.push_str(&format!(
            "- {{deal: {{id: d{index}, name: D}}, account: *acme}}\n"
        ));
    }
    let fanout = write("list-alias-fanout.yaml", &fanout);
    // One entry nested 100,000 deep: the whole list is refused at that bracket.
    let nested = write(
        "list-nested-entry.yaml",
        &format!(
            "- deal: {{id: a, name: A}}\n- deal: {{id: b, name: B}}\n  questions: {}{}\n",
            "[".repeat(100_000),
            "]".repeat(100_000)
        ),
    );
    // A list whose aliases expand past the cap.
    let mut bomb = format!(
        "- deal: {{id: a, name: A, notes: &n {}}}\n",
        "x".repeat(1 << 20)
    );
    for index in 0..100 {
        bomb.push_str(&format!("- deal: {{id: b{index}, name: B, notes: *n}}\n"));
    }
    let bomb = write("list-alias-bomb.yaml", &bomb);
    let json = |path: &str| owned(&["review", path, "--format", "json"]);
    let runs = check_all(vec![
        (json(&fixture("list-apostrophes.yaml")), Expect::Success),
        (json(&fixture("list-quoted-dash.yaml")), Expect::Success),
        (json(&fixture("list-shared-anchor.yaml")), Expect::Success),
        (json(&fixture("bom-crlf-list.yaml")), Expect::Success),
        (json(&fixture("list-syntax-error.yaml")), Expect::Findings),
        (
            json(&fixture("list-second-document.yaml")),
            Expect::Findings,
        ),
        (json(&fixture("list-alias-cycle.yaml")), Expect::Findings),
        (json(&fanout), Expect::Success),
        (json(&nested), Expect::Findings),
        (json(&bomb), Expect::Findings),
        (
            owned(&["next", &fixture("list-apostrophes.yaml")]),
            Expect::Invalid,
        ),
    ]);
    assert_eq!(reviewed_ids(&runs[0]), ["a", "b", "c", "d", "e"]);
    assert_eq!(reviewed_ids(&runs[1]), ["a", "b"]);
    assert_eq!(reviewed_ids(&runs[2]), ["a", "b", "c"]);
    assert_eq!(reviewed_ids(&runs[3]), ["a", "b"]);
    assert_eq!(reviewed_ids(&runs[4]), ["a"], "the entry before the error");
    assert_eq!(reviewed_ids(&runs[5]), ["a"]);
    assert_eq!(reviewed_ids(&runs[7]).len(), 5000);
    assert!(reviewed_ids(&runs[8]).is_empty());
    assert!(
        runs[8].stdout.contains("list-nested-entry.yaml:3:"),
        "{}",
        runs[8].stdout
    );
    assert!(
        runs[9].stdout.contains("the alias `*n`"),
        "{}",
        runs[9].stdout
    );
}

/// A pipeline folder with every kind of entry a walk must not trip on.
fn hostile_folder(root: &Path) -> PathBuf {
    use std::os::unix::fs::symlink;
    let folder = root.join("pipeline");
    std::fs::create_dir_all(folder.join("sub")).unwrap();
    std::fs::write(folder.join("one.yaml"), "deal: {id: one, name: One}\n").unwrap();
    std::fs::write(
        folder.join("sub/list.yaml"),
        "- deal: {id: two, name: Two}\n- deal: {id: three, name: Three}\n",
    )
    .unwrap();
    symlink(".", folder.join("a")).unwrap();
    symlink(".", folder.join("b")).unwrap();
    symlink("..", folder.join("sub/up")).unwrap();
    symlink("self.yaml", folder.join("self.yaml")).unwrap();
    symlink("missing.yaml", folder.join("dangling.yaml")).unwrap();
    symlink("one.yaml", folder.join("again.yaml")).unwrap();
    mkfifo(&folder.join("pipe.yaml"));
    folder
}

fn mkfifo(path: &Path) {
    let name = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    let made = unsafe { libc::mkfifo(name.as_ptr(), 0o600) };
    assert_eq!(made, 0, "mkfifo: {}", std::io::Error::last_os_error());
}

#[test]
fn d13_pipeline_folders_note_what_they_skip_and_read_each_deal_once() {
    // Dangling links, link loops and pipes were skipped without a word (a pipe opened
    // would block); the same folder or file given twice counted its deals twice.
    let dir = tempfile::tempdir().unwrap();
    let folder = hostile_folder(dir.path());
    let shown = folder.display().to_string();
    let one = folder.join("one.yaml").display().to_string();
    let list = folder.join("sub/list.yaml").display().to_string();
    let runs = check_all(vec![(
        owned(&["review", &shown, &shown, &one, &list, "--format", "json"]),
        Expect::Success,
    )]);
    let run = &runs[0];
    assert_eq!(reviewed_ids(run), ["one", "three", "two"]);
    let review: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let skipped: Vec<(String, String)> = review["skipped"]
        .as_array()
        .expect("a `skipped` list")
        .iter()
        .map(|entry| {
            (
                entry["path"].as_str().unwrap_or_default().to_owned(),
                entry["note"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let noted = |name: &str, note: &str| {
        skipped
            .iter()
            .any(|(path, text)| path.ends_with(name) && text.contains(note))
    };
    for (name, note) in [
        ("/a", "a link to a folder is not followed"),
        ("/b", "a link to a folder is not followed"),
        ("sub/up", "a link to a folder is not followed"),
        ("dangling.yaml", "a broken link"),
        ("self.yaml", "a broken link"),
        ("pipe.yaml", "not a regular file"),
        ("list.yaml", "already read"),
        ("pipeline", "already read as part of"),
    ] {
        assert!(noted(name, note), "{name}: {note}: {skipped:?}");
        let line = run
            .stderr
            .lines()
            .any(|line| line.contains(name) && line.contains(": note: ") && line.contains(note));
        assert!(line, "{name} on stderr: {}", run.stderr);
    }
    // `again.yaml -> one.yaml` and the `one.yaml` given again: whichever comes second of
    // the link and the file is noted, and the argument is.
    let repeats = skipped
        .iter()
        .filter(|(path, note)| {
            (path.ends_with("again.yaml") || path.ends_with("one.yaml"))
                && note.contains("already read")
        })
        .count();
    assert_eq!(repeats, 2, "{skipped:?}");
}

#[test]
fn d12_link_loops_in_a_playbook_folder_do_not_hang() {
    // `a -> .` and `b -> .` in a playbook folder made the loader and `watch` recurse
    // forever.
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("method");
    let shown = folder.display().to_string();
    let exported = run(&["playbooks", "export", &shown]);
    assert_eq!(exported.code, Some(0), "{}", exported.stderr);
    symlink(".", folder.join("playbooks/a")).unwrap();
    symlink(".", folder.join("playbooks/b")).unwrap();
    symlink("..", folder.join("rules/up")).unwrap();
    symlink("gone.rhai", folder.join("rules/dangling.rhai")).unwrap();
    mkfifo(&folder.join("playbooks/pipe.yaml"));
    let deal = common::example("bank-core.yaml");
    let runs = check_all(vec![
        (owned(&["check", "--playbooks", &shown]), Expect::Success),
        (
            owned(&["next", &deal, "--playbooks", &shown, "--format", "json"]),
            Expect::Success,
        ),
        (
            owned(&["watch", &deal, "--playbooks", &shown, "--max-runs", "1"]),
            Expect::Success,
        ),
    ]);
    for note in [
        "playbooks/a: note: a link to a folder is not followed",
        "playbooks/b: note: a link to a folder is not followed",
        "rules/up: note: a link to a folder is not followed",
        "rules/dangling.rhai: note: a broken link",
        "playbooks/pipe.yaml: note: not a regular file",
    ] {
        assert!(runs[0].stderr.contains(note), "{note}: {}", runs[0].stderr);
    }
    assert!(runs[0].stdout.contains("0 errors"), "{}", runs[0].stdout);
}
