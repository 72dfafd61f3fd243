//! dealcoach: a coach for key-account (big-ticket B2B) selling.
//!
//! The pipeline, one module per stage, in the order data flows:
//!
//! 1. [`snapshot`] — read and validate a deal (with [`vocabulary`], [`date`], [`checked`]);
//! 2. [`playbook`] — read and validate the coaching method (with [`settings`] and the
//!    [`labels`] every output word comes from);
//! 3. [`detect`] — find objections and buying signals in free-text notes;
//! 4. [`facts`] — derive once per deal what every rule needs;
//! 5. [`engine`] — evaluate the rules, sandboxed;
//! 6. [`coach`] and [`rank`] — turn firings into ranked advice;
//! 7. [`present`] — every report as text, Markdown, CSV or JSON, in the words of the
//!    label catalog, made safe to open by [`escape`].
//!
//! [`cli`] puts a command line on top; [`diag`] is how every stage reports problems.

// `println!` and `eprintln!` panic when the other end of a pipe is closed (`| head`);
// output goes through `cli::print` and `cli::say`, which end quietly instead.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod checked;
pub mod cli;
pub mod coach;
pub mod date;
pub mod detect;
pub mod diag;
pub mod engine;
pub mod escape;
pub mod facts;
pub mod labels;
pub mod lint;
pub mod playbook;
pub mod portfolio;
pub mod present;
pub mod rank;
pub mod settings;
pub mod snapshot;
pub mod template;
pub mod testing;
pub mod vocabulary;
