//! The checks on a state-changing request's body: the CSRF token (header, form field or multipart
//! field, compared in constant time), control characters in fields, the form's one-time token, and
//! the body limits.

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequest, Request};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::CSRF_FIELD;
use crate::error::AppError;
use crate::web::write::{self, FormToken};

const CSRF_HEADER: &str = "x-csrf-token";

/// Largest body of an upload route (the guard buffers it); other routes take [`FORM_BODY`].
pub const MAX_UPLOAD_BODY: usize = 25 * 1024 * 1024;
/// Largest body of an ordinary form.
pub const FORM_BODY: usize = 2 * 1024 * 1024;

/// Checks the CSRF token from the `x-csrf-token` header, the urlencoded form field or the
/// multipart field, refuses control characters in form fields, picks up the form's one-time
/// token, and hands the (buffered) body on unchanged.
pub(super) async fn check_csrf(
    req: Request,
    expected: Option<&str>,
    limit: usize,
) -> Result<Request, Response> {
    let Some(expected) = expected.filter(|e| !e.is_empty()) else {
        return Err(AppError::Csrf.into_response());
    };
    let too_large = || {
        crate::error::error_page(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "提交的内容过大",
            format!(
                "提交的内容超过 {} MB 的上限，请减小后重试。",
                limit / (1024 * 1024)
            ),
        )
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let header_token = req
        .headers()
        .get(write::IDEMPOTENCY_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(FormToken::parse);
    if let Some(token) = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return if constant_time_eq(token, expected) {
            let mut req = req;
            if let Some(t) = header_token {
                req.extensions_mut().insert(t);
            }
            Ok(req)
        } else {
            Err(AppError::Csrf.into_response())
        };
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let multipart = content_type.starts_with("multipart/form-data");
    if !multipart && !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(AppError::Csrf.into_response());
    }
    let (mut parts, body) = req.into_parts();
    let bytes = to_bytes(body, limit).await.map_err(|_| too_large())?;
    let (token, form_token) = if multipart {
        let mut fields = multipart_fields(
            &content_type,
            bytes.clone(),
            &[CSRF_FIELD, write::FORM_TOKEN_FIELD],
            limit,
        )
        .await;
        (
            fields.remove(CSRF_FIELD),
            fields.remove(write::FORM_TOKEN_FIELD),
        )
    } else {
        let mut token = None;
        let mut form_token = None;
        let mut prompt = None;
        let mut confirmed = false;
        let mut action = None;
        for (k, v) in form_urlencoded::parse(&bytes) {
            if has_control_chars(&k) || has_control_chars(&v) {
                return Err(AppError::BadRequest(BAD_CHARACTERS.into()).into_response());
            }
            if k == CSRF_FIELD {
                token = Some(v.into_owned());
            } else if k == write::FORM_TOKEN_FIELD {
                form_token = Some(v.into_owned());
            } else if k == write::CONFIRM_PROMPT_FIELD {
                prompt = Some(v.into_owned());
            } else if k == write::CONFIRMED_FIELD {
                confirmed = v == "1";
            } else if k == "action" {
                action = Some(v.into_owned());
            }
        }
        if prompt.is_none()
            && let Some(action) = &action
        {
            let key = format!("{}.{action}", write::CONFIRM_PROMPT_FIELD);
            prompt = form_urlencoded::parse(&bytes)
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.into_owned());
        }
        if let Some(prompt) = prompt.filter(|_| !confirmed) {
            // An irreversible step: the handler validates, then `Writer::begin` asks.
            let pairs = form_urlencoded::parse(&bytes)
                .filter(|(k, _)| k != write::CONFIRMED_FIELD)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            parts
                .extensions
                .insert(write::ConfirmPending { prompt, pairs });
        }
        (token, form_token)
    };
    match token {
        Some(token) if constant_time_eq(&token, expected) => {
            if let Some(t) = form_token
                .as_deref()
                .and_then(FormToken::parse)
                .or(header_token)
            {
                parts.extensions.insert(t);
            }
            Ok(Request::from_parts(parts, Body::from(bytes)))
        }
        _ => Err(AppError::Csrf.into_response()),
    }
}

/// The message for a field, query or path with characters no form of ours sends.
pub const BAD_CHARACTERS: &str = "提交的内容包含无效的控制字符（例如空字符），请检查后重新输入。";

/// NUL and other control characters (tab, line breaks allowed: text areas send them).
pub fn has_control_chars(s: &str) -> bool {
    s.chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// The text of the named fields of a buffered multipart body (one pass).
async fn multipart_fields(
    content_type: &str,
    bytes: axum::body::Bytes,
    names: &'static [&'static str],
    limit: usize,
) -> std::collections::HashMap<&'static str, String> {
    use tower::{Layer, ServiceExt};
    let Ok(req) = axum::http::Request::builder()
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(bytes))
    else {
        return Default::default();
    };
    let read = tower::service_fn(move |req: Request| async move {
        Ok::<_, std::convert::Infallible>(fields_named(req, names).await)
    });
    // The body is already buffered (at most `limit`): lift the extractor's default 2 MB
    // limit, which would otherwise refuse every larger upload as a CSRF failure.
    axum::extract::DefaultBodyLimit::max(limit)
        .layer(read)
        .oneshot(req)
        .await
        .unwrap_or_default()
}

async fn fields_named(
    req: Request,
    names: &'static [&'static str],
) -> std::collections::HashMap<&'static str, String> {
    let mut found = std::collections::HashMap::new();
    let Ok(mut multipart) = axum::extract::Multipart::from_request(req, &()).await else {
        return found;
    };
    while let Ok(Some(field)) = multipart.next_field().await {
        let Some(name) = field.name().and_then(|n| names.iter().find(|&&m| m == n)) else {
            continue;
        };
        if let Ok(text) = field.text().await {
            found.entry(*name).or_insert(text);
        }
    }
    found
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}
