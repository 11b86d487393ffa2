//! An incident's audit trail as the API shows it. Editors see every revision whole; the public
//! sees the same revisions with the restricted data and the editors' names left out (who an
//! editor is can put them at risk), and which public fields changed.

use crate::store::database::Revision;
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Serialize)]
pub struct History {
    pub id: String,
    #[serde(rename = "numberMatched")]
    pub number_matched: usize,
    #[serde(rename = "numberReturned")]
    pub number_returned: usize,
    pub offset: usize,
    pub revisions: Vec<Entry>,
}

#[derive(Debug, Serialize)]
pub struct Entry {
    pub revision: u32,
    pub at: String,
    pub action: String,
    /// The token's holder, for editors; `null` for the public unless the write was a seed or
    /// an import (which name a file, not a person).
    pub actor: Option<String>,
    pub reason: Option<String>,
    /// The members that differ from the revision before (`properties.title`, `geometry`,
    /// `status`, and for editors `restricted`).
    pub changed: Vec<String>,
    pub before: Option<Value>,
    pub after: Value,
}

/// A trail state with what the public may not see taken out.
fn shown(state: &Value, sees_restricted: bool) -> Value {
    let mut state = state.clone();
    if !sees_restricted && let Some(object) = state.as_object_mut() {
        object.remove("restricted");
    }
    state
}

/// The members that differ between two states.
fn changed(before: Option<&Value>, after: &Value) -> Vec<String> {
    let empty = Value::Null;
    let before = before.unwrap_or(&empty);
    let mut out = Vec::new();
    for key in ["status", "restricted"] {
        if before.get(key) != after.get(key) && after.get(key).is_some() {
            out.push(key.to_string());
        }
    }
    let (b, a) = (&before["feature"], &after["feature"]);
    if b["geometry"] != a["geometry"] {
        out.push("geometry".into());
    }
    let no_properties = serde_json::Map::new();
    let bp = b["properties"].as_object().unwrap_or(&no_properties);
    let ap = a["properties"].as_object().unwrap_or(&no_properties);
    let mut keys: Vec<&String> = bp.keys().chain(ap.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        if bp.get(key) != ap.get(key) {
            out.push(format!("properties.{key}"));
        }
    }
    out
}

impl History {
    pub fn new(
        id: &str,
        total: usize,
        offset: usize,
        revisions: &[Revision],
        sees_restricted: bool,
    ) -> History {
        let parse = |s: &str| serde_json::from_str::<Value>(s).unwrap_or(Value::Null);
        let entries = revisions
            .iter()
            .map(|r| {
                let before = r
                    .before
                    .as_deref()
                    .map(parse)
                    .map(|v| shown(&v, sees_restricted));
                let after = shown(&parse(&r.after), sees_restricted);
                // A seed or a command-line import is authored by a file, not a person.
                let by_file =
                    r.action == "seed" || (r.action == "import" && r.actor.starts_with("import:"));
                Entry {
                    revision: r.revision,
                    at: r.at.clone(),
                    action: r.action.clone(),
                    actor: (sees_restricted || by_file).then(|| r.actor.clone()),
                    reason: r.reason.clone(),
                    changed: changed(before.as_ref(), &after),
                    before,
                    after,
                }
            })
            .collect::<Vec<_>>();
        History {
            id: id.to_string(),
            number_matched: total,
            number_returned: entries.len(),
            offset,
            revisions: entries,
        }
    }
}
