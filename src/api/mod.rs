//! The HTTP API (axum): each module owns a router; this one merges them, adds the tower
//! layers (compression, CORS, timeouts, concurrency and size limits, tracing) and serves the
//! web map's static files.

mod error;
mod features;
mod measure;
mod ogc;
mod openapi;

pub use error::ApiError;

use crate::config::Settings;
use crate::index::Index;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::ServeDir;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// Longest query string accepted, in bytes.
pub const MAX_QUERY_LEN: usize = 8 * 1024;

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    pub index: Arc<Index>,
    pub settings: Arc<Settings>,
}

/// The whole application: API, static web map and data files, with the tower layers.
pub fn app(state: AppState) -> Router {
    let settings = state.settings.clone();
    let api = Router::new()
        .merge(ogc::router())
        .merge(measure::router())
        .merge(openapi::router())
        .route("/api/health", get(health))
        .route("/config.json", get(web_config))
        .nest_service("/data", ServeDir::new(&settings.data))
        .fallback_service(ServeDir::new(&settings.web))
        .with_state(state);
    api.layer(tower::limit::GlobalConcurrencyLimitLayer::new(
        settings.max_concurrent,
    ))
    .layer(TimeoutLayer::with_status_code(
        StatusCode::SERVICE_UNAVAILABLE,
        Duration::from_secs(settings.request_timeout_secs),
    ))
    .layer(tower_http::limit::RequestBodyLimitLayer::new(64 * 1024))
    .layer(CompressionLayer::new())
    .layer(cors(&settings.cors_origins))
    .layer(TraceLayer::new_for_http())
}

fn cors(origins: &[String]) -> CorsLayer {
    let layer = CorsLayer::new().allow_methods([Method::GET, Method::HEAD, Method::OPTIONS]);
    if origins.iter().any(|o| o.trim() == "*") {
        layer.allow_origin(AllowOrigin::any())
    } else {
        // Origins were checked at start-up (`Settings::check`); spaces around commas are fine.
        let list: Vec<HeaderValue> = origins
            .iter()
            .filter_map(|o| HeaderValue::from_str(o.trim()).ok())
            .collect();
        layer.allow_origin(AllowOrigin::list(list))
    }
}

async fn health(State(state): State<AppState>) -> Json<Value> {
    Json(json!({
        "status": "ok",
        "incidents": state.index.incidents.len(),
        "places": state.index.gazetteer.len(),
        "military_objects": state.index.military.objects.len(),
        "protected_objects": state.index.protected.objects.len(),
    }))
}

/// Settings the web map needs at start-up.
async fn web_config(State(state): State<AppState>) -> Json<Value> {
    Json(json!({ "basemap_style": state.settings.basemap_style }))
}

/// The base URL for links: the configured public URL, or the request's own host.
fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.settings.public_url {
        return url.trim_end_matches('/').to_string();
    }
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// Decodes a raw query string into pairs, refusing oversized or malformed ones.
fn params_of(raw: Option<&str>) -> Result<Vec<(String, String)>, ApiError> {
    let raw = raw.unwrap_or("");
    if raw.len() > MAX_QUERY_LEN {
        return Err(ApiError::BadRequest(format!(
            "the query string is longer than {MAX_QUERY_LEN} bytes"
        )));
    }
    serde_urlencoded::from_str(raw)
        .map_err(|_| ApiError::BadRequest("the query string is not valid URL encoding".into()))
}

/// Runs CPU-bound query work off the async runtime.
async fn blocking<T, F>(state: AppState, work: F) -> Result<T, ApiError>
where
    F: FnOnce(&AppState) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(move || work(&state))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
}
