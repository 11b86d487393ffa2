//! Imports and exports on a real store: ACLED's CSV export (a sample written for these tests),
//! GeoJSON and strikemap's CSV, good rows and malformed ones; a dry run writes nothing; a bad
//! row never half-imports; exports re-import to the same records; a running service picks up
//! an import made beside it.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use strikemap::config::Settings;
use strikemap::edit::Checker;
use strikemap::edit::import::{self, Format, Report};
use strikemap::store::database::Database;

fn acled_sample() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/acled_sample.csv"
    ))
}

fn checker(data: &Path) -> Checker {
    let (places, archive) =
        strikemap::store::places_and_archive(&strikemap::store::DataPaths::in_dir(data)).unwrap();
    Checker::new(
        Arc::new(strikemap::gazetteer::Gazetteer::new(places)),
        archive,
        data.join("import"),
    )
}

/// A store over the fixtures (seeded with their six incidents), its directory and its path.
fn store() -> (tempfile::TempDir, Database) {
    let dir = common::copy_of_fixtures();
    let mut settings = Settings::with_data(dir.path().to_path_buf());
    settings.no_db = false;
    settings.db = Some(dir.path().join("store.db"));
    let db = strikemap::open_store(&settings, &|_| {}).unwrap().unwrap();
    (dir, db)
}

fn run(db: &Database, data: &Path, file: &Path, format: Format, dry_run: bool) -> Report {
    import::import(db, &checker(data), file, format, dry_run, &|_| {}).unwrap()
}

fn fields_of(report: &Report, row: usize) -> Vec<String> {
    report
        .rejections
        .iter()
        .find(|r| r.row == row)
        .unwrap_or_else(|| panic!("row {row} not rejected: {report:?}"))
        .problems
        .iter()
        .map(|p| p.field.clone())
        .collect()
}

fn properties(db: &Database, id: &str) -> Value {
    let stored = db
        .get(id)
        .unwrap()
        .unwrap_or_else(|| panic!("{id} not stored"));
    serde_json::from_str::<Value>(&stored.feature).unwrap()["properties"].clone()
}

#[test]
fn an_acled_export_imports_its_attacks_and_names_what_is_wrong_with_the_rest() {
    let (dir, db) = store();
    let before = db.data_version().unwrap();
    let dry = run(&db, dir.path(), &acled_sample(), Format::Acled, true);
    assert_eq!((dry.read, dry.created, dry.rejected), (6, 3, 3), "{dry:?}");
    assert_eq!(db.data_version().unwrap(), before, "a dry run wrote");
    assert!(db.get("acled-TST1").unwrap().is_none());

    let report = run(&db, dir.path(), &acled_sample(), Format::Acled, false);
    assert_eq!(
        (report.created, report.updated, report.rejected),
        (3, 0, 3),
        "{report:?}"
    );
    // The CSV header is line 1: TST4 is line 5.
    assert_eq!(fields_of(&report, 5), ["event_type"]);
    assert_eq!(fields_of(&report, 6), ["event_date", "latitude, longitude"]);
    assert_eq!(fields_of(&report, 7), ["location"]);
    assert_eq!(report.rejections[0].id.as_deref(), Some("acled-TST4"));
    for rejected in ["acled-TST4", "acled-TST5", "acled-TST6"] {
        assert!(
            db.get(rejected).unwrap().is_none(),
            "{rejected} half-imported"
        );
    }
    assert!(report.ignored_columns.contains(&"actor2".to_string()));

    let day = properties(&db, "acled-TST1");
    assert_eq!(day["date"], "2020-10-04");
    assert_eq!(day["date_precision"], "day");
    assert_eq!(day["place"], "stepanakert");
    assert_eq!(day["killed"], 1);
    assert_eq!(day["type"], "shelling");
    assert_eq!(day["reported_by"], json!(["armenian_authorities"]));
    assert_eq!(
        day["perpetrator_alleged"], "unknown",
        "ACLED's actors carry no direction"
    );
    assert_eq!(day["sources"][0]["role"], "secondary");
    assert_eq!(
        day["sources"][0]["claimant"],
        "Ministry of Defence of Armenia"
    );
    // A week coded to its middle day: three days either side.
    let week = properties(&db, "acled-TST2");
    assert_eq!(
        (week["date"].as_str(), week["date_end"].as_str()),
        (Some("2020-10-08"), Some("2020-10-14"))
    );
    assert_eq!(week["type"], "drone_strike");
    assert_eq!(week["reported_by"], json!(["azerbaijani_authorities"]));
    assert_eq!(week["geo_precision"], "district");
    assert_eq!(week["uncertainty_km"], 25.0);
    // A month: the whole month; "Shusha" is Shushi's other name.
    let month = properties(&db, "acled-TST3");
    assert_eq!(
        (month["date"].as_str(), month["date_end"].as_str()),
        (Some("2020-10-01"), Some("2020-10-31"))
    );
    assert_eq!(month["place"], "shushi");
    assert_eq!(month["uncertainty_km"], 50.0);
    assert!(month.get("killed").is_none(), "no figure is not zero");
    assert_eq!(month["reported_by"], json!(["international_ngo"]));

    // Importing the same file again changes nothing.
    let again = run(&db, dir.path(), &acled_sample(), Format::Acled, false);
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 3));
    let (total, trail) = db.history("acled-TST1", 10, 0).unwrap();
    assert_eq!(total, 1);
    assert_eq!(trail[0].action, "import");
    assert_eq!(trail[0].actor, "import:acled_sample.csv");
}

#[test]
fn malformed_geojson_and_csv_rows_are_rejected_whole_and_the_rest_imported() {
    let (dir, db) = store();
    let good = json!({
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [47.03, 39.52]},
        "properties": {
            "id": "imp-1", "title": "Imported", "description": "Test row, not a real event.",
            "date": "2020-10-20", "date_precision": "day", "place": "hadrut",
            "geo_precision": "settlement", "location_source": "test", "type": "shelling",
            "weapon": "unknown", "target": "unknown", "perpetrator_alleged": "unknown",
            "reported_by": ["media"], "verification": "weak",
            "sources": [{"publisher": "T", "title": "T", "url": "https://example.org/t", "role": "primary"}]
        }
    });
    let mut bad_type = good.clone();
    bad_type["properties"]["id"] = json!("imp-2");
    bad_type["properties"]["weapon"] = json!("trebuchet");
    let mut no_id = good.clone();
    no_id["properties"].as_object_mut().unwrap().remove("id");
    let file = dir.path().join("in.geojson");
    let collection =
        json!({"type": "FeatureCollection", "features": [good, bad_type, good, no_id]});
    std::fs::write(&file, collection.to_string()).unwrap();
    let report = run(&db, dir.path(), &file, Format::Geojson, false);
    assert_eq!(
        (report.read, report.created, report.rejected),
        (4, 1, 3),
        "{report:?}"
    );
    assert_eq!(fields_of(&report, 2), ["properties.weapon"]);
    assert_eq!(fields_of(&report, 3), ["properties.id"], "a repeated id");
    assert_eq!(fields_of(&report, 4), ["properties.id"]);
    assert!(db.get("imp-2").unwrap().is_none());

    let csv = dir.path().join("in.csv");
    std::fs::write(
        &csv,
        "id,longitude,latitude,date,date_precision,place_id,geo_precision,location_source,type,weapon,target,killed,perpetrator_alleged,reported_by,verification,title,description,sources_json\n\
         c-1,47.03,39.52,2020-10-21,day,hadrut,settlement,test,shelling,unknown,unknown,2,unknown,media;local_ngo,weak,Csv row,Test row.,\"[{\"\"publisher\"\":\"\"T\"\",\"\"title\"\":\"\"T\"\",\"\"url\"\":\"\"https://example.org/t\"\",\"\"role\"\":\"\"primary\"\"}]\"\n\
         c-2,47.03,39.52,2020-10-21,day,hadrut,settlement,test,shelling,unknown,unknown,two,unknown,media,weak,Csv row,Test row.,[]\n\
         c-3,,39.52,2020-10-21,day,hadrut,settlement,test,shelling,unknown,unknown,,unknown,media,weak,Csv row,Test row.,[]\n",
    )
    .unwrap();
    let report = run(&db, dir.path(), &csv, Format::Csv, false);
    assert_eq!(
        (report.read, report.created, report.rejected),
        (3, 1, 2),
        "{report:?}"
    );
    assert_eq!(fields_of(&report, 3), ["killed"]);
    assert_eq!(fields_of(&report, 4), ["longitude, latitude"]);
    let row = properties(&db, "c-1");
    assert_eq!(row["reported_by"], json!(["media", "local_ngo"]));
    assert_eq!(row["killed"], 2);

    let broken = dir.path().join("broken.geojson");
    std::fs::write(&broken, "{\"type\": \"FeatureCollection\", \"features\": [").unwrap();
    let error = import::import(
        &db,
        &checker(dir.path()),
        &broken,
        Format::Geojson,
        false,
        &|_| {},
    )
    .unwrap_err();
    assert!(error.to_string().contains("broken.geojson"), "{error}");
}

/// Every feature `/items` serves, by id, over `settings`.
async fn served(settings: Settings) -> Vec<Value> {
    let server = common::TestServer::start_with(settings).await;
    let body = server
        .json("/api/collections/incidents/items?limit=10000", 200)
        .await;
    let mut features = body["features"].as_array().unwrap().clone();
    for f in &mut features {
        f.as_object_mut().unwrap().remove("links");
    }
    features.sort_by_key(|f| f["id"].as_str().unwrap().to_string());
    features
}

#[tokio::test]
async fn exports_re_import_to_the_same_records() {
    let (dir, db) = store();
    run(&db, dir.path(), &acled_sample(), Format::Acled, false);
    drop(db);
    let mut settings = Settings::with_data(dir.path().to_path_buf());
    settings.no_db = false;
    settings.db = Some(dir.path().join("store.db"));
    let index = strikemap::load(&settings, &|_| {}).unwrap();
    let original = served(settings.clone()).await;
    assert_eq!(original.len(), 9);
    for (format, name) in [
        (strikemap::api::export::Format::Geojson, "all.geojson"),
        (strikemap::api::export::Format::Csv, "all.csv"),
    ] {
        let out = dir.path().join(name);
        let n = strikemap::api::export::export(&index, "", format, &out).unwrap();
        assert_eq!(n, 9);
        assert!(
            strikemap::api::export::export(&index, "", format, &out).is_err(),
            "overwrote"
        );
        // A fresh store whose data files hold no incidents, filled only by the import.
        let fresh = common::copy_of_fixtures();
        std::fs::write(
            fresh.path().join("incidents.geojson"),
            r#"{"type":"FeatureCollection","features":[]}"#,
        )
        .unwrap();
        let mut fresh_settings = Settings::with_data(fresh.path().to_path_buf());
        fresh_settings.no_db = false;
        fresh_settings.db = Some(fresh.path().join("store.db"));
        let fresh_db = strikemap::open_store(&fresh_settings, &|_| {})
            .unwrap()
            .unwrap();
        let import_format = if name.ends_with("csv") {
            Format::Csv
        } else {
            Format::Geojson
        };
        let report = run(&fresh_db, fresh.path(), &out, import_format, false);
        assert_eq!(
            (report.created, report.rejected),
            (9, 0),
            "{name}: {report:?}"
        );
        drop(fresh_db);
        let again = served(fresh_settings).await;
        assert_eq!(
            again, original,
            "{name} did not re-import to the same records"
        );
    }
    let filtered = dir.path().join("hadrut.geojson");
    let n = strikemap::api::export::export(
        &index,
        "town=Hadrut",
        strikemap::api::export::Format::Geojson,
        &filtered,
    )
    .unwrap();
    assert!((1..9).contains(&n));
    let bad = strikemap::api::export::export(
        &index,
        "town=Atlantis",
        strikemap::api::export::Format::Geojson,
        &dir.path().join("x.geojson"),
    );
    assert!(bad.unwrap_err().to_string().contains("Atlantis"));
}

#[tokio::test]
async fn a_running_service_picks_up_an_import_made_beside_it() {
    let (server, dir, _) = common::TestServer::start_editable().await;
    server
        .json("/api/collections/incidents/items/acled-TST1", 404)
        .await;
    let db = Database::open(&dir.path().join("store.db")).unwrap();
    let report = run(&db, dir.path(), &acled_sample(), Format::Acled, false);
    assert_eq!(report.created, 3);
    let mut seen = false;
    for _ in 0..100 {
        let status = server
            .get("/api/collections/incidents/items/acled-TST1")
            .await
            .status();
        if status == 200 {
            seen = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(seen, "the service never showed the imported incident");
    let stats = server.json("/api/stats", 200).await;
    assert_eq!(stats["number_matched"], 9);
}

#[test]
fn the_import_command_reports_rejections_and_fails_without_writing_on_a_dry_run() {
    let (dir, db) = store();
    drop(db);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_strikemap"))
        .arg("import")
        .arg(acled_sample())
        .args(["--dry-run", "--data"])
        .arg(dir.path())
        .arg("--db")
        .arg(dir.path().join("store.db"))
        .arg("--report")
        .arg(dir.path().join("report.json"))
        .output()
        .unwrap();
    assert!(!output.status.success(), "rejections must fail the command");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stdout.contains("dry run (nothing written): 6 rows read: 3 created"),
        "{stdout}"
    );
    assert!(stderr.contains("row 7 (acled-TST6): location"), "{stderr}");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(report["rejected"], 3);
    let db = Database::open(&dir.path().join("store.db")).unwrap();
    assert!(db.get("acled-TST1").unwrap().is_none());
}

#[tokio::test]
async fn an_editor_imports_through_the_api_and_sees_the_rows_at_once() {
    let (server, _dir, [viewer, editor, _]) = common::TestServer::start_editable().await;
    let body = std::fs::read_to_string(acled_sample()).unwrap();
    let post = |token: &str, query: &str| {
        server
            .client
            .post(format!(
                "{}/api/collections/incidents/import?{query}",
                server.base
            ))
            .bearer_auth(token)
            .header("Content-Type", "text/csv")
            .body(body.clone())
            .send()
    };
    let refused = post(&viewer, "format=acled").await.unwrap();
    assert_eq!(refused.status(), 403);
    let dry: Value = post(&editor, "format=acled&dry_run=true")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (dry["created"].as_u64(), dry["rejected"].as_u64()),
        (Some(3), Some(3)),
        "{dry}"
    );
    server
        .json("/api/collections/incidents/items/acled-TST1", 404)
        .await;
    let bad = post(&editor, "format=kml").await.unwrap();
    assert_eq!(bad.status(), 400);
    let done = post(&editor, "format=acled&filename=october.csv")
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    let report: Value = done.json().await.unwrap();
    assert_eq!(
        report["rejections"][0]["problems"][0]["field"],
        "event_type"
    );
    // Visible in the same moment the answer came.
    server
        .json("/api/collections/incidents/items/acled-TST1", 200)
        .await;
    let history = server
        .json("/api/collections/incidents/items/acled-TST1/history", 200)
        .await;
    // The public sees the file, not the editor who sent it.
    assert!(history["revisions"][0]["actor"].is_null(), "{history}");
    assert_eq!(
        history["revisions"][0]["reason"],
        "imported from october.csv"
    );
    let full: Value = server
        .client
        .get(format!(
            "{}/api/collections/incidents/items/acled-TST1/history",
            server.base
        ))
        .bearer_auth(&editor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(full["revisions"][0]["actor"], "test editor");
}
