//! Evidence for an incident: editors add files, everyone may see that they exist (hash, size,
//! type, when), and only editors see what they are and may read them, each read logged.

use super::{EditError, Editor, Problem, require};
use crate::model::Role;
use crate::store::database::evidence::{EvidenceItem, EvidenceMeta, MEDIA_TYPES, Staging};
use crate::store::database::{DbError, Principal, Status};
use std::path::PathBuf;

const MAX_META_CHARS: usize = 2_000;

impl Editor {
    /// A place to receive a file of at most `cap` bytes.
    pub fn staging(&self, cap: u64) -> Result<Staging, EditError> {
        Staging::new(self.database(), cap)
            .map_err(|e| EditError::Store(DbError::Invalid(e.to_string())))
    }

    /// Checks who may add what, before a byte is received.
    pub fn check_evidence(
        &self,
        who: &Principal,
        id: &str,
        meta: &EvidenceMeta,
    ) -> Result<(), EditError> {
        require(who, Role::Editor)?;
        let stored = self.stored(id)?;
        if stored.status == Status::Retracted {
            return Err(EditError::Retracted {
                id: id.to_string(),
                reason: stored.retraction_reason.unwrap_or_default(),
            });
        }
        let mut problems = Vec::new();
        if !MEDIA_TYPES.contains(&meta.media_type.as_str()) {
            problems.push(Problem::new(
                "Content-Type",
                format!("one of {}", MEDIA_TYPES.join(", ")),
            ));
        }
        for (field, text) in [
            ("filename", &meta.filename),
            ("description", &meta.description),
            ("origin", &meta.origin),
        ] {
            if text
                .as_ref()
                .is_some_and(|t| t.chars().count() > MAX_META_CHARS)
            {
                problems.push(Problem::new(
                    field,
                    format!("at most {MAX_META_CHARS} characters"),
                ));
            }
        }
        if let Some(n) = meta.source_index {
            let feature: serde_json::Value =
                serde_json::from_str(&stored.feature).unwrap_or_default();
            let sources = feature["properties"]["sources"]
                .as_array()
                .map_or(0, Vec::len);
            if n as usize >= sources {
                problems.push(Problem::new(
                    "source",
                    format!("the position of one of the incident's {sources} sources, from 0"),
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(EditError::Invalid(problems))
        }
    }

    /// Keeps a received file for incident `id` and logs who added it, when and from where.
    pub fn add_evidence(
        &self,
        who: &Principal,
        id: &str,
        staging: Staging,
        meta: &EvidenceMeta,
        peer: Option<&str>,
    ) -> Result<EvidenceItem, EditError> {
        self.check_evidence(who, id, meta)?;
        let staged = staging
            .finish()
            .map_err(|e| EditError::Store(DbError::Invalid(e.to_string())))?;
        if staged.size == 0 {
            let _ = std::fs::remove_file(&staged.path);
            return Err(EditError::Invalid(vec![Problem::new(
                "(body)",
                "the file's bytes (the body is empty)",
            )]));
        }
        Ok(self
            .database()
            .add_evidence(id, &staged, meta, &who.name, peer)?)
    }

    /// The files of incident `id`; what they are and their custody only for editors.
    pub fn evidence(
        &self,
        who: Option<&Principal>,
        id: &str,
    ) -> Result<Vec<EvidenceItem>, EditError> {
        self.stored(id)?;
        let full = who.is_some_and(|p| p.role.sees_restricted());
        Ok(self.database().evidence(id, full)?)
    }

    /// The stored file for an editor to read (the read is logged first), with its media type.
    pub fn read_evidence(
        &self,
        who: &Principal,
        id: &str,
        sha256: &str,
        peer: Option<&str>,
    ) -> Result<(PathBuf, String), EditError> {
        require(who, Role::Editor)?;
        let item = self
            .database()
            .evidence(id, false)?
            .into_iter()
            .find(|e| e.sha256 == sha256)
            .ok_or_else(|| EditError::NotFound(format!("{id}: evidence {sha256}")))?;
        self.database().log_read(sha256, id, &who.name, peer)?;
        Ok((self.database().evidence_path(sha256), item.media_type))
    }
}
