//! Recognising credentials by their shape, whatever variable holds them.
//!
//! Each matcher looks for the documented format of one kind of credential anywhere in a
//! value, so a token inside a longer string (`Bearer eyJ…`, `postgres://app:…@db`) is found
//! too. Prefixes must start a word, so a prefix in the middle of a longer identifier does
//! not count. The matchers are written out by hand: the formats are simple, and this keeps
//! the rule catalog free of a regular-expression engine.

/// Whether a value contains one kind of credential.
type Matcher = fn(&str) -> bool;

/// What `value` looks like when it contains a credential: "an AWS access key ID".
pub(crate) fn credential_shape(value: &str) -> Option<&'static str> {
    const MATCHERS: &[(Matcher, &str)] = &[
        (private_key, "a PEM private key"),
        (aws_access_key_id, "an AWS access key ID"),
        (github_token, "a GitHub token"),
        (slack_token, "a Slack token"),
        (stripe_live_key, "a Stripe live secret key"),
        (google_api_key, "a Google API key"),
        (json_web_token, "a JSON Web Token"),
        (url_with_password, "a URL with an embedded password"),
        (slack_webhook, "a Slack incoming-webhook URL"),
    ];
    MATCHERS
        .iter()
        .find(|(matches, _)| matches(value))
        .map(|(_, what)| *what)
}

/// Slack incoming webhooks carry their secret in the path:
/// `https://hooks.slack.com/services/T…/B…/…`.
fn slack_webhook(value: &str) -> bool {
    value.contains("hooks.slack.com/services/T")
}

/// `-----BEGIN … PRIVATE KEY-----` (RSA, EC, DSA, OpenSSH, PKCS#8, encrypted).
fn private_key(value: &str) -> bool {
    value.match_indices("-----BEGIN ").any(|(i, m)| {
        let rest = &value[i + m.len()..];
        rest.find("-----")
            .is_some_and(|end| rest[..end].ends_with("PRIVATE KEY"))
    })
}

/// `AKIA` (long-term) or `ASIA` (temporary) and 16 uppercase letters or digits.
fn aws_access_key_id(value: &str) -> bool {
    ["AKIA", "ASIA"].iter().any(|prefix| {
        prefixed(value, prefix).any(|rest| {
            let body = run(rest, |b| b.is_ascii_uppercase() || b.is_ascii_digit());
            body == 16
                && !rest
                    .as_bytes()
                    .get(16)
                    .is_some_and(u8::is_ascii_alphanumeric)
        })
    })
}

/// Classic tokens (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_` and 36 characters) and
/// fine-grained ones (`github_pat_` and at least 22).
fn github_token(value: &str) -> bool {
    let classic = ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]
        .iter()
        .any(|p| prefixed(value, p).any(|rest| run(rest, |b| b.is_ascii_alphanumeric()) >= 36));
    classic || prefixed(value, "github_pat_").any(|rest| run(rest, is_word) >= 22)
}

/// `xoxa-`, `xoxb-`, `xoxp-`, `xoxr-`, `xoxs-` and the token body.
fn slack_token(value: &str) -> bool {
    prefixed(value, "xox").any(|rest| {
        let bytes = rest.as_bytes();
        bytes.len() > 2
            && b"abprs".contains(&bytes[0])
            && bytes[1] == b'-'
            && run(&rest[2..], |b| b.is_ascii_alphanumeric() || b == b'-') >= 10
    })
}

/// `sk_live_` (secret) or `rk_live_` (restricted) and the key body.
fn stripe_live_key(value: &str) -> bool {
    ["sk_live_", "rk_live_"].iter().any(|prefix| {
        prefixed(value, prefix).any(|rest| run(rest, |b| b.is_ascii_alphanumeric()) >= 16)
    })
}

/// `AIza` and 35 characters of `[0-9A-Za-z_-]`.
fn google_api_key(value: &str) -> bool {
    prefixed(value, "AIza").any(|rest| run(rest, is_base64url) >= 35)
}

/// Three base64url segments separated by dots, the first two JSON objects (`eyJ` is how
/// base64 of `{"` begins).
fn json_web_token(value: &str) -> bool {
    prefixed(value, "eyJ").any(|rest| {
        let header = run(rest, is_base64url);
        let Some(rest) = rest[header..].strip_prefix(".eyJ") else {
            return false;
        };
        let payload = run(rest, is_base64url);
        let Some(signature) = rest[payload..].strip_prefix('.') else {
            return false;
        };
        header >= 7 && payload >= 7 && run(signature, is_base64url) >= 1
    })
}

/// `scheme://user:password@host…` with a literal password (not a `$(VAR)` reference).
fn url_with_password(value: &str) -> bool {
    value.match_indices("://").any(|(i, m)| {
        let rest = &value[i + m.len()..];
        let authority_end = rest
            .find(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace())
            .unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        let Some((userinfo, _host)) = authority.rsplit_once('@') else {
            return false;
        };
        let Some((_user, password)) = userinfo.split_once(':') else {
            return false;
        };
        !password.is_empty() && !contains_reference(password)
    })
}

/// Whether `text` contains an unexpanded variable or template: `$(VAR)`, `${VAR}`, `{{ }}`.
pub(crate) fn contains_reference(text: &str) -> bool {
    text.contains("$(") || text.contains("${") || text.contains("{{")
}

/// What follows each occurrence of `prefix` that starts a word.
fn prefixed<'a>(value: &'a str, prefix: &'a str) -> impl Iterator<Item = &'a str> {
    value.match_indices(prefix).filter_map(move |(i, m)| {
        let starts_word = i == 0 || !is_word(value.as_bytes()[i - 1]);
        starts_word.then(|| &value[i + m.len()..])
    })
}

/// How many leading bytes of `text` satisfy `accept`.
fn run(text: &str, accept: impl Fn(u8) -> bool) -> usize {
    text.bytes().take_while(|&b| accept(b)).count()
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn is_base64url(b: u8) -> bool {
    is_word(b) || b == b'-'
}

#[cfg(test)]
mod tests {
    use super::*;

    // Test inputs are assembled at run time so that no complete credential-shaped literal
    // sits in the source for other scanners to trip over.
    fn rep(c: char, n: usize) -> String {
        c.to_string().repeat(n)
    }

    #[test]
    fn recognises_each_credential_format() {
        let cases = [
            (
                "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----".to_string(),
                "a PEM private key",
            ),
            (
                format!("-----BEGIN {}-----", "PRIVATE KEY"),
                "a PEM private key",
            ),
            (format!("AKIA{}", rep('Q', 16)), "an AWS access key ID"),
            (format!("key=ASIA{}7", rep('Z', 15)), "an AWS access key ID"),
            (format!("ghp_{}", rep('a', 36)), "a GitHub token"),
            (
                format!("github_pat_{}_{}", rep('A', 22), rep('b', 59)),
                "a GitHub token",
            ),
            (
                format!("xoxb-{}-{}", rep('1', 12), rep('x', 24)),
                "a Slack token",
            ),
            (
                format!("sk_live_{}", rep('4', 24)),
                "a Stripe live secret key",
            ),
            (format!("AIza{}", rep('-', 35)), "a Google API key"),
            (
                format!(
                    "Bearer eyJ{}.eyJ{}.{}",
                    rep('h', 10),
                    rep('p', 20),
                    rep('s', 43)
                ),
                "a JSON Web Token",
            ),
            (
                "postgres://app:hunter2@db.internal:5432/app".to_string(),
                "a URL with an embedded password",
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(credential_shape(&value), Some(expected), "{value}");
        }
    }

    #[test]
    fn ignores_near_misses() {
        let values = [
            format!("-----BEGIN {}-----", "PUBLIC KEY"),
            format!("AKIA{}", rep('Q', 15)),
            format!("AKIA{}", rep('Q', 17)),
            format!("XAKIA{}", rep('Q', 16)),
            format!("AKIA{}", rep('q', 16)),
            format!("ghp_{}", rep('a', 20)),
            format!("my_ghp_{}", rep('a', 36)),
            "xoxb-short".to_string(),
            format!("sk_test_{}", rep('4', 24)),
            format!("AIza{}", rep('x', 20)),
            format!("eyJ{}", rep('h', 40)),
            format!("eyJ{}.{}.{}", rep('h', 10), rep('p', 20), rep('s', 20)),
            "https://user@example.com/path:with:colons".to_string(),
            "postgres://app:$(DB_PASSWORD)@db:5432/app".to_string(),
            "https://example.com/?redirect=http://x".to_string(),
            "mailto:someone@example.com".to_string(),
        ];
        for value in values {
            assert_eq!(credential_shape(&value), None, "{value}");
        }
    }
}
