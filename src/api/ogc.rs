//! OGC API – Features Part 1 (core, GeoJSON): landing page, conformance, collections and
//! items, so that QGIS, GDAL and other clients can read strikemap directly.

use super::error::ApiError;
use super::features::IncidentFeature;
use super::{AppState, base_url, blocking, params_of};
use crate::index::Index;
use crate::model::RawFeature;
use crate::query::{self, Bbox, LayerQuery};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use geo::BoundingRect;
use serde::Serialize;
use serde_json::{Value, json};

const GEOJSON: &str = "application/geo+json";
const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
const CONFORMANCE: &[&str] = &[
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
];

/// The collections strikemap serves: id, title, description.
pub const COLLECTIONS: &[(&str, &str, &str)] = &[
    (
        "incidents",
        "Incidents",
        "Reported attacks affecting civilians, each with its sources, verification grade, and distances from the line of contact and reference objects. Extra filters: town, q, type, weapon, target, perpetrator, reported_by, verification, min_killed, depth_min_km, depth_max_km, side, near+within_km, military_clear_km, protected_within_km, sortby.",
    ),
    (
        "places",
        "Gazetteer",
        "Towns and villages with every known spelling (Armenian, Azerbaijani, Russian, transliterations). Extra filter: q (name search).",
    ),
    (
        "line-of-contact",
        "Line of contact",
        "Lines of contact with their provenance and per-stretch uncertainty: the 1994 - 26 September 2020 line (OpenStreetMap-derived, ODbL; with Natural Earth's independent digitisation as a witness) and the coarse 10 November 2020 line (Natural Earth). LineStrings only; the areas behind them are the control-areas collection. Contains information from OpenStreetMap, © OpenStreetMap contributors, ODbL 1.0.",
    ),
    (
        "control-areas",
        "Areas held behind the line",
        "The area held by Armenian and Nagorno-Karabakh forces before the 2020 war, and the coarse area after 10 November 2020, as used to tell a point's side. Polygons only. Contains information from OpenStreetMap, © OpenStreetMap contributors, ODbL 1.0.",
    ),
    (
        "military-objects",
        "Military objects",
        "Military objects that a cited source names and locates. Coverage is partial (see coverage): 'no known military object within N km' says what the sources locate, not what existed.",
    ),
    (
        "protected-objects",
        "Protected objects",
        "Hospitals, schools, places of worship, markets and other specially protected objects that a cited source locates at site precision. Coverage is partial (see coverage).",
    ),
    (
        "depth-bands",
        "Depth bands",
        "Areas within 0-10, 10-25, 25-50 and 50-100 km of the line of contact, for map shading only (drawn to about 1 %); reported depths come from exact geodesic measures.",
    ),
    (
        "summaries",
        "Aggregate statements",
        "Casualty totals over periods and areas as reported, which are not point incidents. No geometry.",
    ),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api", get(landing))
        .route("/api/", get(landing))
        .route("/api/conformance", get(conformance))
        .route("/api/collections", get(collections))
        .route("/api/collections/{collection}", get(collection))
        .route("/api/collections/{collection}/items", get(items))
        .route("/api/collections/{collection}/items/{feature}", get(item))
}

fn link(href: String, rel: &str, kind: &str, title: &str) -> Value {
    json!({ "href": href, "rel": rel, "type": kind, "title": title })
}

async fn landing(State(state): State<AppState>, headers: HeaderMap) -> Json<Value> {
    let base = base_url(&state, &headers);
    Json(json!({
        "title": "strikemap",
        "description": "Reported attacks on civilians in the 2020 Nagorno-Karabakh war, with their sources and geodesic measures. Every claim is attributed to who reported it.",
        "links": [
            link(format!("{base}/api"), "self", "application/json", "This document"),
            link(format!("{base}/api/api"), "service-desc", "application/vnd.oai.openapi+json;version=3.0", "The API definition (OpenAPI 3.0)"),
            link(format!("{base}/api/conformance"), "conformance", "application/json", "Conformance classes"),
            link(format!("{base}/api/collections"), "data", "application/json", "Collections"),
            link(format!("{base}/api/measure?lon=46.75&lat=39.82"), "related", "application/json", "Measures of any point"),
            link(format!("{base}/api/stats"), "related", "application/json", "Statistics over filtered incidents"),
            link(format!("{base}/"), "alternate", "text/html", "The map"),
        ],
    }))
}

async fn conformance() -> Json<Value> {
    Json(json!({ "conformsTo": CONFORMANCE }))
}

fn find_collection(
    id: &str,
) -> Result<&'static (&'static str, &'static str, &'static str), ApiError> {
    COLLECTIONS
        .iter()
        .find(|(cid, _, _)| *cid == id)
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "no collection '{id}'; collections are: {}",
                COLLECTIONS
                    .iter()
                    .map(|c| c.0)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
}

fn incident_extent(index: &Index) -> Value {
    let (mut west, mut south, mut east, mut north) = (180.0_f64, 90.0_f64, -180.0_f64, -90.0_f64);
    for incident in &index.incidents {
        west = west.min(incident.lon);
        east = east.max(incident.lon);
        south = south.min(incident.lat);
        north = north.max(incident.lat);
    }
    let first = index
        .by_date
        .first()
        .map(|i| index.incidents[*i as usize].date.to_string());
    let last = index
        .incidents
        .iter()
        .map(|i| i.date_end)
        .max()
        .map(|d| d.to_string());
    if index.incidents.is_empty() {
        return json!({ "spatial": { "bbox": [[-180.0, -90.0, 180.0, 90.0]], "crs": CRS84 } });
    }
    json!({
        "spatial": { "bbox": [[west, south, east, north]], "crs": CRS84 },
        "temporal": {
            "interval": [[first.map(|d| format!("{d}T00:00:00Z")), last.map(|d| format!("{d}T23:59:59Z"))]],
            "trs": TRS,
        },
    })
}

const TRS: &str = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian";

/// The bounding box of some GeoJSON features, as an OGC spatial extent (`None` when none has
/// a geometry).
fn spatial_extent<'a>(features: impl Iterator<Item = &'a geojson::Feature>) -> Option<Value> {
    use geo::BoundingRect;
    let mut bounds: Option<(f64, f64, f64, f64)> = None;
    for feature in features {
        let Some(geometry) = &feature.geometry else {
            continue;
        };
        let Ok(shape) = geo::Geometry::<f64>::try_from(&geometry.value) else {
            continue;
        };
        if let Some(rect) = shape.bounding_rect() {
            let (min, max) = (rect.min(), rect.max());
            bounds = Some(match bounds {
                None => (min.x, min.y, max.x, max.y),
                Some((w, s, e, n)) => (w.min(min.x), s.min(min.y), e.max(max.x), n.max(max.y)),
            });
        }
    }
    bounds.map(|(w, s, e, n)| json!({ "bbox": [[w, s, e, n]], "crs": CRS84 }))
}

/// A temporal extent from the earliest start to the latest end found (open where missing).
fn temporal_extent(starts: Vec<String>, ends: Vec<Option<String>>) -> Option<Value> {
    let first = starts.iter().min()?;
    let open_end = ends.iter().any(Option::is_none);
    let last = if open_end {
        None
    } else {
        ends.iter().flatten().max().cloned()
    };
    Some(json!({
        "interval": [[format!("{first}T00:00:00Z"), last.map(|d| format!("{d}T23:59:59Z"))]],
        "trs": TRS,
    }))
}

/// The extent of a collection other than the incidents.
fn collection_extent(index: &Index, id: &str) -> Option<Value> {
    let text = |f: &geojson::Feature, key: &str| {
        f.property(key).and_then(Value::as_str).map(str::to_owned)
    };
    let (spatial, temporal) = match id {
        "places" => (spatial_extent(index.place_features.iter()), None),
        "military-objects" => (spatial_extent(index.military.features.iter()), None),
        "protected-objects" => (spatial_extent(index.protected.features.iter()), None),
        "line-of-contact" | "control-areas" => {
            let features = if id == "line-of-contact" {
                &index.line.features
            } else {
                &index.line.areas
            };
            let starts = features
                .iter()
                .filter_map(|f| text(f, "valid_from"))
                .collect();
            let ends = features.iter().map(|f| text(f, "valid_to")).collect();
            (
                spatial_extent(features.iter()),
                temporal_extent(starts, ends),
            )
        }
        "depth-bands" => {
            let bands: Vec<geojson::Feature> = index
                .depth_bands
                .iter()
                .map(|b| geojson::Feature {
                    geometry: Some(geojson::Geometry::from(&b.area)),
                    ..Default::default()
                })
                .collect();
            (spatial_extent(bands.iter()), None)
        }
        "summaries" => {
            let field =
                |s: &Value, key: &str| s.get(key).and_then(Value::as_str).map(str::to_owned);
            let starts = index
                .summaries
                .iter()
                .filter_map(|s| field(s, "period_start"))
                .collect();
            let ends = index
                .summaries
                .iter()
                .map(|s| field(s, "period_end"))
                .collect();
            (None, temporal_extent(starts, ends))
        }
        _ => (None, None),
    };
    let mut extent = serde_json::Map::new();
    if let Some(spatial) = spatial {
        extent.insert("spatial".into(), spatial);
    }
    if let Some(temporal) = temporal {
        extent.insert("temporal".into(), temporal);
    }
    if extent.is_empty() {
        // Nothing to bound (e.g. summaries without periods): say "anywhere", as OGC allows.
        extent.insert(
            "spatial".into(),
            json!({ "bbox": [[-180.0, -90.0, 180.0, 90.0]], "crs": CRS84 }),
        );
    }
    Some(Value::Object(extent))
}

fn collection_json(state: &AppState, base: &str, entry: &(&str, &str, &str)) -> Value {
    let (id, title, description) = *entry;
    let mut value = json!({
        "id": id,
        "title": title,
        "description": description,
        "itemType": "feature",
        "crs": [CRS84],
        "links": [
            link(format!("{base}/api/collections/{id}"), "self", "application/json", title),
            link(format!("{base}/api/collections/{id}/items"), "items", GEOJSON, &format!("{title} as GeoJSON")),
        ],
    });
    if id == "incidents" {
        value["extent"] = incident_extent(&state.index);
    } else if let Some(extent) = collection_extent(&state.index, id) {
        value["extent"] = extent;
    }
    let coverage = match id {
        "military-objects" => state.index.military.coverage.as_deref(),
        "protected-objects" => state.index.protected.coverage.as_deref(),
        _ => None,
    };
    if let Some(coverage) = coverage {
        value["coverage"] = json!(coverage);
    }
    value
}

async fn collections(State(state): State<AppState>, headers: HeaderMap) -> Json<Value> {
    let base = base_url(&state, &headers);
    let list: Vec<Value> = COLLECTIONS
        .iter()
        .map(|c| collection_json(&state, &base, c))
        .collect();
    Json(json!({
        "links": [link(format!("{base}/api/collections"), "self", "application/json", "Collections")],
        "collections": list,
    }))
}

async fn collection(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let entry = find_collection(&id)?;
    Ok(Json(collection_json(
        &state,
        &base_url(&state, &headers),
        entry,
    )))
}

/// A FeatureCollection page with the OGC counts and paging links.
#[derive(Serialize)]
struct FeaturePage<F: Serialize> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "numberMatched")]
    number_matched: usize,
    #[serde(rename = "numberReturned")]
    number_returned: usize,
    #[serde(rename = "timeStamp")]
    time_stamp: String,
    links: Vec<Value>,
    /// When the answer depends on a reference layer (military clearance, protected objects
    /// nearby), what that layer covers: absence of a known object is not absence.
    #[serde(skip_serializing_if = "Option::is_none")]
    coverage: Option<Value>,
    features: Vec<F>,
}

/// The coverage statements of the reference layers a query's answer depends on.
fn layer_coverage(index: &Index, q: &query::IncidentQuery) -> Option<Value> {
    let mut notes = serde_json::Map::new();
    if q.military_clear_km.is_some() {
        notes.insert("military_objects".into(), json!(index.military.coverage));
    }
    if q.protected_within_km.is_some() {
        notes.insert("protected_objects".into(), json!(index.protected.coverage));
    }
    (!notes.is_empty()).then_some(Value::Object(notes))
}

/// Bodies at least this large count against the response-memory budget.
const BUDGETED_BYTES: usize = 64 * 1024;

fn geojson_response<T: Serialize>(state: &AppState, body: &T) -> Result<Response, ApiError> {
    let bytes = serde_json::to_vec(body).map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut response = budgeted_body(state, bytes)?;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(GEOJSON));
    Ok(response)
}

/// The body as a response whose memory is accounted for: a large body takes its size from the
/// shared budget and gives it back when the body is dropped (sent, or the connection closed),
/// so clients that never read cannot pile up unbounded memory. Past the budget: 503.
fn budgeted_body(state: &AppState, bytes: Vec<u8>) -> Result<Response, ApiError> {
    if bytes.len() < BUDGETED_BYTES {
        return Ok(bytes.into_response());
    }
    let kib = u32::try_from(bytes.len().div_ceil(1024)).unwrap_or(u32::MAX);
    let permit = state
        .response_budget
        .clone()
        .try_acquire_many_owned(kib)
        .map_err(|_| {
            ApiError::Busy(
                "the server holds as many large responses as it may; retry shortly".into(),
            )
        })?;
    // Sent in slices, so the connection's write buffer (bounded by hyper) pulls the next one
    // only as the client reads; the permit lives with the unsent rest.
    const SLICE: usize = 64 * 1024;
    let body = axum::body::Bytes::from(bytes);
    let stream = futures_util::stream::unfold((body, permit), |(mut rest, permit)| async move {
        if rest.is_empty() {
            return None;
        }
        let slice = rest.split_to(rest.len().min(SLICE));
        Some((Ok::<_, std::convert::Infallible>(slice), (rest, permit)))
    });
    Ok(axum::body::Body::from_stream(stream).into_response())
}

/// Self, next and previous links for a page, keeping every other parameter as given.
fn page_links(
    base: &str,
    collection: &str,
    pairs: &[(String, String)],
    offset: usize,
    limit: usize,
    matched: usize,
) -> Vec<Value> {
    let href = |offset: usize| {
        let mut kept: Vec<(String, String)> = pairs
            .iter()
            .filter(|(k, _)| k != "offset" && k != "limit")
            .cloned()
            .collect();
        kept.push(("limit".into(), limit.to_string()));
        kept.push(("offset".into(), offset.to_string()));
        let query = serde_urlencoded::to_string(&kept).unwrap_or_default();
        format!("{base}/api/collections/{collection}/items?{query}")
    };
    let mut links = vec![
        link(href(offset), "self", GEOJSON, "This page"),
        link(
            format!("{base}/api/collections/{collection}"),
            "collection",
            "application/json",
            "The collection",
        ),
    ];
    if offset + limit < matched {
        links.push(link(href(offset + limit), "next", GEOJSON, "Next page"));
    }
    if offset > 0 {
        links.push(link(
            href(offset.saturating_sub(limit)),
            "prev",
            GEOJSON,
            "Previous page",
        ));
    }
    links
}

async fn items(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    find_collection(&id)?;
    let pairs = params_of(raw.as_deref())?;
    let base = base_url(&state, &headers);
    let params = query::Params::new(pairs.clone())?;
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    if id == "incidents" {
        let q = query::parse_incident_query(&params, &state.index.gazetteer)?;
        return blocking(state, move |state| {
            let index = &state.index;
            let page = query::execute(index, &q);
            let body = FeaturePage {
                kind: "FeatureCollection",
                number_matched: page.number_matched,
                number_returned: page.items.len(),
                time_stamp: now,
                links: page_links(&base, &id, &pairs, q.offset, q.limit, page.number_matched),
                coverage: layer_coverage(index, &q),
                features: page
                    .items
                    .iter()
                    .map(|i| IncidentFeature::new(index, *i, q.naming))
                    .collect(),
            };
            geojson_response(state, &body)
        })
        .await;
    }
    let q = query::parse_layer_query(&params, id == "places")?;
    let selected = layer_features(&state.index, &id, &q);
    let number_matched = selected.len();
    let features: Vec<Value> = selected.into_iter().skip(q.offset).take(q.limit).collect();
    let body = FeaturePage {
        kind: "FeatureCollection",
        number_matched,
        number_returned: features.len(),
        time_stamp: now,
        links: page_links(&base, &id, &pairs, q.offset, q.limit, number_matched),
        coverage: None,
        features,
    };
    geojson_response(&state, &body)
}

/// The features of a collection served as supplied (not incidents, bands or summaries).
fn raw_layer<'a>(index: &'a Index, id: &str) -> &'a [RawFeature] {
    match id {
        "places" => &index.place_features,
        "line-of-contact" => &index.line.features,
        "control-areas" => &index.line.areas,
        "military-objects" => &index.military.features,
        "protected-objects" => &index.protected.features,
        _ => &[],
    }
}

fn feature_value(feature: &RawFeature) -> Value {
    serde_json::to_value(feature).unwrap_or(Value::Null)
}

fn in_bbox(feature: &RawFeature, bbox: &Bbox) -> bool {
    let Some(geometry) = feature
        .geometry
        .as_ref()
        .and_then(|g| geo::Geometry::<f64>::try_from(&g.value).ok())
    else {
        return false;
    };
    geometry
        .bounding_rect()
        .is_some_and(|rect| overlaps(rect, bbox))
}

/// Whether a bounding rectangle meets a query box (which may cross the antimeridian).
fn overlaps(rect: geo::Rect, bbox: &Bbox) -> bool {
    let lon_overlap = if bbox.west <= bbox.east {
        rect.max().x >= bbox.west && rect.min().x <= bbox.east
    } else {
        rect.max().x >= bbox.west || rect.min().x <= bbox.east
    };
    lon_overlap && rect.max().y >= bbox.south && rect.min().y <= bbox.north
}

/// The features of a reference collection that match a layer query, in file order.
fn layer_features(index: &Index, id: &str, q: &LayerQuery) -> Vec<Value> {
    if id == "summaries" {
        // Summaries have no geometry, so no box can contain one.
        if q.bbox.is_some() {
            return Vec::new();
        }
        return index.summaries.iter().map(summary_feature).collect();
    }
    if id == "depth-bands" {
        return index
            .depth_bands
            .iter()
            .filter(|band| {
                q.bbox
                    .is_none_or(|b| band.area.bounding_rect().is_some_and(|r| overlaps(r, &b)))
            })
            .map(|b| band_feature(b, index.depth_bands_line_from))
            .collect();
    }
    let features = raw_layer(index, id);
    let named: Option<Vec<u32>> = q
        .text
        .as_ref()
        .map(|t| index.gazetteer.search(t, usize::MAX));
    let order: Vec<usize> = match &named {
        Some(found) => found.iter().map(|i| *i as usize).collect(),
        None => (0..features.len()).collect(),
    };
    order
        .into_iter()
        .filter_map(|i| features.get(i))
        .filter(|f| q.bbox.as_ref().is_none_or(|b| in_bbox(f, b)))
        .map(feature_value)
        .collect()
}

/// A depth band, saying which version of the line it is drawn around.
fn band_feature(band: &crate::index::DepthBand, line_from: Option<chrono::NaiveDate>) -> Value {
    let id = format!("band-{}-{}", band.from_km, band.to_km);
    json!({
        "type": "Feature",
        "id": id,
        "geometry": geojson::Geometry::from(&band.area),
        "properties": {
            "id": id, "from_km": band.from_km, "to_km": band.to_km,
            "label": format!("{}–{} km", band.from_km, band.to_km),
            "line_valid_from": line_from.map(|d| d.to_string()),
        },
    })
}

fn summary_feature(summary: &Value) -> Value {
    json!({ "type": "Feature", "id": summary.get("id"), "geometry": null, "properties": summary })
}

fn feature_id(feature: &RawFeature) -> Option<String> {
    match &feature.id {
        Some(geojson::feature::Id::String(id)) => Some(id.clone()),
        Some(geojson::feature::Id::Number(n)) => Some(n.to_string()),
        None => feature
            .property("id")
            .and_then(Value::as_str)
            .map(str::to_string),
    }
}

async fn item(
    State(state): State<AppState>,
    Path((id, feature)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (_, title, _) = find_collection(&id)?;
    let base = base_url(&state, &headers);
    let links = vec![
        link(
            format!(
                "{base}/api/collections/{id}/items/{}",
                encode_segment(&feature)
            ),
            "self",
            GEOJSON,
            "This feature",
        ),
        link(
            format!("{base}/api/collections/{id}"),
            "collection",
            "application/json",
            title,
        ),
    ];
    let naming = query::parse_item_params(&query::Params::new(params_of(raw.as_deref())?)?)?;
    let index = &state.index;
    let not_found = || ApiError::NotFound(format!("no feature '{feature}' in collection '{id}'"));
    let value = match id.as_str() {
        "incidents" => {
            let i = index.incident_by_id(&feature).ok_or_else(not_found)?;
            let mut one = IncidentFeature::new(index, i, naming);
            one.links = Some(links);
            return geojson_response(&state, &one);
        }
        "depth-bands" => index
            .depth_bands
            .iter()
            .map(|b| band_feature(b, index.depth_bands_line_from))
            .find(|f| f["id"] == feature.as_str()),
        "summaries" => index
            .summaries
            .iter()
            .find(|s| s.get("id").and_then(Value::as_str) == Some(feature.as_str()))
            .map(summary_feature),
        other => raw_layer(index, other)
            .iter()
            .find(|f| feature_id(f).as_deref() == Some(feature.as_str()))
            .map(feature_value),
    };
    let mut value = value.ok_or_else(not_found)?;
    value["links"] = json!(links);
    geojson_response(&state, &value)
}

/// A path segment with everything but unreserved characters percent-encoded.
fn encode_segment(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
