//! PLACEHOLDER (being written).
use super::{Exit, Failure};
use clap::Args;
#[derive(Debug, Args)]
pub struct ReviewArgs {}
pub fn run(_args: &ReviewArgs) -> Result<Exit, Failure> {
    Err(Failure::Other(anyhow::anyhow!("not available yet")))
}
