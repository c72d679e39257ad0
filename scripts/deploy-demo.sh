#!/usr/bin/env bash
# docs/deploy.md brought up on loopback, smoke-tested, and stopped:
#   scripts/deploy-demo.sh [--bin PATH/TO/kith] [--keep]
# A PostgreSQL cluster of its own (scripts/pg-cluster.sh), two `kith serve`
# on one database, and nginx serving docs/deploy/nginx-kith.conf (its ports
# replaced by free ones). Then, through nginx: a session opened by a login on
# one server is used for calls that nginx spreads over both, a contact created
# is read back, and the access log shows that both servers answered. Everything
# is stopped at the end (--keep: left running until Enter is pressed).
# Exit 0 when the smoke test passes, 77 when nginx or PostgreSQL is missing.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
bin=${KITH_BIN:-$root/build/kith}
keep=0
while (($#)); do
  case "$1" in
    --bin) bin=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: $0 [--bin PATH] [--keep]" >&2; exit 2 ;;
  esac
done
bin=$(realpath "$bin")
if ! command -v nginx >/dev/null || [[ ! -x /usr/lib/postgresql/15/bin/initdb ]]; then
  echo "deploy-demo: needs nginx and postgresql-15 (scripts/install-deps.sh)" >&2
  exit 77
fi

work=$(mktemp -d /tmp/kith-deploy-XXXXXX)
chmod 755 "$work"  # nginx's workers and the postgres user reach their parts
pids=()
cleanup() {
  set +e
  [[ -f $work/nginx/nginx.pid ]] && kill "$(cat "$work/nginx/nginx.pid")"
  for p in "${pids[@]}"; do kill "$p"; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  bash "$here/pg-cluster.sh" stop "$work/pg"
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "deploy-demo: FAILED: $*" >&2
  for f in "$work"/a.log "$work"/b.log "$work"/nginx/error.log; do
    [[ -f $f ]] && { echo "--- $f" >&2; tail -20 "$f" >&2; }
  done
  exit 1
}
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# A member of a JSON document read from standard input, by a Python path.
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(d$1)"; }

# 1. One PostgreSQL database.
url=$(bash "$here/pg-cluster.sh" start "$work/pg")
psql "$url" -qc "CREATE DATABASE kith"
database=${url%/postgres}/kith

# 2. Two kith servers on it: one site key, users made once.
site_key=$("$bin" init --data "$work/a" --database "$database" | tail -1)
"$bin" init --data "$work/b" --database "$database" --site-key "$site_key" >/dev/null
api_key=$("$bin" user add demo --data "$work/a" --password 'demo-Pass-1' --role admin | tail -1)
port_a=$(free_port)
port_b=$(free_port)
port_nginx=$(free_port)
"$bin" serve --data "$work/a" --listen "127.0.0.1:$port_a" >"$work/a.log" 2>&1 &
pids+=($!)
"$bin" serve --data "$work/b" --listen "127.0.0.1:$port_b" >"$work/b.log" 2>&1 &
pids+=($!)
for port in "$port_a" "$port_b"; do
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
    sleep 0.1
  done
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || fail "kith on port $port did not start"
done

# 3. nginx with the documented site, on free ports.
mkdir -p "$work/nginx"
sed -e "s/127\.0\.0\.1:8081/127.0.0.1:$port_a/" -e "s/127\.0\.0\.1:8082/127.0.0.1:$port_b/" \
    -e "s/listen 80;/listen 127.0.0.1:$port_nginx;/" \
    "$root/docs/deploy/nginx-kith.conf" >"$work/nginx/kith.conf"
cat >"$work/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 256; }
http {
  log_format upstreams '\$request_method \$uri \$status \$upstream_addr';
  access_log $work/nginx/access.log upstreams;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  include $work/nginx/kith.conf;
}
EOF
nginx -e "$work/nginx/error.log" -p "$work/nginx" -c "$work/nginx/nginx.conf" || fail "nginx did not start"
front=http://127.0.0.1:$port_nginx
for _ in $(seq 50); do
  curl -sf "$front/healthz" >/dev/null && break
  sleep 0.1
done

# 4. The smoke test, through nginx.
rest() { curl -sf "$1/civicrm/extern/rest.php?$2"; }
login=$(rest "http://127.0.0.1:$port_a" "q=civicrm/login&key=$site_key&name=demo&pass=demo-Pass-1&json=1") ||
  fail "login on the first server"
session=$(json '["PHPSESSID"]' <<<"$login")
for i in 1 2 3 4; do
  answer=$(rest "$front" "q=civicrm/contact/search_count&key=$site_key&PHPSESSID=$session&json=1") ||
    fail "session call $i through nginx"
  [[ $(json '["is_error"]' <<<"$answer") == 0 ]] || fail "session call $i through nginx: $answer"
done
api4() {
  curl -sf -X POST "$front/civicrm/ajax/api4/$1" -H "X-Civi-Auth: Bearer $api_key" \
    -H "X-Civi-Key: $site_key" --data-urlencode "params=$2"
}
created=$(api4 Contact/create '{"values":{"contact_type":"Individual","first_name":"Deploy","last_name":"Demo"}}') ||
  fail "create through nginx"
id=$(json '["values"][0]["id"]' <<<"$created")
for i in 1 2 3 4; do
  read=$(api4 Contact/get "{\"select\":[\"display_name\"],\"where\":[[\"id\",\"=\",$id]]}") ||
    fail "read $i through nginx"
  [[ $(json '["values"][0]["display_name"]' <<<"$read") == "Deploy Demo" ]] || fail "read $i: $read"
done
for port in "$port_a" "$port_b"; do
  grep -q "127.0.0.1:$port\$" "$work/nginx/access.log" || fail "nginx sent nothing to the server on $port"
done
echo "deploy-demo: ok (nginx on $front, kith on ports $port_a and $port_b, one PostgreSQL database)"
if ((keep)); then
  read -r -p "running; press Enter to stop everything " _
fi
