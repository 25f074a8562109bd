//! `/api-docs`: the API described for people, in Chinese — read from the same OpenAPI document
//! that `/api/v1/openapi.json` serves, so the page and the machine-readable document cannot
//! disagree. Public: it describes the interface, holds no data, and is read by the engineers
//! of other systems, who have no account here.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use serde_json::Value;

use super::OPENAPI;
use crate::state::AppState;
use crate::web::auth::CurrentUser;
use crate::web::layout::Layout;
use crate::web::limits::{API_BURST, API_PER_MINUTE};

/// One parameter of an endpoint.
pub struct Param {
    pub name: String,
    /// 路径 / 查询
    pub place: &'static str,
    pub required: bool,
    pub description: String,
}

/// One endpoint, as the document describes it.
pub struct Endpoint {
    pub method: String,
    pub path: String,
    pub summary: String,
    pub description: String,
    pub params: Vec<Param>,
    /// Status code and what it means.
    pub responses: Vec<(String, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "api/docs.html")]
pub struct DocsPage {
    pub layout: Layout,
    pub title: String,
    pub description: String,
    pub version: String,
    /// This server's address as the caller would write it (for the examples).
    pub base: String,
    pub endpoints: Vec<Endpoint>,
    pub burst: u32,
    pub per_minute: u32,
}

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or("").to_owned()
}

/// The endpoints of the document, in path order.
pub fn endpoints() -> Vec<Endpoint> {
    let doc = serde_json::to_value(&*OPENAPI).unwrap_or_default();
    let mut out = Vec::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return out;
    };
    for (path, item) in paths {
        let Some(ops) = item.as_object() else {
            continue;
        };
        for (method, op) in ops {
            let params = op
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|p| Param {
                    name: text(p, "name"),
                    place: if text(p, "in") == "path" {
                        "路径"
                    } else {
                        "查询"
                    },
                    required: p.get("required").and_then(Value::as_bool) == Some(true),
                    description: text(p, "description"),
                })
                .collect();
            let responses = op
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(status, r)| (status.clone(), text(r, "description")))
                .collect();
            out.push(Endpoint {
                method: method.to_uppercase(),
                path: path.clone(),
                summary: text(op, "summary"),
                description: text(op, "description"),
                params,
                responses,
            });
        }
    }
    out
}

pub async fn page(
    State(state): State<AppState>,
    user: Option<axum::Extension<CurrentUser>>,
    headers: HeaderMap,
) -> DocsPage {
    let info = &OPENAPI.info;
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".:-[]".contains(c))
        })
        .unwrap_or("本系统地址");
    let scheme = if state.config.secure_cookies {
        "https"
    } else {
        "http"
    };
    DocsPage {
        layout: match user {
            Some(axum::Extension(u)) => Layout::for_user(&u, ""),
            None => Layout::anonymous(),
        },
        title: info.title.clone(),
        description: info.description.clone().unwrap_or_default(),
        version: info.version.clone(),
        base: format!("{scheme}://{host}"),
        endpoints: endpoints(),
        burst: API_BURST,
        per_minute: API_PER_MINUTE,
    }
}
