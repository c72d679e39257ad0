#!/usr/bin/env bash
# Installs what is missing, builds kith, and runs it on its embedded default:
# a data directory ./kith-data (created on first start, with a site key and an
# admin user) served on 127.0.0.1:8080.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DKITH_WERROR=OFF >/dev/null
ninja -C build kith

data=./kith-data
listen=${KITH_LISTEN:-127.0.0.1:8080}
if [ ! -e "$data/kith.toml" ]; then
  site_key=$(./build/kith init --data "$data" | tail -n 1)
  password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  api_key=$(./build/kith user add admin --data "$data" --password "$password" --role admin | tail -n 1)
  cat <<INFO

kith: created $data with a site key and an admin user.
  site key:        $site_key
  admin password:  $password
  admin api key:   $api_key
(the api key is stored hashed and will not be shown again)

Try it:
  curl 'http://$listen/civicrm/extern/rest.php?q=civicrm/contact/search&json=1&key=$site_key&api_key=$api_key'

INFO
else
  echo "kith: using existing $data (site key in $data/kith.toml)"
fi
exec ./build/kith serve --data "$data" --listen "$listen"
