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

. bench/lib.sh

rows=()
for round in $(seq 1 "$ROUNDS"); do
  for variant in without with; do
    if [ "$variant" = with ]; then
      r=$(bench_run custom-with --policy bench/policies/rego --policy bench/policies/cel)
    else
      r=$(bench_run custom-without)
    fi
    rows+=("$round $variant $r")
  done
done

{
  echo "Corpus: $CORPUS; binary: $PALISADE; $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  printf '%s\n' "${rows[@]}" | bench_table "custom rules"
} | tee bench/out/custom-rules.md
