"""Writes the curated dataset: data/sources/*.json (one archived passage each, with its SHA-256),
data/incidents.geojson, data/summaries.json, data/protected_objects.geojson and
data/military_objects.geojson.

Every citation is written out in full (publisher, title, date, address, where it was read) so
each file stands on its own in a GIS; strikemap checks at load that each citation matches the
archived passage it names and that the passage's hash is intact.

Run from the repository root after `node data/scripts/build-places.mjs`:
    python3 data/scripts/curate/build.py
"""

import hashlib
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
DATA = HERE.parent.parent
sys.path.insert(0, str(HERE))

from passages import PASSAGES  # noqa: E402
from records import COVERAGE, INCIDENTS, MILITARY, PROTECTED, SUMMARIES  # noqa: E402

CITATION = ("publisher", "title", "date", "url", "read_at", "relay")
DEFAULT_UNCERTAINTY = {"site": 0.1, "neighbourhood": 1.0}


def sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_json(path, value):
    path.write_text(json.dumps(value, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def main():
    passages = {}
    sources_dir = DATA / "sources"
    sources_dir.mkdir(exist_ok=True)
    for old in sources_dir.glob("*.json"):
        old.unlink()
    for p in PASSAGES:
        if p["id"] in passages:
            raise SystemExit(f"duplicate passage id {p['id']}")
        record = {k: p.get(k) for k in ("id", *CITATION)}
        record["edits"] = p.get("edits")
        record["passage"] = p["passage"]
        record["sha256"] = sha256(p["passage"])
        passages[p["id"]] = record
        write_json(sources_dir / f"{p['id']}.json", record)

    used = set()

    def cite(entries):
        out = []
        for entry in entries:
            passage = passages[entry["passage"]]
            used.add(entry["passage"])
            citation = {k: passage[k] for k in CITATION}
            citation.update(role=entry["role"], passage=entry["passage"])
            if entry.get("claimant"):
                citation["claimant"] = entry["claimant"]
            if entry.get("note"):
                citation["note"] = entry["note"]
            out.append(citation)
        return out

    places = {f["id"]: f for f in json.loads((DATA / "places.geojson").read_text())["features"]}

    features = []
    for rec in INCIDENTS:
        place = places[rec["place"]]
        point = rec.get("point") or place["geometry"]["coordinates"]
        precision = rec.get("geo_precision", place["properties"]["geo_precision"])
        uncertainty = rec.get("uncertainty_km", DEFAULT_UNCERTAINTY.get(precision, place["properties"]["uncertainty_km"]))
        name = place["properties"]["name"]
        props = {
            "id": rec["id"],
            "title": rec["title"],
            "description": rec["description"],
            "date": rec["date"],
            "date_end": rec.get("date_end"),
            "date_precision": rec.get("date_precision", "day"),
            "time_local": rec.get("time_local"),
            "date_note": rec.get("date_note"),
            "place": rec["place"],
            "geo_precision": precision,
            "uncertainty_km": uncertainty,
            "location_source": rec.get("location_source", f"Town point of {name} ({place['properties']['location_source']})"),
            "type": rec["type"],
            "weapon": rec["weapon"],
            "target": rec["target"],
            "killed": rec.get("killed"),
            "injured": rec.get("injured"),
            "children_killed": rec.get("children_killed"),
            "children_injured": rec.get("children_injured"),
            "perpetrator_alleged": rec["perpetrator_alleged"],
            "reported_by": rec["reported_by"],
            "verification": rec["verification"],
            "verification_note": rec.get("verification_note"),
            "sources": cite(rec["sources"]),
        }
        features.append({"type": "Feature", "id": rec["id"], "geometry": {"type": "Point", "coordinates": point}, "properties": props})
    write_json(DATA / "incidents.geojson", {
        "type": "FeatureCollection", "name": "incidents",
        "description": "Reported attacks on civilians and civilian objects in the 2020 Nagorno-Karabakh war, curated by strikemap from public reports (data/README.md). Every claim is attributed; a verification grade says how well it is documented, not whether it happened.",
        "features": features,
    })

    summaries = []
    for rec in SUMMARIES:
        out = {k: v for k, v in rec.items() if k != "sources"}
        for key in ("killed", "injured", "children_killed", "children_injured"):
            out.setdefault(key, None)
        out["sources"] = cite(rec["sources"])
        summaries.append(out)
    write_json(DATA / "summaries.json", {"summaries": summaries})

    def layer(name, records, coverage):
        feats = []
        for rec in records:
            props = {k: v for k, v in rec.items() if k not in ("point", "sources")}
            props["sources"] = cite(rec["sources"])
            feats.append({"type": "Feature", "id": rec["id"], "geometry": {"type": "Point", "coordinates": rec["point"]}, "properties": props})
        write_json(DATA / f"{name}.geojson", {"type": "FeatureCollection", "name": name, "coverage": coverage, "features": feats})

    layer("protected_objects", PROTECTED, COVERAGE["protected"])
    layer("military_objects", MILITARY, COVERAGE["military"])

    unused = sorted(set(passages) - used)
    if unused:
        raise SystemExit(f"passages no record cites: {', '.join(unused)}")
    print(f"{len(passages)} passages, {len(features)} incidents, {len(summaries)} summaries, "
          f"{len(PROTECTED)} protected and {len(MILITARY)} military objects")


if __name__ == "__main__":
    main()
