//! One paging style for every list: `?page=N&per_page=M` in, `{"items", "total", "page", "per_page"}` out;
//! a list not counted answers `{"items", "page", "per_page"}` ([`Window`]); a short list that is never paged
//! answers `{"items"}` ([`Items`]).

use serde::Serialize;

/// No list is paged deeper than this many rows: deeper pages are refused rather than computed.
const MAX_OFFSET: i64 = 10_000_000;

/// A page asked for that cannot be given (400 naming the field).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct PagingRefused {
    pub field: &'static str,
    pub message: String,
}

/// A page asked for, checked: `page` from 1, `per_page` from 1 to the list's maximum.
#[derive(Debug, Clone, Copy)]
pub struct Paging {
    pub page: i64,
    pub per_page: i64,
}

impl Paging {
    /// Checks the query's `page` and `per_page` (defaults 1 and `default_per_page`).
    pub fn new(
        page: Option<i64>,
        per_page: Option<i64>,
        default_per_page: i64,
        max_per_page: i64,
    ) -> Result<Paging, PagingRefused> {
        let per_page = per_page.unwrap_or(default_per_page);
        if !(1..=max_per_page).contains(&per_page) {
            return Err(PagingRefused {
                field: "per_page",
                message: format!("每页条数应在1到{max_per_page}之间"),
            });
        }
        let page = page.unwrap_or(1);
        let last = MAX_OFFSET / per_page + 1;
        if !(1..=last).contains(&page) {
            return Err(PagingRefused {
                field: "page",
                message: format!("页码应在1到{last}之间"),
            });
        }
        Ok(Paging { page, per_page })
    }

    /// Rows to skip (cannot overflow: bounded by `MAX_OFFSET`).
    pub fn offset(self) -> i64 {
        (self.page - 1) * self.per_page
    }

    pub fn limit(self) -> i64 {
        self.per_page
    }

    /// The response envelope for this page's items.
    pub fn page<T: Serialize>(self, items: Vec<T>, total: i64) -> Page<T> {
        Page {
            items,
            total,
            page: self.page,
            per_page: self.per_page,
        }
    }

    /// The response envelope for this page's items, of a list whose total is not counted.
    pub fn window<T: Serialize>(self, items: Vec<T>) -> Window<T> {
        Window {
            items,
            page: self.page,
            per_page: self.per_page,
        }
    }
}

/// A page of a list.
#[derive(Debug, Serialize, serde::Deserialize)]
pub struct Page<T: Serialize> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// A page of a list that is not counted: a release's records are read page by page, and counting them
/// for every page would cost more than the page itself.
#[derive(Debug, Serialize)]
pub struct Window<T: Serialize> {
    pub items: Vec<T>,
    pub page: i64,
    pub per_page: i64,
}

/// A whole list, not paged (short lists: a district's cycles, the districts of the platform).
#[derive(Debug, Serialize, serde::Deserialize)]
pub struct Items<T: Serialize> {
    pub items: Vec<T>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_out_of_range_are_refused_without_overflow() {
        assert!(Paging::new(Some(i64::MAX), Some(200), 50, 200).is_err());
        assert!(Paging::new(Some(0), None, 50, 200).is_err());
        assert!(Paging::new(None, Some(201), 50, 200).is_err());
        let p = Paging::new(Some(3), Some(20), 50, 200).map(Paging::offset);
        assert_eq!(p.ok(), Some(40));
    }
}
