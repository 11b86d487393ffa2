//! Incidents as Mapbox vector tiles, in the shape of OGC API – Tiles (tile matrix set
//! WebMercatorQuad): `/api/collections/incidents/tiles/WebMercatorQuad/{z}/{y}/{x}` (the
//! standard's order: matrix, row, column) and the common `/tiles/{z}/{x}/{y}`. Every incident
//! filter applies. A tile holds its matches as points when there are few enough to draw and
//! as counted cells otherwise (layer `incidents` and layer `clusters`); see
//! [`crate::query::tiles`]. Answers carry an ETag made of the dataset's version, the filters
//! and the tile, so a client revalidates for nothing until the data change.

use super::error::ApiError;
use super::ogc::budgeted_body;
use super::{AppState, base_url, blocking, params_of};
use crate::geodesy::mercator::{MAX_ZOOM, TileId, TileIdError};
use crate::index::Index;
use crate::model::{IncidentType, Verification, Weapon};
use crate::query::tiles::{Cell, EXTENT, Tile, TileFeatures, TilePoint};
use crate::query::{self, QueryError};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use mvt::{GeomEncoder, GeomType};
use serde_json::{Value, json};

pub const MVT: &str = "application/vnd.mapbox-vector-tile";
const TMS_URI: &str = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad";
const TMS_ID: &str = "WebMercatorQuad";
/// Web Mercator's half-width in metres and the scale denominator of zoom 0 (OGC 17-083r4).
const ORIGIN_M: f64 = 20_037_508.342_789_244;
const SCALE_0: f64 = 559_082_264.028_717_8;
/// Tiles may be cached this long before a client revalidates them (the data can change with
/// an edit; the ETag tells for nothing whether they did).
const MAX_AGE: &str = "public, max-age=60";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/tileMatrixSets", get(matrix_sets))
        .route("/api/tileMatrixSets/{id}", get(matrix_set))
        .route("/api/collections/{collection}/tiles", get(tilesets))
        .route("/api/collections/{collection}/tiles/{tms}", get(tileset))
        .route(
            "/api/collections/{collection}/tiles/{tms}/{z}/{y}/{x}",
            get(tile_ogc),
        )
        .route(
            "/api/collections/{collection}/tiles/{z}/{x}/{y}",
            get(tile_xyz),
        )
}

fn incidents_only(collection: &str) -> Result<(), ApiError> {
    match collection {
        "incidents" => Ok(()),
        other => {
            super::ogc::find_collection(other)?;
            Err(ApiError::NotFound(format!(
                "collection '{other}' is not offered as tiles; incidents are"
            )))
        }
    }
}

fn tms_only(id: &str) -> Result<(), ApiError> {
    if id == TMS_ID {
        Ok(())
    } else {
        Err(ApiError::NotFound(format!(
            "tile matrix set '{id}' is not offered; {TMS_ID} is"
        )))
    }
}

fn matrix_set_summary(base: &str) -> Value {
    json!({
        "id": TMS_ID,
        "title": "Google Maps Compatible for the World",
        "uri": TMS_URI,
        "links": [{ "rel": "self", "type": "application/json", "href": format!("{base}/api/tileMatrixSets/{TMS_ID}") }],
    })
}

async fn matrix_sets(State(state): State<AppState>, headers: HeaderMap) -> Json<Value> {
    let base = base_url(&state, &headers);
    Json(json!({ "tileMatrixSets": [matrix_set_summary(&base)] }))
}

async fn matrix_set(Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    tms_only(&id)?;
    let matrices: Vec<Value> = (0..=MAX_ZOOM)
        .map(|z| {
            let n = 1u64 << z;
            json!({
                "id": z.to_string(),
                "scaleDenominator": SCALE_0 / n as f64,
                "cellSize": 2.0 * ORIGIN_M / 256.0 / n as f64,
                "cornerOfOrigin": "topLeft",
                "pointOfOrigin": [-ORIGIN_M, ORIGIN_M],
                "tileWidth": 256,
                "tileHeight": 256,
                "matrixWidth": n,
                "matrixHeight": n,
            })
        })
        .collect();
    Ok(Json(json!({
        "id": TMS_ID,
        "title": "Google Maps Compatible for the World",
        "uri": TMS_URI,
        "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "orderedAxes": ["X", "Y"],
        "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
        "tileMatrices": matrices,
    })))
}

/// The tile URL template, in the standard's order.
fn template(base: &str) -> String {
    format!("{base}/api/collections/incidents/tiles/{TMS_ID}/{{z}}/{{y}}/{{x}}")
}

fn tileset_json(index: &Index, base: &str) -> Value {
    let bounds = incident_bounds(index);
    let class_values = |values: Vec<&'static str>| json!({ "type": "string", "enum": values });
    let types = IncidentType::ALL.iter().map(|v| v.as_str()).collect();
    let weapons = Weapon::ALL.iter().map(|v| v.as_str()).collect();
    let verifications = Verification::ALL.iter().map(|v| v.as_str()).collect();
    json!({
        "title": "Incidents",
        "description": "Reported incidents matching the request's filters (the incident filters of /items apply). Layer 'incidents' holds single incidents; layer 'clusters' holds cells of the tile grid where a tile has too many to draw one by one, with their count, summed death toll and dominant type, weapon and verification.",
        "dataType": "vector",
        "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "tileMatrixSetURI": TMS_URI,
        "links": [
            { "rel": "self", "type": "application/json", "href": format!("{base}/api/collections/incidents/tiles/{TMS_ID}") },
            { "rel": "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme", "type": "application/json", "href": format!("{base}/api/tileMatrixSets/{TMS_ID}") },
            { "rel": "item", "type": MVT, "templated": true, "href": format!("{base}/api/collections/incidents/tiles/{TMS_ID}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}") },
        ],
        "layers": [
            {
                "id": "incidents", "dataType": "vector", "geometryDimension": 0,
                "propertiesSchema": { "type": "object", "properties": {
                    "id": { "type": "string", "description": "incident identifier (/items/{id} has the full record and its sources)" },
                    "date": { "type": "string", "format": "date" },
                    "date_end": { "type": "string", "format": "date", "description": "last possible day, for incidents known only to a range of days" },
                    "type": class_values(types),
                    "weapon": class_values(weapons),
                    "verification": class_values(verifications),
                    "killed": { "type": "integer", "description": "highest reported figure; absent when none was reported" },
                    "count": { "type": "integer", "const": 1 },
                } },
            },
            {
                "id": "clusters", "dataType": "vector", "geometryDimension": 0,
                "propertiesSchema": { "type": "object", "properties": {
                    "count": { "type": "integer", "description": "incidents in the cell" },
                    "killed": { "type": "integer", "description": "sum of the members' highest reported death tolls" },
                    "killed_unreported": { "type": "integer", "description": "members with no reported death toll" },
                    "type": { "type": "string", "description": "dominant type" },
                    "type_count": { "type": "integer", "description": "members of the dominant type" },
                    "weapon": { "type": "string", "description": "dominant weapon" },
                    "weapon_count": { "type": "integer" },
                    "verification": { "type": "string", "description": "dominant verification" },
                    "verification_count": { "type": "integer" },
                } },
            },
        ],
        // TileJSON 3.0 keys, so that MapLibre, QGIS and GDAL can open the tileset directly.
        "tilejson": "3.0.0",
        "tiles": [template(base)],
        "minzoom": 0,
        "maxzoom": MAX_ZOOM,
        "bounds": bounds,
        "vector_layers": [
            { "id": "incidents", "fields": { "id": "String", "date": "String", "date_end": "String", "type": "String", "weapon": "String", "verification": "String", "killed": "Number", "count": "Number" } },
            { "id": "clusters", "fields": { "count": "Number", "killed": "Number", "killed_unreported": "Number", "type": "String", "type_count": "Number", "weapon": "String", "weapon_count": "Number", "verification": "String", "verification_count": "Number" } },
        ],
    })
}

/// `[west, south, east, north]` of every incident, or the world when there are none.
fn incident_bounds(index: &Index) -> Vec<f64> {
    index
        .extent()
        .map_or(vec![-180.0, -85.0, 180.0, 85.0], |b| b.to_vec())
}

async fn tilesets(
    State(state): State<AppState>,
    Path(collection): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    incidents_only(&collection)?;
    let base = base_url(&state, &headers);
    let mut set = tileset_json(&state.index(), &base);
    for key in [
        "layers",
        "tilejson",
        "tiles",
        "minzoom",
        "maxzoom",
        "bounds",
        "vector_layers",
    ] {
        set.as_object_mut().map(|o| o.remove(key));
    }
    Ok(Json(json!({ "tilesets": [set] })))
}

async fn tileset(
    State(state): State<AppState>,
    Path((collection, tms)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    incidents_only(&collection)?;
    tms_only(&tms)?;
    let base = base_url(&state, &headers);
    Ok(Json(tileset_json(&state.index(), &base)))
}

/// A path segment as a tile coordinate; `name` is the standard's name for it.
fn coordinate(name: &str, text: &str) -> Result<u32, ApiError> {
    text.parse::<u32>().map_err(|_| {
        ApiError::Query(QueryError::InvalidValue {
            parameter: name.to_string(),
            expected: "a whole number from 0".to_string(),
            got: text.chars().take(40).collect(),
        })
    })
}

fn tile_id(z: &str, x: &str, y: &str) -> Result<TileId, ApiError> {
    let (z, x, y) = (
        coordinate("tileMatrix", z)?,
        coordinate("tileCol", x)?,
        coordinate("tileRow", y)?,
    );
    // Outside the tile matrix set's limits: 404, as OGC API – Tiles asks, naming the limit.
    TileId::new(z, x, y).map_err(|e| {
        let parameter = match e {
            TileIdError::Zoom(_) => "tileMatrix",
            TileIdError::Column { .. } => "tileCol",
            TileIdError::Row { .. } => "tileRow",
        };
        ApiError::NotFound(format!("{parameter}: {e}"))
    })
}

async fn tile_ogc(
    State(state): State<AppState>,
    Path((collection, tms, z, y, x)): Path<(String, String, String, String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    incidents_only(&collection)?;
    tms_only(&tms)?;
    serve_tile(state, tile_id(&z, &x, &y)?, raw, headers).await
}

async fn tile_xyz(
    State(state): State<AppState>,
    Path((collection, z, x, y)): Path<(String, String, String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    incidents_only(&collection)?;
    serve_tile(state, tile_id(&z, &x, &y)?, raw, headers).await
}

/// The validator of a tile: the data's version, the filters as given (sorted) and the tile.
fn etag(version: u64, pairs: &[(String, String)], tile: TileId) -> String {
    use xxhash_rust::xxh3::Xxh3;
    let mut sorted: Vec<&(String, String)> = pairs.iter().collect();
    sorted.sort();
    let mut hash = Xxh3::new();
    for (k, v) in sorted {
        hash.update(k.as_bytes());
        hash.update(&[0]);
        hash.update(v.as_bytes());
        hash.update(&[0]);
    }
    format!(
        "\"{version:016x}-{:016x}-{}-{}-{}\"",
        hash.digest(),
        tile.z(),
        tile.x(),
        tile.y()
    )
}

/// Whether `If-None-Match` names `tag` (or is `*`).
fn not_modified(headers: &HeaderMap, tag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == tag || t == "*")
}

async fn serve_tile(
    state: AppState,
    id: TileId,
    raw: Option<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let pairs = params_of(raw.as_deref())?;
    let params = query::Params::new(pairs.clone())?;
    // One index for the whole request: a write meanwhile must not mix two versions.
    let index = state.index();
    let q = query::parse_tile_query(&params, &index.gazetteer)?;
    let tag = etag(index.version, &pairs, id);
    let cache_headers = |response: &mut Response| -> Result<(), ApiError> {
        let h = response.headers_mut();
        h.insert(
            header::ETAG,
            HeaderValue::from_str(&tag).map_err(|e| ApiError::Internal(e.to_string()))?,
        );
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static(MAX_AGE));
        Ok(())
    };
    if not_modified(&headers, &tag) {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        cache_headers(&mut response)?;
        return Ok(response);
    }
    let (bytes, matched) = blocking(state.clone(), move |_| {
        let tile = query::tiles::tile(&index, &q, id);
        let bytes = encode(&index, &tile).map_err(|e| ApiError::Internal(e.to_string()))?;
        Ok((bytes, tile.matched))
    })
    .await?;
    let mut response = budgeted_body(&state, bytes)?;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(MVT));
    response.headers_mut().insert(
        "strikemap-tile-matched",
        HeaderValue::from_str(&matched.to_string())
            .map_err(|e| ApiError::Internal(e.to_string()))?,
    );
    cache_headers(&mut response)?;
    Ok(response)
}

fn point_geometry(x: i32, y: i32) -> Result<mvt::GeomData, mvt::Error> {
    GeomEncoder::new(GeomType::Point).point(x, y)?.encode()
}

/// Adds one incident as a point to `layer`.
fn add_point(index: &Index, layer: mvt::Layer, point: TilePoint) -> Result<mvt::Layer, mvt::Error> {
    let incident = &index.incidents[point.incident as usize];
    let mut feature = layer.into_feature(point_geometry(point.x, point.y)?);
    feature.set_id(u64::from(point.incident));
    feature.add_tag_string("id", &incident.id);
    feature.add_tag_string("date", &incident.date.to_string());
    if incident.date_end != incident.date {
        feature.add_tag_string("date_end", &incident.date_end.to_string());
    }
    feature.add_tag_string("type", incident.kind.as_str());
    feature.add_tag_string("weapon", incident.weapon.as_str());
    feature.add_tag_string("verification", incident.verification.as_str());
    if let Some(killed) = incident.killed.highest() {
        feature.add_tag_uint("killed", u64::from(killed));
    }
    feature.add_tag_uint("count", 1);
    Ok(feature.into_layer())
}

fn add_cell(layer: mvt::Layer, cell: &Cell) -> Result<mvt::Layer, mvt::Error> {
    let mut feature = layer.into_feature(point_geometry(cell.x, cell.y)?);
    feature.add_tag_uint("count", u64::from(cell.count));
    feature.add_tag_uint("killed", cell.killed);
    feature.add_tag_uint("killed_unreported", u64::from(cell.killed_unreported));
    let names = [
        (
            "type",
            IncidentType::ALL
                .get(usize::from(cell.dominant[0].0))
                .map(|v| v.as_str()),
        ),
        (
            "weapon",
            Weapon::ALL
                .get(usize::from(cell.dominant[1].0))
                .map(|v| v.as_str()),
        ),
        (
            "verification",
            Verification::ALL
                .get(usize::from(cell.dominant[2].0))
                .map(|v| v.as_str()),
        ),
    ];
    for ((key, name), (_, n)) in names.iter().zip(cell.dominant) {
        if let Some(name) = name {
            feature.add_tag_string(key, name);
            feature.add_tag_uint(&format!("{key}_count"), u64::from(n));
        }
    }
    Ok(feature.into_layer())
}

/// The tile as MVT bytes: layer `incidents` (single incidents) and layer `clusters`.
fn encode(index: &Index, tile: &Tile) -> Result<Vec<u8>, mvt::Error> {
    let mut out = mvt::Tile::new(EXTENT);
    let mut points = out.create_layer("incidents");
    let mut clusters = out.create_layer("clusters");
    match &tile.features {
        TileFeatures::Points(list) => {
            for p in list {
                points = add_point(index, points, *p)?;
            }
        }
        TileFeatures::Cells(cells) => {
            for cell in cells {
                if cell.count == 1 {
                    let p = TilePoint {
                        incident: cell.first,
                        x: cell.x,
                        y: cell.y,
                    };
                    points = add_point(index, points, p)?;
                } else {
                    clusters = add_cell(clusters, cell)?;
                }
            }
        }
    }
    out.add_layer(points)?;
    out.add_layer(clusters)?;
    out.to_bytes()
}
