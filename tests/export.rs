//! CSV and the bulk download, as a spreadsheet user and a GIS analyst get them: a byte-order
//! mark and the documented columns, formulas shown rather than run, every source kept, and a
//! download of every match (past the 10,000 a page holds) that is streamed, never held whole.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::TestServer;
use serde_json::Value;
use strikemap::config::Settings;

fn parse_csv(body: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let bom = "\u{feff}".as_bytes();
    assert!(body.starts_with(bom), "no UTF-8 byte-order mark");
    let mut reader = csv::Reader::from_reader(&body[bom.len()..]);
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

fn column(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

#[tokio::test]
async fn a_csv_page_has_the_documented_columns_and_keeps_every_source() {
    let server = TestServer::start().await;
    let response = server
        .get("/api/collections/incidents/items?f=csv&limit=4")
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    assert_eq!(response.headers()["ogc-numbermatched"], "6");
    assert!(
        response.headers()["link"]
            .to_str()
            .unwrap()
            .contains("offset=4"),
        "a next link in the Link header"
    );
    let (header, rows) = parse_csv(&response.bytes().await.unwrap());
    // The columns are the ones the README documents, in its order.
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let documented: Vec<String> = readme
        .split("<!-- csv-columns:start -->")
        .nth(1)
        .and_then(|rest| rest.split("<!-- csv-columns:end -->").next())
        .expect("README documents the CSV columns")
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_string)
        .collect();
    assert_eq!(header, documented);
    assert_eq!(rows.len(), 4);

    // Each row carries every source exactly as the GeoJSON does.
    let geojson: Value = server
        .json("/api/collections/incidents/items?limit=4", 200)
        .await;
    for (row, feature) in rows.iter().zip(geojson["features"].as_array().unwrap()) {
        assert_eq!(row[column(&header, "id")], feature["id"].as_str().unwrap());
        let sources: Value = serde_json::from_str(&row[column(&header, "sources_json")]).unwrap();
        assert_eq!(sources, feature["properties"]["sources"]);
        assert_eq!(
            row[column(&header, "source_count")],
            sources.as_array().unwrap().len().to_string()
        );
        let killed = &feature["properties"]["killed"];
        let cell = &row[column(&header, "killed")];
        if killed.is_null() {
            assert_eq!(cell, "", "an unknown toll is an empty cell, never 0");
        } else {
            assert_eq!(cell, &killed.to_string());
        }
    }

    // Accept: text/csv chooses CSV; other collections say they have none.
    let by_accept = server
        .client
        .get(format!("{}/api/collections/incidents/items", server.base))
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(
        by_accept.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let refused: Value = server
        .json("/api/collections/places/items?f=csv", 400)
        .await;
    assert_eq!(refused["parameter"], "f");
    let not_acceptable = server
        .client
        .get(format!("{}/api/collections/places/items", server.base))
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(not_acceptable.status(), 406);
    // An `f` named in the query is the client's choice, whatever its Accept header says.
    let chosen = server
        .client
        .get(format!(
            "{}/api/collections/places/items?f=json",
            server.base
        ))
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(chosen.status(), 200);
    assert_eq!(chosen.headers()["content-type"], "application/geo+json");
    let stats: Value = server.json("/api/stats?f=csv", 400).await;
    assert_eq!(stats["parameter"], "f");
}

#[tokio::test]
async fn formulas_in_the_data_are_shown_not_run() {
    let dir = common::copy_of_fixtures();
    let path = dir.path().join("incidents.geojson");
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text.replacen(
        "\"title\": \"Fixture cluster attack on Stepanakert\"",
        "\"title\": \"=HYPERLINK(\\\"http://example.invalid\\\",\\\"click\\\")\"",
        1,
    );
    assert!(text.contains("HYPERLINK"), "the fixture title was replaced");
    std::fs::write(&path, text).unwrap();
    let server = TestServer::start_with(Settings::with_data(dir.path().to_path_buf())).await;
    for path in [
        "/api/collections/incidents/items?f=csv",
        "/api/collections/incidents/download?f=csv",
    ] {
        let body = server.get(path).await.bytes().await.unwrap();
        let (header, rows) = parse_csv(&body);
        let title = column(&header, "title");
        let cell = rows
            .iter()
            .map(|r| &r[title])
            .find(|t| t.contains("HYPERLINK"))
            .expect("the row is there");
        assert!(cell.starts_with("'="), "{path}: {cell}");
        for row in &rows {
            for cell in row {
                assert!(
                    !cell.starts_with('='),
                    "{path}: a cell starts a formula: {cell}"
                );
            }
        }
    }
}

/// A dataset with more incidents than one page may hold.
fn past_a_page() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    strikemap::generate::generate(
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/data")),
        &dir.path().join("data"),
        12_000,
        11,
        &|_| {},
    )
    .unwrap();
    dir
}

fn resident_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[tokio::test]
async fn the_download_holds_every_match_streams_it_and_is_bounded() {
    let dir = past_a_page();
    let mut settings = Settings::with_data(dir.path().join("data"));
    settings.max_downloads = 3;
    let server = TestServer::start_with(settings).await;

    // Every match, past the 10,000 a page holds, in GeoJSON and in CSV.
    let response = server.get("/api/collections/incidents/download").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers().get("content-length").is_none(),
        "streamed, not sized up front"
    );
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment"),
    );
    let all: Value = response.json().await.unwrap();
    assert_eq!(all["numberMatched"], 12_000);
    assert_eq!(all["features"].as_array().unwrap().len(), 12_000);
    let (_, rows) = parse_csv(
        &server
            .get("/api/collections/incidents/download?f=csv")
            .await
            .bytes()
            .await
            .unwrap(),
    );
    assert_eq!(rows.len(), 12_000);

    // Filtered downloads hold what the filtered pages hold.
    let page: Value = server
        .json(
            "/api/collections/incidents/items?type=shelling&limit=1",
            200,
        )
        .await;
    let filtered: Value = server
        .json("/api/collections/incidents/download?type=shelling", 200)
        .await;
    assert_eq!(filtered["numberMatched"], page["numberMatched"]);
    let body: Value = server
        .json("/api/collections/incidents/download?limit=5", 400)
        .await;
    assert_eq!(body["parameter"], "limit");

    // Clients that start downloads and never read cost a chunk each, not the whole file
    // (about 30 MB of GeoJSON here), and past the bound the next one is told to come back.
    let before = resident_kib();
    let addr = server.base.trim_start_matches("http://").to_string();
    let mut stalled = Vec::new();
    for _ in 0..3 {
        // A raw socket that asks and never reads: only the kernel's buffers fill.
        let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
        tokio::io::AsyncWriteExt::write_all(
            &mut stream,
            b"GET /api/collections/incidents/download HTTP/1.1\r\nHost: x\r\n\r\n",
        )
        .await
        .unwrap();
        stalled.push(stream);
    }
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let grown_mib = resident_kib().saturating_sub(before) / 1024;
    assert!(
        grown_mib < 40,
        "three stalled downloads grew memory by {grown_mib} MiB"
    );
    let busy = server.get("/api/collections/incidents/download").await;
    assert_eq!(busy.status(), 503);
    drop(stalled);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let again = server
        .get("/api/collections/incidents/download?type=shelling")
        .await;
    assert_eq!(again.status(), 200, "permits come back when the clients go");
}
