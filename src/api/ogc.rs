//! OGC API – Features Part 1 (core, GeoJSON): landing page, conformance, collections and
//! items, so that QGIS, GDAL and other clients can read strikemap directly.

use super::error::ApiError;
use super::features::{add_links, write_feature};
use super::paging::{PageLink, PageLinks, kept_params};
use super::{AppState, base_url, blocking, params_of};
use crate::index::Index;
use crate::model::RawFeature;
use crate::query::{self, Bbox, LayerQuery};
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures_util::StreamExt;
use geo::BoundingRect;
use serde::Serialize;
use serde_json::{Value, json};
use std::io::Write as _;

pub(super) const GEOJSON: &str = "application/geo+json";
const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
const CONFORMANCE: &[&str] = &[
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/accent-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/array-functions",
    "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/schemas",
    "http://www.opengis.net/spec/ogcapi-features-8/1.0/conf/sorting",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
];

/// The collections strikemap serves: id, title, description.
pub const COLLECTIONS: &[(&str, &str, &str)] = &[
    (
        "incidents",
        "Incidents",
        "Reported attacks affecting civilians, each with its sources, verification grade, and distances from the line of contact and reference objects. Extra filters: town, q, type, weapon, target, perpetrator, reported_by, verification, min_killed, depth_min_km, depth_max_km, side, near+within_km, military_clear_km, protected_within_km, sortby, and a CQL2 filter over the queryables.",
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
        .route(
            "/api/collections/incidents/items",
            get(incident_items).post(super::edit::create_incident),
        )
        .route(
            "/api/collections/{collection}/items",
            get(items).post(super::edit::create),
        )
        .route(
            "/api/collections/{collection}/items/{feature}",
            get(item)
                .put(super::edit::replace)
                .patch(super::edit::patch)
                .delete(super::edit::retract),
        )
        .route(
            "/api/collections/{collection}/items/{feature}/history",
            get(super::edit::history),
        )
        .route("/api/collections/{collection}/download", get(download))
}

fn link(href: String, rel: &str, kind: &str, title: &str) -> Value {
    // A plain struct cannot fail to become a value.
    let link = PageLink {
        href,
        rel,
        kind,
        title,
    };
    serde_json::to_value(link).unwrap_or_default()
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

/// The title and description of collection `id`.
pub(super) fn collection_title(id: &str) -> Option<(&'static str, &'static str)> {
    COLLECTIONS
        .iter()
        .find(|(cid, _, _)| *cid == id)
        .map(|(_, title, description)| (*title, *description))
}

pub(super) fn find_collection(
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
    let first = index
        .live_in_date_order()
        .next()
        .map(|i| index.incidents[i as usize].date.to_string());
    let last = index
        .live_incidents()
        .map(|i| i.date_end)
        .max()
        .map(|d| d.to_string());
    let Some([west, south, east, north]) = index.extent() else {
        return json!({ "spatial": { "bbox": [[-180.0, -90.0, 180.0, 90.0]], "crs": CRS84 } });
    };
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
        "links": collection_links(base, id, title),
    });
    let index = state.index();
    if id == "incidents" {
        value["extent"] = incident_extent(&index);
    } else if let Some(extent) = collection_extent(&index, id) {
        value["extent"] = extent;
    }
    let coverage = match id {
        "military-objects" => index.military.coverage.as_deref(),
        "protected-objects" => index.protected.coverage.as_deref(),
        _ => None,
    };
    if let Some(coverage) = coverage {
        value["coverage"] = json!(coverage);
    }
    value
}

/// A collection's links: itself, its items, and the schemas that type its properties: the
/// Part 5 schema (`describedby` and the OGC relation) and the GeoJSON feature schema under
/// `describedBy`, the relation GDAL 3.6 looks for (case and all).
fn collection_links(base: &str, id: &str, title: &str) -> Vec<Value> {
    use super::schema::SCHEMA_JSON;
    let schema = format!("{base}/api/collections/{id}/schema");
    let mut links = vec![
        link(
            format!("{base}/api/collections/{id}"),
            "self",
            "application/json",
            title,
        ),
        link(
            format!("{base}/api/collections/{id}/items"),
            "items",
            GEOJSON,
            &format!("{title} as GeoJSON"),
        ),
        link(
            format!("{base}/api/collections/{id}/feature-schema"),
            "describedBy",
            SCHEMA_JSON,
            "JSON Schema of the GeoJSON features",
        ),
        link(
            schema.clone(),
            "describedby",
            SCHEMA_JSON,
            "Schema of the features",
        ),
        link(
            schema,
            "http://www.opengis.net/def/rel/ogc/1.0/schema",
            SCHEMA_JSON,
            "Schema of the features",
        ),
    ];
    if id == "incidents" {
        links.extend([
            link(
                format!("{base}/api/collections/{id}/items?f=csv"),
                "alternate",
                "text/csv",
                "A page of incidents as CSV",
            ),
            link(
                format!("{base}/api/collections/{id}/queryables"),
                "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                SCHEMA_JSON,
                "Properties a CQL2 filter may name",
            ),
            link(
                format!("{base}/api/collections/{id}/sortables"),
                "http://www.opengis.net/def/rel/ogc/1.0/sortables",
                SCHEMA_JSON,
                "Keys sortby takes",
            ),
        ]);
    }
    links
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
    links: Vec<PageLink<'static>>,
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
    geojson_response_sized(state, body, 4096)
}

/// About how many bytes an incident takes as GeoJSON, to size the output once.
pub(super) const FEATURE_BYTES: usize = 2560;

/// As [`geojson_response`], writing into a buffer of about `hint` bytes from the start: a
/// page grown from empty is copied over and over as it doubles.
fn geojson_response_sized<T: Serialize>(
    state: &AppState,
    body: &T,
    hint: usize,
) -> Result<Response, ApiError> {
    let mut bytes = Vec::with_capacity(hint);
    serde_json::to_writer(&mut bytes, body).map_err(|e| ApiError::Internal(e.to_string()))?;
    geojson_bytes(state, bytes)
}

/// GeoJSON already encoded, as a budgeted response.
fn geojson_bytes(state: &AppState, bytes: Vec<u8>) -> Result<Response, ApiError> {
    let mut response = budgeted_body(state, bytes)?;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(GEOJSON));
    Ok(response)
}

/// The body as a response whose memory is accounted for: a large body takes its size from the
/// shared budget and gives it back when the body is dropped (sent, or the connection closed),
/// so clients that never read cannot pile up unbounded memory. Past the budget: 503.
pub(super) fn budgeted_body(state: &AppState, bytes: Vec<u8>) -> Result<Response, ApiError> {
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
    // only as the client reads; the permit lives with the unsent rest. Its length is known,
    // so the answer says it (Content-Length), not chunk by chunk.
    Ok(axum::body::Body::new(Budgeted {
        rest: axum::body::Bytes::from(bytes),
        _permit: permit,
    })
    .into_response())
}

/// A body already in memory, sent in slices of [`Budgeted::SLICE`], holding its share of the
/// response budget until it is sent or dropped.
struct Budgeted {
    rest: axum::body::Bytes,
    _permit: tokio::sync::OwnedSemaphorePermit,
}

impl Budgeted {
    const SLICE: usize = 64 * 1024;
}

impl http_body::Body for Budgeted {
    type Data = axum::body::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        if self.rest.is_empty() {
            return std::task::Poll::Ready(None);
        }
        let take = self.rest.len().min(Self::SLICE);
        let slice = self.rest.split_to(take);
        std::task::Poll::Ready(Some(Ok(http_body::Frame::data(slice))))
    }

    fn is_end_stream(&self) -> bool {
        self.rest.is_empty()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.rest.len() as u64)
    }
}

/// `value` as JSON at the end of `out`.
fn write_json(out: &mut Vec<u8>, value: &impl Serialize) -> Result<(), ApiError> {
    serde_json::to_writer(out, value).map_err(|e| ApiError::Internal(e.to_string()))
}

/// Calls `f` with the time of an answer, RFC 3339 to the second: formatted once a second on
/// each thread rather than for every page.
fn with_time_stamp<R>(f: impl FnOnce(&str) -> R) -> R {
    thread_local! {
        static STAMP: std::cell::RefCell<(i64, String)> =
            const { std::cell::RefCell::new((i64::MIN, String::new())) };
    }
    let now = chrono::Utc::now();
    STAMP.with_borrow_mut(|(at, text)| {
        if *at != now.timestamp() {
            *at = now.timestamp();
            *text = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        }
        f(text)
    })
}

/// A collection's items (the incidents' are found by a route of their own first, see
/// [`incident_items`]).
async fn items(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    find_collection(&id)?;
    items_of(state, &id, request.uri().query(), request.headers()).await
}

/// The incidents' items, by a route of their own: the route most requests take is found
/// without a path parameter to decode and carry with the request.
async fn incident_items(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ApiError> {
    items_of(state, "incidents", request.uri().query(), request.headers()).await
}

/// A page of collection `id`'s items, as the raw query string asks (the request's headers
/// are read where they lie rather than copied).
async fn items_of(
    state: AppState,
    id: &str,
    raw: Option<&str>,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let pairs = params_of(raw)?;
    let base = base_url(&state, headers);
    let kept = kept_params(&pairs);
    let params = query::Params::new(pairs)?;
    if id == "incidents" {
        let index = state.index();
        let q = query::parse_incident_query(&params, &index.gazetteer)?;
        let csv = wants_csv(q.format, headers);
        // A light query is answered here: handing it to a worker thread would cost more.
        let light = query::light_page(&index, &q);
        let answered = light.is_some();
        let work = move |state: &AppState| {
            let index = &index;
            let page = light.unwrap_or_else(|| query::execute(index, &q));
            let links = PageLinks {
                base: &base,
                collection: "incidents",
                kept: &kept,
                offset: q.offset,
                limit: q.limit,
                matched: page.number_matched,
            };
            if csv {
                return csv_page(state, index, &page, &q, &links);
            }
            let mut out = Vec::with_capacity((page.items.len() + 1) * FEATURE_BYTES);
            // The members of [`FeaturePage`], in its order, written straight into the body.
            // Writing into a vector cannot fail.
            let _ = write!(
                out,
                "{{\"type\":\"FeatureCollection\",\"numberMatched\":{},\"numberReturned\":{},\"timeStamp\":",
                page.number_matched,
                page.items.len()
            );
            with_time_stamp(|now| write_json(&mut out, &now))?;
            out.extend_from_slice(b",\"links\":");
            links.write_json(&mut out);
            if let Some(coverage) = layer_coverage(index, &q) {
                out.extend_from_slice(b",\"coverage\":");
                write_json(&mut out, &coverage)?;
            }
            out.extend_from_slice(b",\"features\":[");
            for (k, i) in page.items.iter().enumerate() {
                if k > 0 {
                    out.push(b',');
                }
                state
                    .encoded
                    .write(&mut out, index, &state.fragments, *i, q.naming);
            }
            out.extend_from_slice(b"]}");
            geojson_bytes(state, out)
        };
        return if answered {
            work(&state)
        } else {
            blocking(state, work).await
        };
    }
    if wants_csv(None, headers) && !params.names("f") {
        // An Accept header asking only for CSV where none is offered: say so rather than
        // answer in another type.
        return Err(ApiError::NotAcceptable(format!(
            "collection '{id}' is offered as GeoJSON only; CSV is offered for incidents"
        )));
    }
    let q = query::parse_layer_query(&params, id == "places")?;
    let selected = layer_features(&state.index(), id, &q);
    let number_matched = selected.len();
    let features: Vec<Value> = selected.into_iter().skip(q.offset).take(q.limit).collect();
    let body = FeaturePage {
        kind: "FeatureCollection",
        number_matched,
        number_returned: features.len(),
        time_stamp: with_time_stamp(str::to_owned),
        links: PageLinks {
            base: &base,
            collection: id,
            kept: &kept,
            offset: q.offset,
            limit: q.limit,
            matched: number_matched,
        }
        .links(),
        coverage: None,
        features,
    };
    geojson_response(&state, &body)
}

/// Whether the answer should be CSV: `f=csv`, or no `f` and an `Accept` header whose first
/// choice is `text/csv`.
fn wants_csv(format: Option<query::Format>, headers: &HeaderMap) -> bool {
    match format {
        Some(format) => format == query::Format::Csv,
        None => headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .is_some_and(|first| first.split(';').next().unwrap_or("").trim() == "text/csv"),
    }
}

const CSV_TYPE: &str = "text/csv; charset=utf-8";

/// A page of incidents as CSV; the paging links go in `Link` headers and the counts in
/// `OGC-NumberMatched` / `OGC-NumberReturned`.
fn csv_page(
    state: &AppState,
    index: &Index,
    page: &query::Page,
    q: &query::IncidentQuery,
    links: &PageLinks,
) -> Result<Response, ApiError> {
    let mut body = super::csv::header();
    super::csv::rows(index, &state.fragments, &page.items, q.naming, &mut body);
    let mut response = budgeted_body(state, body)?;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CSV_TYPE));
    let link_header = links
        .links()
        .iter()
        .filter(|l| l.rel == "next" || l.rel == "prev")
        .map(|l| {
            // Links keep the request's own parameters: `f=csv` is there unless CSV was asked
            // for with an Accept header.
            let href = &l.href;
            let href = if href.contains("f=csv") {
                href.to_string()
            } else {
                format!("{href}&f=csv")
            };
            format!("<{href}>; rel=\"{}\"", l.rel)
        })
        .collect::<Vec<_>>()
        .join(", ");
    if let Ok(value) = HeaderValue::from_str(&link_header)
        && !link_header.is_empty()
    {
        headers.insert(header::LINK, value);
    }
    headers.insert("OGC-NumberMatched", HeaderValue::from(page.number_matched));
    headers.insert("OGC-NumberReturned", HeaderValue::from(page.items.len()));
    Ok(response)
}

/// Incidents written per chunk of a bulk download.
const DOWNLOAD_CHUNK: usize = 512;

/// Every incident matching the filters, as one GeoJSON FeatureCollection or one CSV file,
/// streamed: the matching list is computed once (under the heavy-work bound), then each chunk
/// is encoded only when the client has taken the previous one, so a download of a million
/// incidents holds one chunk in memory and a client that stops reading costs nothing more.
async fn download(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    find_collection(&id)?;
    if id != "incidents" {
        return Err(ApiError::NotFound(format!(
            "collection '{id}' has no bulk download: it is small enough to read from /items"
        )));
    }
    let pairs = params_of(raw.as_deref())?;
    if let Some((name, _)) = pairs.iter().find(|(k, _)| k == "limit" || k == "offset") {
        return Err(query::QueryError::UnknownParameter {
            parameter: name.clone(),
            allowed: "the incident filters (a download holds every match; page with /items)".into(),
        }
        .into());
    }
    let params = query::Params::new(pairs)?;
    // One index for the whole download: the numbers matched must name the incidents streamed.
    let index = state.index();
    let q = query::parse_incident_query(&params, &index.gazetteer)?;
    let csv = wants_csv(q.format, &headers);
    let permit = state.downloads.clone().try_acquire_owned().map_err(|_| {
        ApiError::Busy("as many downloads are streaming as the server allows; retry shortly".into())
    })?;
    let naming = q.naming;
    let matched_in = index.clone();
    let items = blocking(state.clone(), move |_| Ok(query::matching(&matched_in, &q))).await?;
    let fragments = state.fragments.clone();
    let total = items.len();
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let head = if csv {
        super::csv::header()
    } else {
        format!(
            "{{\"type\":\"FeatureCollection\",\"numberMatched\":{total},\"numberReturned\":{total},\"timeStamp\":\"{now}\",\"features\":["
        )
        .into_bytes()
    };
    // States: the head, then chunks from `next`, then the tail; `None` when done.
    let stream = futures_util::stream::unfold(
        (Some(head), 0usize, false, items, (index, fragments), permit),
        move |(head, next, done, items, shared, permit)| async move {
            if let Some(head) = head {
                let bytes = axum::body::Bytes::from(head);
                return Some((
                    Ok::<_, std::convert::Infallible>(bytes),
                    (None, next, done, items, shared, permit),
                ));
            }
            if done {
                return None;
            }
            if next >= items.len() {
                let tail: &[u8] = if csv { b"" } else { b"]}\n" };
                return Some((
                    Ok(axum::body::Bytes::from_static(tail)),
                    (None, next, true, items, shared, permit),
                ));
            }
            let (index, fragments) = &shared;
            let end = (next + DOWNLOAD_CHUNK).min(items.len());
            let mut out = Vec::with_capacity(DOWNLOAD_CHUNK * 2048);
            if csv {
                super::csv::rows(index, fragments, &items[next..end], naming, &mut out);
            } else {
                for (k, i) in items[next..end].iter().enumerate() {
                    if next + k > 0 {
                        out.push(b',');
                    }
                    write_feature(&mut out, index, fragments, *i, naming);
                }
            }
            Some((
                Ok(axum::body::Bytes::from(out)),
                (None, end, false, items, shared, permit),
            ))
        },
    )
    .fuse();
    let (kind, extension) = if csv {
        (CSV_TYPE, "csv")
    } else {
        (GEOJSON, "geojson")
    };
    let filename = format!(
        "strikemap-incidents-{}.{extension}",
        chrono::Utc::now().format("%Y-%m-%d")
    );
    let mut response = axum::body::Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert("OGC-NumberMatched", HeaderValue::from(total));
    Ok(response)
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
    let index = &state.index();
    let not_found = || ApiError::NotFound(format!("no feature '{feature}' in collection '{id}'"));
    let value = match id.as_str() {
        "incidents" => {
            let who = super::edit::principal(&state, &headers).await?;
            let Some(i) = index.incident_by_id(&feature) else {
                return Err(super::edit::missing(&state, &feature, not_found()).await);
            };
            let mut out = Vec::with_capacity(FEATURE_BYTES);
            state
                .encoded
                .write(&mut out, index, &state.fragments, i, naming);
            add_links(&mut out, &links);
            let revision = index.incidents[i as usize].revision;
            let mut response = match who.filter(|p| p.role.sees_restricted()) {
                // Editors get the public feature and, as `record`, what PUT takes and PATCH
                // patches: the stored record with any restricted data.
                Some(_) => super::edit::with_record(&state, &feature, out).await?,
                None => geojson_bytes(&state, out)?,
            };
            if let Ok(tag) = HeaderValue::from_str(&crate::edit::etag(revision)) {
                response.headers_mut().insert(header::ETAG, tag);
            }
            return Ok(response);
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
pub(super) fn encode_segment(text: &str) -> String {
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
