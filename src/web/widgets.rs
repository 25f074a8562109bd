//! The small pieces many pages share: `<select>` options, pagination, the year selector, and the
//! rows of a "somebody else saved first" conflict page. One definition each; features import
//! them from here.

use crate::domain::calendar::YEARS;

/// A `<select>` option.
pub struct Opt {
    pub value: String,
    pub label: String,
}

/// The options of an enum: its codes and Chinese labels, in order.
pub fn enum_options<T: Copy>(
    all: &[T],
    code: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<Opt> {
    all.iter()
        .map(|&v| Opt {
            value: code(v).into(),
            label: label(v).into(),
        })
        .collect()
}

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

/// A year of the year selector.
pub struct YearLink {
    pub year: i32,
    pub selected: bool,
}

/// The year selector: each year once, in order, with the selected one marked.
pub fn year_links(mut years: Vec<i32>, selected: i32) -> Vec<YearLink> {
    years.sort_unstable();
    years.dedup();
    years
        .into_iter()
        .filter(|y| YEARS.contains(y))
        .map(|year| YearLink {
            year,
            selected: year == selected,
        })
        .collect()
}

/// One line of a conflict page: what the user sent against what is saved now.
pub struct ConflictRow {
    pub label: String,
    pub mine: String,
    pub theirs: String,
    pub differs: bool,
}

impl Pagination {
    /// The page's key in the page cache: the filters of the list, the page and its size.
    pub fn cache_key(&self) -> String {
        format!(
            "{}&page={}&size={}",
            self.base_query, self.page, self.per_page
        )
    }
}

/// `?page=&size=` of a list without filters.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct PageQuery {
    pub page: Option<i64>,
    pub size: Option<i64>,
}

impl PageQuery {
    /// The pagination it asks for, `per_page` rows a page unless a size was chosen.
    pub fn pagination(&self, per_page: i64) -> Pagination {
        Pagination::new(self.page, per_page, String::new()).with_size(self.size)
    }
}

/// `?notice=` of a page a write redirected to: the code of its flash message.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct NoticeQuery {
    pub notice: String,
}

/// The query of a yearly page: `?year=` (this year when absent) and the redirect's `&notice=`.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct YearQuery {
    pub year: Option<i32>,
    pub notice: String,
}
