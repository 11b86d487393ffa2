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
