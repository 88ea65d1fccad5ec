//! What roster's two SQL stores share: how model values are stored and read back from a
//! result row of either database ([`rows`], over the per-database reading in [`row`]), and the
//! consistency rules that `roster verify` checks ([`verify`]). The queries that write and
//! look up rows stay in each store's crate, in that database's dialect.

pub mod row;
pub mod rows;
pub mod verify;
