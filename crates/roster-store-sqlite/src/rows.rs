//! How model values are stored and read back: ids as 16-byte blobs, everything else as
//! [`roster_store_sql::rows`] says, which this module passes on to the store's other modules.

use roster_core::Id;
pub(crate) use roster_store_sql::rows::*;

/// An id as stored: its 16 bytes (bytewise order is UUIDv7 time order).
pub(crate) fn blob(id: Id) -> Vec<u8> {
    id.as_bytes().to_vec()
}

/// An optional id as stored.
pub(crate) fn opt_blob(id: Option<Id>) -> Option<Vec<u8>> {
    id.map(blob)
}
