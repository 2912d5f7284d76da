//! Splitting instruction arguments into words, and the JSON (exec) form.
//!
//! Words are separated by unquoted whitespace. Quotes (`'…'`, `"…"`) and the escape character
//! keep whitespace inside a word; the quotes stay in the word's raw text, and expansion
//! ([`crate::expand`]) removes them later, as BuildKit does. An argument list that is a valid
//! JSON array of strings is the exec form; anything else, including almost-JSON such as
//! `['a']`, is the shell form, exactly as BuildKit decides.

use std::ops::Range;

/// The byte ranges of the words of `text`.
pub(crate) fn split(text: &str, escape: char) -> Vec<Range<usize>> {
    scan(text, escape).0
}

/// Where a quote opens that is never closed in `text`, if one does (BuildKit refuses such an
/// argument in the instructions whose words it expands).
pub(crate) fn unclosed_quote(text: &str, escape: char) -> Option<usize> {
    scan(text, escape).1
}

/// The words of `text`, and the offset of an unclosed quote.
fn scan(text: &str, escape: char) -> (Vec<Range<usize>>, Option<usize>) {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut quote: Option<(char, usize)> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if start.is_none() {
            if c.is_whitespace() {
                continue;
            }
            start = Some(i);
        }
        match quote {
            Some((q, _)) if c == q => quote = None,
            Some(('"', _)) if c == escape => {
                chars.next();
            }
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some((c, i)),
            None if c == escape => {
                chars.next();
            }
            None if c.is_whitespace() => {
                if let Some(s) = start.take() {
                    out.push(s..i);
                }
            }
            None => {}
        }
    }
    if let Some(s) = start {
        out.push(s..text.len());
    }
    (out, quote.map(|(_, at)| at))
}

/// The elements of a JSON array of strings, each with the range of its literal (quotes
/// included); `None` when `text` is not exactly such an array.
pub(crate) fn json_array(text: &str) -> Option<Vec<(String, Range<usize>)>> {
    let bytes = text.as_bytes();
    let mut i = skip_ws(bytes, 0);
    if bytes.get(i) != Some(&b'[') {
        return None;
    }
    i = skip_ws(bytes, i + 1);
    let mut out = Vec::new();
    if bytes.get(i) == Some(&b']') {
        i += 1;
    } else {
        loop {
            let (value, end) = json_string(text, i)?;
            out.push((value, i..end));
            i = skip_ws(bytes, end);
            match bytes.get(i) {
                Some(b',') => i = skip_ws(bytes, i + 1),
                Some(b']') => {
                    i += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    (skip_ws(bytes, i) == bytes.len()).then_some(out)
}

fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while matches!(bytes.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// A JSON string literal starting at `start`: its value and the offset after it.
fn json_string(text: &str, start: usize) -> Option<(String, usize)> {
    let rest = text.get(start..)?;
    let mut chars = rest.char_indices();
    if chars.next()?.1 != '"' {
        return None;
    }
    let mut out = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, start + i + 1)),
            '\\' => {
                let (_, e) = chars.next()?;
                match e {
                    '"' => out.push('"'),
                    '\\' => out.push('\\'),
                    '/' => out.push('/'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'n' => out.push('\n'),
                    'r' => out.push('\r'),
                    't' => out.push('\t'),
                    'u' => {
                        let hi = hex4(&mut chars)?;
                        let code = if (0xD800..0xDC00).contains(&hi) {
                            let (_, b) = chars.next()?;
                            let (_, u) = chars.next()?;
                            if b != '\\' || u != 'u' {
                                return None;
                            }
                            let lo = hex4(&mut chars)?;
                            if !(0xDC00..0xE000).contains(&lo) {
                                return None;
                            }
                            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                        } else {
                            hi
                        };
                        out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
                    }
                    _ => return None,
                }
            }
            c if (c as u32) < 0x20 => return None,
            c => out.push(c),
        }
    }
    None
}

fn hex4(chars: &mut std::str::CharIndices<'_>) -> Option<u32> {
    let mut n = 0;
    for _ in 0..4 {
        n = n * 16 + chars.next()?.1.to_digit(16)?;
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<&str> {
        split(text, '\\').into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn quotes_and_escapes_keep_words_together() {
        assert_eq!(
            words("  a \"b c\" 'd e'f g\\ h "),
            ["a", "\"b c\"", "'d e'f", "g\\ h"]
        );
    }

    #[test]
    fn json_arrays_and_their_ranges() {
        let text = r#"[ "sh", "-c", "echo \"hi\" \u00e9" ]"#;
        let items = json_array(text).unwrap();
        assert_eq!(items[2].0, "echo \"hi\" é");
        assert_eq!(&text[items[0].1.clone()], "\"sh\"");
        assert!(json_array("['sh']").is_none());
        assert!(json_array("[\"a\"] trailing").is_none());
        assert_eq!(json_array("[]").unwrap().len(), 0);
    }
}
