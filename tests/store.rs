//! Loading: a malformed file stops the load with an error naming the file, the feature and
//! the field; a deployment's own reference layers replace the bundled ones.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::Path;
use strikemap::config::Settings;

/// A copy of the fixture dataset in a temporary directory, with `edit` applied to one file.
fn dataset_with(file: &str, edit: impl Fn(&mut serde_json::Value)) -> tempfile::TempDir {
    let dir = common::copy_of_fixtures();
    let path = dir.path().join(file);
    let mut value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("JSON");
    edit(&mut value);
    std::fs::write(&path, serde_json::to_string(&value).expect("serialise")).expect("write");
    dir
}

fn load_error(dir: &Path) -> String {
    match strikemap::load(&Settings::with_data(dir.to_path_buf()), &|_| {}) {
        Ok(_) => panic!("the dataset should not load"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn unknown_vocabulary_value_names_file_feature_and_field() {
    let dir = dataset_with("incidents.geojson", |v| {
        v["features"][2]["properties"]["weapon"] = "laser".into()
    });
    let message = load_error(dir.path());
    assert!(message.contains("incidents.geojson"), "{message}");
    assert!(message.contains("features[2]"), "{message}");
    assert!(message.contains("weapon"), "{message}");
    assert!(message.contains("laser"), "{message}");
}

#[test]
fn semantic_errors_name_the_incident_id() {
    let dir = dataset_with("incidents.geojson", |v| {
        v["features"][1]["properties"]["sources"] = serde_json::json!([])
    });
    let message = load_error(dir.path());
    assert!(
        message.contains("'fx-002'") && message.contains("properties.sources"),
        "{message}"
    );

    let dir = dataset_with("incidents.geojson", |v| {
        v["features"][0]["properties"]["place"] = "atlantis".into()
    });
    let message = load_error(dir.path());
    assert!(
        message.contains("'fx-001'") && message.contains("properties.place"),
        "{message}"
    );

    let dir = dataset_with("incidents.geojson", |v| {
        v["features"][0]["properties"]["date_end"] = "2020-01-01".into()
    });
    assert!(load_error(dir.path()).contains("date_end"));

    let dir = dataset_with("incidents.geojson", |v| {
        v["features"][0]["geometry"]["coordinates"] = serde_json::json!([46.0, 123.0])
    });
    assert!(load_error(dir.path()).contains("geometry.coordinates"));

    let dir = dataset_with("incidents.geojson", |v| {
        let copy = v["features"][0].clone();
        v["features"].as_array_mut().expect("features").push(copy);
    });
    assert!(load_error(dir.path()).contains("used twice"));
}

#[test]
fn reference_layers_are_validated_too() {
    let dir = dataset_with("military_objects.geojson", |v| {
        v["features"][0]["properties"]["sources"] = serde_json::json!([])
    });
    let message = load_error(dir.path());
    assert!(
        message.contains("military_objects.geojson")
            && message.contains("mil-fixture-1")
            && message.contains("sources"),
        "{message}"
    );

    let dir = dataset_with("line_of_contact.geojson", |v| {
        v["features"][1]["properties"]["side"] = "north".into()
    });
    let message = load_error(dir.path());
    assert!(
        message.contains("line_of_contact.geojson") && message.contains("side"),
        "{message}"
    );

    let dir = dataset_with("places.geojson", |v| {
        v["features"][0]["properties"]["names"] = "Stepanakert".into()
    });
    let message = load_error(dir.path());
    assert!(
        message.contains("places.geojson") && message.contains("names"),
        "{message}"
    );
}

#[test]
fn a_missing_or_broken_file_is_named() {
    let dir = dataset_with("summaries.json", |_| {});
    std::fs::remove_file(dir.path().join("protected_objects.geojson")).expect("remove");
    assert!(load_error(dir.path()).contains("protected_objects.geojson"));
    std::fs::write(dir.path().join("protected_objects.geojson"), "{ not json").expect("write");
    assert!(load_error(dir.path()).contains("protected_objects.geojson"));
}

#[test]
fn a_users_military_layer_replaces_the_bundled_one() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let layer = dir.path().join("my_military.geojson");
    std::fs::write(
        &layer,
        r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","geometry":{"type":"Point","coordinates":[46.76,39.82]},
             "properties":{"id":"m1","name":"User object","sources":[{"publisher":"User","title":"Own survey"}]}},
            {"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[46.3,40.6],[46.4,40.6],[46.4,40.7],[46.3,40.6]]]},
             "properties":{"id":"m2","name":"User area","sources":[{"publisher":"User","title":"Own survey"}]}}]}"#,
    )
    .expect("write layer");
    let mut settings = Settings::with_data(common::fixture_dir());
    settings.military_objects = Some(layer);
    let index = strikemap::load(&settings, &|_| {}).expect("loads with the user's layer");
    assert_eq!(index.military.objects.len(), 2);
    let stepanakert = index.incident_by_id("fx-001").expect("fixture incident");
    let (object, km) = index.measures[stepanakert as usize]
        .nearest_military
        .expect("a nearest object");
    assert_eq!(index.military.objects[object as usize].id, "m1");
    assert!(km < 1.5, "{km}");
}

#[test]
fn a_geometry_collection_is_refused_not_a_crash() {
    let dir = dataset_with("protected_objects.geojson", |v| {
        v["features"][0]["geometry"] = serde_json::json!({"type": "GeometryCollection", "geometries": [{"type": "Point", "coordinates": [46.0, 39.0]}]});
    });
    let message = load_error(dir.path());
    assert!(
        message.contains("protected_objects.geojson") && message.contains("'geometry'"),
        "{message}"
    );
    let dir = dataset_with("protected_objects.geojson", |v| {
        v["features"][0]["geometry"] = serde_json::json!({"type": "Point", "coordinates": [46.0]});
    });
    let message = load_error(dir.path());
    assert!(
        message.contains("protected_objects.geojson") && message.contains("position"),
        "{message}"
    );
}

#[test]
fn a_later_line_of_contact_does_not_change_earlier_depths() {
    let before = strikemap::load(&Settings::with_data(common::fixture_dir()), &|_| {}).unwrap();
    let dir = dataset_with("line_of_contact.geojson", |v| {
        // A made-up later line far to the west, standing from the end of the 2020 war.
        v["features"].as_array_mut().unwrap().push(serde_json::json!({
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[46.0, 39.0], [46.0, 41.0]]},
            "properties": {"id": "later", "kind": "line", "valid_from": "2020-11-10", "uncertainty_km": 1}
        }));
    });
    let after = strikemap::load(&Settings::with_data(dir.path().to_path_buf()), &|_| {}).unwrap();
    for (a, b) in before.measures.iter().zip(&after.measures) {
        assert_eq!(
            a.depth_km, b.depth_km,
            "incidents of 2020 keep the line they were measured from"
        );
    }
    let now = after.measure_point(geo::Point::new(46.1, 40.0), None);
    assert!(
        now.depth_km().unwrap() < 10.0,
        "the latest line applies to undated points"
    );

    let dir = dataset_with("line_of_contact.geojson", |v| {
        v["features"][0]["properties"]["valid_from"] = "soon".into()
    });
    let message = load_error(dir.path());
    assert!(
        message.contains("line_of_contact.geojson") && message.contains("valid_from"),
        "{message}"
    );
}

#[test]
fn degenerate_geometry_is_refused_with_a_message_never_a_panic() {
    // A position with one number inside a line: the conversion used to panic (exit 101).
    let dir = dataset_with("line_of_contact.geojson", |v| {
        v["features"][0]["geometry"]["coordinates"][1] = serde_json::json!([46.5]);
    });
    let message = load_error(dir.path());
    assert!(message.contains("line_of_contact.geojson"), "{message}");
    assert!(
        message.contains("positions of [longitude, latitude]"),
        "{message}"
    );
    assert!(message.contains("the line position 1"), "{message}");

    // ... and inside a polygon ring.
    let dir = dataset_with("line_of_contact.geojson", |v| {
        v["features"][1]["geometry"]["coordinates"][0][2] = serde_json::json!([47.0]);
    });
    assert!(load_error(dir.path()).contains("ring 0 position 2"));

    // A one-point line would null every depth; an empty control area would flip sides.
    let dir = dataset_with("line_of_contact.geojson", |v| {
        v["features"][0]["geometry"]["coordinates"] =
            serde_json::json!([[46.5, 40.0], [46.5, 40.0]]);
    });
    assert!(load_error(dir.path()).contains("at least two distinct positions"));
    let dir = dataset_with("line_of_contact.geojson", |v| {
        v["features"][1]["geometry"]["coordinates"] = serde_json::json!([]);
    });
    assert!(load_error(dir.path()).contains("an outer ring"));
    let dir = dataset_with("line_of_contact.geojson", |v| {
        v["features"][1]["geometry"]["coordinates"] =
            serde_json::json!([[[46.0, 40.0], [47.0, 40.0], [46.0, 40.0], [46.0, 40.0]]]);
    });
    assert!(load_error(dir.path()).contains("enclosing an area"));
}

#[cfg(unix)]
#[test]
fn a_data_file_that_is_not_a_regular_file_is_refused_without_reading_it() {
    let dir = dataset_with("summaries.json", |_| {});
    let path = dir.path().join("summaries.json");
    std::fs::remove_file(&path).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &path).unwrap();
    let message = load_error(dir.path());
    assert!(
        message.contains("summaries.json") && message.contains("a regular file"),
        "{message}"
    );
}

#[test]
fn check_lists_every_problem_not_just_the_first() {
    let dir = dataset_with("incidents.geojson", |v| {
        v["features"][0]["properties"]["weapon"] = "laser".into();
        v["features"][2]["properties"]["place"] = "atlantis".into();
        v["features"][3]["properties"]["sources"] = serde_json::json!([]);
    });
    let edit = dir.path().join("summaries.json");
    std::fs::write(&edit, "{ \"summaries\": [ {\"id\": \"x\"} ] }").unwrap();
    let problems: Vec<String> =
        strikemap::store::check_dir(&strikemap::store::DataPaths::in_dir(dir.path()))
            .iter()
            .map(ToString::to_string)
            .collect();
    let all = problems.join("\n");
    assert!(problems.len() >= 3, "{all}");
    assert!(
        all.contains("atlantis") || all.contains("properties.place"),
        "{all}"
    );
    assert!(all.contains("properties.sources"), "{all}");
    assert!(all.contains("summaries.json"), "{all}");
}
