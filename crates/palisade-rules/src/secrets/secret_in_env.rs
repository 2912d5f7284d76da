use super::value_shapes::{contains_reference, credential_shape};
use crate::declare_rule;
use crate::rule::{Applies, Cx};

declare_rule! {
    /// ## What it checks
    /// No container (init, regular or ephemeral) sets an environment variable to a literal
    /// `value` that is a credential. Values taken from a Secret with `valueFrom` are what
    /// this rule asks for, and are never flagged. A variable is flagged for either reason:
    ///
    /// - **Its value has the shape of a credential**, whatever the variable is called: a
    ///   PEM private key, an AWS access key ID (`AKIA…`, `ASIA…`), a GitHub token (`ghp_`,
    ///   `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`), a Slack token (`xoxb-` and its
    ///   siblings), a Stripe live key (`sk_live_`, `rk_live_`), a Google API key (`AIza…`),
    ///   a JSON Web Token, or a URL with a password in it (`postgres://app:…@db`).
    /// - **Its name says it holds a secret**: it contains `PASSWORD`, `PASSWD`, `SECRET`,
    ///   `TOKEN`, `API_KEY`, `APIKEY`, `PRIVATE_KEY`, `ACCESS_KEY` or `CREDENTIAL`, ignoring
    ///   case and reading `camelCase`, `-` and `.` as `_` (`dbPassword`, `api-key`). Names
    ///   that describe where a secret is rather than the secret itself are left alone: those
    ///   ending in `_FILE`, `_FILENAME`, `_PATH`, `_DIR`, `_URL`, `_URI`, `_NAME`, `_USER`,
    ///   `_USERNAME`, `_ENABLED`, `_TYPE`, `_TTL`, `_TIMEOUT`, `_HOST` or `_PORT`. So are
    ///   values that cannot be a secret: empty, a reference to another variable or a
    ///   template (`$(VAR)`, `${VAR}`, `{{ … }}`), a file path starting with `/`, a boolean
    ///   (`true`, `false`, `yes`, `no`, `on`, `off`) or a number (a port, a length).
    ///
    /// One finding per variable, at its `value`. Findings name the variable and the reason,
    /// never the value.
    ///
    /// ## Why it matters
    /// A credential written into a manifest is in every clone of the repository, every CI
    /// log that prints the rendered YAML, and the object itself, which anyone allowed to
    /// read the Deployment (not only those allowed to read Secrets) can see. It cannot be
    /// rotated without a commit, and it stays in the history after it is removed.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: web
    ///   env:
    ///   - name: DB_PASSWORD
    ///     value: hunter2
    /// ```
    ///
    /// ## Fix
    /// Rotate the credential, since it has been exposed. Then keep it in a Secret (created by
    /// Sealed Secrets, External Secrets, SOPS or your CI, not committed in plain text) and
    /// refer to it:
    /// ```yaml
    ///   env:
    ///   - name: DB_PASSWORD
    ///     valueFrom:
    ///       secretKeyRef: {name: web-db, key: password}
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/configuration/secret/
    /// - https://kubernetes.io/docs/tasks/inject-data-application/distribute-credentials-secure/
    /// - https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html
    pub static SECRET_IN_ENV = {
        id: "SEC001",
        name: "secret-in-env",
        category: Secrets,
        severity: High,
        default_enabled: true,
        applies: Applies::PodBearing,
        pss_level: None,
        summary: "Credentials must not be written as literal environment variable values",
        check: check,
    }
}

const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "PRIVATE_KEY",
    "ACCESS_KEY",
    "CREDENTIAL",
];

/// Name endings that describe where or how a secret is, not the secret.
const NOT_SECRET_SUFFIXES: &[&str] = &[
    "_FILE",
    "_FILENAME",
    "_PATH",
    "_DIR",
    "_URL",
    "_URI",
    "_NAME",
    "_USER",
    "_USERNAME",
    "_ENABLED",
    "_TYPE",
    "_TTL",
    "_TIMEOUT",
    "_HOST",
    "_PORT",
    "_HEADER",
];

/// Name parts that mean a secret on their own: `DB_PASS`, `DB_PWD`.
const SECRET_PARTS: &[&str] = &["PASS", "PWD", "PASSPHRASE"];

/// Parts that, before a final `KEY`, make it a secret key: `SSH_KEY`, `SIGNING_KEY`.
const KEY_KINDS: &[&str] = &[
    "SSH",
    "ENCRYPTION",
    "SIGNING",
    "MASTER",
    "AUTH",
    "SECRET",
    "HMAC",
    "CLIENT",
];

#[cfg(test)]
mod name_tests {
    use super::name_suggests_secret;

    #[test]
    fn common_secret_names_are_recognised() {
        for name in [
            "DB_PASS",
            "REDIS_PASS",
            "DB_PWD",
            "PASSPHRASE",
            "SSH_KEY",
            "ENCRYPTION_KEY",
            "signingKey",
            "MASTER_KEY",
        ] {
            assert!(name_suggests_secret(name), "{name}");
        }
        for name in [
            "API_KEY_HEADER",
            "PASSWORD_FILE",
            "MONKEY",
            "KEY",
            "SORT_KEY",
            "BYPASS_CACHE",
        ] {
            assert!(!name_suggests_secret(name), "{name}");
        }
    }
}

fn check(cx: &mut Cx<'_>) {
    let Some(pod) = &cx.obj.pod else { return };
    for c in &pod.containers {
        let env_path = c.path.key("env");
        let Some(env) = cx.obj.node(&env_path) else {
            continue;
        };
        for (i, var) in env.items().iter().enumerate() {
            let Some(value) = var.get("value").and_then(|v| v.scalar_text()) else {
                continue;
            };
            let name = var
                .get("name")
                .and_then(|n| n.scalar_text())
                .unwrap_or_else(|| format!("env[{i}]"));

            let reason = match credential_shape(&value) {
                Some(what) => format!("to a literal value that looks like {what}"),
                None if name_suggests_secret(&name) && !is_inert(&value) => {
                    "to a literal value, and its name suggests a secret".to_string()
                }
                None => continue,
            };
            cx.report_container(
                c,
                env_path.index(i).key("value"),
                format!("container `{}` sets `{name}` {reason}", c.name),
            );
            cx.case(name);
        }
    }
}

pub(crate) fn name_suggests_secret(name: &str) -> bool {
    let name = normalised_name(name);
    let parts: Vec<&str> = name.split('_').filter(|p| !p.is_empty()).collect();
    let secret_key = matches!(parts.as_slice(), [.., kind, "KEY"] if KEY_KINDS.contains(kind));
    (SECRET_WORDS.iter().any(|w| name.contains(w))
        || parts.iter().any(|p| SECRET_PARTS.contains(p))
        || secret_key)
        && !NOT_SECRET_SUFFIXES.iter().any(|s| name.ends_with(s))
}

/// Uppercase snake case: `dbPassword` → `DB_PASSWORD`, `api-key` → `API_KEY`.
fn normalised_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let mut after_lower = false;
    for ch in name.chars() {
        if matches!(ch, '-' | '.') {
            out.push('_');
            after_lower = false;
            continue;
        }
        if ch.is_ascii_uppercase() && after_lower {
            out.push('_');
        }
        after_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
        out.push(ch.to_ascii_uppercase());
    }
    out
}

/// Values that cannot be a secret, whatever the variable is called.
pub(crate) fn is_inert(value: &str) -> bool {
    let value = value.trim();
    value.is_empty()
        || contains_reference(value)
        || value.starts_with('/')
        || ["true", "false", "yes", "no", "on", "off"]
            .iter()
            .any(|b| value.eq_ignore_ascii_case(b))
        || value.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{paths, run};

    #[test]
    fn flags_secret_names_and_credential_shaped_values() {
        let aws = format!("AKIA{}", "Z7".repeat(8));
        let yaml = format!(
            "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      initContainers:\n      - name: migrate\n        env:\n        - {{name: dbPassword, value: hunter2}}\n      containers:\n      - name: web\n        env:\n        - {{name: LOG_LEVEL, value: debug}}\n        - {{name: UPLOAD_TARGET, value: '{aws}'}}\n        - {{name: DATABASE_URL, value: 'postgres://app:s3cr3t-pw@db:5432/app'}}\n        - {{name: API_TOKEN, valueFrom: {{secretKeyRef: {{name: api, key: token}}}}}}\n      ephemeralContainers:\n      - name: debug\n        env:\n        - {{name: client-secret, value: 'correct horse battery staple'}}\n"
        );
        let v = run(&SECRET_IN_ENV, &yaml);
        let p = "spec.template.spec";
        assert_eq!(
            paths(&v),
            [
                format!("{p}.initContainers[0].env[0].value"),
                format!("{p}.containers[0].env[1].value"),
                format!("{p}.containers[0].env[2].value"),
                format!("{p}.ephemeralContainers[0].env[0].value"),
            ]
        );
        assert_eq!(
            v[0].message,
            "container `migrate` sets `dbPassword` to a literal value, and its name suggests a secret"
        );
        assert_eq!(
            v[1].message,
            "container `web` sets `UPLOAD_TARGET` to a literal value that looks like an AWS access key ID"
        );
        assert!(
            v[2].message.contains("embedded password"),
            "{}",
            v[2].message
        );
        assert_eq!(v[3].container.as_deref(), Some("debug"));

        for value in [aws.as_str(), "hunter2", "s3cr3t-pw", "correct horse"] {
            assert!(
                v.iter().all(|v| !v.message.contains(value)),
                "a message shows `{value}`: {v:?}"
            );
        }
    }

    #[test]
    fn passes_references_locations_and_inert_values() {
        let v = run(
            &SECRET_IN_ENV,
            "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: app\n    env:\n    - {name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: db, key: password}}}\n    - {name: DB_PASSWORD_FILE, value: /run/secrets/db}\n    - {name: SECRET_NAME, value: app-credentials}\n    - {name: vaultTokenPath, value: token}\n    - {name: TOKEN_TTL, value: 1h}\n    - {name: SESSION_SECRET, value: '$(GENERATED_SECRET)'}\n    - {name: ADMIN_PASSWORD, value: ''}\n    - {name: API_KEY_ENABLED, value: 'true'}\n    - {name: SECRET_ROTATION, value: 'off'}\n    - {name: TOKEN_LENGTH, value: '32'}\n    - {name: CREDENTIALS_STORE, value: /var/lib/app/creds}\n    - {name: PUBLIC_URL, value: 'https://app.example.com/login'}\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn names_are_read_in_any_case_style() {
        assert_eq!(normalised_name("dbPassword"), "DB_PASSWORD");
        assert_eq!(normalised_name("client-secret.v2"), "CLIENT_SECRET_V2");
        assert_eq!(normalised_name("OAuth2Token"), "OAUTH2_TOKEN");
        assert!(name_suggests_secret("apiKey"));
        assert!(!name_suggests_secret("passwordFile"));
    }
}
