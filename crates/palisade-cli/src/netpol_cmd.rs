//! `palisade netpol`: the connections the NetworkPolicies among the files allow between
//! workloads, and between workloads and addresses outside the cluster.
//!
//! Three formats: a table (one row per pair with a connection that is allowed or may be), a
//! JSON document (schema in `docs/netpol.md`), and a connection list in the form of np-guard's
//! netpol-analyzer (`ns/name[Kind] => ns/name[Kind] : TCP 8080`), so that the two can be
//! compared line for line. Connections the files do not decide are shown as unknown: in the
//! table's last column, in the JSON's `unknown`, and as lines starting with `? ` in the
//! connection list.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use palisade_engine::load_objects;
use palisade_load::Limits;
use palisade_model::{Object, PodKindTable};
use palisade_rules::netpol::{Assumptions, ConnSet, Matrix, NetpolModel, Protocol};
use serde_json::{Value, json};

use crate::{EXIT_CLEAN, EXIT_ERROR};

#[derive(Args)]
pub struct NetpolArgs {
    /// Files and folders to read (manifests; `-` reads YAML or JSON from standard input).
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = NetpolFormat::Table)]
    format: NetpolFormat,

    /// Write the result to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,

    /// The namespace objects that name none are applied to, as `kubectl apply -n` would
    /// place them. Without it their namespace's name is unknown (shown as `<none>`).
    #[arg(long, short = 'n', value_name = "NAMESPACE")]
    namespace: Option<String>,

    /// Take for granted what the files cannot tell, comma-separated:
    /// `ip-blocks-exclude-pods` (ipBlocks never match pods), `host-network-like-pods`
    /// (policies apply to hostNetwork pods like any other), `namespaces-only-named`
    /// (namespaces without a Namespace object have no label but their name), or `all` (what
    /// np-guard's netpol-analyzer assumes).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "ASSUMPTION")]
    assume: Vec<AssumeArg>,

    /// Teach Palisade where a CRD keeps its pod template: `Kind[.group]=path.to.template`.
    #[arg(long = "pod-kind", value_name = "KIND=PATH")]
    pod_kinds: Vec<String>,

    /// The name standard input is reported under [default: <stdin>].
    #[arg(long, value_name = "NAME")]
    stdin_filename: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum NetpolFormat {
    Table,
    Json,
    Connlist,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum AssumeArg {
    IpBlocksExcludePods,
    HostNetworkLikePods,
    NamespacesOnlyNamed,
    All,
}

pub fn run(args: NetpolArgs) -> u8 {
    let mut pod_kinds = PodKindTable::default();
    for spec in &args.pod_kinds {
        if let Err(e) = pod_kinds.add(spec) {
            return crate::usage_error(format!("--pod-kind: {e}"));
        }
    }
    let (candidates, walk_errors) = palisade_load::discover(&args.paths);
    for e in &walk_errors {
        let level = if e.error { "error" } else { "warning" };
        eprintln!("{level}: {}: {}", e.path.display(), e.message);
    }
    if candidates.is_empty() && walk_errors.is_empty() {
        return crate::usage_error(format!(
            "no YAML or JSON files found in {}",
            args.paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }

    let loaded = load_objects(
        &candidates,
        &pod_kinds,
        &Limits::default(),
        args.stdin_filename.as_deref(),
    );
    crate::eprint_diagnostics(&loaded.diagnostics);
    // A policy in a file that did not load would change the answer: no matrix from part of
    // the input.
    if loaded.has_errors() || walk_errors.iter().any(|e| e.error) {
        eprintln!("error: some input could not be loaded; no connections are listed");
        return EXIT_ERROR;
    }

    let assume = assumptions(&args);
    let objects: Vec<&Object> = loaded.objects.iter().map(|(_, o)| o).collect();
    let model = NetpolModel::from_objects(&objects, &assume);
    let matrix = model.matrix();
    let text = match args.format {
        NetpolFormat::Table => table(&model, &matrix),
        NetpolFormat::Json => {
            let mut text = serde_json::to_string_pretty(&json_document(&model, &matrix, &assume))
                .unwrap_or_default();
            text.push('\n');
            text
        }
        NetpolFormat::Connlist => palisade_report::terminal_safe(connlist(&model, &matrix)),
    };
    let written = match &args.output {
        Some(path) => std::fs::write(path, text.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display())),
        None => std::io::stdout()
            .lock()
            .write_all(text.as_bytes())
            .map_err(|e| format!("cannot write the result: {e}")),
    };
    match written {
        Ok(()) => EXIT_CLEAN,
        Err(e) => crate::usage_error(e),
    }
}

fn assumptions(args: &NetpolArgs) -> Assumptions {
    let all = args.assume.contains(&AssumeArg::All);
    let has = |a: AssumeArg| all || args.assume.contains(&a);
    Assumptions {
        default_namespace: args.namespace.clone(),
        ip_blocks_exclude_pods: has(AssumeArg::IpBlocksExcludePods),
        host_network_like_pods: has(AssumeArg::HostNetworkLikePods),
        namespaces_only_named: has(AssumeArg::NamespacesOnlyNamed),
    }
}

/// One listed pair, named.
struct Row {
    from: String,
    to: String,
    allowed: ConnSet,
    unknown: ConnSet,
}

/// The pairs in the order connection lists sort them: by their text.
fn rows(model: &NetpolModel, matrix: &Matrix) -> Vec<Row> {
    let mut rows: Vec<Row> = matrix
        .connections
        .iter()
        .map(|c| Row {
            from: model.side_name(c.from),
            to: model.side_name(c.to),
            allowed: c.allowed.clone(),
            unknown: c.unknown.clone(),
        })
        .collect();
    rows.sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
    rows
}

fn shown(set: &ConnSet) -> String {
    if set.is_empty() {
        "-".into()
    } else {
        set.to_string()
    }
}

fn table(model: &NetpolModel, matrix: &Matrix) -> String {
    let rows = rows(model, matrix);
    let header = ["FROM", "TO", "ALLOWED", "UNKNOWN"];
    let cells: Vec<[String; 4]> = rows
        .iter()
        .map(|r| {
            // Escaped before the widths are measured, so the columns stay aligned.
            [
                palisade_report::terminal_safe(r.from.clone()),
                palisade_report::terminal_safe(r.to.clone()),
                palisade_report::terminal_safe(shown(&r.allowed)),
                palisade_report::terminal_safe(shown(&r.unknown)),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: [&str; 4]| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(header);
    for row in &cells {
        line([&row[0], &row[1], &row[2], &row[3]]);
    }
    let unknown = rows.iter().filter(|r| !r.unknown.is_empty()).count();
    out.push_str(&format!(
        "\n{} workload(s), {} pair(s) listed, {} with unknown connections; pairs not listed \
         have no connection.\n",
        model.workloads.len(),
        rows.len(),
        unknown
    ));
    out
}

/// np-guard's connection list: `from => to : connections` for what is surely allowed, and
/// `? from => to : connections` for what is unknown.
fn connlist(model: &NetpolModel, matrix: &Matrix) -> String {
    let mut out = String::new();
    for r in rows(model, matrix) {
        if !r.allowed.is_empty() {
            out.push_str(&format!("{} => {} : {}\n", r.from, r.to, r.allowed));
        }
        if !r.unknown.is_empty() {
            out.push_str(&format!("? {} => {} : {}\n", r.from, r.to, r.unknown));
        }
    }
    out
}

fn json_set(set: &ConnSet) -> Value {
    let mut ports = serde_json::Map::new();
    for p in Protocol::ALL {
        let ranges = set.ports(p).ranges();
        if !ranges.is_empty() {
            let list: Vec<Value> = ranges
                .iter()
                .map(|&(a, b)| match a == b {
                    true => json!(a.to_string()),
                    false => json!(format!("{a}-{b}")),
                })
                .collect();
            ports.insert(p.as_str().to_string(), Value::Array(list));
        }
    }
    json!({
        "text": set.to_string(),
        "ports": ports,
    })
}

fn json_document(model: &NetpolModel, matrix: &Matrix, assume: &Assumptions) -> Value {
    let workloads: Vec<Value> = (0..model.workloads.len())
        .map(|w| {
            let workload = &model.workloads[w];
            json!({
                "id": model.side_name(palisade_rules::netpol::Side::Workload(w)),
                "namespace": (!workload.namespace.is_empty()).then_some(&workload.namespace),
                "kind": workload.kind,
                "name": workload.name,
            })
        })
        .collect();
    let ranges = |list: &[palisade_rules::netpol::ip::IpRange]| -> Vec<String> {
        list.iter().map(ToString::to_string).collect()
    };
    let connections: Vec<Value> = rows(model, matrix)
        .iter()
        .map(|r| {
            json!({
                "from": r.from,
                "to": r.to,
                "allowed": json_set(&r.allowed),
                "unknown": json_set(&r.unknown),
            })
        })
        .collect();
    json!({
        "schema_version": 1,
        "tool": {"name": "palisade", "version": env!("CARGO_PKG_VERSION")},
        "assumptions": {
            "namespace": assume.default_namespace,
            "ip_blocks_exclude_pods": assume.ip_blocks_exclude_pods,
            "host_network_like_pods": assume.host_network_like_pods,
            "namespaces_only_named": assume.namespaces_only_named,
        },
        "workloads": workloads,
        "external": {
            "ingress": ranges(&matrix.ingress_ranges),
            "egress": ranges(&matrix.egress_ranges),
        },
        "connections": connections,
    })
}
