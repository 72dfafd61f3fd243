//! Where the time of one deal goes: loading the playbooks (once per run), reading the
//! deal, deriving facts, evaluating the rules, and the whole `next` pipeline. The issue's
//! yardstick is that rule evaluation should cost about as much as reading the deal.
//!
//! Run: `cargo bench --bench engine`.
//!
//! Issue 13 adds the detector reading an 80 KB pasted transcript: it must take well under
//! 50 ms.

use criterion::{criterion_group, criterion_main, Criterion};
use dealcoach::coach::{coach, sightings};
use dealcoach::detect::Speaker;
use dealcoach::facts::Facts;
use dealcoach::playbook::{Lang, Playbook, PlaybookFiles};
use dealcoach::snapshot::parse;

const DEAL: &str = include_str!("../examples/deals/bank-core.yaml");

fn engine(c: &mut Criterion) {
    c.bench_function("load and compile the built-in playbooks", |b| {
        b.iter(|| Playbook::load(PlaybookFiles::builtin()).expect("built-in playbooks load"))
    });
    let playbook = Playbook::load(PlaybookFiles::builtin()).expect("built-in playbooks load");
    c.bench_function("parse one deal", |b| {
        b.iter(|| parse(DEAL, "bank-core.yaml", &playbook.aliases).expect("valid deal"))
    });
    let snapshot = parse(DEAL, "bank-core.yaml", &playbook.aliases).expect("valid deal");
    c.bench_function("detect signals and objections in notes", |b| {
        b.iter(|| sightings(&playbook, &snapshot))
    });
    let transcript = transcript(80 * 1024);
    let names = [
        "王总",
        "张工",
        "刘经理",
        "陈主任",
        "赵处",
        "孙总监",
        "Mike",
        "Jenny",
    ];
    let speakers: Vec<Speaker> = names.iter().map(|name| Speaker::named(name)).collect();
    c.bench_function("detect in an 80 KB pasted transcript", |b| {
        b.iter(|| playbook.detector.detect(&transcript, &speakers))
    });
    let (signals, objections) = sightings(&playbook, &snapshot);
    c.bench_function("derive facts", |b| {
        b.iter(|| Facts::derive(&snapshot, &signals, &objections, &playbook.engine_settings))
    });
    let facts = std::sync::Arc::new(Facts::derive(
        &snapshot,
        &signals,
        &objections,
        &playbook.engine_settings,
    ));
    c.bench_function("build the rule scope (without derived values)", |b| {
        b.iter(|| {
            playbook
                .scripts
                .deal_scope(&snapshot, &signals, &objections, &facts)
                .expect("scope")
        })
    });
    c.bench_function("evaluate every rule", |b| {
        b.iter_batched(
            || {
                let mut scope = playbook
                    .scripts
                    .deal_scope(&snapshot, &signals, &objections, &facts)
                    .expect("scope");
                playbook.scripts.push_derived(&mut scope);
                scope
            },
            |mut scope| playbook.scripts.evaluate(&playbook.rules, &mut scope),
            criterion::BatchSize::SmallInput,
        )
    });
    c.bench_function("whole deal: parse + coach", |b| {
        b.iter(|| {
            let snapshot = parse(DEAL, "bank-core.yaml", &playbook.aliases).expect("valid deal");
            coach(&playbook, &snapshot, Lang::En).expect("report")
        })
    });
}

/// A meeting transcript of `bytes` bytes, as a rep pastes one into the notes: lines
/// of findings, non-findings and plain minutes, zh and en, in a fixed order.
fn transcript(bytes: usize) -> String {
    const LINES: [&str; 12] = [
        "王总说今年预算已经用完了，明年再说。",
        "张工同意下周安排技术交流会，IT和业务都参加。",
        "We walked through the architecture; Mike asked about the SLA response times.",
        "刘经理觉得现有系统够用，暂时不想换。",
        "客户问付款方式能不能分三期？",
        "Jenny said the budget is tight but she will bring her VP to the next meeting.",
        "陈主任对我们的交付能力还是有点不放心。",
        "我们建议先做POC，客户说再考虑一下。",
        "会议记录：讨论了数据迁移、接口对接、权限设计等问题，双方约定下周继续。",
        "Notes: discussed the roadmap, the integration plan and the training schedule.",
        "赵处说项目往后放一放，等新领导到任。",
        "孙总监答应帮我们约一下分管副总。",
    ];
    let mut text = String::new();
    for line in LINES.iter().cycle() {
        if text.len() >= bytes {
            break;
        }
        text.push_str(line);
        text.push('\n');
    }
    text
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3)).warm_up_time(std::time::Duration::from_secs(1));
    targets = engine
}
criterion_main!(benches);
