//! The prepared-index snapshot: a restart from it serves exactly what a load from the files
//! serves; any change to the data, and any damage to the snapshot, sends the load back to the
//! files (never a panic, never stale answers), and a fresh snapshot replaces the bad one.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use strikemap::Origin;
use strikemap::config::Settings;
use strikemap::index::Index;

fn settings(dir: &std::path::Path) -> Settings {
    let mut settings = Settings::with_data(dir.to_path_buf());
    settings.snapshot = true;
    settings
}

fn load(dir: &std::path::Path) -> (Index, Origin) {
    strikemap::load_with_origin(&settings(dir), &|_| {}).unwrap()
}

/// Everything an answer depends on, per incident, in order.
fn summary(index: &Index) -> Vec<String> {
    index
        .incidents
        .iter()
        .zip(&index.measures)
        .zip(&index.search_text)
        .map(|((i, m), text)| {
            format!(
                "{} {} {} {} {:?} {:?} {:?} {} {:?} {:?} {:?} {text}",
                i.id,
                i.title,
                i.date,
                i.place,
                i.killed,
                i.reported_by,
                i.sources,
                m.depth_km,
                m.side,
                m.nearest_military,
                m.nearest_place
            )
        })
        .collect()
}

#[test]
fn a_restart_uses_the_snapshot_and_answers_the_same() {
    let dir = common::copy_of_fixtures();
    let path = dir.path().join(strikemap::store::snapshot::FILE_NAME);
    let (first, origin) = load(dir.path());
    assert_eq!(origin, Origin::Files);
    assert!(path.is_file(), "the first load writes a snapshot");
    let (second, origin) = load(dir.path());
    assert_eq!(origin, Origin::Snapshot);
    assert_eq!(summary(&first), summary(&second));
    // The indexes kept in the snapshot (sets, ordered indexes, grid, words) answer as built
    // ones, and the searches really match.
    for text in [
        "limit=100",
        "bbox=46.6,39.7,46.9,39.9&limit=100",
        "near=46.75,39.82&within_km=20&limit=100",
        "sortby=-depth_km&limit=100",
        "sortby=-killed&limit=100",
        "depth_min_km=10&depth_max_km=40&limit=100",
        "military_clear_km=2&limit=100",
        "protected_within_km=5&limit=100",
        "min_killed=1&limit=100",
        "datetime=2020-10-01/2020-10-20&limit=100",
        "type=shelling&limit=100",
        "filter=killed%20%3E%3D%202&limit=100",
        "q=stepanakert&limit=100",
        "q=hospital&limit=100",
        "q=cluster%20attack%20on&limit=100",
    ] {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(text).unwrap();
        let q = |index: &Index| {
            strikemap::query::parse_incident_query(
                &strikemap::query::Params::new(pairs.clone()).unwrap(),
                &index.gazetteer,
            )
            .unwrap()
        };
        let page = strikemap::query::execute(&first, &q(&first));
        assert!(page.number_matched > 0, "{text}");
        assert_eq!(
            page,
            strikemap::query::execute(&second, &q(&second)),
            "{text}"
        );
    }
    // The archived quotes come back too (they are filled from the archive, not stored).
    let quotes = |index: &Index| -> usize {
        index
            .incidents
            .iter()
            .flat_map(|i| i.sources.iter())
            .filter(|s| s.quote.is_some())
            .count()
    };
    assert_eq!(quotes(&first), quotes(&second));
    // Shared sources stay shared.
    let distinct = |index: &Index| -> usize {
        let mut ptrs: Vec<*const _> = index.incidents.iter().map(|i| i.sources.as_ptr()).collect();
        ptrs.sort();
        ptrs.dedup();
        ptrs.len()
    };
    assert_eq!(distinct(&first), distinct(&second));
    // Without the setting, the snapshot is neither read nor required.
    let (_, origin) =
        strikemap::load_with_origin(&Settings::with_data(dir.path().to_path_buf()), &|_| {})
            .unwrap();
    assert_eq!(origin, Origin::Files);
}

#[test]
fn a_change_to_any_data_file_rebuilds_it() {
    let dir = common::copy_of_fixtures();
    load(dir.path());
    let incidents = dir.path().join("incidents.geojson");
    let text = std::fs::read_to_string(&incidents).unwrap();
    std::fs::write(
        &incidents,
        text.replacen(
            "Fixture missile strike on Ganja",
            "Fixture missile strike on Ganja (edited)",
            1,
        ),
    )
    .unwrap();
    let (index, origin) = load(dir.path());
    assert_eq!(origin, Origin::Files);
    assert!(
        index
            .incidents
            .iter()
            .any(|i| i.title.ends_with("(edited)"))
    );
    assert_eq!(
        load(dir.path()).1,
        Origin::Snapshot,
        "and the new snapshot is used next"
    );

    // A reference layer changes the measures: that rebuilds it too.
    let military = dir.path().join("military_objects.geojson");
    let text = std::fs::read_to_string(&military).unwrap();
    std::fs::write(
        &military,
        text.replacen("\"features\"", "\"note\": \"edited\", \"features\"", 1),
    )
    .unwrap();
    assert_eq!(load(dir.path()).1, Origin::Files);
}

#[test]
fn a_damaged_snapshot_is_ignored_and_replaced() {
    let dir = common::copy_of_fixtures();
    let (reference, _) = load(dir.path());
    let path = dir.path().join(strikemap::store::snapshot::FILE_NAME);
    let good = std::fs::read(&path).unwrap();
    let mut flipped = good.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0xff;
    // Written by another format of strikemap: its first field (after the name and the
    // checksum) says which, and its checksum is sound.
    let mut other_format = good.clone();
    other_format[16] = other_format[16].wrapping_sub(1);
    let checksum = xxhash_rust::xxh3::xxh3_64(&other_format[16..]);
    other_format[8..16].copy_from_slice(&checksum.to_le_bytes());
    let damages: Vec<(&str, Vec<u8>)> = vec![
        ("another format", other_format),
        ("empty", Vec::new()),
        ("truncated", good[..good.len() / 3].to_vec()),
        (
            "not a snapshot",
            b"{\"type\": \"FeatureCollection\"}".to_vec(),
        ),
        ("a flipped byte", flipped),
        (
            "garbage after the header",
            [b"SMAPSNAP".as_slice(), &[0xff; 64]].concat(),
        ),
    ];
    for (what, bytes) in damages {
        std::fs::write(&path, &bytes).unwrap();
        let (index, origin) = load(dir.path());
        assert_eq!(
            origin,
            Origin::Files,
            "{what}: a damaged snapshot was trusted"
        );
        assert_eq!(summary(&index), summary(&reference), "{what}");
        assert_eq!(
            load(dir.path()).1,
            Origin::Snapshot,
            "{what}: a good snapshot replaced it"
        );
    }
    // A directory in its place is not read, and does not stop the load.
    std::fs::remove_file(&path).unwrap();
    std::fs::create_dir(&path).unwrap();
    let (index, origin) = load(dir.path());
    assert_eq!(origin, Origin::Files);
    assert_eq!(summary(&index), summary(&reference));
}
