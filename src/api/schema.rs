//! What a feature of each collection holds, for clients that type their columns from a schema
//! rather than guessing from the first page (GDAL, QGIS, R sf): the feature schema (OGC API –
//! Features Part 5, linked as `describedby`), the queryables a CQL2 filter may name (Part 3) and
//! the sortables `sortby` takes. The incident properties are declared once here; the OpenAPI
//! document reuses them, and a test checks them against what the encoder writes.

use super::error::ApiError;
use super::{AppState, base_url};
use crate::index::Index;
use crate::model::{
    DatePrecision, GeoPrecision, IncidentType, Perpetrator, Reporter, Side, Target, Verification,
    Weapon,
};
use crate::query::queryables::{Field, Kind, QUERYABLES};
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};

/// The media type of a JSON Schema.
pub const SCHEMA_JSON: &str = "application/schema+json";
const DRAFT: &str = "https://json-schema.org/draft/2020-12/schema";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/collections/{collection}/schema", get(schema))
        .route(
            "/api/collections/{collection}/feature-schema",
            get(feature_schema),
        )
        .route("/api/collections/{collection}/queryables", get(queryables))
        .route("/api/collections/{collection}/sortables", get(sortables))
}

fn codes<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|v| name(*v)).collect()
}

/// A source as the API writes it (OpenAPI 3.0 form: `nullable`).
pub fn source_schema() -> Value {
    let nullable = |kind: &str| json!({ "type": kind, "nullable": true });
    json!({ "type": "object", "required": ["publisher", "title"], "properties": {
        "publisher": { "type": "string" }, "title": { "type": "string" }, "date": nullable("string"),
        "url": nullable("string"), "read_at": nullable("string"), "relay": nullable("string"),
        "role": { "type": "string", "nullable": true, "enum": crate::model::SOURCE_ROLES },
        "claimant": nullable("string"), "passage": nullable("string"), "quote": nullable("string"),
        "note": nullable("string") } })
}

/// Every property of an incident feature, in OpenAPI 3.0 form (`nullable`).
pub fn incident_properties() -> Value {
    let nullable = |kind: &str| json!({ "type": kind, "nullable": true });
    let count = |what: &str| json!({ "type": "integer", "minimum": 0, "nullable": true, "description": format!("{what}; null: no figure reported (not zero)") });
    let nearest = || {
        json!({ "type": "object", "nullable": true, "properties": {
        "id": { "type": "string" }, "name": { "type": "string" },
        "distance_km": nullable("number"), "uncertainty_km": { "type": "number" } } })
    };
    json!({
        "id": { "type": "string" }, "title": { "type": "string" }, "description": { "type": "string" },
        "attribution": { "type": "string", "description": "Who reported, relayed, denied or disputed the claim." },
        "date": { "type": "string", "format": "date" }, "date_end": { "type": "string", "format": "date" },
        "date_precision": { "type": "string", "enum": codes(DatePrecision::ALL, DatePrecision::as_str) },
        "time_local": nullable("string"), "date_note": nullable("string"),
        "place": { "type": "string" }, "place_id": { "type": "string" },
        "place_name_hy": { "type": "string" }, "place_name_az": nullable("string"),
        "place_names": { "type": "array", "items": { "type": "string" } },
        "geo_precision": { "type": "string", "enum": codes(GeoPrecision::ALL, GeoPrecision::as_str) },
        "uncertainty_km": { "type": "number" }, "location_source": { "type": "string" },
        "type": { "type": "string", "enum": codes(IncidentType::ALL, IncidentType::as_str) },
        "weapon": { "type": "string", "enum": codes(Weapon::ALL, Weapon::as_str) },
        "target": { "type": "string", "enum": codes(Target::ALL, Target::as_str) },
        "killed": count("Reported killed, lowest figure"), "killed_high": count("Reported killed, highest figure"),
        "injured": count("Reported injured, lowest figure"), "injured_high": count("Reported injured, highest figure"),
        "children_killed": count("Children reported killed, lowest figure"), "children_killed_high": count("Children reported killed, highest figure"),
        "children_injured": count("Children reported injured, lowest figure"), "children_injured_high": count("Children reported injured, highest figure"),
        "perpetrator_alleged": { "type": "string", "enum": codes(Perpetrator::ALL, Perpetrator::as_str) },
        "reported_by": { "type": "array", "items": { "type": "string", "enum": codes(Reporter::ALL, Reporter::as_str) } },
        "verification": { "type": "string", "enum": codes(Verification::ALL, Verification::as_str) },
        "verification_note": nullable("string"),
        "sources": { "type": "array", "items": source_schema() },
        "depth_km": nullable("number"), "depth_low_km": nullable("number"), "depth_high_km": nullable("number"),
        "side": { "type": "string", "nullable": true, "enum": codes(Side::ALL, Side::as_str) },
        "nearest_military_km": nullable("number"), "nearest_military": nearest(),
        "nearest_protected_km": nullable("number"), "nearest_protected": nearest(),
        "nearest_place": nullable("string"), "nearest_place_km": nullable("number"),
    })
}

/// OpenAPI 3.0's `nullable: true` as JSON Schema's `type: [t, "null"]`, all the way down.
fn json_schema(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let nullable = map.get("nullable") == Some(&Value::Bool(true));
            let mut out = Map::new();
            for (key, v) in map {
                match key.as_str() {
                    "nullable" => {}
                    "type" if nullable => {
                        out.insert(key.clone(), json!([v, "null"]));
                    }
                    "enum" if nullable => {
                        let mut values = v.as_array().cloned().unwrap_or_default();
                        values.push(Value::Null);
                        out.insert(key.clone(), Value::Array(values));
                    }
                    _ => {
                        out.insert(key.clone(), json_schema(v));
                    }
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(json_schema).collect()),
        other => other.clone(),
    }
}

/// The JSON Schema type of a value, for inferring a reference layer's schema from its data.
fn type_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Property types of a reference collection, read off every feature it holds (the data are
/// all in memory, so this is exact, not a guess from a first page).
fn inferred_properties<'a>(features: impl Iterator<Item = &'a Map<String, Value>>) -> Value {
    let mut types: std::collections::BTreeMap<String, Vec<&'static str>> = Default::default();
    let mut count = 0usize;
    let mut seen: std::collections::BTreeMap<String, usize> = Default::default();
    for properties in features {
        count += 1;
        for (key, value) in properties {
            let kinds = types.entry(key.clone()).or_default();
            let kind = type_of(value);
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
            *seen.entry(key.clone()).or_default() += 1;
        }
    }
    let mut out = Map::new();
    for (key, mut kinds) in types {
        // A property some features lack is null there.
        if seen.get(&key).copied().unwrap_or(0) < count && !kinds.contains(&"null") {
            kinds.push("null");
        }
        // Integers among numbers are numbers.
        if kinds.contains(&"number") {
            kinds.retain(|k| *k != "integer");
        }
        let kind = if kinds.len() == 1 {
            json!(kinds[0])
        } else {
            json!(kinds)
        };
        out.insert(key, json!({ "type": kind }));
    }
    Value::Object(out)
}

fn geometry_format(id: &str) -> Option<&'static str> {
    match id {
        "incidents" | "places" | "military-objects" | "protected-objects" => Some("geometry-point"),
        "line-of-contact" => Some("geometry-linestring"),
        "control-areas" | "depth-bands" => Some("geometry-multipolygon"),
        _ => None,
    }
}

/// The feature schema of a collection (Part 5 form: the feature's properties, its id and its
/// primary geometry, each with its role).
pub fn collection_schema(index: &Index, base: &str, id: &str) -> Option<Value> {
    let (title, _) = super::ogc::collection_title(id)?;
    let mut properties = match id {
        "incidents" => json_schema(&incident_properties()),
        "places" => inferred_properties(
            index
                .place_features
                .iter()
                .filter_map(|f| f.properties.as_ref()),
        ),
        "line-of-contact" => inferred_properties(
            index
                .line
                .features
                .iter()
                .filter_map(|f| f.properties.as_ref()),
        ),
        "control-areas" => inferred_properties(
            index
                .line
                .areas
                .iter()
                .filter_map(|f| f.properties.as_ref()),
        ),
        "military-objects" => inferred_properties(
            index
                .military
                .features
                .iter()
                .filter_map(|f| f.properties.as_ref()),
        ),
        "protected-objects" => inferred_properties(
            index
                .protected
                .features
                .iter()
                .filter_map(|f| f.properties.as_ref()),
        ),
        "depth-bands" => json!({
            "id": { "type": "string" }, "from_km": { "type": "integer" }, "to_km": { "type": "integer" },
            "label": { "type": "string" }, "line_valid_from": { "type": ["string", "null"], "format": "date" },
        }),
        "summaries" => inferred_properties(index.summaries.iter().filter_map(Value::as_object)),
        _ => return None,
    };
    if let Some(map) = properties.as_object_mut() {
        if let Some(id_schema) = map.get_mut("id") {
            id_schema["x-ogc-role"] = json!("id");
        }
        if let Some(format) = geometry_format(id) {
            map.insert(
                "geometry".into(),
                json!({ "format": format, "x-ogc-role": "primary-geometry" }),
            );
        }
        if id == "incidents" {
            map["date"]["x-ogc-role"] = json!("primary-instant");
        }
    }
    Some(json!({
        "$schema": DRAFT,
        "$id": format!("{base}/api/collections/{id}/schema"),
        "type": "object",
        "title": title,
        "properties": properties,
    }))
}

/// A property schema with one type, as clients that predate nullable types read it (GDAL 3.6
/// takes `["integer", "null"]` for text): the non-null type, or `string` when several remain.
fn single_type(schema: &Value) -> Value {
    let mut schema = schema.clone();
    if let Some(kinds) = schema.get("type").and_then(Value::as_array).cloned() {
        let rest: Vec<&Value> = kinds
            .iter()
            .filter(|k| k.as_str() != Some("null"))
            .collect();
        schema["type"] = match rest.as_slice() {
            [one] => (*one).clone(),
            _ => json!("string"),
        };
    }
    if let Some(map) = schema.as_object_mut() {
        map.remove("x-ogc-role");
        if let Some(values) = map.get_mut("enum").and_then(Value::as_array_mut) {
            values.retain(|v| !v.is_null());
        }
    }
    schema
}

/// The JSON Schema of a collection's GeoJSON features (`Feature` with typed `properties`): the
/// form GDAL 3.6 and other clients older than Part 5 read from a `describedBy` link.
pub fn geojson_feature_schema(index: &Index, base: &str, id: &str) -> Option<Value> {
    let logical = collection_schema(index, base, id)?;
    let mut properties = Map::new();
    for (name, schema) in logical["properties"].as_object()? {
        // The feature's id is read from the feature itself; declaring it again would give
        // GDAL 3.12 two `id` columns.
        if name != "geometry" && name != "id" {
            properties.insert(name.clone(), single_type(schema));
        }
    }
    Some(json!({
        "$schema": DRAFT,
        "$id": format!("{base}/api/collections/{id}/feature-schema"),
        "title": logical["title"],
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": { "type": "string", "enum": ["Feature"] },
            "geometry": { "type": ["object", "null"] },
            "properties": { "type": "object", "properties": properties },
            "links": { "type": "array" },
        },
    }))
}

/// The queryables of the incidents (Part 3).
pub fn incident_queryables(base: &str) -> Value {
    let properties = json_schema(&incident_properties());
    let mut out = Map::new();
    for q in QUERYABLES {
        let mut schema = match (q.field, q.kind) {
            (Field::Geometry, _) => {
                json!({ "format": "geometry-point", "x-ogc-role": "primary-geometry" })
            }
            (Field::Datetime, _) => {
                json!({ "type": "string", "format": "date", "x-ogc-role": "primary-interval" })
            }
            (_, Kind::PlaceName) => json!({ "type": "string" }),
            (_, Kind::Code(values)) => {
                let mut schema = properties
                    .get(q.name)
                    .cloned()
                    .unwrap_or_else(|| json!({ "type": "string" }));
                schema["enum"] = json!(values());
                schema
            }
            _ => properties
                .get(q.name)
                .cloned()
                .unwrap_or_else(|| json!({ "type": "string" })),
        };
        schema["title"] = json!(q.name);
        schema["description"] = json!(q.description);
        out.insert(q.name.into(), schema);
    }
    json!({
        "$schema": DRAFT,
        "$id": format!("{base}/api/collections/incidents/queryables"),
        "type": "object",
        "title": "Incidents",
        "properties": out,
        "additionalProperties": false,
    })
}

/// The keys `sortby` takes.
pub fn incident_sortables(base: &str) -> Value {
    json!({
        "$schema": DRAFT,
        "$id": format!("{base}/api/collections/incidents/sortables"),
        "type": "object",
        "title": "Incidents",
        "properties": {
            "date": { "type": "string", "format": "date", "description": "First possible day (the default order, then id)." },
            "depth_km": { "type": "number", "description": "Distance from the line of contact; unknown depths last." },
            "killed": { "type": "integer", "description": "Highest reported death toll; unknown tolls last." },
            "distance": { "type": "number", "description": "Distance from the near point (only with near)." },
        },
        "additionalProperties": false,
    })
}

fn schema_response(value: Value) -> Response {
    let mut response = axum::Json(value).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(SCHEMA_JSON));
    response
}

fn check_params(raw: Option<&str>) -> Result<(), ApiError> {
    crate::query::expect_no_params(&crate::query::Params::new(super::params_of(raw)?)?)?;
    Ok(())
}

/// One of a collection's schemas, built by `build`.
fn one_schema(
    state: &AppState,
    id: &str,
    raw: Option<&str>,
    headers: &HeaderMap,
    build: fn(&Index, &str, &str) -> Option<Value>,
) -> Result<Response, ApiError> {
    super::ogc::find_collection(id)?;
    check_params(raw)?;
    build(&state.index(), &base_url(state, headers), id)
        .map(schema_response)
        .ok_or_else(|| ApiError::NotFound(format!("no schema for collection '{id}'")))
}

async fn schema(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    one_schema(&state, &id, raw.as_deref(), &headers, collection_schema)
}

async fn feature_schema(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    one_schema(
        &state,
        &id,
        raw.as_deref(),
        &headers,
        geojson_feature_schema,
    )
}

fn incidents_only(id: &str, what: &str) -> Result<(), ApiError> {
    super::ogc::find_collection(id)?;
    if id == "incidents" {
        Ok(())
    } else {
        Err(ApiError::NotFound(format!(
            "collection '{id}' has no {what}: filter and sortby apply to incidents only"
        )))
    }
}

async fn queryables(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    incidents_only(&id, "queryables")?;
    check_params(raw.as_deref())?;
    Ok(schema_response(incident_queryables(&base_url(
        &state, &headers,
    ))))
}

async fn sortables(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    incidents_only(&id, "sortables")?;
    check_params(raw.as_deref())?;
    Ok(schema_response(incident_sortables(&base_url(
        &state, &headers,
    ))))
}
