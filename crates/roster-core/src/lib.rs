//! roster-core: the domain, the service functions (one per use case), the interim
//! authorisation rules and the store contract. It knows no HTTP and no SQL.

pub mod access;
pub mod authz;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod error;
pub mod ids;
mod lists;
pub mod mail;
pub mod model;
pub mod page;
pub mod password;
pub mod policy;
pub mod secret;
pub mod service;
pub mod store;
pub mod validate;
mod yield_ticks;

pub use authz::Actor;
pub use error::{CoreError, CoreResult};
pub use ids::{new_id, now, Id, Timestamp, SYSTEM_NODE_ID};
pub use service::{Ctx, Service, ServiceSettings};
