//! Variable substitution in instruction arguments, as BuildKit performs it.
//!
//! `$NAME`, `${NAME}`, `${NAME:-word}`, `${NAME-word}`, `${NAME:+word}`, `${NAME+word}` and
//! `${NAME:?message}` are expanded; single quotes keep text literal, double quotes do not, and
//! the escape character makes the next character literal. Quotes are removed.
//!
//! What the value of a variable is depends on where the word is (see [`crate::Dockerfile`] for
//! the scoping). A variable whose value cannot be known here — an `ARG` without a default and
//! without a `--build-arg`, an `ENV` inherited from a base image, a name never declared — makes
//! the result [incomplete](Expanded::complete), and rules do not judge incomplete values. A
//! `${NAME:-word}` fallback is what a build without that argument uses, so it stays complete.
//! The pattern operators (`${NAME#p}`, `${NAME%p}`, `${NAME/p/r}`) are not evaluated: they make
//! the result incomplete.

/// A variable's value at the point of use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Value(String),
    /// Declared without a value, or not declared here: unknown before the build.
    Unknown,
}

/// The result of expanding one word.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Expanded {
    pub value: String,
    /// Every variable in the word had a known value.
    pub complete: bool,
}

/// Expands `raw` with `lookup` for variable values.
pub fn expand(raw: &str, escape: char, lookup: &dyn Fn(&str) -> Lookup) -> Expanded {
    let mut out = Expanded {
        value: String::with_capacity(raw.len()),
        complete: true,
    };
    let chars: Vec<char> = raw.chars().collect();
    let mut i = 0;
    let mut in_double = false;
    while i < chars.len() {
        let c = chars[i];
        if !in_double && c == '\'' {
            // Literal up to the closing quote.
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                out.value.push(chars[i]);
                i += 1;
            }
            i += 1;
            continue;
        }
        if c == '"' {
            in_double = !in_double;
            i += 1;
            continue;
        }
        if c == escape {
            match chars.get(i + 1) {
                Some(&n) if !in_double || matches!(n, '"' | '$') || n == escape => {
                    out.value.push(n);
                    i += 2;
                }
                Some(&n) => {
                    out.value.push(c);
                    out.value.push(n);
                    i += 2;
                }
                None => {
                    out.value.push(c);
                    i += 1;
                }
            }
            continue;
        }
        if c == '$' {
            i = variable(&chars, i + 1, escape, lookup, &mut out);
            continue;
        }
        out.value.push(c);
        i += 1;
    }
    out
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Expands the variable after a `$` at `i`; returns the index after it.
fn variable(
    chars: &[char],
    mut i: usize,
    escape: char,
    lookup: &dyn Fn(&str) -> Lookup,
    out: &mut Expanded,
) -> usize {
    match chars.get(i) {
        Some(&c) if is_name_start(c) => {
            let start = i;
            while i < chars.len() && is_name_char(chars[i]) {
                i += 1;
            }
            let name: String = chars[start..i].iter().collect();
            push_value(lookup(&name), out);
            i
        }
        Some('{') => {
            // Find the matching brace.
            let mut depth = 0;
            let mut end = None;
            for (j, &c) in chars.iter().enumerate().skip(i) {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = Some(j);
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let Some(end) = end else {
                // Unterminated: BuildKit fails the build; nothing can be judged.
                out.complete = false;
                return chars.len();
            };
            let inner: String = chars[i + 1..end].iter().collect();
            braced(&inner, escape, lookup, out);
            end + 1
        }
        _ => {
            out.value.push('$');
            i
        }
    }
}

fn push_value(v: Lookup, out: &mut Expanded) {
    match v {
        Lookup::Value(s) => out.value.push_str(&s),
        Lookup::Unknown => out.complete = false,
    }
}

/// `${…}` contents: a name and an optional operator.
fn braced(inner: &str, escape: char, lookup: &dyn Fn(&str) -> Lookup, out: &mut Expanded) {
    let name_len = inner
        .char_indices()
        .find(|&(_, c)| !is_name_char(c))
        .map_or(inner.len(), |(j, _)| j);
    let (name, op) = inner.split_at(name_len);
    if name.is_empty() || !name.starts_with(is_name_start) {
        out.complete = false;
        return;
    }
    let value = lookup(name);
    let word = |w: &str, out: &mut Expanded| {
        let e = expand(w, escape, lookup);
        out.value.push_str(&e.value);
        out.complete &= e.complete;
    };
    let (colon, op) = match op.strip_prefix(':') {
        Some(rest) => (true, rest),
        None => (false, op),
    };
    match (op.chars().next(), value) {
        (None, v) if !colon => push_value(v, out),
        (Some('-'), Lookup::Value(v)) if !(colon && v.is_empty()) => out.value.push_str(&v),
        (Some('-'), _) => word(&op[1..], out),
        (Some('+'), Lookup::Value(v)) if !(colon && v.is_empty()) => word(&op[1..], out),
        (Some('+'), Lookup::Value(_)) => {}
        (Some('?'), Lookup::Value(v)) if !(colon && v.is_empty()) => out.value.push_str(&v),
        _ => out.complete = false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(name: &str) -> Lookup {
        match name {
            "IMAGE" => Lookup::Value("alpine".into()),
            "EMPTY" => Lookup::Value(String::new()),
            _ => Lookup::Unknown,
        }
    }

    fn ex(raw: &str) -> (String, bool) {
        let e = expand(raw, '\\', &vars);
        (e.value, e.complete)
    }

    #[test]
    fn plain_and_braced_names() {
        assert_eq!(ex("$IMAGE:3"), ("alpine:3".into(), true));
        assert_eq!(ex("${IMAGE}:3"), ("alpine:3".into(), true));
        assert_eq!(ex("$TAG"), (String::new(), false));
    }

    #[test]
    fn defaults_and_alternatives() {
        assert_eq!(ex("${TAG:-1.2}"), ("1.2".into(), true));
        assert_eq!(ex("${EMPTY:-x}"), ("x".into(), true));
        assert_eq!(ex("${EMPTY-x}"), (String::new(), true));
        assert_eq!(ex("${IMAGE:+set}"), ("set".into(), true));
        assert_eq!(ex("${EMPTY:+set}"), (String::new(), true));
        assert!(!ex("${TAG:+set}").1);
        assert!(!ex("${IMAGE%%:*}").1);
        assert_eq!(ex("${TAG:-${IMAGE}}"), ("alpine".into(), true));
    }

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(ex("'$IMAGE' \"$IMAGE\""), ("$IMAGE alpine".into(), true));
        assert_eq!(ex("\\$IMAGE"), ("$IMAGE".into(), true));
        assert_eq!(ex("a$"), ("a$".into(), true));
        let e = expand("C:\\dir `$X", '`', &vars);
        assert_eq!(e.value, "C:\\dir $X");
    }
}
