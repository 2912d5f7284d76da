//! `palisade config show`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use palisade_engine::Config;

use crate::{EXIT_CLEAN, EXIT_ERROR};

#[derive(Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    command: ConfigCommand,
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print every setting, its effective value and where it came from.
    Show {
        /// Where to look for `.palisade.yaml` (this folder and its parents).
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Read this configuration file instead of looking for one.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

pub fn run(args: ConfigArgs) -> u8 {
    let ConfigCommand::Show { path, config } = args.command;
    let file = config.or_else(|| palisade_engine::config::discover(&path));
    let loaded = match &file {
        Some(f) => Config::load(f),
        None => Ok(Config::default()),
    };
    let config = match loaded {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_ERROR;
        }
    };
    match &config.file {
        Some(f) => println!("configuration file: {}", f.display()),
        None => println!("configuration file: none found (defaults apply)"),
    }
    println!();
    let rows = config.describe();
    let width = rows.iter().map(|(k, _, _)| k.len()).max().unwrap_or(0);
    let value_width = rows
        .iter()
        .map(|(_, v, _)| v.len())
        .max()
        .unwrap_or(0)
        .min(60);
    for (key, value, source) in rows {
        println!("{key:<width$}  {value:<value_width$}  ({source})");
    }
    println!();
    println!("Command-line flags replace the value of the setting they name.");
    EXIT_CLEAN
}
