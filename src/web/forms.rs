//! Helpers shared by pages: extractors with Chinese rejections, pagination, query strings.

use crate::domain::calendar::YEARS;
use crate::error::{AppError, AppResult};

/// The highest page number a link may ask for (any larger one shows the last page's
/// neighbourhood: empty, never an arithmetic overflow).
pub const MAX_PAGE: i64 = 1_000_000;

/// The page sizes offered on every long list.
pub const PAGE_SIZES: &[i64] = &[20, 50, 100];

/// Page numbers are 1-based; `per_page` is fixed per list.
#[derive(Debug, Clone)]
pub struct Pagination {
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
    /// The current query string without `page=`, to build page links.
    pub base_query: String,
}

impl Pagination {
    pub fn new(page: Option<i64>, per_page: i64, base_query: String) -> Pagination {
        Pagination {
            page: page.unwrap_or(1).clamp(1, MAX_PAGE),
            per_page,
            total: 0,
            base_query,
        }
    }
    /// The page size the user chose (`size=` of [`PAGE_SIZES`]), else the list's own; kept
    /// in the page links.
    pub fn with_size(mut self, size: Option<i64>) -> Pagination {
        if let Some(size) = size.filter(|s| PAGE_SIZES.contains(s)) {
            if size != self.per_page {
                let sep = if self.base_query.is_empty() { "" } else { "&" };
                self.base_query = format!("{}{sep}size={size}", self.base_query);
            }
            self.per_page = size;
        }
        self
    }
    /// The page sizes a user may choose.
    pub fn sizes(&self) -> &'static [i64] {
        PAGE_SIZES
    }
    /// The query's fields other than `page` and `size`, for the page-jump form.
    pub fn kept_fields(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(self.base_query.as_bytes())
            .filter(|(k, _)| k != "page" && k != "size")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }
    pub fn offset(&self) -> i64 {
        (self.page - 1).saturating_mul(self.per_page)
    }
    pub fn pages(&self) -> i64 {
        ((self.total + self.per_page - 1) / self.per_page).max(1)
    }
    pub fn has_prev(&self) -> bool {
        self.page > 1
    }
    pub fn has_next(&self) -> bool {
        self.page < self.pages()
    }
    pub fn href(&self, page: i64) -> String {
        if self.base_query.is_empty() {
            format!("?page={page}")
        } else {
            format!("?{}&page={page}", self.base_query)
        }
    }
    pub fn prev_href(&self) -> String {
        self.href(self.page - 1)
    }
    pub fn next_href(&self) -> String {
        self.href(self.page + 1)
    }
    pub fn first_item(&self) -> i64 {
        if self.total == 0 {
            0
        } else {
            self.offset() + 1
        }
    }
    pub fn last_item(&self) -> i64 {
        (self.offset() + self.per_page).min(self.total)
    }
}

/// A query string from non-empty pairs.
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        if !v.is_empty() {
            ser.append_pair(k, v);
        }
    }
    ser.finish()
}

/// An empty form field means "none".
/// A year from a path or query: within [`YEARS`], else the page does not exist (404).
pub fn valid_year(year: i32) -> AppResult<i32> {
    if YEARS.contains(&year) {
        Ok(year)
    } else {
        Err(AppError::NotFound)
    }
}

pub fn non_empty(s: &str) -> Option<&str> {
    let s = s.trim();
    (!s.is_empty()).then_some(s)
}

/// `axum::Form`, with a Chinese error page when the body does not parse.
#[derive(axum::extract::FromRequest)]
#[from_request(via(axum::Form), rejection(AppError))]
pub struct Form<T>(pub T);

/// `axum::extract::Query`, with a Chinese error page when the query does not parse.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct Query<T>(pub T);

/// `axum::extract::Path`; an id that does not parse is a page that does not exist.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct Path<T>(pub T);

impl From<axum::extract::rejection::FormRejection> for AppError {
    fn from(_: axum::extract::rejection::FormRejection) -> Self {
        AppError::BadRequest("提交的表单内容无效，请返回上一页检查后重试。".into())
    }
}

impl From<axum::extract::rejection::QueryRejection> for AppError {
    fn from(_: axum::extract::rejection::QueryRejection) -> Self {
        AppError::BadRequest("链接中的查询条件无效。".into())
    }
}

impl From<axum::extract::rejection::PathRejection> for AppError {
    fn from(_: axum::extract::rejection::PathRejection) -> Self {
        AppError::NotFound
    }
}
