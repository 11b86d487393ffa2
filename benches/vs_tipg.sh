#!/usr/bin/env bash
# strikemap against tipg over PostgreSQL + PostGIS, on the same generated incidents, the same
# machine and the same queries, alternating between the two servers in one run; prints one
# Markdown table with the ratios (strikemap serves the same file read-only, `--no-db`, so that
# both answer from exactly the same rows), then restarts both (PostgreSQL with tipg; strikemap) and
# times each to its first answer to the same bbox query. Installs Debian's postgresql and postgis and tipg from PyPI
# (into target/bench-venv) when missing; the PostgreSQL cluster lives in target/bench-pg.
#
#   bash benches/vs_tipg.sh [COUNT]        DURATION=5 CONNECTIONS=16
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-1000000}
duration=${DURATION:-5}
connections=${CONNECTIONS:-16}
sm_port=18098
tipg_port=18099
pg_port=18432
root=$(pwd)

sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
pg_bin=/usr/lib/postgresql/15/bin
if [ ! -x "$pg_bin/postgres" ] || [ ! -d /usr/share/postgresql/15/extension ] || ! ls /usr/share/postgresql/15/extension/postgis.control >/dev/null 2>&1; then
  $sudo_cmd apt-get install -y -qq postgresql postgresql-15-postgis-3 wrk bc >/dev/null
fi
command -v wrk >/dev/null || $sudo_cmd apt-get install -y -qq wrk bc >/dev/null
# ogr2ogr loads the GeoJSON into PostGIS.
command -v ogr2ogr >/dev/null || $sudo_cmd apt-get install -y -qq gdal-bin >/dev/null
venv=target/bench-venv
if [ ! -x "$venv/bin/uvicorn" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "tipg==1.6.*" uvicorn
fi

cargo build --release --bin strikemap >/dev/null 2>&1
data=target/bench-data/$count
[ -f "$data/incidents.geojson" ] || ./target/release/strikemap generate --count "$count" --out "$data" >/dev/null

# PostgreSQL, run as the postgres user when we are root (initdb refuses root).
pgdir=$root/target/bench-pg
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ ! -f "$pgdir/PG_VERSION" ]; then
  mkdir -p "$pgdir"; [ "$(id -u)" -eq 0 ] && chown postgres "$pgdir"
  as_pg "$pg_bin/initdb" -D "$pgdir" -A trust -U postgres >/dev/null
fi
as_pg "$pg_bin/pg_ctl" -D "$pgdir" -o "-p $pg_port -k /tmp -c shared_buffers=2GB -c max_connections=200" -l "$pgdir/log" -w start >/dev/null
source benches/nginx.sh
nginx_port=18100
cleanup() {
  kill "${sm_pid:-}" "${tipg_pid:-}" 2>/dev/null || true
  stop_nginx
  as_pg "$pg_bin/pg_ctl" -D "$pgdir" -m fast stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
psql=(psql -h /tmp -p "$pg_port" -U postgres -q -v ON_ERROR_STOP=1)
loaded=$("${psql[@]}" -At -c "select count(*) from pg_tables where tablename = 'incidents'" postgres)
if [ "$loaded" != 1 ]; then
  echo "loading $count incidents into PostGIS" >&2
  "${psql[@]}" -c "create extension if not exists postgis" postgres
  ogr2ogr -f PostgreSQL "PG:host=/tmp port=$pg_port user=postgres dbname=postgres" \
    "$data/incidents.geojson" -nln incidents -lco GEOMETRY_NAME=geom -lco FID=gid \
    -lco SPATIAL_INDEX=GIST --config PG_USE_COPY YES -gt 100000 >/dev/null
  "${psql[@]}" -c "create index on incidents (id); create index on incidents (date); analyze incidents" postgres
fi

./target/release/strikemap serve --addr "127.0.0.1:$sm_port" --data "$data" --no-db --max-concurrent 64 >/tmp/strikemap-bench.log 2>&1 &
sm_pid=$!
DATABASE_URL="postgresql://postgres@127.0.0.1:$pg_port/postgres" TIPG_NAME="tipg" \
  "$venv/bin/uvicorn" tipg.main:app --host 127.0.0.1 --port "$tipg_port" --workers 2 --log-level warning >/tmp/tipg-bench.log 2>&1 &
tipg_pid=$!
started=$(date +%s.%N)
until curl -sf "http://127.0.0.1:$tipg_port/collections" >/dev/null; do
  kill -0 $tipg_pid 2>/dev/null || { tail -20 /tmp/tipg-bench.log >&2; exit 1; }
  sleep 0.1
done
tipg_ready=$(echo "$(date +%s.%N) - $started" | bc)
until curl -sf "http://127.0.0.1:$sm_port/api/health" >/dev/null; do sleep 0.1; done

sm="http://127.0.0.1:$sm_port/api/collections/incidents"
tp="http://127.0.0.1:$tipg_port/collections/public.incidents"
box="46.70,39.78,46.80,39.86"
queries=(
  "single item|$sm/items/syn-0500000|$tp/items/500001"
  "bbox, limit=10|$sm/items?bbox=$box&limit=10|$tp/items?bbox=$box&limit=10"
  "bbox, limit=100|$sm/items?bbox=$box&limit=100|$tp/items?bbox=$box&limit=100"
  "bbox + datetime, limit=10|$sm/items?bbox=$box&datetime=2020-10-01/2020-10-15&limit=10|$tp/items?bbox=$box&datetime=2020-10-01T00:00:00Z/2020-10-15T23:59:59Z&limit=10"
  "1,000-feature page|$sm/items?limit=1000&offset=200000|$tp/items?limit=1000&offset=200000"
  "no filter, limit=10|$sm/items?limit=10|$tp/items?limit=10"
)
rps() { wrk -t2 -c"$connections" -d"${duration}s" "$1" 2>&1 | awk '/Requests\/sec/ {printf "%d", $2}'; }

echo "$count incidents, $(nproc) cores, wrk -t2 -c$connections -d${duration}s; strikemap $(git rev-parse --short HEAD), tipg $("$venv/bin/pip" show tipg | awk '/^Version/ {print $2}'), $(psql --version | head -1)"
echo "tipg answered $tipg_ready s after its start (PostgreSQL already running)"
echo
echo "| query | strikemap: status, matched | tipg: status, matched | strikemap req/s | tipg req/s | ratio |"
echo "|---|---|---|---|---|---|"
answer() {
  local body status
  body=$(curl -s -w '\n%{http_code}' "$1")
  status=${body##*$'\n'}
  echo "$status, $(echo "$body" | grep -o '"numberMatched":[0-9]*' | head -1 | cut -d: -f2)"
}
for entry in "${queries[@]}"; do
  IFS='|' read -r name sm_url tp_url <<<"$entry"
  a=$(rps "$sm_url")   # alternating: strikemap, then tipg, for each query
  b=$(rps "$tp_url")
  ratio=$( [ "${b:-0}" -gt 0 ] && echo "scale=1; $a / $b" | bc || echo "-")
  echo "| $name | $(answer "$sm_url") | $(answer "$tp_url") | $a | $b | $ratio |"
done

# The ceiling: nginx sending the single item's bytes as a static file. No server on this
# machine answers that request faster, so no server can beat tipg's single item by more.
item_dir=target/bench-item
mkdir -p "$item_dir"
curl -s "$sm/items/syn-0500000" >"$item_dir/item.json"
start_nginx "$root/$item_dir" "$nginx_port"
a=$(rps "http://127.0.0.1:$nginx_port/item.json")
b=$(rps "$tp/items/500001")
echo "| nginx: the single item's bytes as a static file, the machine's ceiling | $(answer "http://127.0.0.1:$nginx_port/item.json") | $(answer "$tp/items/500001") | $a | $b | $(echo "scale=1; $a / $b" | bc) |"
stop_nginx

# Restart to first answer: each stack stopped, started again and asked the bbox query until
# it answers 200 (three times each, alternating).
first_answer() { # url, started
  until curl -sf "$1" >/dev/null; do sleep 0.01; done
  echo "$(date +%s.%N) - $2" | bc
}
echo
echo "| restart to first answer (bbox, limit=10) | strikemap s | PostgreSQL + tipg s |"
echo "|---|---|---|"
for round in 1 2 3; do
  kill "$sm_pid"; wait "$sm_pid" 2>/dev/null || true
  started=$(date +%s.%N)
  ./target/release/strikemap serve --addr "127.0.0.1:$sm_port" --data "$data" --no-db --max-concurrent 64 >/tmp/strikemap-bench.log 2>&1 &
  sm_pid=$!
  a=$(first_answer "$sm/items?bbox=$box&limit=10" "$started")
  kill "$tipg_pid"; wait "$tipg_pid" 2>/dev/null || true
  as_pg "$pg_bin/pg_ctl" -D "$pgdir" -m fast stop >/dev/null
  started=$(date +%s.%N)
  as_pg "$pg_bin/pg_ctl" -D "$pgdir" -o "-p $pg_port -k /tmp -c shared_buffers=2GB -c max_connections=200" -l "$pgdir/log" -w start >/dev/null
  DATABASE_URL="postgresql://postgres@127.0.0.1:$pg_port/postgres" TIPG_NAME="tipg" \
    "$venv/bin/uvicorn" tipg.main:app --host 127.0.0.1 --port "$tipg_port" --workers 2 --log-level warning >/tmp/tipg-bench.log 2>&1 &
  tipg_pid=$!
  b=$(first_answer "$tp/items?bbox=$box&limit=10" "$started")
  echo "| restart $round | $a | $b |"
done
