//! The bundled dataset in data/: it loads, it keeps the evidence rules, and the line of
//! contact puts the towns on the sides the issue names.

#![allow(clippy::unwrap_used, clippy::panic)]

use strikemap::config::Settings;
use strikemap::model::Side;

fn bundled() -> strikemap::index::Index {
    let settings = Settings::with_data(concat!(env!("CARGO_MANIFEST_DIR"), "/data").into());
    strikemap::load(&settings, &|_| {}).expect("the bundled dataset loads")
}

fn day(text: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// The measures of a gazetteer place against the line that stood on 27 September 2020.
fn prewar(index: &strikemap::index::Index, id: &str) -> strikemap::index::PointMeasures {
    let place = index.gazetteer.place(
        index
            .gazetteer
            .by_id(id)
            .unwrap_or_else(|| panic!("{id} in gazetteer")),
    );
    index.measure_point(
        geo::Point::new(place.lon, place.lat),
        Some(day("2020-09-27")),
    )
}

#[test]
fn towns_lie_on_the_expected_sides() {
    let index = bundled();
    for id in [
        "stepanakert",
        "shushi",
        "hadrut",
        "martakert",
        "askeran",
        "martuni",
        "aghdam",
        "fuzuli",
        "karvajar",
        "berdzor",
        "talish",
        "mataghis",
    ] {
        assert_eq!(prewar(&index, id).side, Some(Side::ArmenianSide), "{id}");
    }
    for id in [
        "terter", "barda", "ganja", "horadiz", "beylagan", "agjabedi", "goranboy", "naftalan",
    ] {
        assert_eq!(prewar(&index, id).side, Some(Side::AzerbaijaniSide), "{id}");
    }
    for id in ["vardenis", "goris", "kapan"] {
        assert_eq!(prewar(&index, id).side, Some(Side::ArmenianSide), "{id}");
    }
}

#[test]
fn frontline_villages_are_near_the_line_and_the_rear_is_deep() {
    let index = bundled();
    // Talish and Madagiz sat on the line of contact on 26 September 2020: a few km inside it
    // (the hand-drawn line had them 20+ km deep, on the wrong side), and the band reaches 0–3.
    for id in ["talish", "mataghis"] {
        let m = prewar(&index, id);
        let depth = m.depth_km().unwrap();
        assert!(depth < 8.0, "{id}: {depth} km");
        assert!(m.depth_low_km <= 3.0, "{id}: low {}", m.depth_low_km);
    }
    // Terter, Horadiz and Aghdam were close to the line on the other side or on it.
    for (id, below) in [("terter", 10.0), ("horadiz", 10.0), ("aghdam", 12.0)] {
        let depth = prewar(&index, id).depth_km().unwrap();
        assert!(depth < below, "{id}: {depth} km");
    }
    // Barda and Ganja lay far behind it, and the band still says so at its low end.
    for (id, beyond) in [("barda", 10.0), ("ganja", 30.0)] {
        let m = prewar(&index, id);
        assert!(m.depth_low_km > beyond, "{id}: low {} km", m.depth_low_km);
        assert!(
            m.depth_low_km <= m.depth_km().unwrap() && m.depth_km().unwrap() <= m.depth_high_km
        );
    }
}

#[test]
fn the_coarse_post_war_line_is_used_only_when_a_date_asks_for_it() {
    let index = bundled();
    let place = index
        .gazetteer
        .place(index.gazetteer.by_id("shushi").unwrap());
    let p = geo::Point::new(place.lon, place.lat);
    assert_eq!(
        index.measure_point(p, None).line_valid_from,
        Some(day("1994-05-12"))
    );
    let after = index.measure_point(p, Some(day("2021-06-01")));
    assert_eq!(after.line_valid_from, Some(day("2020-11-10")));
    assert!(after.line_uncertainty_km >= 10.0);
}

#[test]
fn every_incident_is_sourced_and_attributed() {
    let index = bundled();
    assert!(index.len() >= 25, "{} incidents", index.len());
    for (incident, measures) in index.incidents.iter().zip(&index.measures) {
        assert!(!incident.sources.is_empty(), "{}", incident.id);
        assert!(!incident.reported_by.is_empty(), "{}", incident.id);
        assert!(
            measures.depth_km.is_finite() && measures.side.is_some(),
            "{}",
            incident.id
        );
    }
    // Both parties' reports are recorded.
    use strikemap::model::Reporter;
    assert!(
        index
            .incidents
            .iter()
            .any(|i| i.reported_by.contains(Reporter::AzerbaijaniAuthorities))
    );
    assert!(
        index
            .incidents
            .iter()
            .any(|i| i.reported_by.contains(Reporter::NagornoKarabakhAuthorities))
    );
}

#[test]
fn every_spelling_in_the_gazetteer_resolves_to_its_own_place() {
    let index = bundled();
    for (i, place) in index.gazetteer.places().iter().enumerate() {
        for name in &place.names {
            let found = index
                .gazetteer
                .resolve(&name.name)
                .unwrap_or_else(|e| panic!("{}: {e}", name.name));
            assert!(found.contains(&(i as u32)), "{} -> {found:?}", name.name);
        }
    }
}

#[test]
fn the_second_digitisation_is_drawn_but_never_measured_from() {
    let index = bundled();
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/line_of_contact.geojson"
    ))
    .unwrap();
    let file: serde_json::Value = serde_json::from_str(&text).unwrap();
    let witness = file["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["kind"] == "witness")
        .expect("the Natural Earth witness line");
    // Where Natural Earth strays from the measured line (the Aghdam sector), its own vertices
    // lie kilometres from the line depths are measured from; were it measured from, every one
    // of them would be at 0 km.
    let farthest = witness["geometry"]["coordinates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let p = geo::Point::new(c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
            index
                .measure_point(p, Some(day("2020-09-27")))
                .depth_km()
                .unwrap()
        })
        .fold(0.0, f64::max);
    assert!(farthest > 8.0, "{farthest} km");
}
