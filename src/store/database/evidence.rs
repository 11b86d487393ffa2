//! Evidence files: stored once by their SHA-256 in a folder beside the database (written to a
//! temporary file, hashed while written, then renamed into place and made read-only), linked to
//! incidents, with a custody log of who added, attached, read and verified each.

use super::{Database, DbError, now};
use rusqlite::params;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Media types accepted as evidence: images, video, audio, PDFs, archived web pages.
pub const MEDIA_TYPES: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/tiff",
    "video/mp4",
    "video/webm",
    "audio/mpeg",
    "application/pdf",
    "text/html",
    "application/warc",
    "message/rfc822",
    "text/plain",
];

/// One file as linked to an incident.
#[derive(Debug, Clone, Serialize)]
pub struct EvidenceItem {
    pub sha256: String,
    pub size: u64,
    pub media_type: String,
    pub added_at: String,
    /// The rest only editors see.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<EvidenceDetail>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EvidenceDetail {
    pub filename: Option<String>,
    pub description: Option<String>,
    pub origin: Option<String>,
    pub source_index: Option<u32>,
    pub added_by: String,
    pub custody: Vec<CustodyEntry>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CustodyEntry {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub peer: Option<String>,
    pub detail: Option<String>,
}

/// What an editor says about a file they add.
#[derive(Debug, Clone, Default)]
pub struct EvidenceMeta {
    pub media_type: String,
    pub filename: Option<String>,
    pub description: Option<String>,
    pub origin: Option<String>,
    pub source_index: Option<u32>,
}

/// A received file, synced, with its hash: ready to be kept.
#[derive(Debug, Clone)]
pub struct Staged {
    pub path: PathBuf,
    pub sha256: String,
    pub size: u64,
}

/// A verify run's findings.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Verification {
    pub checked: usize,
    pub ok: usize,
    pub mismatched: Vec<String>,
    pub missing: Vec<String>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Database {
    /// The folder evidence files live in: `<store>.evidence/` beside the database.
    pub fn evidence_dir(&self) -> PathBuf {
        let mut name = self.path.file_name().unwrap_or_default().to_os_string();
        name.push(".evidence");
        self.path.with_file_name(name)
    }

    /// Where the file with this hash is kept.
    pub fn evidence_path(&self, sha256: &str) -> PathBuf {
        self.evidence_dir()
            .join(&sha256[..2.min(sha256.len())])
            .join(sha256)
    }

    /// Stores the file `staged` (a temporary file in the evidence folder, whose hash the caller
    /// computed while writing it) for incident `incident_id`, and logs it. A file already held
    /// is not written again; its copy is kept and the new one dropped.
    pub fn add_evidence(
        &self,
        incident_id: &str,
        staged: &Staged,
        meta: &EvidenceMeta,
        actor: &str,
        peer: Option<&str>,
    ) -> Result<EvidenceItem, DbError> {
        let (sha256, size) = (staged.sha256.as_str(), staged.size);
        let target = self.evidence_path(sha256);
        let io = |e: std::io::Error| DbError::Invalid(format!("{}: {e}", target.display()));
        if target.exists() {
            let _ = std::fs::remove_file(&staged.path);
        } else {
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(io)?;
            }
            std::fs::rename(&staged.path, &target).map_err(io)?;
            let mut permissions = std::fs::metadata(&target).map_err(io)?.permissions();
            permissions.set_readonly(true);
            std::fs::set_permissions(&target, permissions).map_err(io)?;
            // The rename is durable only once the folder is synced.
            if let Some(parent) = target.parent()
                && let Ok(dir) = std::fs::File::open(parent)
            {
                let _ = dir.sync_all();
            }
        }
        self.with(|c| {
            let tx = c.transaction().map_err(|e| self.sqlite(e))?;
            let at = now();
            let new_file = tx
                .execute(
                    "INSERT OR IGNORE INTO evidence (sha256, size, media_type, first_added_at) VALUES (?1, ?2, ?3, ?4)",
                    params![sha256, size as i64, meta.media_type, at],
                )
                .map_err(|e| self.sqlite(e))?;
            tx.execute(
                "INSERT INTO evidence_links (incident_id, sha256, source_index, filename, description, origin, added_by, added_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (incident_id, sha256) DO NOTHING",
                params![incident_id, sha256, meta.source_index, meta.filename, meta.description, meta.origin, actor, at],
            )
            .map_err(|e| self.sqlite(e))?;
            tx.execute(
                "INSERT INTO custody (sha256, incident_id, at, actor, action, peer, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    sha256,
                    incident_id,
                    at,
                    actor,
                    if new_file > 0 { "add" } else { "attach" },
                    peer,
                    meta.origin.as_deref().map(|o| format!("from {o}"))
                ],
            )
            .map_err(|e| self.sqlite(e))?;
            tx.commit().map_err(|e| self.sqlite(e))?;
            Ok(())
        })?;
        let listed = self.evidence(incident_id, true)?;
        listed
            .into_iter()
            .find(|e| e.sha256 == sha256)
            .ok_or_else(|| DbError::Invalid("evidence vanished after it was stored".into()))
    }

    /// The files linked to an incident, with editors' detail and custody when `full`.
    pub fn evidence(&self, incident_id: &str, full: bool) -> Result<Vec<EvidenceItem>, DbError> {
        self.with(|c| {
            let mut statement = c
                .prepare(
                    "SELECT e.sha256, e.size, e.media_type, l.added_at, l.filename, l.description,
                            l.origin, l.source_index, l.added_by
                     FROM evidence_links l JOIN evidence e ON e.sha256 = l.sha256
                     WHERE l.incident_id = ?1 ORDER BY l.id",
                )
                .map_err(|e| self.sqlite(e))?;
            let rows = statement
                .query_map([incident_id], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        EvidenceDetail {
                            filename: r.get(4)?,
                            description: r.get(5)?,
                            origin: r.get(6)?,
                            source_index: r.get(7)?,
                            added_by: r.get(8)?,
                            custody: Vec::new(),
                        },
                    ))
                })
                .map_err(|e| self.sqlite(e))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| self.sqlite(e))?;
            let mut custody = c
                .prepare(
                    "SELECT at, actor, action, peer, detail FROM custody
                     WHERE sha256 = ?1 AND (incident_id = ?2 OR incident_id IS NULL) ORDER BY seq",
                )
                .map_err(|e| self.sqlite(e))?;
            let mut out = Vec::with_capacity(rows.len());
            for (sha256, size, media_type, added_at, mut detail) in rows {
                if full {
                    detail.custody = custody
                        .query_map(params![sha256, incident_id], |r| {
                            Ok(CustodyEntry {
                                at: r.get(0)?,
                                actor: r.get(1)?,
                                action: r.get(2)?,
                                peer: r.get(3)?,
                                detail: r.get(4)?,
                            })
                        })
                        .map_err(|e| self.sqlite(e))?
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|e| self.sqlite(e))?;
                }
                out.push(EvidenceItem {
                    sha256,
                    size: size as u64,
                    media_type,
                    added_at,
                    detail: full.then_some(detail),
                });
            }
            Ok(out)
        })
    }

    /// Logs that `actor` read a file (every access by an editor is recorded).
    pub fn log_read(
        &self,
        sha256: &str,
        incident_id: &str,
        actor: &str,
        peer: Option<&str>,
    ) -> Result<(), DbError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO custody (sha256, incident_id, at, actor, action, peer) VALUES (?1, ?2, ?3, ?4, 'read', ?5)",
                params![sha256, incident_id, now(), actor, peer],
            )
            .map(|_| ())
            .map_err(|e| self.sqlite(e))
        })
    }

    /// Re-hashes every stored file and logs the result for each; any file whose bytes no
    /// longer hash to its name, or that is gone, is reported.
    pub fn verify_evidence(&self, actor: &str) -> Result<Verification, DbError> {
        let files: Vec<(String, i64)> = self.with(|c| {
            let mut statement = c
                .prepare("SELECT sha256, size FROM evidence ORDER BY sha256")
                .map_err(|e| self.sqlite(e))?;
            let rows = statement
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(|e| self.sqlite(e))?;
            rows.collect::<Result<_, _>>().map_err(|e| self.sqlite(e))
        })?;
        let mut report = Verification::default();
        for (sha256, size) in files {
            report.checked += 1;
            let outcome = match hash_file(&self.evidence_path(&sha256)) {
                Ok((found, n)) if found == sha256 && n == size as u64 => {
                    report.ok += 1;
                    "ok".to_string()
                }
                Ok((found, n)) => {
                    report.mismatched.push(sha256.clone());
                    format!("MISMATCH: the file now hashes to {found} ({n} bytes)")
                }
                Err(e) => {
                    report.missing.push(sha256.clone());
                    format!("MISSING: {e}")
                }
            };
            self.with(|c| {
                c.execute(
                    "INSERT INTO custody (sha256, at, actor, action, detail) VALUES (?1, ?2, ?3, 'verify', ?4)",
                    params![sha256, now(), actor, outcome],
                )
                .map(|_| ())
                .map_err(|e| self.sqlite(e))
            })?;
        }
        Ok(report)
    }
}

/// The SHA-256 and length of a file, read in blocks.
pub fn hash_file(path: &Path) -> std::io::Result<(String, u64)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        total += n as u64;
    }
    Ok((hex(&hasher.finalize()), total))
}

/// A file being received: written to a temporary file in the evidence folder and hashed as
/// it comes, refused past `cap` bytes.
pub struct Staging {
    path: PathBuf,
    file: std::fs::File,
    hasher: Sha256,
    size: u64,
    cap: u64,
    /// Set once the file is handed on: then it is not removed on drop.
    kept: bool,
}

impl Staging {
    pub fn new(db: &Database, cap: u64) -> std::io::Result<Staging> {
        let dir = db.evidence_dir().join("incoming");
        std::fs::create_dir_all(&dir)?;
        let name: [u8; 8] = rand::random();
        let path = dir.join(hex(&name));
        let file = std::fs::File::create_new(&path)?;
        Ok(Staging {
            path,
            file,
            hasher: Sha256::new(),
            size: 0,
            cap,
            kept: false,
        })
    }

    /// Appends a chunk; an error once the file passes the cap.
    pub fn write(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        self.size += chunk.len() as u64;
        if self.size > self.cap {
            return Err(std::io::Error::other(format!(
                "the file is larger than {} bytes",
                self.cap
            )));
        }
        self.hasher.update(chunk);
        self.file.write_all(chunk)
    }

    /// Syncs the file and returns where it is, its hash and its size.
    pub fn finish(mut self) -> std::io::Result<Staged> {
        self.file.sync_all()?;
        self.kept = true;
        Ok(Staged {
            path: self.path.clone(),
            sha256: hex(&self.hasher.clone().finalize()),
            size: self.size,
        })
    }
}

impl Drop for Staging {
    /// An abandoned upload leaves nothing behind.
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
