#!/usr/bin/env bash
# Load benchmark of `palisade serve` on loopback with a real HTTP load generator (wrk).
#
#   apt-get install -y wrk          # Debian's wrk speaks HTTPS
#   bench/serve.sh                  # builds the release binary if needed
#
# Starts the webhook on 127.0.0.1 with a fresh certificate and a configuration that
# enforces, audits and warns at `restricted` (Palisade's other rules in warn mode), then
# sends the same AdmissionReview over kept-alive TLS connections for DURATION per case:
#
#   pod         a compliant Pod as the API server sends it (managedFields, the injected
#               token volume): allowed
#   deployment  a typical Deployment without a securityContext: allowed with warnings
#
# Environment: DURATION (20s), CONNECTIONS (32), WRK_THREADS (1), SERVER_THREADS (0 = one
# per core), PORT (18443), PALISADE_BIN (target/release/palisade).
# Prints wrk's report per case; the figures in BENCHMARKS-serve.md come from it.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-32}
WRK_THREADS=${WRK_THREADS:-1}
SERVER_THREADS=${SERVER_THREADS:-0}
PORT=${PORT:-18443}
BIN=${PALISADE_BIN:-target/release/palisade}

command -v wrk >/dev/null || { echo "wrk not found: apt-get install -y wrk" >&2; exit 1; }
[ -x "$BIN" ] || cargo build --release --locked -p palisade-cli

work=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ]; then kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# utime + stime of a process, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

"$BIN" certs --out "$work/certs" 2>/dev/null
cat > "$work/palisade.yaml" <<'YAML'
serve:
  defaults: {enforce: restricted, audit: restricted, warn: restricted, rules: warn}
YAML

"$BIN" serve --listen "127.0.0.1:$PORT" --tls-cert "$work/certs/tls.crt" \
  --tls-key "$work/certs/tls.key" --config "$work/palisade.yaml" \
  --threads "$SERVER_THREADS" --log-level warn > "$work/serve.log" &
server=$!
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  sleep 0.1
done

echo "palisade $("$BIN" --version | cut -d' ' -f2), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION --latency, server threads: $SERVER_THREADS (0 = one per core)"
for case in pod deployment; do
  echo
  echo "== $case ($(wc -c < "bench/serve/$case.json") bytes)"
  # Warm up connections and caches, then measure.
  BODY="bench/serve/$case.json" wrk -t1 -c"$CONNECTIONS" -d2s -s bench/serve/post.lua \
    "https://127.0.0.1:$PORT/validate?timeout=10s" > /dev/null
  before=$(cpu_ticks "$server")
  BODY="bench/serve/$case.json" wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency \
    -s bench/serve/post.lua "https://127.0.0.1:$PORT/validate?timeout=10s" | tee "$work/wrk.txt"
  after=$(cpu_ticks "$server")
  requests=$(awk '/requests in/ {print $1}' "$work/wrk.txt")
  awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v n="$requests" 'BEGIN {
    s = t / hz; printf "server CPU: %.2f s for %d reviews = %.1f us per review (%.0f reviews per CPU-second)\n", s, n, s * 1e6 / n, n / s }'
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
done
if grep -q '"level":"ERROR"' "$work/serve.log"; then
  echo "server logged errors:" >&2
  cat "$work/serve.log" >&2
  exit 1
fi
