//! Cursor paging: lists are ordered by id and continue after the last id seen.

use crate::ids::Id;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// The largest page a caller may ask for.
pub const MAX_LIMIT: u32 = 1000;
/// The page size when the caller names none.
pub const DEFAULT_LIMIT: u32 = 50;

/// A request for one page: at most `limit` rows with ids greater than `after`.
#[derive(Debug, Clone, Copy)]
pub struct PageReq {
    /// Continue after this id.
    pub after: Option<Id>,
    /// How many rows to return.
    pub limit: u32,
}

/// One page of results and the cursor for the next, if there is more.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The rows.
    pub items: Vec<T>,
    /// Opaque cursor for the next page.
    pub next_cursor: Option<String>,
}

impl PageReq {
    /// Parses a caller's `limit` and `cursor`.
    pub fn parse(limit: Option<u32>, cursor: Option<&str>) -> crate::CoreResult<Self> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(crate::CoreError::invalid(
                "invalid_limit",
                "limit",
                format!("limit must be between 1 and {MAX_LIMIT}"),
            ));
        }
        let after = match cursor {
            None | Some("") => None,
            Some(c) => Some(decode_cursor(c).ok_or_else(|| {
                crate::CoreError::invalid("invalid_cursor", "cursor", "the cursor is not valid")
            })?),
        };
        Ok(PageReq { after, limit })
    }

    /// The request the store receives: one row more than asked, to learn whether more exist.
    pub fn probe(&self) -> PageReq {
        PageReq {
            after: self.after,
            limit: self.limit + 1,
        }
    }

    /// Turns the store's rows (fetched with [`PageReq::probe`]) into a page.
    pub fn finish<T>(&self, mut rows: Vec<T>, id_of: impl Fn(&T) -> Id) -> Page<T> {
        let more = rows.len() > self.limit as usize;
        rows.truncate(self.limit as usize);
        let next_cursor = if more {
            rows.last().map(|r| encode_cursor(id_of(r)))
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
        }
    }
}

fn encode_cursor(id: Id) -> String {
    URL_SAFE_NO_PAD.encode(id.as_bytes())
}

fn decode_cursor(c: &str) -> Option<Id> {
    let bytes = URL_SAFE_NO_PAD.decode(c).ok()?;
    Id::from_slice(&bytes).ok()
}

impl<T> Page<T> {
    /// Applies `f` to every row, keeping the cursor.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_rejects_garbage() {
        let id = crate::new_id();
        let c = encode_cursor(id);
        assert_eq!(PageReq::parse(Some(10), Some(&c)).unwrap().after, Some(id));
        assert!(PageReq::parse(Some(10), Some("not a cursor!")).is_err());
        assert!(PageReq::parse(Some(0), None).is_err());
        assert!(PageReq::parse(Some(MAX_LIMIT + 1), None).is_err());
    }

    #[test]
    fn finish_sets_cursor_only_when_more_rows_exist() {
        let req = PageReq {
            after: None,
            limit: 2,
        };
        let ids: Vec<Id> = (0..3).map(|_| crate::new_id()).collect();
        let page = req.finish(ids.clone(), |i| *i);
        assert_eq!(page.items.len(), 2);
        assert!(page.next_cursor.is_some());
        let page = req.finish(ids[..2].to_vec(), |i| *i);
        assert!(page.next_cursor.is_none());
    }
}
