//! Exports to files, for the `export` command: every incident a query matches (the same query
//! parameters as `/items`), as GeoJSON, CSV or a GeoPackage, written in chunks so a million
//! incidents never sit in memory as one document.

use super::fragments::Fragments;
use crate::index::Index;
use std::io::Write;
use std::path::Path;

/// A file layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Geojson,
    Csv,
    Geopackage,
}

impl Format {
    pub fn parse(text: &str) -> Option<Format> {
        match text {
            "geojson" => Some(Format::Geojson),
            "csv" => Some(Format::Csv),
            "gpkg" | "geopackage" => Some(Format::Geopackage),
            _ => None,
        }
    }

    /// The layout a file name's extension names.
    pub fn from_path(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "geojson" | "json" => Some(Format::Geojson),
            "csv" => Some(Format::Csv),
            "gpkg" => Some(Format::Geopackage),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{0}")]
    Query(#[from] crate::query::QueryError),
    #[error("{path}: {message}")]
    File { path: String, message: String },
}

const CHUNK: usize = 4096;

/// Writes every incident `query` (an `/items` query string) matches to `path` (which must not
/// exist); returns how many were written.
pub fn export(
    index: &Index,
    query: &str,
    format: Format,
    path: &Path,
) -> Result<usize, ExportError> {
    let file_error = |message: String| ExportError::File {
        path: path.display().to_string(),
        message,
    };
    if path.exists() {
        return Err(file_error(
            "exists; an export never overwrites a file".into(),
        ));
    }
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query).map_err(|_| crate::query::QueryError::InvalidValue {
            parameter: "--query".into(),
            expected: "URL query parameters as /items takes them (town=Hadrut&datetime=...)".into(),
            got: query.to_string(),
        })?;
    let params = crate::query::Params::new(pairs)?;
    let q = crate::query::parse_incident_query(&params, &index.gazetteer)?;
    let items = crate::query::matching(index, &q);
    let fragments = Fragments::new(index);
    let feature_bytes = |i: u32| {
        let mut out = Vec::with_capacity(2048);
        super::features::write_feature(&mut out, index, &fragments, i, q.naming);
        out
    };
    match format {
        Format::Geopackage => {
            let mut writer =
                super::geopackage::Writer::create(path).map_err(|e| file_error(e.to_string()))?;
            for &i in &items {
                let feature: serde_json::Value = serde_json::from_slice(&feature_bytes(i))
                    .map_err(|e| file_error(e.to_string()))?;
                writer
                    .add(&feature)
                    .map_err(|e| file_error(e.to_string()))?;
            }
            writer.finish().map_err(|e| file_error(e.to_string()))
        }
        Format::Geojson | Format::Csv => {
            let file = std::fs::File::create_new(path).map_err(|e| file_error(e.to_string()))?;
            let mut out = std::io::BufWriter::new(file);
            let io = |e: std::io::Error| file_error(e.to_string());
            if format == Format::Csv {
                out.write_all(&super::csv::header()).map_err(io)?;
                for chunk in items.chunks(CHUNK) {
                    let mut bytes = Vec::new();
                    super::csv::rows(index, &fragments, chunk, q.naming, &mut bytes);
                    out.write_all(&bytes).map_err(io)?;
                }
            } else {
                write!(
                    out,
                    "{{\"type\":\"FeatureCollection\",\"numberMatched\":{0},\"numberReturned\":{0},\"features\":[",
                    items.len()
                )
                .map_err(io)?;
                for (k, &i) in items.iter().enumerate() {
                    if k > 0 {
                        out.write_all(b",").map_err(io)?;
                    }
                    out.write_all(&feature_bytes(i)).map_err(io)?;
                }
                out.write_all(b"]}\n").map_err(io)?;
            }
            out.flush().map_err(io)?;
            Ok(items.len())
        }
    }
}
