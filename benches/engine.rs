//! Benchmarks of the engine's hot paths over a deterministic synthetic dataset (the same
//! generator as `strikemap generate`, fixed seed). Run: `cargo bench --bench engine`.
//! Set STRIKEMAP_BENCH_COUNT to change the dataset size (default 100,000); run at 10,000,
//! 100,000 and 1,000,000 to see how each query's cost grows with the data.

#![allow(clippy::unwrap_used, clippy::panic)]

use criterion::{Criterion, criterion_group, criterion_main};
use geo::Point;
use std::hint::black_box;
use strikemap::config::Settings;
use strikemap::geodesy::{distance_m, distance_to_segment};
use strikemap::index::Index;
use strikemap::query::{self, Params};

fn dataset() -> (tempfile::TempDir, Index) {
    let count: usize = std::env::var("STRIKEMAP_BENCH_COUNT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    strikemap::generate::generate(&source, dir.path(), count, 2020, &|_| {}).unwrap();
    let index = strikemap::load(&Settings::with_data(dir.path().to_path_buf()), &|_| {}).unwrap();
    (dir, index)
}

fn query(index: &Index, text: &str) -> query::IncidentQuery {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(text).unwrap();
    query::parse_incident_query(&Params::new(pairs).unwrap(), &index.gazetteer).unwrap()
}

fn geodesy(c: &mut Criterion) {
    let (a, b) = (Point::new(46.93, 40.18), Point::new(46.98, 40.10));
    let p = Point::new(46.7528, 39.8177);
    c.bench_function("geodesy/distance_m", |bench| {
        bench.iter(|| distance_m(black_box(p), black_box(a)))
    });
    c.bench_function("geodesy/distance_to_segment", |bench| {
        bench.iter(|| distance_to_segment(black_box(p), a, b))
    });
}

fn engine(c: &mut Criterion) {
    let (_dir, index) = dataset();
    let n = index.len();
    c.bench_function("measure/point (line, side, objects, place)", |bench| {
        bench.iter(|| index.measure_point(black_box(Point::new(46.7528, 39.8177)), None))
    });
    for (name, text) in [
        ("town=khankendi", "town=khankendi&limit=100"),
        (
            "bbox around Stepanakert",
            "bbox=46.6,39.7,46.9,39.9&limit=100",
        ),
        ("datetime one day", "datetime=2020-10-04&limit=100"),
        ("near 10 km", "near=46.7528,39.8177&within_km=10&limit=100"),
        (
            "full scan: weapon + depth",
            "weapon=cluster_munition&depth_min_km=20&limit=100",
        ),
        ("full scan sorted by depth", "sortby=-depth&limit=100"),
        ("no filter, limit 10", "limit=10"),
        ("depth_min_km=50, limit 10", "depth_min_km=50&limit=10"),
        ("sorted by toll, limit 10", "sortby=-killed&limit=10"),
        (
            "bbox + datetime, limit 10",
            "bbox=46.70,39.78,46.80,39.86&datetime=2020-10-01/2020-10-15&limit=10",
        ),
        (
            "near 5 km, limit 10",
            "near=46.75,39.82&within_km=5&limit=10",
        ),
        (
            "near 5 km + one day, limit 10",
            "near=46.75,39.82&within_km=5&datetime=2020-10-04&limit=10",
        ),
        ("CQL2 filter alone", "filter=killed%20%3E%3D%203&limit=10"),
        (
            "CQL2 two ranges, limit 10",
            "filter=depth_km%20%3E%2030%20AND%20killed%20%3E%3D%201&limit=10",
        ),
        (
            "town + depth_min_km=10, limit 10",
            "town=khankendi&depth_min_km=10&limit=10",
        ),
        (
            "weapon + type, limit 10",
            "weapon=cluster_munition&type=shelling&limit=10",
        ),
        (
            "bbox by -depth_km, limit 10",
            "bbox=46.70,39.78,46.80,39.86&sortby=-depth_km&limit=10",
        ),
        (
            "near 5 km + depth_min_km=10, limit 10",
            "near=46.75,39.82&within_km=5&depth_min_km=10&limit=10",
        ),
        (
            "bbox + two weeks by -depth_km, limit 10",
            "bbox=46.70,39.78,46.80,39.86&datetime=2020-10-01/2020-10-15&sortby=-depth_km&limit=10",
        ),
        (
            "weapon + type + depth_min_km=20, limit 10",
            "weapon=cluster_munition&type=shelling&depth_min_km=20&limit=10",
        ),
        (
            "bbox + weapon, limit 10",
            "bbox=46.70,39.78,46.80,39.86&weapon=artillery&limit=10",
        ),
        (
            "near 5 km + type, limit 10",
            "near=46.75,39.82&within_km=5&type=shelling&limit=10",
        ),
        (
            "bbox + weapon by -depth_km, limit 10",
            "bbox=46.70,39.78,46.80,39.86&weapon=artillery&sortby=-depth_km&limit=10",
        ),
    ] {
        let q = query(&index, text);
        c.bench_function(&format!("query/{n}/{name}"), |bench| {
            bench.iter(|| query::execute(&index, black_box(&q)))
        });
    }
    let all = query(&index, "");
    c.bench_function(&format!("stats/{n}/all"), |bench| {
        bench.iter(|| query::stats(&index, black_box(&all)))
    });
    writes(c, &index);
}

/// What a write round costs the index (the incident measured, taken into every set and
/// order, the one it replaces taken out), and what the writes merged into date order cost
/// the queries after a thousand of them.
fn writes(c: &mut Criterion, index: &Index) {
    use strikemap::index::Change;
    let n = index.len();
    let edited = |i: usize, id: Option<String>| {
        let mut incident = index.incidents[i].clone();
        if let Some(id) = id {
            incident.id = id.into();
        }
        incident.title = "Edited in a benchmark".into();
        incident.killed.low = Some(3);
        Change::Put(Box::new(incident))
    };
    let one = [edited(n / 2, None)];
    c.bench_function(&format!("write/{n}/replace one incident"), |bench| {
        bench.iter(|| index.with_changes(black_box(&one)))
    });
    let ten: Vec<Change> = (0..10)
        .map(|k| edited(k * n / 10, Some(format!("bench-new-{k}"))))
        .collect();
    c.bench_function(&format!("write/{n}/add ten incidents"), |bench| {
        bench.iter(|| index.with_changes(black_box(&ten)))
    });
    let thousand: Vec<Change> = (0..1000)
        .map(|k| edited(k * (n / 1000).max(1) % n, Some(format!("bench-many-{k}"))))
        .collect();
    let written = index.with_changes(&thousand);
    for (name, text) in [
        ("no filter, limit 10", "limit=10"),
        (
            "bbox around Stepanakert",
            "bbox=46.6,39.7,46.9,39.9&limit=100",
        ),
        ("sorted by toll, limit 10", "sortby=-killed&limit=10"),
        ("datetime one day", "datetime=2020-10-04&limit=100"),
    ] {
        let q = query(&written, text);
        c.bench_function(&format!("query/{n}/after 1000 writes/{name}"), |bench| {
            bench.iter(|| query::execute(&written, black_box(&q)))
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3));
    targets = geodesy, engine
}
criterion_main!(benches);
