//! GeoJSON encoding of incidents: flat properties (so QGIS and GDAL show them as columns)
//! plus the nested sources, written straight from the index without a JSON tree.

use crate::index::{Index, Measures};
use crate::model::{Count, Incident, Source};
use serde::Serialize;

#[derive(Serialize)]
pub struct PointGeometry {
    #[serde(rename = "type")]
    kind: &'static str,
    coordinates: [f64; 2],
}

impl PointGeometry {
    pub fn new(lon: f64, lat: f64) -> Self {
        PointGeometry {
            kind: "Point",
            coordinates: [lon, lat],
        }
    }
}

/// Rounds kilometres to metres, the precision the measures are good for; `None` for a value
/// that is not a distance (no line to measure from).
pub(super) fn km(value: f64) -> Option<f64> {
    value.is_finite().then(|| (value * 1000.0).round() / 1000.0)
}

#[derive(Serialize)]
pub struct IncidentFeature<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: &'a str,
    geometry: PointGeometry,
    pub(super) properties: IncidentProperties<'a>,
    /// Links, on a single feature (self, collection).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub links: Option<Vec<serde_json::Value>>,
}

/// A place's spellings, written as a list of names without building one.
pub(super) struct Names<'a>(pub(super) &'a [crate::model::PlaceName]);

impl Serialize for Names<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|n| n.name.as_str()))
    }
}

/// Who reported an incident, written as a list of codes without building one.
pub(super) struct Reporters(pub(super) crate::model::ReporterSet);

impl Reporters {
    pub(super) fn codes(&self) -> Vec<&'static str> {
        self.0.iter().map(|r| r.as_str()).collect()
    }
}

impl Serialize for Reporters {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|r| r.as_str()))
    }
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

#[derive(Serialize)]
pub(super) struct IncidentProperties<'a> {
    pub(super) id: &'a str,
    pub(super) title: &'a str,
    pub(super) description: &'a str,
    /// "Reported by ..." built from the primary sources' publishers.
    pub(super) attribution: String,
    pub(super) date: chrono::NaiveDate,
    pub(super) date_end: chrono::NaiveDate,
    pub(super) date_precision: &'static str,
    pub(super) time_local: Option<&'a str>,
    pub(super) date_note: Option<&'a str>,
    pub(super) place: String,
    pub(super) place_id: &'a str,
    pub(super) place_name_hy: &'a str,
    pub(super) place_name_az: Option<&'a str>,
    pub(super) place_names: Names<'a>,
    pub(super) geo_precision: &'static str,
    pub(super) uncertainty_km: f64,
    pub(super) location_source: &'a str,
    #[serde(rename = "type")]
    pub(super) kind: &'static str,
    pub(super) weapon: &'static str,
    pub(super) target: &'static str,
    pub(super) killed: Option<u32>,
    pub(super) killed_high: Option<u32>,
    pub(super) injured: Option<u32>,
    pub(super) injured_high: Option<u32>,
    pub(super) children_killed: Option<u32>,
    pub(super) children_killed_high: Option<u32>,
    pub(super) children_injured: Option<u32>,
    pub(super) children_injured_high: Option<u32>,
    pub(super) perpetrator_alleged: &'static str,
    pub(super) reported_by: Reporters,
    pub(super) verification: &'static str,
    pub(super) verification_note: Option<&'a str>,
    pub(super) sources: &'a [Source],
    pub(super) depth_km: Option<f64>,
    pub(super) depth_low_km: Option<f64>,
    pub(super) depth_high_km: Option<f64>,
    pub(super) side: Option<&'static str>,
    pub(super) nearest_military_km: Option<f64>,
    pub(super) nearest_military: Option<NearestObject<'a>>,
    pub(super) nearest_protected_km: Option<f64>,
    pub(super) nearest_protected: Option<NearestObject<'a>>,
    pub(super) nearest_place: Option<String>,
    pub(super) nearest_place_km: Option<f64>,
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
fn reporters(incident: &Incident) -> String {
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

impl<'a> IncidentFeature<'a> {
    /// Incident `i`, its places named as `naming` asks.
    pub fn new(index: &'a Index, i: u32, naming: crate::model::Naming) -> Self {
        let incident: &'a Incident = &index.incidents[i as usize];
        let m: &Measures = &index.measures[i as usize];
        let place = index.gazetteer.place(incident.place);
        let count = |c: Count| (c.low, c.high);
        let (killed, killed_high) = count(incident.killed);
        let (injured, injured_high) = count(incident.injured);
        let (children_killed, children_killed_high) = count(incident.children_killed);
        let (children_injured, children_injured_high) = count(incident.children_injured);
        IncidentFeature {
            kind: "Feature",
            id: &incident.id,
            geometry: PointGeometry::new(incident.lon, incident.lat),
            links: None,
            properties: IncidentProperties {
                id: &incident.id,
                title: &incident.title,
                description: &incident.description,
                attribution: attribution(&incident.sources, &reporters(incident)),
                date: incident.date,
                date_end: incident.date_end,
                date_precision: incident.date_precision.as_str(),
                time_local: incident.time_local.as_deref(),
                date_note: incident.date_note.as_deref(),
                place: place.label(naming),
                place_id: &place.id,
                place_name_hy: &place.name_hy,
                place_name_az: place.name_az.as_deref(),
                place_names: Names(&place.names),
                geo_precision: incident.geo_precision.as_str(),
                uncertainty_km: f64::from(incident.uncertainty_km),
                location_source: &incident.location_source,
                kind: incident.kind.as_str(),
                weapon: incident.weapon.as_str(),
                target: incident.target.as_str(),
                killed,
                killed_high,
                injured,
                injured_high,
                children_killed,
                children_killed_high,
                children_injured,
                children_injured_high,
                perpetrator_alleged: incident.perpetrator.as_str(),
                reported_by: Reporters(incident.reported_by),
                verification: incident.verification.as_str(),
                verification_note: incident.verification_note.as_deref(),
                sources: &incident.sources,
                depth_km: km(m.depth_km),
                depth_low_km: km(f64::from(m.depth_low_km)),
                depth_high_km: km(f64::from(m.depth_high_km)),
                side: m.side.map(|s| s.as_str()),
                nearest_military_km: m.nearest_military.and_then(|(_, d)| km(f64::from(d))),
                nearest_military: nearest(
                    &index.military,
                    m.nearest_military.map(|(i, d)| (i, f64::from(d))),
                ),
                nearest_protected_km: m.nearest_protected.and_then(|(_, d)| km(f64::from(d))),
                nearest_protected: nearest(
                    &index.protected,
                    m.nearest_protected.map(|(i, d)| (i, f64::from(d))),
                ),
                nearest_place: m
                    .nearest_place
                    .map(|(p, _)| index.gazetteer.place(p).label(naming)),
                nearest_place_km: m.nearest_place.and_then(|(_, d)| km(f64::from(d))),
            },
        }
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
