//! dealcoach: a coach for key-account (big-ticket B2B) selling.
//!
//! The pipeline, one module per stage, in the order data flows:
//!
//! 0. [`import`] — where deals live in a CRM: its export (Salesforce, or any CSV through
//!    a column map) written as snapshots, merged into what the rep added;
//! 1. [`snapshot`] — read and validate a deal: its vocabularies, dates and checked
//!    scalars, read through the YAML parser's own events so a hostile file costs no
//!    more than its size;
//! 2. [`playbook`] — read and validate the coaching method: rules, settings, and the
//!    label catalog every output word comes from;
//! 3. [`detect`] — find objections and buying signals in free-text notes;
//! 4. [`facts`] — derive once per deal what every rule needs;
//! 5. [`engine`] — evaluate the rules' rhai scripts, sandboxed;
//! 6. [`coach`] and [`rank`] — turn firings into advice, texts filled, ranked;
//! 7. [`views`] — many deals or accounts at once: a pipeline review, account value;
//! 8. [`present`] — every report as text, Markdown, CSV or JSON, safe to open.
//!
//! [`trainer`] holds the trainer's tools (lint, test cases, explain); [`cli`] puts a
//! command line on top and [`serve`] an HTTP API and a web page; [`diag`] is how every
//! stage reports problems.

// `println!` and `eprintln!` panic when the other end of a pipe is closed (`| head`);
// output goes through `cli::print` and `cli::say`, which end quietly instead.
#![deny(clippy::print_stdout, clippy::print_stderr)]

// In the order data flows (rustfmt keeps this order: one group per stage).
pub mod import;

pub mod snapshot;

pub mod playbook;

pub mod detect;

pub mod facts;

pub mod engine;

pub mod coach;

pub mod rank;

pub mod views;

pub mod present;

// Beside the pipeline: the trainer's tools, the two front ends, and diagnostics.
pub mod trainer;

pub mod cli;

pub mod serve;

pub mod diag;
