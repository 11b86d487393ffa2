"""GDAL as bundled in pyogrio (PyPI) reads strikemap: typed columns from the collection's
schema, filters sent to the server, and every incident of the fixture dataset.

Usage: python pyogrio_client.py BASE_URL   (exits non-zero, with a message, on any failure)
"""
import sys

import numpy as np
import pyogrio
from pyogrio import raw

base = sys.argv[1]
source = f"OAPIF:{base}/api"
print("GDAL", pyogrio.__gdal_version_string__)

info = pyogrio.read_info(source, layer="incidents")
types = dict(zip(info["fields"], info["ogr_types"]))
for field in ("killed", "killed_high", "injured", "children_injured_high"):
    assert types[field] == "OFTInteger", f"{field} typed {types[field]}"
assert types["depth_km"] == "OFTReal", types["depth_km"]
assert types["date"] == "OFTDate", types["date"]
assert list(info["fields"]).count("id") == 1, list(info["fields"])
assert info["geometry_type"] == "Point", info["geometry_type"]
assert info["features"] == 6, info["features"]


def read(where=None):
    meta, _fids, geometry, fields = raw.read(source, layer="incidents", where=where)
    return dict(zip(meta["fields"], fields)), len(geometry)


everything, count = read()
assert count == 6, count
killed = everything["killed"]
total = int(np.nansum(np.asarray(killed, dtype="float64")))
assert total == 13, f"killed sums to {total}"

shelling, count = read("type = 'shelling'")
assert count == 2, count
assert sorted(shelling["id"]) == ["fx-001", "fx-003"], shelling["id"]

_, count = read("date >= '2020-10-11'")
assert count == 3, count
print("ok")
