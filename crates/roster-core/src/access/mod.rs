//! The access model's decision engine: permissions, the built-in types and roles, the
//! in-memory index of who holds what where, the decisions over it, and how the index follows
//! the database.

pub mod builtin;
mod decide;
mod engine;
mod index;
mod names;
mod permission;
#[cfg(test)]
mod tests;

pub use decide::{DenyReason, Explanation, NodeRoots, Reaching, Step, Wanted};
pub use engine::AccessEngine;
pub use index::{AccessIndex, Facts, IndexSizes};
pub use permission::{is_name, MalformedPermission, Permission};

/// Microseconds since the Unix epoch of `t`: the clock decisions are asked at.
pub fn micros(t: crate::Timestamp) -> i64 {
    t.timestamp_micros()
}
