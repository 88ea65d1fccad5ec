//! A short-lived cache of authenticated tokens, so that a program calling `check` thousands of
//! times a second does not read its token from the database each time.
//!
//! An entry is trusted only while the access index is at the version it was cached at and for
//! at most [`TOKEN_CACHE_TTL`]. Every way a token or its user stops being valid (logout, ended
//! sessions, revoked tokens, password changes, disabling, deleting) records an access change,
//! so on this node the next request reads the database again; other nodes follow within
//! their access poll interval.

use crate::authz::Actor;
use crate::ids::Timestamp;
use parking_lot::RwLock;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long an authenticated token is trusted without reading the database again.
pub const TOKEN_CACHE_TTL: Duration = Duration::from_secs(1);

/// The most tokens kept; beyond it the cache starts afresh.
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Clone)]
struct Entry {
    actor: Actor,
    kind: crate::model::TokenKind,
    expires_at: Timestamp,
    version: i64,
    cached_at: Instant,
}

/// Token hashes to the actors they authenticated.
#[derive(Debug, Default)]
pub(super) struct TokenCache {
    entries: RwLock<HashMap<[u8; 32], Entry>>,
}

impl TokenCache {
    /// The actor for `hash`, if cached at access version `version`, still fresh, of one of
    /// `kinds`, and not expired at `at`.
    pub(super) fn get(
        &self,
        hash: &[u8; 32],
        kinds: &[crate::model::TokenKind],
        version: i64,
        at: Timestamp,
    ) -> Option<Actor> {
        let entries = self.entries.read();
        let e = entries.get(hash)?;
        (e.version == version
            && e.cached_at.elapsed() < TOKEN_CACHE_TTL
            && kinds.contains(&e.kind)
            && e.expires_at > at)
            .then(|| e.actor.clone())
    }

    /// Remembers that `hash` authenticated `actor` at access version `version`.
    pub(super) fn put(
        &self,
        hash: [u8; 32],
        actor: &Actor,
        kind: crate::model::TokenKind,
        expires_at: Timestamp,
        version: i64,
    ) {
        let mut entries = self.entries.write();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            hash,
            Entry {
                actor: actor.clone(),
                kind,
                expires_at,
                version,
                cached_at: Instant::now(),
            },
        );
    }
}
