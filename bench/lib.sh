# Shared by bench/custom-rules.sh and bench/cross-object.sh: their settings, one timed
# corpus scan, and the table of runs with medians and ratios. Source it from the
# repository root.

PALISADE="${PALISADE:-target/release/palisade}"
CORPUS="${CORPUS:-../shared/corpus}"
ROUNDS="${ROUNDS:-5}"
[ -x "$PALISADE" ] || { echo "no binary at $PALISADE: cargo build --release -p palisade-cli" >&2; exit 2; }
mkdir -p bench/out

# One run of `palisade scan` on the corpus with the given extra flags, under /usr/bin/time.
# $1 names the run's report (bench/out/$1.json). Prints "wall user+sys peak_kib findings".
bench_run() {
  local out=bench/out/$1.json
  shift
  /usr/bin/time -f '%e %U %S %M' -o bench/out/run.time \
    "$PALISADE" scan --format json --output "$out" --fail-on none "$@" "$CORPUS" || [ $? -eq 2 ]
  local findings
  findings=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["findings"])' "$out")
  # time writes "Command exited with non-zero status 2" first when palisade exits 2.
  read -r wall user sys rss < <(tail -n 1 bench/out/run.time)
  echo "$wall $(python3 -c "print(round($user + $sys, 2))") $rss $findings"
}

# Reads rows "round variant wall cpu peak_kib findings" on standard input and prints them as
# a Markdown table headed by $1 (what the variants vary), then the median of each variant in
# the order first met, and each variant's ratio to the first one.
bench_table() {
  python3 -c '
import statistics, sys
label = sys.argv[1]
rows = [line.split() for line in sys.stdin if line.strip()]
print(f"| round | {label} | wall s | CPU s | peak RSS MiB | findings |")
print("|---:|---|---:|---:|---:|---:|")
runs = {}
for rnd, variant, wall, cpu, rss, findings in rows:
    print(f"| {rnd} | {variant} | {wall} | {cpu} | {int(rss) / 1024:.1f} | {findings} |")
    runs.setdefault(variant, []).append((float(wall), float(cpu), int(rss)))
print()
med = {v: [statistics.median(x[i] for x in r) for i in range(3)] for v, r in runs.items()}
for v, (w, c, m) in med.items():
    print(f"median {v}: wall {w:.2f} s, CPU {c:.2f} s, peak RSS {m / 1024:.1f} MiB")
base_name = next(iter(med))
base = med[base_name]
for v, m in list(med.items())[1:]:
    print(f"ratio {v}/{base_name}: wall {m[0] / base[0]:.2f}x, CPU {m[1] / base[1]:.2f}x")
' "$1"
}
