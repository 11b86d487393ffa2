//! Encoded pieces that many incidents share, made once and reused: a place's names under each
//! naming, a reference object, and a source list's JSON, readable text and attribution. A
//! thousand incidents in Stepanakert citing one report then cost one encoding of each, not a
//! thousand; encoding strings (escaping every byte) was the largest cost of a page.

use super::features::{attribution, reporters};
use crate::index::Index;
use crate::model::{Incident, Layer, Naming, Source};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Source lists are cached until their encodings take this many bytes; past it, a list is
/// encoded each time it is written (the same bytes, more slowly).
const MAX_SOURCE_BYTES: usize = 64 * 1024 * 1024;

const NAMINGS: [Naming; 4] = [Naming::HyAz, Naming::AzHy, Naming::Hy, Naming::Az];

fn slot(naming: Naming) -> usize {
    match naming {
        Naming::HyAz => 0,
        Naming::AzHy => 1,
        Naming::Hy => 2,
        Naming::Az => 3,
    }
}

/// A JSON string literal (quoted and escaped).
pub fn json_string(text: &str) -> String {
    // Serialising a string into a String cannot fail.
    serde_json::to_string(text).unwrap_or_default()
}

/// One place, encoded under each naming.
struct PlaceFragments {
    /// The label, plain ("Stepanakert / Khankendi").
    labels: [Box<str>; 4],
    /// The label as a JSON string.
    label_json: [Box<str>; 4],
    /// `"place":..,"place_id":..,"place_name_hy":..,"place_name_az":..,"place_names":[..]`.
    properties: [Box<str>; 4],
}

/// One reference object: `{"id":..,"name":..,"distance_km":` before the distance and
/// `,"uncertainty_km":..}` after it.
pub struct ObjectFragments {
    pub head: Box<str>,
    pub tail: Box<str>,
    /// "Name (id)", for CSV.
    pub label: Box<str>,
}

/// One source list with the reporting parties it falls back on.
pub struct SourceFragments {
    /// The list as JSON, exactly as the API serves it.
    pub json: Box<str>,
    /// Readable: publisher, "title", date, address, (role), separated by ` | `.
    pub text: Box<str>,
    /// "Reported by ...; relayed by ...; denied by ...".
    pub attribution: Box<str>,
    pub attribution_json: Box<str>,
}

impl SourceFragments {
    fn new(sources: &[Source], fallback: &str) -> SourceFragments {
        let attribution = attribution(sources, fallback);
        SourceFragments {
            json: serde_json::to_string(sources)
                .unwrap_or_default()
                .into_boxed_str(),
            text: sources
                .iter()
                .map(readable)
                .collect::<Vec<_>>()
                .join(" | ")
                .into_boxed_str(),
            attribution_json: json_string(&attribution).into_boxed_str(),
            attribution: attribution.into_boxed_str(),
        }
    }

    fn bytes(&self) -> usize {
        self.json.len() + self.text.len() + 2 * self.attribution.len()
    }
}

fn readable(source: &Source) -> String {
    let mut parts = vec![
        source.publisher.to_string(),
        format!("\"{}\"", source.title),
    ];
    if let Some(date) = &source.date {
        parts.push(date.to_string());
    }
    if let Some(url) = &source.url {
        parts.push(url.to_string());
    }
    if let Some(role) = &source.role {
        parts.push(format!("({role})"));
    }
    parts.join(", ")
}

/// A shared source list's address and the reporting parties' bits.
type SourceKey = (usize, u16);

/// Cached source lists, keyed by the shared list's address and the reporting parties; each
/// entry keeps its list alive, so an address is never reused while it is a key.
#[derive(Default)]
struct SourceCache {
    entries: HashMap<SourceKey, (Arc<[Source]>, Arc<SourceFragments>)>,
    bytes: usize,
}

pub struct Fragments {
    places: Vec<PlaceFragments>,
    pub military: Vec<ObjectFragments>,
    pub protected: Vec<ObjectFragments>,
    sources: RwLock<SourceCache>,
}

impl Fragments {
    pub fn new(index: &Index) -> Fragments {
        let places = (0..index.gazetteer.len())
            .map(|p| {
                let place = index.gazetteer.place(p as crate::model::PlaceIdx);
                let labels = NAMINGS.map(|n| place.label(n).into_boxed_str());
                let names: Vec<&str> = place.names.iter().map(|n| n.name.as_str()).collect();
                let rest = format!(
                    ",\"place_id\":{},\"place_name_hy\":{},\"place_name_az\":{},\"place_names\":{}",
                    json_string(&place.id),
                    json_string(&place.name_hy),
                    place
                        .name_az
                        .as_deref()
                        .map_or_else(|| "null".to_string(), json_string),
                    serde_json::to_string(&names).unwrap_or_default(),
                );
                PlaceFragments {
                    label_json: labels.clone().map(|l| json_string(&l).into_boxed_str()),
                    properties: labels
                        .clone()
                        .map(|l| format!("\"place\":{}{rest}", json_string(&l)).into_boxed_str()),
                    labels,
                }
            })
            .collect();
        Fragments {
            places,
            military: objects(&index.military),
            protected: objects(&index.protected),
            sources: RwLock::new(SourceCache::default()),
        }
    }

    pub fn place_label(&self, place: crate::model::PlaceIdx, naming: Naming) -> &str {
        &self.places[place as usize].labels[slot(naming)]
    }

    pub fn place_label_json(&self, place: crate::model::PlaceIdx, naming: Naming) -> &str {
        &self.places[place as usize].label_json[slot(naming)]
    }

    pub fn place_properties(&self, place: crate::model::PlaceIdx, naming: Naming) -> &str {
        &self.places[place as usize].properties[slot(naming)]
    }

    /// The encodings of `incident`'s sources and attribution.
    pub fn sources(&self, incident: &Incident) -> Arc<SourceFragments> {
        let key = (
            Arc::as_ptr(&incident.sources).cast::<()>() as usize,
            incident.reported_by.bits(),
        );
        if let Ok(cache) = self.sources.read()
            && let Some((_, found)) = cache.entries.get(&key)
        {
            return found.clone();
        }
        let made = Arc::new(SourceFragments::new(
            &incident.sources,
            &reporters(incident),
        ));
        if let Ok(mut cache) = self.sources.write()
            && cache.bytes + made.bytes() <= MAX_SOURCE_BYTES
        {
            cache.bytes += made.bytes();
            cache
                .entries
                .insert(key, (incident.sources.clone(), made.clone()));
        }
        made
    }
}

fn objects(layer: &Layer) -> Vec<ObjectFragments> {
    layer
        .objects
        .iter()
        .map(|o| ObjectFragments {
            head: format!(
                "{{\"id\":{},\"name\":{},\"distance_km\":",
                json_string(&o.id),
                json_string(&o.name)
            )
            .into_boxed_str(),
            tail: format!(
                ",\"uncertainty_km\":{}}}",
                serde_json::to_string(&o.uncertainty_km).unwrap_or_else(|_| "null".into())
            )
            .into_boxed_str(),
            label: format!("{} ({})", o.name, o.id).into_boxed_str(),
        })
        .collect()
}
