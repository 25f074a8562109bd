//! Helpers shared by pages: extractors with Chinese rejections, query strings, year and field checks.

use crate::domain::calendar::YEARS;
use crate::error::{AppError, AppResult};

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

/// A year from a path or query: within [`YEARS`], else the page does not exist (404).
pub fn valid_year(year: i32) -> AppResult<i32> {
    if YEARS.contains(&year) {
        Ok(year)
    } else {
        Err(AppError::NotFound)
    }
}

/// The year a page asks for (`?year=`), this year when none: a year outside [`YEARS`] is a 404.
pub fn year_or_current(year: Option<i32>) -> AppResult<i32> {
    use chrono::Datelike;
    valid_year(year.unwrap_or_else(|| crate::clock::today().year()))
}

/// An empty form field means "none".
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

/// An upload the server cannot read (a broken multipart body).
pub fn bad_upload() -> AppError {
    AppError::BadRequest("上传的表单内容无效，请返回上一页重新选择文件后提交。".into())
}

/// A multipart file field's bytes, at most `max` of them: `None` when the file is larger (or the
/// body was cut at the route's limit), for the page to say the file is too large.
pub async fn file_bytes(
    field: &mut axum::extract::multipart::Field<'_>,
    max: usize,
) -> AppResult<Option<Vec<u8>>> {
    let mut bytes = Vec::new();
    loop {
        match field.chunk().await {
            Ok(Some(chunk)) if bytes.len() + chunk.len() > max => return Ok(None),
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            Ok(None) => return Ok(Some(bytes)),
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => return Ok(None),
            Err(_) => return Err(bad_upload()),
        }
    }
}
