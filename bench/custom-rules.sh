#!/usr/bin/env bash
# What custom rules cost: `palisade scan` on the corpus without custom rules, and with the
# twenty Rego modules and twenty CEL ValidatingAdmissionPolicies of bench/policies/,
# alternating, each run under `/usr/bin/time`.
#
# Usage (from the repository root):
#
#   cargo build --release -p palisade-cli
#   ROUNDS=5 bench/custom-rules.sh
#
# Environment:
#   PALISADE  binary (default target/release/palisade)
#   CORPUS    folder to scan (default ../shared/corpus)
#   ROUNDS    rounds of one run without and one run with (default 5)
#
# Prints a Markdown table of every run and the medians; also writes it to
# bench/out/custom-rules.md.
set -euo pipefail
cd "$(dirname "$0")/.."

PALISADE="${PALISADE:-target/release/palisade}"
CORPUS="${CORPUS:-../shared/corpus}"
ROUNDS="${ROUNDS:-5}"
[ -x "$PALISADE" ] || { echo "no binary at $PALISADE: cargo build --release -p palisade-cli" >&2; exit 2; }
mkdir -p bench/out

# One run: prints "wall user+sys peak_kib findings".
run() {
  local out=bench/out/custom-$1.json
  shift
  /usr/bin/time -f '%e %U %S %M' -o bench/out/custom.time \
    "$PALISADE" scan --format json --output "$out" --fail-on none "$@" "$CORPUS" || [ $? -eq 2 ]
  local findings
  findings=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["findings"])' "$out")
  # time writes "Command exited with non-zero status 2" first when palisade exits 2.
  read -r wall user sys rss < <(tail -n 1 bench/out/custom.time)
  echo "$wall $(python3 -c "print(round($user + $sys, 2))") $rss $findings"
}

rows=()
for round in $(seq 1 "$ROUNDS"); do
  for variant in without with; do
    if [ "$variant" = with ]; then
      r=$(run with --policy bench/policies/rego --policy bench/policies/cel)
    else
      r=$(run without)
    fi
    rows+=("$round $variant $r")
  done
done

{
  echo "Corpus: $CORPUS; binary: $PALISADE; $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "| round | custom rules | wall s | CPU s | peak RSS MiB | findings |"
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
for v in ("without", "with"):
    w, c, m = med[v]
    print(f"median {v}: wall {w:.2f} s, CPU {c:.2f} s, peak RSS {m / 1024:.1f} MiB")
w, o = med["with"], med["without"]
print(f"ratio with/without: wall {w[0] / o[0]:.2f}x, CPU {w[1] / o[1]:.2f}x")
'
} | tee bench/out/custom-rules.md
