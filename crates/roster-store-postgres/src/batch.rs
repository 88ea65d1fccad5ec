//! [`Store::write_batch`](roster_core::store::Store::write_batch) in one round trip.
//!
//! A transaction of separate statements costs a round trip to the server for `BEGIN`, for
//! each statement and for `COMMIT`. A batch is sent instead as one statement whose writes are
//! data-modifying `WITH` clauses: PostgreSQL runs them all in the statement's own
//! transaction, so they apply together or, when one fails, not at all.
//!
//! The clauses of one statement run on one snapshot, in no set order, and must not change the
//! same row twice; a batch with two counter writes on one key, or with a password hash's
//! upgrade, therefore takes the transaction of
//! [`Store::write_batch`](roster_core::store::Store::write_batch)'s default.

use crate::error::db_err;
use crate::{audit, throttle, tokens};
use roster_core::store::{BatchWrite, StoreResult};
use sqlx::{PgPool, Postgres, QueryBuilder};
use std::collections::HashSet;

/// The batch as one statement, or `None` when its writes cannot share one (see the module's
/// documentation).
fn statement<'a>(writes: &[BatchWrite<'a>]) -> StoreResult<Option<QueryBuilder<'a, Postgres>>> {
    let mut keys = HashSet::new();
    let mut q = QueryBuilder::new("WITH ");
    for (i, write) in writes.iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.push(format_args!("w{i} AS ("));
        match *write {
            BatchWrite::ClearLoginAttempts(key) => {
                if !keys.insert(key) {
                    return Ok(None);
                }
                throttle::push_clear(&mut q, key);
            }
            BatchWrite::CountLoginAttempt {
                key,
                at,
                window_start,
            } => {
                if !keys.insert(key) {
                    return Ok(None);
                }
                throttle::push_count(&mut q, key, at, window_start);
            }
            BatchWrite::InsertSignInToken { token, hash } => {
                tokens::push_insert(&mut q, token, hash, true)
            }
            BatchWrite::Audit(event) => audit::push_insert(&mut q, std::slice::from_ref(event))?,
            // It changes the users row that a sign-in token's insert locks, and one statement
            // cannot do both to one row: the lock would find the row changed and fail.
            BatchWrite::UpgradePasswordHash { .. } => return Ok(None),
        }
        q.push(")");
    }
    q.push(" SELECT 1");
    Ok(Some(q))
}

/// Applies `writes` as one statement on `pool`; `false` when they need a transaction
/// instead (nothing was written then).
pub(crate) async fn write(pool: &PgPool, writes: &[BatchWrite<'_>]) -> StoreResult<bool> {
    if writes.is_empty() {
        return Ok(true);
    }
    let Some(mut q) = statement(writes)? else {
        return Ok(false);
    };
    q.build().execute(pool).await.map_err(db_err)?;
    Ok(true)
}
