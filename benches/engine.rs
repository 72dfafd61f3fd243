//! Where the time of one deal goes: loading the playbooks (once per run), reading the
//! deal, deriving facts, evaluating the rules, and the whole `next` pipeline. The issue's
//! yardstick is that rule evaluation should cost about as much as reading the deal.
//!
//! Run: `cargo bench --bench engine`.

use criterion::{criterion_group, criterion_main, Criterion};
use dealcoach::coach::{coach, sightings};
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
    let (signals, objections) = sightings(&playbook, &snapshot);
    c.bench_function("derive facts", |b| {
        b.iter(|| Facts::derive(&snapshot, &signals, &objections, &playbook.engine_settings))
    });
    let facts = Facts::derive(&snapshot, &signals, &objections, &playbook.engine_settings);
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

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3)).warm_up_time(std::time::Duration::from_secs(1));
    targets = engine
}
criterion_main!(benches);
