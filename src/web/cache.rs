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

/// Shards of the cache, fixed: quick_cache's default (4 × the cores) would make a shard's
/// capacity — and so the largest entry it admits — depend on the machine.
const SHARDS: usize = 4;

/// The largest entry a shard admits (quick_cache refuses an entry heavier than a shard's hot
/// allocation, 97 % of its capacity): a page whose value is heavier is recomputed on every view,
/// so [`PageCache::get`] logs it. Pages keep digests (20 rows of a list, counts), not whole lists.
pub const MAX_ENTRY_ROWS: u64 = CAPACITY_ROWS / SHARDS as u64 * 97 / 100;

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
            entries: quick_cache::sync::Cache::with_options(
                quick_cache::OptionsBuilder::new()
                    .estimated_items_capacity(1_000)
                    .weight_capacity(CAPACITY_ROWS)
                    .shards(SHARDS)
                    .build()
                    .expect("valid cache options"),
                ByRows,
                Default::default(),
                Default::default(),
            ),
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
                let rows = 1 + value.rows() as u64;
                if rows > MAX_ENTRY_ROWS {
                    tracing::warn!(
                        page,
                        rows,
                        "too large for the page cache: recomputed on every view"
                    );
                }
                Ok::<_, AppError>(Entry {
                    rows,
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn viewer() -> CurrentUser {
        CurrentUser {
            id: 1,
            username: "staff".into(),
            display_name: "staff".into(),
            role: None,
            platform_id: None,
            jurisdiction_id: None,
            is_city_staff: true,
            scope: PlatformScope::All,
            csrf: String::new(),
            addr: None,
            unread_notices: 0,
            crumbs: Vec::new(),
            data_version: 7,
        }
    }

    /// How many times two views of a `rows`-row value compute it.
    async fn computations(rows: usize) -> usize {
        let cache = PageCache::default();
        let computed = AtomicUsize::new(0);
        for _ in 0..2 {
            let value = cache
                .get("page", &viewer(), String::new(), async {
                    computed.fetch_add(1, Ordering::SeqCst);
                    Ok(vec![0u8; rows])
                })
                .await
                .unwrap();
            assert_eq!(value.len(), rows);
        }
        computed.load(Ordering::SeqCst)
    }

    #[tokio::test]
    async fn an_entry_up_to_the_largest_a_shard_admits_is_kept_whatever_the_cores() {
        // The entry weighs its rows + 1.
        assert_eq!(computations(MAX_ENTRY_ROWS as usize - 1).await, 1);
        assert_eq!(computations(2_040).await, 1, "a city-wide matrix fits");
        assert_eq!(computations(MAX_ENTRY_ROWS as usize + 1).await, 2);
    }

    #[tokio::test]
    async fn another_data_version_or_scope_misses() {
        let cache = PageCache::default();
        let computed = AtomicUsize::new(0);
        let view = |user: CurrentUser| {
            let (cache, computed) = (&cache, &computed);
            async move {
                cache
                    .get("page", &user, String::new(), async {
                        computed.fetch_add(1, Ordering::SeqCst);
                        Ok(vec![1u8])
                    })
                    .await
                    .unwrap();
            }
        };
        view(viewer()).await;
        view(viewer()).await;
        assert_eq!(computed.load(Ordering::SeqCst), 1);
        view(CurrentUser {
            data_version: 8,
            ..viewer()
        })
        .await;
        view(CurrentUser {
            scope: PlatformScope::Jurisdiction(3),
            ..viewer()
        })
        .await;
        assert_eq!(computed.load(Ordering::SeqCst), 3);
    }
}
