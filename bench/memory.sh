#!/usr/bin/env bash
# Issue 7 part 5: the resident memory of `kith serve` over a data directory
# (bench/scale.sh passes its largest one): idle after a few warm-up API
# requests, and with 5,000 open idle keep-alive connections (bench/conn_hold,
# each having sent one request). Prints a markdown "## Memory" section on
# stdout, progress on stderr. Listens on 127.0.0.1 only; stops its server.
#
#   bash bench/memory.sh DATA_DIR API_KEY [LABEL]
# BUILD_DIR (default build-bench) must hold kith and bench/conn_hold.
# CONNECTIONS (default 5000) idle connections.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build-bench}"
data=$1
api_key=$2
label=${3:-$(basename "$data")}
connections=${CONNECTIONS:-5000}
log() { echo "memory.sh: $*" >&2; }

# Each connection is a descriptor in kith and in the client.
ulimit -n $((connections + 1024)) 2>/dev/null || ulimit -n "$(ulimit -Hn)"
[[ $(ulimit -n) -gt $((connections + 64)) ]] || { log "ulimit -n too low ($(ulimit -n))"; exit 1; }

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 20000))
    (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null || { echo "$port"; return; }
  done
}
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

port=$(free_port)
"$build/kith" serve --data "$data" --listen "127.0.0.1:$port" --threads 2 >/dev/null 2>&1 &
kith=$!
pids+=("$kith")
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
  sleep 0.1
done
base="http://127.0.0.1:$port/civicrm/ajax/api4"
auth=(-H "X-Civi-Auth: Bearer $api_key" -H "X-Requested-With: XMLHttpRequest")
log "warming up kith (pid $kith) on port $port"
for id in 2 1000 5000 20000 77777; do
  curl -sf "${auth[@]}" "$base/Contact/get" --data-urlencode "params={\"where\":[[\"id\",\"=\",$id]]}" >/dev/null
  curl -sf "${auth[@]}" "$base/Contact/get" \
    --data-urlencode "params={\"where\":[[\"last_name\",\"=\",\"Abanan\"]],\"limit\":25}" >/dev/null
done
sleep 1
idle=$(rss_kib "$kith")
log "idle RSS $(mib "$idle") MiB; opening $connections keep-alive connections"

fifo=$(mktemp -u /tmp/kith-memory-XXXXXX)
mkfifo "$fifo"
"$build/bench/conn_hold" --port "$port" --connections "$connections" <"$fifo" >"$fifo.out" &
holder=$!
pids+=("$holder")
exec 4>"$fifo"  # holds the client's stdin open until we are done
for _ in $(seq 600); do
  grep -q ready "$fifo.out" 2>/dev/null && break
  kill -0 "$holder" 2>/dev/null || { log "conn_hold failed"; exit 1; }
  sleep 0.1
done
grep -q ready "$fifo.out" || { log "connections not ready"; exit 1; }
sleep 1
held=$(rss_kib "$kith")
open=$(awk '{print $2}' "$fifo.out")
exec 4>&-
wait "$holder" 2>/dev/null || true
rm -f "$fifo" "$fifo.out"
per=$(awk -v a="$held" -v b="$idle" -v n="$open" 'BEGIN { printf "%.1f", (a - b) / n }')
log "RSS with $open connections $(mib "$held") MiB"

echo "## Memory"
echo
echo "Resident set size of \`kith serve --threads 2\` over the $label-contact data directory"
echo "(\`bash bench/memory.sh\`, run by bench/scale.sh)."
echo
echo "| state | RSS MiB | note |"
echo "|---|---|---|"
echo "| idle after warm-up requests ($label contacts) | $(mib "$idle") | 10 APIv4 requests answered |"
echo "| $open open idle keep-alive connections | $(mib "$held") | $per KiB per connection |"
echo
