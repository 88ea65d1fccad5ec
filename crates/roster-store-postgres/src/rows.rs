//! How model values are stored and read back: ids as `uuid`, everything else as
//! [`roster_store_sql::rows`] says, which this module passes on to the store's other modules.

pub(crate) use roster_store_sql::rows::*;
