//! Documents: what may be uploaded, decided by the bytes (never by the name or the client's
//! content type), and how a stored name is offered back on download.
//!
//! The allow-list: PDF, PNG, JPEG, Word and Excel (OOXML `.docx`/`.xlsx`, and the legacy OLE2
//! `.doc`/`.xls`). Everything else — HTML, SVG, executables, archives, macro-enabled Office files,
//! empty files — is refused with a Chinese message for the file field.

use sha2::{Digest, Sha256};

use super::validation::FieldErrors;

/// The largest file accepted: 20 MiB.
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;

/// Longest title and note.
const MAX_TITLE_CHARS: usize = 200;
const MAX_NOTE_CHARS: usize = 500;
/// Longest file name kept (characters, extension included).
const MAX_NAME_CHARS: usize = 120;

code_enum! {
    /// What a document is for; the registration, operation and rectification pages link to
    /// the documents page with `?kind=` of the kind they need.
    DocumentKind {
        Charter = "charter" / "章程",
        CoBuildingAgreement = "co_building_agreement" / "共建协议",
        ConstructionPlan = "construction_plan" / "建设方案",
        DecisionBody = "decision_body" / "决策机构文件",
        Company = "company" / "运营/产业化公司材料",
        AcceptanceReport = "acceptance_report" / "建设期满验收报告",
        Rectification = "rectification" / "整改材料",
        Decision = "decision" / "退转并留决定",
        Integrity = "integrity" / "科研诚信材料",
        Other = "other" / "其他",
    }
}

impl DocumentKind {
    /// Whether a platform's own operator may file documents of this kind. Decisions and
    /// integrity findings are the bureau's documents: staff only.
    pub fn operator_may_upload(self) -> bool {
        !matches!(self, DocumentKind::Decision | DocumentKind::Integrity)
    }
}

code_enum! {
    /// A file type of the allow-list, as detected from the content.
    FileType {
        Pdf = "pdf" / "PDF 文档",
        Png = "png" / "PNG 图片",
        Jpeg = "jpeg" / "JPEG 图片",
        Docx = "docx" / "Word 文档（.docx）",
        Xlsx = "xlsx" / "Excel 表格（.xlsx）",
        Doc = "doc" / "Word 文档（.doc）",
        Xls = "xls" / "Excel 表格（.xls）",
    }
}

impl FileType {
    /// The content type the file is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Png => "image/png",
            FileType::Jpeg => "image/jpeg",
            FileType::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            FileType::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            FileType::Doc => "application/msword",
            FileType::Xls => "application/vnd.ms-excel",
        }
    }

    /// The type of a stored content type (for labels), if it is one of ours.
    pub fn from_content_type(content_type: &str) -> Option<FileType> {
        FileType::ALL
            .iter()
            .copied()
            .find(|t| t.content_type() == content_type)
    }

    /// The file name extensions that fit this type; the first is the canonical one.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            FileType::Pdf => &["pdf"],
            FileType::Png => &["png"],
            FileType::Jpeg => &["jpg", "jpeg"],
            FileType::Docx => &["docx"],
            FileType::Xlsx => &["xlsx"],
            FileType::Doc => &["doc"],
            FileType::Xls => &["xls"],
        }
    }
}

/// What the allow-list says the file field should hold.
pub const ALLOWED_ZH: &str = "PDF、PNG/JPEG 图片、Word（.doc/.docx）或 Excel（.xls/.xlsx）";

/// Why a file was refused; the message is shown next to the file field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FileRefusal {
    #[error("请选择要上传的文件")]
    Missing,
    #[error("文件内容为空，请选择有内容的文件")]
    Empty,
    #[error("文件超过 20 MB 的上限，请压缩或拆分后再上传")]
    TooLarge,
    #[error(
        "网页、SVG 等含脚本的文件不允许上传；仅接受 PDF、PNG/JPEG 图片、Word（.doc/.docx）或 Excel（.xls/.xlsx）"
    )]
    Markup,
    #[error(
        "可执行程序不允许上传；仅接受 PDF、PNG/JPEG 图片、Word（.doc/.docx）或 Excel（.xls/.xlsx）"
    )]
    Executable,
    #[error("含宏的 Office 文件不允许上传，请另存为不含宏的 .docx/.xlsx 后再上传")]
    Macros,
    #[error("文件不是有效的 Word 或 Excel 文档（可能已损坏，或是其他压缩包）")]
    BadOffice,
    #[error(
        "不支持的文件类型：仅接受 PDF、PNG/JPEG 图片、Word（.doc/.docx）或 Excel（.xls/.xlsx），以文件内容为准，与文件名无关"
    )]
    Unsupported,
}

/// Decides the type of a file from its bytes, against the allow-list.
pub fn detect(bytes: &[u8]) -> Result<FileType, FileRefusal> {
    if bytes.is_empty() {
        return Err(FileRefusal::Empty);
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(FileRefusal::TooLarge);
    }
    if bytes.starts_with(b"%PDF-") {
        return Ok(FileType::Pdf);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(FileType::Png);
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(FileType::Jpeg);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return detect_ooxml(bytes);
    }
    if bytes.starts_with(&OLE2_MAGIC) {
        return detect_ole2(bytes);
    }
    if is_executable(bytes) {
        return Err(FileRefusal::Executable);
    }
    if looks_like_markup(bytes) {
        return Err(FileRefusal::Markup);
    }
    Err(FileRefusal::Unsupported)
}

fn is_executable(bytes: &[u8]) -> bool {
    bytes.starts_with(b"MZ")                    // Windows PE / DOS
        || bytes.starts_with(b"\x7fELF")         // Linux
        || bytes.starts_with(&[0xCF, 0xFA, 0xED, 0xFE]) // Mach-O 64
        || bytes.starts_with(&[0xCE, 0xFA, 0xED, 0xFE]) // Mach-O 32
        || bytes.starts_with(&[0xCA, 0xFE, 0xBA, 0xBE]) // Mach-O universal / Java class
        || bytes.starts_with(b"#!") // scripts
}

/// HTML, XML and SVG (anything a browser might render with scripts), after an optional BOM
/// and leading whitespace.
fn looks_like_markup(bytes: &[u8]) -> bool {
    let rest = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = rest
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(rest.len());
    rest[start..].starts_with(b"<")
}

// ---- OOXML: a ZIP whose central directory names [Content_Types].xml and word/ or xl/ ----

const EOCD_SIG: &[u8; 4] = b"PK\x05\x06";
const CENTRAL_SIG: &[u8; 4] = b"PK\x01\x02";
const EOCD_LEN: usize = 22;

fn u16_at(b: &[u8], at: usize) -> Option<usize> {
    b.get(at..at + 2)
        .map(|s| usize::from(u16::from_le_bytes([s[0], s[1]])))
}

fn u32_at(b: &[u8], at: usize) -> Option<usize> {
    b.get(at..at + 4)
        .and_then(|s| usize::try_from(u32::from_le_bytes([s[0], s[1], s[2], s[3]])).ok())
}

/// The entry names of a ZIP's central directory, or `None` if it is not a well-formed ZIP.
fn zip_entry_names(bytes: &[u8]) -> Option<Vec<&[u8]>> {
    // The end-of-central-directory record is within the last 22 + 65535 bytes (its comment).
    let earliest = bytes.len().saturating_sub(EOCD_LEN + usize::from(u16::MAX));
    let eocd = (earliest..=bytes.len().checked_sub(EOCD_LEN)?)
        .rev()
        .find(|&i| &bytes[i..i + 4] == EOCD_SIG)?;
    let entries = u16_at(bytes, eocd + 10)?;
    let dir_size = u32_at(bytes, eocd + 12)?;
    let dir_offset = u32_at(bytes, eocd + 16)?;
    if dir_offset.checked_add(dir_size)? > eocd {
        return None; // also refuses ZIP64 (0xFFFFFFFF markers)
    }
    let mut names = Vec::with_capacity(entries);
    let mut at = dir_offset;
    for _ in 0..entries {
        if bytes.get(at..at + 4)? != CENTRAL_SIG {
            return None;
        }
        let name_len = u16_at(bytes, at + 28)?;
        let extra_len = u16_at(bytes, at + 30)?;
        let comment_len = u16_at(bytes, at + 32)?;
        names.push(bytes.get(at + 46..at + 46 + name_len)?);
        at += 46 + name_len + extra_len + comment_len;
        if at > eocd {
            return None;
        }
    }
    Some(names)
}

fn detect_ooxml(bytes: &[u8]) -> Result<FileType, FileRefusal> {
    let names = zip_entry_names(bytes).ok_or(FileRefusal::BadOffice)?;
    if !names.iter().any(|n| *n == b"[Content_Types].xml") {
        return Err(FileRefusal::BadOffice);
    }
    let macros = names.iter().any(|n| {
        let n = n.to_ascii_lowercase();
        n.ends_with(b"vbaproject.bin") || n.ends_with(b"vbadata.xml")
    });
    if macros {
        return Err(FileRefusal::Macros);
    }
    let word = names.iter().any(|n| n.starts_with(b"word/"));
    let excel = names.iter().any(|n| n.starts_with(b"xl/"));
    match (word, excel) {
        (true, false) => Ok(FileType::Docx),
        (false, true) => Ok(FileType::Xlsx),
        _ => Err(FileRefusal::BadOffice),
    }
}

// ---- legacy Office: an OLE2 compound file with a WordDocument or Workbook stream ----------

const OLE2_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
/// Compound-file directory entries are 128 bytes, in sectors after the 512-byte header.
const OLE2_HEADER: usize = 512;
const OLE2_DIR_ENTRY: usize = 128;

/// Whether a directory entry named `name` (a stream) is in the compound file: entries sit on
/// 128-byte boundaries; the name is UTF-16LE with its byte length (incl. the NUL) at 0x40 and
/// the object type (2 = stream) at 0x42.
fn ole2_has_stream(bytes: &[u8], name: &str) -> bool {
    let utf16: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let name_len = utf16.len() + 2;
    (OLE2_HEADER..bytes.len())
        .step_by(OLE2_DIR_ENTRY)
        .filter_map(|at| bytes.get(at..at + OLE2_DIR_ENTRY))
        .any(|entry| {
            entry[..utf16.len()] == utf16[..]
                && entry[utf16.len()..utf16.len() + 2] == [0, 0]
                && u16_at(entry, 0x40) == Some(name_len)
                && entry[0x42] == 2
        })
}

fn detect_ole2(bytes: &[u8]) -> Result<FileType, FileRefusal> {
    if ole2_has_stream(bytes, "Macros") || ole2_has_stream(bytes, "_VBA_PROJECT_CUR") {
        return Err(FileRefusal::Macros);
    }
    let word = ole2_has_stream(bytes, "WordDocument");
    let excel = ole2_has_stream(bytes, "Workbook") || ole2_has_stream(bytes, "Book");
    match (word, excel) {
        (true, false) => Ok(FileType::Doc),
        (false, true) => Ok(FileType::Xls),
        // Other compound files (installers, PowerPoint, Outlook messages) are not on the list.
        _ => Err(FileRefusal::Unsupported),
    }
}

// ---- names ----------------------------------------------------------------------------

/// A file name fit to show and to offer on download: the last path component only, no
/// control or reserved characters, at most 120 characters, and an extension that matches the
/// detected type (a PDF named `x.exe` becomes `x.exe.pdf`). Never used as a path.
pub fn clean_file_name(raw: &str, file_type: FileType) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '"' | '<' | '>' | ':' | '|' | '?' | '*' | '\u{202E}') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    let stem = if cleaned.is_empty() {
        "文件"
    } else {
        cleaned
    };
    let fits = stem
        .rsplit_once('.')
        .map(|(_, ext)| {
            file_type
                .extensions()
                .iter()
                .any(|e| e.eq_ignore_ascii_case(ext))
        })
        .unwrap_or(false);
    let ext = file_type.extensions()[0];
    let (base, suffix) = if fits {
        let (b, e) = stem.rsplit_once('.').unwrap_or((stem, ext));
        (b.to_string(), e.to_string())
    } else {
        (stem.to_string(), ext.to_string())
    };
    let room = MAX_NAME_CHARS.saturating_sub(suffix.chars().count() + 1);
    let base: String = base.chars().take(room).collect();
    format!("{base}.{suffix}")
}

/// The `Content-Disposition` value for a download: always an attachment, with an ASCII
/// fallback name and the exact name in RFC 5987 form (`filename*=UTF-8''…`).
pub fn content_disposition(file_name: &str) -> String {
    let fallback: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '%' | ';') || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::with_capacity(file_name.len() * 3);
    for b in file_name.bytes() {
        let attr_char = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'!' | b'#' | b'$' | b'&' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
            );
        if attr_char {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// The hex SHA-256 of the content.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A human size: `532 B`, `12.4 KB`, `3.1 MB`.
pub fn human_size(bytes: i64) -> String {
    const KB: i64 = 1024;
    const MB: i64 = 1024 * 1024;
    if bytes < KB {
        format!("{bytes} B")
    } else if bytes < MB {
        format!("{}.{} KB", bytes / KB, bytes % KB * 10 / KB)
    } else {
        format!("{}.{} MB", bytes / MB, bytes % MB * 10 / MB)
    }
}

// ---- the upload forms -----------------------------------------------------------------

/// The uploaded file as received: the client's name and the bytes (or that it was too big).
#[derive(Debug, Clone, Default)]
pub struct UploadedFile {
    pub name: String,
    pub bytes: Vec<u8>,
    /// The body carried more than [`MAX_FILE_BYTES`] for this field (the rest was not kept).
    pub too_large: bool,
}

/// A checked file, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedFile {
    pub file_type: FileType,
    pub file_name: String,
    pub sha256: String,
    pub size: i32,
}

/// Checks the file field: present, within the limit, of an allowed type by content.
pub fn check_file(file: Option<&UploadedFile>) -> Result<CheckedFile, FileRefusal> {
    let file = match file {
        Some(f) if f.too_large => return Err(FileRefusal::TooLarge),
        Some(f) if !(f.name.trim().is_empty() && f.bytes.is_empty()) => f,
        _ => return Err(FileRefusal::Missing),
    };
    let file_type = detect(&file.bytes)?;
    Ok(CheckedFile {
        file_type,
        file_name: clean_file_name(&file.name, file_type),
        sha256: sha256_hex(&file.bytes),
        size: i32::try_from(file.bytes.len()).map_err(|_| FileRefusal::TooLarge)?,
    })
}

/// The text fields of the new-document form, as typed.
#[derive(Debug, Clone, Default)]
pub struct NewDocumentFields {
    pub kind: String,
    pub title: String,
    pub note: String,
}

/// A valid new document: its kind and title, the version note, the checked file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDocument {
    pub kind: DocumentKind,
    pub title: String,
    pub note: String,
    pub file: CheckedFile,
}

fn check_note(note: &str, errors: &mut FieldErrors) -> String {
    let note = note.trim();
    if note.chars().count() > MAX_NOTE_CHARS {
        errors.add("note", format!("说明不能超过 {MAX_NOTE_CHARS} 个字"));
    }
    note.to_string()
}

impl NewDocumentFields {
    /// Every problem at once; `operator` limits the kinds to those operators may file.
    pub fn validate(
        &self,
        file: Option<&UploadedFile>,
        operator: bool,
    ) -> Result<NewDocument, FieldErrors> {
        let mut errors = FieldErrors::default();
        let kind = match DocumentKind::parse(self.kind.trim()) {
            None => {
                errors.add("kind", "请选择文件类别");
                None
            }
            Some(k) if operator && !k.operator_may_upload() => {
                errors.add("kind", format!("「{}」由科技局上传", k.label_zh()));
                None
            }
            Some(k) => Some(k),
        };
        let title = self.title.trim();
        if title.is_empty() {
            errors.add("title", "请填写文件标题");
        } else if title.chars().count() > MAX_TITLE_CHARS {
            errors.add("title", format!("标题不能超过 {MAX_TITLE_CHARS} 个字"));
        }
        let note = check_note(&self.note, &mut errors);
        let file = check_file(file).map_err(|e| errors.add("file", e.to_string()));
        match (kind, file) {
            (Some(kind), Ok(file)) if errors.is_empty() => Ok(NewDocument {
                kind,
                title: title.to_string(),
                note,
                file,
            }),
            _ => Err(errors),
        }
    }
}

/// A valid new version of an existing document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVersion {
    pub note: String,
    pub file: CheckedFile,
}

/// Checks the new-version form (a note and the file).
pub fn validate_version(
    note: &str,
    file: Option<&UploadedFile>,
) -> Result<NewVersion, FieldErrors> {
    let mut errors = FieldErrors::default();
    let note = check_note(note, &mut errors);
    let file = check_file(file).map_err(|e| errors.add("file", e.to_string()));
    match file {
        Ok(file) if errors.is_empty() => Ok(NewVersion { note, file }),
        _ => Err(errors),
    }
}

#[cfg(test)]
pub(crate) mod samples {
    //! Minimal files of every kind, built byte by byte, for the unit and integration tests.

    /// A tiny but well-formed PDF.
    pub fn pdf() -> Vec<u8> {
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n".to_vec()
    }

    pub fn png() -> Vec<u8> {
        let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
        v.extend_from_slice(&[0, 0, 0, 13]);
        v.extend_from_slice(b"IHDR");
        v.extend_from_slice(&[0; 17]);
        v
    }

    pub fn jpeg() -> Vec<u8> {
        vec![
            0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1, 0xFF, 0xD9,
        ]
    }

    /// A stored (uncompressed) ZIP with these entries, each holding a few bytes.
    pub fn zip(names: &[&str]) -> Vec<u8> {
        let entries: Vec<(&str, &[u8])> = names.iter().map(|n| (*n, &b"<x/>"[..])).collect();
        zip_with(&entries)
    }

    /// A stored (uncompressed) ZIP with these entries and contents.
    pub fn zip_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, data) in entries {
            let offset = u32::try_from(out.len()).unwrap_or(0);
            let size = u32::try_from(data.len()).unwrap_or(0);
            let n = u16::try_from(name.len()).unwrap_or(0);
            out.extend_from_slice(b"PK\x03\x04");
            out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            out.extend_from_slice(&[0; 4]); // crc (unchecked here)
            out.extend_from_slice(&size.to_le_bytes());
            out.extend_from_slice(&size.to_le_bytes());
            out.extend_from_slice(&n.to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(data);

            central.extend_from_slice(b"PK\x01\x02");
            central.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            central.extend_from_slice(&[0; 4]);
            central.extend_from_slice(&size.to_le_bytes());
            central.extend_from_slice(&size.to_le_bytes());
            central.extend_from_slice(&n.to_le_bytes());
            central.extend_from_slice(&[0; 12]); // extra, comment, disk, attrs
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let dir_offset = u32::try_from(out.len()).unwrap_or(0);
        let dir_size = u32::try_from(central.len()).unwrap_or(0);
        let count = u16::try_from(entries.len()).unwrap_or(0);
        out.extend_from_slice(&central);
        out.extend_from_slice(b"PK\x05\x06");
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&dir_size.to_le_bytes());
        out.extend_from_slice(&dir_offset.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    pub fn docx() -> Vec<u8> {
        zip(&["[Content_Types].xml", "_rels/.rels", "word/document.xml"])
    }

    pub fn xlsx() -> Vec<u8> {
        zip(&["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml"])
    }

    /// An OLE2 compound file whose first directory sector names these streams.
    pub fn ole2(streams: &[&str]) -> Vec<u8> {
        let mut out = vec![0u8; 512];
        out[..8].copy_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
        let mut sector = vec![0u8; 512];
        let entries = std::iter::once("Root Entry").chain(streams.iter().copied());
        for (i, name) in entries.enumerate().take(4) {
            let entry = &mut sector[i * 128..(i + 1) * 128];
            let utf16: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
            entry[..utf16.len()].copy_from_slice(&utf16);
            let len = u16::try_from(utf16.len() + 2).unwrap_or(0);
            entry[0x40..0x42].copy_from_slice(&len.to_le_bytes());
            entry[0x42] = if i == 0 { 5 } else { 2 };
        }
        out.extend_from_slice(&sector);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::samples::*;
    use super::*;

    #[test]
    fn allowed_types_are_detected_by_content() {
        assert_eq!(detect(&pdf()), Ok(FileType::Pdf));
        assert_eq!(detect(&png()), Ok(FileType::Png));
        assert_eq!(detect(&jpeg()), Ok(FileType::Jpeg));
        assert_eq!(detect(&docx()), Ok(FileType::Docx));
        assert_eq!(detect(&xlsx()), Ok(FileType::Xlsx));
        assert_eq!(
            detect(&ole2(&["WordDocument", "1Table"])),
            Ok(FileType::Doc)
        );
        assert_eq!(detect(&ole2(&["Workbook"])), Ok(FileType::Xls));
        assert_eq!(detect(&ole2(&["Book"])), Ok(FileType::Xls));
    }

    #[test]
    fn empty_and_oversized_files_are_refused() {
        assert_eq!(detect(b""), Err(FileRefusal::Empty));
        let mut big = pdf();
        big.resize(MAX_FILE_BYTES + 1, b' ');
        assert_eq!(detect(&big), Err(FileRefusal::TooLarge));
        big.truncate(MAX_FILE_BYTES);
        assert_eq!(detect(&big), Ok(FileType::Pdf), "exactly 20 MiB is fine");
    }

    #[test]
    fn markup_is_refused_whatever_it_is_called() {
        for bad in [
            &b"<!DOCTYPE html><html><script>alert(1)</script></html>"[..],
            b"<html><body>%PDF-1.4</body></html>",
            b"\xEF\xBB\xBF  \n<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>",
            b"<?xml version=\"1.0\"?><svg/>",
            b"\n\n<script>alert(1)</script>",
        ] {
            assert_eq!(detect(bad), Err(FileRefusal::Markup), "{bad:?}");
        }
    }

    #[test]
    fn executables_are_refused() {
        let mut pe = b"MZ\x90\x00\x03\x00\x00\x00".to_vec();
        pe.extend_from_slice(&[0; 56]);
        pe.extend_from_slice(b"This program cannot be run in DOS mode.");
        assert_eq!(detect(&pe), Err(FileRefusal::Executable));
        assert_eq!(detect(b"\x7fELF\x02\x01\x01"), Err(FileRefusal::Executable));
        assert_eq!(detect(b"#!/bin/sh\nrm -rf /"), Err(FileRefusal::Executable));
        assert_eq!(
            detect(&[0xCF, 0xFA, 0xED, 0xFE, 7, 0, 0, 1]),
            Err(FileRefusal::Executable)
        );
    }

    #[test]
    fn anything_else_is_unsupported() {
        for bad in [
            &b"hello, plain text"[..],
            b"GIF89a\x01\x00\x01\x00",
            b"\x1f\x8b\x08\x00",     // gzip
            b"Rar!\x1a\x07\x00",     // rar
            b"{\\rtf1\\ansi hello}", // RTF
            b" %PDF-1.4 (not at the start)",
            b"\x00\x00\x00\x00",
        ] {
            assert_eq!(detect(bad), Err(FileRefusal::Unsupported), "{bad:?}");
        }
    }

    #[test]
    fn zips_that_are_not_word_or_excel_are_refused() {
        assert_eq!(
            detect(&zip(&["a.txt", "b.exe"])),
            Err(FileRefusal::BadOffice)
        );
        assert_eq!(
            detect(&zip(&["word/document.xml"])),
            Err(FileRefusal::BadOffice),
            "no [Content_Types].xml"
        );
        assert_eq!(
            detect(&zip(&["[Content_Types].xml", "ppt/presentation.xml"])),
            Err(FileRefusal::BadOffice),
            "PowerPoint is not on the list"
        );
        assert_eq!(
            detect(&zip(&["[Content_Types].xml", "word/a.xml", "xl/b.xml"])),
            Err(FileRefusal::BadOffice),
            "ambiguous"
        );
        assert_eq!(
            detect(&zip(&[
                "[Content_Types].xml",
                "word/document.xml",
                "word/vbaProject.bin"
            ])),
            Err(FileRefusal::Macros)
        );
        // A ZIP signature with no central directory (truncated or forged).
        assert_eq!(detect(b"PK\x03\x04garbage"), Err(FileRefusal::BadOffice));
        let mut truncated = docx();
        truncated.truncate(truncated.len() - 30);
        assert_eq!(detect(&truncated), Err(FileRefusal::BadOffice));
    }

    #[test]
    fn central_directory_offsets_are_bounds_checked() {
        let mut forged = docx();
        let n = forged.len();
        // Point the directory far beyond the end.
        forged[n - 6..n - 2].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(detect(&forged), Err(FileRefusal::BadOffice));
        // Claim more entries than there are.
        let mut more = docx();
        let n = more.len();
        more[n - 12..n - 10].copy_from_slice(&200u16.to_le_bytes());
        assert_eq!(detect(&more), Err(FileRefusal::BadOffice));
    }

    #[test]
    fn names_inside_the_content_do_not_fool_the_zip_check() {
        // "word/" appears only in a file's data, not as an entry name.
        let z = zip_with(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("notes.txt", b"word/document.xml xl/workbook.xml"),
        ]);
        assert_eq!(detect(&z), Err(FileRefusal::BadOffice));
    }

    #[test]
    fn other_compound_files_are_refused() {
        assert_eq!(
            detect(&ole2(&["PowerPoint Document"])),
            Err(FileRefusal::Unsupported)
        );
        assert_eq!(detect(&ole2(&[])), Err(FileRefusal::Unsupported));
        assert_eq!(
            detect(&ole2(&["WordDocument", "Macros"])),
            Err(FileRefusal::Macros)
        );
        assert_eq!(
            detect(&ole2(&["Workbook", "_VBA_PROJECT_CUR"])),
            Err(FileRefusal::Macros)
        );
        // Just the header.
        assert_eq!(detect(&ole2(&[])[..8]), Err(FileRefusal::Unsupported));
    }

    #[test]
    fn file_names_are_cleaned_and_get_the_detected_extension() {
        assert_eq!(
            clean_file_name("章程（2025版）.pdf", FileType::Pdf),
            "章程（2025版）.pdf"
        );
        assert_eq!(clean_file_name("report.PDF", FileType::Pdf), "report.PDF");
        assert_eq!(clean_file_name("photo.jpeg", FileType::Jpeg), "photo.jpeg");
        assert_eq!(clean_file_name("setup.exe", FileType::Pdf), "setup.exe.pdf");
        assert_eq!(clean_file_name("page.html", FileType::Png), "page.html.png");
        assert_eq!(clean_file_name("noext", FileType::Docx), "noext.docx");
        assert_eq!(
            clean_file_name("C:\\Users\\me\\..\\secret.xlsx", FileType::Xlsx),
            "secret.xlsx"
        );
        assert_eq!(
            clean_file_name("../../etc/passwd", FileType::Pdf),
            "passwd.pdf"
        );
        assert_eq!(clean_file_name("", FileType::Pdf), "文件.pdf");
        assert_eq!(clean_file_name("...", FileType::Pdf), "文件.pdf");
        assert_eq!(clean_file_name(".hidden.pdf", FileType::Pdf), "hidden.pdf");
        assert_eq!(
            clean_file_name("a\"b\r\nc:d*?.pdf", FileType::Pdf),
            "a_b__c_d__.pdf"
        );
        assert_eq!(
            clean_file_name("evil\u{202E}fdp.exe", FileType::Pdf),
            "evil_fdp.exe.pdf"
        );
        let long = "长".repeat(300) + ".pdf";
        let cleaned = clean_file_name(&long, FileType::Pdf);
        assert_eq!(cleaned.chars().count(), 120);
        assert!(cleaned.ends_with(".pdf"));
    }

    #[test]
    fn content_disposition_is_an_attachment_with_rfc5987_name() {
        assert_eq!(
            content_disposition("report.pdf"),
            "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
        );
        assert_eq!(
            content_disposition("章程 v2.pdf"),
            "attachment; filename=\"__ v2.pdf\"; filename*=UTF-8''%E7%AB%A0%E7%A8%8B%20v2.pdf"
        );
        // Nothing that could end the header or inject a parameter survives.
        let header = content_disposition("a\";b\\c%d\r\n.pdf");
        assert!(!header.contains('\r') && !header.contains('\n'));
        assert_eq!(
            header,
            "attachment; filename=\"a__b_c_d__.pdf\"; filename*=UTF-8''a%22%3Bb%5Cc%25d%0D%0A.pdf"
        );
    }

    #[test]
    fn sha256_and_sizes() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(human_size(532), "532 B");
        assert_eq!(human_size(12_700), "12.4 KB");
        assert_eq!(human_size(3_250_586), "3.1 MB");
    }

    #[test]
    fn content_types_round_trip() {
        for &t in FileType::ALL {
            assert_eq!(FileType::from_content_type(t.content_type()), Some(t));
        }
        assert_eq!(FileType::from_content_type("text/html"), None);
    }

    fn file(name: &str, bytes: Vec<u8>) -> UploadedFile {
        UploadedFile {
            name: name.into(),
            bytes,
            too_large: false,
        }
    }

    #[test]
    fn a_valid_new_document() {
        let fields = NewDocumentFields {
            kind: "charter".into(),
            title: "  平台章程  ".into(),
            note: "理事会审议通过稿".into(),
        };
        let doc = fields
            .validate(Some(&file("章程.pdf", pdf())), true)
            .expect("valid");
        assert_eq!(doc.kind, DocumentKind::Charter);
        assert_eq!(doc.title, "平台章程");
        assert_eq!(doc.file.file_type, FileType::Pdf);
        assert_eq!(doc.file.file_name, "章程.pdf");
        assert_eq!(doc.file.size, i32::try_from(pdf().len()).unwrap_or(0));
        assert_eq!(doc.file.sha256, sha256_hex(&pdf()));
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let fields = NewDocumentFields {
            kind: "secret".into(),
            title: " ".into(),
            note: "说".repeat(501),
        };
        let errors = fields
            .validate(Some(&file("x.pdf", b"<html>".to_vec())), false)
            .expect_err("invalid");
        assert_eq!(errors.get("kind"), "请选择文件类别");
        assert_eq!(errors.get("title"), "请填写文件标题");
        assert!(errors.get("note").contains("500"));
        assert!(errors.get("file").starts_with("网页、SVG"));
        assert_eq!(errors.len(), 4);
    }

    #[test]
    fn the_file_field_must_hold_a_file() {
        let fields = NewDocumentFields {
            kind: "other".into(),
            title: "说明".into(),
            note: String::new(),
        };
        let missing = fields.validate(None, false).expect_err("missing");
        assert_eq!(missing.get("file"), "请选择要上传的文件");
        let blank = fields
            .validate(Some(&file("", Vec::new())), false)
            .expect_err("blank");
        assert_eq!(blank.get("file"), "请选择要上传的文件");
        let empty = fields
            .validate(Some(&file("a.pdf", Vec::new())), false)
            .expect_err("empty");
        assert_eq!(empty.get("file"), FileRefusal::Empty.to_string());
        let big = UploadedFile {
            name: "big.pdf".into(),
            bytes: Vec::new(),
            too_large: true,
        };
        let big = fields.validate(Some(&big), false).expect_err("big");
        assert_eq!(big.get("file"), FileRefusal::TooLarge.to_string());
    }

    #[test]
    fn operators_file_their_own_documents_but_not_the_bureaus() {
        for &kind in DocumentKind::ALL {
            let fields = NewDocumentFields {
                kind: kind.as_str().into(),
                title: "文件".into(),
                note: String::new(),
            };
            let as_operator = fields.validate(Some(&file("a.png", png())), true);
            assert_eq!(as_operator.is_ok(), kind.operator_may_upload(), "{kind:?}");
            assert!(fields.validate(Some(&file("a.png", png())), false).is_ok());
        }
        assert!(!DocumentKind::Decision.operator_may_upload());
        assert!(!DocumentKind::Integrity.operator_may_upload());
        assert!(DocumentKind::AcceptanceReport.operator_may_upload());
    }

    #[test]
    fn a_new_version_needs_a_good_file() {
        let ok = validate_version(" 修订 ", Some(&file("v2.docx", docx()))).expect("valid");
        assert_eq!(ok.note, "修订");
        assert_eq!(ok.file.file_type, FileType::Docx);
        let bad = validate_version("", Some(&file("v2.docx", b"MZ..".to_vec()))).expect_err("exe");
        assert_eq!(bad.get("file"), FileRefusal::Executable.to_string());
    }
}
