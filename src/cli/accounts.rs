//! PLACEHOLDER (being written).
use super::{Exit, Failure};
use clap::Args;
#[derive(Debug, Args)]
pub struct AccountsArgs {}
pub fn run(_args: &AccountsArgs) -> Result<Exit, Failure> {
    Err(Failure::Other(anyhow::anyhow!("not available yet")))
}
