//! `/api/measure`: the same measures as an incident gets, for any point (the map's measuring
//! tool), and `/api/stats`: aggregates over filtered incidents.

use super::error::ApiError;
use super::features::{km, nearest};
use super::{AppState, blocking, params_of};
use crate::query;
use axum::extract::{RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use geo::Point;
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/measure", get(measure))
        .route("/api/measure/path", get(path))
        .route("/api/stats", get(stats))
}

/// Metres to kilometres, rounded to the metre.
fn metres_km(metres: f64) -> Option<f64> {
    km(metres / 1000.0)
}

async fn measure(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = query::Params::new(params_of(raw.as_deref())?)?;
    let (lon, lat, date) = query::parse_measure_point(&params)?;
    let naming = query::parse_naming(&params)?;
    let index = &state.index();
    let m = index.measure_point(Point::new(lon, lat), date);
    let in_km = |found: Option<(u32, f64)>| found.map(|(i, metres)| (i, metres / 1000.0));
    let place = m.nearest_place.map(|(p, metres)| {
        let place = index.gazetteer.place(p);
        json!({
            "id": place.id, "name": place.label(naming), "name_hy": place.name_hy, "name_az": place.name_az,
            "names": place.names.iter().map(|n| &n.name).collect::<Vec<_>>(), "distance_km": metres_km(metres),
        })
    });
    Ok(Json(json!({
        "point": [lon, lat],
        "depth_km": m.line.and_then(|l| metres_km(l.distance_m)),
        "depth_low_km": m.line.and_then(|_| km(m.depth_low_km)),
        "depth_high_km": m.line.and_then(|_| km(m.depth_high_km)),
        "line_uncertainty_km": m.line_uncertainty_km,
        "line_valid_from": m.line_valid_from.map(|d| d.to_string()),
        "nearest_point_on_line": m.line.map(|l| [l.point.x(), l.point.y()]),
        "side": m.side.map(|s| s.as_str()),
        "nearest_military": nearest(&index.military, in_km(m.nearest_military)),
        "nearest_military_km": m.nearest_military.and_then(|(_, d)| metres_km(d)),
        "nearest_protected": nearest(&index.protected, in_km(m.nearest_protected)),
        "nearest_protected_km": m.nearest_protected.and_then(|(_, d)| metres_km(d)),
        "nearest_place": place,
        "coverage": {
            "military_objects": index.military.coverage,
            "protected_objects": index.protected.coverage,
        },
        "note": "Distances are geodesic on the WGS84 ellipsoid. The depth band widens the distance by the stated uncertainty of the nearby stretches of line and of the point. Nearest objects are the nearest known ones: see coverage.",
    })))
}

/// Geodesic length of a path (the map's distance tool), per segment and in total.
async fn path(RawQuery(raw): RawQuery) -> Result<Json<Value>, ApiError> {
    let params = query::Params::new(params_of(raw.as_deref())?)?;
    let points = query::parse_path(&params)?;
    // Points are validated, so every geodesic distance is finite.
    let metres: Vec<f64> = points
        .windows(2)
        .map(|w| crate::geodesy::distance_m(Point::new(w[0].0, w[0].1), Point::new(w[1].0, w[1].1)))
        .collect();
    let segments: Vec<Option<f64>> = metres.iter().map(|m| metres_km(*m)).collect();
    let total = metres_km(metres.iter().sum());
    Ok(Json(
        json!({ "segments_km": segments, "total_km": total, "ellipsoid": "WGS84" }),
    ))
}

async fn stats(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = query::Params::new(params_of(raw.as_deref())?)?;
    let q = query::parse_incident_query(&params, &state.index().gazetteer)?;
    if q.format == Some(query::Format::Csv) {
        return Err(query::QueryError::InvalidValue {
            parameter: "f".into(),
            expected: "json (the only encoding statistics are offered in)".into(),
            got: "csv".into(),
        }
        .into());
    }
    blocking(state, move |state| {
        serde_json::to_value(query::stats(&state.index(), &q))
            .map(Json)
            .map_err(|e| ApiError::Internal(e.to_string()))
    })
    .await
}
