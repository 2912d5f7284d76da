//! Credentials written into manifests.

mod secret_data_in_manifest;
pub(crate) mod secret_in_env;
pub(crate) mod value_shapes;

use crate::rule::Rule;

pub static RULES: &[&Rule] = &[
    &secret_in_env::SECRET_IN_ENV,
    &secret_data_in_manifest::SECRET_DATA_IN_MANIFEST,
];

/// Whether a word of a build file or a command may hold a secret, for masking quoted lines:
/// a credential's shape, a URL with user information or a secret-named query parameter, a
/// `Name: value` header or `NAME=value` with a secret-looking name, text naming a password
/// (`machine h login u password p`), or any word after a secret-looking one (`_authToken
/// VALUE`). Errs towards masking: what it hides is only shown less.
pub fn word_may_hold_secret(word: &str, previous: Option<&str>) -> bool {
    if value_shapes::credential_shape(word).is_some() {
        return true;
    }
    if previous.is_some_and(|p| secret_in_env::name_suggests_secret(p.trim_start_matches('-'))) {
        return true;
    }
    if let Some((_, rest)) = word.split_once("://") {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let query = rest.split_once('?').map_or("", |(_, q)| q);
        let secret_param = query
            .split('&')
            .filter_map(|kv| kv.split_once('=').map(|(k, _)| k))
            .any(secret_in_env::name_suggests_secret);
        return authority.contains('@') || secret_param;
    }
    let named = |sep: char| {
        word.split_once(sep).is_some_and(|(name, value)| {
            !value.trim().is_empty() && secret_in_env::name_suggests_secret(name.trim())
        })
    };
    named(':')
        || named('=')
        || word
            .split_whitespace()
            .any(|w| secret_in_env::name_suggests_secret(w) && !w.contains('$'))
}

#[cfg(test)]
mod tests {
    use super::word_may_hold_secret as secret;

    #[test]
    fn words_that_may_hold_secrets() {
        for (word, previous) in [
            ("https://u:p@h.io/f", None),
            ("https://h.io/f?token=abc", None),
            ("X-Api-Key: abc", None),
            ("PGPASSWORD=abc", None),
            ("machine h login u password p", None),
            ("abc", Some("//registry.npmjs.org/:_authToken")),
            ("abc", Some("--password")),
        ] {
            assert!(secret(word, previous), "{word}");
        }
        for (word, previous) in [
            ("https://h.io/f.tgz", None),
            ("install", Some("apt-get")),
            ("Content-Type: application/json", None),
            ("-y", None),
        ] {
            assert!(!secret(word, previous), "{word}");
        }
    }
}
