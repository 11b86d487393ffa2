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

/// The media type of this document.
pub const OPENAPI_JSON: &str = "application/vnd.oai.openapi+json;version=3.0";

fn param(name: &str, description: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": description, "schema": schema })
}

/// A comma-separated list, as OpenAPI describes it: an array, `style: form`, not exploded.
fn list_param(name: &str, description: &str, items: Value) -> Value {
    json!({ "name": name, "in": "query", "required": false, "style": "form", "explode": false,
            "description": description, "schema": { "type": "array", "items": items } })
}

fn enum_param(name: &str, description: &str, values: Vec<&'static str>) -> Value {
    list_param(
        name,
        &format!("{description} Comma-separated; any of the values matches."),
        json!({ "type": "string", "enum": values }),
    )
}

fn format_param() -> Value {
    param(
        "f",
        "Encoding of the answer: json (GeoJSON for features).",
        json!({ "type": "string", "enum": ["json", "geojson"] }),
    )
}

fn paging() -> Vec<Value> {
    vec![
        param(
            "limit",
            &format!(
                "Items per page (default {DEFAULT_LIMIT}); larger values are served as {MAX_LIMIT}, and the next link continues."
            ),
            json!({ "type": "integer", "minimum": 1, "default": DEFAULT_LIMIT }),
        ),
        param(
            "offset",
            "Items to skip.",
            json!({ "type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0 }),
        ),
        list_param(
            "bbox",
            "west,south,east,north in degrees (WGS84).",
            json!({ "type": "number" }),
        ),
        format_param(),
    ]
}

/// The incident parameters, one per name the query parser accepts (a test checks both lists
/// agree, so the document cannot drift from the code).
pub fn incident_params() -> Vec<Value> {
    let mut list = paging();
    for p in &mut list {
        if p["name"] == "f" {
            *p = param(
                "f",
                "Encoding of the answer: json (GeoJSON) or csv (the columns are listed in the README; a UTF-8 byte-order mark first). Accept: text/csv also selects CSV.",
                json!({ "type": "string", "enum": ["json", "geojson", "csv"] }),
            );
        }
    }
    list.extend([
        param("datetime", "A date (2020-10-04), an RFC 3339 date-time, or an interval start/end with '..' or nothing for an open end (also GDAL's 2020-10-01T/2020-10-31T). Incidents whose possible days overlap it match.", json!({ "type": "string" })),
        param("town", "Any spelling of a place (Stepanakert, Khankendi, Xankəndi, Степанакерт...).", json!({ "type": "string", "maxLength": 200 })),
        param("q", "Text in the title or description (case- and accent-insensitive).", json!({ "type": "string", "maxLength": 200 })),
        enum_param("type", "Incident type.", IncidentType::ALL.iter().map(|v| v.as_str()).collect()),
        enum_param("weapon", "Weapon.", Weapon::ALL.iter().map(|v| v.as_str()).collect()),
        enum_param("target", "What was hit.", Target::ALL.iter().map(|v| v.as_str()).collect()),
        enum_param("perpetrator", "Alleged perpetrator.", Perpetrator::ALL.iter().map(|v| v.as_str()).collect()),
        enum_param("reported_by", "Who reported it.", Reporter::ALL.iter().map(|v| v.as_str()).collect()),
        enum_param("verification", "Verification grade.", Verification::ALL.iter().map(|v| v.as_str()).collect()),
        enum_param("side", "Side of the line of contact that stood before the incident.", Side::ALL.iter().map(|v| v.as_str()).collect()),
        param("min_killed", "At least this many killed (compared with the highest reported figure).", json!({ "type": "integer", "minimum": 0 })),
        param("depth_min_km", "At least this far from the line of contact, km.", json!({ "type": "number", "minimum": 0 })),
        param("depth_max_km", "At most this far from the line of contact, km.", json!({ "type": "number", "minimum": 0 })),
        list_param("near", "lon,lat: only incidents within within_km of this point.", json!({ "type": "number" })),
        param("within_km", "Radius for near, km (default 10).", json!({ "type": "number", "minimum": 0, "maximum": MAX_RADIUS_KM })),
        param("military_clear_km", "No known military object within this many km (see the layer's coverage).", json!({ "type": "number", "minimum": 0, "maximum": MAX_RADIUS_KM })),
        param("protected_within_km", "A protected object within this many km (see the layer's coverage).", json!({ "type": "number", "minimum": 0, "maximum": MAX_RADIUS_KM })),
        {
            let mut sortby = list_param("sortby", &format!("Up to {} keys, most significant first, among date, depth_km, killed and distance (with near); prefix - for descending (see /collections/incidents/sortables).", crate::query::MAX_SORT_KEYS), json!({ "type": "string", "enum": ["date", "+date", "-date", "depth_km", "+depth_km", "-depth_km", "depth", "-depth", "killed", "+killed", "-killed", "distance", "+distance", "-distance"] }));
            sortby["schema"]["maxItems"] = json!(crate::query::MAX_SORT_KEYS);
            sortby
        },
        param("filter", "A CQL2 expression over the queryables (see /collections/incidents/queryables), in cql2-text (default) or cql2-json per filter-lang; combined with the other filters by AND.", json!({ "type": "string", "maxLength": crate::query::MAX_FILTER_LEN })),
        param("filter-lang", "The encoding of filter.", json!({ "type": "string", "enum": ["cql2-text", "cql2-json"], "default": "cql2-text" })),
        param("filter-crs", "The CRS of geometries in filter (CRS84 only).", json!({ "type": "string", "enum": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"] })),
        param("naming", "How places in the disputed area are named in the answer: hy-az (default), az-hy, hy or az. Places outside it keep their local name first.", json!({ "type": "string", "enum": ["hy-az", "az-hy", "hy", "az"] })),
    ]);
    list
}

fn schemas() -> Value {
    json!({
        "Exception": { "type": "object", "required": ["code", "description"], "properties": {
            "code": { "type": "string" }, "description": { "type": "string" },
            "parameter": { "type": "string" }, "header": { "type": "string" },
            "expected": { "type": "string", "description": "what the parameter takes, in words" },
            "suggestions": { "type": "array", "items": { "type": "string" } } } },
        "Link": { "type": "object", "required": ["href"], "properties": {
            "href": { "type": "string" }, "rel": { "type": "string" }, "type": { "type": "string" }, "title": { "type": "string" } } },
        "Geometry": { "type": "object", "nullable": true, "required": ["type"], "properties": {
            "type": { "type": "string", "enum": ["Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"] },
            "coordinates": { "type": "array", "items": {} } } },
        "Source": super::schema::source_schema(),
        "IncidentProperties": { "type": "object", "properties": super::schema::incident_properties() },
        "Feature": { "type": "object", "required": ["type", "geometry", "properties"], "properties": {
            "type": { "type": "string", "enum": ["Feature"] },
            "id": { "oneOf": [{ "type": "string" }, { "type": "integer" }] },
            "geometry": { "$ref": "#/components/schemas/Geometry" },
            "properties": { "type": "object", "nullable": true },
            "links": { "type": "array", "items": { "$ref": "#/components/schemas/Link" } } } },
        "Incident": { "allOf": [{ "$ref": "#/components/schemas/Feature" },
            { "type": "object", "properties": { "properties": { "$ref": "#/components/schemas/IncidentProperties" } } }] },
        "FeatureCollection": { "type": "object", "required": ["type", "features"], "properties": {
            "type": { "type": "string", "enum": ["FeatureCollection"] },
            "numberMatched": { "type": "integer", "minimum": 0 }, "numberReturned": { "type": "integer", "minimum": 0 },
            "timeStamp": { "type": "string", "format": "date-time" },
            "links": { "type": "array", "items": { "$ref": "#/components/schemas/Link" } },
            "coverage": { "type": "object" },
            "features": { "type": "array", "items": { "$ref": "#/components/schemas/Feature" } } } },
        "IncidentCollection": { "allOf": [{ "$ref": "#/components/schemas/FeatureCollection" },
            { "type": "object", "properties": { "features": { "type": "array", "items": { "$ref": "#/components/schemas/Incident" } } } }] },
        "Collection": { "type": "object", "required": ["id", "links"], "properties": {
            "id": { "type": "string" }, "title": { "type": "string" }, "description": { "type": "string" },
            "itemType": { "type": "string" }, "crs": { "type": "array", "items": { "type": "string" } },
            "extent": { "type": "object" }, "coverage": { "type": "string" },
            "links": { "type": "array", "items": { "$ref": "#/components/schemas/Link" } } } },
        "Collections": { "type": "object", "required": ["collections", "links"], "properties": {
            "links": { "type": "array", "items": { "$ref": "#/components/schemas/Link" } },
            "collections": { "type": "array", "items": { "$ref": "#/components/schemas/Collection" } } } },
        "Landing": { "type": "object", "required": ["links"], "properties": {
            "title": { "type": "string" }, "description": { "type": "string" },
            "links": { "type": "array", "items": { "$ref": "#/components/schemas/Link" } } } },
        "Conformance": { "type": "object", "required": ["conformsTo"], "properties": {
            "conformsTo": { "type": "array", "items": { "type": "string" } } } },
        "Object": { "type": "object" },
    })
}

fn ok(description: &str, media: &str, schema: &str) -> Value {
    json!({ "description": description, "content": { media: { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } })
}

fn errors() -> Value {
    let exception = |description: &str| ok(description, "application/json", "Exception");
    json!({
        "400": exception("Bad input: the body names the parameter and what was expected."),
        "404": exception("No such collection or feature."),
        "503": exception("The server is at a bound; retry after the Retry-After seconds."),
    })
}

fn operation(id: &str, summary: &str, parameters: Vec<Value>, response: Value) -> Value {
    let mut responses = errors();
    responses["200"] = response;
    json!({ "get": { "operationId": id, "summary": summary, "parameters": parameters, "responses": responses } })
}

/// The write operations of OGC API – Features Part 4 on incidents, and the audit trail.
fn editing(paths: &mut serde_json::Map<String, Value>, feature_id: &Value) {
    let exception = |description: &str| ok(description, "application/json", "Exception");
    let refusals = |extra: &[(&str, &str)]| {
        let mut responses = errors();
        for (code, description) in [
            ("401", "No token, or one that is unknown or revoked (WWW-Authenticate: Bearer)."),
            ("403", "The token's role may not do this (`role_needed` says which may)."),
            ("405", "The service runs read-only on its files (--no-db)."),
            ("422", "The feature is not valid: `problems` names every offending field and what was expected; nothing was stored."),
        ]
        .iter()
        .chain(extra)
        {
            responses[*code] = exception(description);
        }
        responses
    };
    let conditional = [
        ("410", "The incident was retracted (`reason` says why)."),
        (
            "412",
            "If-Match names a revision that is no longer current (`current_etag` is).",
        ),
        ("428", "If-Match is required."),
    ];
    let body = |media: &[&str]| {
        let content: serde_json::Map<String, Value> = media
            .iter()
            .map(|m| ((*m).to_string(), json!({ "schema": { "type": "object" } })))
            .collect();
        json!({ "required": true, "content": content })
    };
    let if_match = json!({ "name": "If-Match", "in": "header", "required": true, "description": "The ETag from GET (\"r<revision>\"), or * for whatever is current.", "schema": { "type": "string" } });
    let written = |description: &str| json!({ "description": description, "headers": { "ETag": { "schema": { "type": "string" } }, "Location": { "schema": { "type": "string" } } }, "content": { "application/geo+json": { "schema": { "$ref": "#/components/schemas/Object" } } } });
    let security = json!([{ "bearer": [] }]);
    let mut create = refusals(&[("409", "An incident with this id exists.")]);
    create["201"] = written("Stored; the incident as an editor sees it.");
    paths["/collections/incidents/items"]["post"] = json!({
        "operationId": "createIncident",
        "summary": "Incidents: add one (editor). The body is a GeoJSON Feature with the incident fields and, optionally, `restricted` data.",
        "security": security,
        "requestBody": body(&["application/geo+json", "application/json"]),
        "responses": create,
    });
    let item = "/collections/incidents/items/{featureId}";
    let mut changed = refusals(&conditional);
    changed["200"] = written("Stored; the incident as an editor sees it.");
    for (method, id, summary, media) in [
        (
            "put",
            "replaceIncident",
            "Incidents: replace one (editor)",
            &["application/geo+json", "application/json"][..],
        ),
        (
            "patch",
            "updateIncident",
            "Incidents: change fields with a JSON Merge Patch (editor)",
            &["application/merge-patch+json", "application/json"][..],
        ),
    ] {
        paths[item][method] = json!({
            "operationId": id, "summary": summary, "security": security,
            "parameters": [feature_id, if_match],
            "requestBody": body(media),
            "responses": changed,
        });
    }
    paths[item]["get"]["responses"]["410"] =
        exception("The incident was retracted (`reason` says why).");
    paths[item]["get"]["responses"]["401"] = exception("A token that is unknown or revoked.");
    let mut retracted = refusals(&conditional);
    retracted["200"] = written("Retracted; the record and its history stay.");
    paths[item]["delete"] = json!({
        "operationId": "retractIncident",
        "summary": "Incidents: retract one (admin); nothing is erased",
        "security": security,
        "parameters": [feature_id, if_match, { "name": "reason", "in": "query", "required": true, "description": "Why it is retracted.", "schema": { "type": "string", "minLength": 1 } }],
        "responses": retracted,
    });
    let mut history = operation(
        "getIncidentHistory",
        "Incidents: every revision of one, oldest first (editors' names and restricted data for editors only)",
        vec![
            feature_id.clone(),
            param(
                "limit",
                &format!(
                    "Revisions per page (more than {0} are taken as {0}).",
                    super::edit::MAX_HISTORY_LIMIT
                ),
                json!({ "type": "integer", "minimum": 1, "default": 100 }),
            ),
            param(
                "offset",
                "Revisions to skip.",
                json!({ "type": "integer", "minimum": 0 }),
            ),
        ],
        ok("The audit trail", "application/json", "Object"),
    );
    history["get"]["responses"]["401"] = exception("A token that is unknown or revoked.");
    history["get"]["responses"]["405"] =
        exception("The service runs read-only on its files (--no-db).");
    paths.insert(format!("{item}/history"), history);

    let binary: serde_json::Map<String, Value> = crate::store::database::evidence::MEDIA_TYPES
        .iter()
        .map(|m| {
            (
                (*m).to_string(),
                json!({ "schema": { "type": "string", "format": "binary" } }),
            )
        })
        .collect();
    let mut added = refusals(&[
        ("410", "The incident was retracted."),
        ("413", "The file is over --max-evidence-mb."),
    ]);
    added["201"] = ok(
        "Kept; its hash, size, type and custody",
        "application/json",
        "Object",
    );
    let mut listed = operation(
        "getIncidentEvidence",
        "Incidents: the evidence files of one (hash, size, type; for editors also what each is and its custody log)",
        vec![feature_id.clone()],
        ok("The files", "application/json", "Object"),
    );
    listed["get"]["responses"]["401"] = exception("A token that is unknown or revoked.");
    listed["get"]["responses"]["405"] =
        exception("The service runs read-only on its files (--no-db).");
    let text = |name: &str, description: &str| {
        param(
            name,
            description,
            json!({ "type": "string", "maxLength": 2000 }),
        )
    };
    listed["post"] = json!({
        "operationId": "addIncidentEvidence",
        "summary": "Incidents: add an evidence file (editor); the body is the file, its Content-Type one of the accepted media types",
        "security": security,
        "parameters": [
            feature_id,
            text("filename", "The file's name."),
            text("description", "What it shows."),
            text("origin", "Where it came from (an address, a person, a device)."),
            param("source", "The position (from 0) of the incident's source it supports.", json!({ "type": "integer", "minimum": 0 })),
        ],
        "requestBody": { "required": true, "content": binary },
        "responses": added,
    });
    paths.insert(format!("{item}/evidence"), listed);
    let mut file = operation(
        "getIncidentEvidenceFile",
        "Incidents: one evidence file's bytes (editor; every read is logged)",
        vec![
            feature_id.clone(),
            json!({ "name": "sha256", "in": "path", "required": true, "schema": { "type": "string", "pattern": "^[0-9a-f]{64}$" } }),
        ],
        json!({ "description": "The file, as stored", "content": { "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } } }),
    );
    for (code, description) in [
        ("401", "No token, or one that is unknown or revoked."),
        ("403", "Only editors read evidence files."),
        ("405", "The service runs read-only on its files (--no-db)."),
    ] {
        file["get"]["responses"][code] = exception(description);
    }
    paths.insert(format!("{item}/evidence/{{sha256}}"), file);
    let mut imported = refusals(&[(
        "413",
        "The file is over the import limit; use `strikemap import`.",
    )]);
    imported["200"] = ok(
        "What was (or, in a dry run, would be) created, updated, unchanged and rejected, with every rejected row's problems",
        "application/json",
        "Object",
    );
    paths.insert("/collections/incidents/import".into(), json!({ "post": {
        "operationId": "importIncidents",
        "summary": "Incidents: import a GeoJSON, CSV or ACLED CSV file (editor); each row checked as a write is",
        "security": security,
        "parameters": [
            param("format", "The file's layout.", json!({ "type": "string", "enum": ["geojson", "csv", "acled"] })),
            param("dry_run", "Check and report without writing.", json!({ "type": "boolean" })),
            text("filename", "The file's name, for the audit trail."),
        ],
        "requestBody": { "required": true, "content": { "text/csv": { "schema": { "type": "string" } }, "application/geo+json": { "schema": { "type": "object" } } } },
        "responses": imported,
    }}));
}

async fn openapi(
    axum::extract::State(state): axum::extract::State<super::AppState>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let base = super::base_url(&state, &headers);
    let mut paths = serde_json::Map::new();
    paths.insert(
        "/".into(),
        operation(
            "getLandingPage",
            "Landing page",
            vec![format_param()],
            ok("Landing page", "application/json", "Landing"),
        ),
    );
    paths.insert(
        "/api".into(),
        operation(
            "getApiDefinition",
            "This API definition",
            vec![format_param()],
            ok("OpenAPI 3.0", OPENAPI_JSON, "Object"),
        ),
    );
    paths.insert(
        "/conformance".into(),
        operation(
            "getConformance",
            "Conformance classes",
            vec![format_param()],
            ok("Conformance classes", "application/json", "Conformance"),
        ),
    );
    paths.insert(
        "/collections".into(),
        operation(
            "getCollections",
            "Collections",
            vec![format_param()],
            ok("Collections", "application/json", "Collections"),
        ),
    );
    paths.insert(
        "/health".into(),
        operation(
            "getHealth",
            "Health",
            vec![],
            ok("Status and counts", "application/json", "Object"),
        ),
    );
    let feature_id = json!({ "name": "featureId", "in": "path", "required": true, "schema": { "type": "string" } });
    // An example id, so that generated clients and fuzzers reach a feature that exists.
    let index = state.index();
    let example_incident = index
        .live_in_date_order()
        .next()
        .map(|i| index.incidents[i as usize].id.to_string());
    for (id, title, description) in COLLECTIONS {
        let camel: String = id
            .split('-')
            .map(|w| w[..1].to_uppercase() + &w[1..])
            .collect();
        let (parameters, page, one) = match *id {
            "incidents" => (incident_params(), "IncidentCollection", "Incident"),
            "places" => {
                let mut list = paging();
                list.push(param(
                    "q",
                    "Name search (any spelling, prefix first).",
                    json!({ "type": "string", "maxLength": 200 }),
                ));
                (list, "FeatureCollection", "Feature")
            }
            _ => (paging(), "FeatureCollection", "Feature"),
        };
        let mut collection = operation(
            &format!("describe{camel}Collection"),
            title,
            vec![format_param()],
            ok("Collection metadata", "application/json", "Collection"),
        );
        collection["get"]["description"] = json!(description);
        paths.insert(format!("/collections/{id}"), collection);
        let mut items = operation(
            &format!("get{camel}Features"),
            &format!("{title}: features"),
            parameters,
            ok("A page of features", "application/geo+json", page),
        );
        if *id == "incidents" {
            items["get"]["responses"]["200"]["content"]["text/csv"] =
                json!({ "schema": { "type": "string" } });
        }
        paths.insert(format!("/collections/{id}/items"), items);
        let mut id_param = feature_id.clone();
        if *id == "incidents"
            && let Some(example) = &example_incident
        {
            id_param["example"] = json!(example);
        }
        let mut item_params = vec![id_param, format_param()];
        if *id == "incidents" {
            item_params.push(param(
                "naming",
                "How places in the disputed area are named.",
                json!({ "type": "string", "enum": ["hy-az", "az-hy", "hy", "az"] }),
            ));
        }
        let mut schema_op = operation(
            &format!("get{camel}Schema"),
            &format!("{title}: schema of the features (Part 5)"),
            vec![],
            ok("JSON Schema", "application/schema+json", "Object"),
        );
        schema_op["get"]["description"] = json!(
            "The feature properties with their types and roles, as OGC API – Features Part 5 describes them."
        );
        paths.insert(format!("/collections/{id}/schema"), schema_op);
        paths.insert(
            format!("/collections/{id}/feature-schema"),
            operation(
                &format!("get{camel}FeatureSchema"),
                &format!("{title}: JSON Schema of the GeoJSON features (for GDAL and other pre-Part-5 clients)"),
                vec![],
                ok("JSON Schema", "application/schema+json", "Object"),
            ),
        );
        if *id == "incidents" {
            paths.insert(
                "/collections/incidents/queryables".into(),
                operation(
                    "getIncidentsQueryables",
                    "Incidents: the properties a CQL2 filter may name",
                    vec![],
                    ok("JSON Schema", "application/schema+json", "Object"),
                ),
            );
            paths.insert(
                "/collections/incidents/sortables".into(),
                operation(
                    "getIncidentsSortables",
                    "Incidents: the keys sortby takes",
                    vec![],
                    ok("JSON Schema", "application/schema+json", "Object"),
                ),
            );
            let mut download_params = incident_params();
            download_params
                .retain(|p| !["limit", "offset"].contains(&p["name"].as_str().unwrap_or("")));
            let mut download = operation(
                "downloadIncidents",
                "Incidents: every match, streamed as one GeoJSON FeatureCollection or one CSV file",
                download_params,
                ok(
                    "Every matching incident",
                    "application/geo+json",
                    "IncidentCollection",
                ),
            );
            download["get"]["responses"]["200"]["content"]["text/csv"] =
                json!({ "schema": { "type": "string" } });
            paths.insert("/collections/incidents/download".into(), download);
        }
        paths.insert(
            format!("/collections/{id}/items/{{featureId}}"),
            operation(
                &format!("get{camel}Feature"),
                &format!("{title}: one feature"),
                item_params,
                ok("One feature", "application/geo+json", one),
            ),
        );
        if *id == "incidents" {
            editing(&mut paths, &feature_id);
        }
    }
    let mut tile_params = incident_params();
    tile_params.retain(|p| {
        !["limit", "offset", "sortby", "naming", "f"].contains(&p["name"].as_str().unwrap_or(""))
    });
    let coordinate = |name: &str, description: &str| json!({ "name": name, "in": "path", "required": true, "description": description, "schema": { "type": "integer", "minimum": 0 } });
    let mut tile_path_params = vec![
        coordinate("tileMatrix", "Zoom level, 0 to 20"),
        coordinate("tileRow", "Row, 0 to 2^tileMatrix - 1, from the north"),
        coordinate("tileCol", "Column, 0 to 2^tileMatrix - 1, from the west"),
    ];
    tile_path_params.extend(tile_params);
    let mut tile = operation(
        "getIncidentsTile",
        "Incidents: one Mapbox vector tile of WebMercatorQuad, with every incident filter; single incidents in layer 'incidents', counted cells in layer 'clusters' where a tile holds too many to draw one by one",
        tile_path_params,
        json!({ "description": "A Mapbox vector tile", "content": { super::tiles::MVT: { "schema": { "type": "string", "format": "binary" } } } }),
    );
    tile["get"]["responses"]["304"] =
        json!({ "description": "Not modified: the tile named by If-None-Match is current" });
    paths.insert(
        "/collections/incidents/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}".into(),
        tile,
    );
    paths.insert(
        "/collections/incidents/tiles".into(),
        operation(
            "getIncidentsTilesets",
            "Incidents: the vector tilesets offered (OGC API – Tiles)",
            vec![],
            ok("Tilesets", "application/json", "Object"),
        ),
    );
    paths.insert(
        "/collections/incidents/tiles/WebMercatorQuad".into(),
        operation("getIncidentsTileset", "Incidents: the WebMercatorQuad vector tileset (OGC API – Tiles metadata, also TileJSON 3.0)", vec![], ok("Tileset", "application/json", "Object")),
    );
    paths.insert(
        "/tileMatrixSets".into(),
        operation(
            "getTileMatrixSets",
            "Tile matrix sets offered",
            vec![],
            ok("Tile matrix sets", "application/json", "Object"),
        ),
    );
    paths.insert(
        "/tileMatrixSets/WebMercatorQuad".into(),
        operation(
            "getWebMercatorQuad",
            "The WebMercatorQuad tile matrix set",
            vec![],
            ok("Tile matrix set", "application/json", "Object"),
        ),
    );
    let mut stats_params = incident_params();
    stats_params.retain(|p| {
        !["limit", "offset", "sortby", "f"].contains(&p["name"].as_str().unwrap_or(""))
    });
    paths.insert("/stats".into(), operation("getStats", "Counts and casualties of the filtered incidents by town, day and weapon, and depth bands of 10 km", stats_params, ok("Statistics", "application/json", "Object")));
    paths.insert("/measure".into(), operation("measurePoint", "Depth from the line of contact, side, nearest objects and nearest place for any point", vec![
        json!({ "name": "lon", "in": "query", "required": true, "schema": { "type": "number", "minimum": -180, "maximum": 180 } }),
        json!({ "name": "lat", "in": "query", "required": true, "schema": { "type": "number", "minimum": -90, "maximum": 90 } }),
        param("date", "Measure from the line of contact that stood before this day (YYYY-MM-DD); default: the latest line not marked coarse.", json!({ "type": "string", "format": "date" })),
        param("naming", "How places in the disputed area are named.", json!({ "type": "string", "enum": ["hy-az", "az-hy", "hy", "az"] })),
    ], ok("Measures", "application/json", "Object")));
    paths.insert("/measure/path".into(), operation("measurePath", "Geodesic length of a path on the WGS84 ellipsoid", vec![
        json!({ "name": "points", "in": "query", "required": true, "description": format!("lon,lat;lon,lat;... (2 to {} points)", crate::query::MAX_PATH_POINTS), "schema": { "type": "string" } }),
    ], ok("Segment and total lengths in km", "application/json", "Object")));
    let document = json!({
        "openapi": "3.0.3",
        "info": { "title": "strikemap", "version": env!("CARGO_PKG_VERSION"), "description": "OGC API – Features for reported attacks on civilians, with geodesic measures. Every claim is attributed to who reported it." },
        "servers": [{ "url": format!("{base}/api") }],
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer", "description": "A token from `strikemap token create`; editors write, admins also retract." } },
        },
    });
    let mut response = Json(document).into_response();
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static(OPENAPI_JSON),
    );
    response
}
