//! The one API error type: every failure becomes a JSON body `{"code", "description"}` with
//! the right status. Details of server faults are logged, never sent.

use crate::edit::EditError;
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
    /// A write refused (authentication, role, validation, concurrency) or the store failing.
    #[error(transparent)]
    Edit(#[from] crate::edit::EditError),
    /// A body over its limit.
    #[error("{0}")]
    TooLarge(String),
    /// A write to a collection that is read-only (the reference layers come from files).
    #[error("collection '{0}' is read-only: only incidents are edited through the API")]
    ReadOnlyCollection(String),
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
            ApiError::ReadOnlyCollection(_) => (StatusCode::METHOD_NOT_ALLOWED, "ReadOnly"),
            ApiError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "TooLarge"),
            ApiError::Edit(e) => match e {
                EditError::BadToken | EditError::Unauthenticated => {
                    (StatusCode::UNAUTHORIZED, "Unauthorized")
                }
                EditError::Forbidden { .. } => (StatusCode::FORBIDDEN, "Forbidden"),
                EditError::ReadOnly => (StatusCode::METHOD_NOT_ALLOWED, "ReadOnly"),
                EditError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "InvalidFeature"),
                EditError::NotFound(_) => (StatusCode::NOT_FOUND, "NotFound"),
                EditError::Retracted { .. } => (StatusCode::GONE, "Retracted"),
                EditError::Exists(_) => (StatusCode::CONFLICT, "Exists"),
                EditError::PreconditionRequired => {
                    (StatusCode::PRECONDITION_REQUIRED, "PreconditionRequired")
                }
                EditError::PreconditionFailed { .. } => {
                    (StatusCode::PRECONDITION_FAILED, "PreconditionFailed")
                }
                EditError::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, "ServerError"),
            },
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
            ApiError::Edit(EditError::Store(detail)) => {
                tracing::error!(%detail, "store failed");
                "the server could not complete the request; nothing was written".to_string()
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
        match &self {
            ApiError::Edit(EditError::Invalid(problems)) => body["problems"] = json!(problems),
            ApiError::Edit(EditError::Retracted { reason, .. }) => body["reason"] = json!(reason),
            ApiError::Edit(EditError::Forbidden { needed }) => body["role_needed"] = json!(needed),
            ApiError::Edit(EditError::PreconditionFailed { current, .. }) => {
                body["current_etag"] = json!(crate::edit::etag(*current));
            }
            ApiError::Edit(EditError::PreconditionRequired) => body["header"] = json!("If-Match"),
            ApiError::Edit(EditError::BadToken | EditError::Unauthenticated) => {
                body["header"] = json!("Authorization");
            }
            _ => {}
        }
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"strikemap\""),
            );
        }
        if status == StatusCode::METHOD_NOT_ALLOWED {
            response.headers_mut().insert(
                axum::http::header::ALLOW,
                axum::http::HeaderValue::from_static("GET, HEAD"),
            );
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("2"),
            );
        }
        response
    }
}
