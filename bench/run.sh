#!/usr/bin/env bash
# kith's benchmark suite: one command, side-by-side ratios measured in one run,
# written to BENCHMARKS.md (one table per part, the target beside each figure).
# Everything listens on 127.0.0.1 and stops by itself.
#
#   bash bench/run.sh                          # every part, 3 rounds of 5 s
#   ROUNDS=5 DURATION=10 bash bench/run.sh
#   PARTS="http api" bash bench/run.sh         # only some parts
#
# Parts (PARTS, space-separated; default all):
#   http         GET /healthz against nginx `return 200`, one worker each
#   api          3.2, APIv3, APIv4 contact by id against /healthz; the floor
#                of any get (bench/api_floor.cc); latency
#   bulk         BULK_N contacts with an email: APIv4 save of SAVE_BATCH
#                (default 10,000) a call, one create per call, kith import
#                (CSV), and the sqlite3 CLI
#   stream       one get of STREAM_N (default 100,000) contacts in each
#                dialect and format (APIv4; APIv3 and 3.2, JSON and XML),
#                limit 0: rows/s and the server's peak memory growth
#   instructions instructions per request (valgrind --tool=callgrind) of
#                /healthz and the three get-by-id calls; with BEFORE_BIN (a
#                kith binary of an earlier commit) the same for it beside
#   concurrency  reads / 90-10 read-write mix with 1 and 2 server threads,
#                on CONC_N contacts
#   durability   one APIv4 create per call, kith.toml durability "full"
#                (each commit synced to disk) against "normal"
#   changelog    what the change log costs a write: kith import of CHANGELOG_N
#                contacts and one APIv4 create per call, kith.toml change_log
#                true against false
#   auth         bench/auth_flood.mjs: keyed reads alone and during a flood
#                of wrong passwords; wrong password against unknown user
#   scale        bench/scale.sh's "## Scale" section (10k, 100k, 1M
#                contacts; slow the first time), when that script exists
#   memory       its "## Memory" section (bench/memory.sh, which scale.sh
#                runs over its largest data directory)
#   scale-pg     bench/scale.sh with SCALE_PG=1: the same queries and targets
#                on PostgreSQL (a cluster of its own under /tmp/kith-scale/pg)
#   pg           the PostgreSQL backend, on a cluster of its own
#                (scripts/pg-cluster.sh): APIv4 Contact.get by id against
#                `pgbench -S -M prepared` (same cluster, same connections),
#                one kith server against two on one database, and
#                `kith import` of BULK_N contacts into PostgreSQL
# Other knobs: BUILD_DIR (default build-bench), KITH_BIN (a kith binary to
# measure instead of building one), OUT (default BENCHMARKS.md), CONNECTIONS
# (wrk connections, default 16).
#
# Numbers on shared 2-core machines are noisy: each figure is the median of
# ROUNDS runs, and the targets are ratios against a baseline measured in the
# same run (or throughputs), never a lone latency.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
CONNECTIONS=${CONNECTIONS:-16}
PARTS=${PARTS:-http api bulk stream instructions concurrency durability changelog auth scale memory pg scale-pg}
CHANGELOG_N=${CHANGELOG_N:-20000}
BULK_N=${BULK_N:-100000}
SAVE_BATCH=${SAVE_BATCH:-10000}
STREAM_N=${STREAM_N:-100000}
CONC_N=${CONC_N:-10000}
BUILD_DIR=${BUILD_DIR:-build-bench}
OUT=${OUT:-BENCHMARKS.md}
export ROUNDS DURATION BUILD_DIR

has_part() { [[ " $PARTS " == *" $1 "* ]]; }

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || need+=(nginx-light)
command -v sqlite3 >/dev/null || need+=(sqlite3)
command -v curl >/dev/null || need+=(curl)
command -v jq >/dev/null || need+=(jq)
if has_part instructions; then command -v valgrind >/dev/null || need+=(valgrind); fi
if ((${#need[@]})); then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
if [ -z "${KITH_BIN:-}" ]; then
  bash scripts/install-deps.sh
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DKITH_BUILD_TESTS=OFF \
    -DKITH_BUILD_BENCH=ON >/dev/null
  ninja -C "$BUILD_DIR" kith api_floor >/dev/null
fi
kith=${KITH_BIN:-$BUILD_DIR/kith}

work=$(mktemp -d /tmp/kith-bench-XXXXXX)
chmod 755 "$work"  # the PostgreSQL parts run initdb as the postgres user in here
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -d "$work/pg" ] && bash scripts/pg-cluster.sh stop "$work/pg"
  rm -rf "$work"
}
trap cleanup EXIT

site_key=bench-site-key-0123456789
api_key=bench-admin-key-0123456789

free_port() { # asks the kernel for a free loopback port
  local port
  while :; do
    port=$((20000 + RANDOM % 20000))
    (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null || { echo "$port"; return; }
  done
}
wait_http() {
  for _ in $(seq 100); do
    curl -sf "$1" >/dev/null && return 0
    sleep 0.1
  done
  echo "bench: $1 does not answer" >&2
  return 1
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : 0)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }
now() { date +%s.%N; }
per_second() { awk -v n="$1" -v t0="$2" -v t1="$3" 'BEGIN {printf "%.0f", n / (t1 - t0)}'; }

# new_data DIR: an initialised data directory with the bench admin.
new_data() {
  "$kith" init --data "$1" --site-key "$site_key" >/dev/null
  "$kith" user add admin --data "$1" --password pw --role admin --api-key "$api_key" >/dev/null
}
# start_kith DIR THREADS: serves DIR; sets kith_pid and kith_url.
start_kith() {
  local port
  port=$(free_port)
  "$kith" serve --data "$1" --listen "127.0.0.1:$port" --threads "$2" >>"$work/kith.log" 2>&1 &
  kith_pid=$!
  pids+=("$kith_pid")
  kith_url="http://127.0.0.1:$port"
  wait_http "$kith_url/healthz"
}
stop_kith() {
  kill "$kith_pid" 2>/dev/null || true
  wait "$kith_pid" 2>/dev/null || true
}

# wrk_run ARGS...: one wrk run; prints "req/s non2xx". A run with failed
# requests is reported, not silently counted.
wrk_run() {
  wrk "$@" | awk '/Requests\/sec/ {r=$2} /Non-2xx/ {e=$NF} END {printf "%s %d\n", r, e}'
}
# rps URL [wrk options...] [-- script args...]: median requests/second of
# ROUNDS runs (wrk wants the URL before the script's arguments).
rps() {
  local url=$1 opts=() script_args=() after=0 a
  shift
  for a in "$@"; do
    if ((after)); then script_args+=("$a"); elif [ "$a" = -- ]; then after=1; else opts+=("$a"); fi
  done
  ((after)) && script_args=(-- "${script_args[@]}")
  for _ in $(seq "$ROUNDS"); do
    read -r r e < <(wrk_run -t1 -c"$CONNECTIONS" -d"${DURATION}s" "${opts[@]}" "$url" "${script_args[@]}")
    ((e == 0)) || echo "bench: $e failed requests to $url" >&2
    echo "$r"
  done | median
}
# p50 and p99 latency (ms) of one client over keep-alive.
latency() {
  local url=$1
  shift
  wrk -t1 -c1 -d"${DURATION}s" --latency "$@" "$url" |
    awk '/^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
         function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
         END {printf "%.3f | %.3f", ms(p50), ms(p99)}'
}

sections=()

# --- 1 and 2: HTTP ceiling and API cost --------------------------------------
part_http_api() {
  local nginx_port
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
  local nginx_pid=$!
  pids+=("$nginx_pid")
  new_data "$work/api-data"
  start_kith "$work/api-data" 1
  wait_http "http://127.0.0.1:$nginx_port/"
  local rest="$kith_url/civicrm/extern/rest.php" cid
  cid=$(curl -s "$rest" -d q=civicrm/contact/add -d json=1 -d key=$site_key -d api_key=$api_key \
    -d contact_type=Individual -d first_name=Bench -d last_name=Mark -d email=bench@example.org |
    sed -E 's/.*"contact_id":([0-9]+).*/\1/')
  local auth="X-Civi-Auth: Bearer $api_key"
  local names=("3.2 contact/search" "APIv3 Contact.get" "APIv4 Contact.get")
  local urls=(
    "$rest?q=civicrm/contact/search&json=1&key=$site_key&api_key=$api_key&contact_id=$cid"
    "$rest?entity=Contact&action=get&key=$site_key&api_key=$api_key&json=%7B%22id%22%3A$cid%7D"
    "$kith_url/civicrm/ajax/api4/Contact/get?params=%7B%22where%22%3A%5B%5B%22id%22%2C%22%3D%22%2C$cid%5D%5D%7D"
  )
  local headers=("" "" "$auth")
  local targets=("≥ 0.35" "≥ 0.30" "≥ 0.35")
  local health nginx_rps
  {
    if has_part http; then
      health=$(rps "$kith_url/healthz")
      nginx_rps=$(rps "http://127.0.0.1:$nginx_port/")
      echo "## HTTP ceiling"
      echo
      echo "wrk, $CONNECTIONS connections, one worker thread each; medians of $ROUNDS runs of ${DURATION} s."
      echo
      echo "| measurement | kith req/s | nginx req/s | ratio | target |"
      echo "|---|---|---|---|---|"
      echo "| GET /healthz vs nginx \`return 200\` | $health | $nginx_rps | $(ratio "$health" "$nginx_rps") | ≥ 0.8 |"
      echo
    fi
    if has_part api; then
      # Each call's ratio is taken against /healthz measured just before and just after
      # it (their mean), round by round, and the median of those ratios is reported: the
      # speed of this shared machine drifts within a minute, and a /healthz measured once
      # for the whole part put whole tenths of noise into every ratio.
      floor_start
      local call_names=("${names[@]}") call_urls=("${urls[@]}") call_headers=("${headers[@]}")
      local call_targets=("${targets[@]}")
      if [ -n "$floor_url" ]; then
        call_names+=("floor: remembered key, one read transaction, two columns by id, no protocol")
        call_urls+=("$floor_url")
        call_headers+=("X-Civi-Auth: Bearer floor-api-key-0123456789")
        call_targets+=("(the least any call costs)")
      fi
      local -a call_rps=() call_ratios=()
      local health_runs="" round i r h_before h_after
      for round in $(seq "$ROUNDS"); do
        h_before=$(ROUNDS=1 rps "$kith_url/healthz")
        for i in "${!call_names[@]}"; do
          if [ -n "${call_headers[$i]}" ]; then
            r=$(ROUNDS=1 rps "${call_urls[$i]}" -H "${call_headers[$i]}")
          else
            r=$(ROUNDS=1 rps "${call_urls[$i]}")
          fi
          h_after=$(ROUNDS=1 rps "$kith_url/healthz")
          health_runs+=" $h_before"
          call_rps[i]+=" $r"
          call_ratios[i]+=" $(awk -v r="$r" -v a="$h_before" -v b="$h_after" 'BEGIN {printf "%.3f", (a + b > 0 ? 2 * r / (a + b) : 0)}')"
          h_before=$h_after
        done
        health_runs+=" $h_before"
      done
      floor_stop
      health=$(tr ' ' '\n' <<<"$health_runs" | grep . | median)
      echo "## API cost"
      echo
      echo "One contact by id (one kith thread), against kith's own /healthz in the same run:"
      echo "/healthz is measured before and after each call, and a call's ratio is the median over"
      echo "$ROUNDS rounds of its req/s over the mean of the two /healthz beside it."
      echo "The floor row is bench/api_floor: the same HTTP server and store answering a remembered"
      echo "key's get of two columns by id in one read transaction, with no protocol and no JSON library."
      echo
      echo "| call | req/s | /healthz req/s | ratio | target |"
      echo "|---|---|---|---|---|"
      for i in "${!call_names[@]}"; do
        r=$(tr ' ' '\n' <<<"${call_rps[i]}" | grep . | median)
        echo "| ${call_names[$i]} | $r | $health | $(tr ' ' '\n' <<<"${call_ratios[i]}" | grep . | median | xargs printf '%.2f') | ${call_targets[$i]} |"
      done
      echo
      echo "| single client, keep-alive | p50 ms | p99 ms |"
      echo "|---|---|---|"
      echo "| GET /healthz | $(latency "$kith_url/healthz") |"
      for i in "${!names[@]}"; do
        if [ -n "${headers[$i]}" ]; then
          echo "| ${names[$i]} | $(latency "${urls[$i]}" -H "${headers[$i]}") |"
        else
          echo "| ${names[$i]} | $(latency "${urls[$i]}") |"
        fi
      done
      echo
    fi
  } >"$work/section-http-api.md"
  stop_kith
  kill "$nginx_pid" 2>/dev/null || true
  sections+=("$work/section-http-api.md")
}

# The floor of the API cost table (bench/api_floor.cc): what any get over this
# HTTP server and store pays, without a protocol. floor_start sets floor_url
# (empty when the floor binary is not built); floor_stop ends it.
floor_pid=""
floor_url=""
floor_start() {
  local bin="$BUILD_DIR/bench/api_floor" port=""
  floor_url=""
  [ -x "$bin" ] || return 0
  : >"$work/floor.out"   # exists before the poll below reads it (the child opens it later)
  "$bin" --db "$work/floor.db" >"$work/floor.out" 2>>"$work/kith.log" &
  floor_pid=$!
  pids+=("$floor_pid")
  for _ in $(seq 100); do
    port=$(awk '/^port / {print $2}' "$work/floor.out")
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "bench: api_floor did not start" >&2; return 0; }
  floor_url="http://127.0.0.1:$port/floor"
}
floor_stop() {
  [ -n "$floor_pid" ] || return 0
  kill "$floor_pid" 2>/dev/null || true
  wait "$floor_pid" 2>/dev/null || true
  floor_pid=""
}

# --- 4: bulk write -----------------------------------------------------------
# The same N contacts (Individual, first and last name, one email) by each
# path, each round into a fresh data directory.
bulk_inputs() {
  local dir=$1
  mkdir -p "$dir/save"
  # APIv4 save bodies, SAVE_BATCH records each.
  awk -v n="$BULK_N" -v b="$SAVE_BATCH" -v dir="$dir/save" 'BEGIN {
    for (f = 0; f * b < n; f++) {
      file = sprintf("%s/%05d.json", dir, f)
      printf "{\"records\":[" > file
      last = (f + 1) * b < n ? (f + 1) * b : n
      for (i = f * b + 1; i <= last; i++) {
        printf "%s{\"contact_type\":\"Individual\",\"first_name\":\"First%d\",\"last_name\":\"Last%d\",\"email_primary.email\":\"c%d@example.org\"}",
          (i > f * b + 1 ? "," : ""), i, i, i > file
      }
      printf "]}" > file
      close(file)
    }
  }'
  # The same rows as CSV for kith import.
  awk -v n="$BULK_N" 'BEGIN {
    print "contact_type,first_name,last_name,email_primary.email"
    for (i = 1; i <= n; i++) printf "Individual,First%d,Last%d,c%d@example.org\n", i, i, i
  }' >"$dir/contacts.csv"
  # And as SQL for the sqlite3 CLI: the rows kith itself stores for such a
  # contact (names, greetings, hash, dates) and its primary email, with
  # foreign keys checked, in one transaction.
  local ts
  ts=$(date -u '+%Y-%m-%d %H:%M:%S')
  awk -v n="$BULK_N" -v ts="$ts" 'BEGIN {
    print "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;"
    print "BEGIN;"
    for (i = 1; i <= n; i++) {
      printf "INSERT INTO civicrm_contact (contact_type, first_name, last_name, display_name, sort_name, email_greeting_id, email_greeting_display, postal_greeting_id, postal_greeting_display, addressee_id, addressee_display, hash, created_date, modified_date) VALUES (\x27Individual\x27, \x27First%d\x27, \x27Last%d\x27, \x27First%d Last%d\x27, \x27Last%d, First%d\x27, 1, \x27Dear First%d\x27, 1, \x27Dear First%d\x27, 1, \x27First%d Last%d\x27, \x27%032x\x27, \x27%s\x27, \x27%s\x27);\n", i, i, i, i, i, i, i, i, i, i, i * 2654435761, ts, ts
      printf "INSERT INTO civicrm_email (contact_id, location_type_id, email, is_primary) VALUES (last_insert_rowid(), 1, \x27c%d@example.org\x27, 1);\n", i
    }
    print "COMMIT;"
  }' >"$dir/contacts.sql"
}

# emails_in DIR: the number of contacts with an email in DIR's database.
emails_in() {
  sqlite3 "$1/kith.db" "SELECT COUNT(DISTINCT contact_id) FROM civicrm_email WHERE email LIKE 'c%@example.org'"
}

bulk_save_round() { # prints contacts/s of APIv4 save, SAVE_BATCH records a call
  local data=$1 args=() f
  new_data "$data"
  start_kith "$data" 1
  for f in "$work/bulk/save"/*.json; do
    args+=(-s -o /dev/null -f -H "X-Civi-Auth: Bearer $api_key" -H "Content-Type: application/json"
      --data-binary "@$f" "$kith_url/civicrm/ajax/api4/Contact/save" --next)
  done
  unset 'args[${#args[@]}-1]'
  local t0 t1
  t0=$(now)
  curl "${args[@]}"
  t1=$(now)
  stop_kith
  local got
  got=$(emails_in "$data")
  ((got == BULK_N)) || { echo "bench: save stored $got of $BULK_N contacts" >&2; return 1; }
  per_second "$BULK_N" "$t0" "$t1"
}

bulk_create_round() { # prints contacts/s of one APIv4 create per call
  local data=$1 r e
  new_data "$data"
  start_kith "$data" 1
  read -r r e < <(wrk_run -t1 -c"$CONNECTIONS" -d"${DURATION}s" -s bench/wrk/v4_create.lua \
    "$kith_url/" -- "$api_key" "r$RANDOM")
  stop_kith
  ((e == 0)) || { echo "bench: $e creates failed" >&2; return 1; }
  echo "$r"
}

bulk_import_round() { # prints contacts/s of kith import
  local data=$1 t0 t1
  new_data "$data"
  t0=$(now)
  "$kith" import --data "$data" "$work/bulk/contacts.csv" >/dev/null
  t1=$(now)
  local got
  got=$(emails_in "$data")
  ((got == BULK_N)) || { echo "bench: import stored $got of $BULK_N contacts" >&2; return 1; }
  per_second "$BULK_N" "$t0" "$t1"
}

bulk_sqlite_round() { # prints contacts/s of the sqlite3 CLI
  local data=$1 t0 t1
  new_data "$data"
  t0=$(now)
  sqlite3 "$data/kith.db" <"$work/bulk/contacts.sql" >/dev/null
  t1=$(now)
  local got
  got=$(emails_in "$data")
  ((got == BULK_N)) || { echo "bench: sqlite3 stored $got of $BULK_N contacts" >&2; return 1; }
  per_second "$BULK_N" "$t0" "$t1"
}

part_bulk() {
  bulk_inputs "$work/bulk"
  local has_import=0
  "$kith" import --help >/dev/null 2>&1 && has_import=1
  local save=() create=() import=() lite=() round
  for round in $(seq "$ROUNDS"); do
    save+=("$(bulk_save_round "$work/bulk-save-$round")")
    create+=("$(bulk_create_round "$work/bulk-create-$round")")
    ((has_import)) && import+=("$(bulk_import_round "$work/bulk-import-$round")")
    lite+=("$(bulk_sqlite_round "$work/bulk-sqlite-$round")")
    rm -rf "$work/bulk-"*"-$round"
  done
  local s c i l best
  s=$(printf '%s\n' "${save[@]}" | median)
  c=$(printf '%s\n' "${create[@]}" | median)
  i=$( ((has_import)) && printf '%s\n' "${import[@]}" | median || echo 0)
  l=$(printf '%s\n' "${lite[@]}" | median)
  best=$(printf '%s\n' "$s" "$c" "$i" | sort -g | tail -1)
  {
    echo "## Bulk write"
    echo
    echo "$BULK_N contacts (Individual, first and last name, one email); each round into a fresh"
    echo "data directory; medians of $ROUNDS rounds. The sqlite3 command-line tool inserts the rows"
    echo "kith stores for the same contacts (names, greetings, hash, dates, primary email) into"
    echo "the same schema, foreign keys on, in one transaction."
    echo
    echo "| path | contacts/s | × sqlite3 | target |"
    echo "|---|---|---|---|"
    echo "| (a) APIv4 Contact.save, $SAVE_BATCH records a call (one client) | $s | $(ratio "$s" "$l") | ≥ 1.0 × sqlite3 |"
    echo "| (b) APIv4 Contact.create, one a call, $CONNECTIONS keep-alive connections, ${DURATION} s | $c | $(ratio "$c" "$l") | |"
    if ((has_import)); then
      echo "| (c) \`kith import\` (CSV, default batches of 10,000 rows) | $i | $(ratio "$i" "$l") | |"
    else
      echo "| (c) a bulk path of kith's own | none | | |"
    fi
    echo "| sqlite3 CLI, one transaction | $l | 1.00 | |"
    echo "| **fastest kith path** | $best | $(ratio "$best" "$l") | ≥ 50,000/s and ≥ 0.3 × sqlite3 |"
    echo
  } >"$work/section-bulk.md"
  sections+=("$work/section-bulk.md")
}

# --- 5: one large answer ------------------------------------------------------
# STREAM_N contacts (kith import), then a get of all of them in each dialect
# and format (streamed: read page by page, written as it is read). The
# server's peak memory while answering: VmHWM (reset first through
# clear_refs) over VmRSS before, which counts the database file's pages that
# SQLite's mmap touches (page cache the kernel may drop); and the peak of
# RssAnon sampled every 10 ms, the memory the server itself allocates.
part_stream() {
  local data=$work/stream
  new_data "$data"
  awk -v n="$STREAM_N" 'BEGIN {
    print "contact_type,first_name,last_name,email_primary.email"
    for (i = 1; i <= n; i++) printf "Individual,First%d,Last%d,c%d@example.org\n", i, i, i
  }' >"$work/stream.csv"
  "$kith" import --data "$data" "$work/stream.csv" >/dev/null
  # The bench admin's contact comes on top: the rows bound is raised past both;
  # and the time bound past what a sanitized build needs (KITH_BIN=build-dev/kith).
  sed -i -E 's/^max_rows = .*/max_rows = 10000000/; s/^max_request_seconds = .*/max_request_seconds = 3600/' \
    "$data/kith.toml"
  start_kith "$data" 1
  local auth="X-Civi-Auth: Bearer $api_key" rest="$kith_url/civicrm/extern/rest.php"
  local v3="$rest?entity=Contact&action=get&key=$site_key&api_key=$api_key&options%5Blimit%5D=0"
  local v2="$rest?q=civicrm/contact/get&key=$site_key&api_key=$api_key&rowCount=0"
  # One form per line: its name, then curl's arguments (each the same get of every contact).
  local forms=(
    "APIv4 Contact.get, JSON|-H|$auth|--data-urlencode|params={\"select\":[\"*\"],\"limit\":0}|$kith_url/civicrm/ajax/api4/Contact/get"
    "APIv3 Contact.get, JSON|$v3&json=1"
    "APIv3 Contact.get, XML|$v3"
    "3.2 contact/get, JSON|$v2&json=1"
    "3.2 contact/get, XML|$v2"
  )
  local got
  got=$(curl -sf -H "$auth" --data-urlencode 'params={"select":["*"],"limit":0}' \
    "$kith_url/civicrm/ajax/api4/Contact/get" | jq '.values | length')
  ((got > STREAM_N)) || { echo "bench: the get answered $got rows" >&2; return 1; }
  local rows=() form name args
  for form in "${forms[@]}"; do
    IFS='|' read -r -a args <<<"$form"
    name=${args[0]}
    args=("${args[@]:1}")
    local rates=() hwms=() anons=() round t0 t1 rss0 anon0 sampler
    for round in $(seq "$ROUNDS"); do
      rss0=$(awk '/^VmRSS/ {print $2}' "/proc/$kith_pid/status")
      anon0=$(awk '/^RssAnon/ {print $2}' "/proc/$kith_pid/status")
      echo 5 >"/proc/$kith_pid/clear_refs"
      rm -f "$work/stream-done"
      (while [ ! -e "$work/stream-done" ]; do
         awk '/^RssAnon/ {print $2}' "/proc/$kith_pid/status"; sleep 0.01
       done | sort -g | tail -1 >"$work/stream-anon") &
      sampler=$!
      t0=$(now)
      curl -sf -o /dev/null "${args[@]}"
      t1=$(now)
      rates+=("$(per_second "$got" "$t0" "$t1")")
      hwms+=("$(awk -v b="$rss0" '/^VmHWM/ {printf "%.1f", ($2 - b) / 1024}' "/proc/$kith_pid/status")")
      touch "$work/stream-done"
      wait "$sampler" 2>/dev/null || true
      anons+=("$(awk -v b="$anon0" '{printf "%.1f", ($1 - b) / 1024}' "$work/stream-anon")")
    done
    rows+=("| $name | $(printf '%s\n' "${rates[@]}" | median) | $(printf '%s\n' "${hwms[@]}" | median) | $(printf '%s\n' "${anons[@]}" | median) |")
  done
  stop_kith
  {
    echo "## One large answer"
    echo
    echo "A get of all $got contacts (imported: first and last name, one email) in each dialect and"
    echo "format: APIv4 every field (\`select *\`, limit 0), APIv3 its default fields (options.limit=0),"
    echo "3.2 its default fields (rowCount=0); one client (curl), one kith thread; medians of $ROUNDS"
    echo "rounds. Every one is streamed. Peak growth is over the server's memory before the get."
    echo "VmHWM counts the database file's pages that SQLite's mmap touched (page cache, which the"
    echo "kernel may take back); RssAnon (sampled every 10 ms) is what the server itself allocated."
    echo "Targets: ≥ 200,000 rows/s (APIv4) and a peak growth ≤ 32 MiB."
    echo
    echo "| get | rows/s | peak RSS growth (VmHWM), MiB | peak anonymous growth (RssAnon), MiB |"
    echo "|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
    echo
  } >"$work/section-stream.md"
  sections+=("$work/section-stream.md")
}

# --- 5b: instructions per request ----------------------------------------------
# callgrind counts the instructions kith executes (perf's hardware counters are
# not available in this VM). Each call runs N and 3N times on one keep-alive
# connection after a warm-up, each count in a server of its own under
# callgrind; the difference over 2N is the cost of one request, without the
# server's start and stop. Counted per thread, and the thread whose count
# grew most is the one serving (--threads 1): the whole process would also
# count the webhook worker's polls, which follow wall time, not requests
# (0.4k-8k a request in session 17's runs).
INSTR_N=${INSTR_N:-200}
BEFORE_LABEL=${BEFORE_LABEL:-${BEFORE_BIN:-}}
instructions_of() { # BIN DATA URL [HEADER]: instructions of one request
  local bin=$1 data=$2 url_path=$3 header=${4:-} n counts=()
  for n in "$INSTR_N" $((3 * INSTR_N)); do
    local port out
    port=$(free_port)
    out="$work/callgrind.$port"
    valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$out" "$bin" serve --data "$data" \
      --listen "127.0.0.1:$port" --threads 1 >>"$work/kith.log" 2>&1 &
    local pid=$!
    pids+=("$pid")
    for _ in $(seq 600); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
    local urls=() i
    for i in $(seq $((n + 20))); do urls+=("http://127.0.0.1:$port$url_path"); done
    # (curl's -o names the first URL's output only: the answers go to /dev/null here)
    if [ -n "$header" ]; then curl -sf -H "$header" "${urls[@]}" >/dev/null; else curl -sf "${urls[@]}" >/dev/null; fi
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    # "thread=count" for each thread's file ($out-01, $out-02, ...).
    local f per_thread=""
    for f in "$out"-*; do
      per_thread+="${f##*-}=$(awk '/^(summary|totals):/ {print $2; exit}' "$f") "
    done
    counts+=("$per_thread")
  done
  # The largest growth of one thread between the two runs, over 2N.
  awk -v a="${counts[0]}" -v b="${counts[1]}" -v n="$INSTR_N" 'BEGIN {
    split(a, first, " "); for (i in first) { split(first[i], kv, "="); before[kv[1]] = kv[2] }
    split(b, second, " "); most = 0
    for (i in second) { split(second[i], kv, "="); d = kv[2] - before[kv[1]]; if (d > most) most = d }
    printf "%.0f", most / (2 * n)
  }'
}
# instr_data DIR: a data directory made by $kith with one contact; prints its id.
instr_data() {
  new_data "$1"
  start_kith "$1" 1
  curl -s "$kith_url/civicrm/extern/rest.php" -d q=civicrm/contact/add -d json=1 -d key=$site_key \
    -d api_key=$api_key -d contact_type=Individual -d first_name=Bench -d last_name=Mark \
    -d email=bench@example.org | sed -E 's/.*"contact_id":([0-9]+).*/\1/'
  stop_kith
}
part_instructions() {
  local rest="/civicrm/extern/rest.php" cid
  cid=$(instr_data "$work/instr-data")
  # The before binary gets a directory of its own: it may not open one at a
  # newer migration. Both are made the same way, so the contact's id is the same.
  if [ -n "${BEFORE_BIN:-}" ]; then
    local after_kith=$kith
    kith=$BEFORE_BIN
    instr_data "$work/instr-data-before" >/dev/null
    kith=$after_kith
  fi
  local names=("GET /healthz" "3.2 contact/search" "APIv3 Contact.get" "APIv4 Contact.get")
  local paths=("/healthz"
    "$rest?q=civicrm/contact/search&json=1&key=$site_key&api_key=$api_key&contact_id=$cid"
    "$rest?entity=Contact&action=get&key=$site_key&api_key=$api_key&json=%7B%22id%22%3A$cid%7D"
    "/civicrm/ajax/api4/Contact/get?params=%7B%22where%22%3A%5B%5B%22id%22%2C%22%3D%22%2C$cid%5D%5D%7D")
  local headers=("" "" "" "X-Civi-Auth: Bearer $api_key")
  {
    echo "## Instructions per request"
    echo
    echo "valgrind --tool=callgrind (instructions executed by the server thread, \`--threads 1\`,"
    echo "one keep-alive client): ($INSTR_N × 3 − $INSTR_N requests) / ($INSTR_N × 2). Exact counts,"
    echo "unaffected by the machine's load (the webhook worker's polls, which follow wall time,"
    echo "are left out: before session 17 the whole process was counted)."
    echo
    if [ -n "${BEFORE_BIN:-}" ]; then
      echo "| request | before ($BEFORE_LABEL) | after | after / before |"
      echo "|---|---|---|---|"
    else
      echo "| request | instructions |"
      echo "|---|---|"
    fi
    local i after before
    for i in "${!names[@]}"; do
      after=$(instructions_of "$kith" "$work/instr-data" "${paths[$i]}" "${headers[$i]}")
      if [ -n "${BEFORE_BIN:-}" ]; then
        before=$(instructions_of "$BEFORE_BIN" "$work/instr-data-before" "${paths[$i]}" "${headers[$i]}")
        echo "| ${names[$i]} | $before | $after | $(ratio "$after" "$before") |"
      else
        echo "| ${names[$i]} | $after |"
      fi
    done
    echo
  } >"$work/section-instructions.md"
  sections+=("$work/section-instructions.md")
}

# --- 6: concurrency ------------------------------------------------------------
part_concurrency() {
  local data="$work/conc-data" old_n=$BULK_N
  mkdir -p "$work/conc"
  # CONC_N contacts, loaded through APIv4 save.
  BULK_N=$CONC_N bulk_inputs "$work/conc"
  new_data "$data"
  start_kith "$data" 2
  local f
  for f in "$work/conc/save"/*.json; do
    curl -s -o /dev/null -f -H "X-Civi-Auth: Bearer $api_key" -H "Content-Type: application/json" \
      --data-binary "@$f" "$kith_url/civicrm/ajax/api4/Contact/save"
  done
  stop_kith
  BULK_N=$old_n
  local max_id
  max_id=$(sqlite3 "$data/kith.db" "SELECT MAX(id) FROM civicrm_contact")
  declare -A result
  local threads mix
  for threads in 1 2; do
    start_kith "$data" "$threads"
    for mix in 0 10; do
      result[$threads-$mix]=$(rps "$kith_url/" -s bench/wrk/v4_mix.lua -- "$api_key" "$max_id" "$mix")
    done
    stop_kith
  done
  {
    echo "## Concurrency"
    echo
    echo "APIv4 Contact.get by a random id among $CONC_N contacts; the mix replaces 10 % of them with"
    echo "Contact.create (with an email). wrk, $CONNECTIONS connections, one wrk thread on the same"
    echo "$(nproc)-core machine; medians of $ROUNDS runs of ${DURATION} s."
    echo
    echo "| workload | 1 thread req/s | 2 threads req/s | 2 / 1 |"
    echo "|---|---|---|---|"
    echo "| reads only | ${result[1-0]} | ${result[2-0]} | $(ratio "${result[2-0]}" "${result[1-0]}") |"
    echo "| 90 % reads, 10 % writes | ${result[1-10]} | ${result[2-10]} | $(ratio "${result[2-10]}" "${result[1-10]}") |"
    echo
  } >"$work/section-concurrency.md"
  sections+=("$work/section-concurrency.md")
}

# --- 7: durability ------------------------------------------------------------
part_durability() {
  declare -A created
  local mode data
  for mode in full normal; do
    data="$work/durability-$mode"
    new_data "$data"
    sed -i "s/^durability = .*/durability = \"$mode\"/" "$data/kith.toml"
    start_kith "$data" 2
    created[$mode]=$(rps "$kith_url/" -s bench/wrk/v4_create.lua -- "$api_key" "d$RANDOM")
    stop_kith
    rm -rf "$data"
  done
  {
    echo "## Durability"
    echo
    echo "APIv4 Contact.create (with an email), one a call, each its own transaction; wrk, $CONNECTIONS"
    echo "connections, 2 server threads; medians of $ROUNDS runs of ${DURATION} s, on $(df --output=source "$work" | tail -1)."
    echo
    echo "| kith.toml durability | creates/s | × normal |"
    echo "|---|---|---|"
    echo "| \"full\" (default: a commit returns once synced to disk) | ${created[full]} | $(ratio "${created[full]}" "${created[normal]}") |"
    echo "| \"normal\" (an OS crash or power loss may drop the last acknowledged commits) | ${created[normal]} | 1.00 |"
    echo
  } >"$work/section-durability.md"
  sections+=("$work/section-durability.md")
}

# --- 7b: the change log's cost -------------------------------------------------
# The same writes with kith.toml change_log = true (every create adds a
# ChangeLog row in its transaction) and false.
part_changelog() {
  bulk_inputs_for_changelog() {
    awk -v n="$CHANGELOG_N" 'BEGIN {
      print "contact_type,first_name,last_name,email_primary.email"
      for (i = 1; i <= n; i++) printf "Individual,First%d,Last%d,c%d@example.org\n", i, i, i
    }' >"$work/changelog.csv"
  }
  bulk_inputs_for_changelog
  declare -A imported created
  local mode data round runs t0 t1
  for mode in true false; do
    runs=()
    for round in $(seq "$ROUNDS"); do
      data="$work/changelog-$mode-$round"
      new_data "$data"
      sed -i "s/^change_log = .*/change_log = $mode/" "$data/kith.toml"
      t0=$(now)
      "$kith" import --data "$data" "$work/changelog.csv" >/dev/null
      t1=$(now)
      runs+=("$(per_second "$CHANGELOG_N" "$t0" "$t1")")
      rm -rf "$data"
    done
    imported[$mode]=$(printf '%s\n' "${runs[@]}" | median)
    data="$work/changelog-$mode"
    new_data "$data"
    sed -i "s/^change_log = .*/change_log = $mode/" "$data/kith.toml"
    start_kith "$data" 2
    created[$mode]=$(rps "$kith_url/" -s bench/wrk/v4_create.lua -- "$api_key" "l$RANDOM")
    stop_kith
    rm -rf "$data"
  done
  {
    echo "## Change log"
    echo
    echo "What recording every change costs a write: kith.toml change_log = true (each created"
    echo "contact and email adds a ChangeLog row in the same transaction) against false. \`kith"
    echo "import\` of $CHANGELOG_N contacts with an email (one transaction), medians of $ROUNDS rounds;"
    echo "APIv4 Contact.create with an email, one a call, wrk, $CONNECTIONS connections, 2 server"
    echo "threads, medians of $ROUNDS runs of ${DURATION} s."
    echo
    echo "| write | change log on /s | off /s | on / off |"
    echo "|---|---|---|---|"
    echo "| \`kith import\`, contacts | ${imported[true]} | ${imported[false]} | $(ratio "${imported[true]}" "${imported[false]}") |"
    echo "| APIv4 Contact.create, one a call | ${created[true]} | ${created[false]} | $(ratio "${created[true]}" "${created[false]}") |"
    echo
  } >"$work/section-changelog.md"
  sections+=("$work/section-changelog.md")
}

# --- 8: password checks under a flood -----------------------------------------
part_auth() {
  (cd tests/integration && [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  local rows
  rows=$(node bench/auth_flood.mjs "$kith")
  {
    echo "## Password checks under a flood"
    echo
    echo "bench/auth_flood.mjs: one client's APIv4 keyed reads (get by id, in sequence) alone and"
    echo "while 8 clients send wrong passwords (HTTP Basic) as fast as they are answered; then 3.2"
    echo "logins with a wrong password, for a real user and for unknown names, interleaved. 2 server"
    echo "threads, 1 password thread, queue 16; throttling raised out of the way."
    echo
    echo "| what | median | p99 |"
    echo "|---|---|---|"
    echo "$rows"
    echo
  } >"$work/section-auth.md"
  sections+=("$work/section-auth.md")
}

# --- 3 and 5: bench/scale.sh prints its own sections (and runs memory.sh) -------
part_scale() {
  [ -f bench/scale.sh ] || return 0
  local memory=0
  has_part memory && memory=1
  # CONNECTIONS means idle connections to memory.sh: not this script's wrk ones.
  if env -u CONNECTIONS MEMORY=$memory bash bench/scale.sh >"$work/section-scale.md" \
      2>"$work/scale.err"; then
    if ! has_part scale; then # memory only: drop the scale section
      sed -n '/^## Memory/,$p' "$work/section-scale.md" >"$work/section-memory.md"
      sections+=("$work/section-memory.md")
    else
      sections+=("$work/section-scale.md")
    fi
  else
    echo "bench: bench/scale.sh failed:" >&2
    tail -5 "$work/scale.err" >&2
  fi
}

part_scale_pg() {
  if env -u CONNECTIONS SCALE_PG=1 bash bench/scale.sh >"$work/section-scale-pg.md" \
      2>"$work/scale-pg.err"; then
    sections+=("$work/section-scale-pg.md")
  else
    echo "bench: SCALE_PG=1 bench/scale.sh failed:" >&2
    tail -5 "$work/scale-pg.err" >&2
  fi
}

# --- 9: PostgreSQL ---------------------------------------------------------------
# wrk_pair URL_A URL_B ARGS...: median over ROUNDS of the summed requests/s of
# two wrk runs at once, half the connections each, one against each URL.
wrk_pair() {
  local a=$1 b=$2 half=$((CONNECTIONS / 2))
  shift 2
  for _ in $(seq "$ROUNDS"); do
    wrk_run -t1 -c"$half" -d"${DURATION}s" -s bench/wrk/v4_mix.lua "$a/" -- "$@" >"$work/pair-a" &
    wrk_run -t1 -c"$half" -d"${DURATION}s" -s bench/wrk/v4_mix.lua "$b/" -- "$@" >"$work/pair-b"
    wait $!
    awk '{s += $1; e += $2} END {if (e > 0) print "bench: " e " failed requests" > "/dev/stderr"; printf "%.2f\n", s}' \
      "$work/pair-a" "$work/pair-b"
  done | median
}

part_pg() {
  local url base
  url=$(PG_FSYNC=on PG_PROFILE=production bash scripts/pg-cluster.sh start "$work/pg")
  base=${url%/postgres}
  psql "$url" -q -c "CREATE DATABASE kith_bench" -c "CREATE DATABASE pgbench"
  local a="$work/pg-a" b="$work/pg-b"
  "$kith" init --data "$a" --database "$base/kith_bench" --site-key "$site_key" >/dev/null
  "$kith" user add admin --data "$a" --password pw --role admin --api-key "$api_key" >/dev/null
  "$kith" init --data "$b" --database "$base/kith_bench" --site-key "$site_key" >/dev/null
  mkdir -p "$work/pg-conc"
  (BULK_N=$CONC_N bulk_inputs "$work/pg-conc")
  "$kith" import --data "$a" "$work/pg-conc/contacts.csv" >/dev/null
  local max_id get get_wide pgb one two
  max_id=$(psql "$base/kith_bench" -tAc "SELECT MAX(id) FROM civicrm_contact")
  start_kith "$a" 2
  get=$(rps "$kith_url/" -s bench/wrk/v4_mix.lua -- "$api_key" "$max_id" 0)
  stop_kith
  # A serving thread waits while the database answers: with as many threads as
  # pgbench has clients, kith keeps as many database connections busy.
  start_kith "$a" "$CONNECTIONS"
  get_wide=$(rps "$kith_url/" -s bench/wrk/v4_mix.lua -- "$api_key" "$max_id" 0)
  stop_kith
  pgbench -i -q -s 1 "$base/pgbench" >/dev/null 2>&1
  pgb=$(for _ in $(seq "$ROUNDS"); do
          pgbench -S -M prepared -c "$CONNECTIONS" -j 1 -T "$DURATION" "$base/pgbench" 2>/dev/null |
            awk '/^tps/ {print $3}'
        done | median)
  # One server (one thread) against two (one thread each) on the same database.
  start_kith "$a" 1
  local url_a=$kith_url pid_a=$kith_pid
  one=$(rps "$url_a/" -s bench/wrk/v4_mix.lua -- "$api_key" "$max_id" 10)
  start_kith "$b" 1
  two=$(wrk_pair "$url_a" "$kith_url" "$api_key" "$max_id" 10)
  stop_kith
  kith_pid=$pid_a stop_kith
  # kith import of BULK_N contacts into an empty PostgreSQL database.
  [ -f "$work/bulk/contacts.csv" ] || bulk_inputs "$work/bulk"
  local imports=() round data t0 t1 got
  for round in $(seq "$ROUNDS"); do
    data="$work/pg-import-$round"
    psql "$url" -q -c "CREATE DATABASE kith_import_$round"
    "$kith" init --data "$data" --database "$base/kith_import_$round" >/dev/null
    t0=$(now)
    "$kith" import --data "$data" "$work/bulk/contacts.csv" >/dev/null
    t1=$(now)
    got=$(psql "$base/kith_import_$round" -tAc \
      "SELECT COUNT(DISTINCT contact_id) FROM civicrm_email WHERE email LIKE 'c%@example.org'")
    ((got == BULK_N)) || { echo "bench: PostgreSQL import stored $got of $BULK_N contacts" >&2; return 1; }
    imports+=("$(per_second "$BULK_N" "$t0" "$t1")")
    psql "$url" -q -c "DROP DATABASE kith_import_$round"
    rm -rf "$data"
  done
  local imported
  imported=$(printf '%s\n' "${imports[@]}" | median)
  {
    echo "## PostgreSQL"
    echo
    echo "kith on PostgreSQL 15 (a cluster of its own on loopback, scripts/pg-cluster.sh, fsync on"
    echo "as in production), $CONC_N contacts; wrk and pgbench with $CONNECTIONS connections, medians of"
    echo "$ROUNDS runs of ${DURATION} s. Server, database and load generators share the $(nproc) cores."
    echo
    echo "| measurement | result | baseline | ratio | target |"
    echo "|---|---|---|---|---|"
    echo "| APIv4 Contact.get by a random id ($CONNECTIONS kith threads, one database connection each as pgbench's clients) vs \`pgbench -S -M prepared\` (scale 1: 100,000 rows) | $get_wide req/s | $pgb tps | $(ratio "$get_wide" "$pgb") | ≥ 0.5 |"
    echo "| the same get with 2 kith threads (the default) | $get req/s | $pgb tps | $(ratio "$get" "$pgb") | |"
    echo "| two kith servers vs one, one thread each, one database; 90 % gets, 10 % creates | $two req/s | $one req/s | $(ratio "$two" "$one") | |"
    echo "| \`kith import\` of $BULK_N contacts with an email into PostgreSQL | $imported contacts/s | | | ≥ 20,000/s |"
    echo
  } >"$work/section-pg.md"
  sections+=("$work/section-pg.md")
}

if has_part http || has_part api; then part_http_api; fi
if has_part bulk; then part_bulk; fi
if has_part stream; then part_stream; fi
if has_part instructions; then part_instructions; fi
if has_part concurrency; then part_concurrency; fi
if has_part durability; then part_durability; fi
if has_part changelog; then part_changelog; fi
if has_part auth; then part_auth; fi
if has_part scale || has_part memory; then part_scale; fi
if has_part pg; then part_pg; fi
if has_part scale-pg; then part_scale_pg; fi

{
  echo "# kith benchmarks"
  echo
  echo "Measured by \`bash bench/run.sh\` (parts: $PARTS) on $(date -u +%Y-%m-%d) at commit"
  echo "$(git rev-parse --short HEAD 2>/dev/null || echo unknown), $(nproc) cores. Ratios are measured side by side in the same run."
  echo
  for s in "${sections[@]}"; do cat "$s"; done
  # What made each difference, kept by hand beside the measured tables.
  if [ -f bench/HISTORY.md ]; then echo; cat bench/HISTORY.md; fi
} | tee "$OUT.new"
mv "$OUT.new" "$OUT"
