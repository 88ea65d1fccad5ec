//! What roster's two SQL stores share: how model values are stored and read back from a
//! result row of either database ([`rows`], over the per-database reading in [`row`]), the
//! consistency rules that `roster verify` checks ([`verify`]), and the contract's transaction
//! methods, each handed to the store's function of the same subject ([`store_tx!`]). The
//! queries that write and look up rows stay in each store's crate, in that database's dialect.

pub mod row;
pub mod rows;
mod tx;
pub mod verify;
