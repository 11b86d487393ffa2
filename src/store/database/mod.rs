//! The database store (SQLite, WAL, every commit synced): the incidents as their validated
//! GeoJSON features with their restricted data beside them, an append-only audit trail, and
//! the API tokens (only their hashes). Each write is one transaction that checks the revision
//! it was based on, writes the record and its revision, and bumps the data version, so that a
//! crash at any moment leaves either all of a write or none of it.

pub mod evidence;
mod records;
mod schema;
mod tokens;

pub use records::RecordStore;
pub use schema::{CURRENT as SCHEMA_VERSION, MigrationError};
pub use tokens::{Principal, TokenInfo};

use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Why a database operation failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("{path}: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("{path}: {source}")]
    Migration {
        path: PathBuf,
        source: MigrationError,
    },
    #[error("no incident '{0}'")]
    NotFound(String),
    #[error("incident '{0}' was retracted")]
    Retracted(String),
    #[error("incident '{0}' already exists")]
    Exists(String),
    #[error("incident '{id}' is at revision {current}; the write was based on revision {expected}")]
    Conflict {
        id: String,
        expected: u32,
        current: u32,
    },
    #[error("{0}")]
    Invalid(String),
}

/// Whether an incident is public or has been retracted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Active,
    Retracted,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Retracted => "retracted",
        }
    }
}

/// One incident as stored.
#[derive(Debug, Clone)]
pub struct StoredIncident {
    pub id: String,
    /// The public GeoJSON feature (with the coarsened point when the site is protected).
    pub feature: String,
    /// The restricted data as a JSON object, when there is any.
    pub restricted: Option<String>,
    pub status: Status,
    pub revision: u32,
    pub updated_at: String,
    pub retraction_reason: Option<String>,
}

/// What a write does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A new incident: its id must be unused.
    Create,
    /// A new version of an existing, public incident.
    Update,
    /// Takes an incident out of public view; the record and its history stay.
    Retract,
    /// From an import: a new incident, or a new version of one (no revision check).
    Import,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Retract => "retract",
            Action::Import => "import",
        }
    }
}

/// One write, as the store records it.
#[derive(Debug, Clone)]
pub struct Write<'a> {
    pub id: &'a str,
    pub action: Action,
    /// The revision the writer read (`If-Match`); checked for updates and retractions.
    pub expected_revision: Option<u32>,
    /// The new public feature (ignored by a retraction, which keeps the record as it is).
    pub feature: &'a str,
    pub restricted: Option<&'a str>,
    /// The token's name (or `import:<file>`).
    pub actor: &'a str,
    pub reason: Option<&'a str>,
}

/// One entry of an incident's audit trail.
#[derive(Debug, Clone)]
pub struct Revision {
    /// Position in the store's whole trail (gapless per incident, increasing overall).
    pub seq: i64,
    pub revision: u32,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub reason: Option<String>,
    /// `{"status":..,"feature":..,"restricted":..}` before the write (none for the first).
    pub before: Option<String>,
    pub after: String,
}

/// A SQLite database holding the incidents. One connection, used by one caller at a time;
/// other processes (the `token` command, a backup) may open the same file meanwhile.
pub struct Database {
    path: PathBuf,
    conn: Mutex<Connection>,
}

/// Now, as the store writes times: RFC 3339 in UTC, to the millisecond.
fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Database {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Database, DbError> {
        Self::open_at_version(path, schema::CURRENT)
    }

    /// As [`Database::open`], migrating only up to schema `version` (tests of migrations).
    pub fn open_at_version(path: &Path, version: u32) -> Result<Database, DbError> {
        let sqlite = |source| DbError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let mut conn = Connection::open(path).map_err(sqlite)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(sqlite)?;
        // WAL lets readers (a backup, the token command) work beside the service; FULL syncs
        // every commit, so an acknowledged write survives a power cut as well as a crash.
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))
            .map_err(sqlite)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(sqlite)?;
        schema::migrate_to(&mut conn, version).map_err(|source| DbError::Migration {
            path: path.to_path_buf(),
            source,
        })?;
        if version >= 1 {
            conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('store_id', lower(hex(randomblob(8)))), ('data_version', '0')",
                [],
            )
            .map_err(sqlite)?;
        }
        Ok(Database {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn sqlite(&self, source: rusqlite::Error) -> DbError {
        DbError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Runs `work` on the connection (a poisoned lock still holds a usable connection: SQLite
    /// rolled back whatever the panicking holder had not committed).
    fn with<T>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        work(&mut conn)
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<u32, DbError> {
        self.with(|c| {
            c.pragma_query_value(None, "user_version", |row| row.get(0))
                .map_err(|e| self.sqlite(e))
        })
    }

    /// This database's identity and how many writes it has had: together they version the
    /// data for snapshots and cache validators.
    pub fn data_version(&self) -> Result<(String, u64), DbError> {
        self.with(|c| {
            let get = |key: &str| -> Result<String, DbError> {
                c.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                    .map_err(|e| self.sqlite(e))
            };
            let version = get("data_version")?;
            Ok((get("store_id")?, version.parse().unwrap_or(0)))
        })
    }

    /// Whether the store was ever filled (seeded, imported or written to).
    pub fn is_empty(&self) -> Result<bool, DbError> {
        self.with(|c| {
            c.query_row("SELECT NOT EXISTS (SELECT 1 FROM incidents)", [], |r| {
                r.get(0)
            })
            .map_err(|e| self.sqlite(e))
        })
    }

    /// Fills an empty store with `features` (id, feature JSON), each at revision 1 with a
    /// `seed` revision naming `origin`; all or nothing. `progress` is told how many were added.
    pub fn seed<'f>(
        &self,
        features: impl Iterator<Item = (String, &'f str)>,
        origin: &str,
        progress: &dyn Fn(u64),
    ) -> Result<u64, DbError> {
        self.with(|c| {
            let tx = c
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(|e| self.sqlite(e))?;
            let at = now();
            let reason = format!("seeded from {origin}");
            let mut n = 0u64;
            {
                let mut insert = tx
                    .prepare("INSERT INTO incidents (id, feature, status, revision, updated_at) VALUES (?1, ?2, 'active', 1, ?3)")
                    .map_err(|e| self.sqlite(e))?;
                let mut revision = tx
                    .prepare("INSERT INTO revisions (incident_id, revision, at, actor, action, reason, after) VALUES (?1, 1, ?2, 'seed', 'seed', ?3, ?4)")
                    .map_err(|e| self.sqlite(e))?;
                for (id, feature) in features {
                    insert
                        .execute(params![id, feature, at])
                        .map_err(|e| self.sqlite(e))?;
                    revision
                        .execute(params![id, at, reason, state_json("active", feature, None)])
                        .map_err(|e| self.sqlite(e))?;
                    n += 1;
                    if n.is_multiple_of(10_000) {
                        progress(n);
                    }
                }
            }
            bump_data_version(&tx).map_err(|e| self.sqlite(e))?;
            tx.commit().map_err(|e| self.sqlite(e))?;
            progress(n);
            Ok(n)
        })
    }

    /// Calls `each` with the id, feature and revision of every public incident.
    pub fn for_each_active(
        &self,
        mut each: impl FnMut(&str, &str, u32) -> Result<(), DbError>,
    ) -> Result<(), DbError> {
        self.with(|c| {
            let mut statement = c
                .prepare("SELECT id, feature, revision FROM incidents WHERE status = 'active'")
                .map_err(|e| self.sqlite(e))?;
            let mut rows = statement.query([]).map_err(|e| self.sqlite(e))?;
            while let Some(row) = rows.next().map_err(|e| self.sqlite(e))? {
                let id: String = row.get(0).map_err(|e| self.sqlite(e))?;
                let feature: String = row.get(1).map_err(|e| self.sqlite(e))?;
                let revision: u32 = row.get(2).map_err(|e| self.sqlite(e))?;
                each(&id, &feature, revision)?;
            }
            Ok(())
        })
    }

    /// The last revision's position in the trail, and the current records of every incident
    /// written after position `seq`.
    pub fn changed_since(&self, seq: i64) -> Result<(i64, Vec<StoredIncident>), DbError> {
        self.with(|c| {
            let tx = c.transaction().map_err(|e| self.sqlite(e))?;
            let latest = max_seq(&tx).map_err(|e| self.sqlite(e))?;
            if latest <= seq {
                return Ok((latest, Vec::new()));
            }
            let ids: Vec<String> = {
                let mut statement = tx
                    .prepare("SELECT DISTINCT incident_id FROM revisions WHERE seq > ?1")
                    .map_err(|e| self.sqlite(e))?;
                let rows = statement
                    .query_map([seq], |r| r.get(0))
                    .map_err(|e| self.sqlite(e))?;
                rows.collect::<Result<_, _>>().map_err(|e| self.sqlite(e))?
            };
            let mut changed = Vec::with_capacity(ids.len());
            for id in ids {
                if let Some(stored) = get(&tx, &id).map_err(|e| self.sqlite(e))? {
                    changed.push(stored);
                }
            }
            Ok((latest, changed))
        })
    }

    /// The last revision's position in the trail (0 for none).
    pub fn last_seq(&self) -> Result<i64, DbError> {
        self.with(|c| max_seq(c).map_err(|e| self.sqlite(e)))
    }

    /// The incident with this id, public or retracted.
    pub fn get(&self, id: &str) -> Result<Option<StoredIncident>, DbError> {
        self.with(|c| get(c, id).map_err(|e| self.sqlite(e)))
    }

    /// Applies one write in one transaction, checking what it was based on. Returns the record
    /// as stored.
    pub fn write(&self, w: &Write) -> Result<StoredIncident, DbError> {
        self.write_batch(std::slice::from_ref(w))
            .map(|mut all| all.remove(0))
    }

    /// Applies writes in one transaction: all of them, or (on any refusal) none.
    pub fn write_batch(&self, writes: &[Write]) -> Result<Vec<StoredIncident>, DbError> {
        if writes.is_empty() {
            return Ok(Vec::new());
        }
        self.with(|c| {
            let tx = c
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(|e| self.sqlite(e))?;
            let mut stored = Vec::with_capacity(writes.len());
            for w in writes {
                stored.push(self.write_in(&tx, w)?);
            }
            bump_data_version(&tx).map_err(|e| self.sqlite(e))?;
            tx.commit().map_err(|e| self.sqlite(e))?;
            Ok(stored)
        })
    }

    fn write_in(&self, tx: &rusqlite::Transaction, w: &Write) -> Result<StoredIncident, DbError> {
        {
            let current = get(tx, w.id).map_err(|e| self.sqlite(e))?;
            match (&current, w.action) {
                (Some(_), Action::Create) => return Err(DbError::Exists(w.id.to_string())),
                (None, Action::Update | Action::Retract) => {
                    return Err(DbError::NotFound(w.id.to_string()));
                }
                (Some(c), Action::Update | Action::Retract) if c.status == Status::Retracted => {
                    return Err(DbError::Retracted(w.id.to_string()));
                }
                (Some(c), Action::Update | Action::Retract)
                    if w.expected_revision != Some(c.revision) =>
                {
                    return Err(DbError::Conflict {
                        id: w.id.to_string(),
                        expected: w.expected_revision.unwrap_or(0),
                        current: c.revision,
                    });
                }
                _ => {}
            }
            let at = now();
            let (status, feature, restricted, reason_kept) = match (w.action, &current) {
                (Action::Retract, Some(c)) => (
                    Status::Retracted,
                    c.feature.as_str(),
                    c.restricted.as_deref(),
                    w.reason,
                ),
                _ => (Status::Active, w.feature, w.restricted, None),
            };
            let revision = current.as_ref().map_or(1, |c| c.revision + 1);
            let before = current
                .as_ref()
                .map(|c| state_json(c.status.as_str(), &c.feature, c.restricted.as_deref()));
            let after = state_json(status.as_str(), feature, restricted);
            tx.execute(
                "INSERT INTO incidents (id, feature, restricted, status, revision, updated_at, retraction_reason)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (id) DO UPDATE SET feature = ?2, restricted = ?3, status = ?4,
                     revision = ?5, updated_at = ?6, retraction_reason = ?7",
                params![w.id, feature, restricted, status.as_str(), revision, at, reason_kept],
            )
            .map_err(|e| self.sqlite(e))?;
            tx.execute(
                "INSERT INTO revisions (incident_id, revision, at, actor, action, reason, before, after)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![w.id, revision, at, w.actor, w.action.as_str(), w.reason, before, after],
            )
            .map_err(|e| self.sqlite(e))?;
            Ok(StoredIncident {
                id: w.id.to_string(),
                feature: feature.to_string(),
                restricted: restricted.map(str::to_string),
                status,
                revision,
                updated_at: at,
                retraction_reason: reason_kept.map(str::to_string),
            })
        }
    }

    /// An incident's revisions, oldest first: how many there are, and `limit` from `offset`.
    pub fn history(
        &self,
        id: &str,
        limit: usize,
        offset: usize,
    ) -> Result<(usize, Vec<Revision>), DbError> {
        self.with(|c| {
            let total: i64 = c
                .query_row(
                    "SELECT count(*) FROM revisions WHERE incident_id = ?1",
                    [id],
                    |r| r.get(0),
                )
                .map_err(|e| self.sqlite(e))?;
            let mut statement = c
                .prepare(
                    "SELECT seq, revision, at, actor, action, reason, before, after FROM revisions
                     WHERE incident_id = ?1 ORDER BY revision LIMIT ?2 OFFSET ?3",
                )
                .map_err(|e| self.sqlite(e))?;
            let rows = statement
                .query_map(params![id, limit as i64, offset as i64], |r| {
                    Ok(Revision {
                        seq: r.get(0)?,
                        revision: r.get(1)?,
                        at: r.get(2)?,
                        actor: r.get(3)?,
                        action: r.get(4)?,
                        reason: r.get(5)?,
                        before: r.get(6)?,
                        after: r.get(7)?,
                    })
                })
                .map_err(|e| self.sqlite(e))?;
            let revisions = rows
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| self.sqlite(e))?;
            Ok((total as usize, revisions))
        })
    }

    /// SQLite's own check of every page and index: `ok`, or what is wrong.
    pub fn integrity_check(&self) -> Result<String, DbError> {
        self.with(|c| {
            c.query_row("PRAGMA integrity_check", [], |r| r.get(0))
                .map_err(|e| self.sqlite(e))
        })
    }

    /// Writes a consistent copy of the whole database to `to` (which must not exist) while the
    /// service goes on reading and writing, and copies the evidence files it lists into the
    /// copy's own evidence folder (files never change once stored, so the pair is consistent).
    /// Returns how many evidence files were copied.
    pub fn backup(&self, to: &Path) -> Result<usize, DbError> {
        if to.exists() {
            return Err(DbError::Invalid(format!(
                "{} exists; a backup never overwrites a file",
                to.display()
            )));
        }
        let target = to
            .to_str()
            .ok_or_else(|| DbError::Invalid("the backup path must be UTF-8".into()))?;
        self.with(|c| {
            c.execute("VACUUM INTO ?1", [target])
                .map(|_| ())
                .map_err(|e| self.sqlite(e))
        })?;
        let copy = Database::open(to)?;
        let hashes: Vec<String> = copy.with(|c| {
            let mut statement = c
                .prepare("SELECT sha256 FROM evidence")
                .map_err(|e| copy.sqlite(e))?;
            let rows = statement
                .query_map([], |r| r.get(0))
                .map_err(|e| copy.sqlite(e))?;
            rows.collect::<Result<_, _>>().map_err(|e| copy.sqlite(e))
        })?;
        for hash in &hashes {
            let (from, into) = (self.evidence_path(hash), copy.evidence_path(hash));
            let io = |e: std::io::Error| DbError::Invalid(format!("{}: {e}", from.display()));
            if let Some(parent) = into.parent() {
                std::fs::create_dir_all(parent).map_err(io)?;
            }
            std::fs::copy(&from, &into).map_err(io)?;
        }
        Ok(hashes.len())
    }
}

fn get(c: &Connection, id: &str) -> Result<Option<StoredIncident>, rusqlite::Error> {
    c.query_row(
        "SELECT id, feature, restricted, status, revision, updated_at, retraction_reason
         FROM incidents WHERE id = ?1",
        [id],
        |r| {
            let status: String = r.get(3)?;
            Ok(StoredIncident {
                id: r.get(0)?,
                feature: r.get(1)?,
                restricted: r.get(2)?,
                status: if status == "retracted" {
                    Status::Retracted
                } else {
                    Status::Active
                },
                revision: r.get(4)?,
                updated_at: r.get(5)?,
                retraction_reason: r.get(6)?,
            })
        },
    )
    .optional()
}

/// The last revision's position in the trail (0 for none).
fn max_seq(c: &Connection) -> Result<i64, rusqlite::Error> {
    c.query_row("SELECT coalesce(max(seq), 0) FROM revisions", [], |r| {
        r.get(0)
    })
}

fn bump_data_version(tx: &rusqlite::Transaction) -> Result<(), rusqlite::Error> {
    tx.execute(
        "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'",
        [],
    )
    .map(|_| ())
}

/// A record's state as the audit trail keeps it: the feature and restricted data are already
/// JSON and are embedded as they are.
fn state_json(status: &str, feature: &str, restricted: Option<&str>) -> String {
    format!(
        "{{\"status\":\"{status}\",\"feature\":{feature},\"restricted\":{}}}",
        restricted.unwrap_or("null")
    )
}
