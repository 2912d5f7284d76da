use super::judgeable::{judgeable, malformed};
use crate::declare_rule;
use crate::rule::{Applies, Cx};

declare_rule! {
    /// ## What it checks
    /// Every container (init, regular and ephemeral) names its image with a tag other than
    /// `latest`, or with a digest. An image without a tag counts as `latest`, since that is
    /// what the runtime pulls. A digest (`@sha256:…`) pins the image whatever the tag says,
    /// so `nginx:latest@sha256:…` passes.
    ///
    /// Only the tag `latest` is treated as moving. Other tags can move too (`stable`, `3`,
    /// `alpine`), but telling them from release tags would be guesswork; `image-not-digest-pinned`
    /// (IMG002) is the rule for teams that want every image immutable.
    ///
    /// Images that still contain template variables (`$(VAR)`, `${VAR}`, `{{ … }}`) are
    /// skipped, since the tag they end up with cannot be known before rendering, and so are
    /// placeholders that are not image references at all (`<image>`, `{IMAGE}`). Text that
    /// is neither a reference nor a placeholder (`ñginx:latest`, `nginx latest`) is reported
    /// as malformed: no tag can be read from it and no registry serves it.
    ///
    /// ## Why it matters
    /// `latest` is whatever was pushed last. Two nodes can run different code under the
    /// same manifest, a rollback redeploys the new image rather than the old one, and a
    /// compromised or careless push reaches production on the next pod restart. Kubernetes
    /// also defaults `imagePullPolicy` to `Always` for `latest`, so every start depends on
    /// the registry being up.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: web
    ///   image: nginx              # no tag: pulls nginx:latest
    /// - name: sidecar
    ///   image: envoyproxy/envoy:latest
    /// ```
    ///
    /// ## Fix
    /// Name a release tag, or better a digest:
    /// ```yaml
    /// containers:
    /// - name: web
    ///   image: nginx:1.27.3
    /// - name: sidecar
    ///   image: envoyproxy/envoy:v1.31.2@sha256:<digest of that release>
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/containers/images/#image-names
    /// - https://kubernetes.io/docs/concepts/configuration/overview/#container-images
    pub static IMAGE_TAG_NOT_PINNED = {
        id: "IMG001",
        name: "image-tag-not-pinned",
        category: Image,
        severity: Medium,
        default_enabled: true,
        applies: Applies::PodBearing,
        pss_level: None,
        summary: "Images should name a tag other than `latest`, or a digest",
        check: check,
    }
}

fn check(cx: &mut Cx<'_>) {
    let Some(pod) = &cx.obj.pod else { return };
    for c in &pod.containers {
        let Some(image) = &c.image else { continue };
        if malformed(image) {
            cx.report_container(
                c,
                c.path.key("image"),
                format!(
                    "container `{}` image `{}` is not a valid image reference, so no tag or \
                     registry can be judged and the kubelet cannot pull it",
                    c.name,
                    image.raw.trim()
                ),
            );
            continue;
        }
        if !judgeable(image) || image.digest.is_some() {
            continue;
        }

        let message = match image.tag.as_deref() {
            None => format!(
                "container `{}` image `{}` has no tag, so it runs `latest`",
                c.name,
                image.raw.trim()
            ),
            Some("latest") => format!(
                "container `{}` image `{}` uses the moving `latest` tag",
                c.name,
                image.raw.trim()
            ),
            Some(_) => continue,
        };
        cx.report_container(c, c.path.key("image"), message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{paths, run};

    #[test]
    fn reports_text_that_is_not_an_image_reference() {
        let v = run(
            &IMAGE_TAG_NOT_PINNED,
            "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - {name: a, image: 'ñginx:latest'}\n  - {name: b, image: '<image>'}\n",
        );
        assert_eq!(paths(&v), ["spec.containers[0].image"]);
        assert!(
            v[0].message.contains("not a valid image reference"),
            "{}",
            v[0].message
        );
    }

    #[test]
    fn flags_untagged_and_latest_images_in_every_container_kind() {
        let v = run(
            &IMAGE_TAG_NOT_PINNED,
            "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      initContainers:\n      - {name: init, image: busybox}\n      containers:\n      - {name: web, image: 'registry.example.com:5000/team/web:latest'}\n      - {name: ok, image: nginx:1.27.3}\n      ephemeralContainers:\n      - {name: debug, image: localhost:5000/debug}\n",
        );
        assert_eq!(
            paths(&v),
            [
                "spec.template.spec.initContainers[0].image",
                "spec.template.spec.containers[0].image",
                "spec.template.spec.ephemeralContainers[0].image",
            ]
        );
        let names: Vec<_> = v.iter().map(|v| v.container.as_deref().unwrap()).collect();
        assert_eq!(names, ["init", "web", "debug"]);
        assert_eq!(
            v[0].message,
            "container `init` image `busybox` has no tag, so it runs `latest`"
        );
        assert!(v[1].message.contains("`latest` tag"), "{}", v[1].message);
    }

    #[test]
    fn passes_tags_digests_and_templated_images() {
        let v = run(
            &IMAGE_TAG_NOT_PINNED,
            "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - {name: a, image: nginx:1.27.3}\n  - {name: b, image: 'nginx:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'}\n  - {name: c, image: 'nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'}\n  - {name: d, image: '$(REGISTRY)/web'}\n  - {name: e}\n  - {name: f, image: '<image_url>'}\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
