use palisade_dockerfile::Body;

use crate::declare_rule;
use crate::rule::{Applies, DockerfileCx};

declare_rule! {
    /// ## What it checks
    /// Every `EXPOSE` entry is a port from 1 to 65535, or a range of such ports (`8000-8010`),
    /// optionally followed by `/tcp`, `/udp` or `/sctp`. Values are judged after argument
    /// substitution; values that depend on unknown arguments are not judged.
    ///
    /// ## Why it matters
    /// The builder rejects some bad values and records others as they are, so the image
    /// documents a port nothing can listen on, and tools that read exposed ports (Compose,
    /// `docker run -P`) fail or misbehave.
    ///
    /// ## Example
    /// ```dockerfile
    /// EXPOSE 80800
    /// ```
    ///
    /// ## Fix
    /// ```dockerfile
    /// EXPOSE 8080
    /// ```
    ///
    /// ## References
    /// - https://docs.docker.com/reference/dockerfile/#expose
    pub static PORT_OUT_OF_RANGE = {
        id: "DKR028",
        name: "port-out-of-range",
        category: Dockerfile,
        severity: Medium,
        default_enabled: true,
        applies: Applies::Dockerfile,
        pss_level: None,
        aliases: ["DL3011"],
        summary: "`EXPOSE` ports should be between 1 and 65535",
        dockerfile_check: check,
    }
}

fn valid(entry: &str) -> bool {
    let (port, proto) = entry.split_once('/').unwrap_or((entry, "tcp"));
    if !["tcp", "udp", "sctp"].contains(&proto.to_ascii_lowercase().as_str()) {
        return false;
    }
    let (lo, hi) = port.split_once('-').unwrap_or((port, port));
    match (lo.parse::<u32>(), hi.parse::<u32>()) {
        (Ok(lo), Ok(hi)) => (1..=65535).contains(&lo) && (1..=65535).contains(&hi) && lo <= hi,
        _ => false,
    }
}

fn check(cx: &mut DockerfileCx<'_>) {
    for ins in &cx.df.instructions {
        let Body::Expose(ports) = &ins.body else {
            continue;
        };
        for w in ports.iter().filter(|w| w.complete && !valid(&w.value)) {
            cx.report_code(
                ins,
                w.span,
                Some("DL3011"),
                format!("`EXPOSE {}` is not a valid port", w.value),
            );
            cx.about(w.value.as_str());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{lines, run_dockerfile};

    #[test]
    fn flags_invalid_ports() {
        let v = run_dockerfile(
            &PORT_OUT_OF_RANGE,
            "FROM a:1\nEXPOSE 0 80800 90-80 53/quic http\n",
        );
        assert_eq!(lines(&v), [(2, 8), (2, 10), (2, 16), (2, 22), (2, 30)]);
    }

    #[test]
    fn passes_valid_ports_and_unknown_values() {
        assert!(
            run_dockerfile(
                &PORT_OUT_OF_RANGE,
                "FROM a:1\nEXPOSE 80 443/tcp 53/UDP 8000-8010 $PORT\n"
            )
            .is_empty()
        );
    }
}
