//! The OpenAPI document a generated client relies on: it names the server, every documented
//! path answers, its parameters are exactly the ones the parser accepts, list parameters are
//! comma-separated arrays, and every operation has an id and typed responses.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use serde_json::Value;

#[tokio::test]
async fn the_document_matches_the_server() {
    // On a store, so that the editing paths (history, evidence) answer too.
    let (server, _dir, _) = common::TestServer::start_editable().await;
    let response = server.get("/api/api").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.oai.openapi+json;version=3.0"
    );
    let doc: Value = response.json().await.unwrap();
    let server_url = doc["servers"][0]["url"].as_str().unwrap().to_string();
    assert_eq!(server_url, format!("{}/api", server.base));

    for (path, item) in doc["paths"].as_object().unwrap() {
        if item.get("get").is_none() {
            // Write-only (import): its operations are checked below.
            assert!(item["post"]["operationId"].is_string(), "{path}");
            continue;
        }
        let op = &item["get"];
        assert!(op["operationId"].is_string(), "{path} has no operationId");
        let ok = &op["responses"]["200"]["content"];
        assert!(
            ok.as_object().is_some_and(|c| !c.is_empty()),
            "{path}: untyped 200"
        );
        for p in op["parameters"].as_array().unwrap() {
            if p["schema"]["type"] == "array" {
                assert_eq!(p["style"], "form", "{path} {}", p["name"]);
                assert_eq!(p["explode"], false, "{path} {}", p["name"]);
            }
            assert!(
                p["schema"]["maximum"].is_null() || p["name"] != "limit",
                "limit is clamped, not capped"
            );
        }
        // Every documented path answers at the server it names.
        let concrete = path
            .replace("{featureId}", "fx-001")
            .replace("{tileMatrix}/{tileRow}/{tileCol}", "3/2/5")
            .replace("/measure/path", "/measure/path?points=46.7,39.8;46.8,39.9");
        let concrete = if concrete == "/measure" {
            "/measure?lon=46.75&lat=39.82".to_string()
        } else {
            concrete
        };
        if concrete.contains("/items/fx-001") && !concrete.contains("/incidents/") {
            continue; // only incidents have fixture ids known here
        }
        if concrete.contains("{sha256}") {
            continue; // no evidence file exists on a fresh store
        }
        let url = format!("{server_url}{concrete}");
        let status = server.client.get(&url).send().await.unwrap().status();
        assert_eq!(status, 200, "GET {url}");
    }

    // The incident parameters documented are exactly those the parser accepts.
    let op = &doc["paths"]["/collections/incidents/items"]["get"];
    let mut documented: Vec<String> = op["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .filter(|n| n != "f")
        .collect();
    documented.sort();
    let mut accepted: Vec<String> = strikemap::query::INCIDENT_PARAMS
        .iter()
        .map(|s| s.to_string())
        .collect();
    accepted.sort();
    assert_eq!(documented, accepted);

    // Counts are typed integers, so GIS clients do not guess them as text.
    let killed = &doc["components"]["schemas"]["IncidentProperties"]["properties"]["killed"];
    assert_eq!(killed["type"], "integer");
}

#[tokio::test]
async fn single_features_link_to_themselves_and_every_collection_has_an_extent() {
    let server = common::TestServer::start().await;
    let one: Value = server
        .json("/api/collections/incidents/items/fx-001", 200)
        .await;
    let rels: Vec<&str> = one["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap())
        .collect();
    assert_eq!(rels, ["self", "collection"]);
    let collections: Value = server.json("/api/collections", 200).await;
    for c in collections["collections"].as_array().unwrap() {
        let extent = &c["extent"];
        assert!(extent.is_object(), "{} has no extent", c["id"]);
        if let Some(interval) = extent["temporal"]["interval"][0].as_array() {
            let start = interval[0].as_str().unwrap();
            assert!(
                chrono::DateTime::parse_from_rfc3339(start).is_ok(),
                "{}: {start}",
                c["id"]
            );
        }
    }
    // GDAL's and QGIS's date forms.
    let ids = server.ids("datetime=2020-10-01T/2020-10-31T").await;
    assert_eq!(ids, server.ids("datetime=2020-10-01/2020-10-31").await);
}
