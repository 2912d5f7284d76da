use super::commands::{invocation, scripts};
use crate::declare_rule;
use crate::rule::{Applies, DockerfileCx};
use crate::secrets::value_shapes::credential_shape;

declare_rule! {
    /// ## What it checks
    /// No `RUN` logs in to a registry or passes a literal credential:
    ///
    /// * a registry login: `docker login`, `podman login`, `buildah login`, `skopeo login`,
    ///   `nerdctl login`, `oras login`, `helm registry login`, `crane auth login`, whether the
    ///   password is on the command line or piped in with `--password-stdin`;
    /// * a literal password for `curl`/`wget` (`-u user:password`, `--password=…`), or an
    ///   `Authorization:` header written out rather than taken from a variable;
    /// * a literal value for a variable whose name says it is a secret (`PGPASSWORD=…` before a
    ///   command, `export API_TOKEN=…`), and a literal password option of a database client or
    ///   `sshpass` (`mysql -p…`, `--password=…`, `sshpass -p …`);
    /// * any argument with the shape of a credential (a private key, an AWS access key ID, a
    ///   GitHub, Slack or Stripe token, a Google API key, a JSON Web Token, a URL with a
    ///   password).
    ///
    /// One finding per command. Values are never printed.
    ///
    /// ## Why it matters
    /// The text of every `RUN` is stored in the image history, and a login writes the registry
    /// token to `~/.docker/config.json` in a layer. Anyone who can pull the image, or read the
    /// build cache, gets the credential.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN docker login -u ci -p "$REGISTRY_PASSWORD" registry.example.com
    /// RUN curl -u deploy:hunter2 -O https://repo.example.com/app.tar.gz
    /// ```
    ///
    /// ## Fix
    /// Log in outside the build (the builder uses the host's credentials for `FROM`), and give
    /// a step that needs a secret a BuildKit secret mount:
    /// ```dockerfile
    /// RUN --mount=type=secret,id=netrc,target=/root/.netrc \
    ///     curl --netrc -O https://repo.example.com/app.tar.gz
    /// ```
    ///
    /// ## References
    /// - https://docs.docker.com/build/building/secrets/
    pub static CREDENTIALS_IN_RUN = {
        id: "DKR008",
        name: "credentials-in-run",
        category: Dockerfile,
        severity: High,
        default_enabled: true,
        applies: Applies::Dockerfile,
        pss_level: None,
        summary: "`RUN` must not log in to registries or carry literal credentials",
        dockerfile_check: check,
    }
}

const LOGIN_TOOLS: &[&str] = &["docker", "podman", "buildah", "skopeo", "nerdctl", "oras"];

fn check(cx: &mut DockerfileCx<'_>) {
    for (ins, _, script) in scripts(cx.df) {
        for cmd in &script.commands {
            let inv = invocation(cmd);
            let args: Vec<&str> = inv.args.iter().map(|a| a.value.as_str()).collect();
            let login = (LOGIN_TOOLS.contains(&inv.program) && args.first() == Some(&"login"))
                || (inv.program == "helm" && args.starts_with(&["registry", "login"]))
                || (inv.program == "crane" && args.starts_with(&["auth", "login"]));
            if login {
                cx.report(
                    ins,
                    inv.name.span,
                    format!("`{} login` runs during the build and stores a registry credential in a layer", inv.program),
                );
                cx.about(format!("{} login", inv.program));
                continue;
            }
            if let Some((word, name)) = secret_assignment(cmd) {
                cx.report(
                    ins,
                    word.span,
                    format!("`{name}` is set to a literal value in a `RUN`"),
                );
                cx.about(format!("{name}="));
                continue;
            }
            if let Some((word, option)) = literal_password_option(&inv) {
                cx.report(
                    ins,
                    word.span,
                    format!("`{}` is given a literal password", inv.program),
                );
                cx.about(format!("{} {option}", inv.program));
                continue;
            }
            if let Some((word, option, why)) = literal_credential(&inv) {
                cx.report(ins, word.span, format!("`{}` is given {why}", inv.program));
                // The option, never its value.
                cx.about(format!("{} {option}", inv.program));
                continue;
            }
            if let Some((word, what)) = inv
                .args
                .iter()
                .find_map(|a| credential_shape(&a.value).map(|what| (a, what)))
            {
                cx.report(
                    ins,
                    word.span,
                    format!("an argument of `{}` looks like {what}", inv.program),
                );
                cx.about(format!("{}: {what}", inv.program));
            }
        }
    }
}

/// A value written out, not taken from a variable.
fn is_literal(v: &str) -> bool {
    !v.is_empty() && !v.contains('$')
}

/// A `NAME=value` with a literal value and a secret-looking name, before a command or as an
/// argument of `export` and its kin: the word of the value and the name.
fn secret_assignment(
    cmd: &palisade_dockerfile::shell::Command,
) -> Option<(&palisade_dockerfile::shell::ShellWord, String)> {
    let assigned = cmd.assignments.iter().map(|(n, w)| (n.clone(), w));
    let exported = matches!(
        cmd.program(),
        "export" | "declare" | "typeset" | "readonly" | "local" | "env"
    )
    .then(|| {
        cmd.args.iter().filter_map(|a| {
            let (name, _) = a.value.split_once('=')?;
            Some((name.to_string(), a))
        })
    })
    .into_iter()
    .flatten();
    assigned
        .chain(exported)
        .find(|(name, word)| {
            let value = word
                .value
                .split_once('=')
                .filter(|(n, _)| n == name)
                .map_or(word.value.as_str(), |(_, v)| v);
            crate::secrets::secret_in_env::name_suggests_secret(name) && is_literal(value)
        })
        .map(|(name, word)| (word, name))
}

/// A literal password option of a database client or of `sshpass`: the word that holds it and
/// the option.
fn literal_password_option<'a>(
    inv: &super::commands::Invocation<'a>,
) -> Option<(&'a palisade_dockerfile::shell::ShellWord, &'static str)> {
    let database = matches!(
        inv.program,
        "mysql" | "mysqladmin" | "mysqldump" | "mariadb" | "mariadb-dump"
    );
    if !database && inv.program != "sshpass" {
        return None;
    }
    for (i, a) in inv.args.iter().enumerate() {
        let v = a.value.as_str();
        if let Some(p) = v.strip_prefix("--password=")
            && is_literal(p)
        {
            return Some((a, "--password"));
        }
        // `mysql -pSECRET` (attached; a bare `-p` prompts), `sshpass -p SECRET` or `-pSECRET`.
        if let Some(p) = v.strip_prefix("-p") {
            if is_literal(p) {
                return Some((a, "-p"));
            }
            if p.is_empty()
                && inv.program == "sshpass"
                && let Some(next) = inv.args.get(i + 1)
                && is_literal(&next.value)
            {
                return Some((next, "-p"));
            }
        }
    }
    None
}

/// A literal password or authorisation header for a download tool: the word that holds it,
/// the option that gives it, and what it is.
fn literal_credential<'a>(
    inv: &super::commands::Invocation<'a>,
) -> Option<(
    &'a palisade_dockerfile::shell::ShellWord,
    &'static str,
    &'static str,
)> {
    if !matches!(inv.program, "curl" | "wget") {
        return None;
    }
    for (i, a) in inv.args.iter().enumerate() {
        let v = a.value.as_str();
        let next = inv.args.get(i + 1);
        let (user_option, user_pass) = match v {
            "-u" => ("-u", next.map(|n| n.value.as_str())),
            "--user" => ("--user", next.map(|n| n.value.as_str())),
            _ => ("--user", v.strip_prefix("--user=")),
        };
        if let Some(up) = user_pass
            && up.split_once(':').is_some_and(|(_, p)| is_literal(p))
        {
            return Some((
                next.filter(|_| !v.contains('=')).unwrap_or(a),
                user_option,
                "a literal password",
            ));
        }
        for option in ["--password", "--http-password"] {
            if let Some(p) = v.strip_prefix(option).and_then(|r| r.strip_prefix('='))
                && is_literal(p)
            {
                return Some((a, option, "a literal password"));
            }
        }
        let (header_option, header) = match v {
            "-H" => ("-H", next.map(|n| n.value.as_str())),
            "--header" => ("--header", next.map(|n| n.value.as_str())),
            _ => ("--header", v.strip_prefix("--header=")),
        };
        if let Some(h) = header
            && h.to_ascii_lowercase().starts_with("authorization:")
            && is_literal(h.split_once(':').map_or("", |(_, rest)| rest.trim()))
        {
            return Some((
                next.filter(|_| !v.contains('=')).unwrap_or(a),
                header_option,
                "a literal `Authorization` header",
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{lines, run_dockerfile};

    #[test]
    fn flags_logins_literal_passwords_and_tokens() {
        let token = format!("ghp_{}", "a1".repeat(18));
        let v = run_dockerfile(
            &CREDENTIALS_IN_RUN,
            &format!(
                "FROM a:1\nRUN echo \"$P\" | docker login --password-stdin r.io\n\
                 RUN curl -u me:hunter2 https://x.io/f\n\
                 RUN git clone https://{token}@github.com/a/b\n\
                 RUN curl -H 'Authorization: Bearer abc' https://x.io\n"
            ),
        );
        assert_eq!(lines(&v), [(2, 17), (3, 13), (4, 15), (5, 13)]);
        assert!(
            v.iter()
                .all(|v| !v.message.contains("hunter2") && !v.message.contains(&token))
        );
        // What identifies each finding names the tool and option, never the credential.
        let subjects: Vec<&str> = v.iter().map(|v| v.subject.as_str()).collect();
        assert_eq!(
            subjects,
            ["docker login", "curl -u", "git: a GitHub token", "curl -H"]
        );
    }

    #[test]
    fn flags_secret_variables_and_password_options() {
        let v = run_dockerfile(
            &CREDENTIALS_IN_RUN,
            "FROM a:1\nRUN PGPASSWORD=s3cret psql -h db -c 'select 1'\n\
             RUN export API_TOKEN=abc123 && make\n\
             RUN mysql -uroot -pHunter2 -e 'select 1'\n\
             RUN sshpass -p Hunter3 ssh host true\n",
        );
        assert_eq!(lines(&v).len(), 4, "{v:?}");
        assert!(v.iter().all(|v| !v.message.contains("s3cret")
            && !v.message.contains("abc123")
            && !v.message.contains("Hunter")));
        let subjects: Vec<&str> = v.iter().map(|v| v.subject.as_str()).collect();
        assert_eq!(
            subjects,
            ["PGPASSWORD=", "API_TOKEN=", "mysql -p", "sshpass -p"]
        );
    }

    #[test]
    fn passes_variables_and_secret_mounts() {
        let v = run_dockerfile(
            &CREDENTIALS_IN_RUN,
            "FROM a:1\nRUN --mount=type=secret,id=t curl -u \"me:$(cat /run/secrets/t)\" -H \"Authorization: Bearer $TOKEN\" https://x.io\nRUN docker build .\n\
             RUN PGPASSWORD=\"$(cat /run/secrets/pg)\" psql -c 1 && export TOKEN_FILE=/run/t DEBUG=1\n\
             RUN mysql -p -e 'select 1' && make -p\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
