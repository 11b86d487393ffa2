#!/usr/bin/env bash
# Before and after: builds commit OLD (a git worktree under target/ab/, its own target
# directory) and the working tree, both release; starts both servers at once on the same data
# (target/bench-data/COUNT, made by benches/http.sh), and drives each request with wrk against
# old, new, old, new, so that the machine's drift falls on both alike. Prints one Markdown
# table of requests per second.
#
#   bash benches/ab.sh OLD [COUNT]        DURATION=4 CONNECTIONS=16 to change the load
set -euo pipefail
cd "$(dirname "$0")/.."
old=${1:?usage: benches/ab.sh OLD_COMMIT [COUNT]}
count=${2:-1000000}
duration=${DURATION:-4}
connections=${CONNECTIONS:-16}
data=target/bench-data/$count
[ -f "$data/incidents.geojson" ] || { echo "run benches/http.sh $count first" >&2; exit 1; }
tree=target/ab/tree
rm -rf "$tree"
git worktree prune
git worktree add --detach "$tree" "$old" >/dev/null 2>&1
CARGO_TARGET_DIR=target/ab/target cargo build --release --bin strikemap --manifest-path "$tree/Cargo.toml" >/dev/null 2>&1
cargo build --release --bin strikemap >/dev/null 2>&1
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; git worktree remove --force "$tree" 2>/dev/null || true' EXIT
serve() { # binary port
  "$1" serve --addr "127.0.0.1:$2" --data "$data" --max-concurrent 64 >"/tmp/strikemap-ab-$2.log" 2>&1 &
  pids+=($!)
  until curl -sf "http://127.0.0.1:$2/api/health" >/dev/null; do sleep 0.1; done
}
serve target/ab/target/release/strikemap 18111
serve target/release/strikemap 18112
queries=(
  "health|/health"
  "one item|/collections/incidents/items/syn-0500000"
  "no filter, limit=100|/collections/incidents/items?limit=100"
  "bbox Stepanakert, limit=10|/collections/incidents/items?bbox=46.70,39.78,46.80,39.86&limit=10"
  "weapon + type, limit=10|/collections/incidents/items?weapon=cluster_munition&type=shelling&limit=10"
  "town + date, limit=100|/collections/incidents/items?town=khankendi&datetime=2020-10-04&limit=100"
  "sortby=-killed, limit=10|/collections/incidents/items?sortby=-killed&limit=10"
  "tile z12 Stepanakert|/collections/incidents/tiles/WebMercatorQuad/12/1553/2579"
  "stats, town=hadrut|/stats?town=hadrut"
)
rate() { wrk -t2 -c"$connections" -d"${duration}s" "$1" 2>/dev/null | awk '/Requests\/sec/ {printf "%d", $2}'; }
echo "| request | old | new | old | new |"
echo "|---|---|---|---|---|"
for entry in "${queries[@]}"; do
  name=${entry%%|*}; path=${entry#*|}
  row="| $name"
  for port in 18111 18112 18111 18112; do row="$row | $(rate "http://127.0.0.1:$port/api$path")"; done
  echo "$row |"
done
