//! The OpenAPI 3.0 description of the API (`/api/api`, linked as `service-desc`): clients
//! such as GDAL read it for page sizes and parameters; people read it as the reference.

use super::ogc::COLLECTIONS;
use crate::model::{IncidentType, Perpetrator, Reporter, Side, Target, Verification, Weapon};
use crate::query::{DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, MAX_RADIUS_KM};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

pub fn router() -> Router<super::AppState> {
    Router::new().route("/api/api", get(openapi))
}

fn param(name: &str, description: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": description, "schema": schema })
}

fn enum_param(name: &str, description: &str, values: Vec<&'static str>) -> Value {
    param(
        name,
        &format!("{description} Comma-separated list; any of the values matches."),
        json!({ "type": "string", "enum": values }),
    )
}

fn paging() -> Vec<Value> {
    vec![
        param(
            "limit",
            &format!(
                "Items per page (default {DEFAULT_LIMIT}; larger values are clamped to {MAX_LIMIT})."
            ),
            json!({ "type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT }),
        ),
        param(
            "offset",
            "Items to skip.",
            json!({ "type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0 }),
        ),
        param(
            "bbox",
            "west,south,east,north in degrees (WGS84).",
            json!({ "type": "array", "minItems": 4, "maxItems": 6, "items": { "type": "number" } }),
        ),
    ]
}

fn incident_params() -> Vec<Value> {
    let mut list = paging();
    list.extend([
        param("datetime", "A date, or an interval start/end with '..' for an open end. Incidents whose possible days overlap it match.", json!({ "type": "string" })),
        param("town", "Any spelling of a place (Stepanakert, Khankendi, Xankəndi, Степанакерт...).", json!({ "type": "string", "maxLength": 200 })),
        param("q", "Text in the title or description (case- and accent-insensitive).", json!({ "type": "string", "maxLength": 200 })),
        enum_param("type", "Incident type.", IncidentType::ALL.iter().map(|v| v.as_str()).collect()),
        enum_param("weapon", "Weapon.", Weapon::ALL.iter().map(|v| v.as_str()).collect()),
        enum_param("target", "What was hit.", Target::ALL.iter().map(|v| v.as_str()).collect()),
        enum_param("perpetrator", "Alleged perpetrator.", Perpetrator::ALL.iter().map(|v| v.as_str()).collect()),
        enum_param("reported_by", "Who reported it.", Reporter::ALL.iter().map(|v| v.as_str()).collect()),
        enum_param("verification", "Verification grade.", Verification::ALL.iter().map(|v| v.as_str()).collect()),
        enum_param("side", "Side of the line of contact (as of 26 September 2020).", Side::ALL.iter().map(|v| v.as_str()).collect()),
        param("min_killed", "At least this many killed (compared with the highest reported figure).", json!({ "type": "integer", "minimum": 0 })),
        param("depth_min_km", "At least this far from the line of contact, km.", json!({ "type": "number", "minimum": 0 })),
        param("depth_max_km", "At most this far from the line of contact, km.", json!({ "type": "number", "minimum": 0 })),
        param("near", "lon,lat: only incidents within within_km of this point.", json!({ "type": "string" })),
        param("within_km", "Radius for near, km (default 10).", json!({ "type": "number", "minimum": 0, "maximum": MAX_RADIUS_KM })),
        param("military_clear_km", "No known military object within this many km.", json!({ "type": "number", "minimum": 0, "maximum": MAX_RADIUS_KM })),
        param("protected_within_km", "A protected object within this many km.", json!({ "type": "number", "minimum": 0, "maximum": MAX_RADIUS_KM })),
        param("sortby", "date, depth, killed, or distance (with near); prefix - for descending.", json!({ "type": "string" })),
        param("naming", "How places in the disputed area are named in the answer: hy-az (default), az-hy, hy or az. Places outside it keep their local name first.", json!({ "type": "string", "enum": ["hy-az", "az-hy", "hy", "az"] })),
    ]);
    list
}

fn error_response() -> Value {
    json!({ "description": "Bad input: the body names the parameter and what was expected.",
            "content": { "application/json": { "schema": { "type": "object", "properties": {
                "code": { "type": "string" }, "description": { "type": "string" }, "parameter": { "type": "string" } } } } } })
}

fn feature_response(description: &str) -> Value {
    json!({ "200": { "description": description, "content": { "application/geo+json": { "schema": { "type": "object" } } } },
            "400": error_response(), "404": { "description": "No such collection or feature." } })
}

async fn openapi() -> Json<Value> {
    let mut paths = serde_json::Map::new();
    for (path, summary) in [
        ("/api", "Landing page"),
        ("/api/conformance", "Conformance classes"),
        ("/api/collections", "Collections"),
        ("/api/health", "Health"),
    ] {
        paths.insert(path.into(), json!({ "get": { "summary": summary, "responses": { "200": { "description": summary } } } }));
    }
    for (id, title, description) in COLLECTIONS {
        let parameters = match *id {
            "incidents" => incident_params(),
            "places" => {
                let mut list = paging();
                list.push(param(
                    "q",
                    "Name search (any spelling, prefix first).",
                    json!({ "type": "string" }),
                ));
                list
            }
            _ => paging(),
        };
        paths.insert(format!("/api/collections/{id}"), json!({ "get": { "summary": title, "description": description, "responses": { "200": { "description": "Collection metadata" } } } }));
        paths.insert(
            format!("/api/collections/{id}/items"),
            json!({ "get": {
            "summary": format!("{title}: features"), "operationId": format!("get-{id}-items"),
            "parameters": parameters, "responses": feature_response("A page of features") } }),
        );
        paths.insert(format!("/api/collections/{id}/items/{{featureId}}"), json!({ "get": {
            "summary": format!("{title}: one feature"),
            "parameters": [{ "name": "featureId", "in": "path", "required": true, "schema": { "type": "string" } }],
            "responses": feature_response("One feature") } }));
    }
    let mut stats_params = incident_params();
    stats_params
        .retain(|p| !["limit", "offset", "sortby"].contains(&p["name"].as_str().unwrap_or("")));
    paths.insert("/api/stats".into(), json!({ "get": { "summary": "Counts and casualties of the filtered incidents by town, day and weapon, and depth bands of 10 km", "parameters": stats_params, "responses": { "200": { "description": "Statistics" }, "400": error_response() } } }));
    paths.insert("/api/measure".into(), json!({ "get": { "summary": "Depth from the line of contact, side, nearest objects and nearest place for any point",
        "parameters": [
            { "name": "lon", "in": "query", "required": true, "schema": { "type": "number", "minimum": -180, "maximum": 180 } },
            { "name": "lat", "in": "query", "required": true, "schema": { "type": "number", "minimum": -90, "maximum": 90 } },
            { "name": "date", "in": "query", "required": false, "description": "Measure from the line of contact that stood before this day (YYYY-MM-DD); default: the latest line.", "schema": { "type": "string", "format": "date" } }],
        "responses": { "200": { "description": "Measures" }, "400": error_response() } } }));
    paths.insert("/api/measure/path".into(), json!({ "get": { "summary": "Geodesic length of a path on the WGS84 ellipsoid",
        "parameters": [{ "name": "points", "in": "query", "required": true, "description": format!("lon,lat;lon,lat;... (2 to {} points)", crate::query::MAX_PATH_POINTS), "schema": { "type": "string" } }],
        "responses": { "200": { "description": "Segment and total lengths in km" }, "400": error_response() } } }));
    Json(json!({
        "openapi": "3.0.3",
        "info": { "title": "strikemap", "version": env!("CARGO_PKG_VERSION"), "description": "OGC API – Features for reported attacks on civilians, with geodesic measures." },
        "paths": paths,
    }))
}
