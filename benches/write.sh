#!/usr/bin/env bash
# What a write costs on a large store: creates an editor token on the store of
# target/bench-data/COUNT (made by benches/http.sh), starts the release server, and times
# WRITES creations and WRITES merge-patches one after another (each answered only once the
# index shows it), then a burst of concurrent creations, then reads on the index the writes
# changed (wrk) and the resident memory; prints Markdown tables.
#
#   bash benches/write.sh [COUNT]      WRITES=20 to change the number of writes
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-1000000}
writes=${WRITES:-20}
port=${PORT:-18099}
data=target/bench-data/$count
[ -f "$data/incidents.geojson" ] || { echo "run benches/http.sh $count first" >&2; exit 1; }
cargo build --release --bin strikemap >/dev/null 2>&1
./target/release/strikemap serve --addr "127.0.0.1:$port" --data "$data" >/tmp/strikemap-write.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$port/api/health" >/dev/null; do
  kill -0 $pid 2>/dev/null || { cat /tmp/strikemap-write.log >&2; exit 1; }
  sleep 0.1
done
token=$(./target/release/strikemap token create --data "$data" --role editor --name "write benchmark" 2>/dev/null)
api="http://127.0.0.1:$port/api/collections/incidents/items"
feature() {
  printf '{"type":"Feature","geometry":{"type":"Point","coordinates":[46.75,39.81]},"properties":{"id":"bench-%s","title":"Benchmark write %s (synthetic)","description":"Synthetic benchmark write; not a real event.","date":"2020-10-10","date_precision":"day","place":"stepanakert","geo_precision":"settlement","location_source":"benchmark","type":"shelling","weapon":"unknown","target":"unknown","perpetrator_alleged":"unknown","reported_by":["media"],"verification":"weak","sources":[{"publisher":"Benchmark","title":"Synthetic","url":"https://example.org/b","role":"primary"}]}}' "$1" "$1"
}
run=$(date +%s%N)
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
create_times=$(for i in $(seq 1 "$writes"); do
  feature "$run-$i" | curl -s -o /dev/null -w '%{time_total}\n' -X POST "$api" \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/geo+json' --data-binary @-
done)
patch_times=$(for i in $(seq 1 "$writes"); do
  curl -s -o /dev/null -w '%{time_total}\n' -X PATCH "$api/bench-$run-1" -H "Authorization: Bearer $token" \
    -H 'If-Match: *' -H 'Content-Type: application/merge-patch+json' -d "{\"properties\":{\"killed\":$i}}"
done)
burst_started=$(date +%s.%N)
for i in $(seq 1 "$writes"); do
  feature "$run-burst-$i" | curl -s -o /dev/null -X POST "$api" \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/geo+json' --data-binary @- &
done
wait $(jobs -p | grep -v "^$pid$") 2>/dev/null || true
burst=$(echo "$(date +%s.%N) - $burst_started" | bc)
echo "| write ($count incidents) | median s | max s |"
echo "|---|---|---|"
echo "| create, one at a time | $(echo "$create_times" | median) | $(echo "$create_times" | sort -n | tail -1) |"
echo "| merge-patch, one at a time | $(echo "$patch_times" | median) | $(echo "$patch_times" | sort -n | tail -1) |"
echo "| $writes creations at once | total ${burst%???????} s | |"
rss_mb=$(( $(awk '/VmRSS/ {print $2}' /proc/$pid/status) / 1024 ))
echo
echo "| read after the writes | requests/s |"
echo "|---|---|"
for entry in "no filter, limit=100|limit=100" "bbox Stepanakert, limit=10|bbox=46.70,39.78,46.80,39.86&limit=10" \
  "sortby=-killed, limit=10|sortby=-killed&limit=10" "town + date, limit=100|town=khankendi&datetime=2020-10-10&limit=100"; do
  rate=$(wrk -t2 -c16 -d4s "$api?${entry#*|}" 2>/dev/null | awk '/Requests\/sec/ {printf "%d", $2}')
  echo "| ${entry%%|*} | $rate |"
done
echo
echo "resident after the writes: $rss_mb MB"
