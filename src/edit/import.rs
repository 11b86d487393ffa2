//! Importing incidents from files: GeoJSON (the data files' layout, or strikemap's own export),
//! CSV (the export's column layout, README "CSV columns") and ACLED's CSV export. Every row is
//! turned into an incident feature and checked exactly as an API write is; a row that fails is
//! reported with every problem and never written, the others are written in batches (each row
//! whole or not at all), each with an `import` revision naming the file. A dry run checks and
//! reports without writing.

mod acled;
mod rows;

use super::validate::Problem;
use super::{Checker, EditError};
use crate::store::database::{Action, DbError, RecordStore, Status, Write};
use serde::Serialize;
use serde_json::Value;
use std::path::Path;

/// Rows written per transaction.
const BATCH: usize = 1000;
/// Rejected rows listed in a report (all are counted).
pub const MAX_LISTED: usize = 1000;

/// A file's layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Geojson,
    Csv,
    Acled,
}

impl Format {
    pub fn parse(text: &str) -> Option<Format> {
        match text {
            "geojson" => Some(Format::Geojson),
            "csv" => Some(Format::Csv),
            "acled" => Some(Format::Acled),
            _ => None,
        }
    }

    /// The layout a file's name and header suggest: `.geojson`/`.json` is GeoJSON; a CSV whose
    /// header has ACLED's `event_id_cnty` and `event_date` is ACLED's, else strikemap's.
    pub fn guess(path: &Path, head: &str) -> Option<Format> {
        let name = path.to_string_lossy().to_ascii_lowercase();
        if name.ends_with(".geojson") || name.ends_with(".json") {
            return Some(Format::Geojson);
        }
        if name.ends_with(".csv") {
            let first = head.lines().next().unwrap_or("").to_ascii_lowercase();
            return Some(
                if first.contains("event_id_cnty") && first.contains("event_date") {
                    Format::Acled
                } else {
                    Format::Csv
                },
            );
        }
        None
    }
}

/// A row that was not imported, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Rejection {
    /// 1-based: the feature's position in a GeoJSON file, the line in a CSV file.
    pub row: usize,
    pub id: Option<String>,
    pub problems: Vec<Problem>,
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Serialize, Default)]
pub struct Report {
    pub read: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: usize,
    /// The first [`MAX_LISTED`] rejected rows.
    pub rejections: Vec<Rejection>,
    /// Columns of a CSV that were not read (computed ones the export adds, or unknown ones).
    pub ignored_columns: Vec<String>,
    pub dry_run: bool,
}

impl Report {
    fn reject(&mut self, rejection: Rejection) {
        self.rejected += 1;
        if self.rejections.len() < MAX_LISTED {
            self.rejections.push(rejection);
        }
    }
}

/// Why an import could not run at all (a bad row is a [`Rejection`], not this).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error(transparent)]
    Store(#[from] DbError),
}

/// One row of a file, as a feature to check, or the problems that stop it being one.
pub(crate) struct Row {
    pub row: usize,
    /// The incident's id when the row names one, even if it fails.
    pub id: Option<String>,
    pub feature: Result<Value, Vec<Problem>>,
}

/// Imports `path` into `db`, checking each row with `checker`; `progress` is told how many
/// rows were read. `actor` names the import in the trail.
pub fn import(
    db: &dyn RecordStore,
    checker: &Checker,
    path: &Path,
    format: Format,
    dry_run: bool,
    progress: &dyn Fn(u64),
) -> Result<Report, ImportError> {
    let text = crate::store::read_import(path).map_err(|e| ImportError::File {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    import_text(db, checker, &text, &name, None, format, dry_run, progress)
}

/// As [`import`], from the file's text; `name` names it in errors and in the trail, whose
/// author is `actor` (a token's holder) or, without one, the file.
#[allow(clippy::too_many_arguments)]
pub fn import_text(
    db: &dyn RecordStore,
    checker: &Checker,
    text: &str,
    name: &str,
    actor: Option<&str>,
    format: Format,
    dry_run: bool,
    progress: &dyn Fn(u64),
) -> Result<Report, ImportError> {
    let file_error = |message: String| ImportError::File {
        path: name.to_string(),
        message,
    };
    let mut report = Report {
        dry_run,
        ..Report::default()
    };
    let parsed: Box<dyn Iterator<Item = Row> + '_> = match format {
        Format::Geojson => rows::geojson(text),
        Format::Csv => rows::csv(text, &mut report.ignored_columns),
        Format::Acled => acled::rows(text, checker, &mut report.ignored_columns),
    }
    .map_err(file_error)?;
    let actor = actor.map_or_else(|| format!("import:{name}"), str::to_string);
    let reason = format!("imported from {name}");
    let mut pending: Vec<super::Prepared> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for Row { row, id, feature } in parsed {
        report.read += 1;
        if report.read.is_multiple_of(10_000) {
            progress(report.read as u64);
        }
        let id_of = |f: &Value| f["properties"]["id"].as_str().map(str::to_string);
        let feature = match feature {
            Ok(feature) => feature,
            Err(problems) => {
                report.reject(Rejection { row, id, problems });
                continue;
            }
        };
        let id = id_of(&feature).or(id);
        let Some(given) = id.clone() else {
            report.reject(Rejection {
                row,
                id,
                problems: vec![Problem::new(
                    "properties.id",
                    "an id (an import must name each incident, so that importing again updates it)",
                )],
            });
            continue;
        };
        if !seen.insert(given.clone()) {
            report.reject(Rejection {
                row,
                id,
                problems: vec![Problem::new(
                    "properties.id",
                    "an id not used earlier in the file",
                )],
            });
            continue;
        }
        let prepared = match checker.prepare(&feature, Some(&given)) {
            Ok(p) => p,
            Err(EditError::Invalid(problems)) => {
                report.reject(Rejection { row, id, problems });
                continue;
            }
            Err(other) => {
                report.reject(Rejection {
                    row,
                    id,
                    problems: vec![Problem::new("(row)", other.to_string())],
                });
                continue;
            }
        };
        match db.get(&given)? {
            Some(stored) if stored.status == Status::Retracted => {
                report.reject(Rejection {
                    row,
                    id,
                    problems: vec![Problem::new(
                        "properties.id",
                        "an incident that was not retracted (an import never brings one back)",
                    )],
                });
                continue;
            }
            Some(stored)
                if same_json(&stored.feature, &prepared.feature)
                    && stored.restricted == prepared.restricted =>
            {
                report.unchanged += 1;
                continue;
            }
            Some(_) => report.updated += 1,
            None => report.created += 1,
        }
        pending.push(prepared);
        if pending.len() >= BATCH {
            flush(db, &mut pending, &actor, &reason, dry_run)?;
        }
    }
    flush(db, &mut pending, &actor, &reason, dry_run)?;
    progress(report.read as u64);
    Ok(report)
}

/// Two JSON texts with the same content (the store writes its own; a file may order keys
/// differently).
fn same_json(a: &str, b: &str) -> bool {
    match (
        serde_json::from_str::<Value>(a),
        serde_json::from_str::<Value>(b),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

fn flush(
    db: &dyn RecordStore,
    pending: &mut Vec<super::Prepared>,
    actor: &str,
    reason: &str,
    dry_run: bool,
) -> Result<(), ImportError> {
    if !dry_run && !pending.is_empty() {
        let writes: Vec<Write> = pending
            .iter()
            .map(|p| Write {
                id: &p.id,
                action: Action::Import,
                expected_revision: None,
                feature: &p.feature,
                restricted: p.restricted.as_deref(),
                actor,
                reason: Some(reason),
            })
            .collect();
        db.write_batch(&writes)?;
    }
    pending.clear();
    Ok(())
}
