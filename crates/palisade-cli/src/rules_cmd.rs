//! `palisade rules` and `palisade rules explain ID`.

use clap::{Args, Subcommand, ValueEnum};
use palisade_rules::{Category, Rule, catalog, find};

use crate::{EXIT_CLEAN, EXIT_ERROR};

#[derive(Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    command: Option<RulesCommand>,

    /// Listing format.
    #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Text)]
    format: ListFormat,

    /// Only rules of this category.
    #[arg(long)]
    category: Option<String>,
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Show a rule's documentation: what it checks, why, an example, the fix.
    Explain {
        /// Rule id, name or alias, e.g. `PSS002`, `privileged-container` or `DL3008`.
        rule: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ListFormat {
    Text,
    Json,
}

pub fn run(args: RulesArgs) -> u8 {
    match args.command {
        Some(RulesCommand::Explain { rule }) => explain(&rule),
        None => list(args.format, args.category.as_deref()),
    }
}

fn list(format: ListFormat, category: Option<&str>) -> u8 {
    let wanted = match category.map(|c| (c, Category::parse(c))) {
        Some((c, None)) => {
            eprintln!(
                "error: `{c}` is not a category; categories: {}",
                Category::ALL.map(Category::as_str).join(", ")
            );
            return EXIT_ERROR;
        }
        Some((_, Some(c))) => Some(c),
        None => None,
    };
    let rules: Vec<&Rule> = catalog()
        .into_iter()
        .filter(|r| wanted.is_none_or(|c| r.meta.category == c))
        .collect();

    match format {
        ListFormat::Json => {
            let items: Vec<serde_json::Value> = rules
                .iter()
                .map(|r| {
                    let m = &r.meta;
                    serde_json::json!({
                        "id": m.id,
                        "name": m.name,
                        "category": m.category.as_str(),
                        "severity": m.severity.as_str(),
                        "default_enabled": m.default_enabled,
                        "pss_level": m.pss_level.map(|l| l.as_str()),
                        "applies_to": m.applies.describe(),
                        "aliases": m.aliases,
                        "summary": m.summary,
                    })
                })
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&items).unwrap_or_default()
            );
        }
        ListFormat::Text => {
            println!(
                "{:<8} {:<34} {:<12} {:<9} {:<4} SUMMARY",
                "ID", "NAME", "CATEGORY", "SEVERITY", "ON"
            );
            for r in rules {
                let m = &r.meta;
                println!(
                    "{:<8} {:<34} {:<12} {:<9} {:<4} {}",
                    m.id,
                    m.name,
                    m.category.as_str(),
                    m.severity.as_str(),
                    if m.default_enabled { "yes" } else { "no" },
                    m.summary
                );
            }
        }
    }
    EXIT_CLEAN
}

fn explain(key: &str) -> u8 {
    let Some(rule) = find(key) else {
        eprintln!("error: no rule has the id, name or alias `{key}` (see `palisade rules`)");
        return EXIT_ERROR;
    };
    let m = &rule.meta;
    println!("{} {}", m.id, m.name);
    println!();
    println!("{}", m.summary);
    println!();
    println!("  category:    {}", m.category.as_str());
    println!("  severity:    {}", m.severity.as_str());
    println!(
        "  default:     {}",
        if m.default_enabled {
            "on"
        } else {
            "off (enable with --extend-select)"
        }
    );
    if let Some(level) = m.pss_level {
        println!("  pss level:   {}", level.as_str());
    }
    println!("  applies to:  {}", m.applies.describe());
    if !m.aliases.is_empty() {
        println!("  aliases:     {}", m.aliases.join(", "));
    }
    println!();
    println!("{}", m.doc.trim_end());
    EXIT_CLEAN
}
