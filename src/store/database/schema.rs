//! The database's schema, as numbered migrations. `PRAGMA user_version` says which have run; a
//! database made by an older strikemap is brought up to date at start-up, each migration in
//! its own transaction, and a database from a newer strikemap is refused rather than guessed at.

use rusqlite::Connection;

/// Each migration, in order; the schema version is how many have run.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: incidents as their validated GeoJSON features, and the append-only audit trail.
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE incidents (
         id TEXT PRIMARY KEY,
         feature TEXT NOT NULL,
         status TEXT NOT NULL CHECK (status IN ('active', 'retracted')),
         revision INTEGER NOT NULL CHECK (revision >= 1),
         updated_at TEXT NOT NULL,
         retraction_reason TEXT
     );
     CREATE TABLE revisions (
         seq INTEGER PRIMARY KEY AUTOINCREMENT,
         incident_id TEXT NOT NULL,
         revision INTEGER NOT NULL,
         at TEXT NOT NULL,
         actor TEXT NOT NULL,
         action TEXT NOT NULL CHECK (action IN ('seed', 'create', 'update', 'retract', 'import')),
         reason TEXT,
         before TEXT,
         after TEXT NOT NULL,
         UNIQUE (incident_id, revision)
     );
     CREATE TRIGGER revisions_never_rewritten BEFORE UPDATE ON revisions
         BEGIN SELECT RAISE(ABORT, 'revisions are never rewritten'); END;
     CREATE TRIGGER revisions_never_deleted BEFORE DELETE ON revisions
         BEGIN SELECT RAISE(ABORT, 'revisions are never deleted'); END;",
    // 2: restricted data beside the public feature, and the tokens that may see it.
    "ALTER TABLE incidents ADD COLUMN restricted TEXT;
     CREATE TABLE tokens (
         id INTEGER PRIMARY KEY AUTOINCREMENT,
         name TEXT NOT NULL,
         role TEXT NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
         hash TEXT NOT NULL UNIQUE,
         created_at TEXT NOT NULL,
         revoked_at TEXT
     );",
    // 3: evidence files (content-addressed; the bytes live beside the store) and their
    // custody log, which like the audit trail is never rewritten.
    "CREATE TABLE evidence (
         sha256 TEXT PRIMARY KEY CHECK (length(sha256) = 64),
         size INTEGER NOT NULL,
         media_type TEXT NOT NULL,
         first_added_at TEXT NOT NULL
     );
     CREATE TABLE evidence_links (
         id INTEGER PRIMARY KEY AUTOINCREMENT,
         incident_id TEXT NOT NULL,
         sha256 TEXT NOT NULL REFERENCES evidence (sha256),
         source_index INTEGER,
         filename TEXT,
         description TEXT,
         origin TEXT,
         added_by TEXT NOT NULL,
         added_at TEXT NOT NULL,
         UNIQUE (incident_id, sha256)
     );
     CREATE TABLE custody (
         seq INTEGER PRIMARY KEY AUTOINCREMENT,
         sha256 TEXT NOT NULL,
         incident_id TEXT,
         at TEXT NOT NULL,
         actor TEXT NOT NULL,
         action TEXT NOT NULL CHECK (action IN ('add', 'attach', 'read', 'verify')),
         peer TEXT,
         detail TEXT
     );
     CREATE TRIGGER custody_never_rewritten BEFORE UPDATE ON custody
         BEGIN SELECT RAISE(ABORT, 'the custody log is never rewritten'); END;
     CREATE TRIGGER custody_never_deleted BEFORE DELETE ON custody
         BEGIN SELECT RAISE(ABORT, 'the custody log is never deleted'); END;",
];

/// The schema version this strikemap writes.
pub const CURRENT: u32 = MIGRATIONS.len() as u32;

/// Runs the migrations after the database's version, up to `target`.
pub(super) fn migrate_to(conn: &mut Connection, target: u32) -> Result<u32, MigrationError> {
    let found: u32 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if found > CURRENT {
        return Err(MigrationError::Newer { found });
    }
    for (n, sql) in MIGRATIONS.iter().enumerate().take(target as usize) {
        let version = n as u32 + 1;
        if version <= found {
            continue;
        }
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
        tracing::info!(version, "database schema migrated");
    }
    Ok(found)
}

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error(
        "the database was made by a newer strikemap (schema {found}, this one knows {CURRENT})"
    )]
    Newer { found: u32 },
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}
