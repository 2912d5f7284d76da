//! Plain-scalar resolution as Kubernetes does it.
//!
//! Kubernetes clients turn YAML into JSON with go-yaml v2 rules, which are YAML 1.1 rules rather
//! than the YAML 1.2 core schema most parsers default to: `yes`, `on` and `y` are booleans,
//! a leading `0` makes an octal integer (`defaultMode: 0777` is 511), underscores are
//! ignored in numbers, and `<<` is a merge key. A linter that resolved scalars differently
//! would judge a different object from the one the API server stores.

use crate::node::Value;

/// Resolves an untagged plain scalar.
pub fn plain_scalar(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
            return Value::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => {
            return Value::Bool(false);
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }

    // Only text that starts like a number can be one.
    let first = text.as_bytes()[0];
    if !(first.is_ascii_digit() || first == b'+' || first == b'-' || first == b'.') {
        return Value::Str(text.to_string());
    }
    number(text).unwrap_or_else(|| Value::Str(text.to_string()))
}

/// Resolves a scalar carrying an explicit core-schema tag such as `!!int`.
pub fn tagged_scalar(text: &str, tag_suffix: &str) -> Result<Value, String> {
    // The value is not quoted: it may be a secret.
    let bad = || format!("this value is not a valid !!{tag_suffix}");
    match tag_suffix {
        "str" | "binary" | "timestamp" => Ok(Value::Str(text.to_string())),
        "null" => Ok(Value::Null),
        "bool" => match plain_scalar(text) {
            v @ Value::Bool(_) => Ok(v),
            _ => Err(bad()),
        },
        "int" => match number(text) {
            Some(v @ Value::Int(_)) => Ok(v),
            _ => Err(bad()),
        },
        "float" => match number(text).or_else(|| match plain_scalar(text) {
            v @ Value::Float(_) => Some(v),
            _ => None,
        }) {
            Some(Value::Int(i)) => Ok(Value::Float(i as f64)),
            Some(v @ Value::Float(_)) => Ok(v),
            _ => Err(bad()),
        },
        // Unknown or local tags (`!Ref`, `!!merge`) do not change the value.
        _ => Ok(plain_scalar(text)),
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)`, then `ParseUint`, then a YAML-style float, then `0b`.
fn number(text: &str) -> Option<Value> {
    let plain: String = text.chars().filter(|&c| c != '_').collect();
    if let Some(i) = parse_go_int(&plain) {
        return Some(Value::Int(i));
    }
    if let Some(u) = parse_go_uint(&plain) {
        return Some(Value::Float(u as f64));
    }
    if is_yaml_float(&plain) {
        return plain.parse::<f64>().ok().map(Value::Float);
    }
    None
}

fn split_sign(s: &str) -> (bool, &str) {
    if let Some(rest) = s.strip_prefix('-') {
        (true, rest)
    } else if let Some(rest) = s.strip_prefix('+') {
        (false, rest)
    } else {
        (false, s)
    }
}

fn parse_go_uint(s: &str) -> Option<u64> {
    let (radix, digits) = if let Some(rest) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))
    {
        (16, rest)
    } else if let Some(rest) = s.strip_prefix("0o").or_else(|| s.strip_prefix("0O")) {
        (8, rest)
    } else if let Some(rest) = s.strip_prefix("0b").or_else(|| s.strip_prefix("0B")) {
        (2, rest)
    } else if s.len() > 1 && s.starts_with('0') {
        (8, &s[1..])
    } else {
        (10, s)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

fn parse_go_int(s: &str) -> Option<i64> {
    let (negative, rest) = split_sign(s);
    let magnitude = parse_go_uint(rest)?;
    if negative {
        if magnitude <= i64::MAX as u64 + 1 {
            Some((magnitude as i64).wrapping_neg())
        } else {
            None
        }
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_yaml_float(s: &str) -> bool {
    let (_, rest) = split_sign(s);
    let bytes = rest.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < bytes.len() && bytes[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if bytes.first() == Some(&b'.') {
        i = 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if bytes.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_1_1_booleans_are_booleans() {
        for t in ["on", "yes", "Y", "TRUE"] {
            assert_eq!(plain_scalar(t), Value::Bool(true), "{t}");
        }
        for t in ["off", "no", "n", "False"] {
            assert_eq!(plain_scalar(t), Value::Bool(false), "{t}");
        }
        assert_eq!(plain_scalar("yEs"), Value::Str("yEs".into()));
    }

    #[test]
    fn numbers_follow_go_parse_int_with_base_prefixes() {
        assert_eq!(plain_scalar("0777"), Value::Int(0o777));
        assert_eq!(plain_scalar("0o17"), Value::Int(15));
        assert_eq!(plain_scalar("0x1F"), Value::Int(31));
        assert_eq!(plain_scalar("0b101"), Value::Int(5));
        assert_eq!(plain_scalar("1_000"), Value::Int(1000));
        assert_eq!(plain_scalar("-42"), Value::Int(-42));
        assert_eq!(plain_scalar("+7"), Value::Int(7));
        assert_eq!(plain_scalar("1e3"), Value::Float(1000.0));
        assert_eq!(plain_scalar(".5"), Value::Float(0.5));
        assert_eq!(plain_scalar("0"), Value::Int(0));
        // Not octal, so Go falls through to the float syntax.
        assert_eq!(plain_scalar("0999"), Value::Float(999.0));
    }

    #[test]
    fn things_that_only_look_numeric_stay_strings() {
        for t in ["12:30", "1.2.3", "v1", "1Gi", "100m", "-", "."] {
            assert_eq!(plain_scalar(t), Value::Str(t.into()), "{t}");
        }
    }

    #[test]
    fn null_forms() {
        for t in ["~", "null", "NULL", ""] {
            assert_eq!(plain_scalar(t), Value::Null);
        }
    }

    #[test]
    fn explicit_tags_override_resolution() {
        assert_eq!(tagged_scalar("on", "str").unwrap(), Value::Str("on".into()));
        assert_eq!(tagged_scalar("0777", "int").unwrap(), Value::Int(511));
        assert!(tagged_scalar("abc", "int").is_err());
        assert_eq!(tagged_scalar("3", "float").unwrap(), Value::Float(3.0));
    }
}
