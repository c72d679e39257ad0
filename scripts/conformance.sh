#!/usr/bin/env bash
# Replays the CiviCRM conformance corpus (shared/conformance, real answers of
# CiviCRM 6.15) against a fresh kith and prints what differs.
#
#   bash scripts/conformance.sh [--bin build/kith] [--min-match N] [--only REGEX] [--verbose]
#
# The server gets a fresh data directory with an admin and a viewer user, and
# reads q=civicrm/<entity>/<action> as APIv3 (q_dialect = "v3"), as the
# recorded CiviCRM does. With --min-match N it exits 1 when fewer than N steps
# match (with --ignore-order), so a test can hold the count where it is.
# With --postgresql the server keeps its data in a fresh database of the
# PostgreSQL server KITH_TEST_PG_URL names (scripts/pg-cluster.sh starts one),
# dropped again at the end.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

bin=$root/build/kith
min_match=0
postgresql=0
replay_args=()
while (($#)); do
  case $1 in
    --bin) bin=$2; shift 2 ;;
    --min-match) min_match=$2; shift 2 ;;
    --only) replay_args+=(--only "$2"); shift 2 ;;
    --verbose) replay_args+=(--verbose); shift ;;
    --postgresql) postgresql=1; shift ;;
    *) echo "conformance.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

corpus_dir=${KITH_CONFORMANCE_DIR:-$root/../shared/conformance}
if [ ! -f "$corpus_dir/corpus.jsonl" ]; then
  echo "conformance.sh: no corpus at $corpus_dir (set KITH_CONFORMANCE_DIR)" >&2
  exit 1
fi

work=$(mktemp -d)
server=
pg_db=
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  if [ -n "$pg_db" ]; then psql "$KITH_TEST_PG_URL" -q -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

data=$work/data
init_args=()
if ((postgresql)); then
  if [ -z "${KITH_TEST_PG_URL:-}" ]; then
    echo "conformance.sh: --postgresql needs KITH_TEST_PG_URL" >&2
    exit 1
  fi
  pg_db=kith_conformance_$$
  psql "$KITH_TEST_PG_URL" -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $pg_db" >/dev/null
  init_args=(--database "$(node -e 'const u=new URL(process.argv[1]);u.pathname="/"+process.argv[2];console.log(u.toString())' "$KITH_TEST_PG_URL" "$pg_db")")
fi
"$bin" init --data "$data" "${init_args[@]}" >/dev/null
site_key=$(sed -n 's/^site_key = "\(.*\)"$/\1/p' "$data/kith.toml")
echo 'q_dialect = "v3"' >>"$data/kith.toml"
admin_key=$("$bin" user add admin --data "$data" --password admin-Pass-1 --role admin | tail -n 1)
viewer_key=$("$bin" user add viewer --data "$data" --password viewer-Pass-3 --role viewer | tail -n 1)

# A free loopback port: bind port 0 and read what the kernel chose.
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});')
"$bin" serve --data "$data" --listen "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 300); do
  curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
  sleep 0.1
done

node "$corpus_dir/replay.js" --compare "$corpus_dir/corpus.jsonl" \
  --base "http://127.0.0.1:$port" --site-key "$site_key" --api-key "$admin_key" \
  --viewer-key "$viewer_key" --extern-path /civicrm/extern/rest.php --ignore-order \
  "${replay_args[@]}" | tee "$work/replay.out"

summary=$(tail -n 1 "$work/replay.out")
matched=${summary%% matched*}
if ! [[ $matched =~ ^[0-9]+$ ]]; then
  echo "conformance.sh: replay gave no summary" >&2
  exit 1
fi
if ((matched < min_match)); then
  echo "conformance.sh: $matched steps matched, fewer than the $min_match held" >&2
  exit 1
fi
