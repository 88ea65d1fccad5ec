//! The domain objects: org nodes, users, groups, memberships, tokens, audit events and the
//! access model (resources, projects, roles, grants).

mod access;
mod audit;
mod factor;
mod group;
mod org;
mod setting;
mod token;
mod user;

pub use access::{
    AccessChange, AccessKind, AccessSnapshot, AccessUser, Effect, Grant, GrantQuery, OwnedQuery,
    Project, Resource, ResourceGroup, ResourceQuery, ResourceType, Role, ScopeKind, SubjectKind,
};
pub use audit::{AuditEvent, AuditQuery};
pub use factor::{SignInState, TotpFactor};
pub use group::{Group, GroupKind, GroupLevel, GroupQuery, Membership};
pub use org::{OrgKind, OrgNode, OrgQuery};
pub use setting::Setting;
pub use token::{TokenKind, TokenRecord};
pub use user::{User, UserKind, UserQuery, UserStatus};

/// Declares a string-backed enum with `as_str` and `parse`, so stores and APIs agree on names.
macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            /// The stable name of this value.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }
            /// Parses a stable name.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some($name::$variant),)+ _ => None }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::parse(&s).ok_or_else(|| serde::de::Error::unknown_variant(&s, &[$($s),+]))
            }
        }
    };
}
pub(crate) use string_enum;
