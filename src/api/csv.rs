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

/// One row's fields written straight into the CSV writer: no string is made for a field
/// that is already one, and numbers are formatted into one reused buffer (a row of
/// allocations was most of what a CSV download cost).
struct Row<'a, W: std::io::Write> {
    writer: &'a mut csv::Writer<W>,
    scratch: String,
}

impl<W: std::io::Write> Row<'_, W> {
    /// A text cell, neutralised (see [`neutralise`]).
    fn text(&mut self, text: &str) {
        self.raw(&neutralise(text));
    }

    /// A cell written as it is (codes, numbers).
    fn raw(&mut self, text: &str) {
        // Writing to a Vec cannot fail.
        let _ = self.writer.write_field(text.as_bytes());
    }

    fn display(&mut self, value: impl std::fmt::Display) {
        use std::fmt::Write;
        self.scratch.clear();
        let _ = write!(self.scratch, "{value}");
        let _ = self.writer.write_field(self.scratch.as_bytes());
    }

    fn number(&mut self, value: Option<impl std::fmt::Display>) {
        match value {
            Some(value) => self.display(value),
            None => self.raw(""),
        }
    }

    fn end(&mut self) {
        let _ = self.writer.write_record(None::<&[u8]>);
    }
}

/// Appends the rows of incidents `items` to `out`, in the order of [`COLUMNS`].
pub fn rows(
    index: &Index,
    fragments: &Fragments,
    items: &[u32],
    naming: Naming,
    out: &mut Vec<u8>,
) {
    let mut writer = csv::Writer::from_writer(out);
    let mut row = Row {
        writer: &mut writer,
        scratch: String::new(),
    };
    for i in items {
        let incident = &index.incidents[*i as usize];
        let m = &index.measures[*i as usize];
        let place = index.gazetteer.place(incident.place);
        let sources = fragments.sources(incident);
        row.text(&incident.id);
        row.display(incident.date);
        row.display(incident.date_end);
        row.raw(incident.date_precision.as_str());
        row.text(incident.time_local.as_deref().unwrap_or(""));
        row.text(incident.date_note.as_deref().unwrap_or(""));
        row.display(incident.lon);
        row.display(incident.lat);
        row.raw(incident.geo_precision.as_str());
        row.display(incident.uncertainty_km());
        row.text(&incident.location_source);
        row.text(fragments.place_label(incident.place, naming));
        row.text(&place.id);
        row.text(&place.name_hy);
        row.text(place.name_az.as_deref().unwrap_or(""));
        row.raw(incident.kind.as_str());
        row.raw(incident.weapon.as_str());
        row.raw(incident.target.as_str());
        for count in [
            incident.killed,
            incident.injured,
            incident.children_killed,
            incident.children_injured,
        ] {
            row.number(count.low);
            row.number(count.high);
        }
        row.raw(incident.perpetrator.as_str());
        row.raw(
            &incident
                .reported_by
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(";"),
        );
        row.raw(incident.verification.as_str());
        row.text(incident.verification_note.as_deref().unwrap_or(""));
        row.text(&sources.attribution);
        row.text(&incident.title);
        row.text(&incident.description);
        row.number(km(m.depth_km));
        row.number(km(f64::from(m.depth_low_km)));
        row.number(km(f64::from(m.depth_high_km)));
        row.raw(m.side.map_or("", |s| s.as_str()));
        for (objects, found) in [
            (&fragments.military, m.nearest_military),
            (&fragments.protected, m.nearest_protected),
        ] {
            row.text(nearest_label(objects, found));
            row.number(found.and_then(|(_, d)| km(f64::from(d))));
        }
        row.text(
            m.nearest_place
                .map_or("", |(p, _)| fragments.place_label(p, naming)),
        );
        row.number(m.nearest_place.and_then(|(_, d)| km(f64::from(d))));
        row.display(incident.sources.len());
        row.text(&sources.text);
        row.text(&sources.json);
        row.end();
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
