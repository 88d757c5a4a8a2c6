//! API errors in Backstage's shape: `{"error": {"name", "message"}, "response": {"statusCode"}}`.
//! Internal details are logged once here and never sent.

use axum::{
    Json,
    extract::FromRequestParts,
    http::{StatusCode, request::Parts},
    response::{IntoResponse, Response},
};
use serde_json::json;

use catalog::ingest::IngestError;
use catalog::service::CatalogError;

/// An API failure.
#[derive(Debug)]
pub enum ApiError {
    /// 400: the request is wrong.
    Input(String),
    /// 404.
    NotFound(String),
    /// 409.
    Conflict(String),
    /// 401: nobody is signed in and the action needs someone.
    Unauthorized(String),
    /// 403: not allowed, with the policy's reason.
    Forbidden(String),
    /// 500: logged, with a generic message for the caller.
    Internal(String),
    /// 503: this replica is at a limit; another, or a retry, may serve it.
    Unavailable(String),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            ApiError::Input(m) => (StatusCode::BAD_REQUEST, m),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, m),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, m),
            ApiError::Unauthorized(m) => (StatusCode::UNAUTHORIZED, m),
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, m),
            ApiError::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, m),
            ApiError::Internal(detail) => {
                tracing::error!(error = %detail, "catalog API failure");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error; see the server log".to_string(),
                )
            }
        };
        error_response(status, &message)
    }
}

/// Every API error's body, in Backstage's shape, with Backstage's error name for the status.
pub fn error_response(status: StatusCode, message: &str) -> Response {
    let name = match status {
        StatusCode::BAD_REQUEST => "InputError",
        StatusCode::UNAUTHORIZED => "AuthenticationError",
        StatusCode::FORBIDDEN => "NotAllowedError",
        StatusCode::NOT_FOUND => "NotFoundError",
        StatusCode::CONFLICT => "ConflictError",
        StatusCode::TOO_MANY_REQUESTS => "TooManyRequestsError",
        StatusCode::SERVICE_UNAVAILABLE => "ServiceUnavailableError",
        _ => "Error",
    };
    let body = json!({"error": {"name": name, "message": message}, "response": {"statusCode": status.as_u16()}});
    (status, Json(body)).into_response()
}

impl From<CatalogError> for ApiError {
    fn from(err: CatalogError) -> Self {
        match err {
            CatalogError::Invalid(m) => ApiError::Input(m),
            CatalogError::NotFound(m) => ApiError::NotFound(m),
            CatalogError::Conflict(m) => ApiError::Conflict(m),
            CatalogError::Ingest(catalog::ingest::IngestError::Store(e)) | CatalogError::Store(e) => {
                ApiError::Internal(e.to_string())
            }
            CatalogError::Ingest(e) => ApiError::Input(e.to_string()),
        }
    }
}

/// The request's id (`x-request-id`): a reply that leaves detail out names it, so the log lines
/// that have the detail can be found.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let id = parts.headers.get(crate::http::REQUEST_ID).and_then(|v| v.to_str().ok());
        Ok(RequestId(id.unwrap_or("-").to_string()))
    }
}

impl ApiError {
    /// A catalog failure; where its message leaves out what the server log has (why a
    /// repository could not be read), the request id joins the two.
    pub fn from_catalog(err: CatalogError, id: &RequestId) -> ApiError {
        match err {
            CatalogError::Ingest(e @ IngestError::Remote { .. }) => ApiError::Input(e.for_caller(&id.0)),
            other => other.into(),
        }
    }
}

impl From<catalog::store::StoreError> for ApiError {
    fn from(err: catalog::store::StoreError) -> Self {
        ApiError::Internal(err.to_string())
    }
}

impl From<catalog::model::FilterError> for ApiError {
    fn from(err: catalog::model::FilterError) -> Self {
        ApiError::Input(err.to_string())
    }
}
