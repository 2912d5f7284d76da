use palisade_load::{FieldPath, Node};
use regex_syntax::ast::{self, Ast, Flag, FlagsItemKind, GroupKind, RepetitionKind};

use super::is_virtual_service;
use crate::declare_rule;
use crate::rule::{Applies, Cx};

declare_rule! {
    /// ## What it checks
    /// Every `regex` a VirtualService matches requests with is a valid RE2 expression, the
    /// dialect Envoy runs: in `spec.http[].match[]` the `uri`, `scheme`, `method` and
    /// `authority` matches and each entry of `headers`, `withoutHeaders` and
    /// `queryParams`, and in `spec.http[].corsPolicy.allowOrigins[]`.
    ///
    /// The rule needs only the VirtualService, so it runs in the admission webhook too.
    ///
    /// ## Why it matters
    /// Istio's validating webhook rejects a VirtualService with an invalid expression; where
    /// the webhook is absent or bypassed (a GitOps controller applying with validation off,
    /// an offline `istioctl analyze`), the proxies receive a route they cannot build and
    /// reject the whole route configuration, so every route of that listener stops
    /// updating. Expressions written for PCRE or JavaScript — lookaheads `(?=…)`,
    /// backreferences `\1`, possessive `a*+` — are the usual cause.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.istio.io/v1
    /// kind: VirtualService
    /// metadata: {name: api}
    /// spec:
    ///   hosts: [api]
    ///   http:
    ///   - match:
    ///     - uri:
    ///         regex: '^/v1/(?!internal).*'
    ///     route:
    ///     - destination: {host: api}
    /// ```
    ///
    /// ## Fix
    /// Rewrite the expression without the unsupported construct, here with a match ahead of
    /// it that catches the excluded paths:
    /// ```yaml
    ///   - match:
    ///     - uri: {prefix: /v1/internal}
    ///     directResponse: {status: 404}
    ///   - match:
    ///     - uri: {regex: '^/v1/.*'}
    ///     route:
    ///     - destination: {host: api}
    /// ```
    ///
    /// ## Known problems
    /// Expressions are parsed with Rust's `regex-syntax`, whose syntax is RE2's with a few
    /// differences, handled as follows. RE2's `\Q…\E` quoting is accepted. Rust-only syntax
    /// is reported as invalid RE2: the flags `x`, `u` and `R` (RE2 knows only `i`, `m`, `s`
    /// and `U`), `\<`, `\>` and `\b{…}` word boundaries, stacked repetitions (`a**`), and
    /// repetition counts above 1000.
    /// Class set operations (`[a-z&&[^aeiou]]`) and nested classes parse in both dialects
    /// with different meanings and are not reported. RE2's octal escapes (`\012`) and `\C`
    /// are reported although RE2 accepts them (Istio's webhook, which uses Go's
    /// `regexp`, rejects `\C` too), and Unicode classes RE2 lacks (`\p{Emoji}`) pass.
    /// Envoy's limit on a compiled expression's size is not checked.
    ///
    /// ## References
    /// - https://github.com/google/re2/wiki/Syntax
    /// - https://istio.io/latest/docs/reference/config/networking/virtual-service/#StringMatch
    /// - https://istio.io/latest/docs/reference/config/analysis/ist0122/
    pub static ROUTE_MATCH_REGEX_INVALID = {
        id: "MESH005",
        name: "route-match-regex-invalid",
        category: Mesh,
        severity: Medium,
        default_enabled: true,
        applies: Applies::Kinds(&["VirtualService"]),
        pss_level: None,
        summary: "VirtualService regex matches must be valid RE2",
        check: check,
    }
}

/// The `StringMatch` fields of an `HTTPMatchRequest`, and the maps of them.
const MATCH_FIELDS: [&str; 4] = ["uri", "scheme", "method", "authority"];
const MATCH_MAPS: [&str; 3] = ["headers", "withoutHeaders", "queryParams"];

fn check(cx: &mut Cx<'_>) {
    let obj = cx.obj;
    if !is_virtual_service(obj) {
        return;
    }
    let Some(http) = obj.root.get("spec").and_then(|s| s.get("http")) else {
        return;
    };
    let base = FieldPath::root().keys(&["spec", "http"]);
    let mut found = Vec::new();
    for (i, rule) in http.items().iter().enumerate() {
        let at = base.index(i);
        for (j, m) in rule
            .get("match")
            .map_or(&[][..], Node::items)
            .iter()
            .enumerate()
        {
            let at = at.key("match").index(j);
            for field in MATCH_FIELDS {
                regex_of(m.get(field), at.key(field), &mut found);
            }
            for map in MATCH_MAPS {
                for e in m.get(map).map_or(&[][..], Node::entries) {
                    regex_of(Some(&e.value), at.keys(&[map, &e.key]), &mut found);
                }
            }
        }
        let origins = rule
            .get("corsPolicy")
            .and_then(|c| c.get("allowOrigins"))
            .map_or(&[][..], Node::items);
        for (k, origin) in origins.iter().enumerate() {
            let at = at.keys(&["corsPolicy", "allowOrigins"]).index(k);
            regex_of(Some(origin), at, &mut found);
        }
    }
    for (path, pattern) in found {
        if let Some(why) = re2_error(&pattern) {
            cx.report(
                path,
                format!("Write a valid RE2 expression: `{pattern}` is not one ({why})"),
            );
        }
    }
}

/// Collects the `regex` of a `StringMatch` at `path`.
fn regex_of(node: Option<&Node>, path: FieldPath, out: &mut Vec<(FieldPath, String)>) {
    if let Some(pattern) = node.and_then(|n| n.get("regex")).and_then(Node::as_str) {
        out.push((path.key("regex"), pattern.to_string()));
    }
}

/// Why `pattern` is not a valid RE2 expression, or `None` when it is one.
pub(crate) fn re2_error(pattern: &str) -> Option<String> {
    let pattern = unquote(pattern);
    let ast = match ast::parse::ParserBuilder::new().build().parse(&pattern) {
        Ok(ast) => ast,
        Err(e) => return Some(e.kind().to_string()),
    };
    if let Err(e) = regex_syntax::hir::translate::TranslatorBuilder::new()
        .build()
        .translate(&pattern, &ast)
    {
        return Some(e.kind().to_string());
    }
    ast::visit(&ast, RustOnly).err()
}

/// Replaces RE2's `\Q…\E` quoting, which Rust's syntax lacks, by the escaped text.
fn unquote(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(start) = rest.find("\\Q") {
        // An escaped backslash before `Q` is a literal `\` and a literal `Q`.
        let escaped = rest[..start]
            .chars()
            .rev()
            .take_while(|&c| c == '\\')
            .count()
            % 2
            == 1;
        out.push_str(&rest[..start]);
        if escaped {
            out.push_str("\\Q");
            rest = &rest[start + 2..];
            continue;
        }
        let quoted = &rest[start + 2..];
        let (text, after) = match quoted.find("\\E") {
            Some(end) => (&quoted[..end], &quoted[end + 2..]),
            None => (quoted, ""),
        };
        out.push_str(&regex_syntax::escape(text));
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Finds syntax Rust's parser accepts and RE2 rejects.
struct RustOnly;

impl ast::Visitor for RustOnly {
    type Output = ();
    type Err = String;

    fn finish(self) -> Result<(), String> {
        Ok(())
    }

    fn visit_pre(&mut self, ast: &Ast) -> Result<(), String> {
        match ast {
            Ast::Flags(set) => flags(&set.flags),
            Ast::Group(group) => match &group.kind {
                GroupKind::NonCapturing(f) => flags(f),
                _ => Ok(()),
            },
            Ast::Assertion(a) => {
                use ast::AssertionKind::*;
                match a.kind {
                    StartLine | EndLine | StartText | EndText | WordBoundary | NotWordBoundary => {
                        Ok(())
                    }
                    _ => Err("RE2 has no `\\<`, `\\>` or `\\b{…}` word boundaries".into()),
                }
            }
            Ast::Repetition(r) => {
                if matches!(*r.ast, Ast::Repetition(_)) {
                    return Err("RE2 does not repeat a repetition (`a**`, `a*+`, `a{2}{3}`)".into());
                }
                let bound = match r.op.kind {
                    RepetitionKind::Range(ast::RepetitionRange::Exactly(n))
                    | RepetitionKind::Range(ast::RepetitionRange::AtLeast(n)) => n,
                    RepetitionKind::Range(ast::RepetitionRange::Bounded(m, n)) => m.max(n),
                    _ => 0,
                };
                if bound > 1000 {
                    return Err(format!("RE2 repeats at most 1000 times, not {bound}"));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// RE2 knows the flags `i`, `m`, `s` and `U` only.
fn flags(flags: &ast::Flags) -> Result<(), String> {
    for item in &flags.items {
        if let FlagsItemKind::Flag(flag) = item.kind {
            let letter = match flag {
                Flag::CaseInsensitive
                | Flag::MultiLine
                | Flag::DotMatchesNewLine
                | Flag::SwapGreed => continue,
                Flag::Unicode => 'u',
                Flag::CRLF => 'R',
                Flag::IgnoreWhitespace => 'x',
            };
            return Err(format!("RE2 has no flag `{letter}`"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{paths, run};

    #[test]
    fn rejects_what_re2_rejects() {
        for bad in [
            "^/v1/(?!internal).*",
            "(a)\\1",
            "a*+",
            "(?<=x)y",
            "[z-a]",
            "^/(get|post",
            "(?x) a b",
            "\\bword\\b{start}",
            "a{1001}",
            "\\p{NotAScript}",
        ] {
            assert!(re2_error(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn accepts_what_re2_accepts() {
        for good in [
            "^/(get|post|v1)/.*",
            "(?i)^bearer .+$",
            "\\Qa.b*c\\E+",
            "^\\d{3}-[[:alpha:]]+$",
            "(?P<ver>v\\d+)",
            "a{2,1000}",
            "\\pL\\p{Greek}",
            "",
        ] {
            assert_eq!(re2_error(good), None, "{good}");
        }
    }

    fn vs(matches: &str) -> String {
        format!(
            "apiVersion: networking.istio.io/v1beta1\nkind: VirtualService\nmetadata: {{name: api}}\nspec:\n  http:\n  - match:\n{matches}    corsPolicy:\n      allowOrigins:\n      - regex: 'https://(.*\\.example\\.com'\n    route:\n    - destination: {{host: api}}\n"
        )
    }

    #[test]
    fn points_at_each_invalid_expression() {
        let yaml = vs(
            "    - uri: {regex: '^/ok/.*'}\n      headers:\n        x-user: {regex: '(?=admin)'}\n        x-ok: {exact: '(?='}\n      queryParams:\n        q: {regex: '[a-'}\n    - authority: {regex: 'a**'}\n",
        );
        let v = run(&ROUTE_MATCH_REGEX_INVALID, &yaml);
        assert_eq!(
            paths(&v),
            [
                "spec.http[0].match[0].headers.x-user.regex",
                "spec.http[0].match[0].queryParams.q.regex",
                "spec.http[0].match[1].authority.regex",
                "spec.http[0].corsPolicy.allowOrigins[0].regex",
            ]
        );
        assert!(v[0].message.contains("`(?=admin)`"), "{}", v[0].message);
    }

    #[test]
    fn passes_valid_expressions() {
        let yaml = vs("    - uri: {regex: '^/ok/.*'}\n").replace("(.*\\.example", "(.*)\\.example");
        assert!(run(&ROUTE_MATCH_REGEX_INVALID, &yaml).is_empty(), "{yaml}");
    }
}
