//! Editing: who may write, what a write must satisfy, and how it reaches the store, the audit
//! trail and the index. A write is validated in full first, then stored in one transaction
//! (checking the revision the editor read), and only then applied to the index, so a client
//! that has its answer can read what it wrote, and a crash in between loses nothing that was
//! acknowledged: the store is the record and a restart loads it.

mod evidence;
mod history;
pub mod import;
mod patch;
pub mod restricted;
pub mod validate;

pub use history::History;
pub use validate::Problem;

use crate::index::{Change, Index};
use crate::model::Role;
use crate::store::database::{
    Action, Database, DbError, Principal, RecordStore, Status, StoredIncident, Write,
};
use crate::store::{Archive, LoadError};
use arc_swap::ArcSwap;
use restricted::{Kept, Restricted};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Longest retraction reason, in characters.
pub const MAX_REASON_CHARS: usize = 2_000;

/// Why an edit was refused.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("the bearer token is not valid (unknown, revoked or malformed)")]
    BadToken,
    #[error(
        "this needs a bearer token (Authorization: Bearer <token>); `strikemap token create` makes one"
    )]
    Unauthenticated,
    #[error("this needs a token with the {needed} role (send Authorization: Bearer <token>)")]
    Forbidden { needed: Role },
    #[error(
        "editing is off: the service runs read-only on its data files (start it without --no-db)"
    )]
    ReadOnly,
    #[error("the feature is not valid: {}", .0.iter().map(|p| format!("{}: expected {}", p.field, p.expected)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<Problem>),
    #[error("no incident '{0}'")]
    NotFound(String),
    #[error("incident '{id}' was retracted: {reason}")]
    Retracted { id: String, reason: String },
    #[error("incident '{0}' already exists; update it with PUT or PATCH")]
    Exists(String),
    #[error(
        "an If-Match header with the incident's ETag (from GET) is required, so that a write never silently overwrites another"
    )]
    PreconditionRequired,
    #[error(
        "incident '{id}' has changed since it was read (it is now at revision {current}); read it again and reapply the change"
    )]
    PreconditionFailed { id: String, current: u32 },
    #[error(transparent)]
    Store(DbError),
}

impl From<DbError> for EditError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::NotFound(id) => EditError::NotFound(id),
            DbError::Exists(id) => EditError::Exists(id),
            DbError::Retracted(id) => EditError::Retracted {
                id,
                reason: String::new(),
            },
            DbError::Conflict { id, current, .. } => EditError::PreconditionFailed { id, current },
            other => EditError::Store(other),
        }
    }
}

/// A revision named by `If-Match`: a revision number, or any (`*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    Revision(u32),
    Any,
}

/// The ETag of an incident at `revision`.
pub fn etag(revision: u32) -> String {
    format!("\"r{revision}\"")
}

impl Precondition {
    /// Reads an `If-Match` value: `"r<revision>"` or `*` (a weak tag never matches, as RFC 9110
    /// says); `None` when it names no revision of this service.
    pub fn parse(header: &str) -> Option<Precondition> {
        let header = header.trim();
        if header == "*" {
            return Some(Precondition::Any);
        }
        header
            .strip_prefix("\"r")
            .and_then(|h| h.strip_suffix('"'))
            .and_then(|n| n.parse().ok())
            .map(Precondition::Revision)
    }
}

/// A write that was stored and applied.
#[derive(Debug, Clone)]
pub struct Written {
    pub id: String,
    pub revision: u32,
    /// The incident as an editor sees it.
    pub view: Value,
}

/// A validated submission, ready to store.
pub(crate) struct Prepared {
    pub(crate) id: String,
    pub(crate) feature: String,
    pub(crate) restricted: Option<String>,
}

/// The editing service: the store, and the live index it keeps in step by following the
/// store's revision log, so that writes from elsewhere (an import run beside the service)
/// reach it too.
pub struct Editor {
    db: Database,
    checker: Checker,
    live: Arc<ArcSwap<Index>>,
    /// Held while the log is applied, so that the index changes in the order the store
    /// committed; holds the last revision (`seq`) the index reflects.
    applied: Mutex<i64>,
}

impl Editor {
    /// `live` must have been loaded from `db` (its `store_seq` says how far).
    pub fn new(db: Database, checker: Checker, live: Arc<ArcSwap<Index>>) -> Editor {
        let applied = live.load().store_seq;
        Editor {
            db,
            checker,
            live,
            applied: Mutex::new(applied),
        }
    }

    pub fn checker(&self) -> &Checker {
        &self.checker
    }

    /// Applies to the index every revision the store has that the index does not: only the
    /// incidents written are measured. Returns how many incidents changed.
    pub fn catch_up(&self) -> Result<usize, EditError> {
        let mut applied = self.applied.lock().unwrap_or_else(|p| p.into_inner());
        let (latest, changed) = self.records().changed_since(*applied)?;
        if changed.is_empty() {
            *applied = latest.max(*applied);
            return Ok(0);
        }
        let places: HashMap<&str, u32> = self.checker.gazetteer.ids().collect();
        let mut changes = Vec::with_capacity(changed.len());
        for stored in &changed {
            match stored.status {
                Status::Retracted => changes.push(Change::Remove(stored.id.as_str().into())),
                Status::Active => {
                    let mut incident = self
                        .checker
                        .incident(&stored.feature, &places)
                        .map_err(|e| EditError::Store(DbError::Invalid(e.to_string())))?;
                    incident.revision = stored.revision;
                    changes.push(Change::Put(Box::new(incident)));
                }
            }
        }
        let current = self.live.load_full();
        let mut next = current.with_changes(&changes);
        next.version =
            xxhash_rust::xxh3::xxh3_64(format!("{:x}/{latest}", current.version).as_bytes());
        next.store_seq = latest;
        self.live.store(Arc::new(next));
        *applied = latest;
        if changed.len() > 1 {
            tracing::info!(incidents = changed.len(), "index caught up with the store");
        }
        Ok(changed.len())
    }

    /// The SQLite store, for what only it keeps (evidence files).
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// The incidents and their trail, through the store trait a PostGIS store would implement.
    fn records(&self) -> &dyn RecordStore {
        &self.db
    }

    /// Who sent `authorization` (the header's value): nobody (`None`) for no header; an error
    /// for a header that is not a valid token, so that a mistyped token is never taken for an
    /// anonymous request.
    pub fn authenticate(
        &self,
        authorization: Option<&str>,
    ) -> Result<Option<Principal>, EditError> {
        let Some(header) = authorization else {
            return Ok(None);
        };
        let token = header
            .strip_prefix("Bearer ")
            .map(str::trim)
            .ok_or(EditError::BadToken)?;
        self.records()
            .authenticate(token)
            .map_err(EditError::Store)?
            .map(Some)
            .ok_or(EditError::BadToken)
    }

    /// Adds a new incident (an id is made when the feature has none).
    pub fn create(&self, who: &Principal, body: &Value) -> Result<Written, EditError> {
        require(who, Role::Editor)?;
        let prepared = self.checker.prepare(body, None)?;
        self.commit(who, Action::Create, None, prepared, None)
    }

    /// Replaces incident `id` with `body`.
    pub fn replace(
        &self,
        who: &Principal,
        id: &str,
        precondition: Option<Precondition>,
        body: &Value,
    ) -> Result<Written, EditError> {
        require(who, Role::Editor)?;
        let expected = self.expected(id, precondition)?;
        let prepared = self.checker.prepare(body, Some(id))?;
        self.commit(who, Action::Update, Some(expected), prepared, None)
    }

    /// Applies a JSON Merge Patch (RFC 7396) to incident `id` as an editor sees it.
    pub fn patch(
        &self,
        who: &Principal,
        id: &str,
        precondition: Option<Precondition>,
        merge: &Value,
    ) -> Result<Written, EditError> {
        require(who, Role::Editor)?;
        let expected = self.expected(id, precondition)?;
        let stored = self.stored(id)?;
        let mut view = editor_view(&stored);
        if let Some(object) = view.as_object_mut() {
            object.remove("revision");
            object.remove("status");
        }
        patch::merge(&mut view, merge);
        let prepared = self.checker.prepare(&view, Some(id))?;
        self.commit(who, Action::Update, Some(expected), prepared, None)
    }

    /// Retracts incident `id`: it leaves every public answer; the record and its history stay.
    pub fn retract(
        &self,
        who: &Principal,
        id: &str,
        precondition: Option<Precondition>,
        reason: &str,
    ) -> Result<Written, EditError> {
        require(who, Role::Admin)?;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
            return Err(EditError::Invalid(vec![Problem::new(
                "reason",
                format!("why the incident is retracted, 1 to {MAX_REASON_CHARS} characters"),
            )]));
        }
        let expected = self.expected(id, precondition)?;
        let stored = self.records().write_one(&Write {
            id,
            action: Action::Retract,
            expected_revision: Some(expected),
            feature: "",
            restricted: None,
            actor: &who.name,
            reason: Some(reason),
        })?;
        self.catch_up()?;
        Ok(Written {
            id: id.to_string(),
            revision: stored.revision,
            view: editor_view(&stored),
        })
    }

    /// Imports a file's text sent by an editor (see [`import`]); the index follows at once.
    pub fn import(
        &self,
        who: &Principal,
        text: &str,
        name: &str,
        format: import::Format,
        dry_run: bool,
    ) -> Result<import::Report, EditError> {
        require(who, Role::Editor)?;
        let report = import::import_text(
            self.records(),
            &self.checker,
            text,
            name,
            Some(&who.name),
            format,
            dry_run,
            &|_| {},
        )
        .map_err(|e| match e {
            import::ImportError::Store(e) => EditError::Store(e),
            import::ImportError::File { message, .. } => {
                EditError::Invalid(vec![Problem::new("(body)", message)])
            }
        })?;
        self.catch_up()?;
        Ok(report)
    }

    /// The incident as stored, public or retracted.
    pub fn stored(&self, id: &str) -> Result<StoredIncident, EditError> {
        self.records()
            .get(id)?
            .ok_or_else(|| EditError::NotFound(id.to_string()))
    }

    /// The incident as an editor sees it (exact point, restricted data), if it exists.
    pub fn view(&self, id: &str) -> Result<Option<(Value, StoredIncident)>, EditError> {
        Ok(self.records().get(id)?.map(|s| (editor_view(&s), s)))
    }

    /// An incident's audit trail, from `offset`; restricted data only for `sees_restricted`.
    pub fn history(
        &self,
        id: &str,
        limit: usize,
        offset: usize,
        sees_restricted: bool,
    ) -> Result<History, EditError> {
        if self.records().get(id)?.is_none() {
            return Err(EditError::NotFound(id.to_string()));
        }
        let (total, revisions) = self.records().history(id, limit, offset)?;
        Ok(History::new(id, total, offset, &revisions, sees_restricted))
    }

    /// The revision a write must be based on: the one `If-Match` names (`*`: the current one).
    fn expected(&self, id: &str, precondition: Option<Precondition>) -> Result<u32, EditError> {
        match precondition {
            None => Err(EditError::PreconditionRequired),
            Some(Precondition::Revision(n)) => Ok(n),
            Some(Precondition::Any) => {
                let stored = self.stored(id)?;
                if stored.status == Status::Retracted {
                    return Err(EditError::Retracted {
                        id: id.to_string(),
                        reason: stored.retraction_reason.unwrap_or_default(),
                    });
                }
                Ok(stored.revision)
            }
        }
    }

    fn commit(
        &self,
        who: &Principal,
        action: Action,
        expected: Option<u32>,
        prepared: Prepared,
        reason: Option<&str>,
    ) -> Result<Written, EditError> {
        let stored = self
            .db
            .write(&Write {
                id: &prepared.id,
                action,
                expected_revision: expected,
                feature: &prepared.feature,
                restricted: prepared.restricted.as_deref(),
                actor: &who.name,
                reason,
            })
            .map_err(|e| match e {
                DbError::Retracted(id) => {
                    let reason = self
                        .db
                        .get(&id)
                        .ok()
                        .flatten()
                        .and_then(|s| s.retraction_reason)
                        .unwrap_or_default();
                    EditError::Retracted { id, reason }
                }
                other => other.into(),
            })?;
        // Acknowledged only once the index shows it (the write is durable already).
        self.catch_up()?;
        Ok(Written {
            id: prepared.id,
            revision: stored.revision,
            view: editor_view(&stored),
        })
    }
}

/// What a submitted feature is checked against: the places and the archived passages.
pub struct Checker {
    pub gazetteer: Arc<crate::gazetteer::Gazetteer>,
    archive: Archive,
    /// Named in errors as the origin of what is checked.
    origin: std::path::PathBuf,
}

impl Checker {
    pub fn new(
        gazetteer: Arc<crate::gazetteer::Gazetteer>,
        archive: Archive,
        origin: std::path::PathBuf,
    ) -> Checker {
        Checker {
            gazetteer,
            archive,
            origin,
        }
    }

    /// Checks a submitted feature in full and makes its public form; `id` is the address's
    /// (a replacement), or `None` for a new incident.
    pub(crate) fn prepare(&self, body: &Value, id: Option<&str>) -> Result<Prepared, EditError> {
        let invalid =
            |field: &str, expected: &str| EditError::Invalid(vec![Problem::new(field, expected)]);
        let object = body
            .as_object()
            .ok_or_else(|| invalid("(body)", "a GeoJSON Feature object"))?;
        let mut problems = Vec::new();
        // `revision` and `status` are what GET showed (the store sets them), so a record read,
        // changed and sent back is taken as it is.
        if object.get("status").is_some_and(|s| s != "active") {
            problems.push(Problem::new(
                "status",
                "\"active\" or none (an incident is retracted with DELETE)",
            ));
        }
        for key in object.keys() {
            if ![
                "type",
                "id",
                "geometry",
                "properties",
                "restricted",
                "links",
                "bbox",
                "revision",
                "status",
            ]
            .contains(&key.as_str())
            {
                problems.push(Problem::new(
                    key.clone(),
                    "no such member (allowed: type, id, geometry, properties, restricted)",
                ));
            }
        }
        if object.get("type").is_some_and(|t| t != "Feature") {
            problems.push(Problem::new("type", "\"Feature\""));
        }
        let mut properties = match object.get("properties") {
            Some(Value::Object(p)) => p.clone(),
            _ => return Err(invalid("properties", "an object of incident fields")),
        };
        let given_id = properties
            .get("id")
            .cloned()
            .or_else(|| object.get("id").cloned());
        let id = match (id, given_id) {
            (Some(address), Some(Value::String(given))) if given != address => {
                problems.push(Problem::new(
                    "properties.id",
                    format!("the id in the address ('{address}') or none"),
                ));
                address.to_string()
            }
            (Some(address), _) => address.to_string(),
            (None, Some(Value::String(given))) => given,
            (None, Some(_)) => {
                problems.push(Problem::new("properties.id", "text"));
                String::new()
            }
            (None, None) => new_id(),
        };
        properties.insert("id".into(), Value::from(id.clone()));
        let restricted = match Restricted::parse(object.get("restricted")) {
            Ok(r) => r,
            Err(mut p) => {
                problems.append(&mut p);
                None
            }
        };
        let point = validate::point(object.get("geometry")).map_err(|p| problems.push(p));
        if let Err(mut p) = validate::properties(&properties) {
            problems.append(&mut p);
        }
        if let Some(place) = properties.get("place").and_then(Value::as_str)
            && self.gazetteer.by_id(place).is_none()
        {
            problems.push(Problem::new(
                "properties.place",
                "the id of a place in the gazetteer (GET /api/collections/places/items)",
            ));
        }
        let Ok((lon, lat)) = point else {
            return Err(EditError::Invalid(problems));
        };
        if !problems.is_empty() {
            return Err(EditError::Invalid(problems));
        }
        let (public, exact) = match &restricted {
            Some(r) if r.protect_location => {
                let (public, exact) = restricted::protect(&mut properties, lon, lat);
                (public, Some(exact))
            }
            _ => ((lon, lat), None),
        };
        let feature = json!({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [public.0, public.1]},
            "properties": properties,
        })
        .to_string();
        let kept = restricted.map(|submitted| Kept { submitted, exact });
        let restricted = kept
            .map(|k| serde_json::to_string(&k))
            .transpose()
            .map_err(|e| EditError::Store(DbError::Invalid(e.to_string())))?;
        let places: HashMap<&str, u32> = self.gazetteer.ids().collect();
        // Read back exactly as a restart will read it from the store.
        self.incident(&feature, &places)
            .map_err(|e| EditError::Invalid(vec![load_problem(e)]))?;
        Ok(Prepared {
            id,
            feature,
            restricted,
        })
    }

    /// A stored feature as the index holds it.
    fn incident(
        &self,
        feature: &str,
        places: &HashMap<&str, u32>,
    ) -> Result<crate::model::Incident, LoadError> {
        crate::store::parse_feature(&self.origin, feature, places, &self.archive)
    }
}

/// A store validation error (a cited passage that is not archived, say) as a problem.
fn load_problem(error: LoadError) -> Problem {
    match error {
        LoadError::Invalid {
            field, expected, ..
        } => Problem::new(field, expected),
        LoadError::Json {
            location, message, ..
        } => Problem::new(location, message),
        other => Problem::new("(feature)", other.to_string()),
    }
}

fn require(who: &Principal, needed: Role) -> Result<(), EditError> {
    if who.role >= needed {
        Ok(())
    } else {
        Err(EditError::Forbidden { needed })
    }
}

/// A new incident's id: `sm-` and 12 random hex digits.
fn new_id() -> String {
    let bytes: [u8; 6] = rand::random();
    std::iter::once("sm-".to_string())
        .chain(bytes.iter().map(|b| format!("{b:02x}")))
        .collect()
}

/// The stored record as an editor sees it: the exact point and location of a protected site
/// put back, the restricted data as `restricted`, and the revision and status.
pub fn editor_view(stored: &StoredIncident) -> Value {
    let mut feature: Value = serde_json::from_str(&stored.feature).unwrap_or(Value::Null);
    let kept: Option<Kept> = stored
        .restricted
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok());
    if let Some(Kept {
        exact: Some(exact), ..
    }) = &kept
    {
        feature["geometry"]["coordinates"] = json!(exact.coordinates);
        if let Some(properties) = feature["properties"].as_object_mut() {
            match exact.uncertainty_km {
                Some(km) => properties.insert("uncertainty_km".into(), json!(km)),
                None => properties.remove("uncertainty_km"),
            };
            properties.insert("geo_precision".into(), exact.geo_precision.clone());
            properties.insert("location_source".into(), exact.location_source.clone());
        }
    }
    if let Some(object) = feature.as_object_mut() {
        object.insert("id".into(), json!(stored.id));
        if let Some(kept) = kept {
            object.insert("restricted".into(), json!(kept.submitted));
        }
        object.insert("revision".into(), json!(stored.revision));
        object.insert(
            "status".into(),
            json!(match stored.status {
                Status::Active => "active",
                Status::Retracted => "retracted",
            }),
        );
        if let Some(reason) = &stored.retraction_reason {
            object.insert("retraction_reason".into(), json!(reason));
        }
    }
    feature
}
