//! Page data kept between views until the next write.
//!
//! Cross-platform pages (leadership dashboard and its charts, workbench, compliance matrix,
//! overdue list, drill-downs) and a platform's dashboard aggregate thousands of rows per view.
//! What they read is kept here under a key of the page, the viewer's data scope, the filters,
//! today's date and the **data version** — a counter every committed write advances (the write
//! path, `web::write`, and the findings refresh, `db::compliance`) and the guard reads with the
//! session in the same statement. So:
//! - a write is seen on the next view: its commit advances the version, the next request reads the
//!   new version and misses;
//! - no scope sees another's data: the scope is part of the key;
//! - memory is bounded: entries are weighed (roughly in rows) and the least recently used go first
//!   when the capacity is reached; entries of older versions are never asked for again and age out.
//!
//! Concurrent misses on one key compute once; the others wait for that result.

use std::any::Any;
use std::future::Future;
use std::sync::Arc;

use chrono::NaiveDate;

use super::auth::CurrentUser;
use crate::clock::today;
use crate::domain::scope::PlatformScope;
use crate::error::{AppError, AppResult};

/// What a cached value costs, in rows (about a quarter of a kilobyte each).
pub trait Cached: Send + Sync + 'static {
    fn rows(&self) -> usize;
}

/// Weight capacity of the cache, in rows (≈ 10 MB).
const CAPACITY_ROWS: u64 = 40_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    page: &'static str,
    scope: PlatformScope,
    version: i64,
    today: NaiveDate,
    params: String,
}

#[derive(Clone)]
struct Entry {
    rows: u64,
    value: Arc<dyn Any + Send + Sync>,
}

#[derive(Clone)]
struct ByRows;

impl quick_cache::Weighter<Key, Entry> for ByRows {
    fn weight(&self, _: &Key, entry: &Entry) -> u64 {
        entry.rows
    }
}

pub struct PageCache {
    entries: quick_cache::sync::Cache<Key, Entry, ByRows>,
}

impl Default for PageCache {
    fn default() -> Self {
        PageCache {
            entries: quick_cache::sync::Cache::with_weighter(1_000, CAPACITY_ROWS, ByRows),
        }
    }
}

impl PageCache {
    /// The value of `page` for the viewer's scope and `params` (the filters as the page understood
    /// them, plus anything else the value depends on), computed by `compute` unless a view since
    /// the last write computed it.
    pub async fn get<T, F>(
        &self,
        page: &'static str,
        user: &CurrentUser,
        params: String,
        compute: F,
    ) -> AppResult<Arc<T>>
    where
        T: Cached,
        F: Future<Output = AppResult<T>>,
    {
        let key = Key {
            page,
            scope: user.scope,
            version: user.data_version,
            today: today(),
            params,
        };
        let entry = self
            .entries
            .get_or_insert_async(&key, async {
                let value = compute.await?;
                Ok::<_, AppError>(Entry {
                    rows: 1 + value.rows() as u64,
                    value: Arc::new(value),
                })
            })
            .await?;
        entry.value.downcast::<T>().map_err(|_| {
            AppError::Internal(anyhow::anyhow!("cache entry of {page} has another type"))
        })
    }

    /// Rows held now (for tests and the benchmark's memory accounting).
    pub fn weight(&self) -> u64 {
        self.entries.weight()
    }
}

impl<T: Send + Sync + 'static> Cached for Vec<T> {
    fn rows(&self) -> usize {
        self.len()
    }
}

/// One page of a list and how many rows the whole list has.
pub struct Page<T> {
    pub rows: Vec<T>,
    pub total: i64,
}

impl<T: Send + Sync + 'static> Cached for Page<T> {
    fn rows(&self) -> usize {
        self.rows.len()
    }
}

/// A number (a list's count).
pub struct Count(pub i64);

impl Cached for Count {
    fn rows(&self) -> usize {
        0
    }
}
