//! The API end to end: the real server on an ephemeral port, the fixture dataset, every
//! parameter and every bad-input case.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::{TestServer, sorted, strings};
use serde_json::Value;

#[tokio::test]
async fn landing_conformance_and_collections() {
    let server = TestServer::start().await;
    let landing = server.json("/api", 200).await;
    let rels: Vec<&str> = landing["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap())
        .collect();
    for rel in ["self", "conformance", "data"] {
        assert!(rels.contains(&rel), "landing page lacks {rel}: {rels:?}");
    }
    let conformance = server.json("/api/conformance", 200).await;
    assert!(
        conformance["conformsTo"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c.as_str().unwrap().ends_with("/conf/geojson"))
    );
    let collections = server.json("/api/collections", 200).await;
    let ids: Vec<&str> = collections["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "incidents",
            "places",
            "line-of-contact",
            "control-areas",
            "military-objects",
            "protected-objects",
            "depth-bands",
            "summaries"
        ]
    );
    let incidents = server.json("/api/collections/incidents", 200).await;
    assert_eq!(
        incidents["extent"]["temporal"]["interval"][0][0],
        "2020-09-27T00:00:00Z"
    );
    let bbox = &incidents["extent"]["spatial"]["bbox"][0];
    assert!(bbox[0].as_f64().unwrap() < bbox[2].as_f64().unwrap());
    let missing = server.json("/api/collections/nope", 404).await;
    assert_eq!(missing["code"], "NotFound");
}

#[tokio::test]
async fn items_carry_counts_links_and_every_required_property() {
    let server = TestServer::start().await;
    let response = server.get("/api/collections/incidents/items?limit=2").await;
    assert_eq!(response.headers()["content-type"], "application/geo+json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["type"], "FeatureCollection");
    assert_eq!(body["numberMatched"], 6);
    assert_eq!(body["numberReturned"], 2);
    let next = body["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "next")
        .expect("a next link");
    assert!(next["href"].as_str().unwrap().contains("offset=2"));
    for feature in body["features"].as_array().unwrap() {
        let p = &feature["properties"];
        for key in [
            "id",
            "title",
            "date",
            "date_precision",
            "place",
            "place_names",
            "geo_precision",
            "type",
            "weapon",
            "target",
            "killed",
            "injured",
            "reported_by",
            "verification",
            "sources",
            "depth_km",
            "depth_low_km",
            "depth_high_km",
            "side",
            "nearest_military_km",
            "nearest_protected_km",
            "attribution",
        ] {
            assert!(p.get(key).is_some(), "property {key} missing from {p}");
        }
        assert!(!p["sources"].as_array().unwrap().is_empty());
        assert!(
            p["attribution"]
                .as_str()
                .unwrap()
                .starts_with("Reported by ")
        );
        assert!(p["depth_low_km"].as_f64().unwrap() <= p["depth_km"].as_f64().unwrap());
        assert!(p["depth_high_km"].as_f64().unwrap() >= p["depth_km"].as_f64().unwrap());
    }
}

#[tokio::test]
async fn paging_visits_every_incident_once() {
    let server = TestServer::start().await;
    let mut seen = Vec::new();
    for offset in [0, 4] {
        seen.extend(server.ids(&format!("limit=4&offset={offset}")).await);
    }
    assert_eq!(seen.len(), 6);
    assert_eq!(sorted(seen.clone()), sorted(server.ids("").await));
    let last = server
        .json("/api/collections/incidents/items?limit=4&offset=4", 200)
        .await;
    let rels: Vec<&str> = last["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap())
        .collect();
    assert!(
        rels.contains(&"prev") && !rels.contains(&"next"),
        "{rels:?}"
    );
    // Default order is by date.
    assert_eq!(server.ids("").await[0], "fx-002");
    // Following `next` (and then `prev`) links keeps every other parameter, encoded: the
    // pages of a filtered, sorted query are its matches, each once, in order.
    let query = "sortby=-date&bbox=-180,-90,180,90&filter=killed%20%3E%3D%200%20OR%20killed%20IS%20NULL&limit=2";
    let all = server.ids(&query.replace("limit=2", "limit=100")).await;
    assert!(all.len() > 2, "{all:?}");
    let (mut pages, mut path) = (
        Vec::new(),
        format!("/api/collections/incidents/items?{query}"),
    );
    loop {
        let body = server.json(&path, 200).await;
        pages.extend(
            body["features"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["id"].clone()),
        );
        let href = |rel: &str| {
            body["links"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["rel"] == rel)
                .map(|l| {
                    let href = l["href"].as_str().unwrap();
                    href[href.find("/api/").unwrap()..].to_string()
                })
        };
        let Some(next) = href("next") else {
            let prev = href("prev").expect("a last page links to the one before");
            assert!(prev.ends_with(&format!("limit=2&offset={}", (all.len() - 1) / 2 * 2 - 2)));
            break;
        };
        assert!(
            next.contains("filter=killed+%3E%3D+0+OR+killed+IS+NULL"),
            "{next}"
        );
        path = next;
    }
    assert_eq!(pages, all);
}

#[tokio::test]
async fn single_items_and_unknown_ids() {
    let server = TestServer::start().await;
    let feature = server
        .json("/api/collections/incidents/items/fx-004", 200)
        .await;
    assert_eq!(feature["properties"]["time_local"], "02:00");
    assert_eq!(feature["properties"]["place"], "Ganja / Gandzak");
    server
        .json("/api/collections/incidents/items/fx-999", 404)
        .await;
    let place = server
        .json("/api/collections/places/items/stepanakert", 200)
        .await;
    assert_eq!(place["properties"]["name_az"], "Khankendi");
    server
        .json("/api/collections/military-objects/items/mil-fixture-1", 200)
        .await;
    let summary = server
        .json("/api/collections/summaries/items/sum-fixture", 200)
        .await;
    assert!(summary["geometry"].is_null());
}

#[tokio::test]
async fn town_resolves_any_spelling() {
    let server = TestServer::start().await;
    let expected = strings(&["fx-001", "fx-002"]);
    for town in [
        "khankendi",
        "X%C9%99nk%C9%99ndi",
        "STEPANAKERT",
        "Xankendi",
        "%D0%A1%D1%82%D0%B5%D0%BF%D0%B0%D0%BD%D0%B0%D0%BA%D0%B5%D1%80%D1%82",
    ] {
        assert_eq!(
            sorted(server.ids(&format!("town={town}")).await),
            expected,
            "town={town}"
        );
    }
    assert_eq!(
        server.ids("town=G%C9%99nc%C9%99").await,
        strings(&["fx-004"])
    );
    assert_eq!(server.ids("town=Tartar").await, strings(&["fx-003"]));
}

#[tokio::test]
async fn bbox_and_datetime() {
    let server = TestServer::start().await;
    assert_eq!(
        server.ids("bbox=46.2,40.6,46.5,40.8").await,
        strings(&["fx-004"])
    );
    // An instant matches day incidents on that day and range incidents that span it.
    assert_eq!(
        sorted(server.ids("datetime=2020-10-04").await),
        strings(&["fx-001", "fx-002"])
    );
    assert_eq!(
        sorted(server.ids("datetime=2020-10-05/2020-10-31").await),
        strings(&["fx-002", "fx-004", "fx-005"])
    );
    assert_eq!(
        sorted(server.ids("datetime=../2020-09-28").await),
        strings(&["fx-002", "fx-003"])
    );
    assert_eq!(
        sorted(server.ids("datetime=2020-10-12/..").await),
        strings(&["fx-002", "fx-005"])
    );
    assert_eq!(
        sorted(server.ids("datetime=2020-10-11T10:00:00Z").await),
        strings(&["fx-002", "fx-004"])
    );
}

#[tokio::test]
async fn vocabulary_and_text_filters() {
    let server = TestServer::start().await;
    assert_eq!(
        server.ids("type=missile_strike").await,
        strings(&["fx-004"])
    );
    assert_eq!(
        sorted(server.ids("weapon=cluster_munition").await),
        strings(&["fx-001", "fx-006"])
    );
    assert_eq!(
        sorted(server.ids("weapon=armed_uav,ballistic_missile").await),
        strings(&["fx-004", "fx-005"])
    );
    assert_eq!(server.ids("target=medical").await, strings(&["fx-002"]));
    assert_eq!(
        sorted(server.ids("perpetrator=armenian_forces").await),
        strings(&["fx-003", "fx-004"])
    );
    assert_eq!(
        sorted(server.ids("reported_by=media").await),
        strings(&["fx-004"])
    );
    assert_eq!(
        sorted(server.ids("verification=confirmed").await),
        strings(&["fx-001", "fx-006"])
    );
    assert_eq!(server.ids("q=SUBMUNITIONS").await, strings(&["fx-006"]));
    assert_eq!(server.ids("q=terter").await, strings(&["fx-003"]));
}

#[tokio::test]
async fn casualty_depth_and_side_filters() {
    let server = TestServer::start().await;
    // min_killed compares with the highest reported figure.
    assert_eq!(
        sorted(server.ids("min_killed=2").await),
        strings(&["fx-001", "fx-003", "fx-004"])
    );
    assert_eq!(
        sorted(server.ids("side=azerbaijani_side").await),
        strings(&["fx-003", "fx-004"])
    );
    assert_eq!(server.ids("side=armenian_side").await.len(), 4);
    let all = server.json("/api/collections/incidents/items", 200).await;
    let depth = |id: &str| {
        all["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == id)
            .unwrap()["properties"]["depth_km"]
            .as_f64()
            .unwrap()
    };
    let (stepanakert, ganja) = (depth("fx-001"), depth("fx-004"));
    assert!(stepanakert > 20.0 && stepanakert < 35.0, "{stepanakert}");
    assert!(ganja > 35.0, "{ganja}");
    let deep = server.ids(&format!("depth_min_km={}", ganja - 0.01)).await;
    assert!(
        deep.contains(&"fx-004".to_string()) && !deep.contains(&"fx-001".to_string()),
        "{deep:?}"
    );
    let shallow = server
        .ids(&format!("depth_max_km={}", stepanakert + 0.01))
        .await;
    assert!(
        shallow.contains(&"fx-001".to_string()) && !shallow.contains(&"fx-004".to_string()),
        "{shallow:?}"
    );
    for id in server.ids("depth_min_km=20&depth_max_km=40").await {
        let d = depth(&id);
        assert!((20.0..=40.0).contains(&d), "{id} at {d} km");
    }
}

#[tokio::test]
async fn proximity_filters() {
    let server = TestServer::start().await;
    assert_eq!(
        sorted(server.ids("near=46.7528,39.8177&within_km=3").await),
        strings(&["fx-001", "fx-002"])
    );
    assert_eq!(
        server
            .ids("near=46.7528,39.8177&within_km=3&sortby=distance")
            .await
            .len(),
        2
    );
    // The fixture's only military object is about 5 km from Terter.
    let clear = server.ids("military_clear_km=10").await;
    assert_eq!(clear.len(), 5);
    assert!(!clear.contains(&"fx-003".to_string()));
    assert_eq!(server.ids("military_clear_km=1000").await.len(), 0);
    assert_eq!(
        sorted(server.ids("protected_within_km=2").await),
        strings(&["fx-001", "fx-002"])
    );
    let feature = server
        .json("/api/collections/incidents/items/fx-003", 200)
        .await;
    let km = feature["properties"]["nearest_military_km"]
        .as_f64()
        .unwrap();
    assert!(km > 3.0 && km < 8.0, "{km}");
}

#[tokio::test]
async fn sorting() {
    let server = TestServer::start().await;
    let by_killed = server.ids("sortby=-killed").await;
    assert_eq!(
        &by_killed[..3],
        &strings(&["fx-004", "fx-003", "fx-001"])[..]
    );
    // Unknown tolls sort last in either direction.
    assert_eq!(by_killed.last().unwrap(), "fx-006");
    let depths: Vec<f64> = server
        .json("/api/collections/incidents/items?sortby=depth", 200)
        .await["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["depth_km"].as_f64().unwrap())
        .collect();
    assert!(depths.windows(2).all(|w| w[0] <= w[1]), "{depths:?}");
    assert_eq!(server.ids("sortby=-date").await[0], "fx-005");
}

#[tokio::test]
async fn measure_any_point() {
    let server = TestServer::start().await;
    let m = server
        .json("/api/measure?lon=46.7528&lat=39.8177", 200)
        .await;
    assert_eq!(m["side"], "armenian_side");
    assert!(m["depth_km"].as_f64().unwrap() > 20.0);
    assert_eq!(m["nearest_place"]["id"], "stepanakert");
    assert!(
        m["nearest_place"]["names"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n == "Xankəndi")
    );
    assert_eq!(m["nearest_protected"]["id"], "po-fixture-1");
    assert_eq!(m["line_valid_from"], "1994-05-12");
    assert_eq!(m["line_uncertainty_km"], 5.0);
    let dated = server
        .json("/api/measure?lon=46.7528&lat=39.8177&date=2020-10-04", 200)
        .await;
    assert_eq!(dated["depth_km"], m["depth_km"]);
    bad_request(
        &server,
        "/api/measure?lon=46.7528&lat=39.8177&date=tomorrow",
        "date",
    )
    .await;
    let ganja = server.json("/api/measure?lon=46.36&lat=40.68", 200).await;
    assert_eq!(ganja["side"], "azerbaijani_side");
}

#[tokio::test]
async fn stats_aggregate_the_filtered_set() {
    let server = TestServer::start().await;
    let stats = server.json("/api/stats", 200).await;
    assert_eq!(stats["number_matched"], 6);
    assert_eq!(stats["date_ranges"], 1);
    let days: u64 = stats["by_day"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["incidents"].as_u64().unwrap())
        .sum();
    assert_eq!(days, 5);
    let banded: u64 = stats["depth_histogram"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["incidents"].as_u64().unwrap())
        .sum();
    assert_eq!(banded, 6);
    assert_eq!(stats["totals"]["killed_low"], 2 + 1 + 10);
    assert_eq!(stats["totals"]["killed_high"], 2 + 3 + 10);
    assert_eq!(stats["totals"]["killed_unreported"], 2);
    let stepanakert = server.json("/api/stats?town=khankendi", 200).await;
    assert_eq!(stepanakert["by_town"][0]["place"], "stepanakert");
    assert_eq!(stepanakert["by_town"][0]["incidents"], 2);
    let cluster = server.json("/api/stats?weapon=cluster_munition", 200).await;
    assert_eq!(cluster["by_weapon"].as_array().unwrap().len(), 1);
}

/// The timeline draws range-dated incidents as spans and the map fits the matches: both come
/// from `/api/stats`, and must agree with the features themselves.
#[tokio::test]
async fn stats_give_the_ranges_and_the_box_of_the_matches() {
    let server = TestServer::start().await;
    for query in ["", "type=shelling", "town=khankendi", "depth_min_km=1000"] {
        let stats = server.json(&format!("/api/stats?{query}"), 200).await;
        let items = server
            .json(
                &format!("/api/collections/incidents/items?limit=1000&{query}"),
                200,
            )
            .await;
        let features = items["features"].as_array().unwrap();
        let mut spans: Vec<(String, String)> = features
            .iter()
            .map(|f| &f["properties"])
            .filter(|p| p["date"] != p["date_end"])
            .map(|p| {
                (
                    p["date"].as_str().unwrap().into(),
                    p["date_end"].as_str().unwrap().into(),
                )
            })
            .collect();
        spans.sort();
        let mut listed: Vec<(String, String)> = Vec::new();
        for r in stats["by_range"].as_array().unwrap() {
            for _ in 0..r["incidents"].as_u64().unwrap() {
                listed.push((
                    r["start"].as_str().unwrap().into(),
                    r["end"].as_str().unwrap().into(),
                ));
            }
        }
        listed.sort();
        assert_eq!(listed, spans, "{query}");
        assert_eq!(stats["by_range_omitted"], 0);
        if features.is_empty() {
            assert!(stats["bbox"].is_null(), "{query}");
            continue;
        }
        let b: Vec<f64> = stats["bbox"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let (mut w, mut s, mut e, mut n) = (180.0f64, 90.0f64, -180.0f64, -90.0f64);
        for f in features {
            let c = &f["geometry"]["coordinates"];
            let (lon, lat) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
            (w, s, e, n) = (w.min(lon), s.min(lat), e.max(lon), n.max(lat));
        }
        for (got, want) in b.iter().zip([w, s, e, n]) {
            assert!(
                (got - want).abs() < 1e-6,
                "{query}: {b:?} vs {:?}",
                [w, s, e, n]
            );
        }
    }
}

/// Asserts a 400 whose JSON names `parameter` and says what was expected.
async fn bad_request(server: &TestServer, path: &str, parameter: &str) -> Value {
    let body = server.json(path, 400).await;
    assert!(body["code"].is_string(), "{body}");
    let description = body["description"].as_str().unwrap();
    assert!(description.contains(parameter), "{path}: {description}");
    assert_eq!(body["parameter"], parameter, "{path}: {body}");
    body
}

#[tokio::test]
async fn bad_input_is_a_clear_400() {
    let server = TestServer::start().await;
    let items = "/api/collections/incidents/items";
    let body = bad_request(&server, &format!("{items}?bbox=46,39,47"), "bbox").await;
    assert!(
        body["description"]
            .as_str()
            .unwrap()
            .contains("4 comma-separated numbers")
    );
    bad_request(&server, "/api/measure?lon=46&lat=123", "lat").await;
    bad_request(&server, "/api/measure?lon=46", "lat").await;
    bad_request(&server, &format!("{items}?datetime=yesterday"), "datetime").await;
    bad_request(&server, &format!("{items}?limit=-1"), "limit").await;
    bad_request(&server, &format!("{items}?limit=ten"), "limit").await;
    bad_request(&server, &format!("{items}?offset=-3"), "offset").await;
    bad_request(&server, &format!("{items}?colour=red"), "colour").await;
    bad_request(&server, &format!("{items}?weapon=laser"), "weapon").await;
    bad_request(&server, &format!("{items}?near=46.7"), "near").await;
    bad_request(&server, &format!("{items}?within_km=5"), "within_km").await;
    bad_request(&server, &format!("{items}?sortby=colour"), "sortby").await;
    bad_request(&server, &format!("{items}?depth_min_km=-4"), "depth_min_km").await;
    bad_request(
        &server,
        &format!("{items}?depth_min_km=50&depth_max_km=10"),
        "depth_max_km",
    )
    .await;
    bad_request(&server, &format!("{items}?limit=1&limit=2"), "limit").await;
    bad_request(&server, &format!("{items}?q={}", "x".repeat(300)), "q").await;
    bad_request(&server, "/api/collections/places/items?town=x", "town").await;
    let unknown = bad_request(&server, &format!("{items}?town=Stepanakrt"), "town").await;
    assert_eq!(unknown["suggestions"][0], "Stepanakert / Khankendi");
    let long = server
        .json(&format!("{items}?q={}", "a".repeat(9000)), 400)
        .await;
    assert!(
        long["description"]
            .as_str()
            .unwrap()
            .contains("query string")
    );
}

#[tokio::test]
async fn limit_above_the_maximum_is_clamped() {
    let server = TestServer::start().await;
    let body = server
        .json("/api/collections/incidents/items?limit=1000000", 200)
        .await;
    assert_eq!(body["numberReturned"], 6);
    let self_link = body["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "self")
        .unwrap();
    assert!(
        self_link["href"].as_str().unwrap().contains("limit=10000"),
        "{self_link}"
    );
}

/// The geometry type of each feature of a collection page.
fn geometry_types(page: &serde_json::Value) -> Vec<&str> {
    page["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["geometry"]["type"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn reference_collections_page_and_filter() {
    let server = TestServer::start().await;
    let line = server
        .json("/api/collections/line-of-contact/items", 200)
        .await;
    let kinds = geometry_types(&line);
    // Each collection has one geometry type, so GIS clients can type the layer.
    assert!(
        !kinds.is_empty() && kinds.iter().all(|k| *k == "LineString"),
        "{kinds:?}"
    );
    assert!(line["features"][0]["properties"]["uncertainty_km"].is_number());
    let areas = server
        .json("/api/collections/control-areas/items", 200)
        .await;
    let area_kinds = geometry_types(&areas);
    assert!(
        !area_kinds.is_empty() && area_kinds.iter().all(|k| *k == "Polygon"),
        "{area_kinds:?}"
    );
    let places = server
        .json("/api/collections/places/items?q=xank", 200)
        .await;
    assert_eq!(places["features"][0]["id"], "stepanakert");
    let boxed = server
        .json(
            "/api/collections/places/items?bbox=46.2,40.6,46.5,40.8",
            200,
        )
        .await;
    assert_eq!(boxed["numberMatched"], 1);
    let summaries = server.json("/api/collections/summaries/items", 200).await;
    assert_eq!(summaries["numberMatched"], 1);
    let boxed = server
        .json("/api/collections/summaries/items?bbox=46,39,47,40", 200)
        .await;
    assert_eq!(boxed["numberMatched"], 0);
    server
        .json("/api/collections/line-of-contact/items?town=x", 400)
        .await;
}

#[tokio::test]
async fn health_compression_static_files_and_config() {
    let server = TestServer::start().await;
    let health = server.json("/api/health", 200).await;
    assert_eq!(health["incidents"], 6);
    let compressed = server
        .client
        .get(format!("{}/api/collections/incidents/items", server.base))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(compressed.headers()["content-encoding"], "gzip");
    let page = server.get("/").await;
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let config = server.json("/config.json", 200).await;
    assert!(config["basemap_style"].is_null());
    let data = server.get("/data/countries.geojson").await;
    assert_eq!(data.status(), 200);
}

#[tokio::test]
async fn cors_is_off_by_default_and_configurable() {
    let server = TestServer::start().await;
    let plain = server
        .client
        .get(format!("{}/api", server.base))
        .header("origin", "https://example.org")
        .send()
        .await
        .unwrap();
    assert!(plain.headers().get("access-control-allow-origin").is_none());
    let mut settings = strikemap::config::Settings::with_data(common::fixture_dir());
    settings.cors_origins = vec!["https://example.org".into()];
    let open = TestServer::start_with(settings).await;
    let response = open
        .client
        .get(format!("{}/api", open.base))
        .header("origin", "https://example.org")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://example.org"
    );
}

#[tokio::test]
async fn depth_bands_and_path_lengths() {
    let server = TestServer::start().await;
    let bands = server.json("/api/collections/depth-bands/items", 200).await;
    let edges: Vec<(f64, f64)> = bands["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["properties"]["from_km"].as_f64().unwrap(),
                f["properties"]["to_km"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        edges,
        [(0.0, 10.0), (10.0, 25.0), (25.0, 50.0), (50.0, 100.0)]
    );
    assert_eq!(bands["features"][0]["geometry"]["type"], "MultiPolygon");
    let far = server
        .json(
            "/api/collections/depth-bands/items?bbox=43.5,38.3,43.6,38.4",
            200,
        )
        .await;
    assert_eq!(far["numberMatched"], 0);
    let near = server
        .json(
            "/api/collections/depth-bands/items?bbox=46.7,39.8,46.8,39.9",
            200,
        )
        .await;
    assert_eq!(near["numberMatched"], 4);
    // Stepanakert to Ganja: 101.690 km according to GeographicLib.
    let path = server
        .json(
            "/api/measure/path?points=46.7528,39.8177;46.36056,40.68278",
            200,
        )
        .await;
    assert!(
        (path["total_km"].as_f64().unwrap() - 101.690).abs() < 0.002,
        "{path}"
    );
    let two = server
        .json(
            "/api/measure/path?points=46.7528,39.8177;46.36056,40.68278;46.7528,39.8177",
            200,
        )
        .await;
    assert_eq!(two["segments_km"].as_array().unwrap().len(), 2);
    bad_request(&server, "/api/measure/path?points=46.7,39.8", "points").await;
    bad_request(
        &server,
        "/api/measure/path?points=46.7,39.8;1000,2",
        "points",
    )
    .await;
}

/// Hostile values for every parameter of every endpoint: each answer is a 200 or a 400 with
/// the JSON error body, never a 500 or a dropped connection.
#[tokio::test]
async fn hostile_values_never_cause_a_server_error() {
    let server = TestServer::start().await;
    let values = [
        "",
        "%00",
        "-1",
        "0",
        "1e309",
        "-1e309",
        "NaN",
        "inf",
        "99999999999999999999999",
        "1,2,3,4,5",
        "%E2%80%AE%F0%9F%92%A3",
        "..",
        "/",
        "../..",
        "2020-02-30",
        "46.7,39.8",
        "%22%3Cscript%3E",
        ",,,",
        "-",
    ];
    // Every parameter the incidents endpoint accepts, from the parser's own list, plus `f`.
    let incident_params: Vec<&str> = strikemap::query::INCIDENT_PARAMS
        .iter()
        .copied()
        .chain(["f"])
        .collect();
    let endpoints: [(&str, &[&str]); 5] = [
        ("/api/collections/incidents/items", &incident_params),
        (
            "/api/collections/places/items",
            &["bbox", "limit", "offset", "q"],
        ),
        (
            "/api/stats",
            &["bbox", "datetime", "town", "near", "sortby", "depth_min_km"],
        ),
        ("/api/measure", &["lon", "lat"]),
        ("/api/measure/path", &["points"]),
    ];
    for (path, params) in endpoints {
        for param in params {
            for value in values {
                let url = format!("{path}?{param}={value}");
                let response = server.get(&url).await;
                let status = response.status().as_u16();
                assert!(status == 200 || status == 400, "GET {url}: {status}");
                let body: Value = response
                    .json()
                    .await
                    .unwrap_or_else(|e| panic!("GET {url}: not JSON: {e}"));
                if status == 400 {
                    assert!(body["description"].is_string(), "GET {url}: {body}");
                }
            }
        }
    }
    for path in [
        "/api/collections/incidents/items/%00",
        "/api/collections/%2e%2e/items",
        "/api/collections/incidents/items/..%2F..%2Fetc",
    ] {
        let status = server.get(path).await.status().as_u16();
        assert!(status == 404 || status == 400, "GET {path}: {status}");
    }
}

/// With no military object located at all, no incident has one nearby: every incident is
/// "clear", and the answer carries the layer's coverage so nobody reads that as a finding.
#[tokio::test]
async fn an_empty_military_layer_leaves_every_incident_clear_and_says_so() {
    let dir = common::copy_of_fixtures();
    std::fs::write(
        dir.path().join("military_objects.geojson"),
        r#"{"type": "FeatureCollection", "coverage": "No military object is located yet.", "features": []}"#,
    )
    .unwrap();
    let server = TestServer::start_with(strikemap::config::Settings::with_data(
        dir.path().to_path_buf(),
    ))
    .await;
    let body: Value = server
        .json("/api/collections/incidents/items?military_clear_km=50", 200)
        .await;
    assert_eq!(body["numberMatched"], 6);
    assert_eq!(
        body["coverage"]["military_objects"],
        "No military object is located yet."
    );
    let one: Value = server
        .json("/api/collections/incidents/items/fx-004", 200)
        .await;
    assert!(one["properties"]["nearest_military_km"].is_null());
}

/// Features are written straight into the output, not through a serialiser: every page, single
/// feature and download must still be valid GeoJSON whose properties are exactly the ones the
/// feature schema declares, each of the declared type, under every naming.
#[tokio::test]
async fn every_feature_has_exactly_the_schema_properties_with_their_types() {
    let server = TestServer::start().await;
    let schema = server.json("/api/collections/incidents/schema", 200).await;
    let declared = schema["properties"].as_object().unwrap().clone();
    let type_ok = |value: &Value, spec: &Value| -> bool {
        let kinds: Vec<&str> = match &spec["type"] {
            Value::String(k) => vec![k.as_str()],
            Value::Array(ks) => ks.iter().map(|k| k.as_str().unwrap()).collect(),
            _ => return true,
        };
        kinds.iter().any(|k| match *k {
            "null" => value.is_null(),
            "string" => value.is_string(),
            "number" => value.is_number(),
            "integer" => value.is_u64(),
            "array" => value.is_array(),
            "object" => value.is_object(),
            _ => false,
        })
    };
    for naming in ["hy-az", "az-hy", "hy", "az"] {
        let page = server
            .json(
                &format!("/api/collections/incidents/items?limit=1000&naming={naming}"),
                200,
            )
            .await;
        let download = server
            .json(
                &format!("/api/collections/incidents/download?naming={naming}"),
                200,
            )
            .await;
        let features = page["features"].as_array().unwrap();
        assert!(features.len() >= 6, "{} features", features.len());
        assert_eq!(download["features"].as_array().unwrap(), features);
        for feature in features {
            assert_eq!(feature["type"], "Feature");
            assert_eq!(feature["geometry"]["type"], "Point");
            let id = feature["id"].as_str().unwrap();
            let properties = feature["properties"].as_object().unwrap();
            let mut got: Vec<&String> = properties.keys().collect();
            // The Part 5 schema lists the geometry among the properties, with its role.
            let mut want: Vec<&String> = declared.keys().filter(|k| *k != "geometry").collect();
            got.sort();
            want.sort();
            assert_eq!(got, want, "{id}");
            for (key, value) in properties {
                assert!(type_ok(value, &declared[key]), "{id}: {key} = {value}");
            }
            let one = server
                .json(
                    &format!("/api/collections/incidents/items/{id}?naming={naming}"),
                    200,
                )
                .await;
            assert_eq!(one["properties"], feature["properties"], "{id}");
            assert!(one["links"].as_array().unwrap().len() >= 2);
        }
    }
}

/// A page's `timeStamp` is the time it was answered, to the second (kept a second at a
/// time, never frozen), for incidents and for the reference layers alike.
#[tokio::test]
async fn a_pages_time_stamp_is_when_it_was_answered() {
    let server = TestServer::start().await;
    let stamp = |body: &Value| {
        let text = body["timeStamp"].as_str().unwrap().to_string();
        assert!(text.ends_with('Z'), "{text}");
        chrono::DateTime::parse_from_rfc3339(&text).unwrap()
    };
    for path in [
        "/api/collections/incidents/items?limit=1",
        "/api/collections/places/items?limit=1",
    ] {
        let mut seen = Vec::new();
        for _ in 0..2 {
            let before = chrono::Utc::now().timestamp();
            let at = stamp(&server.json(path, 200).await).timestamp();
            let after = chrono::Utc::now().timestamp();
            assert!(
                (before..=after).contains(&at),
                "{path}: {before} {at} {after}"
            );
            seen.push(at);
            tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        }
        assert!(seen[1] > seen[0], "{path}: {seen:?}");
    }
}
