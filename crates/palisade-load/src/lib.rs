//! Loading: bytes in, spanned documents out.
//!
//! This crate knows YAML, JSON and files, and nothing about Kubernetes. Every node of a loaded
//! document carries its line and column so that later stages can point at the exact key a
//! finding is about. Scalars are resolved as Kubernetes' own YAML decoder resolves them, and
//! every way a file can fail to load is a [`Diagnostic`] with a position, never a silent skip.
//!
//! ```
//! use palisade_load::{parse_str, Limits};
//!
//! let parsed = parse_str("kind: Pod\nspec:\n  hostPID: yes\n", &Limits::default());
//! let spec = parsed.documents[0].root.get("spec").unwrap();
//! assert_eq!(spec.get("hostPID").unwrap().as_bool(), Some(true));
//! assert_eq!(spec.entry("hostPID").unwrap().key_span.start.line, 3);
//! ```

pub mod node;
pub mod parse;
pub mod resolve;
pub mod source;

pub use node::{Entry, FieldPath, Node, Pos, Segment, Span, Value};
pub use parse::{
    Diagnostic, DiagnosticKind, Document, Limits, Parsed, json_syntax_error, parse_str,
};
pub use source::{
    CONFIG_FILE_NAME, Candidate, FileKind, WalkError, discover, discover_with_configs,
    is_dockerfile_name, read,
};
