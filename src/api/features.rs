//! GeoJSON encoding of incidents: flat properties (so QGIS and GDAL show them as columns)
//! plus the nested sources, written straight from the index into the output, without a JSON
//! tree or an intermediate record.

use super::fragments::Fragments;
use crate::index::{Index, Measures};
use crate::model::{Incident, Naming, Source};
use serde::Serialize;

/// Rounds kilometres to metres, the precision the measures are good for; `None` for a value
/// that is not a distance (no line to measure from).
pub(super) fn km(value: f64) -> Option<f64> {
    value.is_finite().then(|| (value * 1000.0).round() / 1000.0)
}

/// The nearest military or protected object, as the API reports it.
#[derive(Serialize)]
pub(super) struct NearestObject<'a> {
    pub(super) id: &'a str,
    pub(super) name: &'a str,
    distance_km: Option<f64>,
    /// How uncertain the object's own position is.
    uncertainty_km: f64,
}

/// "Reported by <claimants>; relayed by <relays>; denied by <...>; disputed by <...>", so that
/// a claim is always credited to whoever made it, a report citing it is not mistaken for its
/// author, and a denial is credited to the party that denied it, not to the outlet that carried
/// it. A source's `claimant` is whoever made the statement it carries; its publisher is then a
/// relay. When no source names the claim's maker (a claim known only through its denial),
/// `fallback` (the record's reporting parties) is.
pub fn attribution(sources: &[Source], fallback: &str) -> String {
    fn push<'a>(names: &mut Vec<&'a str>, name: &'a str) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let (mut reported, mut relayed, mut denied, mut disputed) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for source in sources {
        let bucket = match source.role.as_deref() {
            Some("denial") => &mut denied,
            Some("counter_claim") => &mut disputed,
            _ => &mut reported,
        };
        match (source.claimant.as_deref(), source.role.as_deref()) {
            (Some(claimant), _) => {
                push(bucket, claimant);
                push(&mut relayed, &source.publisher);
            }
            (None, Some("secondary")) => push(&mut relayed, &source.publisher),
            (None, _) => push(bucket, &source.publisher),
        }
    }
    if reported.is_empty() {
        if fallback.is_empty() {
            reported = std::mem::take(&mut relayed);
        } else {
            reported.push(fallback);
        }
    }
    let mut parts = vec![format!("Reported by {}", reported.join("; "))];
    for (verb, names) in [
        ("relayed by", relayed),
        ("denied by", denied),
        ("disputed by", disputed),
    ] {
        if !names.is_empty() {
            parts.push(format!("{verb} {}", names.join("; ")));
        }
    }
    parts.join("; ")
}

/// The record's reporting parties in words ("Azerbaijani authorities"), for attribution.
pub(super) fn reporters(incident: &Incident) -> String {
    incident
        .reported_by
        .iter()
        .map(|r| {
            let words = r.as_str().replace('_', " ");
            let mut chars = words.chars();
            chars
                .next()
                .map_or(String::new(), |c| c.to_uppercase().chain(chars).collect())
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The object `found` (its index in `layer` and its distance in km), ready to serialise.
pub(super) fn nearest(
    layer: &crate::model::Layer,
    found: Option<(u32, f64)>,
) -> Option<NearestObject<'_>> {
    found.map(|(i, distance_km)| {
        let object = &layer.objects[i as usize];
        NearestObject {
            id: &object.id,
            name: &object.name,
            distance_km: km(distance_km),
            uncertainty_km: object.uncertainty_km,
        }
    })
}

/// Writes incident `i` as a GeoJSON Feature, its places named as `naming` asks. Properties
/// are flat, so QGIS and GDAL show them as columns; the order is the schema's. Shared pieces
/// come from `fragments`; only the incident's own strings are escaped.
pub fn write_feature(
    out: &mut Vec<u8>,
    index: &Index,
    fragments: &Fragments,
    i: u32,
    naming: Naming,
) {
    let incident: &Incident = &index.incidents[i as usize];
    let m: &Measures = &index.measures[i as usize];
    let sources = fragments.sources(incident);
    let mut w = Writer(out);
    w.raw("{\"type\":\"Feature\",\"id\":");
    w.string(&incident.id);
    w.raw(",\"geometry\":{\"type\":\"Point\",\"coordinates\":[");
    w.number(incident.lon);
    w.raw(",");
    w.number(incident.lat);
    w.raw("]},\"properties\":{\"id\":");
    w.string(&incident.id);
    w.raw(",\"title\":");
    w.string(&incident.title);
    w.raw(",\"description\":");
    w.string(&incident.description);
    w.raw(",\"attribution\":");
    w.raw(&sources.attribution_json);
    w.raw(",\"date\":");
    w.date(incident.date);
    w.raw(",\"date_end\":");
    w.date(incident.date_end);
    w.raw(",\"date_precision\":");
    w.word(incident.date_precision.as_str());
    w.raw(",\"time_local\":");
    w.optional_string(incident.time_local.as_deref());
    w.raw(",\"date_note\":");
    w.optional_string(incident.date_note.as_deref());
    w.raw(",");
    w.raw(fragments.place_properties(incident.place, naming));
    w.raw(",\"geo_precision\":");
    w.word(incident.geo_precision.as_str());
    w.raw(",\"uncertainty_km\":");
    w.number(incident.uncertainty_km());
    w.raw(",\"location_source\":");
    w.string(&incident.location_source);
    w.raw(",\"type\":");
    w.word(incident.kind.as_str());
    w.raw(",\"weapon\":");
    w.word(incident.weapon.as_str());
    w.raw(",\"target\":");
    w.word(incident.target.as_str());
    for (name, count) in [
        ("killed", incident.killed),
        ("injured", incident.injured),
        ("children_killed", incident.children_killed),
        ("children_injured", incident.children_injured),
    ] {
        w.raw(",\"");
        w.raw(name);
        w.raw("\":");
        w.optional_count(count.low);
        w.raw(",\"");
        w.raw(name);
        w.raw("_high\":");
        w.optional_count(count.high);
    }
    w.raw(",\"perpetrator_alleged\":");
    w.word(incident.perpetrator.as_str());
    w.raw(",\"reported_by\":[");
    for (k, reporter) in incident.reported_by.iter().enumerate() {
        if k > 0 {
            w.raw(",");
        }
        w.word(reporter.as_str());
    }
    w.raw("],\"verification\":");
    w.word(incident.verification.as_str());
    w.raw(",\"verification_note\":");
    w.optional_string(incident.verification_note.as_deref());
    w.raw(",\"sources\":");
    w.raw(&sources.json);
    w.raw(",\"depth_km\":");
    w.optional_number(km(m.depth_km));
    w.raw(",\"depth_low_km\":");
    w.optional_number(km(f64::from(m.depth_low_km)));
    w.raw(",\"depth_high_km\":");
    w.optional_number(km(f64::from(m.depth_high_km)));
    w.raw(",\"side\":");
    match m.side {
        Some(side) => w.word(side.as_str()),
        None => w.raw("null"),
    }
    for (name, found, objects) in [
        ("military", m.nearest_military, &fragments.military),
        ("protected", m.nearest_protected, &fragments.protected),
    ] {
        let distance = found.and_then(|(_, d)| km(f64::from(d)));
        w.raw(",\"nearest_");
        w.raw(name);
        w.raw("_km\":");
        w.optional_number(distance);
        w.raw(",\"nearest_");
        w.raw(name);
        w.raw("\":");
        match found.and_then(|(o, _)| objects.get(o as usize)) {
            Some(object) => {
                w.raw(&object.head);
                w.optional_number(distance);
                w.raw(&object.tail);
            }
            None => w.raw("null"),
        }
    }
    w.raw(",\"nearest_place\":");
    match m.nearest_place {
        Some((p, _)) => w.raw(fragments.place_label_json(p, naming)),
        None => w.raw("null"),
    }
    w.raw(",\"nearest_place_km\":");
    w.optional_number(m.nearest_place.and_then(|(_, d)| km(f64::from(d))));
    w.raw("}}");
}

/// Gives the feature that `out` ends with (as [`write_feature`] writes it, closing brace
/// last) its `links`.
pub fn add_links(out: &mut Vec<u8>, links: &[serde_json::Value]) {
    if out.last() == Some(&b'}') {
        out.pop();
    }
    let mut w = Writer(out);
    w.raw(",\"links\":");
    w.json(links);
    w.raw("}");
}

/// JSON written straight into a byte buffer.
struct Writer<'a>(&'a mut Vec<u8>);

impl Writer<'_> {
    fn raw(&mut self, text: &str) {
        self.0.extend_from_slice(text.as_bytes());
    }

    /// A string known to need no escaping (a vocabulary code).
    fn word(&mut self, code: &str) {
        debug_assert!(code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
        self.0.push(b'"');
        self.raw(code);
        self.0.push(b'"');
    }

    fn string(&mut self, text: &str) {
        self.json(text);
    }

    fn optional_string(&mut self, text: Option<&str>) {
        match text {
            Some(text) => self.string(text),
            None => self.raw("null"),
        }
    }

    fn date(&mut self, date: chrono::NaiveDate) {
        use chrono::Datelike;
        let (year, month, day) = (date.year(), date.month(), date.day());
        if !(0..=9999).contains(&year) {
            use std::io::Write;
            // Writing into a Vec cannot fail.
            let _ = write!(self.0, "\"{date}\"");
            return;
        }
        // "YYYY-MM-DD" by hand: formatting through `Display` was a tenth of a page's cost.
        let digit = |n: u32| b'0' + (n % 10) as u8;
        let year = year as u32;
        self.0.extend_from_slice(&[
            b'"',
            digit(year / 1000),
            digit(year / 100),
            digit(year / 10),
            digit(year),
            b'-',
            digit(month / 10),
            digit(month),
            b'-',
            digit(day / 10),
            digit(day),
            b'"',
        ]);
    }

    fn number(&mut self, value: f64) {
        self.json(&value);
    }

    fn optional_number(&mut self, value: Option<f64>) {
        self.json(&value);
    }

    fn optional_count(&mut self, value: Option<u32>) {
        self.json(&value);
    }

    fn json<T: Serialize + ?Sized>(&mut self, value: &T) {
        // Serialising into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *self.0, value);
    }
}

#[cfg(test)]
mod tests {
    use super::attribution;
    use crate::model::Source;

    fn source(publisher: &str, role: Option<&str>) -> Source {
        Source {
            publisher: publisher.into(),
            title: "t".into(),
            date: None,
            url: None,
            read_at: None,
            relay: None,
            role: role.map(Into::into),
            claimant: None,
            passage: None,
            quote: None,
            note: None,
        }
    }

    #[test]
    fn credits_the_reporter_and_names_who_relayed_it() {
        let sources = [
            source("Amnesty International", Some("secondary")),
            source("Artsakh ombudsman", Some("primary")),
        ];
        assert_eq!(
            attribution(&sources, ""),
            "Reported by Artsakh ombudsman; relayed by Amnesty International"
        );
        assert_eq!(
            attribution(&sources[..1], ""),
            "Reported by Amnesty International"
        );
        assert_eq!(attribution(&[source("HRW", None)], ""), "Reported by HRW");
    }

    #[test]
    fn claims_and_denials_are_credited_to_who_made_them_not_to_who_carried_them() {
        let mut relay = source("Amnesty International", Some("secondary"));
        relay.claimant = Some("Ministry of Defence of Azerbaijan".into());
        let mut denial = source("TASS", Some("denial"));
        denial.claimant = Some("Ministry of Defence of Armenia".into());
        let other = source("Public Radio of Armenia", Some("counter_claim"));
        assert_eq!(
            attribution(&[relay, denial.clone(), other], ""),
            "Reported by Ministry of Defence of Azerbaijan; relayed by Amnesty International; TASS; \
             denied by Ministry of Defence of Armenia; disputed by Public Radio of Armenia"
        );
        // A claim known only through its denial is credited to the record's reporting party,
        // never to the denier.
        assert_eq!(
            attribution(&[denial], "Azerbaijani authorities"),
            "Reported by Azerbaijani authorities; relayed by TASS; denied by Ministry of Defence of Armenia"
        );
    }
}
