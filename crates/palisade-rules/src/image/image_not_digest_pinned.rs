use super::judgeable::judgeable;
use crate::declare_rule;
use crate::rule::{Applies, Cx};

declare_rule! {
    /// ## What it checks
    /// Every container (init, regular and ephemeral) names its image by digest:
    /// `@sha256:` followed by 64 lowercase hex digits (or `@sha512:` and 128). A tag may be
    /// written next to the digest for readers; the digest is what gets pulled. A digest of
    /// the wrong length or alphabet pins nothing and the runtime refuses it: IMG001 reports
    /// such a reference as malformed, on by default, and this rule leaves it to IMG001.
    ///
    /// Images that still contain template variables (`$(VAR)`, `${VAR}`, `{{ … }}`) or are
    /// placeholders rather than references (`<image>`, `{IMAGE}`) are skipped, as they
    /// cannot be judged before rendering.
    ///
    /// Off by default: pinning every image by digest needs tooling (Renovate, Dependabot,
    /// `kustomize edit set image`) to keep the digests current, and not every team has it.
    ///
    /// ## Why it matters
    /// A tag is a pointer that the registry owner, or anyone who steals their credentials,
    /// can move. A digest names the exact bytes: the image that ran in staging is the one
    /// that runs in production, and a registry compromise cannot swap it.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: web
    ///   image: registry.example.com/web:1.4.2
    /// ```
    ///
    /// ## Fix
    /// Resolve the tag to its digest (`crane digest registry.example.com/web:1.4.2`, or
    /// `docker buildx imagetools inspect`) and write it after the tag:
    /// ```yaml
    /// containers:
    /// - name: web
    ///   image: registry.example.com/web:1.4.2@sha256:<64 hex digits>
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/containers/images/#image-names
    /// - https://github.com/opencontainers/image-spec/blob/main/descriptor.md#digests
    pub static IMAGE_NOT_DIGEST_PINNED = {
        id: "IMG002",
        name: "image-not-digest-pinned",
        category: Image,
        severity: Low,
        default_enabled: false,
        applies: Applies::PodBearing,
        pss_level: None,
        summary: "Images should be pinned by digest",
        check: check,
    }
}

fn check(cx: &mut Cx<'_>) {
    let Some(pod) = &cx.obj.pod else { return };
    for c in &pod.containers {
        let Some(image) = &c.image else { continue };
        if !judgeable(image) {
            continue;
        }

        // A judgeable reference's digest is well formed (`judgeable` holds it to that).
        if image.digest.is_some() {
            continue;
        }
        let message = format!(
            "container `{}` image `{}` is not pinned by digest",
            c.name,
            image.raw.trim()
        );
        cx.report_container(c, c.path.key("image"), message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{paths, run};

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn flags_tags_without_digests_and_leaves_malformed_digests_to_img001() {
        let v = run(
            &IMAGE_NOT_DIGEST_PINNED,
            "apiVersion: batch/v1\nkind: CronJob\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          initContainers: [{name: init, image: 'busybox:1.36'}]\n          containers: [{name: job, image: 'ghcr.io/org/job@sha256:abcd'}]\n",
        );
        assert_eq!(
            paths(&v),
            ["spec.jobTemplate.spec.template.spec.initContainers[0].image"]
        );
        assert_eq!(
            v[0].message,
            "container `init` image `busybox:1.36` is not pinned by digest"
        );
    }

    #[test]
    fn passes_digest_pinned_and_templated_images() {
        let yaml = format!(
            "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - {{name: a, image: 'nginx:1.27@{DIGEST}'}}\n  - {{name: b, image: 'nginx@{DIGEST}'}}\n  - {{name: c, image: '{{{{ .Values.image }}}}'}}\n"
        );
        let v = run(&IMAGE_NOT_DIGEST_PINNED, &yaml);
        assert!(v.is_empty(), "{v:?}");
    }
}
