//! Incidents as CSV, for spreadsheets: one row per incident with a documented, fixed column
//! layout (README, "CSV columns"), a UTF-8 byte-order mark so that Excel reads Armenian and
//! Azerbaijani letters, every text cell that a spreadsheet would run as a formula neutralised,
//! and every source kept (as JSON, exactly as the API serves them, and as readable text).

use super::features::km;
use super::fragments::{Fragments, ObjectFragments};
use crate::index::Index;
use crate::model::Naming;

/// The columns, in order.
pub const COLUMNS: &[&str] = &[
    "id",
    "date",
    "date_end",
    "date_precision",
    "time_local",
    "date_note",
    "longitude",
    "latitude",
    "geo_precision",
    "uncertainty_km",
    "location_source",
    "place",
    "place_id",
    "place_name_hy",
    "place_name_az",
    "type",
    "weapon",
    "target",
    "killed",
    "killed_high",
    "injured",
    "injured_high",
    "children_killed",
    "children_killed_high",
    "children_injured",
    "children_injured_high",
    "perpetrator_alleged",
    "reported_by",
    "verification",
    "verification_note",
    "attribution",
    "title",
    "description",
    "depth_km",
    "depth_low_km",
    "depth_high_km",
    "side",
    "nearest_military",
    "nearest_military_km",
    "nearest_protected",
    "nearest_protected_km",
    "nearest_place",
    "nearest_place_km",
    "source_count",
    "sources_text",
    "sources_json",
];

/// The UTF-8 byte-order mark that tells spreadsheets the encoding.
pub const BOM: &[u8] = "\u{feff}".as_bytes();

/// A text cell a spreadsheet would evaluate (`=`, `+`, `-`, `@`, tab, carriage return first)
/// is prefixed with an apostrophe, so it is shown, never run (OWASP's CSV injection advice).
pub fn neutralise(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

fn number<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

fn nearest_label(objects: &[ObjectFragments], found: Option<(u32, f32)>) -> &str {
    found
        .and_then(|(o, _)| objects.get(o as usize))
        .map_or("", |o| &o.label)
}

/// The header row (with the byte-order mark).
pub fn header() -> Vec<u8> {
    let mut out = BOM.to_vec();
    let mut writer = csv::Writer::from_writer(&mut out);
    // Writing to a Vec cannot fail.
    let _ = writer.write_record(COLUMNS);
    let _ = writer.flush();
    drop(writer);
    out
}

/// Appends the rows of incidents `items` to `out`.
pub fn rows(
    index: &Index,
    fragments: &Fragments,
    items: &[u32],
    naming: Naming,
    out: &mut Vec<u8>,
) {
    let mut writer = csv::Writer::from_writer(out);
    for i in items {
        let incident = &index.incidents[*i as usize];
        let m = &index.measures[*i as usize];
        let place = index.gazetteer.place(incident.place);
        let sources = fragments.sources(incident);
        let text = |t: &str| neutralise(t).into_owned();
        let distance =
            |found: Option<(u32, f32)>| number(found.and_then(|(_, d)| km(f64::from(d))));
        let record: [String; COLUMNS.len()] = [
            text(&incident.id),
            incident.date.to_string(),
            incident.date_end.to_string(),
            incident.date_precision.as_str().to_string(),
            text(incident.time_local.as_deref().unwrap_or("")),
            text(incident.date_note.as_deref().unwrap_or("")),
            incident.lon.to_string(),
            incident.lat.to_string(),
            incident.geo_precision.as_str().to_string(),
            incident.uncertainty_km().to_string(),
            text(&incident.location_source),
            text(fragments.place_label(incident.place, naming)),
            text(&place.id),
            text(&place.name_hy),
            text(place.name_az.as_deref().unwrap_or("")),
            incident.kind.as_str().to_string(),
            incident.weapon.as_str().to_string(),
            incident.target.as_str().to_string(),
            number(incident.killed.low),
            number(incident.killed.high),
            number(incident.injured.low),
            number(incident.injured.high),
            number(incident.children_killed.low),
            number(incident.children_killed.high),
            number(incident.children_injured.low),
            number(incident.children_injured.high),
            incident.perpetrator.as_str().to_string(),
            incident
                .reported_by
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(";"),
            incident.verification.as_str().to_string(),
            text(incident.verification_note.as_deref().unwrap_or("")),
            text(&sources.attribution),
            text(&incident.title),
            text(&incident.description),
            number(km(m.depth_km)),
            number(km(f64::from(m.depth_low_km))),
            number(km(f64::from(m.depth_high_km))),
            m.side.map_or("", |s| s.as_str()).to_string(),
            text(nearest_label(&fragments.military, m.nearest_military)),
            distance(m.nearest_military),
            text(nearest_label(&fragments.protected, m.nearest_protected)),
            distance(m.nearest_protected),
            text(
                m.nearest_place
                    .map_or("", |(p, _)| fragments.place_label(p, naming)),
            ),
            number(m.nearest_place.and_then(|(_, d)| km(f64::from(d)))),
            incident.sources.len().to_string(),
            text(&sources.text),
            text(&sources.json),
        ];
        let _ = writer.write_record(&record);
    }
    let _ = writer.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_plain_text_is_not() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise("+1"), "'+1");
        assert_eq!(neutralise("-1+2"), "'-1+2");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("\tx"), "'\tx");
        assert_eq!(neutralise("Stepanakert"), "Stepanakert");
        assert_eq!(neutralise("a=b"), "a=b");
    }

    #[test]
    fn the_header_starts_with_a_byte_order_mark_and_names_every_column() {
        let header = header();
        assert!(header.starts_with(BOM));
        let text = std::str::from_utf8(&header[BOM.len()..]).expect("utf-8");
        assert_eq!(text.trim_end().split(',').count(), COLUMNS.len());
    }
}
