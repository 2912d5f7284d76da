//! Rendering scan results.
//!
//! Each format is a pure function from a [`ScanReport`] to bytes; none of them runs rules or
//! reads files. The text format quotes the user's own lines, so it redacts the values of
//! findings about secrets before quoting.

mod ci;
mod json;
mod junit;
mod sarif;
mod text;

use palisade_engine::ScanReport;

pub use json::SCHEMA_VERSION;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Junit,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// GitLab Code Quality JSON.
    Gitlab,
}

impl Format {
    pub const NAMES: &'static [&'static str] =
        &["text", "json", "sarif", "junit", "github", "gitlab"];

    pub fn parse(name: &str) -> Option<Format> {
        match name {
            "text" => Some(Format::Text),
            "json" => Some(Format::Json),
            "sarif" => Some(Format::Sarif),
            "junit" => Some(Format::Junit),
            "github" => Some(Format::Github),
            "gitlab" => Some(Format::Gitlab),
            _ => None,
        }
    }
}

/// How to render.
#[derive(Debug, Clone)]
pub struct Options {
    /// ANSI colours in the text format.
    pub color: bool,
    /// The tool's version, recorded in JSON and SARIF.
    pub tool_version: String,
}

/// Renders `report` in `format`.
pub use text::terminal_safe;

pub fn render(format: Format, report: &ScanReport, options: &Options) -> Vec<u8> {
    match format {
        Format::Text => text::render(report, options).into_bytes(),
        Format::Json => json::render(report, options),
        Format::Sarif => sarif::render(report, options),
        Format::Junit => junit::render(report),
        Format::Github => ci::github(report),
        Format::Gitlab => ci::gitlab(report),
    }
}
