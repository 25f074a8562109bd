//! The one error type. Every variant renders a Chinese error page with the right status;
//! internal detail is logged once, inside the request span, and never shown.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

pub type AppResult<T> = Result<T, AppError>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    /// A request no form of ours would send (the message is shown: keep it Chinese and safe).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The security token of a form was missing or wrong, or the origin was foreign.
    #[error("csrf check failed")]
    Csrf,
    /// The database could not be reached in time.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                AppError::Unavailable(e.to_string())
            }
            sqlx::Error::Database(ref db) if db.code().as_deref() == Some("57014") => {
                AppError::Unavailable(e.to_string()) // statement timeout
            }
            other => AppError::Internal(other.into()),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub status: u16,
    pub title: &'static str,
    pub message: String,
}

impl AppError {
    fn parts(&self) -> (StatusCode, &'static str, String) {
        match self {
            AppError::NotFound => (
                StatusCode::NOT_FOUND,
                "页面不存在",
                "您访问的页面或记录不存在。".into(),
            ),
            AppError::Forbidden => (
                StatusCode::FORBIDDEN,
                "无权访问",
                "您的账户无权访问此页面或执行此操作。如需权限，请联系安全管理员。".into(),
            ),
            AppError::BadRequest(msg) => (StatusCode::BAD_REQUEST, "请求无效", msg.clone()),
            AppError::Csrf => (
                StatusCode::FORBIDDEN,
                "请求已失效",
                "表单安全校验未通过（页面可能已过期）。请返回上一页，刷新后重新提交。".into(),
            ),
            AppError::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "服务暂不可用",
                "系统繁忙或数据库暂不可用，请稍后重试。".into(),
            ),
            AppError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "系统错误",
                "系统处理请求时出错，请稍后重试。问题已记录。".into(),
            ),
        }
    }
}

/// Renders a status page (also used for the router's own 404 fallback).
pub fn error_page(status: StatusCode, title: &'static str, message: String) -> Response {
    let page = ErrorPage {
        status: status.as_u16(),
        title,
        message,
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, title).into_response(),
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match &self {
            AppError::Internal(e) => tracing::error!(error = ?e, "internal error"),
            AppError::Unavailable(e) => tracing::warn!(error = %e, "service unavailable"),
            other => tracing::info!(error = %other, "request refused"),
        }
        let (status, title, message) = self.parts();
        error_page(status, title, message)
    }
}
