//! The page of `dealcoach serve` in a real browser: headless Chromium driven over
//! WebDriver (Debian's `chromium` and `chromium-driver`; `.ci/run` installs them).
//!
//! What a rep does is what is checked: open the page, see the example's top move and its
//! power map, paste another deal and see its advice, change a common field, switch to
//! Chinese, and see a broken deal's problem at its line. The expected texts come from
//! the CLI, so the page is held to the same advice as `next`.
//!
//! Without a browser the test fails and says how to get one; set
//! `DEALCOACH_SKIP_BROWSER_TESTS=1` to leave it out on purpose. With
//! `DEALCOACH_SCREENSHOT=FILE` it also saves the page as a PNG (the README's picture).

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{dealcoach, example, stdout};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

/// A child process killed when the test ends (the server, the driver).
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve() -> (Running, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dealcoach"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env_remove("DEALCOACH_PLAYBOOKS")
        .env_remove("DEALCOACH_TOKEN")
        .env_remove("DEALCOACH_MAX_INPUT_BYTES")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary runs");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped"))
        .read_line(&mut line)
        .expect("the server prints where it listens");
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .expect("listening on …")
        .to_owned();
    (Running(child), base)
}

/// `chromedriver` on a free port, once it answers.
fn driver() -> Option<(Running, String)> {
    let found = |name: &str| {
        std::env::var_os("PATH")
            .into_iter()
            .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
            .map(|folder| folder.join(name))
            .find(|path| path.is_file())
    };
    let driver = found("chromedriver")?;
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver runs");
    let running = Running(child);
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "chromedriver does not listen"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Some((running, format!("http://127.0.0.1:{port}")))
}

fn chromium() -> Option<&'static str> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|path| std::path::Path::new(path).is_file())
}

/// What the CLI advises first for `deal` in `lang`.
fn top_move(deal: &str, lang: &str) -> String {
    let output = dealcoach()
        .args(["next", deal, "--format", "json", "--lang", lang])
        .output()
        .expect("the binary runs");
    let report: Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    report["moves"][0]["title"]
        .as_str()
        .expect("a top move")
        .to_owned()
}

/// Polls `script` (a JavaScript expression) until it is true.
async fn until(client: &Client, what: &str, script: &str) {
    let start = Instant::now();
    loop {
        let value = client
            .execute(&format!("return Boolean({script});"), Vec::new())
            .await
            .expect("the script runs");
        if value == Value::Bool(true) {
            return;
        }
        if start.elapsed() > Duration::from_secs(30) {
            let advice = client
                .execute(
                    "return document.body ? document.body.innerText : '';",
                    Vec::new(),
                )
                .await
                .unwrap_or_default();
            panic!("timed out waiting for {what} ({script}); the page reads:\n{advice}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Replaces the editor's text as a paste does (the page hears an `input` event).
async fn paste(client: &Client, text: &str) {
    client
        .execute(
            "const editor = document.getElementById('deal'); editor.focus(); editor.value = arguments[0]; editor.dispatchEvent(new Event('input', {bubbles: true}));",
            vec![json!(text)],
        )
        .await
        .expect("the editor takes the text");
}

async fn text_of(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|error| panic!("{css}: {error}"))
        .text()
        .await
        .expect("its text")
}

#[test]
fn a_rep_pastes_a_deal_and_acts_on_the_advice() {
    if std::env::var_os("DEALCOACH_SKIP_BROWSER_TESTS").is_some() {
        return;
    }
    let (Some((_driver, driver_url)), Some(chromium)) = (driver(), chromium()) else {
        panic!(
            "the browser test needs Chromium and its WebDriver: `apt-get install chromium chromium-driver` (Debian), or set DEALCOACH_SKIP_BROWSER_TESTS=1 to leave it out"
        );
    };
    let (_server, base) = serve();
    let bank = example("bank-core.yaml");
    let solar = example("solar-early.yaml");
    let expected = [
        top_move(&bank, "en"),
        top_move(&solar, "en"),
        top_move(&solar, "zh"),
    ];
    let solar_text = std::fs::read_to_string(&solar).expect("the example is readable");
    let snoozed_text = std::fs::read_to_string(
        common::root().join("tests/fixtures/week/pipeline/bank-snoozed.yaml"),
    )
    .expect("the snoozed fixture is readable");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            json!({
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1600,1100", "--lang=en-US"],
            }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver_url)
            .await
            .expect("a WebDriver session");

        // The page opens with the example deal, its advice and its map.
        client
            .goto(&format!("{base}/?lang=en"))
            .await
            .expect("the page loads");
        until(&client, "the first move", "document.querySelector('.move .title')").await;
        assert_eq!(text_of(&client, ".move .title").await, expected[0]);
        until(
            &client,
            "the power map",
            "document.querySelector('#map svg') && document.querySelector('#map svg').textContent.includes('周行长')",
        )
        .await;
        assert_eq!(text_of(&client, ".advice-pane h2").await, "Advice");
        if let Some(file) = std::env::var_os("DEALCOACH_SCREENSHOT") {
            let png = client.screenshot().await.expect("a screenshot");
            std::fs::write(file, png).expect("the screenshot is written");
        }

        // Another deal pasted: its advice replaces the example's.
        paste(&client, &solar_text).await;
        let first_is = |title: &str| {
            format!(
                "document.querySelector('.move .title') && document.querySelector('.move .title').textContent === {}",
                json!(title)
            )
        };
        until(&client, "the pasted deal's advice", &first_is(&expected[1])).await;
        until(
            &client,
            "the pasted deal's map",
            "document.querySelector('#map svg title').textContent.includes('Gobi')",
        )
        .await;

        // A common field written through the form lands in the deal's text.
        let name = client
            .find(Locator::Css("#fields input[name=name]"))
            .await
            .expect("the name field");
        name.clear().await.expect("cleared");
        name.send_keys("Gobi solar, phase two")
            .await
            .expect("typed");
        until(
            &client,
            "the new name in the text and the advice",
            "document.getElementById('deal').value.includes('name: \"Gobi solar, phase two\"') && document.querySelector('.deal-name').textContent === 'Gobi solar, phase two'",
        )
        .await;

        // Chinese: the page's words and the advice.
        client
            .find(Locator::Css("#lang"))
            .await
            .expect("the language switch")
            .select_by_value("zh")
            .await
            .expect("zh is offered");
        until(&client, "Chinese advice", &first_is(&expected[2])).await;
        assert_eq!(text_of(&client, ".advice-pane h2").await, "教练建议");

        // A broken deal: its problem shown at its line, the gutter marking that line.
        let broken = solar_text.replacen("stakeholders:", "stakholders:", 1);
        let line = broken
            .lines()
            .position(|text| text.starts_with("stakholders:"))
            .expect("the broken line")
            + 1;
        paste(&client, &broken).await;
        until(
            &client,
            "the problem",
            "!document.getElementById('problem').hidden",
        )
        .await;
        let problem = text_of(&client, "#problem-text").await;
        assert!(
            problem.starts_with(&format!("第{line}行第1列：")),
            "{problem}"
        );
        assert!(problem.contains("stakholders"), "{problem}");
        assert_eq!(text_of(&client, "#gutter .bad").await, line.to_string());
        // The last good advice stays, dimmed, until the deal is fixed.
        assert!(client
            .execute(
                "return document.body.classList.contains('stale');",
                Vec::new()
            )
            .await
            .expect("runs")
            .as_bool()
            .unwrap_or(false));
        paste(&client, &solar_text).await;
        until(
            &client,
            "the problem gone",
            "document.getElementById('problem').hidden && !document.querySelector('#gutter .bad')",
        )
        .await;

        // A deal with snoozes: each listed with its date and reason, and what it hides.
        paste(&client, &snoozed_text).await;
        until(
            &client,
            "the snoozes",
            "document.querySelector('.snoozed .snooze .head') && document.querySelector('.snoozed .hidden li')",
        )
        .await;
        let snoozes = text_of(&client, ".snoozed").await;
        assert!(
            snoozes.contains("2026-12-10前暂缓：President Zhou is abroad until December"),
            "{snoozes}"
        );
        assert!(snoozes.contains("decision.reach_top"), "{snoozes}");

        client.close().await.expect("the session ends");
    });
}
