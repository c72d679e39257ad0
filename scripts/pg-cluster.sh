#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for kith's tests.
#   scripts/pg-cluster.sh start DIR   creates DIR, runs initdb there as the
#                                     unprivileged `postgres` user, starts the
#                                     server on 127.0.0.1 on a free port and
#                                     prints its URL (trust authentication:
#                                     loopback only, for tests)
#   scripts/pg-cluster.sh stop DIR    stops that server and removes DIR
#   scripts/pg-cluster.sh down DIR    stops that server, keeping its data
#                                     (-m fast: connections are cut, as in a
#                                     restart or a failover)
#   scripts/pg-cluster.sh up DIR      starts it again on the same port
# Installs Debian's postgresql-15 when it is missing. Tests run with fsync off
# (a throwaway cluster); PG_FSYNC=on keeps PostgreSQL's default, as the
# benchmarks do so that writes cost what they cost in production.
# PG_PROFILE=production (the benchmarks) sizes the cluster as docs/deploy.md
# recommends for a server of this machine's memory instead of PostgreSQL's
# defaults (128 MB of shared buffers): written into DIR's postgresql.conf by
# start (or up), so that later starts keep it.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
if [[ -z "$cmd" || -z "$dir" ]]; then
  echo "usage: $0 start|stop|down|up DIR" >&2
  exit 2
fi
dir=$(realpath -m "$dir")  # the server's socket directory (-k) must not be relative
bin=/usr/lib/postgresql/15/bin

# Runs a command as the cluster's owner (root may not run a PostgreSQL server).
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# The settings docs/deploy.md recommends for a database server with this
# machine's memory (a quarter of it for shared buffers, three quarters
# expected in caches, flash storage).
production_settings() {
  local mb=$(( $(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) / 1024 ))
  local shared=$(( mb / 4 )) maintenance=$(( mb / 16 ))
  (( shared > 8192 )) && shared=8192
  (( maintenance > 2048 )) && maintenance=2048
  cat <<CONF
# PG_PROFILE=production (scripts/pg-cluster.sh), for ${mb} MB of memory
shared_buffers = ${shared}MB
effective_cache_size = $(( mb * 3 / 4 ))MB
maintenance_work_mem = ${maintenance}MB
work_mem = 16MB
random_page_cost = 1.1
effective_io_concurrency = 200
max_wal_size = 4GB
checkpoint_timeout = 15min
CONF
}

# Appends the settings of PG_PROFILE (production) to DIR's configuration
# when they are not there yet.
use_profile() {
  local conf="$dir/data/postgresql.conf"
  if [[ ${PG_PROFILE:-} == production ]] && ! grep -q '^# PG_PROFILE=production' "$conf"; then
    production_settings | as_owner tee -a "$conf" >/dev/null
  fi
}

# Starts the cluster in DIR listening on 127.0.0.1:$1.
start_server() {
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $1 -k $dir -c max_connections=300 -c fsync=${PG_FSYNC:-off}" \
    start >/dev/null
}

case "$cmd" in
  start)
    if [[ ! -x $bin/initdb ]]; then
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >&2
      apt-get install -y -qq postgresql-15 postgresql-contrib >&2
    fi
    mkdir -p "$dir"
    [[ $(id -u) -eq 0 ]] && chown postgres: "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust --locale=C -E UTF8 >/dev/null
    use_profile
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    echo "$port" > "$dir/port"
    start_server "$port"
    echo "postgresql://postgres@127.0.0.1:$port/postgres"
    ;;
  down)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
  up)
    use_profile
    start_server "$(cat "$dir/port")"
    ;;
  stop)
    if [[ -d "$dir/data" ]]; then
      as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|stop|down|up DIR" >&2
    exit 2
    ;;
esac
