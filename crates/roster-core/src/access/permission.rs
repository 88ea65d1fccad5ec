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
    /// The permission that covers everything (`*:*`).
    pub const ALL: Permission = Permission {
        rtype: None,
        action: None,
    };

    /// `rtype:action`, both named.
    pub fn new(rtype: &str, action: &str) -> Self {
        Permission {
            rtype: Some(rtype.into()),
            action: Some(action.into()),
        }
    }

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

    /// Whether holding `self` gives `wanted`: each part of `self` is `*` or equal to the part
    /// of `wanted` (so only `*` covers a wanted `*`).
    pub fn covers(&self, wanted: &Permission) -> bool {
        covers_part(&self.rtype, &wanted.rtype) && covers_part(&self.action, &wanted.action)
    }

    /// Whether this permission gives `action` on a resource of type `rtype`.
    pub fn allows(&self, rtype: &str, action: &str) -> bool {
        self.rtype.as_deref().is_none_or(|t| t == rtype)
            && self.action.as_deref().is_none_or(|a| a == action)
    }
}

fn covers_part(held: &Option<Box<str>>, wanted: &Option<Box<str>>) -> bool {
    match (held, wanted) {
        (None, _) => true,
        (Some(h), Some(w)) => h == w,
        (Some(_), None) => false,
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
        let p = |s| Permission::parse(s).unwrap();
        assert!(p("*:*").covers(&p("device:read")));
        assert!(p("*:read").covers(&p("device:read")));
        assert!(p("device:*").covers(&p("device:write")));
        assert!(!p("device:read").covers(&p("device:write")));
        assert!(!p("device:*").covers(&p("*:*")));
        assert!(!p("*:read").covers(&p("*:*")));
        assert!(p("*:read").covers(&p("*:read")));
        assert!(p("read").allows("system", "read"));
        assert!(!p("read").allows("system", "write"));
    }
}
