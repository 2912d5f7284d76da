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

. bench/lib.sh

"$PALISADE" rules --format json > bench/out/rules.json
all=$(python3 -c '
import json, sys
print(",".join(r["id"] for r in json.load(open(sys.argv[1])) if r["cross_object"]))' bench/out/rules.json)
off=$(python3 -c '
import json, sys
print(",".join(r["id"] for r in json.load(open(sys.argv[1]))
               if r["cross_object"] and not r["default_enabled"]))' bench/out/rules.json)
[ -n "$all" ] || { echo "the catalog names no cross-object rule" >&2; exit 2; }

rows=()
for round in $(seq 1 "$ROUNDS"); do
  rows+=("$round ignored $(bench_run cross-ignored --ignore "$all")")
  rows+=("$round default $(bench_run cross-default)")
  if [ -n "$off" ]; then
    rows+=("$round all $(bench_run cross-all --extend-select "$off")")
  fi
done

{
  echo "Corpus: $CORPUS; binary: $PALISADE; $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "Cross-object rules: $all"
  echo "Of them off by default: ${off:-none}"
  echo
  printf '%s\n' "${rows[@]}" | bench_table "cross-object rules"
} | tee bench/out/cross-object.md
