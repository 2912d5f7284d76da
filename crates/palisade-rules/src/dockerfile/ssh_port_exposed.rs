use palisade_dockerfile::Body;

use crate::declare_rule;
use crate::rule::{Applies, DockerfileCx};

declare_rule! {
    /// ## What it checks
    /// No `EXPOSE` lists port 22 (SSH), alone (`22`, `22/tcp`) or inside a range
    /// (`20-25`). Ports given through arguments are judged on their values.
    ///
    /// ## Why it matters
    /// An SSH server in a container is a second way in, with its own keys and passwords to
    /// manage and leak. `kubectl exec` and `docker exec` give shell access when it is needed,
    /// under the platform's authentication and audit.
    ///
    /// ## Example
    /// ```dockerfile
    /// EXPOSE 22 8080
    /// ```
    ///
    /// ## Fix
    /// ```dockerfile
    /// EXPOSE 8080
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/tasks/debug/debug-application/get-shell-running-container/
    pub static SSH_PORT_EXPOSED = {
        id: "DKR012",
        name: "ssh-port-exposed",
        category: Dockerfile,
        severity: Medium,
        default_enabled: true,
        applies: Applies::Dockerfile,
        pss_level: None,
        summary: "Images should not expose the SSH port",
        dockerfile_check: check,
    }
}

fn check(cx: &mut DockerfileCx<'_>) {
    for ins in &cx.df.instructions {
        let Body::Expose(ports) = &ins.body else {
            continue;
        };
        for w in ports.iter().filter(|w| w.complete) {
            let port = w.value.split('/').next().unwrap_or("");
            let (lo, hi) = port.split_once('-').unwrap_or((port, port));
            if let (Ok(lo), Ok(hi)) = (lo.parse::<u32>(), hi.parse::<u32>())
                && (lo..=hi).contains(&22)
            {
                cx.report(
                    ins,
                    w.span,
                    format!("`EXPOSE {}` exposes the SSH port", w.value),
                );
                cx.about(w.value.as_str());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{lines, run_dockerfile};

    #[test]
    fn flags_port_22() {
        let v = run_dockerfile(
            &SSH_PORT_EXPOSED,
            "FROM a:1\nARG P=22\nEXPOSE 8080 ${P}/tcp 20-25\n",
        );
        assert_eq!(lines(&v), [(3, 13), (3, 22)]);
    }

    #[test]
    fn passes_other_ports() {
        assert!(run_dockerfile(&SSH_PORT_EXPOSED, "FROM a:1\nEXPOSE 2222 80/udp\n").is_empty());
    }
}
