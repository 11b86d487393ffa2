//! strikemap's geodesic distances against reference values computed with GeographicLib
//! itself (tests/fixtures/make_geodesy_reference.py). The brief asks for 1 m; we hold 1 m.

#![allow(clippy::unwrap_used, clippy::panic)]

use geo::Point;
use serde_json::Value;
use strikemap::geodesy::{Polyline, distance_m, distance_to_segment};

const TOLERANCE_M: f64 = 1.0;

fn reference() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/geodesy_reference.json"
    ))
    .expect("reference file is committed");
    serde_json::from_str(&text).expect("reference file is JSON")
}

fn point(v: &Value) -> Point {
    Point::new(v[0].as_f64().expect("lon"), v[1].as_f64().expect("lat"))
}

fn cases<'a>(reference: &'a Value, key: &str) -> &'a Vec<Value> {
    let list = reference[key].as_array().expect("a list of cases");
    assert!(!list.is_empty(), "no {key} cases");
    list
}

#[test]
fn point_to_point_matches_geographiclib() {
    let reference = reference();
    for case in cases(&reference, "point_to_point") {
        let expected = case["metres"].as_f64().expect("metres");
        let got = distance_m(point(&case["a"]), point(&case["b"]));
        assert!((got - expected).abs() < TOLERANCE_M, "{case}: got {got}");
    }
}

#[test]
fn point_to_segment_matches_geographiclib() {
    let reference = reference();
    for case in cases(&reference, "point_to_segment") {
        let expected = case["metres"].as_f64().expect("metres");
        let got =
            distance_to_segment(point(&case["p"]), point(&case["a"]), point(&case["b"])).distance_m;
        assert!(
            (got - expected).abs() < TOLERANCE_M,
            "{case}: got {got}, expected {expected}"
        );
    }
}

#[test]
fn point_to_line_of_contact_matches_geographiclib() {
    let reference = reference();
    let line: Vec<Point> = reference["line_of_contact"]
        .as_array()
        .expect("line")
        .iter()
        .map(point)
        .collect();
    let polyline = Polyline::new(&[line]);
    for case in cases(&reference, "point_to_line_of_contact") {
        let expected = case["metres"].as_f64().expect("metres");
        let got = polyline
            .nearest(point(&case["p"]))
            .expect("non-empty line")
            .distance_m;
        assert!(
            (got - expected).abs() < TOLERANCE_M,
            "{}: got {got}, expected {expected}",
            case["name"]
        );
    }
}

/// The depths the service reports, for 2,000 random points over the region, against
/// GeographicLib's distance to every part of the bundled pre-war line of contact
/// (tests/fixtures/make_depth_reference.py; a fixed seed).
#[test]
fn depths_of_two_thousand_random_points_match_geographiclib() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/depth_reference.json"
    ))
    .expect("reference file is committed");
    let reference: Value = serde_json::from_str(&text).expect("JSON");
    let mut settings = strikemap::config::Settings::with_data(std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data"
    )));
    settings.snapshot = false;
    let index = strikemap::load(&settings, &|_| {}).expect("the bundled data load");
    let cases = cases(&reference, "cases");
    assert_eq!(cases.len(), 2000);
    let mut worst: f64 = 0.0;
    for case in cases {
        let expected = case["metres"].as_f64().expect("metres");
        let p = point(&case["p"]);
        let got = index
            .measure_point(p, None)
            .line
            .expect("a line to measure from")
            .distance_m;
        worst = worst.max((got - expected).abs());
        assert!(
            (got - expected).abs() < TOLERANCE_M,
            "{p:?}: got {got}, expected {expected}"
        );
    }
    // The method converges to millimetres; say so if that ever changes.
    assert!(worst < 0.01, "largest difference {worst} m");
}
