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
