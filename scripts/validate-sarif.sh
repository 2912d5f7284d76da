#!/usr/bin/env bash
# Validate a SARIF 2.1.0 log file.
#
#   scripts/validate-sarif.sh FILE
#
# Two checks run. FILE is invalid if either one reports an error:
#
#  1. Microsoft's SARIF Multitool, `Sarif.Multitool validate`, from the npm
#     package @microsoft/sarif-multitool-linux. It checks the JSON schema and
#     then the SARIF SDK's own rules (SARIFnnnn). Rule warnings are printed
#     but do not fail the file unless SARIF_STRICT=1.
#     The Multitool exits 0 even when it finds errors; it exits non-zero only
#     when it cannot run at all. So this script asks it for its own SARIF log
#     (--output) and counts the results in that log with level "error".
#  2. Python's jsonschema (Draft 2020-12, which is what the schema declares)
#     against tests/data/sarif-schema-2.1.0.json, the schema file shipped in
#     the same npm package. This pass is needed because Multitool 5.7.0 does
#     not report enum violations on fields such as result.level, result.kind
#     or run.columnKind (e.g. `"level": "severe"` passes it); jsonschema
#     rejects them.
#
# The Multitool resolves the host named in the file's "$schema" URI (a DNS
# lookup only, seen with strace); offline that lookup fails quietly and does
# not change the result. A file without "$schema" gets warning SARIF2008.
#
# Both tools are installed on first use, from the npm registry and PyPI, into
# SARIF_TOOLS_DIR (default: target/sarif-multitool under the repository
# root). Later runs reuse them and need no network.
#
# Exit status: 0 valid, 1 invalid, 2 usage error or a tool that could not run.
set -euo pipefail

MULTITOOL_VERSION=5.7.0   # @microsoft/sarif-multitool-linux
JSONSCHEMA_VERSION=4.26.0 # PyPI jsonschema

usage() {
    echo "usage: $0 FILE" >&2
    exit 2
}
[[ $# -eq 1 ]] || usage
case "$1" in -h | --help) usage ;; esac

file=$1
if [[ ! -f $file ]]; then
    echo "validate-sarif: no such file: $file" >&2
    exit 2
fi
file_abs=$(cd "$(dirname "$file")" && pwd)/$(basename "$file")

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
schema=$repo_root/tests/data/sarif-schema-2.1.0.json
tools_dir=${SARIF_TOOLS_DIR:-$repo_root/target/sarif-multitool}
mt_dir=$tools_dir/multitool-$MULTITOOL_VERSION
multitool=$mt_dir/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool
venv=$tools_dir/venv

if [[ ! -f $schema ]]; then
    echo "validate-sarif: schema not found: $schema" >&2
    exit 2
fi

mkdir -p "$tools_dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- install the Multitool (once) -------------------------------------------
# npm installs into a scratch folder that is then moved into place, so an
# interrupted or concurrent install never leaves a half-filled folder behind.
if [[ ! -x $multitool ]]; then
    echo "validate-sarif: installing @microsoft/sarif-multitool-linux@$MULTITOOL_VERSION into $mt_dir" >&2
    staging=$(mktemp -d "$tools_dir/.multitool.XXXXXX")
    if ! npm install --prefix "$staging" --no-save --no-audit --no-fund \
        --loglevel=error "@microsoft/sarif-multitool-linux@$MULTITOOL_VERSION" >&2; then
        rm -rf "$staging"
        echo "validate-sarif: npm install failed" >&2
        exit 2
    fi
    # The package's postinstall makes the binary executable; make sure anyway.
    chmod u+x "$staging/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"
    if ! mv -T "$staging" "$mt_dir" 2>/dev/null; then
        rm -rf "$staging" # another run got there first
    fi
fi

# --- install jsonschema in its own virtualenv (once) ------------------------
if ! "$venv/bin/python" -c 'import jsonschema' 2>/dev/null; then
    echo "validate-sarif: installing jsonschema==$JSONSCHEMA_VERSION into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
        "jsonschema==$JSONSCHEMA_VERSION" >&2
fi

status=0

# --- pass 1: Sarif.Multitool validate ---------------------------------------
# The Multitool is a self-contained .NET program. Invariant globalization
# mode removes its need for libicu.
export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
export DOTNET_CLI_TELEMETRY_OPTOUT=1
mt_log=$work/multitool.sarif
set +e
# The target goes first: list-valued options such as --log would swallow it.
"$multitool" validate "$file_abs" --json-schema "$schema" --output "$mt_log" \
    >"$work/multitool.out" 2>&1
mt_rc=$?
set -e

# Print the Multitool's findings ("FILE(line,col): error CODE: message").
grep -E ': (error|warning|note) ' "$work/multitool.out" >&2 || true

set +e
"$venv/bin/python" - "$mt_log" "$mt_rc" "${SARIF_STRICT:-0}" <<'PY'
import json, sys

log_path, rc, strict = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
try:
    with open(log_path, encoding="utf-8-sig") as f:
        run = json.load(f)["runs"][0]
except (OSError, ValueError, KeyError, IndexError) as e:
    print(f"validate-sarif: Multitool wrote no readable log (exit {rc}): {e}", file=sys.stderr)
    sys.exit(2)

inv = (run.get("invocations") or [{}])[0]
tool_errors = [
    n for n in inv.get("toolConfigurationNotifications", []) + inv.get("toolExecutionNotifications", [])
    if n.get("level", "warning") == "error"
]
if rc != 0 or not inv.get("executionSuccessful", True) or tool_errors:
    for n in tool_errors:
        print(f"validate-sarif: Multitool: {n.get('descriptor', {}).get('id', '?')}: "
              f"{n.get('message', {}).get('text', '')}", file=sys.stderr)
    print(f"validate-sarif: Multitool did not complete (exit {rc})", file=sys.stderr)
    sys.exit(2)

counts = {}
for r in run.get("results", []):
    level = r.get("level", "warning")
    counts[level] = counts.get(level, 0) + 1
errors, warnings = counts.get("error", 0), counts.get("warning", 0)
print(f"validate-sarif: Multitool: {errors} error(s), {warnings} warning(s), "
      f"{counts.get('note', 0)} note(s)", file=sys.stderr)
sys.exit(1 if errors or (strict and warnings) else 0)
PY
rc=$?
set -e
if ((rc > status)); then status=$rc; fi

# --- pass 2: jsonschema against the schema file -----------------------------
set +e
"$venv/bin/python" - "$file_abs" "$schema" <<'PY'
import json, sys
import jsonschema

doc_path, schema_path = sys.argv[1], sys.argv[2]
with open(schema_path, encoding="utf-8") as f:
    schema = json.load(f)
try:
    with open(doc_path, encoding="utf-8-sig") as f:
        doc = json.load(f)
except ValueError as e:
    print(f"{doc_path}: error: not valid JSON: {e}", file=sys.stderr)
    print("validate-sarif: jsonschema: 1 error(s)", file=sys.stderr)
    sys.exit(1)

validator = jsonschema.Draft202012Validator(schema)
errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
for e in errors:
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e.absolute_path) or "(root)"
    print(f"{doc_path}: error: {path}: {e.message}", file=sys.stderr)
print(f"validate-sarif: jsonschema: {len(errors)} error(s)", file=sys.stderr)
sys.exit(1 if errors else 0)
PY
rc=$?
set -e
if ((rc > status)); then status=$rc; fi

if [[ $status -eq 0 ]]; then
    echo "validate-sarif: $file: valid"
elif [[ $status -eq 1 ]]; then
    echo "validate-sarif: $file: INVALID" >&2
fi
exit "$status"
