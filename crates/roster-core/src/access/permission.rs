//! Permissions: `type:action`, where either part may be `*`; a bare `action` means `*:action`.

use std::fmt;

/// One permission, parsed. `None` stands for `*` (any).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Permission {
    /// The resource type, or any.
    pub rtype: Option<Box<str>>,
    /// The action, or any.
    pub action: Option<Box<str>>,
}

/// Why a permission's spelling was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed permission {0:?}: expected type:action, action or *, each part lower-case letters, digits, '-' or '_', or '*'")]
pub struct MalformedPermission(pub String);

impl Permission {
    /// Parses `type:action`, `*:action`, `type:*`, `*:*`, `action` or `*`.
    pub fn parse(s: &str) -> Result<Self, MalformedPermission> {
        let bad = || MalformedPermission(s.to_string());
        let (t, a) = match s.split_once(':') {
            Some((t, a)) => (t, a),
            None => ("*", s),
        };
        let part = |p: &str| -> Result<Option<Box<str>>, MalformedPermission> {
            if p == "*" {
                Ok(None)
            } else if is_name(p) {
                Ok(Some(p.into()))
            } else {
                Err(bad())
            }
        };
        Ok(Permission {
            rtype: part(t)?,
            action: part(a)?,
        })
    }
}

/// Whether `s` is a well-formed type or action name.
pub fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}",
            self.rtype.as_deref().unwrap_or("*"),
            self.action.as_deref().unwrap_or("*")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Wanted;

    #[test]
    fn spellings_parse_to_their_canonical_form() {
        for (input, canonical) in [
            ("device:read", "device:read"),
            ("read", "*:read"),
            ("*", "*:*"),
            ("*:*", "*:*"),
            ("service:*", "service:*"),
            ("resource-group:update", "resource-group:update"),
        ] {
            assert_eq!(Permission::parse(input).unwrap().to_string(), canonical);
        }
        for bad in [
            "",
            ":",
            "device:",
            ":read",
            "Device:read",
            "a:b:c",
            "de vice:read",
        ] {
            assert!(Permission::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn only_a_wildcard_covers_a_wildcard() {
        let p = |s: &str| Permission::parse(s).unwrap();
        // Whether holding the first gives the second.
        let covers = |held: &str, wanted: &str| Wanted::of(&p(wanted)).covered_by(&p(held));
        assert!(covers("*:*", "device:read"));
        assert!(covers("*:read", "device:read"));
        assert!(covers("device:*", "device:write"));
        assert!(!covers("device:read", "device:write"));
        assert!(!covers("device:*", "*:*"));
        assert!(!covers("*:read", "*:*"));
        assert!(covers("*:read", "*:read"));
        assert!(Wanted::new("system", "read").covered_by(&p("read")));
        assert!(!Wanted::new("system", "write").covered_by(&p("read")));
    }
}
