//! CQL2 `filter` on the real server: each operator selects what the named parameter with the
//! same meaning selects, comparisons with unknown values follow SQL's three-valued logic, the
//! JSON encoding means what the text does, and every mistake is a 400 naming `filter`.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::{TestServer, sorted, strings};
use serde_json::Value;

fn query(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap()
}

async fn filtered(server: &TestServer, filter: &str) -> Vec<String> {
    sorted(server.ids(&query(&[("filter", filter)])).await)
}

async fn refused(server: &TestServer, pairs: &[(&str, &str)]) -> String {
    let body: Value = server
        .json(
            &format!("/api/collections/incidents/items?{}", query(pairs)),
            400,
        )
        .await;
    let parameter = body["parameter"].as_str().unwrap_or("").to_string();
    let description = body["description"].as_str().unwrap().to_string();
    format!("{parameter}: {description}")
}

#[tokio::test]
async fn each_operator_selects_what_the_named_parameter_selects() {
    let server = TestServer::start().await;
    let same = |a: Vec<String>, b: Vec<String>, what: &str| {
        assert!(
            !a.is_empty(),
            "{what}: nothing matched, so the test proves nothing"
        );
        assert_eq!(a, b, "{what}");
    };
    same(
        filtered(&server, "type = 'shelling'").await,
        sorted(server.ids("type=shelling").await),
        "=",
    );
    same(
        filtered(&server, "type IN ('shelling', 'missile_strike')").await,
        sorted(server.ids("type=shelling,missile_strike").await),
        "IN",
    );
    same(
        filtered(&server, "town = 'Khankendi'").await,
        sorted(server.ids("town=Stepanakert").await),
        "town in another spelling",
    );
    same(
        filtered(
            &server,
            "S_INTERSECTS(geometry, BBOX(46.3, 40.6, 46.4, 40.7))",
        )
        .await,
        sorted(server.ids("bbox=46.3,40.6,46.4,40.7").await),
        "S_INTERSECTS with a box",
    );
    same(
        filtered(
            &server,
            "S_INTERSECTS(geometry, POLYGON((46.3 40.6, 46.4 40.6, 46.4 40.7, 46.3 40.7, 46.3 40.6)))",
        )
        .await,
        sorted(server.ids("bbox=46.3,40.6,46.4,40.7").await),
        "S_INTERSECTS with a polygon",
    );
    same(
        filtered(
            &server,
            "T_INTERSECTS(datetime, INTERVAL('2020-10-01', '2020-10-05'))",
        )
        .await,
        sorted(server.ids("datetime=2020-10-01/2020-10-05").await),
        "T_INTERSECTS",
    );
    same(
        filtered(&server, "depth_km >= 5 AND depth_km <= 60").await,
        sorted(server.ids("depth_min_km=5&depth_max_km=60").await),
        "depth comparisons",
    );
    same(
        filtered(&server, "depth_km BETWEEN 5 AND 60").await,
        sorted(server.ids("depth_min_km=5&depth_max_km=60").await),
        "BETWEEN",
    );
    same(
        filtered(
            &server,
            "A_OVERLAPS(reported_by, ('media', 'armenian_authorities'))",
        )
        .await,
        sorted(server.ids("reported_by=media,armenian_authorities").await),
        "A_OVERLAPS",
    );
    same(
        filtered(&server, "side = 'azerbaijani_side'").await,
        sorted(server.ids("side=azerbaijani_side").await),
        "side",
    );
    // A filter combines with the named parameters by AND.
    assert_eq!(
        sorted(
            server
                .ids(&query(&[
                    ("filter", "type = 'shelling'"),
                    ("town", "Terter")
                ]))
                .await
        ),
        strings(&["fx-003"])
    );
}

#[tokio::test]
async fn text_dates_nulls_and_arrays() {
    let server = TestServer::start().await;
    assert_eq!(
        filtered(&server, "title LIKE 'Fixture cluster%'").await,
        strings(&["fx-001", "fx-006"])
    );
    assert_eq!(
        filtered(&server, "title LIKE 'fixture cluster%'").await,
        Vec::<String>::new(),
        "LIKE is case-sensitive"
    );
    assert_eq!(
        filtered(&server, "CASEI(title) LIKE CASEI('%GANJA%')").await,
        strings(&["fx-004"])
    );
    assert_eq!(
        filtered(&server, "title LIKE '%Terte_'").await,
        strings(&["fx-003"])
    );
    assert_eq!(
        filtered(&server, "date >= DATE('2020-10-11')").await,
        strings(&["fx-004", "fx-005"])
    );
    assert_eq!(
        filtered(&server, "date_end > DATE('2020-10-20')").await,
        strings(&["fx-002"])
    );
    // Unknown death tolls are neither above nor below any number.
    assert_eq!(
        filtered(&server, "killed IS NULL").await,
        strings(&["fx-002", "fx-006"])
    );
    assert_eq!(
        filtered(&server, "killed >= 2").await,
        strings(&["fx-001", "fx-004"])
    );
    assert_eq!(
        filtered(&server, "NOT (killed >= 2)").await,
        strings(&["fx-003", "fx-005"]),
        "NOT of unknown is unknown: fx-002 and fx-006 stay out"
    );
    assert_eq!(
        filtered(&server, "killed >= 2 OR killed IS NULL").await,
        strings(&["fx-001", "fx-002", "fx-004", "fx-006"])
    );
    assert_eq!(
        filtered(&server, "killed_high = 3").await,
        strings(&["fx-003"])
    );
    assert_eq!(
        filtered(&server, "2 <= killed").await,
        strings(&["fx-001", "fx-004"])
    );
    assert_eq!(
        filtered(
            &server,
            "A_CONTAINS(reported_by, ('azerbaijani_authorities', 'media'))"
        )
        .await,
        strings(&["fx-004"])
    );
    assert_eq!(
        filtered(
            &server,
            "A_CONTAINEDBY(reported_by, ('azerbaijani_authorities'))"
        )
        .await,
        strings(&["fx-003"])
    );
    assert_eq!(
        filtered(&server, "T_BEFORE(datetime, DATE('2020-09-28'))").await,
        Vec::<String>::new(),
        "fx-002 began on 27 September but may have happened later"
    );
    assert_eq!(
        filtered(
            &server,
            "T_DURING(datetime, INTERVAL('2020-09-27', '2020-09-30'))"
        )
        .await,
        strings(&["fx-003"])
    );
}

#[tokio::test]
async fn the_json_encoding_means_what_the_text_does() {
    let server = TestServer::start().await;
    let json = r#"{"op":"and","args":[{"op":">=","args":[{"property":"killed"},2]},{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[46,39,47.5,41]}]}]}"#;
    let by_json = sorted(
        server
            .ids(&query(&[("filter", json), ("filter-lang", "cql2-json")]))
            .await,
    );
    let by_text = filtered(
        &server,
        "killed >= 2 AND S_INTERSECTS(geometry, BBOX(46, 39, 47.5, 41))",
    )
    .await;
    assert_eq!(by_json, by_text);
    assert_eq!(by_json, strings(&["fx-001", "fx-004"]));
}

#[tokio::test]
async fn mistakes_are_refused_naming_the_filter_and_what_was_expected() {
    let server = TestServer::start().await;
    for (filter, expected) in [
        ("kiled > 5", "queryables"),
        ("killed > 'many'", "a number for 'killed'"),
        ("type = 'bombing'", "shelling"),
        ("weapon > 'artillery'", "= or <>"),
        ("town = 'Hadrud'", "Hadrut"),
        ("killed >", "cql2-text"),
        ("S_INTERSECTS(geometry, POINT(200 100))", "CRS84"),
        (
            "killed = 1 AND S_CROSSES(geometry, POINT(46 40))",
            "supported operators",
        ),
        ("A_CONTAINS(reported_by, ('nobody'))", "reporters among"),
        ("date > DATE('2020-13-45')", "DATE("),
    ] {
        let message = refused(&server, &[("filter", filter)]).await;
        assert!(message.starts_with("filter: "), "{filter}: {message}");
        assert!(message.contains(expected), "{filter}: {message}");
    }
    let long = format!("id IN ({})", vec!["'x'"; 600].join(","));
    assert!(
        refused(&server, &[("filter", &long)])
            .await
            .contains("at most 500 terms")
    );
    let longer = format!("title = '{}'", "x".repeat(5000));
    assert!(
        refused(&server, &[("filter", &longer)])
            .await
            .contains("at most 4096 characters")
    );
    let deep = format!("{}killed = 1{}", "(".repeat(1300), ")".repeat(1300));
    assert!(
        refused(&server, &[("filter", &deep)])
            .await
            .starts_with("filter: ")
    );
    assert!(
        refused(
            &server,
            &[("filter", "killed = 1"), ("filter-lang", "ecql")]
        )
        .await
        .starts_with("filter-lang: ")
    );
    assert!(
        refused(
            &server,
            &[("filter", "{\"op\":"), ("filter-lang", "cql2-json")]
        )
        .await
        .contains("cql2-json")
    );
    assert!(
        refused(
            &server,
            &[("filter", "killed = 1"), ("filter-crs", "EPSG:3857")]
        )
        .await
        .starts_with("filter-crs: ")
    );
}

#[tokio::test]
async fn queryables_list_what_the_filter_accepts_and_conformance_declares_it() {
    let server = TestServer::start().await;
    let response = server.get("/api/collections/incidents/queryables").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/schema+json"
    );
    let queryables: Value = response.json().await.unwrap();
    let names: Vec<&str> = queryables["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for name in [
        "geometry",
        "datetime",
        "killed",
        "depth_km",
        "side",
        "town",
        "reported_by",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    assert_eq!(
        queryables["properties"]["killed"]["type"],
        serde_json::json!(["integer", "null"])
    );
    // Every advertised queryable is accepted in a filter.
    for name in names {
        let filter = format!("{name} IS NULL");
        let status = server
            .get(&format!(
                "/api/collections/incidents/items?{}",
                query(&[("filter", &filter)])
            ))
            .await
            .status();
        assert_eq!(status, 200, "{filter}");
    }
    let conformance: Value = server.json("/api/conformance", 200).await;
    let classes = conformance["conformsTo"].to_string();
    for class in [
        "ogcapi-features-3/1.0/conf/filter",
        "cql2/1.0/conf/cql2-text",
        "cql2/1.0/conf/cql2-json",
    ] {
        assert!(classes.contains(class), "{class} not declared");
    }
    server.json("/api/collections/places/queryables", 404).await;
}

#[tokio::test]
async fn sortby_takes_several_keys() {
    let server = TestServer::start().await;
    // Highest toll first; unknown tolls last, in date order among themselves.
    assert_eq!(
        server.ids("sortby=-killed,date").await,
        strings(&["fx-004", "fx-003", "fx-001", "fx-005", "fx-002", "fx-006"])
    );
    let sortables: Value = server
        .json("/api/collections/incidents/sortables", 200)
        .await;
    assert!(sortables["properties"]["depth_km"].is_object());
    let body: Value = server
        .json(
            "/api/collections/incidents/items?sortby=date,killed,depth_km,date,killed",
            400,
        )
        .await;
    assert_eq!(body["parameter"], "sortby");
}
