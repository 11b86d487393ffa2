//! Vector tiles from the real server, decoded here with the published MVT schema (prost) and
//! checked against the features API: every match is in its tile once, where it should be,
//! clusters count and classify their members as `/items` over the same cell does, filters
//! apply, caches revalidate, and bad addresses get a clear refusal.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::TestServer;
use std::collections::HashMap;
use std::f64::consts::PI;
use strikemap::config::Settings;

/// The Mapbox vector tile schema (vector_tile.proto, version 2.1).
mod vt {
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Tile {
        #[prost(message, repeated, tag = "3")]
        pub layers: Vec<Layer>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Layer {
        #[prost(uint32, required, tag = "15")]
        pub version: u32,
        #[prost(string, required, tag = "1")]
        pub name: String,
        #[prost(message, repeated, tag = "2")]
        pub features: Vec<Feature>,
        #[prost(string, repeated, tag = "3")]
        pub keys: Vec<String>,
        #[prost(message, repeated, tag = "4")]
        pub values: Vec<Value>,
        #[prost(uint32, optional, tag = "5")]
        pub extent: Option<u32>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Value {
        #[prost(string, optional, tag = "1")]
        pub string_value: Option<String>,
        #[prost(float, optional, tag = "2")]
        pub float_value: Option<f32>,
        #[prost(double, optional, tag = "3")]
        pub double_value: Option<f64>,
        #[prost(int64, optional, tag = "4")]
        pub int_value: Option<i64>,
        #[prost(uint64, optional, tag = "5")]
        pub uint_value: Option<u64>,
        #[prost(sint64, optional, tag = "6")]
        pub sint_value: Option<i64>,
        #[prost(bool, optional, tag = "7")]
        pub bool_value: Option<bool>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Feature {
        #[prost(uint64, optional, tag = "1")]
        pub id: Option<u64>,
        #[prost(uint32, repeated, packed = "true", tag = "2")]
        pub tags: Vec<u32>,
        #[prost(int32, optional, tag = "3")]
        pub r#type: Option<i32>,
        #[prost(uint32, repeated, packed = "true", tag = "4")]
        pub geometry: Vec<u32>,
    }
}

/// A decoded point feature: tile coordinates and properties.
#[derive(Debug, Clone)]
struct Point {
    x: i64,
    y: i64,
    props: HashMap<String, serde_json::Value>,
}

impl Point {
    fn str(&self, key: &str) -> &str {
        self.props[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key} in {:?}", self.props))
    }
    fn int(&self, key: &str) -> u64 {
        self.props[key]
            .as_u64()
            .unwrap_or_else(|| panic!("{key} in {:?}", self.props))
    }
    fn inside(&self) -> bool {
        (0..4096).contains(&self.x) && (0..4096).contains(&self.y)
    }
}

fn zigzag(v: u32) -> i64 {
    i64::from((v >> 1) as i32 ^ -((v & 1) as i32))
}

/// Layers by name, each a list of points.
fn decode(bytes: &[u8]) -> HashMap<String, Vec<Point>> {
    use prost::Message;
    let tile = vt::Tile::decode(bytes).expect("a valid vector tile");
    let mut layers = HashMap::new();
    for layer in tile.layers {
        assert_eq!(layer.version, 2);
        assert_eq!(layer.extent, Some(4096));
        let mut points = Vec::new();
        for f in &layer.features {
            assert_eq!(f.r#type, Some(1), "points only");
            // MoveTo with a count of one, then the zigzagged position.
            assert_eq!(f.geometry.len(), 3, "{:?}", f.geometry);
            assert_eq!(f.geometry[0], (1 << 3) | 1);
            let mut props = HashMap::new();
            for pair in f.tags.chunks(2) {
                let key = layer.keys[pair[0] as usize].clone();
                let v = &layer.values[pair[1] as usize];
                let value = if let Some(s) = &v.string_value {
                    serde_json::json!(s)
                } else if let Some(u) = v.uint_value {
                    serde_json::json!(u)
                } else {
                    panic!("unexpected value type {v:?}")
                };
                props.insert(key, value);
            }
            points.push(Point {
                x: zigzag(f.geometry[1]),
                y: zigzag(f.geometry[2]),
                props,
            });
        }
        layers.insert(layer.name, points);
    }
    layers
}

/// Fractional tile coordinates of a longitude and latitude at zoom `z`.
fn tile_xy(lon: f64, lat: f64, z: u8) -> (f64, f64) {
    let n = f64::from(1u32 << z);
    let lat = lat.to_radians();
    (
        (lon + 180.0) / 360.0 * n,
        (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / PI) / 2.0 * n,
    )
}

/// Longitude and latitude of fractional tile coordinates at zoom `z`.
fn lon_lat(x: f64, y: f64, z: u8) -> (f64, f64) {
    let n = f64::from(1u32 << z);
    let lon = x / n * 360.0 - 180.0;
    let lat = (PI * (1.0 - 2.0 * y / n)).sinh().atan().to_degrees();
    (lon, lat)
}

async fn tile(
    server: &TestServer,
    z: u8,
    x: u32,
    y: u32,
    query: &str,
) -> HashMap<String, Vec<Point>> {
    let path = format!("/api/collections/incidents/tiles/WebMercatorQuad/{z}/{y}/{x}?{query}");
    let response = server.get(&path).await;
    assert_eq!(response.status(), 200, "{path}");
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.mapbox-vector-tile"
    );
    decode(&response.bytes().await.unwrap())
}

async fn matched(server: &TestServer, query: &str) -> u64 {
    let body = server
        .json(
            &format!("/api/collections/incidents/items?limit=1&{query}"),
            200,
        )
        .await;
    body["numberMatched"].as_u64().unwrap()
}

/// Every incident (id -> [lon, lat]) matching `query`.
async fn all(server: &TestServer, query: &str) -> HashMap<String, [f64; 2]> {
    let body = server
        .json(
            &format!("/api/collections/incidents/items?limit=10000&{query}"),
            200,
        )
        .await;
    assert!(body["numberMatched"].as_u64().unwrap() <= 10_000);
    body["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let c = &f["geometry"]["coordinates"];
            (
                f["id"].as_str().unwrap().to_string(),
                [c[0].as_f64().unwrap(), c[1].as_f64().unwrap()],
            )
        })
        .collect()
}

#[tokio::test]
async fn every_match_is_in_the_world_tile_once_at_its_place() {
    let server = TestServer::start().await;
    for query in [
        "",
        "type=shelling",
        "reported_by=international_ngo",
        "datetime=2020-10-01/2020-10-31&depth_min_km=5",
    ] {
        let expected = all(&server, query).await;
        assert!(!expected.is_empty() || query.contains("depth"), "{query}");
        let layers = tile(&server, 0, 0, 0, query).await;
        assert!(
            layers["clusters"].is_empty(),
            "few incidents are drawn one by one"
        );
        let points = &layers["incidents"];
        let mut seen: Vec<&str> = points.iter().map(|p| p.str("id")).collect();
        seen.sort();
        let mut want: Vec<&str> = expected.keys().map(String::as_str).collect();
        want.sort();
        assert_eq!(seen, want, "{query}");
    }
    // At zoom 14 a tile unit is under a metre: each point sits where the record puts it.
    let everything = all(&server, "").await;
    for (id, [lon, lat]) in everything.iter().take(12) {
        let (fx, fy) = tile_xy(*lon, *lat, 14);
        let layers = tile(&server, 14, fx as u32, fy as u32, "").await;
        let p = layers["incidents"]
            .iter()
            .find(|p| p.str("id") == id)
            .unwrap_or_else(|| panic!("{id} missing from its tile"));
        assert!(p.inside());
        let (plon, plat) = lon_lat(
            fx.floor() + p.x as f64 / 4096.0,
            fy.floor() + p.y as f64 / 4096.0,
            14,
        );
        let metres = ((plon - lon) * lat.to_radians().cos()).hypot(plat - lat) * 111_320.0;
        assert!(metres < 2.0, "{id}: {metres} m off");
    }
}

#[tokio::test]
async fn tiles_carry_what_the_map_styles_by() {
    let server = TestServer::start().await;
    let body = server
        .json("/api/collections/incidents/items?limit=10000", 200)
        .await;
    let layers = tile(&server, 0, 0, 0, "").await;
    for f in body["features"].as_array().unwrap() {
        let p = &f["properties"];
        let point = layers["incidents"]
            .iter()
            .find(|t| t.str("id") == p["id"])
            .unwrap();
        for key in ["type", "weapon", "verification", "date"] {
            assert_eq!(point.str(key), p[key], "{key} of {}", p["id"]);
        }
        let killed = p["killed_high"].as_u64().or(p["killed"].as_u64());
        assert_eq!(
            point.props.get("killed").and_then(|v| v.as_u64()),
            killed,
            "{}",
            p["id"]
        );
        if p["date_end"] != p["date"] {
            assert_eq!(point.str("date_end"), p["date_end"]);
        } else {
            assert!(!point.props.contains_key("date_end"));
        }
    }
}

/// A generated dataset large enough that low-zoom tiles aggregate.
async fn large_server(count: usize) -> (TestServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("d");
    strikemap::generate::generate(&common::fixture_dir(), &out, count, 7, &|_| {}).unwrap();
    let mut settings = Settings::with_data(out);
    settings.snapshot = false;
    (TestServer::start_with(settings).await, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clusters_count_and_classify_their_members_like_items_over_the_same_cell() {
    let (server, _dir) = large_server(12_000).await;
    for query in [
        "",
        "type=shelling",
        "weapon=cluster_munition&verification=fair,weak",
    ] {
        let total = matched(&server, query).await;
        // Zoom 5 tile 20/12 holds the whole region (43.4-50.6 E, 38.2-42 N).
        let layers = tile(&server, 5, 20, 12, query).await;
        let clusters = &layers["clusters"];
        let points = &layers["incidents"];
        if total > 4_000 {
            assert!(
                !clusters.is_empty(),
                "{query}: {total} matches drawn one by one"
            );
        }
        let counted: u64 = clusters
            .iter()
            .filter(|c| c.inside())
            .map(|c| c.int("count"))
            .sum::<u64>()
            + points.iter().filter(|p| p.inside()).count() as u64;
        assert_eq!(counted, total, "{query}: every match counted once");
        if query == "type=shelling" {
            for c in clusters {
                assert_eq!(c.str("type"), "shelling");
                assert_eq!(c.int("type_count"), c.int("count"));
            }
        }
    }
    // Across the tiles of one zoom, every match is counted exactly once.
    let total = matched(&server, "").await;
    let (x0, y0) = tile_xy(43.0, 42.5, 7);
    let (x1, y1) = tile_xy(51.0, 38.0, 7);
    let mut counted = 0;
    for x in x0 as u32..=x1 as u32 {
        for y in y0 as u32..=y1 as u32 {
            let layers = tile(&server, 7, x, y, "").await;
            counted += layers["clusters"]
                .iter()
                .map(|c| c.int("count"))
                .sum::<u64>()
                + layers["incidents"].len() as u64;
            assert!(
                layers.values().flatten().all(Point::inside),
                "tile 7/{x}/{y}"
            );
        }
    }
    assert_eq!(counted, total);
    // Each of a few busy cells against /items over the cell's own box.
    let layers = tile(&server, 5, 20, 12, "").await;
    let mut busiest = layers["clusters"].clone();
    busiest.sort_by_key(|c| std::cmp::Reverse(c.int("count")));
    for c in busiest.iter().filter(|c| c.inside()).take(4) {
        let (cx, cy) = (c.x.div_euclid(512), c.y.div_euclid(512));
        let (west, north) = lon_lat(
            20.0 + (cx * 512) as f64 / 4096.0,
            12.0 + (cy * 512) as f64 / 4096.0,
            5,
        );
        let (east, south) = lon_lat(
            20.0 + ((cx + 1) * 512) as f64 / 4096.0,
            12.0 + ((cy + 1) * 512) as f64 / 4096.0,
            5,
        );
        // Just inside the cell's edges (a position exactly on an edge belongs to one cell).
        let e = 1e-9;
        let body = server
            .json(
                &format!(
                    "/api/collections/incidents/items?limit=10000&bbox={},{},{},{}",
                    west + e,
                    south + e,
                    east - e,
                    north - e
                ),
                200,
            )
            .await;
        let features = body["features"].as_array().unwrap();
        assert_eq!(features.len() as u64, c.int("count"), "cell {cx},{cy}");
        for key in ["type", "weapon", "verification"] {
            let mut tally: HashMap<&str, u64> = HashMap::new();
            for f in features {
                *tally
                    .entry(f["properties"][key].as_str().unwrap())
                    .or_default() += 1;
            }
            let most = tally.values().max().copied().unwrap();
            assert_eq!(
                c.int(&format!("{key}_count")),
                most,
                "{key} in cell {cx},{cy}"
            );
            assert_eq!(tally[c.str(key)], most, "{key} in cell {cx},{cy}");
        }
        let killed: u64 = features
            .iter()
            .map(|f| {
                let p = &f["properties"];
                p["killed_high"]
                    .as_u64()
                    .or(p["killed"].as_u64())
                    .unwrap_or(0)
            })
            .sum();
        assert_eq!(c.int("killed"), killed);
    }
}

#[tokio::test]
async fn tiles_revalidate_for_nothing_until_the_filters_change() {
    let server = TestServer::start().await;
    let path = "/api/collections/incidents/tiles/WebMercatorQuad/3/5/2?type=shelling";
    let first = server.get(path).await;
    assert_eq!(first.status(), 200);
    let tag = first.headers()["etag"].to_str().unwrap().to_string();
    assert!(
        first.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let again = server
        .client
        .get(format!("{}{path}", server.base))
        .header("if-none-match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"], tag.as_str());
    // The short form is the same tile.
    let short = server
        .get("/api/collections/incidents/tiles/3/2/5?type=shelling")
        .await;
    assert_eq!(short.headers()["etag"], tag.as_str());
    for other in [
        "/api/collections/incidents/tiles/WebMercatorQuad/3/5/2?type=air_strike",
        "/api/collections/incidents/tiles/WebMercatorQuad/3/5/2",
        "/api/collections/incidents/tiles/WebMercatorQuad/3/4/2?type=shelling",
    ] {
        let response = server
            .client
            .get(format!("{}{other}", server.base))
            .header("if-none-match", &tag)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{other}");
        assert_ne!(response.headers()["etag"], tag.as_str(), "{other}");
    }
}

#[tokio::test]
async fn bad_tile_requests_are_refused_naming_what_is_wrong() {
    let server = TestServer::start().await;
    let base = "/api/collections/incidents/tiles";
    for (path, status, needle) in [
        (format!("{base}/WebMercatorQuad/21/0/0"), 404, "tileMatrix"),
        (format!("{base}/WebMercatorQuad/2/4/0"), 404, "tileRow"),
        (format!("{base}/WebMercatorQuad/2/0/4"), 404, "tileCol"),
        (format!("{base}/WebMercatorQuad/2/0/x"), 400, "tileCol"),
        (format!("{base}/WebMercatorQuad/-1/0/0"), 400, "tileMatrix"),
        (
            format!("{base}/WorldCRS84Quad/2/0/0"),
            404,
            "WebMercatorQuad",
        ),
        (format!("{base}/2/0/0?limit=5"), 400, "limit"),
        (format!("{base}/2/0/0?f=json"), 400, "mvt"),
        (format!("{base}/2/0/0?type=rocket"), 400, "type"),
        (
            format!("{base}/2/0/0?depth_min_km=9&depth_max_km=2"),
            400,
            "depth_max_km",
        ),
        (
            "/api/collections/places/tiles/2/0/0".to_string(),
            404,
            "not offered as tiles",
        ),
        (
            "/api/collections/nothing/tiles/2/0/0".to_string(),
            404,
            "nothing",
        ),
    ] {
        let body = server.json(&path, status).await;
        let text = body.to_string();
        assert!(text.contains(needle), "{path}: {text}");
    }
    let body = server.json(&format!("{base}/2/0/0?town=Hadrud"), 400).await;
    assert_eq!(body["parameter"], "town");
    assert!(
        body["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "Hadrut"),
        "{body}"
    );
}

#[tokio::test]
async fn the_tileset_and_its_matrix_set_are_described() {
    let server = TestServer::start().await;
    let sets = server.json("/api/collections/incidents/tiles", 200).await;
    let links = sets["tilesets"][0]["links"].as_array().unwrap();
    let item = links.iter().find(|l| l["rel"] == "item").unwrap();
    assert!(
        item["href"]
            .as_str()
            .unwrap()
            .ends_with("/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}")
    );
    let set = server
        .json("/api/collections/incidents/tiles/WebMercatorQuad", 200)
        .await;
    assert_eq!(set["tilejson"], "3.0.0");
    assert_eq!(set["maxzoom"], 20);
    let bounds: Vec<f64> = set["bounds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(bounds[0] >= 43.0 && bounds[2] <= 51.0, "{bounds:?}");
    let tms = server
        .json("/api/tileMatrixSets/WebMercatorQuad", 200)
        .await;
    let matrices = tms["tileMatrices"].as_array().unwrap();
    assert_eq!(matrices.len(), 21);
    assert_eq!(matrices[3]["matrixWidth"], 8);
    server.json("/api/tileMatrixSets/Other", 404).await;
    let list = server.json("/api/tileMatrixSets", 200).await;
    assert_eq!(list["tileMatrixSets"][0]["id"], "WebMercatorQuad");
}

/// An incident exactly on the edge between two tiles is in one of them only: the east one,
/// where its column begins (tiles share their edges, so a box query alone would give it to both).
#[tokio::test]
async fn an_incident_on_a_tile_edge_is_in_one_tile() {
    let dir = common::copy_of_fixtures();
    let path = dir.path().join("incidents.geojson");
    let mut data: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    // The edge between columns 160 and 161 at zoom 8: -180 + 161 * 360 / 256 degrees.
    let edge = -180.0 + 161.0 * 360.0 / 256.0;
    data["features"][0]["geometry"]["coordinates"] = serde_json::json!([edge, 39.8177]);
    let id = data["features"][0]["properties"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    std::fs::write(&path, data.to_string()).unwrap();
    let server = TestServer::start_with(Settings::with_data(dir.path().to_path_buf())).await;
    let (_, fy) = tile_xy(edge, 39.8177, 8);
    let holds = |layers: &HashMap<String, Vec<Point>>| {
        layers["incidents"]
            .iter()
            .filter(|p| p.str("id") == id)
            .count()
    };
    let west = tile(&server, 8, 160, fy as u32, "").await;
    let east = tile(&server, 8, 161, fy as u32, "").await;
    assert_eq!((holds(&west), holds(&east)), (0, 1));
}
