#!/usr/bin/env bash
# PostGIS as a second witness of strikemap's depths: the 2,000 random points of
# tests/fixtures/depth_reference.json (GeographicLib's distance to the pre-war line of contact,
# which tests/geodesy.rs holds strikemap's depths to within 1 m) are measured again with
# PostGIS's geography distance (ST_Distance on the spheroid) to the same eleven parts of the
# line; prints how far PostGIS is from GeographicLib. Uses the PostgreSQL cluster of
# benches/vs_tipg.sh (target/bench-pg; run that first).
#
#   bash benches/depth_postgis.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
pg_bin=/usr/lib/postgresql/15/bin
pgdir=$root/target/bench-pg
pg_port=18432
[ -f "$pgdir/PG_VERSION" ] || { echo "run benches/vs_tipg.sh first (it makes target/bench-pg)" >&2; exit 1; }
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
as_pg "$pg_bin/pg_ctl" -D "$pgdir" -o "-p $pg_port -k /tmp" -l "$pgdir/log" -w start >/dev/null
trap 'as_pg "$pg_bin/pg_ctl" -D "$pgdir" -m fast stop >/dev/null 2>&1 || true' EXIT
psql=(psql -h /tmp -p "$pg_port" -U postgres -q -At -v ON_ERROR_STOP=1 postgres)
# The same selection as tests/fixtures/make_depth_reference.py: kind line, not coarse, valid
# to 2020-09-26.
python3 - "$root" >/tmp/depth_postgis.sql <<'EOF'
import json, sys, pathlib
root = pathlib.Path(sys.argv[1])
loc = json.loads((root / "data/line_of_contact.geojson").read_text())
parts = [f["geometry"] for f in loc["features"]
         if f["properties"].get("kind") == "line" and not f["properties"].get("coarse")
         and f["properties"].get("valid_to") == "2020-09-26"]
cases = json.loads((root / "tests/fixtures/depth_reference.json").read_text())["cases"]
print("set client_min_messages = warning;")
print("drop table if exists witness_line, witness_points;")
print("create table witness_line (geog geography);")
print("create table witness_points (n int, lon float8, lat float8, metres float8);")
for g in parts:
    print(f"insert into witness_line values (ST_GeomFromGeoJSON('{json.dumps(g)}')::geography);")
print("insert into witness_points values " + ",".join(
    f"({i},{c['p'][0]},{c['p'][1]},{c['metres']})" for i, c in enumerate(cases)) + ";")
EOF
"${psql[@]}" -f /tmp/depth_postgis.sql >/dev/null
"${psql[@]}" -F ' | ' <<'EOF'
select '| points | PostGIS - GeographicLib: median | 99th percentile | largest | largest at (m from the line) |';
select '|---|---|---|---|---|';
with measured as (
  select p.n, p.metres as geographiclib,
         (select min(ST_Distance(ST_MakePoint(p.lon, p.lat)::geography, l.geog, true))
            from witness_line l) as postgis
  from witness_points p),
diff as (select abs(postgis - geographiclib) as d, geographiclib from measured)
select '| ' || count(*) || ' | '
    || round(percentile_cont(0.5) within group (order by d)::numeric, 3) || ' m | '
    || round(percentile_cont(0.99) within group (order by d)::numeric, 3) || ' m | '
    || round(max(d)::numeric, 3) || ' m | '
    || round((select geographiclib from diff order by d desc limit 1)::numeric, 0) || ' |'
from diff;
EOF
