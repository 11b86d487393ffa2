//! Persistence: reading the dataset (files now; a database later) into the model, validated.
//! A dataset either loads whole or not at all.

mod files;
mod incidents;
mod layers;
mod passages;

pub use files::{DataPaths, FileStore, load_dir};
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
