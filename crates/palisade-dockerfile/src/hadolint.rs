//! hadolint's configuration file, `.hadolint.yaml`.
//!
//! The keys Palisade honours are `ignored` (codes or rule ids), `trustedRegistries` (a string
//! or a list; `*.` host patterns allowed), `failure-threshold` (`error`, `warning`, `info`,
//! `style`, `ignore` or `none`), `override` (a map from a hadolint level to the codes that take
//! it) and `disable-ignore-pragma`. hadolint's output settings (`format`, `no-color`,
//! `no-fail`, `strict-labels`, `label-schema`, `verbose`) are accepted without effect; any
//! other key is an `unknown-key` warning, as it is most likely a misspelt setting.
//!
//! hadolint reads the first of `.hadolint.yaml` and `.hadolint.yml` in the current folder or
//! its user configuration folders; Palisade looks in the folder of each scanned Dockerfile and
//! then each parent folder, so a repository's file applies wherever the scan starts.

use std::path::{Path, PathBuf};

use palisade_load::{Diagnostic, DiagnosticKind, Limits, Node, Pos, Span, parse_str};

/// hadolint's severity levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
    Info,
    Style,
    /// `ignore` or `none`: never fail (as a threshold), or drop the finding (as an override).
    Ignore,
}

impl Level {
    pub fn parse(text: &str) -> Option<Level> {
        Some(match text.to_ascii_lowercase().as_str() {
            "error" => Level::Error,
            "warning" => Level::Warning,
            "info" => Level::Info,
            "style" => Level::Style,
            "ignore" | "none" => Level::Ignore,
            _ => return None,
        })
    }
}

/// The settings read from one configuration file.
#[derive(Debug, Clone, Default)]
pub struct HadolintConfig {
    pub path: PathBuf,
    pub ignored: Vec<String>,
    pub trusted_registries: Vec<String>,
    pub failure_threshold: Option<Level>,
    /// `(level, code)` pairs from `override`.
    pub overrides: Vec<(Level, String)>,
    pub disable_ignore_pragma: bool,
    /// Every rule code named in `ignored` and `override`, with where it is written, so a code
    /// that names no rule can be reported at its place.
    pub codes: Vec<(String, Span)>,
    /// Problems with the file; errors mean its settings could not all be read.
    pub diagnostics: Vec<Diagnostic>,
}

/// The names hadolint's configuration file may have, in the order it tries them.
pub const FILE_NAMES: &[&str] = &[".hadolint.yaml", ".hadolint.yml"];

/// The nearest configuration file in `dir` or one of its parents.
pub fn find(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .flat_map(|d| FILE_NAMES.iter().map(move |n| d.join(n)))
        .find(|p| p.is_file())
}

/// Reads a configuration file; a file that cannot be read is a diagnostic in the result.
pub fn load(path: &Path) -> HadolintConfig {
    match std::fs::read_to_string(path) {
        Ok(text) => parse(path, &text),
        Err(e) => HadolintConfig {
            path: path.to_path_buf(),
            diagnostics: vec![Diagnostic {
                kind: DiagnosticKind::Read,
                message: format!("cannot read: {e}"),
                span: Span::new(Pos { line: 1, column: 1 }, Pos { line: 1, column: 1 }),
            }],
            ..HadolintConfig::default()
        },
    }
}

/// Parses a configuration file's text.
pub fn parse(path: &Path, text: &str) -> HadolintConfig {
    let mut config = HadolintConfig {
        path: path.to_path_buf(),
        ..HadolintConfig::default()
    };
    let parsed = parse_str(text, &Limits::default());
    config.diagnostics.extend(parsed.diagnostics);
    let Some(root) = parsed.documents.into_iter().next().map(|d| d.root) else {
        return config;
    };
    if root.is_null() {
        return config;
    }
    if !root.is_map() {
        config.bad(&root, "the configuration must be a mapping of settings");
        return config;
    }
    for entry in root.entries() {
        let value = &entry.value;
        match entry.key.as_str() {
            "ignored" => {
                config.ignored = config.strings(value, "ignored");
                config.note_codes(value);
            }
            "trustedRegistries" => {
                config.trusted_registries = config.strings(value, "trustedRegistries")
            }
            "failure-threshold" => match value.as_str().and_then(Level::parse) {
                Some(l) => config.failure_threshold = Some(l),
                None => config.bad(
                    value,
                    "`failure-threshold` must be error, warning, info, style, ignore or none",
                ),
            },
            "override" => {
                for level_entry in value.entries() {
                    match Level::parse(&level_entry.key) {
                        Some(level) => {
                            config.note_codes(&level_entry.value);
                            for code in config.strings(&level_entry.value, "override") {
                                config.overrides.push((level, code));
                            }
                        }
                        None => config.bad(
                            &level_entry.value,
                            &format!("`override` has an unknown level `{}`", level_entry.key),
                        ),
                    }
                }
            }
            "disable-ignore-pragma" => config.disable_ignore_pragma = value.as_bool() == Some(true),
            // hadolint's own output settings.
            "format" | "no-color" | "no-fail" | "strict-labels" | "label-schema" | "verbose" => {}
            other => config.diagnostics.push(Diagnostic {
                kind: DiagnosticKind::UnknownKey,
                message: format!(
                    "hadolint has no setting `{other}`; it is not applied (honoured: ignored, \
                     trustedRegistries, failure-threshold, override, disable-ignore-pragma)"
                ),
                span: entry.key_span,
            }),
        }
    }
    config
}

impl HadolintConfig {
    fn bad(&mut self, node: &Node, message: &str) {
        self.diagnostics.push(Diagnostic {
            kind: DiagnosticKind::Config,
            message: message.to_string(),
            span: node.span,
        });
    }

    fn note_codes(&mut self, node: &Node) {
        let items = if node.scalar_text().is_some() {
            std::slice::from_ref(node)
        } else {
            node.items()
        };
        for item in items {
            if let Some(code) = item.scalar_text() {
                self.codes.push((code, item.span));
            }
        }
    }

    /// A string or a list of strings.
    fn strings(&mut self, node: &Node, key: &str) -> Vec<String> {
        if let Some(s) = node.scalar_text() {
            return vec![s];
        }
        if node.is_null() {
            return Vec::new();
        }
        let items = node.items();
        if items.is_empty() && !matches!(node.value, palisade_load::Value::Seq(_)) {
            self.bad(
                node,
                &format!("`{key}` must be a string or a list of strings"),
            );
            return Vec::new();
        }
        items.iter().filter_map(Node::scalar_text).collect()
    }

    /// Whether the file could not be read as a whole.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.kind.is_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_honoured_key() {
        let c = parse(
            Path::new(".hadolint.yaml"),
            "failure-threshold: warning\nignored: [DL3008, SC2086]\ntrustedRegistries: docker.io\n\
             override:\n  error: [DL3001]\n  info:\n    - DL3059\ndisable-ignore-pragma: true\nformat: json\n",
        );
        assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
        assert_eq!(c.failure_threshold, Some(Level::Warning));
        assert_eq!(c.ignored, ["DL3008", "SC2086"]);
        assert_eq!(c.trusted_registries, ["docker.io"]);
        assert_eq!(
            c.overrides,
            [
                (Level::Error, "DL3001".to_string()),
                (Level::Info, "DL3059".to_string())
            ]
        );
        assert!(c.disable_ignore_pragma);
    }

    #[test]
    fn bad_values_are_located() {
        let c = parse(Path::new("x"), "failure-threshold: loud\nignored: {a: 1}\n");
        let lines: Vec<u32> = c.diagnostics.iter().map(|d| d.span.start.line).collect();
        assert_eq!(lines, [1, 2]);
        assert!(c.has_errors());
    }
}
