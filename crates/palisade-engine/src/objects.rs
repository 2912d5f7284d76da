//! Loading objects without checking them, for analyses that need every object of the input
//! at once and report something other than findings (`palisade netpol`, `palisade who-can`).

use std::sync::Arc;

use palisade_load::{Candidate, DiagnosticKind, FileKind, Limits, parse_str};
use palisade_model::{Object, PodKindTable, objects_from_document};
use rayon::prelude::*;

use crate::{FileDiagnostic, display_path, is_json, located};

/// The objects of every file read, each with the name of its file, and what went wrong.
#[derive(Debug, Default)]
pub struct LoadedObjects {
    pub objects: Vec<(Arc<str>, Object)>,
    /// Errors (a file that could not be read or parsed) and warnings, as `scan` reports
    /// them.
    pub diagnostics: Vec<FileDiagnostic>,
}

impl LoadedObjects {
    /// Whether some input could not be loaded.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.error)
    }
}

/// Reads and parses `candidates` in parallel, as `scan` does, and splits their documents
/// into objects (Dockerfiles are left out). Objects keep file order. Standard input is
/// named `stdin_name` (default `<stdin>`).
pub fn load_objects(
    candidates: &[Candidate],
    pod_kinds: &PodKindTable,
    limits: &Limits,
    stdin_name: Option<&str>,
) -> LoadedObjects {
    let per_file: Vec<LoadedObjects> = candidates
        .par_iter()
        .filter(|c| c.kind != FileKind::Dockerfile)
        .map(|c| {
            let name = match (&c.kind, stdin_name) {
                (FileKind::Stdin, Some(n)) => n.to_string(),
                _ => display_path(&c.path),
            };
            let file: Arc<str> = Arc::from(name.as_str());
            load_one(c, file, pod_kinds, limits)
        })
        .collect();
    let mut out = LoadedObjects::default();
    for l in per_file {
        out.objects.extend(l.objects);
        out.diagnostics.extend(l.diagnostics);
    }
    out
}

fn load_one(
    candidate: &Candidate,
    file: Arc<str>,
    pod_kinds: &PodKindTable,
    limits: &Limits,
) -> LoadedObjects {
    let mut out = LoadedObjects::default();
    let text = match palisade_load::read(candidate, limits) {
        Ok(text) => text,
        Err(d) => {
            out.diagnostics.push(located(&file, d));
            return out;
        }
    };
    if candidate.kind == FileKind::Stdin && text.trim().is_empty() {
        out.diagnostics.push(FileDiagnostic {
            file,
            code: DiagnosticKind::Read.as_str(),
            error: true,
            message: "standard input is empty; did the command before `|` fail?".into(),
            span: None,
        });
        return out;
    }
    if is_json(candidate, &file, &text)
        && let Some(d) = palisade_load::json_syntax_error(&text)
    {
        out.diagnostics.push(located(&file, d));
        return out;
    }
    let parsed = parse_str(&text, limits);
    out.diagnostics
        .extend(parsed.diagnostics.into_iter().map(|d| located(&file, d)));
    let mut lists = 0;
    for doc in parsed.documents {
        let found = objects_from_document(doc, pod_kinds);
        lists += usize::from(found.list);
        for obj in found.objects {
            out.objects.push((file.clone(), obj));
        }
    }
    if candidate.kind == FileKind::Stdin && out.objects.len() + lists == 0 && !out.has_errors() {
        out.diagnostics.push(stdin_without_objects(file, false));
    }
    out
}

/// The error for standard input that parsed but held no Kubernetes object. What is piped
/// in is rendered output (`helm template`, `kustomize build`); when that command fails it
/// may print its error on standard output, which reads as one YAML string, and a scan that
/// passed on it would let CI go green without checking anything.
///
/// `dockerfiles` says whether the command reads Dockerfiles too, and so whether to say how
/// to give it one.
pub(crate) fn stdin_without_objects(file: Arc<str>, dockerfiles: bool) -> FileDiagnostic {
    let mut message = "standard input holds no Kubernetes object; did the command before `|` \
                       print an error instead of manifests?"
        .to_string();
    if dockerfiles {
        message
            .push_str(" (for a Dockerfile on standard input, give `--stdin-filename Dockerfile`)");
    }
    FileDiagnostic {
        file,
        code: DiagnosticKind::Read.as_str(),
        error: true,
        message,
        span: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_keep_their_file_and_syntax_errors_are_errors() {
        let dir = std::env::temp_dir().join(format!("palisade-objects-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("a.yaml"),
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n",
        )
        .unwrap();
        std::fs::write(dir.join("b.yaml"), "kind: [unclosed\n").unwrap();
        let (candidates, _) = palisade_load::discover(std::slice::from_ref(&dir));
        let loaded = load_objects(
            &candidates,
            &PodKindTable::default(),
            &Limits::default(),
            None,
        );
        assert_eq!(loaded.objects.len(), 2);
        assert!(loaded.objects[0].0.ends_with("a.yaml"));
        assert_eq!(loaded.objects[1].1.id.name.as_deref(), Some("b"));
        assert!(loaded.has_errors());
        assert!(loaded.diagnostics[0].file.ends_with("b.yaml"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
