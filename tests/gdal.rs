//! GDAL's OGC API – Features driver (`ogrinfo` from Debian's gdal-bin) lists strikemap's
//! collections and reads its incidents from the running server. The test command installs
//! gdal-bin; without it this test fails and says so.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::TestServer;

async fn ogrinfo(args: Vec<String>) -> String {
    let output = tokio::process::Command::new("ogrinfo")
        .args(&args)
        .env("GDAL_HTTP_TIMEOUT", "30")
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run ogrinfo ({e}): install Debian's gdal-bin"));
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(
        output.status.success(),
        "ogrinfo {args:?} failed: {stdout}\n{stderr}"
    );
    assert!(
        !stderr.contains("ERROR"),
        "ogrinfo {args:?} reported errors: {stderr}"
    );
    stdout
}

#[tokio::test]
async fn gdal_lists_collections_and_reads_incidents() {
    let server = TestServer::start().await;
    let source = format!("OAPIF:{}/api", server.base);
    let listing = ogrinfo(vec!["-ro".into(), source.clone()]).await;
    for collection in [
        "incidents (title: Incidents) (Point)",
        "places",
        "line-of-contact",
        "military-objects",
        "protected-objects",
    ] {
        assert!(
            listing.contains(collection),
            "{collection} not listed:\n{listing}"
        );
    }
    let summary = ogrinfo(vec![
        "-ro".into(),
        "-so".into(),
        source.clone(),
        "incidents".into(),
    ])
    .await;
    assert!(summary.contains("Feature Count: 6"), "{summary}");
    let features = ogrinfo(vec!["-ro".into(), "-al".into(), source, "incidents".into()]).await;
    assert_eq!(
        features.matches("OGRFeature(incidents)").count(),
        6,
        "{features}"
    );
    assert!(
        features.contains("title (String) = Fixture missile strike on Ganja"),
        "{features}"
    );
    assert!(features.contains("depth_km (Real) ="), "{features}");
}

/// The field types GDAL gives the incidents, as `name: Type` lines.
fn field_type<'a>(summary: &'a str, field: &str) -> &'a str {
    summary
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{field}: ")))
        .unwrap_or_else(|| panic!("no field {field} in:\n{summary}"))
}

#[tokio::test]
async fn gdal_types_counts_as_integers_and_sends_where_and_date_filters_to_the_server() {
    let server = TestServer::start().await;
    let recorder = common::Recorder::start(&server).await;
    let source = format!("OAPIF:{}/api", recorder.base);
    let summary = ogrinfo(vec![
        "-ro".into(),
        "-so".into(),
        source.clone(),
        "incidents".into(),
    ])
    .await;
    // From the schema, not guessed from a first page where every child count is empty.
    for field in ["killed", "injured_high", "children_injured_high"] {
        assert!(
            field_type(&summary, field).starts_with("Integer"),
            "{field}: {summary}"
        );
    }
    assert!(field_type(&summary, "depth_km").starts_with("Real"));
    assert!(field_type(&summary, "date").starts_with("Date"));
    assert_eq!(summary.lines().filter(|l| l.starts_with("id: ")).count(), 1);

    let shelling = ogrinfo(vec![
        "-ro".into(),
        "-al".into(),
        "-q".into(),
        source.clone(),
        "incidents".into(),
        "-where".into(),
        "type = 'shelling'".into(),
    ])
    .await;
    assert_eq!(
        shelling.matches("OGRFeature(incidents)").count(),
        2,
        "{shelling}"
    );
    let dated = ogrinfo(vec![
        "-ro".into(),
        "-al".into(),
        "-q".into(),
        source.clone(),
        "incidents".into(),
        "-where".into(),
        "date >= '2020-10-11'".into(),
    ])
    .await;
    // fx-004, fx-005, and fx-002, whose possible days run to 10 November.
    assert_eq!(dated.matches("OGRFeature(incidents)").count(), 3, "{dated}");
    let requests = recorder.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.contains("/api/collections/incidents/items?") && r.contains("type=shelling")),
        "GDAL did not send type=shelling: {requests:#?}"
    );
    assert!(
        requests
            .iter()
            .any(|r| r.contains("datetime=2020-10-11T/..")),
        "GDAL did not send its datetime form: {requests:#?}"
    );
    assert!(
        requests
            .iter()
            .any(|r| r.contains("/incidents/feature-schema")),
        "GDAL did not read the schema: {requests:#?}"
    );
}

#[tokio::test]
async fn a_geopackage_export_sums_the_counts() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("incidents.gpkg");
    let output = tokio::process::Command::new("ogr2ogr")
        .args(["-f", "GPKG"])
        .arg(&gpkg)
        .arg(format!("OAPIF:{}/api", server.base))
        .arg("incidents")
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run ogr2ogr ({e}): install Debian's gdal-bin"));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let api: serde_json::Value = server
        .json("/api/collections/incidents/items?limit=100", 200)
        .await;
    let expected: u64 = api["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["properties"]["killed"].as_u64())
        .sum();
    assert!(expected > 0);
    let summed = ogrinfo(vec![
        "-ro".into(),
        gpkg.to_string_lossy().to_string(),
        "-sql".into(),
        "SELECT SUM(killed) AS total, typeof(killed) AS kind FROM incidents WHERE killed IS NOT NULL".into(),
    ])
    .await;
    assert!(
        summed.contains(&format!("total (Integer) = {expected}")),
        "{summed}"
    );
    assert!(summed.contains("kind (String) = integer"), "{summed}");
}

/// GDAL's MVT driver, a decoder written independently of strikemap's encoder, reads a filtered
/// tile: the same incidents as `/items` with the same filter, each where its record puts it.
#[tokio::test]
async fn gdal_decodes_a_filtered_vector_tile() {
    let server = TestServer::start().await;
    let filter = "type=shelling,unknown";
    let (z, x, y) = (5u32, 20u32, 12u32);
    let bytes = server
        .get(&format!(
            "/api/collections/incidents/tiles/WebMercatorQuad/{z}/{y}/{x}?{filter}"
        ))
        .await
        .bytes()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tile.mvt");
    std::fs::write(&path, &bytes).unwrap();
    let listing = ogrinfo(vec![
        "-ro".into(),
        "-al".into(),
        "-oo".into(),
        format!("Z={z}"),
        "-oo".into(),
        format!("X={x}"),
        "-oo".into(),
        format!("Y={y}"),
        path.display().to_string(),
    ])
    .await;
    let items = server
        .json(
            &format!("/api/collections/incidents/items?limit=1000&{filter}"),
            200,
        )
        .await;
    let features = items["features"].as_array().unwrap();
    assert!(
        features.len() >= 2,
        "the fixture has several such incidents"
    );
    // ogrinfo prints each feature's fields, then its geometry in EPSG:3857 metres.
    let mut decoded = std::collections::HashMap::new();
    let mut current: Option<String> = None;
    for line in listing.lines().map(str::trim) {
        if let Some(id) = line.strip_prefix("id (String) = ") {
            current = Some(id.to_string());
        }
        if let (Some(point), Some(id)) = (line.strip_prefix("POINT ("), &current) {
            let xy: Vec<f64> = point
                .trim_end_matches(')')
                .split(' ')
                .map(|v| v.parse().unwrap())
                .collect();
            decoded.insert(id.clone(), (xy[0], xy[1]));
        }
    }
    assert_eq!(decoded.len(), features.len(), "{listing}");
    const R: f64 = 6_378_137.0;
    for f in features {
        let id = f["id"].as_str().unwrap();
        let c = &f["geometry"]["coordinates"];
        let (lon, lat) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
        let want = (
            R * lon.to_radians(),
            R * (std::f64::consts::FRAC_PI_4 + lat.to_radians() / 2.0)
                .tan()
                .ln(),
        );
        let got = decoded[id];
        // One tile unit at zoom 5 is about 306 m of Web Mercator.
        assert!(
            (got.0 - want.0).abs() < 310.0 && (got.1 - want.1).abs() < 310.0,
            "{id}: {got:?} vs {want:?}"
        );
    }
}

/// `strikemap export --out x.gpkg` writes a GeoPackage GDAL opens with typed columns and every
/// incident; a query narrows it the way `/items` would.
#[tokio::test]
async fn gdal_opens_the_geopackage_export_with_typed_fields() {
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("incidents.gpkg");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_strikemap"))
        .args(["export", "--no-db", "--data"])
        .arg(common::fixture_dir())
        .arg("--out")
        .arg(&gpkg)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let info = ogrinfo(vec![
        "-so".into(),
        gpkg.display().to_string(),
        "incidents".into(),
    ])
    .await;
    for typed in [
        "Geometry: Point",
        "Feature Count: 6",
        "killed: Integer64",
        "injured_high: Integer64",
        "depth_km: Real",
        "uncertainty_km: Real",
        "date: Date",
        "id: String",
        "ID[\"EPSG\",4326]",
    ] {
        assert!(info.contains(typed), "{typed} missing:\n{info}");
    }
    let server = TestServer::start().await;
    let api = server
        .json("/api/collections/incidents/items?limit=100", 200)
        .await;
    let killed: u64 = api["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["properties"]["killed"].as_u64())
        .sum();
    let sum = ogrinfo(vec![
        gpkg.display().to_string(),
        "-sql".into(),
        "SELECT SUM(killed) AS total FROM incidents".into(),
    ])
    .await;
    assert!(
        sum.contains(&format!("total (Integer) = {killed}")),
        "{sum}"
    );
    let hadrut = dir.path().join("hadrut.gpkg");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_strikemap"))
        .args(["export", "--no-db", "--query", "town=Hadrut", "--data"])
        .arg(common::fixture_dir())
        .arg("--out")
        .arg(&hadrut)
        .output()
        .unwrap();
    assert!(output.status.success());
    let expected = server.ids("town=Hadrut").await.len();
    let info = ogrinfo(vec![
        "-so".into(),
        hadrut.display().to_string(),
        "incidents".into(),
    ])
    .await;
    assert!(
        info.contains(&format!("Feature Count: {expected}")),
        "{info}"
    );
}
