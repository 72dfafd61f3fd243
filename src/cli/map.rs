//! `dealcoach map DEAL`: the stakeholder power map of a deal, as SVG.

use std::path::PathBuf;

use clap::Args;

use super::{print_raw, Exit, Failure, LangArgs, PlaybookArgs};
use crate::present::map::{svg, PowerMap};
use crate::present::Words;

#[derive(Debug, Args)]
pub struct MapArgs {
    /// The deal snapshot (YAML or JSON); `-` reads standard input.
    #[arg(value_name = "DEAL")]
    pub deal: String,
    /// Write the SVG to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub lang: LangArgs,
    #[command(flatten)]
    pub playbooks: PlaybookArgs,
}

pub fn run(args: &MapArgs) -> Result<Exit, Failure> {
    let playbook = args.playbooks.load()?;
    let (_, snapshot) = super::load_deal(&args.deal, &playbook)?;
    let lang = args.lang.resolve(&playbook)?;
    let map = svg(
        &PowerMap::of(&playbook, &snapshot),
        Words::new(&playbook.labels, lang),
    );
    match &args.output {
        Some(path) => std::fs::write(path, map).map_err(|error| {
            Failure::Other(
                anyhow::Error::new(error).context(format!("cannot write {}", path.display())),
            )
        })?,
        None => print_raw(&map)?,
    }
    Ok(Exit::Success)
}
