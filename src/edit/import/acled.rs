//! ACLED's CSV export as incident features. ACLED codes events, not claims, so each row becomes
//! an incident *reported via ACLED*: the source names ACLED as a secondary source and whoever
//! ACLED cites as the claimant; the perpetrator is left unknown (ACLED's actor 1 and actor 2
//! carry no direction); the grade is `weak` until an editor checks it. Only remote violence
//! and violence against civilians are imported; other event types are rejected by name.
//!
//! - `time_precision` 1 is the day; 2 (a week, coded to its middle) becomes that day ±3 days;
//!   3 (a month, coded to its middle) becomes the whole calendar month.
//! - `geo_precision` 1 (the town) is `settlement` (3 km); 2 (near a town, part of a region) is
//!   `district` with 25 km; 3 (a larger region) `district` with 50 km.
//! - The place is the gazetteer's for `location` (any spelling; among several, the nearest to
//!   the coordinates), else the nearest place within 10 km; else the row is rejected.

use super::Row;
use crate::edit::Checker;
use crate::edit::validate::Problem;
use chrono::{Datelike, Days, NaiveDate};
use serde_json::{Value, json};
use std::collections::HashMap;

const NEEDED: &[&str] = &[
    "event_id_cnty",
    "event_date",
    "time_precision",
    "event_type",
    "sub_event_type",
    "actor1",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "notes",
    "fatalities",
];

/// The farthest a place may be from ACLED's point to stand for it when its name is unknown.
const NEAREST_PLACE_KM: f64 = 10.0;

fn date(text: &str) -> Option<NaiveDate> {
    ["%Y-%m-%d", "%d-%m-%Y", "%d %B %Y", "%d %b %Y", "%d/%m/%Y"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(text.trim(), f).ok())
}

/// Who ACLED's `source` says reported it, by the words it uses.
fn reporters(source: &str) -> Vec<&'static str> {
    let s = source.to_lowercase();
    let official = [
        "ministry",
        "mod",
        "prosecutor",
        "president",
        "government",
        "authorit",
        "ombudsman",
        "emergency",
    ]
    .iter()
    .any(|w| s.contains(w));
    let mut out = Vec::new();
    if official && (s.contains("artsakh") || s.contains("nagorno") || s.contains("karabakh")) {
        out.push("nagorno_karabakh_authorities");
    } else if official && s.contains("armenia") {
        out.push("armenian_authorities");
    }
    if official && s.contains("azerbaijan") {
        out.push("azerbaijani_authorities");
    }
    if s.contains("human rights watch") || s.contains("amnesty") {
        out.push("international_ngo");
    }
    if ["icrc", "united nations", "osce", "ohchr"]
        .iter()
        .any(|w| s.contains(w))
    {
        out.push("international_organisation");
    }
    if out.is_empty() {
        out.push("media");
    }
    out
}

pub(super) fn rows<'t>(
    text: &'t str,
    checker: &'t Checker,
    ignored: &mut Vec<String>,
) -> Result<Box<dyn Iterator<Item = Row> + 't>, String> {
    let (reader, header) = super::rows::csv_reader(text, |h| h.trim().to_ascii_lowercase())?;
    let missing: Vec<&str> = NEEDED
        .iter()
        .filter(|n| !header.iter().any(|h| h == *n))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "not ACLED's CSV export: no column {}",
            missing.join(", ")
        ));
    }
    ignored.extend(
        header
            .iter()
            .filter(|h| !NEEDED.contains(&h.as_str()))
            .cloned(),
    );
    Ok(Box::new(reader.into_records().enumerate().map(
        move |(n, record)| {
            let id = record.as_ref().ok().and_then(|r| {
                header
                    .iter()
                    .position(|h| h == "event_id_cnty")
                    .and_then(|i| r.get(i))
                    .map(|e| format!("acled-{e}"))
            });
            let feature = record
                .map_err(|e| vec![Problem::new("(row)", format!("a CSV row ({e})"))])
                .and_then(|record| {
                    let row: HashMap<&str, &str> = header
                        .iter()
                        .map(String::as_str)
                        .zip(record.iter())
                        .collect();
                    feature(&row, checker)
                });
            Row {
                row: n + 2,
                id,
                feature,
            }
        },
    )))
}

fn feature(row: &HashMap<&str, &str>, checker: &Checker) -> Result<Value, Vec<Problem>> {
    let get = |k: &str| row.get(k).map_or("", |v| v.trim());
    let mut problems = Vec::new();
    let event_type = get("event_type");
    if !["Explosions/Remote violence", "Violence against civilians"].contains(&event_type) {
        return Err(vec![Problem::new(
            "event_type",
            format!(
                "Explosions/Remote violence or Violence against civilians (strikemap records attacks on civilians; found '{event_type}')"
            ),
        )]);
    }
    let day = date(get("event_date"));
    if day.is_none() {
        problems.push(Problem::new(
            "event_date",
            "a date as YYYY-MM-DD, DD-MM-YYYY or '04 October 2020'",
        ));
    }
    let lon = get("longitude").parse::<f64>().ok();
    let lat = get("latitude").parse::<f64>().ok();
    if lon.is_none() || lat.is_none() {
        problems.push(Problem::new("latitude, longitude", "decimal degrees"));
    }
    let (geo_precision, uncertainty) = match get("geo_precision") {
        "1" => ("settlement", None),
        "2" => ("district", Some(25.0)),
        "3" => ("district", Some(50.0)),
        _ => {
            problems.push(Problem::new("geo_precision", "1, 2 or 3"));
            ("district", None)
        }
    };
    let fatalities = match get("fatalities") {
        "" => None,
        text => match text.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => {
                problems.push(Problem::new("fatalities", "a whole number"));
                None
            }
        },
    };
    let (Some(day), Some(lon), Some(lat)) = (day, lon, lat) else {
        return Err(problems);
    };
    let (start, end, precision) = match get("time_precision") {
        "1" => (day, day, "day"),
        "2" => (day - Days::new(3), day + Days::new(3), "range"),
        "3" => {
            let first = day.with_day(1).unwrap_or(day);
            let next = first
                .checked_add_months(chrono::Months::new(1))
                .unwrap_or(first);
            (first, next.pred_opt().unwrap_or(first), "range")
        }
        _ => {
            problems.push(Problem::new("time_precision", "1, 2 or 3"));
            (day, day, "day")
        }
    };
    let location = get("location");
    let here = geo::Point::new(lon, lat);
    let gazetteer = &checker.gazetteer;
    let place = match gazetteer.resolve(location) {
        Ok(candidates) => candidates.into_iter().min_by(|a, b| {
            let d = |i: &u32| {
                let p = gazetteer.place(*i);
                crate::geodesy::distance_m(here, geo::Point::new(p.lon, p.lat))
            };
            d(a).total_cmp(&d(b))
        }),
        Err(_) => gazetteer
            .nearest(here)
            .filter(|(_, metres)| *metres <= NEAREST_PLACE_KM * 1000.0)
            .map(|(i, _)| i),
    };
    let Some(place) = place else {
        problems.push(Problem::new(
            "location",
            format!("a place in the gazetteer, or one within {NEAREST_PLACE_KM} km ('{location}' is neither: add it to places.geojson)"),
        ));
        return Err(problems);
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    let sub = get("sub_event_type");
    let notes = get("notes");
    let lower = notes.to_lowercase();
    let (kind, weapon) = match sub {
        "Shelling/artillery/missile attack" => ("shelling", "unknown"),
        "Air/drone strike"
            if ["drone", "uav", "bayraktar", "loitering"]
                .iter()
                .any(|w| lower.contains(w)) =>
        {
            ("drone_strike", "unknown")
        }
        "Air/drone strike"
            if ["aircraft", "jet", "su-25", "plane", "aviation"]
                .iter()
                .any(|w| lower.contains(w)) =>
        {
            ("air_strike", "unknown")
        }
        _ => ("unknown", "unknown"),
    };
    let source = get("source");
    let id = format!("acled-{}", get("event_id_cnty"));
    let mut properties = json!({
        "id": id,
        "title": format!("{} in {} (ACLED)", if sub.is_empty() { event_type } else { sub }, if location.is_empty() { "an unnamed place" } else { location }),
        "description": format!("ACLED records: {}{}", if notes.is_empty() { "(no notes)" } else { notes },
            [("actor1", "actor 1"), ("actor2", "actor 2")].iter().filter(|(k, _)| !get(k).is_empty()).map(|(k, label)| format!(" [{label}: {}]", get(k))).collect::<String>()),
        "date": start.to_string(),
        "date_precision": precision,
        "place": gazetteer.place(place).id,
        "geo_precision": geo_precision,
        "location_source": format!("ACLED's coordinates for '{location}' (geo_precision {})", get("geo_precision")),
        "type": kind,
        "weapon": weapon,
        "target": "unknown",
        "perpetrator_alleged": "unknown",
        "reported_by": reporters(source),
        "verification": "weak",
        "verification_note": format!("Imported from ACLED; not checked by an editor. Reporting party read from ACLED's source field: '{source}'."),
        "sources": [{
            "publisher": "ACLED (Armed Conflict Location & Event Data Project)",
            "title": format!("ACLED event {}", get("event_id_cnty")),
            "url": "https://acleddata.com/",
            "role": "secondary",
            "claimant": if source.is_empty() { "not named by ACLED" } else { source },
        }],
    });
    if precision == "range" {
        properties["date_end"] = json!(end.to_string());
        properties["date_note"] = json!(format!(
            "ACLED time_precision {}: coded to {day}",
            get("time_precision")
        ));
    }
    if let Some(km) = uncertainty {
        properties["uncertainty_km"] = json!(km);
    }
    if let Some(n) = fatalities {
        properties["killed"] = json!(n);
    }
    Ok(json!({
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": properties,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acled_dates_in_each_of_their_layouts() {
        let d = NaiveDate::from_ymd_opt(2020, 10, 4);
        for text in ["2020-10-04", "04-10-2020", "04 October 2020", "4 Oct 2020"] {
            assert_eq!(date(text), d, "{text}");
        }
        assert_eq!(date("2020-13-01"), None);
    }

    #[test]
    fn the_reporting_party_comes_from_the_words_of_the_source() {
        assert_eq!(
            reporters("Ministry of Defence of Azerbaijan"),
            vec!["azerbaijani_authorities"]
        );
        assert_eq!(
            reporters("Artsakh Ombudsman; Armenpress"),
            vec!["nagorno_karabakh_authorities"]
        );
        assert_eq!(reporters("Human Rights Watch"), vec!["international_ngo"]);
        assert_eq!(reporters("Reuters"), vec!["media"]);
    }
}
