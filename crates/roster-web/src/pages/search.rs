//! A searched list's query string (`?q=…&cursor=…`): the text searched for, the page it asks
//! for, and the query strings of the first and next pages, which the list's links carry.

use crate::form::FormData;
use roster_core::page::PageReq;
use roster_core::CoreError;

/// The search text and cursor of a list request.
pub struct Search {
    /// What was typed in the search box; empty when nothing was.
    pub q: String,
    cursor: Option<String>,
}

impl Search {
    /// Reads `q` and `cursor` from a raw query string.
    pub fn parse(raw: Option<&str>) -> Self {
        let f = FormData::parse(raw.unwrap_or_default().as_bytes());
        Search {
            q: f.get("q").unwrap_or_default(),
            cursor: f.get("cursor"),
        }
    }

    /// The search text, when there is one.
    pub fn text(&self) -> Option<&str> {
        Some(self.q.as_str()).filter(|q| !q.is_empty())
    }

    /// The page asked for, `size` rows long; a malformed cursor is an error.
    pub fn page(&self, size: u32) -> Result<PageReq, CoreError> {
        PageReq::parse(Some(size), self.cursor.as_deref())
    }

    /// The query string of the first page of the same search, when this is a later page.
    pub fn first(&self) -> Option<String> {
        self.cursor.as_ref().map(|_| query(&self.q, None))
    }

    /// The query string of the page after this one, when the list named its cursor.
    pub fn next(&self, cursor: Option<String>) -> Option<String> {
        cursor.map(|c| query(&self.q, Some(&c)))
    }
}

/// The query string of a search for `q` at `cursor`.
fn query(q: &str, cursor: Option<&str>) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    if !q.is_empty() {
        out.append_pair("q", q);
    }
    if let Some(c) = cursor {
        out.append_pair("cursor", c);
    }
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid cursor: the base64url of an id's 16 bytes.
    const CURSOR: &str = "AAAAAAAAAAAAAAAAAAAAAA";

    #[test]
    fn links_keep_the_search_text_and_move_the_cursor() {
        let first = Search::parse(Some("q=a%26b+c"));
        assert_eq!(first.text(), Some("a&b c"));
        assert_eq!(
            first.first(),
            None,
            "the first page has no link back to itself"
        );
        assert_eq!(first.next(None), None, "nothing after the last page");
        assert_eq!(
            first.next(Some(CURSOR.into())).as_deref(),
            Some("q=a%26b+c&cursor=AAAAAAAAAAAAAAAAAAAAAA")
        );

        let later = Search::parse(Some("q=a%26b+c&cursor=AAAAAAAAAAAAAAAAAAAAAA"));
        assert_eq!(later.first().as_deref(), Some("q=a%26b+c"));
        assert!(later.page(20).is_ok());

        let nothing = Search::parse(None);
        assert_eq!(nothing.text(), None);
        assert_eq!(
            nothing.next(Some(CURSOR.into())).as_deref(),
            Some("cursor=AAAAAAAAAAAAAAAAAAAAAA")
        );
        assert!(Search::parse(Some("cursor=%21%21")).page(20).is_err());
    }
}
