//! The trainer's tools: what `check` finds beyond loading ([`lint`]) and the playbooks'
//! own test cases, with the detection corpus ([`testing`]); why each rule did or did
//! not fire on a deal ([`explain`]).

pub mod explain;
pub mod lint;
pub mod names;
pub mod testing;
