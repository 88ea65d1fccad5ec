//! Form bodies as name/value pairs: repeated names (ticked checkboxes) keep every value,
//! and a field left empty reads as absent.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use roster_core::Id;

/// The fields of an `application/x-www-form-urlencoded` body.
#[derive(Debug, Default)]
pub struct FormData(Vec<(String, String)>);

impl FormData {
    /// Parses an urlencoded body or query string.
    pub fn parse(raw: &[u8]) -> FormData {
        FormData(form_urlencoded::parse(raw).into_owned().collect())
    }

    /// The first value of `name`, trimmed, or `None` when missing or blank.
    pub fn get(&self, name: &str) -> Option<String> {
        self.raw(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }

    /// The first value of `name` exactly as typed (passwords), or `None` when missing or empty.
    pub fn secret(&self, name: &str) -> Option<String> {
        self.raw(name).filter(|v| !v.is_empty()).map(str::to_string)
    }

    /// The first value of `name` exactly as sent.
    fn raw(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether a checkbox named `name` was ticked.
    pub fn ticked(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    /// Every value of `name` that is an id; others are ignored (they name nothing).
    pub fn ids(&self, name: &str) -> Vec<Id> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .filter_map(|(_, v)| v.trim().parse().ok())
            .collect()
    }

    /// The value of `name` as an id, if it is one.
    pub fn id(&self, name: &str) -> Option<Id> {
        self.get(name).and_then(|v| v.parse().ok())
    }
}

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = (StatusCode, &'static str);

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| (StatusCode::BAD_REQUEST, "the form could not be read"))?;
        Ok(FormData::parse(&bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_blank_and_secret_fields() {
        let f = FormData::parse(b"a=+x+&g=0190f8a0-0000-7000-8000-000000000001&g=bad&e=&p=+pw+");
        assert_eq!(f.get("a").as_deref(), Some("x"));
        assert_eq!(f.get("e"), None);
        assert_eq!(f.secret("p").as_deref(), Some(" pw "));
        assert_eq!(f.ids("g").len(), 1);
        assert!(f.ticked("e") && !f.ticked("z"));
    }
}
