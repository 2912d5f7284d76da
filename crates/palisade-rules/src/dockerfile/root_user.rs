use palisade_dockerfile::{Base, Body, Keyword};

use super::stages::{final_lineage, last_in_lineage};
use crate::declare_rule;
use crate::rule::{Applies, DockerfileCx};

declare_rule! {
    /// ## What it checks
    /// The image the file builds (its final stage) runs as a user other than root. The user is
    /// the last `USER` of the final stage, or of the stage it is built `FROM` when the final
    /// stage sets none, as the image configuration records it; `USER root`, `USER 0` and
    /// `USER root:…` are root. A final stage with no `USER` anywhere in its lineage counts as
    /// root too, since most base images run as root; the finding then points at the final
    /// `CMD` or `ENTRYPOINT` (or the `FROM` when there is none).
    ///
    /// A `USER` whose value depends on an argument that is not known is not judged. Base
    /// images whose tag says they run as non-root (`gcr.io/distroless/static:nonroot`) pass
    /// without a `USER`. Windows stages are not checked: their accounts
    /// (`ContainerAdministrator`, `ContainerUser`) are not POSIX users.
    ///
    /// ## Why it matters
    /// A process running as root inside a container is root on every file the container can
    /// reach, and one kernel or runtime escape away from root on the node. Kubernetes' Pod
    /// Security Standards (restricted) reject pods that may run as root, so an image that needs
    /// root also cannot run in a hardened namespace.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM node:22-slim
    /// COPY . /app
    /// CMD ["node", "/app/server.js"]
    /// ```
    ///
    /// ## Fix
    /// Switch to an unprivileged user (by number, so `runAsNonRoot` can verify it) before the
    /// command:
    /// ```dockerfile
    /// FROM node:22-slim
    /// COPY --chown=1000:1000 . /app
    /// USER 1000:1000
    /// CMD ["node", "/app/server.js"]
    /// ```
    ///
    /// ## References
    /// - https://docs.docker.com/reference/dockerfile/#user
    /// - https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
    pub static ROOT_USER = {
        id: "DKR005",
        name: "root-user",
        category: Dockerfile,
        severity: High,
        default_enabled: true,
        applies: Applies::Dockerfile,
        pss_level: None,
        aliases: ["DL3002"],
        summary: "The final stage should run as a non-root `USER`",
        dockerfile_check: check,
    }
}

fn check(cx: &mut DockerfileCx<'_>) {
    let df = cx.df;
    let lineage = final_lineage(df);
    let Some(last) = lineage.first() else { return };
    if lineage.iter().any(|s| s.windows) {
        return;
    }

    if let Some(user) = last_in_lineage(df, |i| i.keyword == Keyword::User) {
        let Body::User(word) = &user.body else { return };
        if !word.complete {
            return;
        }
        let name = word.value.split(':').next().unwrap_or("").trim();
        if name == "root" || name == "0" {
            cx.report_code(
                user,
                word.span,
                Some("DL3002"),
                if name == "root" {
                    format!("the image runs as `{}`", word.value)
                } else {
                    format!("the image runs as `{}`, which is root", word.value)
                },
            );
            cx.about(word.value.as_str());
        }
        return;
    }

    // No USER at all: judge the base of the lineage.
    let root = lineage.last().copied().unwrap_or(last);
    if let Base::Image(image) = &root.base
        && image.tag.as_deref().is_some_and(|t| t.contains("nonroot"))
    {
        return;
    }
    let command = last_in_lineage(df, |i| {
        matches!(i.keyword, Keyword::Cmd | Keyword::Entrypoint)
    });
    let Some(anchor) = command.or_else(|| df.from_of(last)) else {
        return;
    };
    cx.report(
        anchor,
        anchor.keyword_span,
        format!(
            "no `USER` in {}: the image runs as root unless its base image sets a user",
            last.label()
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{lines, run_dockerfile};

    #[test]
    fn flags_root_and_missing_users() {
        let v = run_dockerfile(
            &ROOT_USER,
            "FROM a:1\nUSER app\nUSER root:root\nCMD [\"x\"]\n",
        );
        assert_eq!(lines(&v), [(3, 6)]);
        let v = run_dockerfile(
            &ROOT_USER,
            "FROM a:1 AS build\nUSER 1000\nFROM b:1\nCMD x\n",
        );
        assert_eq!(lines(&v), [(4, 1)]);
        assert!(
            v[0].message.contains("no `USER` in stage 1"),
            "{}",
            v[0].message
        );
        let v = run_dockerfile(&ROOT_USER, "FROM b:1\n");
        assert_eq!(lines(&v), [(1, 1)]);
    }

    #[test]
    fn passes_non_root_users_inherited_users_and_nonroot_bases() {
        for file in [
            "FROM a:1\nUSER 0\nRUN x\nUSER 10001\nCMD x\n",
            "FROM a:1 AS base\nUSER app\nFROM base\nCMD x\n",
            "FROM gcr.io/distroless/static:nonroot\nCMD [\"/app\"]\n",
            "ARG U\nFROM a:1\nARG U\nUSER $U\n",
            "FROM mcr.microsoft.com/windows/servercore:ltsc2022\nCMD x\n",
        ] {
            assert!(run_dockerfile(&ROOT_USER, file).is_empty(), "{file}");
        }
    }
}
