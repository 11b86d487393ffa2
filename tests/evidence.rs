//! The evidence rules of the bundled dataset, end to end: archived passages whose hashes hold
//! and whose citations match, places whose stated uncertainty covers what their sources say,
//! nothing user-facing that points at internal files or curation notes, and the naming choice.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use serde_json::Value;
use std::path::{Path, PathBuf};
use strikemap::config::Settings;

fn bundled_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/data"))
}

/// A copy of the bundled dataset (files and the passage archive) in a temporary directory.
fn copy_of_bundled() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(bundled_dir()).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
        }
    }
    let sources = dir.path().join("sources");
    std::fs::create_dir(&sources).unwrap();
    for entry in std::fs::read_dir(bundled_dir().join("sources")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), sources.join(entry.file_name())).unwrap();
    }
    dir
}

fn edit_json(path: &Path, edit: impl Fn(&mut Value)) {
    let mut value: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    edit(&mut value);
    std::fs::write(path, serde_json::to_string_pretty(&value).unwrap()).unwrap();
}

fn load_error(dir: &Path) -> String {
    match strikemap::load(&Settings::with_data(dir.to_path_buf()), &|_| {}) {
        Ok(_) => panic!("the dataset should not load"),
        Err(error) => error.to_string(),
    }
}

fn bundled() -> strikemap::index::Index {
    strikemap::load(&Settings::with_data(bundled_dir()), &|_| {}).unwrap()
}

#[test]
fn the_bundled_copy_loads_as_a_control() {
    let dir = copy_of_bundled();
    strikemap::load(&Settings::with_data(dir.path().to_path_buf()), &|_| {}).unwrap();
}

#[test]
fn a_passage_altered_after_hashing_is_refused() {
    let dir = copy_of_bundled();
    let file = dir.path().join("sources/hrw-barda-2020-10-28.json");
    edit_json(&file, |v| {
        let text = v["passage"]
            .as_str()
            .unwrap()
            .replace("21 civilians", "12 civilians");
        v["passage"] = text.into();
    });
    let message = load_error(dir.path());
    assert!(message.contains("hrw-barda-2020-10-28.json"), "{message}");
    assert!(
        message.contains("sha256") && message.contains("altered"),
        "{message}"
    );
}

#[test]
fn a_citation_that_differs_from_its_archived_passage_is_refused() {
    let dir = copy_of_bundled();
    edit_json(&dir.path().join("incidents.geojson"), |v| {
        v["features"][0]["properties"]["sources"][0]["title"] = "Something else".into();
    });
    let message = load_error(dir.path());
    assert!(message.contains("incidents.geojson"), "{message}");
    assert!(message.contains("properties.sources.title"), "{message}");
    assert!(message.contains("hrd-artsakh-interim-harop"), "{message}");

    // Every part of the citation is checked, not just the title.
    for (field, value) in [
        ("publisher", Value::from("Someone else")),
        ("date", Value::from("1999")),
        ("url", Value::from("https://example.org/")),
        ("read_at", Value::from("https://example.org/")),
    ] {
        let dir = copy_of_bundled();
        edit_json(&dir.path().join("incidents.geojson"), |v| {
            v["features"][0]["properties"]["sources"][0][field] = value.clone();
        });
        let message = load_error(dir.path());
        assert!(
            message.contains(&format!("properties.sources.{field}")),
            "{field}: {message}"
        );
    }

    let dir = copy_of_bundled();
    edit_json(&dir.path().join("summaries.json"), |v| {
        v["summaries"][0]["sources"][0]["passage"] = "no-such-passage".into();
    });
    let message = load_error(dir.path());
    assert!(
        message.contains("summaries.json") && message.contains("no-such-passage"),
        "{message}"
    );
}

#[test]
fn a_passage_file_that_is_oversized_or_misnamed_is_refused() {
    let dir = copy_of_bundled();
    let file = dir.path().join("sources/hrw-barda-2020-10-28.json");
    edit_json(&file, |v| v["edits"] = "x".repeat(70_000).into());
    let message = load_error(dir.path());
    assert!(message.contains("at most 65536 bytes"), "{message}");

    let dir = copy_of_bundled();
    std::fs::rename(
        dir.path().join("sources/hrw-barda-2020-10-28.json"),
        dir.path().join("sources/renamed.json"),
    )
    .unwrap();
    let message = load_error(dir.path());
    assert!(
        message.contains("renamed.json") && message.contains("the file's own name"),
        "{message}"
    );
}

#[test]
fn every_citation_in_the_bundled_data_has_an_archived_passage() {
    let index = bundled();
    assert!(
        index.passages.len() >= 40,
        "{} passages",
        index.passages.len()
    );
    for incident in index.live_incidents() {
        for source in incident.sources.iter() {
            assert!(
                source.passage.is_some() && source.quote.is_some(),
                "{}: {} has no archived passage",
                incident.id,
                source.title
            );
        }
    }
    let json_citations = index
        .summaries
        .iter()
        .map(|s| (s["id"].to_string(), s["sources"].clone()))
        .chain(
            index
                .military
                .features
                .iter()
                .chain(&index.protected.features)
                .map(|f| {
                    (
                        format!("{:?}", f.id),
                        f.property("sources").cloned().unwrap(),
                    )
                }),
        );
    for (id, sources) in json_citations {
        for source in sources.as_array().unwrap() {
            assert!(source["passage"].is_string(), "{id}: {source}");
            assert!(source["quote"].is_string(), "{id}: {source}");
        }
    }
    // Every passage on disk is cited by something: none is left to rot unchecked.
    let report = strikemap::report::coverage(&index);
    assert!(
        report.contains("| without an archived passage | 0 |"),
        "{report}"
    );
}

#[test]
fn both_parties_are_on_the_record_with_the_same_care() {
    let index = bundled();
    use strikemap::model::{Perpetrator, Verification};
    let count = |p: Perpetrator, v: Verification| {
        index
            .incidents
            .iter()
            .filter(|i| i.perpetrator == p && i.verification == v)
            .count()
    };
    for p in [Perpetrator::ArmenianForces, Perpetrator::AzerbaijaniForces] {
        assert!(count(p, Verification::Confirmed) >= 4, "{p:?}");
        assert!(count(p, Verification::Contested) >= 1, "{p:?}");
    }
    // A claim by one party alone is never graded above weak unless an independent source or
    // a denial is on the record.
    for incident in index.live_incidents() {
        const INDEPENDENT: &[&str] = &[
            "Human Rights Watch",
            "Amnesty International",
            "IPHR",
            "U.S. Department of State",
        ];
        let independent = incident.sources.iter().any(|s| {
            let claimant = s.claimant.as_deref().unwrap_or("");
            INDEPENDENT
                .iter()
                .any(|name| s.publisher.contains(name) || claimant.contains(name))
        });
        if !independent && incident.verification != Verification::Contested {
            assert_eq!(incident.verification, Verification::Weak, "{}", incident.id);
        }
    }
}

/// Geodesic distance in km between two `[lon, lat]` arrays.
fn km(a: &Value, b: &Value) -> f64 {
    let point = |v: &Value| geo::Point::new(v[0].as_f64().unwrap(), v[1].as_f64().unwrap());
    strikemap::geodesy::distance_m(point(a), point(b)) / 1000.0
}

#[test]
fn every_place_states_an_uncertainty_its_sources_support() {
    let text = std::fs::read_to_string(bundled_dir().join("places.geojson")).unwrap();
    let places: Value = serde_json::from_str(&text).unwrap();
    for place in places["features"].as_array().unwrap() {
        let p = &place["properties"];
        let id = p["id"].as_str().unwrap();
        let uncertainty = p["uncertainty_km"].as_f64().unwrap();
        let source = p["location_source"].as_str().unwrap();
        // Where a second source gives another point, the uncertainty covers it.
        if p["witness"].is_object() {
            let apart = km(
                &place["geometry"]["coordinates"],
                &p["witness"]["coordinates"],
            );
            assert!(
                apart <= uncertainty,
                "{id}: witness {apart:.1} km > ±{uncertainty} km"
            );
        }
        match p["geo_precision"].as_str().unwrap() {
            "settlement" => {
                assert!(
                    uncertainty >= 1.5,
                    "{id}: ±{uncertainty} km for a settlement"
                );
                assert!(
                    source.starts_with("GeoNames ") || source.contains("Wikipedia"),
                    "{id}: {source}"
                );
            }
            // Placed relative to another place: the uncertainty covers the offset's vagueness.
            "neighbourhood" | "district" => {
                assert!(uncertainty >= 3.0, "{id}: ±{uncertainty} km");
                assert!(source.starts_with("Placed"), "{id}: {source}");
            }
            other => panic!("{id}: unexpected precision {other}"),
        }
    }
    // An incident never claims to be better placed than its place, unless it has its own
    // sourced site.
    let index = bundled();
    for incident in index.live_incidents() {
        let place = index.gazetteer.place(incident.place);
        if incident.geo_precision != strikemap::model::GeoPrecision::Site {
            assert!(
                f64::from(incident.uncertainty_km) >= place.uncertainty_km,
                "{}",
                incident.id
            );
        }
    }
}

/// Words that belong to the project's working files, never to what a user reads.
const INTERNAL: &[&str] = &[
    "shared/",
    "seeds/",
    "/seed",
    "seed 0",
    "../",
    "/work/",
    "excerpt",
    "curation note",
    "TODO",
];

fn assert_clean(what: &str, body: &str) {
    let lower = body.to_lowercase();
    for word in INTERNAL {
        assert!(
            !lower.contains(&word.to_lowercase()),
            "{what} contains '{word}'"
        );
    }
}

#[tokio::test]
async fn nothing_user_facing_contains_an_internal_path_or_curation_note() {
    let server = common::TestServer::start_with(Settings::with_data(bundled_dir())).await;
    let mut paths = vec![
        "/api".to_string(),
        "/api/collections".into(),
        "/api/api".into(),
        "/api/stats".into(),
        "/api/health".into(),
        "/api/measure?lon=46.75&lat=39.82".into(),
    ];
    let collections: Value = server.get("/api/collections").await.json().await.unwrap();
    for c in collections["collections"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        paths.push(format!("/api/collections/{id}"));
        paths.push(format!("/api/collections/{id}/items?limit=10000"));
    }
    for path in &paths {
        let response = server.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_clean(path, &response.text().await.unwrap());
    }
    // The files themselves are what a GIS user downloads.
    for entry in std::fs::read_dir(bundled_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path
            .extension()
            .is_some_and(|e| e == "geojson" || e == "json")
        {
            assert_clean(
                &path.display().to_string(),
                &std::fs::read_to_string(&path).unwrap(),
            );
        }
    }
}

#[tokio::test]
async fn places_follow_the_readers_naming_choice_inside_the_disputed_area_only() {
    let server = common::TestServer::start_with(Settings::with_data(bundled_dir())).await;
    let place_of = |v: &Value| v["properties"]["place"].as_str().unwrap().to_string();
    let get = |id: &'static str, naming: &'static str| {
        let server = &server;
        async move {
            let v: Value = server
                .get(&format!(
                    "/api/collections/incidents/items/{id}?naming={naming}"
                ))
                .await
                .json()
                .await
                .unwrap();
            v
        }
    };
    // nk2020-024 is in Stepanakert (disputed); nk2020-034 in Ganja; nk2020-019 in Vardenis.
    assert_eq!(
        place_of(&get("nk2020-024", "hy-az").await),
        "Stepanakert / Khankendi"
    );
    assert_eq!(
        place_of(&get("nk2020-024", "az-hy").await),
        "Khankendi / Stepanakert"
    );
    assert_eq!(place_of(&get("nk2020-024", "az").await), "Khankendi");
    assert_eq!(
        place_of(&get("nk2020-034", "hy-az").await),
        "Ganja / Gandzak"
    );
    assert_eq!(place_of(&get("nk2020-034", "hy").await), "Ganja");
    assert_eq!(
        place_of(&get("nk2020-019", "az-hy").await),
        "Vardenis / Basarkechar"
    );
    // Lists and statistics follow the same choice.
    let page: Value = server
        .get("/api/collections/incidents/items?town=khankendi&naming=az-hy&limit=1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(place_of(&page["features"][0]), "Khankendi / Stepanakert");
    let stats: Value = server
        .get("/api/stats?naming=az")
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = stats["by_town"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Khankendi") && names.contains(&"Ganja"),
        "{names:?}"
    );
    let bad = server
        .get("/api/collections/incidents/items?naming=armenian")
        .await;
    assert_eq!(bad.status(), 400);
    let error: Value = bad.json().await.unwrap();
    assert_eq!(error["parameter"], "naming");
}

#[tokio::test]
async fn an_answer_that_depends_on_a_reference_layer_says_what_the_layer_covers() {
    let server = common::TestServer::start_with(Settings::with_data(bundled_dir())).await;
    let page: Value = server
        .get("/api/collections/incidents/items?military_clear_km=5")
        .await
        .json()
        .await
        .unwrap();
    let coverage = page["coverage"]["military_objects"].as_str().unwrap();
    assert!(coverage.contains("not what existed"), "{coverage}");
    let plain: Value = server
        .get("/api/collections/incidents/items?limit=1")
        .await
        .json()
        .await
        .unwrap();
    assert!(plain.get("coverage").is_none());
    let collection: Value = server
        .get("/api/collections/military-objects")
        .await
        .json()
        .await
        .unwrap();
    assert!(collection["coverage"].is_string());
}

#[tokio::test]
async fn depth_band_shading_follows_the_pre_war_line_not_the_coarse_later_one() {
    let server = common::TestServer::start_with(Settings::with_data(bundled_dir())).await;
    let bands: Value = server
        .get("/api/collections/depth-bands/items")
        .await
        .json()
        .await
        .unwrap();
    let features = bands["features"].as_array().unwrap();
    assert_eq!(features.len(), 4);
    for band in features {
        assert_eq!(band["properties"]["line_valid_from"], "1994-05-12");
    }
    // ... and is drawn around that line: every vertex of the pre-war line lies in the 0-10 km
    // band, and so does no vertex far behind it that only the later line comes near.
    use geo::Intersects;
    let shape = |value: &Value| -> geo::Geometry<f64> {
        let geometry: geojson::Geometry = serde_json::from_value(value.clone()).unwrap();
        geo::Geometry::try_from(&geometry.value).unwrap()
    };
    let nearest_band = features
        .iter()
        .find(|b| b["properties"]["from_km"].as_f64() == Some(0.0))
        .map(|b| shape(&b["geometry"]))
        .unwrap();
    let lines: Value = server
        .get("/api/collections/line-of-contact/items?limit=1000")
        .await
        .json()
        .await
        .unwrap();
    let mut checked = 0;
    for line in lines["features"].as_array().unwrap() {
        // The drawn line itself, not the independent digitisation kept as its witness.
        if line["properties"]["valid_from"] != "1994-05-12" || line["properties"]["kind"] != "line"
        {
            continue;
        }
        let geometry = shape(&line["geometry"]);
        for coord in geo::CoordsIter::coords_iter(&geometry) {
            assert!(
                nearest_band.intersects(&geo::Point::from(coord)),
                "{coord:?} on the pre-war line is outside the 0-10 km band"
            );
            checked += 1;
        }
    }
    assert!(checked > 10, "only {checked} vertices checked");
}

#[test]
fn the_readme_shows_the_current_coverage_tables() {
    let report = strikemap::report::coverage(&bundled());
    let tables = &report[report
        .find("### Incidents by alleged perpetrator and grade")
        .unwrap()..];
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("<!-- coverage:start -->").unwrap() + "<!-- coverage:start -->".len();
    let end = readme.find("<!-- coverage:end -->").unwrap();
    assert_eq!(
        readme[start..end].trim(),
        tables.trim(),
        "README.md's coverage tables are out of date: run bash data/scripts/update-readme-coverage.sh"
    );
}
