//! The errors of the service layer. Each carries a stable code that the API passes on.

use serde_json::Value;

/// Result of a service function.
pub type CoreResult<T> = Result<T, CoreError>;

/// What went wrong in a use case, typed so that every client can map it the same way.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The object does not exist, or the caller may not see it.
    #[error("{kind} not found")]
    NotFound {
        /// The kind of object asked for (`user`, `group`, …).
        kind: &'static str,
    },
    /// The input is malformed or breaks a rule about a single field.
    #[error("{message}")]
    Invalid {
        /// Stable machine-readable code.
        code: &'static str,
        /// The field at fault, when there is one.
        field: Option<String>,
        /// A sentence for people.
        message: String,
    },
    /// The input is well formed but clashes with the current state.
    #[error("{message}")]
    Conflict {
        /// Stable machine-readable code.
        code: &'static str,
        /// A sentence for people.
        message: String,
        /// Extra facts, such as the clashing object.
        details: Option<Value>,
    },
    /// The caller may see the object but not do this to it.
    #[error("{message}")]
    Forbidden {
        /// A sentence for people.
        message: String,
    },
    /// No valid credentials, or the credentials do not allow this step.
    #[error("{message}")]
    Unauthenticated {
        /// Stable machine-readable code.
        code: &'static str,
        /// A sentence for people.
        message: String,
    },
    /// The object changed since the caller read it (stale `If-Match`).
    #[error("the object was changed by someone else; read it again")]
    PreconditionFailed,
    /// The database cannot be reached right now.
    #[error("the database is unavailable")]
    Unavailable,
    /// The store hit a transient conflict. Service functions run the transaction again, so a
    /// caller sees this only when the retries ran out.
    #[error("the database is busy")]
    Transient,
    /// The mail server refused the message or could not be reached.
    #[error("the email could not be sent: {0}")]
    MailFailed(String),
    /// A bug or an unexpected store failure; the message is for the log only.
    #[error("internal error")]
    Internal(String),
}

impl CoreError {
    /// A field-level validation error.
    pub fn invalid(code: &'static str, field: &str, message: impl Into<String>) -> Self {
        CoreError::Invalid {
            code,
            field: Some(field.to_string()),
            message: message.into(),
        }
    }

    /// A conflict with the current state.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        CoreError::Conflict {
            code,
            message: message.into(),
            details: None,
        }
    }

    /// A refusal of something the caller can see but not do.
    pub fn forbidden(message: impl Into<String>) -> Self {
        CoreError::Forbidden {
            message: message.into(),
        }
    }

    /// The object does not exist or is out of sight.
    pub fn not_found(kind: &'static str) -> Self {
        CoreError::NotFound { kind }
    }
}

impl From<crate::store::StoreError> for CoreError {
    fn from(e: crate::store::StoreError) -> Self {
        use crate::store::StoreError;
        match e {
            StoreError::Unavailable(_) => CoreError::Unavailable,
            StoreError::Retry(_) => CoreError::Transient,
            StoreError::Unique(what) => CoreError::conflict(
                "already_exists",
                format!("an object with the same {what} already exists"),
            ),
            StoreError::UserNotActive => CoreError::Unauthenticated {
                code: "unauthenticated",
                message: "the account is disabled or gone".into(),
            },
            StoreError::Other(m) => CoreError::Internal(m),
        }
    }
}
