//! A platform's documents: the list by kind with every version, uploads (a new document or a
//! new version — nothing is ever overwritten), and downloads served as attachments.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::auth::CurrentUser;
use super::flash::Flash;
use super::forms::{Path, Query, bad_upload, file_bytes, query_string};
use super::layout::{Layout, local_time};
use super::widgets::Opt;
use super::write::{Entry, Writer};
use crate::db::platforms::{self, Platform};
use crate::db::{documents as db, lifecycle};
use crate::domain::documents::{
    self as domain, ALLOWED_ZH, CheckedFile, DocumentKind, FileType, MAX_FILE_BYTES,
    NewDocumentFields, UploadedFile,
};
use crate::domain::role::Role;
use crate::domain::validation::FieldErrors;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Every route of this feature, one line each: method, path, who may use it (roles and data
/// scope), handler. `web::routes::registry()` is the union of the features' tables.
#[rustfmt::skip]
pub(super) fn routes() -> Vec<crate::web::RouteDef> {
    use crate::web::routes::prelude::*;
    vec![
        // Documents (issue 3): listed by kind with every version; uploads never overwrite.
        get( "/platforms/{id}/documents",                      Roles(PLATFORM_READERS, Platform), list),
        post("/platforms/{id}/documents",                      Roles(RECORD_KEEPERS, Platform),   create).layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        post("/platforms/{id}/documents/{did}/versions",       Roles(RECORD_KEEPERS, Platform),   create_version).layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        get( "/platforms/{id}/documents/{did}/versions/{vid}", Roles(PLATFORM_READERS, Platform), download),
    ]
}

/// The request body limit of the upload routes: what the guard buffers. The guard hands the
/// body on in one piece, so a lower limit here would refuse it before a single field is read;
/// with this one the handler reads the other fields and refuses a file over 20 MiB (keeping
/// what was typed). Bodies past it are refused by the guard.
pub const UPLOAD_BODY_LIMIT: usize = super::auth::MAX_UPLOAD_BODY;

/// Longest text field kept from a multipart body (titles and notes are far shorter).
const MAX_TEXT_FIELD: usize = 16 * 1024;

pub struct VersionView {
    pub id: i64,
    pub version: i32,
    pub file_name: String,
    pub type_label: &'static str,
    pub size: String,
    pub sha256: String,
    pub sha_prefix: String,
    pub uploader: String,
    pub uploaded_at: String,
    pub note: String,
    pub href: String,
}

pub struct DocView {
    pub id: i64,
    pub title: String,
    pub versions: Vec<VersionView>,
    /// This user may add a version.
    pub can_revise: bool,
}

pub struct KindGroup {
    pub code: &'static str,
    pub label: &'static str,
    pub docs: Vec<DocView>,
}

/// A filter link.
pub struct KindLink {
    pub label: &'static str,
    pub href: String,
    pub current: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "documents/list.html")]
pub struct DocumentsPage {
    pub layout: Layout,
    pub tab: &'static str,
    pub tab_platform_id: i64,
    pub p: Platform,
    pub groups: Vec<KindGroup>,
    pub filters: Vec<KindLink>,
    pub filter_label: &'static str,
    /// Where the filtered kind is used (e.g. the registration page), to go back to.
    pub back: Option<(String, &'static str)>,
    pub notice: &'static str,
    pub can_upload: bool,
    pub upload_kinds: Vec<Opt>,
    pub form: NewDocumentFields,
    pub errors: FieldErrors,
    /// The document whose new-version form failed, with what was typed and what is wrong.
    pub version_doc: i64,
    pub version_note: String,
    pub version_errors: FieldErrors,
    pub allowed: &'static str,
    pub accept: &'static str,
}

impl DocumentsPage {
    /// The error of a field of document `did`'s new-version form, or "".
    pub fn version_error(&self, did: i64, field: &str) -> &str {
        if self.version_doc == did {
            self.version_errors.get(field)
        } else {
            ""
        }
    }
}

const ACCEPT: &str =
    ".pdf,.png,.jpg,.jpeg,.doc,.docx,.xls,.xlsx,application/pdf,image/png,image/jpeg";

/// The page a kind of document belongs to, for a way back.
fn home_of(kind: DocumentKind, platform_id: i64) -> (String, &'static str) {
    use DocumentKind::*;
    match kind {
        Charter | CoBuildingAgreement | ConstructionPlan | DecisionBody | Company => (
            format!("/platforms/{platform_id}/registration"),
            "返回设立登记",
        ),
        AcceptanceReport | Integrity => (
            format!("/platforms/{platform_id}/operation"),
            "返回运行管理",
        ),
        Rectification | Decision => (
            format!("/platforms/{platform_id}/rectification"),
            "返回退出整改",
        ),
        Other => (format!("/platforms/{platform_id}"), "返回平台概况"),
    }
}

fn may_upload(user: &CurrentUser) -> bool {
    user.has_role(Role::Staff) || user.has_role(Role::Operator)
}

fn may_upload_kind(user: &CurrentUser, kind: DocumentKind) -> bool {
    user.has_role(Role::Staff) || (user.has_role(Role::Operator) && kind.operator_may_upload())
}

struct PageInput {
    filter: Option<DocumentKind>,
    notice: &'static str,
    form: NewDocumentFields,
    errors: FieldErrors,
    version_doc: i64,
    version_note: String,
    version_errors: FieldErrors,
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    input: PageInput,
) -> AppResult<DocumentsPage> {
    let mut conn = state.db.acquire().await?;
    let p = platforms::get(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    drop(conn);
    let docs = db::list(&state.db, id, input.filter).await?;
    let mut versions = db::versions(&state.db, id, input.filter).await?;

    let groups = DocumentKind::ALL
        .iter()
        .filter_map(|&kind| {
            let docs: Vec<DocView> = docs
                .iter()
                .filter(|d| d.kind == kind)
                .map(|d| DocView {
                    id: d.id,
                    title: d.title.clone(),
                    versions: versions
                        .iter_mut()
                        .filter(|v| v.document_id == d.id)
                        .map(|v| VersionView {
                            id: v.id,
                            version: v.version,
                            file_name: std::mem::take(&mut v.file_name),
                            type_label: FileType::from_content_type(&v.content_type)
                                .map(FileType::label_zh)
                                .unwrap_or("未知"),
                            size: domain::human_size(i64::from(v.size_bytes)),
                            sha_prefix: v.sha256.chars().take(12).collect(),
                            sha256: std::mem::take(&mut v.sha256),
                            uploader: v.uploader.take().unwrap_or_else(|| "—".into()),
                            uploaded_at: local_time(&v.uploaded_at),
                            note: std::mem::take(&mut v.note),
                            href: format!("/platforms/{id}/documents/{}/versions/{}", d.id, v.id),
                        })
                        .collect(),
                    can_revise: may_upload_kind(user, kind),
                })
                .collect();
            (!docs.is_empty()).then_some(KindGroup {
                code: kind.as_str(),
                label: kind.label_zh(),
                docs,
            })
        })
        .collect();

    let mut filters = vec![KindLink {
        label: "全部",
        href: format!("/platforms/{id}/documents"),
        current: input.filter.is_none(),
    }];
    filters.extend(DocumentKind::ALL.iter().map(|&k| KindLink {
        label: k.label_zh(),
        href: format!(
            "/platforms/{id}/documents?{}",
            query_string(&[("kind", k.as_str())])
        ),
        current: input.filter == Some(k),
    }));
    let upload_kinds = DocumentKind::ALL
        .iter()
        .filter(|&&k| may_upload_kind(user, k))
        .map(|&k| Opt {
            value: k.as_str().into(),
            label: k.label_zh().into(),
        })
        .collect();
    Ok(DocumentsPage {
        layout: Layout::for_user(user, "platforms"),
        tab: "documents",
        tab_platform_id: id,
        p,
        groups,
        filters,
        filter_label: input.filter.map(DocumentKind::label_zh).unwrap_or(""),
        back: input.filter.map(|k| home_of(k, id)),
        notice: input.notice,
        can_upload: may_upload(user),
        upload_kinds,
        form: input.form,
        errors: input.errors,
        version_doc: input.version_doc,
        version_note: input.version_note,
        version_errors: input.version_errors,
        allowed: ALLOWED_ZH,
        accept: ACCEPT,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    kind: String,
    notice: String,
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<ListQuery>,
) -> AppResult<DocumentsPage> {
    let filter = DocumentKind::parse(&q.kind);
    // Links like `?kind=charter` preselect the kind in the upload form.
    let preselect = filter
        .filter(|&k| may_upload_kind(&user, k))
        .map(|k| k.as_str().to_string())
        .unwrap_or_default();
    page(
        &state,
        &user,
        id,
        PageInput {
            filter,
            notice: Flash::text_of(&q.notice),
            form: NewDocumentFields {
                kind: preselect,
                ..Default::default()
            },
            errors: FieldErrors::default(),
            version_doc: 0,
            version_note: String::new(),
            version_errors: FieldErrors::default(),
        },
    )
    .await
}

// ---- reading an upload ----------------------------------------------------------------

/// The fields of an upload form.
#[derive(Default)]
struct UploadBody {
    kind: String,
    title: String,
    note: String,
    file: Option<UploadedFile>,
}

/// Reads the multipart body: the text fields (capped) and the first file field, keeping at
/// most [`MAX_FILE_BYTES`] + 1 bytes of it (more marks it too large).
async fn read_upload(multipart: Result<Multipart, MultipartRejection>) -> AppResult<UploadBody> {
    let mut multipart = multipart.map_err(|_| bad_upload())?;
    let mut body = UploadBody::default();
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            // Past the route's body limit: whatever is left is the file.
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                mark_too_large(&mut body);
                break;
            }
            Err(_) => return Err(bad_upload()),
        };
        let name = field.name().unwrap_or("").to_string();
        if name == "file" && body.file.is_none() {
            let name = field.file_name().unwrap_or("").to_string();
            let bytes = file_bytes(&mut field, MAX_FILE_BYTES).await?;
            let file = UploadedFile {
                name,
                too_large: bytes.is_none(),
                bytes: bytes.unwrap_or_default(),
            };
            let stop = file.too_large;
            body.file = Some(file);
            if stop {
                break;
            }
            continue;
        }
        let target = match name.as_str() {
            "kind" => &mut body.kind,
            "title" => &mut body.title,
            "note" => &mut body.note,
            _ => continue, // csrf_token (checked by the guard) and anything else
        };
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|_| bad_upload())? {
            if bytes.len() + chunk.len() > MAX_TEXT_FIELD {
                return Err(bad_upload());
            }
            bytes.extend_from_slice(&chunk);
        }
        *target = String::from_utf8(bytes).map_err(|_| bad_upload())?;
    }
    Ok(body)
}

fn mark_too_large(body: &mut UploadBody) {
    let file = body.file.get_or_insert_with(UploadedFile::default);
    file.too_large = true;
    file.bytes = Vec::new();
}

fn version_json(
    file: &CheckedFile,
    version_id: i64,
    version: i32,
    note: &str,
) -> serde_json::Value {
    serde_json::json!({
        "version_id": version_id, "version": version, "file_name": file.file_name,
        "content_type": file.file_type.content_type(), "size_bytes": file.size,
        "sha256": file.sha256, "note": note,
    })
}

// ---- a new document -------------------------------------------------------------------

pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path(id): Path<i64>,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    let body = read_upload(multipart).await?;
    let fields = NewDocumentFields {
        kind: body.kind,
        title: body.title,
        note: body.note,
    };
    let operator = user.has_role(Role::Operator);
    let doc = match fields.validate(body.file.as_ref(), operator) {
        Ok(doc) => doc,
        Err(errors) => {
            let filter = DocumentKind::parse(fields.kind.trim());
            let page = page(
                &state,
                &user,
                id,
                PageInput {
                    filter,
                    notice: "",
                    form: fields,
                    errors,
                    version_doc: 0,
                    version_note: String::new(),
                    version_errors: FieldErrors::default(),
                },
            )
            .await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let content = body.file.map(|f| f.bytes).unwrap_or_default();

    let mut tx = w.begin().await?;
    let did = db::insert(&mut tx, id, doc.kind, &doc.title, user.id).await?;
    let (vid, version) =
        db::insert_version(&mut tx, did, &doc.file, &content, &doc.note, user.id).await?;
    tx.audit(
        Entry::new("document.upload", "document", did).after(serde_json::json!({
            "platform_id": id, "kind": doc.kind, "title": doc.title,
            "version": version_json(&doc.file, vid, version, &doc.note),
        })),
    )
    .await?;
    let summary = format!(
        "上传{}《{}》（{}）",
        doc.kind.label_zh(),
        doc.title,
        doc.file.file_name
    );
    lifecycle::record(
        &mut tx,
        w.actor(),
        &lifecycle::Event {
            platform_id: id,
            kind: "document.uploaded",
            from_stage: None,
            to_stage: None,
            summary: &summary,
            reason: &doc.note,
            document_id: Some(did),
        },
    )
    .await?;
    let target = format!(
        "/platforms/{id}/documents?{}#doc-{did}",
        query_string(&[
            ("kind", doc.kind.as_str()),
            ("notice", Flash::DocumentUploaded.code())
        ])
    );
    tx.redirect(target).await
}

// ---- a new version --------------------------------------------------------------------

pub async fn create_version(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, did)): Path<(i64, i64)>,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    let body = read_upload(multipart).await?;
    let mut tx = w.begin().await?;
    // The document must be this platform's (404 otherwise), locked so version numbers never collide.
    let doc = db::get_for_update(&mut tx, id, did)
        .await?
        .ok_or(AppError::NotFound)?;
    let kind = doc.kind;
    if !may_upload_kind(&user, kind) {
        return Err(AppError::Forbidden);
    }
    let new = match domain::validate_version(&body.note, body.file.as_ref()) {
        Ok(v) => v,
        Err(errors) => {
            tx.rollback().await?;
            let page = page(
                &state,
                &user,
                id,
                PageInput {
                    filter: Some(kind),
                    notice: "",
                    form: NewDocumentFields {
                        kind: kind.as_str().into(),
                        ..Default::default()
                    },
                    errors: FieldErrors::default(),
                    version_doc: did,
                    version_note: body.note,
                    version_errors: errors,
                },
            )
            .await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let content = body.file.map(|f| f.bytes).unwrap_or_default();
    let (vid, version) =
        db::insert_version(&mut tx, did, &new.file, &content, &new.note, user.id).await?;
    tx.audit(
        Entry::new("document.version", "document", did).after(serde_json::json!({
            "platform_id": id, "kind": kind, "title": doc.title,
            "version": version_json(&new.file, vid, version, &new.note),
        })),
    )
    .await?;
    let summary = format!(
        "上传{}《{}》第 {version} 版（{}）",
        kind.label_zh(),
        doc.title,
        new.file.file_name
    );
    lifecycle::record(
        &mut tx,
        w.actor(),
        &lifecycle::Event {
            platform_id: id,
            kind: "document.revised",
            from_stage: None,
            to_stage: None,
            summary: &summary,
            reason: &new.note,
            document_id: Some(did),
        },
    )
    .await?;
    let target = format!(
        "/platforms/{id}/documents?{}#doc-{did}",
        query_string(&[
            ("kind", kind.as_str()),
            ("notice", Flash::DocumentRevised.code())
        ])
    );
    tx.redirect(target).await
}

// ---- download -------------------------------------------------------------------------

/// Sends one stored version as an attachment. The guard has checked the platform; the query
/// checks that the version is the document's and the document the platform's.
pub async fn download(
    State(state): State<AppState>,
    Path((id, did, vid)): Path<(i64, i64, i64)>,
) -> AppResult<Response> {
    let file = db::file(&state.db, id, did, vid)
        .await?
        .ok_or(AppError::NotFound)?;
    let content_type = FileType::from_content_type(&file.content_type)
        .map(FileType::content_type)
        .unwrap_or("application/octet-stream");
    let disposition = HeaderValue::from_str(&domain::content_disposition(&file.file_name))
        .unwrap_or(HeaderValue::from_static("attachment"));
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
        (header::CONTENT_DISPOSITION, disposition),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; sandbox"),
        ),
        (
            header::HeaderName::from_static("x-content-sha256"),
            HeaderValue::from_str(&file.sha256).unwrap_or(HeaderValue::from_static("")),
        ),
    ];
    Ok((headers, file.content).into_response())
}
