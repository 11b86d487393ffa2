//! The operations the rest of strikemap needs from the store that holds the incidents and
//! their trail: SQLite ([`Database`]) implements them; a PostgreSQL/PostGIS store for
//! deployments with several instances can implement the same trait. Evidence files and token
//! management stay with the SQLite store for now (they are files and an admin command).

use super::{Database, DbError, Principal, Revision, StoredIncident, Write};
use std::path::Path;

/// Where the editable record lives.
pub trait RecordStore: Send + Sync {
    /// Names the store in errors.
    fn origin(&self) -> &Path;
    /// Whether it holds no incident yet.
    fn is_empty(&self) -> Result<bool, DbError>;
    /// Fills an empty store with (id, feature JSON) pairs, all or nothing.
    fn seed(
        &self,
        features: Vec<(String, &str)>,
        origin: &str,
        progress: &dyn Fn(u64),
    ) -> Result<u64, DbError>;
    /// The store's identity and write count.
    fn data_version(&self) -> Result<(String, u64), DbError>;
    /// The last revision's position in the trail.
    fn last_seq(&self) -> Result<i64, DbError>;
    /// Every public incident's id, feature and revision.
    fn for_each_active(
        &self,
        each: &mut dyn FnMut(&str, &str, u32) -> Result<(), DbError>,
    ) -> Result<(), DbError>;
    fn get(&self, id: &str) -> Result<Option<StoredIncident>, DbError>;
    /// Writes in one transaction, each checked against what it was based on.
    fn write_batch(&self, writes: &[Write]) -> Result<Vec<StoredIncident>, DbError>;
    /// One write, in its own transaction.
    fn write_one(&self, write: &Write) -> Result<StoredIncident, DbError> {
        self.write_batch(std::slice::from_ref(write))?
            .into_iter()
            .next()
            .ok_or_else(|| DbError::Invalid("the store wrote nothing".into()))
    }
    fn history(
        &self,
        id: &str,
        limit: usize,
        offset: usize,
    ) -> Result<(usize, Vec<Revision>), DbError>;
    /// The last position, and the records written after `seq`.
    fn changed_since(&self, seq: i64) -> Result<(i64, Vec<StoredIncident>), DbError>;
    /// Whose token this is.
    fn authenticate(&self, token: &str) -> Result<Option<Principal>, DbError>;
}

impl RecordStore for Database {
    fn origin(&self) -> &Path {
        self.path()
    }

    fn is_empty(&self) -> Result<bool, DbError> {
        Database::is_empty(self)
    }

    fn seed(
        &self,
        features: Vec<(String, &str)>,
        origin: &str,
        progress: &dyn Fn(u64),
    ) -> Result<u64, DbError> {
        Database::seed(self, features.into_iter(), origin, progress)
    }

    fn data_version(&self) -> Result<(String, u64), DbError> {
        Database::data_version(self)
    }

    fn last_seq(&self) -> Result<i64, DbError> {
        Database::last_seq(self)
    }

    fn for_each_active(
        &self,
        each: &mut dyn FnMut(&str, &str, u32) -> Result<(), DbError>,
    ) -> Result<(), DbError> {
        Database::for_each_active(self, each)
    }

    fn get(&self, id: &str) -> Result<Option<StoredIncident>, DbError> {
        Database::get(self, id)
    }

    fn write_batch(&self, writes: &[Write]) -> Result<Vec<StoredIncident>, DbError> {
        Database::write_batch(self, writes)
    }

    fn history(
        &self,
        id: &str,
        limit: usize,
        offset: usize,
    ) -> Result<(usize, Vec<Revision>), DbError> {
        Database::history(self, id, limit, offset)
    }

    fn changed_since(&self, seq: i64) -> Result<(i64, Vec<StoredIncident>), DbError> {
        Database::changed_since(self, seq)
    }

    fn authenticate(&self, token: &str) -> Result<Option<Principal>, DbError> {
        Database::authenticate(self, token)
    }
}
