//! The one API error type: every failure becomes a JSON body `{"code", "description"}` with
//! the right status. Details of server faults are logged, never sent.

use crate::query::QueryError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Query(#[from] QueryError),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("internal error: {0}")]
    Internal(String),
    /// The server is at its bound for this kind of work: come back shortly.
    #[error("{0}")]
    Busy(String),
    /// The `Accept` header asks only for an encoding this resource is not offered in.
    #[error("{0}")]
    NotAcceptable(String),
    /// A request header strikemap will not use (e.g. an oversized `Host`).
    #[error("{description}")]
    BadHeader {
        header: &'static str,
        description: String,
    },
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Query(QueryError::UnknownParameter { .. }) => {
                (StatusCode::BAD_REQUEST, "UnknownParameter")
            }
            ApiError::Query(QueryError::UnknownTown { .. } | QueryError::AmbiguousTown { .. }) => {
                (StatusCode::BAD_REQUEST, "InvalidParameterValue")
            }
            ApiError::Query(_) | ApiError::BadRequest(_) => {
                (StatusCode::BAD_REQUEST, "InvalidParameterValue")
            }
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "NotFound"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "ServerError"),
            ApiError::Busy(_) => (StatusCode::SERVICE_UNAVAILABLE, "Busy"),
            ApiError::BadHeader { .. } => (StatusCode::BAD_REQUEST, "InvalidHeader"),
            ApiError::NotAcceptable(_) => (StatusCode::NOT_ACCEPTABLE, "NotAcceptable"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let description = match &self {
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "request failed");
                "the server could not complete the request".to_string()
            }
            other => other.to_string(),
        };
        let mut body = json!({ "code": code, "description": description });
        if let ApiError::Query(QueryError::UnknownTown { suggestions, .. }) = &self {
            body["suggestions"] = json!(suggestions);
        }
        if let ApiError::Query(QueryError::AmbiguousTown { candidates, .. }) = &self {
            body["suggestions"] = json!(candidates);
        }
        if let ApiError::Query(QueryError::InvalidValue { expected, .. }) = &self {
            body["expected"] = json!(expected);
        }
        if let ApiError::Query(
            QueryError::InvalidValue { parameter, .. } | QueryError::Repeated { parameter },
        ) = &self
        {
            body["parameter"] = json!(parameter);
        }
        if let ApiError::Query(QueryError::UnknownParameter { parameter, .. }) = &self {
            body["parameter"] = json!(parameter);
        }
        if let ApiError::Query(QueryError::UnknownTown { .. } | QueryError::AmbiguousTown { .. }) =
            &self
        {
            body["parameter"] = json!("town");
        }
        if let ApiError::BadHeader { header, .. } = &self {
            body["header"] = json!(header);
        }
        if let ApiError::NotAcceptable(_) = &self {
            body["header"] = json!("Accept");
        }
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("2"),
            );
        }
        response
    }
}
