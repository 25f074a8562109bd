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
    /// The database could not be reached in time, is shutting down, or a lock wait timed out.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// The same form was submitted before: the first submission's result (where it led).
    #[error("form submitted before")]
    Resubmitted(Option<String>),
    /// An irreversible step passed validation and must be confirmed: the confirmation page.
    #[error("confirmation asked")]
    Confirm(String),
    /// The request is well-formed but the record's state refuses it now (an archived dossier,
    /// a step already taken): a 409 page with a Chinese title and message saying why.
    #[error("conflict: {title}")]
    Conflict {
        title: &'static str,
        message: String,
    },
    /// Too many requests from this client (sign-in rate limit).
    #[error("too many requests")]
    TooManyRequests,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::Io(_)
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => AppError::Unavailable(e.to_string()),
            sqlx::Error::Database(ref db) => {
                let code = db.code().unwrap_or_default();
                match sql_state_class(&code) {
                    SqlState::Unavailable => AppError::Unavailable(e.to_string()),
                    SqlState::BadInput(msg) => {
                        tracing::warn!(error = %e, "input refused by the database");
                        AppError::BadRequest(msg.into())
                    }
                    SqlState::Other => AppError::Internal(e.into()),
                }
            }
            other => AppError::Internal(other.into()),
        }
    }
}

enum SqlState {
    Unavailable,
    BadInput(&'static str),
    Other,
}

/// What a PostgreSQL error code means for the client: the server is (briefly) unavailable, or
/// the request carried a value the database refuses (never a 500 for what a client sent).
fn sql_state_class(code: &str) -> SqlState {
    match code {
        // statement timeout, admin/crash shutdown, cannot connect now, lock not available,
        // serialization failure / deadlock (retry), too many connections
        "57014" | "57P01" | "57P02" | "57P03" | "55P03" | "40001" | "40P01" | "53300" => {
            SqlState::Unavailable
        }
        c if c.starts_with("08") => SqlState::Unavailable,
        "23503" => SqlState::BadInput("所选的记录不存在或已被删除，请刷新页面后重试。"),
        "23505" => SqlState::BadInput("该记录已存在，请勿重复提交。"),
        "23502" | "23514" => SqlState::BadInput("提交的内容不完整或不符合要求，请返回检查后重试。"),
        // data exceptions: out-of-range numbers and dates, bad encodings (NUL), bad text
        c if c.starts_with("22") => {
            SqlState::BadInput("提交的内容包含无效的字符或超出范围的数值，请返回检查后重试。")
        }
        _ => SqlState::Other,
    }
}

impl AppError {
    /// The 409 refusal: `title` heads the page, `message` says why and what to do.
    pub fn conflict(title: &'static str, message: impl Into<String>) -> Self {
        AppError::Conflict {
            title,
            message: message.into(),
        }
    }
}

impl From<crate::password_hash::Busy> for AppError {
    fn from(_: crate::password_hash::Busy) -> Self {
        AppError::TooManyRequests
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
    pub(crate) fn parts(&self) -> (StatusCode, &'static str, String) {
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
            AppError::Resubmitted(_) => (
                StatusCode::OK,
                "表单已提交",
                "此表单已经提交并处理过，未重复保存。请从菜单返回相应页面查看结果。".into(),
            ),
            AppError::Confirm(_) => (StatusCode::OK, "请确认", String::new()),
            AppError::Conflict { title, message } => {
                (StatusCode::CONFLICT, *title, message.clone())
            }
            AppError::TooManyRequests => (
                StatusCode::TOO_MANY_REQUESTS,
                "操作过于频繁",
                "登录尝试过于频繁，请稍等一分钟后再试。".into(),
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
            AppError::Resubmitted(_) => {
                tracing::info!("repeated submission answered with its first result")
            }
            AppError::Confirm(_) => tracing::info!("confirmation asked"),
            other => tracing::info!(error = %other, "request refused"),
        }
        if let AppError::Confirm(page) = self {
            return (StatusCode::OK, Html(page)).into_response();
        }
        if let AppError::Resubmitted(Some(location)) = &self {
            // A repeated submission is shown the first one's result.
            return axum::response::Redirect::to(location).into_response();
        }
        let refusal = match self {
            AppError::Forbidden => Some("forbidden"),
            AppError::Csrf => Some("csrf"),
            AppError::TooManyRequests => Some("rate_limited"),
            _ => None,
        };
        let (status, title, message) = self.parts();
        let mut resp = error_page(status, title, message);
        if let Some(reason) = refusal {
            // The guard writes it to the audit trail as a security event.
            resp.extensions_mut()
                .insert(crate::web::auth::Refusal(reason));
        }
        if matches!(self, AppError::Unavailable(_) | AppError::TooManyRequests) {
            resp.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("5"),
            );
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::{SqlState, sql_state_class};

    #[test]
    fn database_refusals_are_the_clients_or_a_brief_outage_never_a_500() {
        // Shutdown, lock timeout, statement timeout, connection trouble: 503 (retry).
        for code in [
            "57P01", "57P03", "55P03", "57014", "08006", "40P01", "53300",
        ] {
            assert!(
                matches!(sql_state_class(code), SqlState::Unavailable),
                "{code}"
            );
        }
        // What a client sent: a missing referenced row, a duplicate, NUL, an out-of-range number.
        for code in [
            "23503", "23505", "23514", "22021", "22003", "22008", "22P02",
        ] {
            assert!(
                matches!(sql_state_class(code), SqlState::BadInput(_)),
                "{code}"
            );
        }
        // Our own mistakes stay 500s (and are logged).
        for code in ["42P01", "42703", "XX000"] {
            assert!(matches!(sql_state_class(code), SqlState::Other), "{code}");
        }
    }
}
