//! The trainer's tools: what `check` finds beyond loading ([`lint`]) and the playbooks'
//! own test cases, with the detection corpus ([`testing`]).

pub mod lint;
pub mod names;
pub mod testing;
