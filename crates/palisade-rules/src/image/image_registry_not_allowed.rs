use super::allowed::{allowed_entries, is_allowed};
use super::judgeable::judgeable;
use crate::declare_rule;
use crate::rule::{Applies, Cx};

declare_rule! {
    /// ## What it checks
    /// Every container (init, regular and ephemeral) pulls its image from an allowed
    /// registry, given with `--allowed-registry` (settings `allowed_registries`). With no
    /// allowed registries the rule checks nothing; giving one turns it on.
    ///
    /// An entry is either a registry host, which allows everything on it (`ghcr.io`,
    /// `registry.example.com:5000`), or a registry and path, which allows that repository
    /// and everything below it at a `/` boundary (`ghcr.io/acme` allows `ghcr.io/acme/web`
    /// but not `ghcr.io/acme-evil/web`), or `*.` and a domain, which allows every registry
    /// host below that domain (`*.example.com` allows `eu.registry.example.com`, not
    /// `example.com`). Comparison ignores case and a trailing `/`.
    ///
    /// Images without a registry come from Docker Hub, whose registry is `docker.io`
    /// (`index.docker.io` and the other Docker Hub aliases mean the same). Official images
    /// live under `library/`: `nginx` is `docker.io/library/nginx`, so allow
    /// `docker.io/library` to allow official images only.
    ///
    /// Images that still contain template variables (`$(VAR)`, `${VAR}`, `{{ … }}`) or are
    /// placeholders rather than references (`<image>`, `{IMAGE}`) are skipped, as their
    /// registry cannot be known before rendering.
    ///
    /// ## Why it matters
    /// An image runs with everything the pod has: its service account token, its mounted
    /// Secrets, its network access. Pulling only from registries you control or mirror
    /// means every image went through your scanning, signing and retention, and that a
    /// typo-squatted or hijacked public repository never reaches the cluster.
    ///
    /// ## Example
    /// With `--allowed-registry registry.example.com`:
    /// ```yaml
    /// containers:
    /// - name: web
    ///   image: docker.io/someone/web:1.0
    /// ```
    ///
    /// ## Fix
    /// Mirror or rebuild the image into an allowed registry and reference it there:
    /// ```yaml
    /// containers:
    /// - name: web
    ///   image: registry.example.com/mirror/someone/web:1.0
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/containers/images/
    /// - https://kubernetes.io/docs/concepts/security/security-checklist/#images
    pub static IMAGE_REGISTRY_NOT_ALLOWED = {
        id: "IMG003",
        name: "image-registry-not-allowed",
        category: Image,
        severity: High,
        default_enabled: false,
        applies: Applies::PodBearing,
        pss_level: None,
        summary: "Images should come from an allowed registry",
        check: check,
    }
}

fn check(cx: &mut Cx<'_>) {
    let allowed = allowed_entries(&cx.settings.allowed_registries);
    if allowed.is_empty() {
        return;
    }

    let Some(pod) = &cx.obj.pod else { return };
    for c in &pod.containers {
        let Some(image) = &c.image else { continue };
        if !judgeable(image) || is_allowed(image, &allowed) {
            continue;
        }
        cx.report_container(
            c,
            c.path.key("image"),
            format!(
                "container `{}` image `{}` comes from `{}`, which is not an allowed registry",
                c.name,
                image.raw.trim(),
                image.registry
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;
    use crate::testing::{paths, run, run_with};

    const POD: &str = "apiVersion: v1\nkind: Pod\nspec:\n  initContainers:\n  - {name: init, image: 'busybox:1.36'}\n  containers:\n  - {name: own, image: 'registry.example.com/web:1.0'}\n  - {name: team, image: 'GHCR.io/acme/tools/cli:2'}\n  - {name: lookalike, image: 'ghcr.io/acme-evil/cli:2'}\n  - {name: templated, image: '${REGISTRY}/web:1'}\n";

    fn allowing(entries: &[&str]) -> Settings {
        Settings {
            allowed_registries: entries.iter().map(|e| e.to_string()).collect(),
            ..Settings::default()
        }
    }

    #[test]
    fn flags_images_outside_the_allowed_registries() {
        let v = run_with(
            &IMAGE_REGISTRY_NOT_ALLOWED,
            POD,
            &allowing(&["registry.example.com", "ghcr.io/acme/"]),
        );
        assert_eq!(
            paths(&v),
            ["spec.initContainers[0].image", "spec.containers[2].image"]
        );
        assert_eq!(
            v[0].message,
            "container `init` image `busybox:1.36` comes from `docker.io`, which is not an allowed registry"
        );
        assert_eq!(v[1].container.as_deref(), Some("lookalike"));
    }

    #[test]
    fn passes_allowed_images_and_docker_hub_aliases() {
        let settings = allowing(&["registry.example.com", "ghcr.io", "index.docker.io/library"]);
        assert!(run_with(&IMAGE_REGISTRY_NOT_ALLOWED, POD, &settings).is_empty());
    }

    #[test]
    fn checks_nothing_without_allowed_registries() {
        assert!(run(&IMAGE_REGISTRY_NOT_ALLOWED, POD).is_empty());
    }
}
