//! The one error of the delivery crate: what was wrong with the input (named by its field), what
//! is missing, or what the database said while doing what.

pub use catalog::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// Bad input: `field` names the JSON field or query parameter at fault.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// The same id was reported before with other values.
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl DeliveryError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> DeliveryError {
        DeliveryError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}
