#!/usr/bin/env bash
# HTTP load benchmark: generates COUNT synthetic incidents (default 1,000,000; kept under
# target/bench-data/ for the next run), starts the release server on them, measures the time
# to the first answer and the resident memory, then drives each query class with wrk from
# Debian's packages (client and server share the machine) and prints one Markdown table.
#
#   bash benches/http.sh [COUNT]          DURATION=10 CONNECTIONS=16 to change the load
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-1000000}
duration=${DURATION:-5}
connections=${CONNECTIONS:-16}
port=${PORT:-18098}

sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
command -v wrk >/dev/null 2>&1 || $sudo_cmd apt-get install -y -qq wrk >/dev/null
cargo build --release --bin strikemap >/dev/null 2>&1
data=target/bench-data/$count
if [ ! -f "$data/incidents.geojson" ]; then
  echo "generating $count incidents into $data" >&2
  ./target/release/strikemap generate --count "$count" --out "$data" >/dev/null
fi

# The web directory holds copies of two pages, served as static files: what the HTTP stack
# alone costs for the same bytes.
web=target/bench-web
mkdir -p "$web"
start_server() {
  ./target/release/strikemap serve --addr "127.0.0.1:$port" --data "$data" --web "$web" --max-concurrent 64 >/tmp/strikemap-bench.log 2>&1 &
  pid=$!
  until curl -sf "http://127.0.0.1:$port/api/health" >/dev/null; do
    kill -0 $pid 2>/dev/null || { cat /tmp/strikemap-bench.log >&2; exit 1; }
    sleep 0.05
  done
}
source benches/nginx.sh
nginx_port=$((port + 1))
trap 'kill $pid 2>/dev/null || true; stop_nginx' EXIT
# A first start measures every incident (and writes the snapshot); a restart reads it.
rm -f "$data/.strikemap.snapshot"
started=$(date +%s.%N)
start_server
first=$(echo "$(date +%s.%N) - $started" | bc)
kill $pid; wait $pid 2>/dev/null || true
started=$(date +%s.%N)
start_server
ready=$(echo "$(date +%s.%N) - $started" | bc)
rss_mb=$(( $(awk '/VmRSS/ {print $2}' /proc/$pid/status) / 1024 ))

root="http://127.0.0.1:$port"
base="$root/api"
curl -s "$base/collections/incidents/items?limit=10" >"$web/page10.json"
curl -s "$base/collections/incidents/items?limit=100" >"$web/page100.json"
curl -s "$base/health" >"$web/health.json"
start_nginx "$(pwd)/$web" "$nginx_port"
queries=(
  "health|/health"
  "one item|/collections/incidents/items/syn-0500000"
  "no filter, limit=1|/collections/incidents/items?limit=1"
  "no filter, limit=100|/collections/incidents/items?limit=100"
  "the same 10 features as a static file|@/page10.json"
  "the same 100 features as a static file|@/page100.json"
  "nginx: the same bytes as health|%/health.json"
  "nginx: the same 10 features|%/page10.json"
  "nginx: the same 100 features|%/page100.json"
  "bbox Stepanakert, limit=10|/collections/incidents/items?bbox=46.70,39.78,46.80,39.86&limit=10"
  "bbox Stepanakert, limit=100|/collections/incidents/items?bbox=46.70,39.78,46.80,39.86&limit=100"
  "bbox + datetime, limit=10|/collections/incidents/items?bbox=46.70,39.78,46.80,39.86&datetime=2020-10-01/2020-10-15&limit=10"
  "datetime one day, limit=10|/collections/incidents/items?datetime=2020-10-04&limit=10"
  "town + date, limit=100|/collections/incidents/items?town=khankendi&datetime=2020-10-04&limit=100"
  "weapon + type, limit=10|/collections/incidents/items?weapon=cluster_munition&type=shelling&limit=10"
  "town + depth_min_km=10, limit=10|/collections/incidents/items?town=khankendi&depth_min_km=10&limit=10"
  "town + depth_min_km=10 by -depth_km, limit=10|/collections/incidents/items?town=khankendi&depth_min_km=10&sortby=-depth_km&limit=10"
  "text q=berdzor (a word in 2.6 %), limit=10|/collections/incidents/items?q=berdzor&limit=10"
  "text q=school (no match), limit=10|/collections/incidents/items?q=school&limit=10"
  "text of two words q=near berdzor, limit=10|/collections/incidents/items?q=near%20berdzor&limit=10"
  "text of two words, 11,111 pairs, q=incident 12, limit=10|/collections/incidents/items?q=incident%2012&limit=10"
  "text of three words q=synthetic incident 5, limit=10|/collections/incidents/items?q=synthetic%20incident%205&limit=10"
  "text of four words q=incident 12 near berdzor, limit=10|/collections/incidents/items?q=incident%2012%20near%20berdzor&limit=10"
  "town by -depth_km, limit=10|/collections/incidents/items?town=khankendi&sortby=-depth_km&limit=10"
  "depth_min_km=50, limit=10|/collections/incidents/items?depth_min_km=50&limit=10"
  "sortby=-depth_km, limit=10|/collections/incidents/items?sortby=-depth_km&limit=10"
  "sortby=-killed, limit=10|/collections/incidents/items?sortby=-killed&limit=10"
  "near Stepanakert 5 km, limit=10|/collections/incidents/items?near=46.75,39.82&within_km=5&limit=10"
  "bbox Stepanakert by -depth_km, limit=10|/collections/incidents/items?bbox=46.70,39.78,46.80,39.86&sortby=-depth_km&limit=10"
  "bbox Stepanakert + depth_min_km=10, limit=10|/collections/incidents/items?bbox=46.70,39.78,46.80,39.86&depth_min_km=10&limit=10"
  "near 5 km + depth_min_km=10, limit=10|/collections/incidents/items?near=46.75,39.82&within_km=5&depth_min_km=10&limit=10"
  "near 5 km by -killed, limit=100|/collections/incidents/items?near=46.75,39.82&within_km=5&sortby=-killed&limit=100"
  "bbox + datetime by -depth_km, limit=10|/collections/incidents/items?bbox=46.70,39.78,46.80,39.86&datetime=2020-10-01/2020-10-15&sortby=-depth_km&limit=10"
  "datetime one day + depth_min_km=10, limit=10|/collections/incidents/items?datetime=2020-10-04&depth_min_km=10&limit=10"
  "type + weapon + depth_min_km=20, limit=10|/collections/incidents/items?type=shelling&weapon=cluster_munition&depth_min_km=20&limit=10"
  "bbox Stepanakert + weapon, limit=10|/collections/incidents/items?bbox=46.70,39.78,46.80,39.86&weapon=artillery&limit=10"
  "bbox + weapon + datetime, limit=10|/collections/incidents/items?bbox=46.70,39.78,46.80,39.86&weapon=artillery&datetime=2020-10-01/2020-10-15&limit=10"
  "near 5 km + type, limit=10|/collections/incidents/items?near=46.75,39.82&within_km=5&type=shelling&limit=10"
  "bbox + weapon by -depth_km, limit=10|/collections/incidents/items?bbox=46.70,39.78,46.80,39.86&weapon=artillery&sortby=-depth_km&limit=10"
  "near 5 km + type by -killed, limit=10|/collections/incidents/items?near=46.75,39.82&within_km=5&type=shelling&sortby=-killed&limit=10"
  "bbox + weapon + type, limit=10|/collections/incidents/items?bbox=46.70,39.78,46.80,39.86&weapon=artillery&type=shelling&limit=10"
  "reported_by + verification + min_killed=1, limit=10|/collections/incidents/items?reported_by=media&verification=weak&min_killed=1&limit=10"
  "datetime one day + min_killed=1, limit=10|/collections/incidents/items?datetime=2020-10-04&min_killed=1&limit=10"
  "CQL2 depth_km > 30 AND killed >= 1, limit=10|/collections/incidents/items?filter=depth_km%20%3E%2030%20AND%20killed%20%3E%3D%201&limit=10"
  "1,000-feature page|/collections/incidents/items?limit=1000&offset=200000"
  "tile z5 (whole region, cells)|/collections/incidents/tiles/WebMercatorQuad/5/12/20"
  "tile z8 Stepanakert (cells)|/collections/incidents/tiles/WebMercatorQuad/8/97/161"
  "tile z12 Stepanakert|/collections/incidents/tiles/WebMercatorQuad/12/1553/2579"
  "tile z5, type=shelling&verification=weak|/collections/incidents/tiles/WebMercatorQuad/5/12/20?type=shelling&verification=weak"
  "tile z5, revalidated (304)|/collections/incidents/tiles/WebMercatorQuad/5/12/20|If-None-Match"
  "stats, town=hadrut|/stats?town=hadrut"
  "stats, no filter|/stats"
)

echo "strikemap $(git rev-parse --short HEAD), $count incidents, $(nproc) cores, wrk -t2 -c$connections -d${duration}s"
echo
echo "first start (reads, measures, writes the snapshot): ${first%???????} s; restart, ready to serve: ${ready%???????} s; resident memory ${rss_mb} MB"
echo
# One wrk run: requests/s, p50 and p99.
load() {
  local out
  out=$(wrk -t"${threads:-2}" -c"$connections" -d"${duration}s" --latency "$@" 2>&1)
  echo "$out" | awk '/Requests\/sec/ {r = int($2)} $1 == "50%" {p50 = $2} $1 == "99%" {p99 = $2} END {print r, p50, p99}'
}
# A page of at most 100 features is measured against /api/health run just before it: the
# target is half of health's rate in the same run, and the machine's speed drifts over one.
paged() {
  [[ $1 == /collections/incidents/items\?* ]] || return 1
  local limit
  limit=$(echo "$1" | grep -o 'limit=[0-9]*' | cut -d= -f2)
  [ "${limit:-10}" -le 100 ]
}

echo "| request | matched | requests/s | p50 | p99 | share of health (run just before) |"
echo "|---|---|---|---|---|---|"
for entry in "${queries[@]}"; do
  IFS='|' read -r name path conditional <<<"$entry"
  # A path after @ is the site's, not the API's; after %, nginx's.
  url="$base$path"; [[ $path == @* ]] && url="$root${path#@}"
  [[ $path == %* ]] && url="http://127.0.0.1:$nginx_port${path#%}"
  matched=$(curl -s "$url" | grep -ao '"numberMatched":[0-9]*' | head -1 | cut -d: -f2 || true)
  extra=()
  if [ -n "${conditional:-}" ]; then
    tag=$(curl -s -o /dev/null -D - "$url" | awk 'tolower($1) == "etag:" {print $2}' | tr -d '\r')
    extra=(-H "If-None-Match: $tag")
  fi
  share=""
  if paged "$path"; then
    read -r health_rps _ <<<"$(load "$base/health")"
    read -r rps p50 p99 <<<"$(load "${extra[@]}" "$url")"
    share="$(( rps * 1000 / health_rps / 10 )).$(( rps * 1000 / health_rps % 10 )) % of $health_rps"
  else
    read -r rps p50 p99 <<<"$(load "${extra[@]}" "$url")"
  fi
  echo "| $name | ${matched:-} | $rps | $p50 | $p99 | $share |"
done
echo
echo "| streamed download of every incident | bytes | seconds | MB/s |"
echo "|---|---|---|---|"
for format in geojson csv; do
  read -r bytes seconds < <(curl -s -o /dev/null -w "%{size_download} %{time_total}\n" "$base/collections/incidents/download?f=$format")
  echo "| $format | $bytes | $seconds | $(echo "$bytes / $seconds / 1000000" | bc) |"
done
# Under the table's 16 clients on two cores a summary's p50 is mostly its wait behind the
# others (each takes both cores for its pass); one at a time, it is the summary's own time.
echo
echo "| one request at a time (wrk -t1 -c1) | requests/s | p50 | p99 |"
echo "|---|---|---|---|"
for entry in "stats, town=hadrut|/stats?town=hadrut" "stats, type=shelling|/stats?type=shelling" \
  "stats, the whole war (every incident)|/stats?datetime=2020-09-27/2020-11-10" "stats, no filter|/stats"; do
  IFS='|' read -r name path <<<"$entry"
  read -r rps p50 p99 <<<"$(threads=1 connections=1 load "$base$path")"
  echo "| $name | $rps | $p50 | $p99 |"
done
rss_after=$(( $(awk '/VmRSS/ {print $2}' /proc/$pid/status) / 1024 ))
echo
echo "resident memory after the load: ${rss_after} MB"
