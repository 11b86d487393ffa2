//! The write side of the incidents collection, in the shape of OGC API – Features Part 4:
//! `POST .../items` adds, `PUT`/`PATCH .../items/{id}` replace or merge-patch with `If-Match`,
//! `DELETE` retracts with a reason, and `.../items/{id}/history` lists the audit trail.
//! Every write needs a bearer token; the rules live in [`crate::edit`].

use super::{ApiError, AppState, base_url};
use crate::edit::{EditError, Editor, Precondition, Written};
use crate::store::database::Principal;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::sync::Arc;

/// Most revisions one history page returns.
pub const MAX_HISTORY_LIMIT: usize = 1000;
const DEFAULT_HISTORY_LIMIT: usize = 100;

pub(super) fn editor(state: &AppState) -> Result<Arc<Editor>, ApiError> {
    state
        .editor
        .clone()
        .ok_or(ApiError::Edit(EditError::ReadOnly))
}

pub(super) fn incidents_only(collection: &str) -> Result<(), ApiError> {
    super::ogc::find_collection(collection)?;
    if collection == "incidents" {
        Ok(())
    } else {
        Err(ApiError::ReadOnlyCollection(collection.to_string()))
    }
}

/// Runs store work (SQLite, index rebuilds) off the async runtime.
pub(super) async fn on_store<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, EditError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(ApiError::Edit)
}

/// Who sent the request: `None` without an `Authorization` header; a 401 for a header that is
/// not a valid token (never read as anonymous).
pub(super) async fn principal(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Principal>, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| ApiError::Edit(EditError::BadToken))?
        .to_string();
    let editor = state
        .editor
        .clone()
        .ok_or(ApiError::Edit(EditError::BadToken))?;
    on_store(move || editor.authenticate(Some(&value))).await
}

pub(super) async fn signed_in(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Principal, ApiError> {
    editor(state)?;
    principal(state, headers)
        .await?
        .ok_or(ApiError::Edit(EditError::Unauthenticated))
}

fn precondition(headers: &HeaderMap) -> Result<Option<Precondition>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or("");
    // A tag that names no revision of ours cannot match the current one.
    Ok(Some(
        Precondition::parse(text).unwrap_or(Precondition::Revision(0)),
    ))
}

/// The body as JSON, or a 400 saying what it should have been.
fn json_body(headers: &HeaderMap, body: &Bytes, types: &[&str]) -> Result<Value, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if !types.contains(&content_type.as_str()) {
        return Err(ApiError::BadHeader {
            header: "Content-Type",
            description: format!("expected Content-Type {}", types.join(" or ")),
        });
    }
    serde_json::from_slice(body).map_err(|e| {
        ApiError::Edit(EditError::Invalid(vec![crate::edit::Problem::new(
            "(body)",
            format!("a JSON document ({e})"),
        )]))
    })
}

fn written(state: &AppState, headers: &HeaderMap, status: StatusCode, w: Written) -> Response {
    let location = format!(
        "{}/api/collections/incidents/items/{}",
        base_url(state, headers),
        super::ogc::encode_segment(&w.id)
    );
    let mut view = w.view;
    view["links"] = json!([{"href": location, "rel": "self", "type": "application/geo+json"}]);
    let mut response = (status, axum::Json(view)).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/geo+json"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    if let Ok(tag) = HeaderValue::from_str(&crate::edit::etag(w.revision)) {
        h.insert(header::ETAG, tag);
    }
    if let Ok(location) = HeaderValue::from_str(&location) {
        h.insert(header::LOCATION, location);
    }
    response
}

const FEATURE_TYPES: &[&str] = &["application/geo+json", "application/json"];

pub(super) async fn create(
    State(state): State<AppState>,
    Path(collection): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    incidents_only(&collection)?;
    create_incident(State(state), headers, body).await
}

/// As [`create`], by the incidents' own route (see `ogc::incident_items`).
pub(super) async fn create_incident(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let who = signed_in(&state, &headers).await?;
    let body = json_body(&headers, &body, FEATURE_TYPES)?;
    let editor = editor(&state)?;
    let w = on_store(move || editor.create(&who, &body)).await?;
    Ok(written(&state, &headers, StatusCode::CREATED, w))
}

pub(super) async fn replace(
    State(state): State<AppState>,
    Path((collection, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    incidents_only(&collection)?;
    let who = signed_in(&state, &headers).await?;
    let body = json_body(&headers, &body, FEATURE_TYPES)?;
    let condition = precondition(&headers)?;
    let editor = editor(&state)?;
    let w = on_store(move || editor.replace(&who, &id, condition, &body)).await?;
    Ok(written(&state, &headers, StatusCode::OK, w))
}

pub(super) async fn patch(
    State(state): State<AppState>,
    Path((collection, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    incidents_only(&collection)?;
    let who = signed_in(&state, &headers).await?;
    let body = json_body(
        &headers,
        &body,
        &["application/merge-patch+json", "application/json"],
    )?;
    let condition = precondition(&headers)?;
    let editor = editor(&state)?;
    let w = on_store(move || editor.patch(&who, &id, condition, &body)).await?;
    Ok(written(&state, &headers, StatusCode::OK, w))
}

pub(super) async fn retract(
    State(state): State<AppState>,
    Path((collection, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    incidents_only(&collection)?;
    let who = signed_in(&state, &headers).await?;
    let from_query = super::params_of(raw.as_deref())?
        .into_iter()
        .find(|(k, _)| k == "reason")
        .map(|(_, v)| v);
    let reason = match from_query {
        Some(reason) => reason,
        None if body.is_empty() => String::new(),
        None => json_body(&headers, &body, &["application/json"])?
            .get("reason")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
    };
    let condition = precondition(&headers)?;
    let editor = editor(&state)?;
    let w = on_store(move || editor.retract(&who, &id, condition, &reason)).await?;
    Ok(written(&state, &headers, StatusCode::OK, w))
}

pub(super) async fn history(
    State(state): State<AppState>,
    Path((collection, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    incidents_only(&collection)?;
    let editor = editor(&state)?;
    let who = principal(&state, &headers).await?;
    let mut limit = DEFAULT_HISTORY_LIMIT;
    let mut offset = 0usize;
    for (key, value) in super::params_of(raw.as_deref())? {
        let number = |parameter: &str, max: usize| -> Result<usize, ApiError> {
            value
                .parse::<usize>()
                .ok()
                .filter(|n| *n <= max && (parameter == "offset" || *n >= 1))
                .ok_or_else(|| {
                    crate::query::QueryError::InvalidValue {
                        parameter: parameter.into(),
                        expected: if parameter == "limit" {
                            format!("a whole number from 1 to {MAX_HISTORY_LIMIT}")
                        } else {
                            "a whole number of revisions to skip".into()
                        },
                        got: value.clone(),
                    }
                    .into()
                })
        };
        match key.as_str() {
            // Clamped, as /items clamps its limit.
            "limit" => limit = number("limit", usize::MAX)?.min(MAX_HISTORY_LIMIT),
            "offset" => offset = number("offset", u32::MAX as usize)?,
            "f" if value == "json" => {}
            other => {
                return Err(crate::query::QueryError::UnknownParameter {
                    parameter: other.to_string(),
                    allowed: "limit, offset, f=json".into(),
                }
                .into());
            }
        }
    }
    let sees = who.as_ref().is_some_and(|p| p.role.sees_restricted());
    let base = base_url(&state, &headers);
    let h = on_store(move || editor.history(&id, limit, offset, sees)).await?;
    let mut value = serde_json::to_value(&h).map_err(|e| ApiError::Internal(e.to_string()))?;
    let here = format!(
        "{base}/api/collections/incidents/items/{}",
        super::ogc::encode_segment(&h.id)
    );
    let mut links = vec![json!({"href": here, "rel": "about", "type": "application/geo+json"})];
    if offset + h.number_returned < h.number_matched {
        links.push(json!({
            "href": format!("{here}/history?limit={limit}&offset={}", offset + h.number_returned),
            "rel": "next",
            "type": "application/json",
        }));
    }
    value["links"] = json!(links);
    let mut response = axum::Json(value).into_response();
    if sees {
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
    }
    Ok(response)
}

/// The answer for an incident the index does not hold: 410 with the reason when the store
/// says it was retracted, else `not_found`.
pub(super) async fn missing(state: &AppState, id: &str, not_found: ApiError) -> ApiError {
    let Some(editor) = state.editor.clone() else {
        return not_found;
    };
    let id = id.to_string();
    match on_store(move || editor.stored(&id)).await {
        Ok(stored) if stored.status == crate::store::database::Status::Retracted => {
            ApiError::Edit(EditError::Retracted {
                id: stored.id,
                reason: stored.retraction_reason.unwrap_or_default(),
            })
        }
        _ => not_found,
    }
}

/// The public feature (`public`, encoded) with the stored record added as `record`, for
/// editors; never cached by anyone in between.
pub(super) async fn with_record(
    state: &AppState,
    id: &str,
    public: Vec<u8>,
) -> Result<Response, ApiError> {
    let editor = editor(state)?;
    let id = id.to_string();
    let view = on_store(move || editor.view(&id)).await?;
    let mut feature: Value =
        serde_json::from_slice(&public).map_err(|e| ApiError::Internal(e.to_string()))?;
    if let Some((record, _)) = view {
        feature["record"] = record;
    }
    let mut response = axum::Json(feature).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/geo+json"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(response)
}
