"""OWSLib's OGC API – Features client: collections, queryables, and CQL2 filters in both
encodings, checked against the named parameters that mean the same.

Usage: python owslib_client.py BASE_URL
"""
import json
import sys

from owslib.ogcapi.features import Features

base = sys.argv[1]
api = Features(f"{base}/api")

collections = [c["id"] for c in api.collections()["collections"]]
assert "incidents" in collections, collections

queryables = api.collection_queryables("incidents")
properties = queryables["properties"]
for name in ("killed", "depth_km", "side", "town", "geometry", "datetime"):
    assert name in properties, f"{name} not queryable: {sorted(properties)}"


def ids(**params):
    page = api.collection_items("incidents", limit=100, **params)
    return sorted(f["id"] for f in page["features"])


by_filter = ids(filter="killed >= 2 AND S_INTERSECTS(geometry, BBOX(46, 39, 47.5, 41))")
assert by_filter == ["fx-001", "fx-004"], by_filter
as_json = json.dumps(
    {
        "op": "and",
        "args": [
            {"op": ">=", "args": [{"property": "killed"}, 2]},
            {"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [46, 39, 47.5, 41]}]},
        ],
    }
)
assert ids(filter=as_json, **{"filter-lang": "cql2-json"}) == by_filter
assert ids(filter="town = 'Xankəndi'") == ids(town="Stepanakert")
assert ids(filter="depth_km >= 20") == ids(depth_min_km=20)
print("ok")
