//! Suppression pragmas in Dockerfile comments.
//!
//! hadolint's forms and Palisade's own are read the same way:
//!
//! * `# hadolint ignore=DL3008,DL3015` or `# palisade ignore=DKR015,package-not-pinned`: the
//!   next instruction;
//! * `# hadolint stage ignore=…` / `# palisade stage ignore=…`, written just above a `FROM`:
//!   that whole stage;
//! * `# hadolint global ignore=…` / `# palisade global ignore=…`: the whole file.
//!
//! Codes are separated by commas; text after a further `#` is a comment. Whether a code names
//! a rule is for the caller to decide.

use palisade_load::Span;

use crate::model::{Dockerfile, Keyword};

/// What a pragma covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One instruction, by index (`None` when no instruction follows the comment).
    Instruction(Option<usize>),
    /// One stage, by index (`None` when the next instruction is not a `FROM`).
    Stage(Option<usize>),
    Global,
}

/// One `ignore=` pragma.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pragma {
    /// `hadolint` or `palisade`.
    pub tool: &'static str,
    pub scope: Scope,
    pub codes: Vec<String>,
    /// The comment.
    pub span: Span,
}

/// The pragmas in a file's comments.
pub fn pragmas(df: &Dockerfile) -> Vec<Pragma> {
    let mut out = Vec::new();
    for c in &df.comments {
        let text = c.text.trim();
        let Some((tool, rest)) = ["hadolint", "palisade"]
            .iter()
            .find_map(|t| text.strip_prefix(t).map(|r| (*t, r)))
        else {
            continue;
        };
        if !rest.starts_with(char::is_whitespace) {
            continue;
        }
        let rest = rest.split('#').next().unwrap_or("").trim();
        let (scope_word, rest) = match rest.split_once(char::is_whitespace) {
            Some((w, r)) if w == "global" || w == "stage" => (Some(w), r.trim()),
            _ => (None, rest),
        };
        let Some(list) = rest.strip_prefix("ignore") else {
            continue;
        };
        let Some(list) = list.trim_start().strip_prefix('=') else {
            continue;
        };
        let codes: Vec<String> = list
            .split(',')
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect();
        let scope = match scope_word {
            Some("global") => Scope::Global,
            Some(_) => Scope::Stage(
                c.next_instruction
                    .and_then(|i| df.instructions.get(i))
                    .filter(|i| i.keyword == Keyword::From)
                    .and_then(|i| i.stage),
            ),
            None => Scope::Instruction(c.next_instruction),
        };
        out.push(Pragma {
            tool,
            scope,
            codes,
            span: c.span,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Options, parse};

    #[test]
    fn all_three_scopes_in_both_spellings() {
        let df = parse(
            "# hadolint global ignore=DL3008\nFROM a\n# hadolint ignore=DL3015, DL3009 # why\n\
             # unrelated\nRUN x\n# palisade stage ignore=DKR005\nFROM b\n# palisade ignore=root-user\n",
            &Options::default(),
        );
        let p = pragmas(&df);
        assert_eq!(p.len(), 4);
        assert_eq!(
            (p[0].scope, p[0].codes.clone()),
            (Scope::Global, vec!["DL3008".to_string()])
        );
        assert_eq!(p[1].scope, Scope::Instruction(Some(1)));
        assert_eq!(p[1].codes, ["DL3015", "DL3009"]);
        assert_eq!((p[2].tool, p[2].scope), ("palisade", Scope::Stage(Some(1))));
        assert_eq!(p[3].scope, Scope::Instruction(None));
    }
}
