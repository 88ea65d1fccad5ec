//! [`Store::write_batch`](roster_core::store::Store::write_batch) and
//! [`Store::count_sign_in_attempt`](roster_core::store::Store::count_sign_in_attempt), each in
//! one round trip.
//!
//! sqlx runs each SQLite connection on a thread of its own, and every command (`BEGIN`, each
//! statement, `COMMIT`) is a hand-off to that thread and back: tens of microseconds each on
//! a small machine. A batch is sent as one multi-statement command that opens, fills and
//! commits its own transaction, so it costs one hand-off however many writes it holds.
//!
//! The transaction is opened in the SQL text, where sqlx does not see it, so two things that
//! sqlx's own transactions take care of are done here instead:
//! - when a statement fails, the rest are not run, and `ROLLBACK` is sent before the
//!   connection goes back to its set; if the `ROLLBACK` fails too, the connection is closed
//!   instead (the next borrower opens a new one);
//! - the batch runs in a task of its own, so that a caller that stops waiting (a client gone
//!   mid-request) cannot return the connection with the transaction open, and a panic in the
//!   task closes the connection rather than returning it.

use crate::connections::{Connections, Lease};
use crate::error::{db_err, other};
use crate::{audit, settings, throttle, tokens, users};
use roster_core::store::{BatchWrite, SignInAttempt, SignInCount, StoreResult};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};
use std::sync::Arc;
use tracing::Instrument;

/// The writer connection while a batch may have its transaction open: dropped before
/// [`Open::release`] (by a panic), it closes the connection instead of returning it.
struct Open(Option<Lease>);

impl Open {
    /// The connection, for the batch's statements.
    fn conn(&mut self) -> &mut Lease {
        self.0.as_mut().expect("held until released")
    }

    /// Returns the connection to its set when `clean` (out of any transaction); otherwise
    /// dropping the guard closes it.
    fn release(mut self, clean: bool) {
        if clean {
            self.0.take();
        }
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        if let Some(conn) = self.0.take() {
            conn.discard();
        }
    }
}

/// Applies `writes` in one write transaction on the `writer` connection.
pub(crate) async fn write(writer: &Arc<Connections>, writes: &[BatchWrite<'_>]) -> StoreResult<()> {
    let mut q: QueryBuilder<'static, Sqlite> = QueryBuilder::new("BEGIN IMMEDIATE; ");
    for write in writes {
        match *write {
            BatchWrite::ClearLoginAttempts(key) => throttle::push_clear(&mut q, key),
            BatchWrite::CountLoginAttempt {
                key,
                at,
                window_start,
            } => throttle::push_count(&mut q, key, at, window_start),
            BatchWrite::InsertSignInToken { token, hash } => {
                tokens::push_insert(&mut q, token, hash, true)
            }
            BatchWrite::Audit(event) => audit::push_insert(&mut q, std::slice::from_ref(event))?,
            BatchWrite::UpgradePasswordHash { user, from, to } => {
                users::push_upgrade_hash(&mut q, user, from, to)
            }
        }
        q.push("; ");
    }
    q.push("COMMIT");
    run(writer, q).await.map(drop)
}

/// [`Store::count_sign_in_attempt`](roster_core::store::Store::count_sign_in_attempt) in one
/// round trip: the count ([`throttle::push_count_answered`]), the address's count and the
/// sign-in state, each one row, in that order.
pub(crate) async fn count_sign_in_attempt(
    writer: &Arc<Connections>,
    attempt: &SignInAttempt<'_>,
) -> StoreResult<SignInCount> {
    let mut q: QueryBuilder<'static, Sqlite> = QueryBuilder::new("BEGIN IMMEDIATE; ");
    throttle::push_count_answered(&mut q, attempt.account, attempt.at, attempt.window_start);
    q.push("; ");
    if let Some(key) = attempt.address {
        throttle::push_attempts(&mut q, key, attempt.window_start);
        q.push("; ");
    }
    if let Some((user, scope, policy)) = attempt.state_of {
        settings::push_sign_in_state(&mut q, user, scope, policy);
        q.push("; ");
    }
    q.push("COMMIT");
    let rows = run(writer, q).await?;
    let mut rows = rows.iter();
    let mut next = || {
        rows.next()
            .ok_or_else(|| other("a sign-in count's answer is short"))
    };
    let account = next()?.try_get(0).map_err(db_err)?;
    let address = match attempt.address {
        Some(_) => next()?.try_get(0).map_err(db_err)?,
        None => 0,
    };
    let state = match attempt.state_of {
        Some(_) => Some(settings::sign_in_state_row(next()?)?),
        None => None,
    };
    Ok(SignInCount {
        account,
        address,
        state,
    })
}

/// Runs `q`, which opens, fills and commits its own transaction, on the `writer`
/// connection, and answers the rows its statements returned, in order.
async fn run(
    writer: &Arc<Connections>,
    mut q: QueryBuilder<'static, Sqlite>,
) -> StoreResult<Vec<SqliteRow>> {
    let writer = Arc::clone(writer);
    let task = async move {
        let mut open = Open(Some(writer.lease().await?));
        let result = q.build().fetch_all(&mut **open.conn()).await;
        let clean = match result {
            Ok(_) => true,
            // SQLite answers "no transaction is active" when it rolled back by itself (or
            // `BEGIN` failed); either way nothing is left open. Anything else: close.
            Err(_) => match sqlx::query("ROLLBACK").execute(&mut **open.conn()).await {
                Ok(_) => true,
                Err(e) => e.to_string().contains("no transaction is active"),
            },
        };
        open.release(clean);
        result.map_err(db_err)
    };
    match tokio::spawn(task.instrument(tracing::Span::current())).await {
        Ok(result) => result,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(other(format!("write batch stopped: {e}"))),
    }
}
