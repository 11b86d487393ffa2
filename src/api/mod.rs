//! The HTTP API (axum): each module owns a router; this one merges them, adds the tower
//! layers (compression, CORS, timeouts, concurrency and size limits, tracing) and serves the
//! web map's static files.

mod csv;
mod edit;
mod encoded;
mod error;
pub mod evidence;
pub mod export;
mod features;
mod files;
mod fragments;
mod geopackage;
mod measure;
mod ogc;
mod openapi;
mod paging;
mod schema;
mod tiles;

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
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// Longest query string accepted, in bytes.
pub const MAX_QUERY_LEN: usize = 8 * 1024;

/// Shared state of every handler: one count to take and drop when a request is handed it
/// (each request is handed a copy), not one for each of its parts, counts the server's
/// threads would pass back and forth on every request.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] shares.
pub struct Shared {
    /// The index queries run against; replaced whole after each write.
    pub live: Arc<arc_swap::ArcSwap<Index>>,
    /// Writes, when the service runs on a store.
    pub editor: Option<Arc<crate::edit::Editor>>,
    pub settings: Arc<Settings>,
    /// Permits for heavy work; a permit travels into the blocking task and is released only
    /// when the work ends, so the bound holds even after a request has timed out.
    pub work: Arc<tokio::sync::Semaphore>,
    /// Kibibytes of large response bodies in flight; released when a body is dropped.
    pub response_budget: Arc<tokio::sync::Semaphore>,
    /// Permits for bulk downloads streaming at once.
    pub downloads: Arc<tokio::sync::Semaphore>,
    /// Encoded pieces that many incidents share.
    pub fragments: Arc<fragments::Fragments>,
    /// Features kept encoded, up to `--feature-cache-mb`. Requests only borrow it, so the
    /// state's one count holds it.
    pub encoded: encoded::EncodedFeatures,
}

impl AppState {
    /// A read-only state over `index`.
    pub fn new(index: Index, settings: Settings) -> AppState {
        Self::live(
            Arc::new(arc_swap::ArcSwap::from_pointee(index)),
            None,
            settings,
        )
    }

    /// The state over a live index that `editor` (if any) keeps in step with the store.
    pub fn live(
        live: Arc<arc_swap::ArcSwap<Index>>,
        editor: Option<Arc<crate::edit::Editor>>,
        settings: Settings,
    ) -> AppState {
        let work = Arc::new(tokio::sync::Semaphore::new(settings.max_concurrent.max(1)));
        let kib = settings
            .response_memory_mb
            .max(1)
            .saturating_mul(1024)
            .min(tokio::sync::Semaphore::MAX_PERMITS);
        AppState(Arc::new(Shared {
            fragments: Arc::new(fragments::Fragments::new(&live.load())),
            encoded: encoded::EncodedFeatures::new(settings.feature_cache_mb),
            live,
            editor,
            work,
            response_budget: Arc::new(tokio::sync::Semaphore::new(kib)),
            downloads: Arc::new(tokio::sync::Semaphore::new(settings.max_downloads.max(1))),
            settings: Arc::new(settings),
        }))
    }
}

impl AppState {
    /// The index as it is now (a request keeps the one it started with).
    pub fn index(&self) -> Arc<Index> {
        self.live.load_full()
    }
}

/// How long a heavy request waits for a work permit before it is told the server is busy.
const WORK_WAIT: Duration = Duration::from_secs(2);
/// Longest `Host` header used to build links.
const MAX_HOST_LEN: usize = 255;

/// The whole application: API, static web map and data files, with the tower layers.
pub fn app(state: AppState) -> Router {
    let settings = state.settings.clone();
    let api = Router::new()
        .merge(ogc::router())
        .merge(measure::router())
        .merge(openapi::router())
        .merge(schema::router())
        .merge(tiles::router())
        .route("/api/health", get(health))
        .route("/config.json", get(web_config))
        .merge(files::router(&settings))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(64 * 1024))
        .with_state(state.clone());
    // Evidence files are far larger than any other body; their own limit (and the upload's
    // own cap) bounds them.
    let uploads = evidence::router()
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            usize::try_from(settings.max_evidence_mb.saturating_mul(1024 * 1024))
                .unwrap_or(usize::MAX),
        ))
        .with_state(state);
    api.merge(uploads)
        .layer(axum::middleware::from_fn_with_state(
            settings.clone(),
            files::headers,
        ))
        .layer(axum::middleware::from_fn(check_host))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(settings.request_timeout_secs),
        ))
        .layer(CompressionLayer::new())
        .layer(cors(&settings.cors_origins))
        .layer(TraceLayer::new_for_http())
}

fn cors(origins: &[String]) -> CorsLayer {
    use axum::http::header;
    let layer = CorsLayer::new()
        .allow_methods([
            Method::GET,
            Method::HEAD,
            Method::OPTIONS,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
        ])
        .expose_headers([header::ETAG, header::LOCATION]);
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
        "incidents": state.index().len(),
        "places": state.index().gazetteer.len(),
        "military_objects": state.index().military.objects.len(),
        "protected_objects": state.index().protected.objects.len(),
    }))
}

/// Settings the web map needs at start-up.
async fn web_config(State(state): State<AppState>) -> Json<Value> {
    Json(json!({ "basemap_style": state.settings.basemap_style }))
}

/// The base URL for links: the configured public URL, or the request's own host.
/// Refuses a `Host` header that is over-long or not a host name, before any handler copies it
/// into links.
async fn check_host(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if let Some(host) = request.headers().get(axum::http::header::HOST) {
        let valid = host.len() <= MAX_HOST_LEN
            && host.to_str().is_ok_and(|h| {
                h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
            });
        if !valid {
            return ApiError::BadHeader {
                header: "Host",
                description: format!(
                    "the Host header must be a host name or address with an optional port, at most {MAX_HOST_LEN} bytes"
                ),
            }
            .into_response();
        }
    }
    next.run(request).await
}

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
    // Decoding cannot fail: a percent sign not followed by two hex digits is taken as it
    // is, and bytes that are not UTF-8 become U+FFFD (as every form decoder does).
    Ok(form_urlencoded::parse(raw.as_bytes())
        .into_owned()
        .collect())
}

/// Runs CPU-bound query work off the async runtime.
async fn blocking<T, F>(state: AppState, work: F) -> Result<T, ApiError>
where
    F: FnOnce(&AppState) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let permit = tokio::time::timeout(WORK_WAIT, state.work.clone().acquire_owned())
        .await
        .map_err(|_| {
            ApiError::Busy("the server is at its limit of heavy requests; retry shortly".into())
        })?
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    tokio::task::spawn_blocking(move || {
        // Held until the work is done, whether or not anyone still waits for it.
        let _permit = permit;
        work(&state)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
}
