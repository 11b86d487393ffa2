//! The bundled dataset in data/: it loads, it keeps the evidence rules, and the line of
//! contact puts the towns on the sides the issue names.

#![allow(clippy::unwrap_used, clippy::panic)]

use strikemap::config::Settings;
use strikemap::model::Side;

fn bundled() -> strikemap::index::Index {
    let settings = Settings::with_data(concat!(env!("CARGO_MANIFEST_DIR"), "/data").into());
    strikemap::load(&settings, &|_| {}).expect("the bundled dataset loads")
}

#[test]
fn towns_lie_on_the_expected_sides() {
    let index = bundled();
    let side_of = |id: &str| {
        let place = index.gazetteer.place(
            index
                .gazetteer
                .by_id(id)
                .unwrap_or_else(|| panic!("{id} in gazetteer")),
        );
        index
            .measure_point(geo::Point::new(place.lon, place.lat), None)
            .side
    };
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
    ] {
        assert_eq!(side_of(id), Some(Side::ArmenianSide), "{id}");
    }
    for id in [
        "terter", "barda", "ganja", "horadiz", "beylagan", "agjabedi",
    ] {
        assert_eq!(side_of(id), Some(Side::AzerbaijaniSide), "{id}");
    }
}

#[test]
fn every_incident_is_sourced_and_attributed() {
    let index = bundled();
    assert!(
        index.incidents.len() >= 25,
        "{} incidents",
        index.incidents.len()
    );
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
