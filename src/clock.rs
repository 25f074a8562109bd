//! The one place that reads the wall clock for dates: [`today`] is Beijing's date now
//! ([`crate::domain::calendar::today_beijing`] of `Utc::now()`). Handlers, jobs and queries call it and
//! pass the date down; the domain never reads the clock.

use chrono::{NaiveDate, Utc};

use crate::domain::calendar::today_beijing;

/// Today in Beijing (Asia/Shanghai).
pub fn today() -> NaiveDate {
    today_beijing(Utc::now())
}
