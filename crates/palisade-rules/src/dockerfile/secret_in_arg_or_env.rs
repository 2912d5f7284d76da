use palisade_dockerfile::{Body, Word};
use palisade_load::Span;

use crate::declare_rule;
use crate::rule::{Applies, DockerfileCx};
use crate::secrets::secret_in_env::name_suggests_secret;
use crate::secrets::value_shapes::credential_shape;

declare_rule! {
    /// ## What it checks
    /// No `ARG` or `ENV` carries a secret, judged two ways:
    ///
    /// * by **name**: the name contains `PASSWORD`, `PASSWD`, `SECRET`, `TOKEN`, `API_KEY`,
    ///   `PRIVATE_KEY`, `ACCESS_KEY` or `CREDENTIAL` (in any case style), unless it ends in a
    ///   word that describes where or how the secret is (`_FILE`, `_PATH`, `_URL`, `_USER`,
    ///   `_TTL`, …) or its value is a literal that cannot be a secret (a number, a boolean, a
    ///   path). An `ARG` with such a name counts even without a default: the value given at
    ///   build time is what leaks.
    /// * by **value**: the value, after substitution, has the shape of a credential (a private
    ///   key, an AWS access key ID, a GitHub, Slack or Stripe token, a Google API key, a JSON Web
    ///   Token, a URL with a password), whatever the name.
    ///
    /// Values are never printed.
    ///
    /// ## Why it matters
    /// `ENV` values are stored in the image configuration, readable by anyone who can pull the
    /// image (`docker inspect`). `ARG` values used by a `RUN` are recorded in the image history
    /// and in build caches. Secrets belong in BuildKit secret mounts, which never reach a layer.
    ///
    /// ## Example
    /// ```dockerfile
    /// ARG NPM_TOKEN
    /// ENV DATABASE_URL=postgres://app:s3cr3t@db/app
    /// RUN echo "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" > .npmrc && npm ci
    /// ```
    ///
    /// ## Fix
    /// ```dockerfile
    /// RUN --mount=type=secret,id=npm,env=NPM_TOKEN \
    ///     echo "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" > .npmrc && npm ci && rm .npmrc
    /// ```
    /// and pass runtime secrets through the orchestrator (a Kubernetes Secret), not the image.
    ///
    /// ## References
    /// - https://docs.docker.com/build/building/secrets/
    /// - https://docs.docker.com/reference/build-checks/secrets-used-in-arg-or-env/
    pub static SECRET_IN_ARG_OR_ENV = {
        id: "DKR007",
        name: "secret-in-arg-or-env",
        category: Dockerfile,
        severity: High,
        default_enabled: true,
        applies: Applies::Dockerfile,
        pss_level: None,
        aliases: ["DL3064"],
        summary: "`ARG` and `ENV` must not carry secrets",
        dockerfile_check: check,
    }
}

/// A declared name, where it is written, and its value if one is given.
type Entry<'a> = (&'a str, Span, Option<&'a Word>);

fn check(cx: &mut DockerfileCx<'_>) {
    for ins in &cx.df.instructions {
        let (keyword, entries): (&str, Vec<Entry<'_>>) = match &ins.body {
            Body::Env(pairs) => (
                "ENV",
                pairs
                    .iter()
                    .map(|p| (p.key.as_str(), p.key_span, Some(&p.value)))
                    .collect(),
            ),
            Body::Arg(decls) => (
                "ARG",
                decls
                    .iter()
                    .map(|d| (d.name.as_str(), d.name_span, d.default.as_ref()))
                    .collect(),
            ),
            _ => continue,
        };
        for (name, span, value) in entries {
            if let Some(what) = value
                .filter(|v| v.complete)
                .and_then(|v| credential_shape(&v.value))
            {
                cx.report(
                    ins,
                    value.map_or(span, |v| v.span),
                    format!("`{keyword} {name}` holds a value that looks like {what}"),
                );
                // The name and the kind of value, never the value.
                cx.about(format!("{name}: {what}"));
            } else if name_suggests_secret(name) && !value.is_some_and(harmless) {
                cx.report_code(
                    ins,
                    span,
                    Some("DL3064"),
                    format!("`{keyword} {name}`: its name suggests a secret, and `{keyword}` values are kept in the image"),
                );
                cx.about(name);
            }
        }
    }
}

/// A literal that cannot be a secret: empty is not among them (it is a slot for one).
fn harmless(value: &Word) -> bool {
    let v = value.value.trim();
    value.complete
        && !v.is_empty()
        && (v.starts_with('/')
            || v.bytes().all(|b| b.is_ascii_digit())
            || ["true", "false", "yes", "no", "on", "off"]
                .iter()
                .any(|b| v.eq_ignore_ascii_case(b)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{lines, run_dockerfile};

    #[test]
    fn flags_secret_names_and_credential_values_without_printing_them() {
        let key = format!("AKIA{}", "Q7".repeat(8));
        let v = run_dockerfile(
            &SECRET_IN_ARG_OR_ENV,
            &format!(
                "ARG NPM_TOKEN\nFROM a:1\nENV dbPassword=hunter2 REGION=x\nENV KEY_ID={key}\n"
            ),
        );
        assert_eq!(lines(&v), [(1, 5), (3, 5), (4, 12)]);
        assert_eq!(v[0].code, Some("DL3064"));
        assert!(
            v[2].message.contains("AWS access key ID"),
            "{}",
            v[2].message
        );
        assert!(
            v.iter()
                .all(|v| !v.message.contains("hunter2") && !v.message.contains(&key))
        );
        // What identifies each finding is the variable and the kind of value, never the value.
        let subjects: Vec<&str> = v.iter().map(|v| v.subject.as_str()).collect();
        assert_eq!(
            subjects,
            ["NPM_TOKEN", "dbPassword", "KEY_ID: an AWS access key ID"]
        );
    }

    #[test]
    fn passes_pointers_to_secrets_and_harmless_values() {
        let v = run_dockerfile(
            &SECRET_IN_ARG_OR_ENV,
            "FROM a:1\nENV PASSWORD_FILE=/run/secrets/db TOKEN_TTL=300 SECRET_ENABLED=true\nARG VERSION=1\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
