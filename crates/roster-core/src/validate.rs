//! Field rules shared by every way in. Each returns the cleaned value or a field error with a
//! stable code.

use crate::error::{CoreError, CoreResult};

/// Longest login accepted.
pub const MAX_LOGIN: usize = 128;
/// Longest email accepted (RFC 5321 path limit).
pub const MAX_EMAIL: usize = 254;
/// Longest name of a person, group, tenant or customer.
pub const MAX_NAME: usize = 100;
/// Longest description.
pub const MAX_DESCRIPTION: usize = 1000;
/// Longest phone number.
pub const MAX_PHONE: usize = 32;

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// A required display name: trimmed, 1..=`MAX_NAME` characters, no control characters.
pub fn name(field: &str, value: &str) -> CoreResult<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(CoreError::invalid(
            "required",
            field,
            format!("{field} must not be empty"),
        ));
    }
    if v.chars().count() > MAX_NAME {
        return Err(CoreError::invalid(
            "too_long",
            field,
            format!("{field} must be at most {MAX_NAME} characters"),
        ));
    }
    if has_control(v) {
        return Err(CoreError::invalid(
            "invalid_characters",
            field,
            format!("{field} must not contain control characters"),
        ));
    }
    Ok(v.to_string())
}

/// An optional person's name or similar: empty means none.
pub fn optional_name(field: &str, value: Option<&str>) -> CoreResult<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => name(field, v).map(Some),
    }
}

/// A description: up to `MAX_DESCRIPTION` characters; newlines and tabs allowed.
pub fn description(value: &str) -> CoreResult<String> {
    let v = value.trim();
    if v.chars().count() > MAX_DESCRIPTION {
        return Err(CoreError::invalid(
            "too_long",
            "description",
            format!("description must be at most {MAX_DESCRIPTION} characters"),
        ));
    }
    if v.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err(CoreError::invalid(
            "invalid_characters",
            "description",
            "description must not contain control characters",
        ));
    }
    Ok(v.to_string())
}

/// A login: 1..=`MAX_LOGIN` characters, no spaces or control characters.
pub fn login(value: &str) -> CoreResult<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(CoreError::invalid(
            "required",
            "login",
            "login must not be empty",
        ));
    }
    if v.chars().count() > MAX_LOGIN {
        return Err(CoreError::invalid(
            "too_long",
            "login",
            format!("login must be at most {MAX_LOGIN} characters"),
        ));
    }
    if v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(CoreError::invalid(
            "invalid_login",
            "login",
            "login must not contain spaces or control characters",
        ));
    }
    Ok(v.to_string())
}

/// An email address of the plain `local@domain.tld` form.
pub fn email(value: &str) -> CoreResult<String> {
    let v = value.trim();
    let bad = || {
        CoreError::invalid(
            "invalid_email",
            "email",
            format!("'{}' is not a valid email address", truncate(v, 60)),
        )
    };
    if v.len() > MAX_EMAIL {
        return Err(CoreError::invalid(
            "too_long",
            "email",
            format!("email must be at most {MAX_EMAIL} characters"),
        ));
    }
    let (local, domain) = v.rsplit_once('@').ok_or_else(bad)?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.contains('@')
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
    let domain_ok = domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    if local_ok && domain_ok {
        Ok(v.to_string())
    } else {
        Err(bad())
    }
}

/// An optional phone number: digits, spaces and `+-().`, at most `MAX_PHONE` characters.
pub fn phone(value: Option<&str>) -> CoreResult<Option<String>> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if v.chars().count() > MAX_PHONE {
        return Err(CoreError::invalid(
            "too_long",
            "phone",
            format!("phone must be at most {MAX_PHONE} characters"),
        ));
    }
    if !v.chars().any(|c| c.is_ascii_digit())
        || !v
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c))
    {
        return Err(CoreError::invalid(
            "invalid_phone",
            "phone",
            "phone may hold only digits, spaces and + - ( ) .",
        ));
    }
    Ok(Some(v.to_string()))
}

/// A search prefix, lower-cased; empty means none.
pub fn prefix(value: Option<&str>) -> CoreResult<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) if v.chars().count() > MAX_EMAIL => Err(CoreError::invalid(
            "too_long",
            "q",
            "search text is too long",
        )),
        Some(v) => Ok(Some(v.to_lowercase())),
    }
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(email("ann@example.com").is_ok());
        assert!(email("a.b+c@sub.example.org").is_ok());
        for bad in [
            "",
            "ann",
            "ann@",
            "@x.com",
            "ann@localhost",
            "a b@x.com",
            "a@@x.com",
            "a@x..com",
            "a@-x.com",
        ] {
            assert!(email(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn logins_and_names() {
        assert!(login("ann").is_ok());
        assert!(login("ann smith").is_err());
        assert!(login(&"a".repeat(MAX_LOGIN + 1)).is_err());
        assert!(name("name", "  ").is_err());
        assert_eq!(name("name", " Acme ").unwrap(), "Acme");
        assert!(name("name", "a\u{0}b").is_err());
    }

    #[test]
    fn phones() {
        assert_eq!(
            phone(Some(" +1 (555) 010-2000 ")).unwrap().as_deref(),
            Some("+1 (555) 010-2000")
        );
        assert!(phone(Some("call me")).is_err());
        assert_eq!(phone(Some("")).unwrap(), None);
    }
}
