//! `dealcoach serve`: what a CRM relies on, checked against a real server started from
//! the built binary on a free port (`--addr 127.0.0.1:0`) and spoken to over HTTP.
//!
//! The API's promise is that it answers with the CLI's own output, so the central tests
//! post every example deal and compare the bytes with what the CLI prints for the same
//! file; the others check each error status, the security defaults (token, CORS, no
//! file reads, headers) and the reload of a playbook folder.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{dealcoach, example, playbook_folder, rule_with, stderr, stdout, Cli};
use serde_json::Value;

/// A server process, stopped when the test ends.
struct Server {
    child: Child,
    base: String,
    agent: ureq::Agent,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        Server::start_with_env(args, &[])
    }

    fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_dealcoach"));
        command
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(args)
            .env_remove("DEALCOACH_PLAYBOOKS")
            .env_remove("DEALCOACH_TOKEN")
            .env_remove("DEALCOACH_MAX_INPUT_BYTES")
            .env_remove("LC_ALL")
            .env("LANG", "en_US.UTF-8")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("the binary runs");
        let out = child.stdout.take().expect("stdout is piped");
        let mut line = String::new();
        BufReader::new(out)
            .read_line(&mut line)
            .expect("the server prints where it listens");
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_owned();
        assert!(base.starts_with("http://127.0.0.1:"), "{base}");
        assert!(
            !base.ends_with(":0"),
            "port 0 is replaced by the port bound"
        );
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        Server { child, base, agent }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn get(&self, path: &str) -> Answer {
        self.get_with(path, &[])
    }

    fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Answer {
        let mut request = self.agent.get(self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Answer::from(request.call().expect("the server answers"))
    }

    fn post(&self, path: &str, body: impl AsRef<[u8]>) -> Answer {
        self.post_with(path, body, &[])
    }

    fn post_with(&self, path: &str, body: impl AsRef<[u8]>, headers: &[(&str, &str)]) -> Answer {
        let mut request = self.agent.post(self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Answer::from(request.send(body.as_ref()).expect("the server answers"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response read whole.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn from(mut response: ureq::http::Response<ureq::Body>) -> Answer {
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    value.to_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let body = response
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_vec()
            .expect("the body is read");
        Answer {
            status,
            headers,
            body,
        }
    }

    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("the body is UTF-8")
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.text()))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

fn cli(args: &[&str]) -> (i32, String, String) {
    let run = Cli::new(args).run();
    (run.code, run.stdout, run.stderr)
}

/// Every example deal of the repository: the three under `examples/deals/` and the
/// pipeline's.
fn example_deals() -> Vec<PathBuf> {
    let mut deals = Vec::new();
    for folder in ["examples/deals", "examples/pipeline"] {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(common::root().join(folder))
            .expect("the examples are there")
            .map(|entry| entry.expect("a readable entry").path())
            .filter(|path| {
                path.extension()
                    .is_some_and(|extension| extension == "yaml")
            })
            .collect();
        entries.sort();
        deals.extend(entries);
    }
    deals
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("the example is readable")
}

// ---------------------------------------------------------------------------------------
// The CLI's answers, over HTTP.

#[test]
fn next_answers_exactly_what_the_cli_prints_for_every_example_deal() {
    let server = Server::start(&[]);
    let deals = example_deals();
    assert!(deals.len() > 20, "{deals:?}");
    for deal in &deals {
        let path = deal.to_str().expect("a UTF-8 path");
        for lang in ["en", "zh"] {
            let (code, expected, err) = cli(&["next", path, "--format", "json", "--lang", lang]);
            assert_eq!(code, 0, "{path}: {err}");
            let answer = server.post(&format!("/v1/next?lang={lang}"), read(deal));
            assert_eq!(answer.status, 200, "{path}: {}", answer.text());
            assert_eq!(answer.header("content-type"), Some("application/json"));
            assert_eq!(answer.text(), expected, "{path} in {lang}");
        }
    }
}

#[test]
fn a_json_deal_gets_the_same_answer_as_its_yaml() {
    let server = Server::start(&[]);
    let yaml = read(Path::new(&example("bank-core.yaml")));
    let value: Value = serde_yaml::from_str(&yaml).expect("the example is YAML");
    let json = serde_json::to_string(&value).expect("it serialises");
    let from_yaml = server.post("/v1/next?lang=en", &yaml);
    let from_json = server.post_with(
        "/v1/next?lang=en",
        &json,
        &[("content-type", "application/json")],
    );
    assert_eq!(from_yaml.status, 200);
    assert_eq!(from_json.text(), from_yaml.text());
}

#[test]
fn top_keeps_the_first_moves_and_nothing_else_changes() {
    let server = Server::start(&[]);
    let deal = read(Path::new(&example("bank-core.yaml")));
    let all = server.post("/v1/next?lang=en", &deal).json();
    let top = server.post("/v1/next?lang=en&top=2", &deal).json();
    assert!(all["moves"].as_array().expect("moves").len() > 2);
    assert_eq!(top["moves"].as_array().expect("moves").len(), 2);
    assert_eq!(top["moves"][0], all["moves"][0]);
    assert_eq!(top["moves"][1], all["moves"][1]);
    assert_eq!(top["warnings"], all["warnings"]);
    let bad = server.post("/v1/next?top=many", &deal);
    assert_eq!(bad.status, 400);
    assert!(bad.json()["errors"][0]["message"]
        .as_str()
        .expect("a message")
        .contains("`top` must be a whole number"));
}

#[test]
fn the_language_comes_from_lang_then_accept_language() {
    let server = Server::start(&[]);
    let deal = read(Path::new(&example("bank-core.yaml")));
    let (_, zh, _) = cli(&[
        "next",
        &example("bank-core.yaml"),
        "--format",
        "json",
        "--lang",
        "zh",
    ]);
    let (_, en, _) = cli(&[
        "next",
        &example("bank-core.yaml"),
        "--format",
        "json",
        "--lang",
        "en",
    ]);
    let asked = |headers: &[(&str, &str)]| server.post_with("/v1/next", &deal, headers).text();
    assert_eq!(asked(&[("accept-language", "zh-CN,zh;q=0.9,en;q=0.5")]), zh);
    assert_eq!(asked(&[("accept-language", "fr-FR,en;q=0.8")]), en);
    assert_eq!(asked(&[]), en, "English when nothing is asked");
    let unknown = server.post("/v1/next?lang=fr", &deal);
    assert_eq!(unknown.status, 400);
    let message = unknown.json()["errors"][0]["message"].clone();
    assert!(
        message
            .as_str()
            .expect("a message")
            .contains("no words in `fr`"),
        "{message}"
    );
}

#[test]
fn explain_answers_what_the_cli_prints() {
    let server = Server::start(&[]);
    let deal = example("bank-core.yaml");
    let (code, expected, err) = cli(&["explain", &deal, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let answer = server.post("/v1/explain", read(Path::new(&deal)));
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.text(), expected);

    let rule = answer.json()["rules"][0]["id"]
        .as_str()
        .expect("a rule id")
        .to_owned();
    let (_, one, _) = cli(&["explain", &deal, "--rule", &rule, "--format", "json"]);
    let answer = server.post(&format!("/v1/explain?rule={rule}"), read(Path::new(&deal)));
    assert_eq!(answer.status, 200);
    assert_eq!(answer.text(), one);

    let unknown = server.post("/v1/explain?rule=no.such.rule", read(Path::new(&deal)));
    assert_eq!(unknown.status, 400, "{}", unknown.text());

    // In the trainer's language, as `explain --lang` gives it; one not spoken is 400.
    let (_, chinese, _) = cli(&["explain", &deal, "--lang", "zh", "--format", "json"]);
    assert_ne!(chinese, expected, "the titles are in Chinese");
    let answer = server.post("/v1/explain?lang=zh", read(Path::new(&deal)));
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.text(), chinese);
    let unspoken = server.post("/v1/explain?lang=fr", read(Path::new(&deal)));
    assert_eq!(unspoken.status, 400, "{}", unspoken.text());
}

#[test]
fn review_answers_what_the_cli_prints_for_the_same_list() {
    let server = Server::start(&[]);
    // The pipeline's deals as one YAML list, as a CRM would post them.
    let mut list = String::new();
    for deal in example_deals()
        .iter()
        .filter(|path| path.to_string_lossy().contains("pipeline"))
    {
        for (index, line) in read(deal).lines().enumerate() {
            list.push_str(if index == 0 { "- " } else { "  " });
            list.push_str(line);
            list.push('\n');
        }
    }
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join("deals.yaml"), &list).expect("writable");
    let output = dealcoach()
        .current_dir(dir.path())
        .args(["review", "deals.yaml", "--format", "json", "--lang", "en"])
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let answer = server.post("/v1/review?lang=en", &list);
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.text(), stdout(&output));
    assert!(answer.json()["deals"].as_array().expect("rows").len() > 20);
    assert!(!answer
        .text()
        .contains(&*std::env::temp_dir().to_string_lossy()));
}

#[test]
fn map_answers_the_svg_the_cli_prints() {
    let server = Server::start(&[]);
    for lang in ["en", "zh"] {
        let deal = example("bank-core.yaml");
        let (code, expected, err) = cli(&["map", &deal, "--lang", lang]);
        assert_eq!(code, 0, "{err}");
        let answer = server.post(&format!("/v1/map?lang={lang}"), read(Path::new(&deal)));
        assert_eq!(answer.status, 200);
        assert_eq!(
            answer.header("content-type"),
            Some("image/svg+xml; charset=utf-8")
        );
        assert_eq!(answer.text(), expected);
    }
}

#[test]
fn playbooks_lists_every_rule_with_its_place() {
    let server = Server::start(&[]);
    let answer = server.get("/v1/playbooks");
    assert_eq!(answer.status, 200);
    let document = answer.json();
    let rules = document["rules"].as_array().expect("rules");
    assert!(rules.len() > 30, "{}", rules.len());
    for rule in rules {
        assert!(
            rule["id"].is_string() && rule["concept"].is_string(),
            "{rule}"
        );
        assert!(
            rule["file"]
                .as_str()
                .expect("a file")
                .starts_with("playbooks/"),
            "{rule}"
        );
        assert!(rule["line"].as_u64().expect("a line") > 0, "{rule}");
    }
    let (_, next, _) = cli(&["next", &example("bank-core.yaml"), "--format", "json"]);
    let next: Value = serde_json::from_str(&next).expect("JSON");
    assert_eq!(document["playbooks"], next["playbooks"]);
}

#[test]
fn healthz_names_the_version_and_the_playbooks_in_service() {
    let server = Server::start(&[]);
    let answer = server.get("/healthz");
    assert_eq!(answer.status, 200);
    let health = answer.json();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(health["playbooks"]["source"], "builtin");
    assert!(
        health["playbooks"]["digest"]
            .as_str()
            .expect("a digest")
            .starts_with("sha256:"),
        "{health}"
    );
}

// ---------------------------------------------------------------------------------------
// Every error status, in one JSON shape.

#[test]
fn a_bad_deal_is_422_located_where_the_cli_locates_it() {
    let server = Server::start(&[]);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let text = "deal: {id: x, name: y}\nstakholders: []\n";
    let file = common::temp_file(&dir, "bad.yaml", text);
    let (code, _, err) = cli(&["next", &file]);
    assert_eq!(code, 2);
    assert!(
        err.contains("bad.yaml:2:1: unknown field `stakholders`"),
        "{err}"
    );
    let answer = server.post("/v1/next", text);
    assert_eq!(answer.status, 422);
    let error = &answer.json()["errors"][0];
    assert_eq!(
        (error["line"].as_u64(), error["column"].as_u64()),
        (Some(2), Some(1))
    );
    let message = error["message"].as_str().expect("a message");
    assert!(err.contains(message), "{message} is the CLI's: {err}");
    assert!(message.contains("did you mean `stakeholders`"), "{message}");
    for route in ["/v1/explain", "/v1/map"] {
        assert_eq!(server.post(route, text).status, 422, "{route}");
    }
    // Not YAML at all, and nothing.
    let broken = server.post("/v1/next", "deal: [unclosed\n");
    assert_eq!(broken.status, 422);
    assert!(broken.json()["errors"][0]["line"].as_u64() > Some(0));
    assert_eq!(server.post("/v1/next", "").status, 422);
}

#[test]
fn a_body_that_is_not_utf8_is_400() {
    let server = Server::start(&[]);
    let answer = server.post("/v1/next", b"deal:\n  id: \xff\xfe\n".as_slice());
    assert_eq!(answer.status, 400);
    let error = &answer.json()["errors"][0];
    assert_eq!(error["line"], 2);
    assert!(error["message"]
        .as_str()
        .expect("a message")
        .contains("not UTF-8"));
}

/// Sends `head` (request line and headers) and `body` over a fresh connection and returns
/// the status and body of the answer. A server may answer before the body is all sent
/// (413 on a declared length): a write that fails then is not an error.
fn raw(server: &Server, head: &str, body: &[u8]) -> (u16, String) {
    use std::io::{Read, Write};
    let address = server.base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).expect("the server accepts");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("a timeout");
    stream.write_all(head.as_bytes()).expect("the head is sent");
    let _ = stream.write_all(body);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status in {answer:?}"));
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn a_body_over_the_8_mib_input_cap_is_413() {
    let server = Server::start(&[]);
    // Declared too long: refused before a byte of the body is read.
    let cap = 8 * 1024 * 1024;
    let head = format!(
        "POST /v1/next HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/yaml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        cap + 1
    );
    let (status, body) = raw(&server, &head, b"deal: {id: x, name: y}\n");
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("8388608-byte limit"), "{body}");
    // Just under the cap is read whole (and is a deal).
    let mut deal = b"deal: {id: x, name: y}\n# ".to_vec();
    deal.resize(cap - 16, b'x');
    deal.push(b'\n');
    assert_eq!(server.post("/v1/next", &deal).status, 200);
}

#[test]
fn a_streamed_body_over_the_cap_is_413_too() {
    let server = Server::start_with_env(&[], &[("DEALCOACH_MAX_INPUT_BYTES", "1000")]);
    let mut chunked = Vec::new();
    for _ in 0..4 {
        chunked.extend_from_slice(format!("{:x}\r\n", 500).as_bytes());
        chunked.extend_from_slice(&[b'#'; 500]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let head = "POST /v1/next HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    let (status, body) = raw(&server, head, &chunked);
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("1000-byte limit"), "{body}");
}

#[test]
fn the_cap_follows_dealcoach_max_input_bytes() {
    let server = Server::start_with_env(&[], &[("DEALCOACH_MAX_INPUT_BYTES", "1000")]);
    let deal = read(Path::new(&example("bank-core.yaml")));
    assert!(deal.len() > 1000);
    assert_eq!(server.post("/v1/next", &deal).status, 413);
}

#[test]
fn a_failing_rule_is_200_with_its_error_as_the_cli_reports_it() {
    let playbooks = playbook_folder(&format!(
        "rules:\n{}{}",
        rule_with("picky", "", "'facts.nonexistent'"),
        rule_with("healthy", "", "\"true\"")
    ));
    let folder = playbooks.path().to_str().expect("a UTF-8 path");
    let deal = example("bank-core.yaml");
    // Answers name the folder by its name, not where the server keeps it: as the CLI
    // run beside the folder names it.
    let name = playbooks.path().file_name().expect("a name");
    let output = dealcoach()
        .current_dir(playbooks.path().parent().expect("a parent"))
        .args(["next", &deal, "--format", "json", "--playbooks"])
        .arg(name)
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(1), "the CLI exits 1: findings");
    let expected = stdout(&output);
    let server = Server::start(&["--playbooks", folder]);
    let answer = server.post("/v1/next?lang=en", read(Path::new(&deal)));
    assert_eq!(answer.status, 200);
    assert_eq!(answer.text(), expected);
    let errors = answer.json()["errors"].clone();
    assert_eq!(errors[0]["id"], "picky", "{errors}");
    assert!(
        !answer.text().contains(folder),
        "the server's folder is not shown"
    );
}

#[test]
fn unknown_routes_and_methods_are_json_errors() {
    let server = Server::start(&[]);
    let missing = server.get("/v2/next");
    assert_eq!(missing.status, 404);
    assert!(missing.json()["errors"][0]["message"].is_string());
    let wrong_method = server.get("/v1/next");
    assert_eq!(wrong_method.status, 405);
    assert!(wrong_method.json()["errors"][0]["message"].is_string());
}

// ---------------------------------------------------------------------------------------
// Security.

#[test]
fn no_request_reads_the_servers_files() {
    let server = Server::start(&[]);
    for path in [
        "/../Cargo.toml",
        "/assets/../../Cargo.toml",
        "/assets/%2e%2e/%2e%2e/Cargo.toml",
        "/assets/..%2f..%2fCargo.toml",
        "/etc/passwd",
        "//etc/passwd",
        "/assets/app.js/../../../../etc/passwd",
    ] {
        let answer = server.get(path);
        assert!(
            answer.status == 404 || answer.status == 400,
            "{path}: {}",
            answer.status
        );
        assert!(!answer.text().contains("root:"), "{path}");
        assert!(!answer.text().contains("[package]"), "{path}");
    }
    // A deal that names a file is a deal, not a request to read it.
    let answer = server.post(
        "/v1/next",
        "deal: {id: x, name: /etc/passwd}\nnotes: \"!include /etc/passwd\"\n",
    );
    assert!(!answer.text().contains("root:x:"));
    let answer = server.post(
        "/v1/review",
        "- deal: {id: x, name: /etc/passwd}\n- /etc/passwd\n",
    );
    assert!(!answer.text().contains("root:x:"), "{}", answer.text());
}

#[test]
fn with_a_token_the_api_needs_it_and_the_page_and_health_do_not() {
    let server = Server::start(&["--token", "s3cret-token"]);
    let deal = read(Path::new(&example("bank-core.yaml")));
    let refused = server.post("/v1/next", &deal);
    assert_eq!(refused.status, 401);
    assert_eq!(
        refused.header("www-authenticate"),
        Some("Bearer realm=\"dealcoach\"")
    );
    assert!(refused.json()["errors"][0]["message"].is_string());
    let wrong = server.post_with(
        "/v1/next",
        &deal,
        &[("authorization", "Bearer s3cret-tokeN")],
    );
    assert_eq!(wrong.status, 401);
    let right = server.post_with(
        "/v1/next",
        &deal,
        &[("authorization", "Bearer s3cret-token")],
    );
    assert_eq!(right.status, 200);
    assert_eq!(server.get("/v1/playbooks").status, 401);
    assert_eq!(server.get("/healthz").status, 200);
    assert_eq!(server.get("/").status, 200);
}

#[test]
fn a_non_loopback_address_needs_a_token() {
    let (code, out, err) = cli(&["serve", "--addr", "0.0.0.0:0"]);
    assert_eq!(code, 2, "{out}");
    assert!(err.contains("without --token"), "{err}");
    let (code, _, err) = cli(&["serve", "--addr", "127.0.0.1:0", "--token", " "]);
    assert_eq!(code, 2);
    assert!(err.contains("--token must be"), "{err}");
    let (code, _, err) = cli(&["serve", "--addr", "not an address"]);
    assert_eq!(code, 2);
    assert!(err.contains("is not an address"), "{err}");
    let (code, _, err) = cli(&["serve", "--addr", "127.0.0.1:0", "--cors", "*"]);
    assert_eq!(code, 2);
    assert!(err.contains("is not an origin"), "{err}");
}

#[test]
fn cross_origin_calls_are_allowed_only_for_the_cors_origin() {
    let closed = Server::start(&[]);
    let asked = [
        ("origin", "https://crm.example.com"),
        ("access-control-request-method", "POST"),
    ];
    let answer = closed.agent.options(closed.url("/v1/next"));
    let answer = asked
        .iter()
        .fold(answer, |request, (name, value)| {
            request.header(*name, *value)
        })
        .call()
        .expect("the server answers");
    assert!(answer
        .headers()
        .get("access-control-allow-origin")
        .is_none());

    let open = Server::start(&["--cors", "https://crm.example.com"]);
    let answer = open.agent.options(open.url("/v1/next"));
    let answer = asked
        .iter()
        .fold(answer, |request, (name, value)| {
            request.header(*name, *value)
        })
        .call()
        .expect("the server answers");
    assert_eq!(
        answer
            .headers()
            .get("access-control-allow-origin")
            .and_then(|value| value.to_str().ok()),
        Some("https://crm.example.com")
    );
    let other = open.post_with(
        "/v1/next",
        read(Path::new(&example("bank-core.yaml"))),
        &[("origin", "https://evil.example.com")],
    );
    assert_ne!(
        other.header("access-control-allow-origin"),
        Some("https://evil.example.com")
    );
}

#[test]
fn the_page_is_self_contained_under_a_strict_policy() {
    let server = Server::start(&[]);
    let page = server.get_with("/", &[("accept-language", "zh-CN")]);
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let policy = page.header("content-security-policy").expect("a CSP");
    assert!(policy.contains("default-src 'none'") && policy.contains("script-src 'self'"));
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    let html = page.text();
    assert!(
        html.contains("lang=\"zh\"") && html.contains("教练建议"),
        "{html}"
    );
    assert!(html.contains("周行长"), "the example deal is in the editor");
    for external in ["http://", "https://", "<script>", "style=\""] {
        assert!(!html.contains(external), "{external}");
    }
    for asset in [
        "/assets/app.js",
        "/assets/app.css",
        "/favicon.svg",
        "/assets/example.yaml",
    ] {
        let answer = server.get(asset);
        assert_eq!(answer.status, 200, "{asset}");
        assert!(
            !answer.text().contains("https://"),
            "{asset} loads nothing from elsewhere"
        );
    }
    let words = server.get("/words?lang=en").json();
    assert_eq!(words["words"]["page.advice"], "Advice");
}

#[test]
fn answers_are_gzipped_when_asked() {
    let server = Server::start(&[]);
    let answer = server.post_with(
        "/v1/next",
        read(Path::new(&example("bank-core.yaml"))),
        &[("accept-encoding", "gzip")],
    );
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-encoding"), Some("gzip"));
    assert_eq!(&answer.body[..2], &[0x1f, 0x8b]);
}

// ---------------------------------------------------------------------------------------
// Playbooks that reload.

#[test]
fn a_playbook_edit_is_picked_up_and_a_broken_one_keeps_the_last_good() {
    let playbooks = playbook_folder(&format!("rules:\n{}", rule_with("first", "", "\"true\"")));
    let folder = playbooks.path().to_str().expect("a UTF-8 path");
    let server = Server::start(&["--playbooks", folder]);
    let deal = read(Path::new(&example("bank-core.yaml")));
    let titles = |server: &Server| {
        let report = server.post("/v1/next?lang=en", &deal).json();
        report["warnings"]
            .as_array()
            .expect("warnings")
            .iter()
            .map(|warning| warning["title"].as_str().expect("a title").to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(titles(&server), ["title first"]);
    let main = playbooks.path().join("playbooks/main.yaml");
    let wait_for = |wanted: &dyn Fn() -> bool| {
        let start = Instant::now();
        while !wanted() {
            assert!(start.elapsed() < Duration::from_secs(20), "not picked up");
            std::thread::sleep(Duration::from_millis(100));
        }
    };

    std::fs::write(
        &main,
        format!("rules:\n{}", rule_with("second", "", "\"true\"")),
    )
    .expect("writable");
    wait_for(&|| titles(&server) == ["title second"]);
    let digest = server.get("/healthz").json()["playbooks"]["digest"].clone();

    std::fs::write(&main, "rules:\n  - id: broken\n    when: [\n").expect("writable");
    wait_for(&|| server.get("/healthz").json()["status"] == "degraded");
    let health = server.get("/healthz").json();
    let error = health["reload_error"].as_str().expect("the reload error");
    assert!(error.contains("playbooks/main.yaml"), "{error}");
    assert!(
        !error.contains(folder),
        "the server's folder is not shown: {error}"
    );
    assert_eq!(
        health["playbooks"]["digest"], digest,
        "the last good set serves"
    );
    assert_eq!(titles(&server), ["title second"]);

    std::fs::write(
        &main,
        format!("rules:\n{}", rule_with("third", "", "\"true\"")),
    )
    .expect("writable");
    wait_for(&|| server.get("/healthz").json()["status"] == "ok");
    assert_eq!(titles(&server), ["title third"]);
}

#[test]
fn a_broken_playbook_folder_does_not_start() {
    let playbooks = playbook_folder("rules:\n  - id: broken\n    when: [\n");
    let folder = playbooks.path().to_str().expect("a UTF-8 path");
    let (code, out, err) = cli(&["serve", "--addr", "127.0.0.1:0", "--playbooks", folder]);
    assert_eq!(code, 2, "{out}");
    assert!(err.contains("main.yaml"), "{err}");
}
