#!/usr/bin/env bash
# kith's benchmark suite: one command, side-by-side ratios measured in one run,
# written to BENCHMARKS.md. Everything listens on 127.0.0.1 and stops by itself.
#
#   bash bench/run.sh              # defaults: 3 rounds of 5 s per measurement
#   ROUNDS=5 DURATION=10 bash bench/run.sh
#
# Numbers on shared 2-core machines are noisy: each figure is the median of
# ROUNDS runs, and the targets are ratios against a baseline measured in the
# same run, never absolute times.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
CONNECTIONS=${CONNECTIONS:-16}

command -v wrk >/dev/null && command -v nginx >/dev/null || {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light >/dev/null
}
bash scripts/install-deps.sh
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DKITH_BUILD_TESTS=OFF >/dev/null
ninja -C build-bench kith >/dev/null

work=$(mktemp -d /tmp/kith-bench-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { # asks the kernel for a free loopback port
  local port
  while :; do
    port=$((20000 + RANDOM % 20000))
    (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null || { echo "$port"; return; }
  done
}

# --- nginx baseline: one worker answering 200 -------------------------------
nginx_port=$(free_port)
mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx;
  fastcgi_temp_path $work/nginx; uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  server { listen 127.0.0.1:$nginx_port; location / { return 200 "ok\n"; } }
}
NGINX
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" &
pids+=($!)

# --- kith with one server thread ---------------------------------------------
site_key=bench-site-key-0123456789
api_key=bench-admin-key-0123456789
./build-bench/kith init --data "$work/data" --site-key "$site_key" >/dev/null
./build-bench/kith user add admin --data "$work/data" --password pw --role admin --api-key "$api_key" >/dev/null
kith_port=$(free_port)
./build-bench/kith serve --data "$work/data" --listen "127.0.0.1:$kith_port" --threads 1 >"$work/kith.log" &
pids+=($!)
for _ in $(seq 50); do
  curl -sf "http://127.0.0.1:$kith_port/healthz" >/dev/null && curl -sf "http://127.0.0.1:$nginx_port/" >/dev/null && break
  sleep 0.1
done
base="http://127.0.0.1:$kith_port"
rest="$base/civicrm/extern/rest.php"
cid=$(curl -s "$rest" -d q=civicrm/contact/add -d json=1 -d key=$site_key -d api_key=$api_key \
  -d contact_type=Individual -d first_name=Bench -d last_name=Mark -d email=bench@example.org |
  sed -E 's/.*"contact_id":([0-9]+).*/\1/')

# Median requests/second of ROUNDS wrk runs of URL.
rps() {
  local url=$1 c=${2:-$CONNECTIONS} out=()
  for _ in $(seq "$ROUNDS"); do
    out+=("$(wrk -t1 -c"$c" -d"${DURATION}s" "$url" | awk '/Requests\/sec/ {print $2}')")
  done
  printf '%s\n' "${out[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
# p50 and p99 latency (ms) of one client over keep-alive.
latency() {
  wrk -t1 -c1 -d"${DURATION}s" --latency "$1" |
    awk '/^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
         function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
         END {printf "%.3f %.3f", ms(p50), ms(p99)}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }

declare -A urls=(
  [legacy_get]="$rest?q=civicrm/contact/get&json=1&key=$site_key&api_key=$api_key&contact_id=$cid"
)
health=$(rps "$base/healthz")
nginx_rps=$(rps "http://127.0.0.1:$nginx_port/")

{
  echo "# kith benchmarks"
  echo
  echo "Measured by \`bash bench/run.sh\` on $(date -u +%Y-%m-%d) at commit $(git rev-parse --short HEAD),"
  echo "$(nproc) cores; medians of $ROUNDS runs of ${DURATION} s, wrk with $CONNECTIONS connections, one kith thread."
  echo
  echo "| measurement | kith req/s | baseline req/s | ratio | target |"
  echo "|---|---|---|---|---|"
  echo "| GET /healthz vs nginx \`return 200\` (1 worker each) | $health | $nginx_rps | $(ratio "$health" "$nginx_rps") | ≥ 0.8 |"
  for name in "${!urls[@]}"; do
    r=$(rps "${urls[$name]}")
    echo "| $name (contact by id) vs kith /healthz | $r | $health | $(ratio "$r" "$health") | ≥ 0.5 |"
  done
  echo
  echo "| single client, keep-alive | p50 ms | p99 ms |"
  echo "|---|---|---|"
  echo "| GET /healthz | $(latency "$base/healthz" | tr ' ' '|' | sed 's/|/ | /') |"
  for name in "${!urls[@]}"; do
    echo "| $name | $(latency "${urls[$name]}" | sed 's/ / | /') |"
  done
} | tee BENCHMARKS.md.new
mv BENCHMARKS.md.new BENCHMARKS.md
