#!/usr/bin/env bash
# What cross-object analysis costs: `palisade scan` on the corpus with every cross-object rule
# ignored, with the default ones (as a user runs it), and with every cross-object rule on
# (the default ones plus those off by default), alternating, each run under `/usr/bin/time`.
# The list of cross-object rules comes from the binary's own catalog (`rules --format json`,
# field `cross_object`), so it follows the catalog as rules are added.
#
# Usage (from the repository root):
#
#   cargo build --release -p palisade-cli
#   ROUNDS=5 bench/cross-object.sh
#
# Environment:
#   PALISADE  binary (default target/release/palisade)
#   CORPUS    folder to scan (default ../shared/corpus)
#   ROUNDS    rounds of one run of each variant (default 5)
#
# Prints a Markdown table of every run and the medians; also writes it to
# bench/out/cross-object.md.
set -euo pipefail
cd "$(dirname "$0")/.."

PALISADE="${PALISADE:-target/release/palisade}"
CORPUS="${CORPUS:-../shared/corpus}"
ROUNDS="${ROUNDS:-5}"
[ -x "$PALISADE" ] || { echo "no binary at $PALISADE: cargo build --release -p palisade-cli" >&2; exit 2; }
mkdir -p bench/out

"$PALISADE" rules --format json > bench/out/rules.json
all=$(python3 -c '
import json, sys
print(",".join(r["id"] for r in json.load(open(sys.argv[1])) if r["cross_object"]))' bench/out/rules.json)
off=$(python3 -c '
import json, sys
print(",".join(r["id"] for r in json.load(open(sys.argv[1]))
               if r["cross_object"] and not r["default_enabled"]))' bench/out/rules.json)
[ -n "$all" ] || { echo "the catalog names no cross-object rule" >&2; exit 2; }

# One run: prints "wall user+sys peak_kib findings".
run() {
  local out=bench/out/cross-$1.json
  shift
  /usr/bin/time -f '%e %U %S %M' -o bench/out/cross.time \
    "$PALISADE" scan --format json --output "$out" --fail-on none "$@" "$CORPUS" || [ $? -eq 2 ]
  local findings
  findings=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["findings"])' "$out")
  # time writes "Command exited with non-zero status 2" first when palisade exits 2.
  read -r wall user sys rss < <(tail -n 1 bench/out/cross.time)
  echo "$wall $(python3 -c "print(round($user + $sys, 2))") $rss $findings"
}

rows=()
for round in $(seq 1 "$ROUNDS"); do
  rows+=("$round ignored $(run ignored --ignore "$all")")
  rows+=("$round default $(run default)")
  if [ -n "$off" ]; then
    rows+=("$round all $(run all --extend-select "$off")")
  fi
done

{
  echo "Corpus: $CORPUS; binary: $PALISADE; $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "Cross-object rules: $all"
  echo "Of them off by default: ${off:-none}"
  echo
  echo "| round | cross-object rules | wall s | CPU s | peak RSS MiB | findings |"
  echo "|---:|---|---:|---:|---:|---:|"
  for row in "${rows[@]}"; do
    read -r round variant wall cpu rss findings <<< "$row"
    echo "| $round | $variant | $wall | $cpu | $(python3 -c "print(round($rss / 1024, 1))") | $findings |"
  done
  echo
  printf '%s\n' "${rows[@]}" | python3 -c '
import statistics, sys
runs = {}
for line in sys.stdin:
    _, variant, wall, cpu, rss, findings = line.split()
    runs.setdefault(variant, []).append((float(wall), float(cpu), int(rss)))
med = {v: [statistics.median(x[i] for x in r) for i in range(3)] for v, r in runs.items()}
for v in ("ignored", "default", "all"):
    if v in med:
        w, c, m = med[v]
        print(f"median {v}: wall {w:.2f} s, CPU {c:.2f} s, peak RSS {m / 1024:.1f} MiB")
base = med["ignored"]
for v in ("default", "all"):
    if v in med:
        print(f"ratio {v}/ignored: wall {med[v][0] / base[0]:.2f}x, CPU {med[v][1] / base[1]:.2f}x")
'
} | tee bench/out/cross-object.md
