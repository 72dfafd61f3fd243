//! `dealcoach map`: the power map is a picture people put on slides, so it is reviewed
//! as a snapshot (zh and en of the example deal), and the properties a slide needs are
//! checked on their own: the same deal gives the same bytes, a hostile name stays text,
//! and odd deals (nobody mapped, unknown stances and scores) still draw.

mod common;

use common::{dealcoach, example, stderr, stdout, temp_file};

fn map(args: &[&str]) -> String {
    let output = dealcoach().arg("map").args(args).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    stdout(&output)
}

#[test]
fn bank_core_map_en() {
    insta::assert_snapshot!(map(&[&example("bank-core.yaml"), "--lang", "en"]));
}

#[test]
fn bank_core_map_zh() {
    insta::assert_snapshot!(map(&[&example("bank-core.yaml"), "--lang", "zh"]));
}

#[test]
fn the_same_deal_gives_the_same_bytes() {
    let first = map(&[&example("bank-core.yaml"), "--lang", "zh"]);
    for _ in 0..3 {
        assert_eq!(map(&[&example("bank-core.yaml"), "--lang", "zh"]), first);
    }
}

#[test]
fn the_map_marks_what_a_manager_looks_for() {
    let svg = map(&[&example("bank-core.yaml"), "--lang", "en"]);
    assert!(svg.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\""));
    assert!(svg.trim_end().ends_with("</svg>"));
    // No script, no style sheet, no font or image fetched.
    for forbidden in [
        "<script",
        "<style",
        "@import",
        "href=\"http",
        "<image",
        "<foreignObject",
    ] {
        assert!(!svg.contains(forbidden), "{forbidden}");
    }
    // Chinese fonts are named for the Chinese names.
    assert!(svg.contains("Noto Sans CJK SC") && svg.contains("Microsoft YaHei"));
    // The top decision maker is ringed; the people, their roles and the gaps are there.
    assert_eq!(
        svg.matches("stroke=\"#212121\" stroke-width=\"2\"/>")
            .count(),
        1
    );
    for text in [
        "周行长",
        "President",
        "decision maker · final say",
        "influencer · staff",
    ] {
        assert!(svg.contains(text), "{text}");
    }
    assert!(svg.contains("fill=\"#c62828\" font-weight=\"bold\">decision maker: not met</text>"));
    // Both people who have met us and back us can introduce the unmet top decision maker.
    assert!(svg.contains("Ms. Lin can introduce 周行长"));
    assert!(svg.contains("钱经理 can introduce 周行长"));
    assert_eq!(
        svg.matches("marker-end=\"url(#arrow-can)\" opacity")
            .count(),
        2
    );
}

#[test]
fn an_offer_to_introduce_someone_senior_is_drawn_from_whoever_made_it() {
    let pipeline = common::root().join("examples/pipeline/steel-mes.yaml");
    let svg = map(&[pipeline.to_str().unwrap(), "--lang", "en"]);
    assert!(svg.contains("周主任 offered to introduce 赵总"), "{svg}");
    assert_eq!(
        svg.matches("marker-end=\"url(#arrow-offered)\" opacity")
            .count(),
        1
    );
}

#[test]
fn names_from_a_deal_stay_text() {
    let dir = tempfile::tempdir().unwrap();
    let deal = temp_file(
        &dir,
        "hostile.yaml",
        "deal: {id: x, name: \"<script>alert(1)</script> & co\"}\nstakeholders:\n  - {name: \"\\\"><svg onload=alert(1)>\", title: \"a\\u0007b\\u202ec\", influence: 5, stance: champion, met: true}\n  - {name: \"O'Neil & <Sons>\", role: user}\n",
    );
    let svg = map(&[&deal, "--lang", "en"]);
    assert!(
        !svg.contains("<script>") && !svg.contains("<svg onload"),
        "{svg}"
    );
    assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"));
    assert!(svg.contains("&quot;&gt;&lt;svg onload=alert(1)&gt;"));
    assert!(svg.contains("O&#39;Neil &amp; &lt;Sons&gt;"));
    assert!(
        svg.contains(">abc</text>"),
        "control and bidi characters are dropped"
    );
}

#[test]
fn odd_deals_still_draw() {
    let dir = tempfile::tempdir().unwrap();
    let empty = temp_file(&dir, "empty.yaml", "deal: {id: x, name: Nobody yet}\n");
    let svg = map(&[&empty, "--lang", "en"]);
    assert!(svg.contains("Nobody mapped yet"), "{svg}");
    assert!(svg.contains("Nobody in the deal can introduce anyone yet"));

    // Many people of one stance and score, some unscored, some of unknown stance.
    let mut people = String::new();
    for index in 0..14 {
        people.push_str(&format!(
            "  - {{name: P{index}, stance: neutral, influence: 7}}\n  - {{name: U{index}}}\n"
        ));
    }
    let crowded = temp_file(
        &dir,
        "crowded.yaml",
        &format!("deal: {{id: y, name: Crowded}}\nstakeholders:\n{people}"),
    );
    let svg = map(&[&crowded, "--lang", "zh"]);
    assert_eq!(svg.matches("<g>").count(), 28);
    assert!(svg.contains("态度未知"));
    // The drawing grew to hold 14 unscored people in one column.
    let height: f64 = svg
        .split("height=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .and_then(|number| number.parse().ok())
        .unwrap();
    assert!(height > 1200.0, "{height}");
}

#[test]
fn the_map_goes_to_a_file_with_o() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("map.svg");
    let output = dealcoach()
        .args(["map", &example("bank-core.yaml"), "--lang", "zh", "-o"])
        .arg(&target)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(output.stdout.is_empty());
    let written = std::fs::read_to_string(&target).unwrap();
    assert_eq!(written, map(&[&example("bank-core.yaml"), "--lang", "zh"]));
}

#[test]
fn a_bad_deal_or_language_is_refused_as_next_refuses_it() {
    let dir = tempfile::tempdir().unwrap();
    let bad = temp_file(
        &dir,
        "bad.yaml",
        "deal: {id: x, name: y}\nstakholders: []\n",
    );
    let output = dealcoach().args(["map", &bad]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout(&output).is_empty());
    assert!(
        stderr(&output).contains("bad.yaml:2:1: unknown field `stakholders`"),
        "{}",
        stderr(&output)
    );
    let output = dealcoach()
        .args(["map", &example("bank-core.yaml"), "--lang", "fr"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("no words in `fr`"),
        "{}",
        stderr(&output)
    );
}
