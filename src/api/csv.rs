//! Incidents as CSV, for spreadsheets: one row per incident with a documented, fixed column
//! layout (README, "CSV columns"), a UTF-8 byte-order mark so that Excel reads Armenian and
//! Azerbaijani letters, every text cell that a spreadsheet would run as a formula neutralised,
//! and every source kept (as JSON, exactly as the API serves them, and as readable text).

use super::features::{IncidentFeature, NearestObject};
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

fn nearest_name(object: &Option<NearestObject<'_>>) -> String {
    object
        .as_ref()
        .map(|o| format!("{} ({})", o.name, o.id))
        .unwrap_or_default()
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
pub fn rows(index: &Index, items: &[u32], naming: Naming, out: &mut Vec<u8>) {
    let mut writer = csv::Writer::from_writer(out);
    for i in items {
        let feature = IncidentFeature::new(index, *i, naming);
        let p = &feature.properties;
        let incident = &index.incidents[*i as usize];
        let sources_text = p
            .sources
            .iter()
            .map(|s| {
                let mut parts = vec![s.publisher.to_string(), format!("\"{}\"", s.title)];
                if let Some(date) = &s.date {
                    parts.push(date.to_string());
                }
                if let Some(url) = &s.url {
                    parts.push(url.to_string());
                }
                if let Some(role) = &s.role {
                    parts.push(format!("({role})"));
                }
                parts.join(", ")
            })
            .collect::<Vec<_>>()
            .join(" | ");
        let sources_json = serde_json::to_string(p.sources).unwrap_or_default();
        let text = |t: &str| neutralise(t).into_owned();
        let record: [String; COLUMNS.len()] = [
            text(p.id),
            p.date.to_string(),
            p.date_end.to_string(),
            p.date_precision.to_string(),
            text(p.time_local.unwrap_or("")),
            text(p.date_note.unwrap_or("")),
            incident.lon.to_string(),
            incident.lat.to_string(),
            p.geo_precision.to_string(),
            p.uncertainty_km.to_string(),
            text(p.location_source),
            text(&p.place),
            text(p.place_id),
            text(p.place_name_hy),
            text(p.place_name_az.unwrap_or("")),
            p.kind.to_string(),
            p.weapon.to_string(),
            p.target.to_string(),
            number(p.killed),
            number(p.killed_high),
            number(p.injured),
            number(p.injured_high),
            number(p.children_killed),
            number(p.children_killed_high),
            number(p.children_injured),
            number(p.children_injured_high),
            p.perpetrator_alleged.to_string(),
            p.reported_by.codes().join(";"),
            p.verification.to_string(),
            text(p.verification_note.unwrap_or("")),
            text(&p.attribution),
            text(p.title),
            text(p.description),
            number(p.depth_km),
            number(p.depth_low_km),
            number(p.depth_high_km),
            p.side.unwrap_or("").to_string(),
            text(&nearest_name(&p.nearest_military)),
            number(p.nearest_military_km),
            text(&nearest_name(&p.nearest_protected)),
            number(p.nearest_protected_km),
            text(p.nearest_place.as_deref().unwrap_or("")),
            number(p.nearest_place_km),
            p.sources.len().to_string(),
            text(&sources_text),
            text(&sources_json),
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
