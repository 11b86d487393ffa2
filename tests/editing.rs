//! Editing through the API on a real SQLite store: who may do what, validation that names every
//! field and stores nothing, If-Match against lost updates, the audit trail, restricted data that
//! never reaches the public, and writes that every read sees at once and a restart keeps.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::{TestServer, copy_of_fixtures};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use strikemap::config::Settings;
use strikemap::model::Role;
use strikemap::store::database::Database;

/// A server on a store in a temporary copy of the fixtures, with a token of each role.
struct Editing {
    server: TestServer,
    dir: tempfile::TempDir,
    viewer: String,
    editor: String,
    second_editor: String,
    admin: String,
}

fn settings_for(dir: &std::path::Path) -> Settings {
    let mut settings = Settings::with_data(dir.to_path_buf());
    settings.no_db = false;
    settings.db = Some(dir.join("store.db"));
    settings
}

impl Editing {
    async fn start() -> Editing {
        let dir = copy_of_fixtures();
        let db = Database::open(&dir.path().join("store.db")).unwrap();
        let viewer = db.create_token("Vera Viewer", Role::Viewer).unwrap();
        let editor = db.create_token("Ed Itor", Role::Editor).unwrap();
        let second_editor = db.create_token("Second Editor", Role::Editor).unwrap();
        let admin = db.create_token("Ada Admin", Role::Admin).unwrap();
        drop(db);
        let server = TestServer::start_with(settings_for(dir.path())).await;
        Editing {
            server,
            dir,
            viewer,
            editor,
            second_editor,
            admin,
        }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        if_match: Option<&str>,
        body: Option<&Value>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let mut request = self
            .server
            .client
            .request(method.clone(), format!("{}{path}", self.server.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(tag) = if_match {
            request = request.header("If-Match", tag);
        }
        if let Some(body) = body {
            let kind = if method == Method::PATCH {
                "application/merge-patch+json"
            } else {
                "application/geo+json"
            };
            request = request.header("Content-Type", kind).body(body.to_string());
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, headers, value)
    }

    /// The editable record of an incident and its ETag.
    async fn record(&self, id: &str) -> (Value, String) {
        let (status, headers, body) = self
            .send(Method::GET, &item(id), Some(&self.editor), None, None)
            .await;
        assert_eq!(status, 200, "{body}");
        let tag = headers["etag"].to_str().unwrap().to_string();
        (body["record"].clone(), tag)
    }
}

fn item(id: &str) -> String {
    format!("/api/collections/incidents/items/{id}")
}

const ITEMS: &str = "/api/collections/incidents/items";

/// A valid new incident (no id: the server makes one) with `title`.
fn new_feature(title: &str) -> Value {
    json!({
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [46.7531, 39.8152]},
        "properties": {
            "title": title,
            "description": "Written by the editing tests; not a real event.",
            "date": "2020-10-08",
            "date_precision": "day",
            "place": "stepanakert",
            "geo_precision": "site",
            "location_source": "test coordinates",
            "type": "shelling",
            "weapon": "artillery",
            "target": "residential",
            "killed": 1,
            "perpetrator_alleged": "azerbaijani_forces",
            "reported_by": ["international_ngo"],
            "verification": "fair",
            "sources": [{
                "publisher": "Test Publisher",
                "title": "Test report (not a real event)",
                "date": "2020-10-09",
                "url": "https://example.org/test",
                "role": "primary"
            }]
        }
    })
}

#[tokio::test]
async fn each_role_may_do_what_it_is_for_and_nothing_more() {
    let e = Editing::start().await;
    let bad = "smk_0000000000000000000000000000000000000000000000000000000000000000";
    let anonymous: Option<&str> = None;
    // (who, may create/update, may retract)
    let cases = [
        (
            "anonymous",
            anonymous,
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
        ),
        (
            "unknown token",
            Some(bad),
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
        ),
        (
            "viewer",
            Some(e.viewer.as_str()),
            StatusCode::FORBIDDEN,
            StatusCode::FORBIDDEN,
        ),
        (
            "editor",
            Some(e.editor.as_str()),
            StatusCode::OK,
            StatusCode::FORBIDDEN,
        ),
        (
            "admin",
            Some(e.admin.as_str()),
            StatusCode::OK,
            StatusCode::OK,
        ),
    ];
    for (who, token, writes, retracts) in cases {
        let (status, _, body) = e
            .send(Method::POST, ITEMS, token, None, Some(&new_feature(who)))
            .await;
        let created = if writes == StatusCode::OK {
            StatusCode::CREATED
        } else {
            writes
        };
        assert_eq!(status, created, "{who} POST: {body}");
        if status != StatusCode::CREATED {
            assert!(
                body["description"].as_str().unwrap().contains("token"),
                "{body}"
            );
        }
        let (_, tag) = e.record("fx-002").await;
        let mut replacement = e.record("fx-002").await.0;
        replacement["properties"]["title"] = json!(format!("Replaced by {who}"));
        let (status, _, body) = e
            .send(
                Method::PUT,
                &item("fx-002"),
                token,
                Some(&tag),
                Some(&replacement),
            )
            .await;
        assert_eq!(status, writes, "{who} PUT: {body}");
        let (_, tag) = e.record("fx-002").await;
        let patch = json!({"properties": {"title": format!("Patched by {who}")}});
        let (status, _, body) = e
            .send(
                Method::PATCH,
                &item("fx-002"),
                token,
                Some(&tag),
                Some(&patch),
            )
            .await;
        assert_eq!(status, writes, "{who} PATCH: {body}");
        if writes != StatusCode::OK {
            let title = e.server.json(&item("fx-002"), 200).await["properties"]["title"].clone();
            assert!(
                !title.as_str().unwrap().contains(who),
                "{who} changed the record"
            );
        }
        let (_, tag) = e.record("fx-003").await;
        let (status, _, body) = e
            .send(
                Method::DELETE,
                &format!("{}?reason=test", item("fx-003")),
                token,
                Some(&tag),
                None,
            )
            .await;
        assert_eq!(status, retracts, "{who} DELETE: {body}");
    }
    // Only the admin's retraction happened, and the retracted incident says why.
    let gone = e.server.json(&item("fx-003"), 410).await;
    assert_eq!(gone["reason"], "test");
    // Reference layers are never written through the API.
    let (status, headers, _) = e
        .send(
            Method::POST,
            "/api/collections/places/items",
            Some(&e.admin),
            None,
            Some(&new_feature("x")),
        )
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(headers["allow"], "GET, HEAD");
}

#[tokio::test]
async fn a_write_is_seen_at_once_by_every_read_and_a_retraction_leaves_them_all() {
    let e = Editing::start().await;
    let before = e.server.json("/api/stats", 200).await["number_matched"].clone();
    assert!(before.as_u64().is_some_and(|n| n > 0), "{before}");
    let (status, headers, body) = e
        .send(
            Method::POST,
            ITEMS,
            Some(&e.editor),
            None,
            Some(&new_feature("Fresh strike")),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(headers["etag"], "\"r1\"");
    let id = body["id"].as_str().unwrap().to_string();
    assert!(headers["location"].to_str().unwrap().ends_with(&item(&id)));
    let public = e.server.json(&item(&id), 200).await;
    assert_eq!(public["properties"]["title"], "Fresh strike");
    assert!(
        public["properties"]["depth_km"].is_number(),
        "measured: {public}"
    );
    let listed = e.server.ids("town=Khankendi&datetime=2020-10-08").await;
    assert!(listed.contains(&id), "{listed:?}");
    let stats = e.server.json("/api/stats", 200).await;
    assert_eq!(
        stats["number_matched"].as_u64(),
        before.as_u64().map(|n| n + 1)
    );
    let csv = e
        .server
        .get("/api/collections/incidents/download?f=csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.contains("Fresh strike"));

    let (status, _, body) = e
        .send(
            Method::DELETE,
            &item(&id),
            Some(&e.admin),
            Some("\"r1\""),
            Some(&json!({"reason": "entered twice"})),
        )
        .await;
    // A DELETE body is plain JSON; the helper sends geo+json, which is refused by name.
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["header"], "Content-Type");
    let (status, _, body) = e
        .send(
            Method::DELETE,
            &format!("{}?reason=entered%20twice", item(&id)),
            Some(&e.admin),
            Some("\"r1\""),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "retracted");
    let gone = e.server.json(&item(&id), 410).await;
    assert_eq!(gone["reason"], "entered twice");
    assert!(!e.server.ids("town=Khankendi").await.contains(&id));
    assert_eq!(
        e.server.json("/api/stats", 200).await["number_matched"],
        before
    );
    // Nothing is erased: the record and its trail stay.
    let history = e.server.json(&format!("{}/history", item(&id)), 200).await;
    assert_eq!(history["numberMatched"], 2);
    assert_eq!(history["revisions"][1]["action"], "retract");
    // A retracted incident cannot be written to again.
    let (status, _, _) = e
        .send(
            Method::PATCH,
            &item(&id),
            Some(&e.admin),
            Some("*"),
            Some(&json!({"properties": {"title": "back"}})),
        )
        .await;
    assert_eq!(status, 410);
}

#[tokio::test]
async fn restricted_data_never_reaches_anonymous_or_viewer_answers() {
    let e = Editing::start().await;
    let mut feature = new_feature("Protected site strike");
    // An exact point no cell centre can equal, and names only the restricted part holds.
    feature["geometry"]["coordinates"] = json!([46.761234, 39.812345]);
    feature["properties"]["location_source"] = json!("SECRETSOURCE courtyard");
    feature["restricted"] = json!({
        "protect_location": true,
        "victims": ["SECRETVICTIM Name"],
        "witnesses": ["SECRETWITNESS Name"],
        "contacts": ["+000 SECRETCONTACT"],
        "notes": "SECRETNOTES"
    });
    let (status, _, body) = e
        .send(Method::POST, ITEMS, Some(&e.editor), None, Some(&feature))
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap().to_string();
    assert_eq!(body["restricted"]["victims"][0], "SECRETVICTIM Name");
    assert_eq!(
        body["geometry"]["coordinates"],
        json!([46.761234, 39.812345])
    );
    let secrets = ["SECRET", "46.761234", "39.812345", "46.76123", "39.81234"];
    let reads = [
        item(&id),
        format!("{ITEMS}?limit=1000"),
        format!("{ITEMS}?f=csv&limit=1000"),
        "/api/collections/incidents/download".to_string(),
        "/api/collections/incidents/download?f=csv".to_string(),
        "/api/stats".to_string(),
        format!("{}/history", item(&id)),
        "/api/collections/incidents/tiles/WebMercatorQuad/0/0/0".to_string(),
        "/api/collections/incidents/tiles/WebMercatorQuad/14/6181/10318".to_string(),
    ];
    for token in [None, Some(e.viewer.as_str())] {
        for path in &reads {
            let mut request = e.server.client.get(format!("{}{path}", e.server.base));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200, "{path}");
            let bytes = response.bytes().await.unwrap();
            let text = String::from_utf8_lossy(&bytes);
            for secret in secrets {
                assert!(
                    !text.contains(secret),
                    "{path} ({token:?}) shows {secret}: {text}"
                );
            }
        }
    }
    // The public point is coarsened, and its stated uncertainty still holds the true one.
    let public = e.server.json(&item(&id), 200).await;
    let [lon, lat] = [0, 1].map(|i| public["geometry"]["coordinates"][i].as_f64().unwrap());
    let km = public["properties"]["uncertainty_km"].as_f64().unwrap();
    let d = strikemap::geodesy::distance_m(
        geo::Point::new(lon, lat),
        geo::Point::new(46.761234, 39.812345),
    ) / 1000.0;
    assert!(
        d > 0.1 && d <= km,
        "public point {d} km off, radius {km} km"
    );
    // Stated to the tenth of a kilometre, and shown as stated (not as its f32 neighbour).
    assert_eq!((km * 10.0).round() / 10.0, km, "{km}");
    // Editors see it all, and it is never cached on the way.
    let (status, headers, body) = e
        .send(Method::GET, &item(&id), Some(&e.editor), None, None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(headers["cache-control"], "private, no-store");
    assert_eq!(body["record"]["restricted"]["notes"], "SECRETNOTES");
    assert_eq!(
        body["record"]["properties"]["location_source"],
        "SECRETSOURCE courtyard"
    );
    let history = e
        .send(
            Method::GET,
            &format!("{}/history", item(&id)),
            Some(&e.editor),
            None,
            None,
        )
        .await
        .2;
    assert_eq!(history["revisions"][0]["actor"], "Ed Itor");
    assert!(history.to_string().contains("SECRETWITNESS"));
}

#[tokio::test]
async fn if_match_stops_an_editor_from_overwriting_another() {
    let e = Editing::start().await;
    let (_, tag) = e.record("fx-001").await;
    assert_eq!(tag, "\"r1\"");
    let first = json!({"properties": {"title": "First editor's title"}});
    let second = json!({"properties": {"description": "Second editor's description"}});
    let (status, headers, _) = e
        .send(
            Method::PATCH,
            &item("fx-001"),
            Some(&e.editor),
            Some(&tag),
            Some(&first),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(headers["etag"], "\"r2\"");
    // The second editor read the same revision: refused, told the current one.
    let (status, _, body) = e
        .send(
            Method::PATCH,
            &item("fx-001"),
            Some(&e.second_editor),
            Some(&tag),
            Some(&second),
        )
        .await;
    assert_eq!(status, 412, "{body}");
    assert_eq!(body["current_etag"], "\"r2\"");
    let (status, _, body) = e
        .send(
            Method::PATCH,
            &item("fx-001"),
            Some(&e.second_editor),
            None,
            Some(&second),
        )
        .await;
    assert_eq!(status, 428, "{body}");
    assert_eq!(body["header"], "If-Match");
    for weak in ["W/\"r2\"", "\"2\"", "r2"] {
        let (status, _, _) = e
            .send(
                Method::PATCH,
                &item("fx-001"),
                Some(&e.second_editor),
                Some(weak),
                Some(&second),
            )
            .await;
        assert_eq!(status, 412, "If-Match {weak}");
    }
    let (status, _, body) = e
        .send(
            Method::PATCH,
            &item("fx-001"),
            Some(&e.second_editor),
            Some("\"r2\""),
            Some(&second),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let public = e.server.json(&item("fx-001"), 200).await;
    assert_eq!(public["properties"]["title"], "First editor's title");
    assert_eq!(
        public["properties"]["description"],
        "Second editor's description"
    );
}

#[tokio::test]
async fn an_invalid_write_names_every_bad_field_and_stores_nothing() {
    let e = Editing::start().await;
    let history_of = |id: &str| format!("{}/history", item(id));
    let before = e.server.json(&history_of("fx-001"), 200).await["numberMatched"].clone();
    let (record, tag) = e.record("fx-001").await;
    let mut bad = record.clone();
    if let Some(object) = bad.as_object_mut() {
        object.remove("revision");
        object.remove("status");
    }
    bad["geometry"]["coordinates"] = json!([191.0, 39.8]);
    bad["properties"]["title"] = json!("");
    bad["properties"]["date"] = json!("2999-01-01");
    bad["properties"]["type"] = json!("nuclear");
    bad["properties"]["place"] = json!("atlantis");
    bad["properties"]["sources"] = json!([]);
    bad["properties"]["colour"] = json!("red");
    bad["restricted"] = json!({"victims": "one name"});
    let (status, _, body) = e
        .send(
            Method::PUT,
            &item("fx-001"),
            Some(&e.editor),
            Some(&tag),
            Some(&bad),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let fields: Vec<&str> = body["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["field"].as_str().unwrap())
        .collect();
    for field in [
        "geometry.coordinates",
        "properties.title",
        "properties.date",
        "properties.type",
        "properties.place",
        "properties.colour",
        "restricted.victims",
    ] {
        assert!(fields.contains(&field), "{field} not named: {fields:?}");
    }
    // With the types right, the record's own rules are each named too.
    let mut rules = record.clone();
    if let Some(object) = rules.as_object_mut() {
        object.remove("revision");
        object.remove("status");
    }
    rules["properties"]["title"] = json!(" ");
    rules["properties"]["date"] = json!("2999-01-01");
    rules["properties"]["sources"] = json!([]);
    rules["properties"]["killed"] = json!({"low": 5, "high": 2});
    let (status, _, body) = e
        .send(
            Method::PUT,
            &item("fx-001"),
            Some(&e.editor),
            Some(&tag),
            Some(&rules),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let fields: Vec<&str> = body["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["field"].as_str().unwrap())
        .collect();
    for field in [
        "properties.title",
        "properties.date",
        "properties.sources",
        "properties.killed",
    ] {
        assert!(fields.contains(&field), "{field} not named: {fields:?}");
    }
    for (body, kind) in [
        ("{not json", "application/geo+json"),
        ("[]", "application/geo+json"),
    ] {
        let response = e
            .server
            .client
            .post(format!("{}{ITEMS}", e.server.base))
            .bearer_auth(&e.editor)
            .header("Content-Type", kind)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{body}");
    }
    let response = e
        .server
        .client
        .post(format!("{}{ITEMS}", e.server.base))
        .bearer_auth(&e.editor)
        .header("Content-Type", "text/plain")
        .body(new_feature("t").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    // An id already in use is a conflict, not an overwrite.
    let mut taken = new_feature("Same id");
    taken["properties"]["id"] = json!("fx-001");
    let (status, _, _) = e
        .send(Method::POST, ITEMS, Some(&e.editor), None, Some(&taken))
        .await;
    assert_eq!(status, 409);
    let after = e.server.json(&history_of("fx-001"), 200).await["numberMatched"].clone();
    assert_eq!(before, after, "a refused write left a revision");
    assert_eq!(
        e.record("fx-001").await.0,
        record,
        "a refused write changed the record"
    );
}

#[tokio::test]
async fn the_trail_keeps_who_changed_what_and_why() {
    let e = Editing::start().await;
    let (_, tag) = e.record("fx-004").await;
    let old_title = e.server.json(&item("fx-004"), 200).await["properties"]["title"].clone();
    let (status, _, _) = e
        .send(
            Method::PATCH,
            &item("fx-004"),
            Some(&e.editor),
            Some(&tag),
            Some(&json!({"properties": {"title": "Corrected title"}})),
        )
        .await;
    assert_eq!(status, 200);
    let path = format!("{}/history", item("fx-004"));
    let public = e.server.json(&path, 200).await;
    assert_eq!(public["numberMatched"], 2);
    let second = &public["revisions"][1];
    assert_eq!(second["revision"], 2);
    assert_eq!(second["action"], "update");
    assert_eq!(second["changed"], json!(["properties.title"]));
    assert_eq!(
        second["before"]["feature"]["properties"]["title"],
        old_title
    );
    assert_eq!(
        second["after"]["feature"]["properties"]["title"],
        "Corrected title"
    );
    // Editors' names are for editors.
    assert!(second["actor"].is_null(), "{second}");
    assert_eq!(public["revisions"][0]["actor"], "seed");
    let (_, _, full) = e.send(Method::GET, &path, Some(&e.admin), None, None).await;
    assert_eq!(full["revisions"][1]["actor"], "Ed Itor");
    let page = e.server.json(&format!("{path}?limit=1"), 200).await;
    assert_eq!(page["numberReturned"], 1);
    assert!(
        page["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["rel"] == "next")
    );
    let bad = e.server.json(&format!("{path}?limit=0"), 400).await;
    assert_eq!(bad["parameter"], "limit");
    e.server
        .json(&format!("{}/history", item("nope")), 404)
        .await;
}

#[tokio::test]
async fn writes_survive_a_restart_and_the_store_passes_its_checks() {
    let dir = copy_of_fixtures();
    let token = {
        let db = Database::open(&dir.path().join("store.db")).unwrap();
        db.create_token("Ed Itor", Role::Editor).unwrap()
    };
    let mut settings = settings_for(dir.path());
    settings.snapshot = true;
    let created = {
        let server = TestServer::start_with(settings.clone()).await;
        let response = server
            .client
            .post(format!("{}{ITEMS}", server.base))
            .bearer_auth(&token)
            .header("Content-Type", "application/geo+json")
            .body(new_feature("Kept across restarts").to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        body["id"].as_str().unwrap().to_string()
    };
    // A second start reads the store (the snapshot was made before the write: it is stale).
    let (index, origin) = strikemap::load_with_origin(&settings, &|_| {}).unwrap();
    assert_eq!(origin, strikemap::Origin::Files);
    let i = index.incident_by_id(&created).expect("the write is loaded");
    assert_eq!(&*index.incidents[i as usize].title, "Kept across restarts");
    let (_, origin) = strikemap::load_with_origin(&settings, &|_| {}).unwrap();
    assert_eq!(
        origin,
        strikemap::Origin::Snapshot,
        "an unchanged store reuses the snapshot"
    );
    let db = Database::open(&dir.path().join("store.db")).unwrap();
    assert_eq!(db.integrity_check().unwrap(), "ok");
    let backup = dir.path().join("backup.db");
    db.backup(&backup).unwrap();
    assert!(db.backup(&backup).is_err(), "a backup never overwrites");
    let copy = Database::open(&backup).unwrap();
    assert_eq!(copy.get(&created).unwrap().unwrap().revision, 1);
}

#[test]
fn an_older_database_is_migrated_and_a_newer_one_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let old = Database::open_at_version(&path, 1).unwrap();
        assert_eq!(old.schema_version().unwrap(), 1);
        let seeded = old
            .seed(
                [("old-1".to_string(), r#"{"type":"Feature"}"#)].into_iter(),
                "a test",
                &|_| {},
            )
            .unwrap();
        assert_eq!(seeded, 1);
    }
    let db = Database::open(&path).unwrap();
    assert_eq!(
        db.schema_version().unwrap(),
        strikemap::store::database::SCHEMA_VERSION
    );
    assert_eq!(db.get("old-1").unwrap().unwrap().revision, 1);
    let (_, revisions) = db.history("old-1", 10, 0).unwrap();
    assert_eq!(revisions.len(), 1);
    // Tokens came with the second migration.
    let token = db.create_token("After migration", Role::Editor).unwrap();
    assert_eq!(db.authenticate(&token).unwrap().unwrap().role, Role::Editor);
    drop(db);
    let conn = rusqlite_connection(&path);
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let error = Database::open(&path)
        .err()
        .expect("a newer schema is refused");
    assert!(error.to_string().contains("newer strikemap"), "{error}");
}

fn rusqlite_connection(path: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

#[test]
fn revisions_cannot_be_rewritten_or_deleted_even_by_sql() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let db = Database::open(&path).unwrap();
    db.seed(
        [("a".to_string(), r#"{"type":"Feature"}"#)].into_iter(),
        "a test",
        &|_| {},
    )
    .unwrap();
    drop(db);
    let conn = rusqlite_connection(&path);
    let update = conn.execute("UPDATE revisions SET actor = 'someone else'", []);
    assert!(update.unwrap_err().to_string().contains("never rewritten"));
    let delete = conn.execute("DELETE FROM revisions", []);
    assert!(delete.unwrap_err().to_string().contains("never deleted"));
}

#[tokio::test]
async fn a_revoked_token_no_longer_writes() {
    let e = Editing::start().await;
    let db = Database::open(&e.dir.path().join("store.db")).unwrap();
    let id = db
        .tokens()
        .unwrap()
        .into_iter()
        .find(|t| t.name == "Ed Itor")
        .unwrap()
        .id;
    assert!(db.revoke_token(id).unwrap());
    let (status, headers, _) = e
        .send(
            Method::POST,
            ITEMS,
            Some(&e.editor),
            None,
            Some(&new_feature("late")),
        )
        .await;
    assert_eq!(status, 401);
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
}

/// Pages keep their features encoded under each incident's number; a write that numbers the
/// incidents afresh (one dated before every other does) must not leave a page serving the
/// bytes kept for what a number named before.
#[tokio::test]
async fn a_page_after_the_incidents_are_numbered_afresh_shows_each_record_as_it_is() {
    let e = Editing::start().await;
    let page = "/api/collections/incidents/items?limit=100";
    let by_id = |body: &Value| -> std::collections::BTreeMap<String, Value> {
        body["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["id"].as_str().unwrap().to_string(), f.clone()))
            .collect()
    };
    let before = e.server.json(page, 200).await;
    // Asked twice: the second answer is the kept bytes.
    assert_eq!(
        e.server.json(page, 200).await["features"],
        before["features"]
    );
    let mut earliest = new_feature("Earliest strike");
    earliest["properties"]["date"] = json!("2020-09-01");
    let (status, _, body) = e
        .send(Method::POST, ITEMS, Some(&e.editor), None, Some(&earliest))
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap().to_string();
    let after = e.server.json(page, 200).await;
    assert_eq!(
        after["features"][0]["id"],
        id.as_str(),
        "first in date order"
    );
    assert_eq!(
        after["features"][0]["properties"]["title"],
        "Earliest strike"
    );
    let mut after = by_id(&after);
    assert!(after.remove(&id).is_some());
    assert_eq!(after, by_id(&before), "every other record as it was");
    // A rewritten record is served as written, on its page and alone.
    let first = before["features"][0]["id"].as_str().unwrap().to_string();
    let (_, tag) = e.record(&first).await;
    let (status, _, body) = e
        .send(
            Method::PATCH,
            &item(&first),
            Some(&e.editor),
            Some(&tag),
            Some(&json!({"properties": {"title": "Retitled"}})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let again = by_id(&e.server.json(page, 200).await);
    assert_eq!(again[&first]["properties"]["title"], "Retitled");
    let alone = e.server.json(&item(&first), 200).await;
    assert_eq!(alone["properties"]["title"], "Retitled");
    assert!(alone["links"].is_array(), "{alone}");
}
