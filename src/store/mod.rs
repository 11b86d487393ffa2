//! Persistence: reading the dataset (files now; a database later) into the model, validated.
//! A dataset either loads whole or not at all.

pub mod database;
mod files;
mod incidents;
mod layers;
mod passages;
pub mod snapshot;

pub use files::{
    DataPaths, FileStore, MAX_FILE_BYTES, check_dir, load_dir, load_dir_prepared,
    places_and_archive, read_import, seed_store,
};
pub use incidents::{MAX_COLLECTED, parse_feature, seed_features};
pub use passages::{Archive, sha256_hex};

use crate::model::Dataset;
use std::path::PathBuf;
use thiserror::Error;

/// Why a dataset did not load. Every variant names the file; validation errors also name the
/// feature and the field.
#[derive(Debug, Error)]
pub enum LoadError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {location}: {message}")]
    Json {
        path: PathBuf,
        location: String,
        message: String,
    },
    #[error("{path}: feature {feature}: field '{field}': expected {expected}")]
    Invalid {
        path: PathBuf,
        feature: String,
        field: String,
        expected: String,
    },
    #[error(transparent)]
    Database(#[from] database::DbError),
    #[error("{path}: feature {feature}: id '{id}' is used twice")]
    Duplicate {
        path: PathBuf,
        feature: String,
        id: String,
    },
}

/// Where a dataset lives. Files now; a database (PostGIS) can implement the same trait.
pub trait Store {
    /// Reads and validates the whole dataset, or says what is wrong with it.
    fn load(&self) -> Result<Dataset, LoadError>;
}

/// serde's messages in plain words: "invalid type: string \"x\", expected u32" becomes "a whole
/// number (found the text \"x\")", so a curator reading `check` needs no Rust.
pub fn plain_words(message: &str) -> String {
    let kind = |expected: &str| -> String {
        let e = expected.trim();
        let e = e.split(" at line ").next().unwrap_or(e);
        match e {
            "u32" | "u64" | "usize" | "u16" | "u8" => "a whole number".into(),
            "f64" | "f32" => "a number".into(),
            "a boolean" | "bool" => "true or false".into(),
            "a string" => "text".into(),
            "a sequence" => "a list [...]".into(),
            "a map" => "an object {...}".into(),
            other if other.starts_with("struct ") => "an object {...}".into(),
            other => other.replace('`', "'"),
        }
    };
    if let Some(rest) = message.strip_prefix("invalid type: ")
        && let Some((found, expected)) = rest.split_once(", expected ")
    {
        let found = found
            .replace("string ", "the text ")
            .replace("integer ", "the number ")
            .replace("floating point ", "the number ")
            .replace("map", "an object")
            .replace("sequence", "a list");
        return format!("{} (found {found})", kind(expected));
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        let field = rest
            .split(" at line ")
            .next()
            .unwrap_or(rest)
            .replace('`', "'");
        return format!("the field {field}, which is missing");
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let (field, allowed) = rest.split_once(", expected ").unwrap_or((rest, ""));
        return format!(
            "no field {} here (allowed: {})",
            field.replace('`', "'"),
            allowed
                .split(" at line ")
                .next()
                .unwrap_or("")
                .replace('`', "'")
        );
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let (value, allowed) = rest.split_once(", expected ").unwrap_or((rest, ""));
        return format!(
            "one of {} (found {})",
            allowed
                .split(" at line ")
                .next()
                .unwrap_or("")
                .trim_start_matches("one of ")
                .replace('`', "'"),
            value.replace('`', "'")
        );
    }
    message.to_string()
}

#[cfg(test)]
mod tests {
    use super::plain_words;

    #[test]
    fn serde_messages_become_plain_words() {
        assert_eq!(
            plain_words("invalid type: string \"ten\", expected u32"),
            "a whole number (found the text \"ten\")"
        );
        assert_eq!(
            plain_words("missing field `date` at line 3 column 4"),
            "the field 'date', which is missing"
        );
        assert_eq!(
            plain_words("unknown variant `certain`, expected one of `confirmed`, `weak`"),
            "one of 'confirmed', 'weak' (found 'certain')"
        );
    }
}
