//! Identifiers and timestamps shared by every layer.

use chrono::{DateTime, SubsecRound, Utc};
use uuid::Uuid;

/// An object id: a UUIDv7, unique across all kinds, so a bare id names any object.
pub type Id = Uuid;

/// A point in time, in UTC, with microsecond precision (what both stores keep).
pub type Timestamp = DateTime<Utc>;

/// The id of the install's root org node, which owns the system administrators.
pub const SYSTEM_NODE_ID: Id = Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0001);

/// A fresh, time-ordered id.
pub fn new_id() -> Id {
    Uuid::now_v7()
}

/// The current time, truncated to microseconds so that it survives a round trip through a store.
pub fn now() -> Timestamp {
    Utc::now().trunc_subsecs(6)
}
