//! The archive of passages (`sources/` beside the data files): one JSON file per quotation,
//! each carrying the SHA-256 of its text. Records cite passages by id; the loader checks that
//! every cited passage exists, that its hash is intact, and that the citation written in the
//! record (publisher, title, date, address) is the one archived with it.

use super::LoadError;
use crate::model::{Passage, Source};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// A passage file larger than this is refused: a quotation is a few sentences, and a
/// corrupted or hostile file must not be read into memory whole.
const MAX_PASSAGE_FILE_BYTES: u64 = 64 * 1024;
/// At most this many files in the folder.
const MAX_PASSAGES: usize = 100_000;

/// The passages by id, with their text shared for the incidents that quote them.
#[derive(Debug, Default)]
pub struct Archive {
    passages: HashMap<String, (Passage, Arc<str>)>,
}

/// Lower-case hex SHA-256 of `text` as UTF-8.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn invalid(path: &Path, feature: &str, field: &str, expected: String) -> LoadError {
    LoadError::Invalid {
        path: path.to_path_buf(),
        feature: feature.to_string(),
        field: field.to_string(),
        expected,
    }
}

impl Archive {
    /// Reads every `*.json` in `dir`. A missing folder is an empty archive (a dataset may cite
    /// no passages); anything unreadable, malformed or tampered with stops the load.
    pub fn load(dir: &Path) -> Result<Archive, LoadError> {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Archive::default()),
            Err(source) => {
                return Err(LoadError::Io {
                    path: dir.to_path_buf(),
                    source,
                });
            }
        };
        let mut paths = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| LoadError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "json") {
                paths.push(path);
            }
            if paths.len() > MAX_PASSAGES {
                return Err(invalid(
                    dir,
                    "(folder)",
                    "files",
                    format!("at most {MAX_PASSAGES} passage files"),
                ));
            }
        }
        paths.sort();
        let mut passages = HashMap::with_capacity(paths.len());
        for path in paths {
            let passage = read_passage(&path)?;
            let text: Arc<str> = passage.passage.as_str().into();
            passages.insert(passage.id.clone(), (passage, text));
        }
        Ok(Archive { passages })
    }

    pub fn len(&self) -> usize {
        self.passages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.passages.is_empty()
    }

    /// The passages, ordered by id.
    pub fn passages(&self) -> Vec<Passage> {
        let mut all: Vec<Passage> = self.passages.values().map(|(p, _)| p.clone()).collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        all
    }

    /// Checks a citation against the passage it names and fills in the quotation. A citation
    /// without a passage is left as it is. The error is the field at fault and what was
    /// expected.
    pub fn resolve(&self, source: &mut Source) -> Result<(), (&'static str, String)> {
        let Some(id) = source.passage.clone() else {
            return Ok(());
        };
        let Some((passage, text)) = self.passages.get(&*id) else {
            return Err((
                "sources.passage",
                format!("the id of a passage in the sources folder ('{id}' is not there)"),
            ));
        };
        let same = |cited: Option<&str>, archived: Option<&str>| cited == archived;
        let checks: [(&'static str, bool, Option<&str>); 5] = [
            (
                "sources.publisher",
                *source.publisher == *passage.publisher,
                Some(&passage.publisher),
            ),
            (
                "sources.title",
                *source.title == *passage.title,
                Some(&passage.title),
            ),
            (
                "sources.date",
                same(source.date.as_deref(), passage.date.as_deref()),
                passage.date.as_deref(),
            ),
            (
                "sources.url",
                same(source.url.as_deref(), passage.url.as_deref()),
                passage.url.as_deref(),
            ),
            (
                "sources.read_at",
                same(source.read_at.as_deref(), passage.read_at.as_deref()),
                passage.read_at.as_deref(),
            ),
        ];
        for (field, ok, archived) in checks {
            if !ok {
                return Err((
                    field,
                    format!(
                        "the value archived with passage '{id}' ({})",
                        archived.map_or("null".to_string(), |a| format!("\"{a}\""))
                    ),
                ));
            }
        }
        source.quote = Some(text.clone());
        Ok(())
    }

    /// Checks the `sources` array of a JSON record (a summary, a reference object), as
    /// [`Archive::resolve`] does for an incident's; returns the sources parsed.
    pub fn check_json_sources(
        &self,
        path: &Path,
        label: &str,
        sources: Option<&serde_json::Value>,
    ) -> Result<Vec<Source>, LoadError> {
        let Some(serde_json::Value::Array(items)) = sources else {
            return Err(invalid(
                path,
                label,
                "sources",
                "at least one source".into(),
            ));
        };
        if items.is_empty() {
            return Err(invalid(
                path,
                label,
                "sources",
                "at least one source".into(),
            ));
        }
        let mut parsed = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let mut source: Source = serde_json::from_value(item.clone()).map_err(|e| {
                invalid(
                    path,
                    label,
                    &format!("sources[{index}]"),
                    format!("a source with a publisher and a title ({e})"),
                )
            })?;
            if let Some(field) = source.missing_field() {
                return Err(invalid(
                    path,
                    label,
                    &format!("sources[{index}].{field}"),
                    crate::model::source_field_expectation(field).into(),
                ));
            }
            self.resolve(&mut source)
                .map_err(|(field, expected)| invalid(path, label, field, expected))?;
            parsed.push(source);
        }
        Ok(parsed)
    }
}

fn read_passage(path: &Path) -> Result<Passage, LoadError> {
    let label = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let size = std::fs::metadata(path)
        .map_err(|source| LoadError::Io {
            path: path.to_path_buf(),
            source,
        })?
        .len();
    if size > MAX_PASSAGE_FILE_BYTES {
        return Err(invalid(
            path,
            &label,
            "(file)",
            format!("a passage file of at most {MAX_PASSAGE_FILE_BYTES} bytes (it has {size})"),
        ));
    }
    let text = super::files::read_text_capped(path, MAX_PASSAGE_FILE_BYTES)?;
    let passage: Passage = serde_json::from_str(&text).map_err(|e| LoadError::Json {
        path: path.to_path_buf(),
        location: format!("line {}, column {}", e.line(), e.column()),
        message: e.to_string(),
    })?;
    if passage.id != label {
        return Err(invalid(
            path,
            &label,
            "id",
            format!("the file's own name ('{label}'), not '{}'", passage.id),
        ));
    }
    for (field, value) in [
        ("publisher", &passage.publisher),
        ("title", &passage.title),
        ("passage", &passage.passage),
    ] {
        if value.trim().is_empty() {
            return Err(invalid(path, &label, field, "non-empty text".into()));
        }
    }
    let computed = sha256_hex(&passage.passage);
    if passage.sha256 != computed {
        return Err(invalid(
            path,
            &label,
            "sha256",
            format!(
                "the SHA-256 of the passage ({computed}); the file says {}: the passage or its hash was altered",
                passage.sha256
            ),
        ));
    }
    Ok(passage)
}
