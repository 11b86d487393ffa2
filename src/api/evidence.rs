//! Evidence files over HTTP: `POST .../items/{id}/evidence` (editor; the body is the file,
//! streamed to disk and hashed as it comes), `GET .../items/{id}/evidence` (the list; what each
//! file is only for editors) and `GET .../items/{id}/evidence/{sha256}` (editor; logged).

use super::edit::{editor, incidents_only, on_store, principal, signed_in};
use super::{ApiError, AppState, base_url};
use crate::store::database::evidence::EvidenceMeta;
use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::StreamExt;
use serde_json::json;

/// The client's address, put on each request by the server loop (for the custody log).
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub std::net::SocketAddr);

/// The evidence routes; the caller gives them their own body limit (files are larger than
/// any other request).
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/collections/{collection}/items/{feature}/evidence",
            get(list).post(add),
        )
        .route(
            "/api/collections/{collection}/items/{feature}/evidence/{sha256}",
            get(read),
        )
        .route(
            "/api/collections/{collection}/import",
            axum::routing::post(import),
        )
}

/// Largest file `POST .../import` takes, in bytes (the command line takes any size).
pub const MAX_IMPORT_BYTES: usize = 64 * 1024 * 1024;

/// `POST /api/collections/incidents/import?format=geojson|csv|acled[&dry_run=true]` (editor):
/// the body is the file; the answer is the report (every rejected row and why).
async fn import(
    State(state): State<AppState>,
    Path(collection): Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    use crate::edit::import::Format;
    incidents_only(&collection)?;
    let (parts, body) = request.into_parts();
    let who = signed_in(&state, &parts.headers).await?;
    let mut format = None;
    let mut dry_run = false;
    let mut name = "upload".to_string();
    for (key, value) in super::params_of(parts.uri.query())? {
        let invalid = |parameter: &str, expected: &str| -> ApiError {
            crate::query::QueryError::InvalidValue {
                parameter: parameter.into(),
                expected: expected.into(),
                got: value.clone(),
            }
            .into()
        };
        match key.as_str() {
            "format" => {
                format = Some(
                    Format::parse(&value)
                        .ok_or_else(|| invalid("format", "geojson, csv or acled"))?,
                )
            }
            "dry_run" => {
                dry_run = match value.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(invalid("dry_run", "true or false")),
                }
            }
            "filename" => name = value.chars().take(200).collect(),
            other => {
                return Err(crate::query::QueryError::UnknownParameter {
                    parameter: other.to_string(),
                    allowed: "format, dry_run, filename".into(),
                }
                .into());
            }
        }
    }
    let format = format.ok_or_else(|| -> ApiError {
        crate::query::QueryError::InvalidValue {
            parameter: "format".into(),
            expected: "geojson, csv or acled".into(),
            got: String::new(),
        }
        .into()
    })?;
    let bytes = axum::body::to_bytes(body, MAX_IMPORT_BYTES)
        .await
        .map_err(|_| ApiError::TooLarge(format!("an import of at most {MAX_IMPORT_BYTES} bytes (use `strikemap import` for larger files)")))?;
    let text = String::from_utf8(bytes.to_vec()).map_err(|e| {
        ApiError::BadRequest(format!(
            "the file must be UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })?;
    let editor = editor(&state)?;
    let report = on_store(move || editor.import(&who, &text, &name, format, dry_run)).await?;
    Ok(axum::Json(json!(report)).into_response())
}

async fn add(
    State(state): State<AppState>,
    Path((collection, id)): Path<(String, String)>,
    request: Request,
) -> Result<Response, ApiError> {
    incidents_only(&collection)?;
    let (parts, body) = request.into_parts();
    let who = signed_in(&state, &parts.headers).await?;
    let mut meta = EvidenceMeta {
        media_type: parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase(),
        ..EvidenceMeta::default()
    };
    for (key, value) in super::params_of(parts.uri.query())? {
        match key.as_str() {
            "filename" => meta.filename = Some(value),
            "description" => meta.description = Some(value),
            "origin" => meta.origin = Some(value),
            "source" => {
                meta.source_index = Some(value.parse().map_err(|_| {
                    crate::query::QueryError::InvalidValue {
                        parameter: "source".into(),
                        expected:
                            "the position (from 0) of the incident's source the file supports"
                                .into(),
                        got: value.clone(),
                    }
                })?)
            }
            other => {
                return Err(crate::query::QueryError::UnknownParameter {
                    parameter: other.to_string(),
                    allowed: "filename, description, origin, source".into(),
                }
                .into());
            }
        }
    }
    let peer = parts.extensions.get::<Peer>().map(|p| p.0.to_string());
    let editor = editor(&state)?;
    {
        let (editor, who, id, meta) = (editor.clone(), who.clone(), id.clone(), meta.clone());
        on_store(move || editor.check_evidence(&who, &id, &meta)).await?;
    }
    let cap = state
        .settings
        .max_evidence_mb
        .max(1)
        .saturating_mul(1024 * 1024);
    let staging = {
        let editor = editor.clone();
        on_store(move || editor.staging(cap)).await?
    };
    // Chunks go to a blocking writer through a short queue: a slow disk slows the upload
    // rather than filling memory.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<axum::body::Bytes>(8);
    let writer = tokio::task::spawn_blocking(move || {
        let mut staging = staging;
        while let Some(chunk) = rx.blocking_recv() {
            staging.write(&chunk)?;
        }
        Ok::<_, std::io::Error>(staging)
    });
    let mut stream = body.into_data_stream();
    let mut failure = None;
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(chunk) => {
                if tx.send(chunk).await.is_err() {
                    break;
                }
            }
            Err(e) => {
                failure = Some(e.to_string());
                break;
            }
        }
    }
    drop(tx);
    let written = writer
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let too_large = |detail: String| {
        ApiError::TooLarge(format!(
            "the file is over the limit of {} MB ({detail})",
            state.settings.max_evidence_mb
        ))
    };
    let staging = match (written, failure) {
        (Err(e), _) => return Err(too_large(e.to_string())),
        (Ok(_), Some(e)) => return Err(too_large(e)),
        (Ok(staging), None) => staging,
    };
    let item = {
        let (who, id) = (who.clone(), id.clone());
        on_store(move || editor.add_evidence(&who, &id, staging, &meta, peer.as_deref())).await?
    };
    let location = format!(
        "{}/api/collections/incidents/items/{}/evidence/{}",
        base_url(&state, &parts.headers),
        super::ogc::encode_segment(&id),
        item.sha256
    );
    let mut response = (StatusCode::CREATED, axum::Json(json!(item))).into_response();
    if let Ok(location) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(response)
}

async fn list(
    State(state): State<AppState>,
    Path((collection, id)): Path<(String, String)>,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    incidents_only(&collection)?;
    let editor = editor(&state)?;
    let who = principal(&state, &headers).await?;
    let editors = who.as_ref().is_some_and(|p| p.role.sees_restricted());
    let items = {
        let id = id.clone();
        on_store(move || editor.evidence(who.as_ref(), &id)).await?
    };
    let mut response = axum::Json(json!({
        "id": id,
        "numberMatched": items.len(),
        "evidence": items,
    }))
    .into_response();
    if editors {
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
    }
    Ok(response)
}

async fn read(
    State(state): State<AppState>,
    Path((collection, id, sha256)): Path<(String, String, String)>,
    request: Request,
) -> Result<Response, ApiError> {
    incidents_only(&collection)?;
    let who = signed_in(&state, request.headers()).await?;
    if sha256.len() != 64
        || !sha256
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        return Err(ApiError::BadRequest(
            "sha256: expected 64 lower-case hex digits".into(),
        ));
    }
    let peer = request.extensions().get::<Peer>().map(|p| p.0.to_string());
    let editor = editor(&state)?;
    let (path, media_type) =
        on_store(move || editor.read_evidence(&who, &id, &sha256, peer.as_deref())).await?;
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| ApiError::Internal(format!("{}: {e}", path.display())))?;
    let length = file
        .metadata()
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .len();
    let stream = futures_util::stream::unfold(file, |mut file| async move {
        use tokio::io::AsyncReadExt;
        let mut buffer = vec![0u8; 64 * 1024];
        match file.read(&mut buffer).await {
            Ok(0) => None,
            Ok(n) => {
                buffer.truncate(n);
                Some((
                    Ok::<_, std::io::Error>(axum::body::Bytes::from(buffer)),
                    file,
                ))
            }
            Err(e) => Some((Err(e), file)),
        }
    });
    let mut response = axum::body::Body::from_stream(stream).into_response();
    let h = response.headers_mut();
    if let Ok(kind) = HeaderValue::from_str(&media_type) {
        h.insert(header::CONTENT_TYPE, kind);
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    // An archived page is shown as data, never run in strikemap's origin.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    Ok(response)
}
