//! `strikemap check --report`: what the evidence base covers, so that a gap (one party's
//! strikes only, sources with no archived passage, places placed by district) shows at a
//! glance. Plain Markdown tables, readable in a terminal and pasteable into a README.

use crate::index::Index;
use crate::model::{Incident, Source};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Rows of `(label, count)` as a two-column Markdown table headed `what`.
fn table(out: &mut String, title: &str, what: &str, rows: &[(String, usize)]) {
    let _ = writeln!(out, "### {title}\n\n| {what} | count |\n|---|---:|");
    for (label, count) in rows {
        let _ = writeln!(out, "| {label} | {count} |");
    }
    let _ = writeln!(out);
}

fn tally<'a>(items: impl Iterator<Item = String> + 'a) -> Vec<(String, usize)> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for item in items {
        *counts.entry(item).or_default() += 1;
    }
    counts.into_iter().collect()
}

/// Every citation in the dataset: the incidents', the summaries' and the reference layers'.
fn citations(index: &Index) -> Vec<Source> {
    let mut all: Vec<Source> = index
        .live_incidents()
        .flat_map(|i| i.sources.iter().cloned())
        .collect();
    let json_sources = index
        .summaries
        .iter()
        .filter_map(|s| s.get("sources"))
        .chain(
            index
                .military
                .features
                .iter()
                .chain(&index.protected.features)
                .filter_map(|f| f.property("sources")),
        );
    for sources in json_sources {
        if let Ok(parsed) = serde_json::from_value::<Vec<Source>>(sources.clone()) {
            all.extend(parsed);
        }
    }
    all
}

/// The coverage report of a loaded dataset.
pub fn coverage(index: &Index) -> String {
    let incidents: Vec<&Incident> = index.live_incidents().collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## Coverage of the dataset\n\n{} incidents, {} aggregate statements, {} places, {} archived passages.\n",
        incidents.len(),
        index.summaries.len(),
        index.gazetteer.len(),
        index.passages.len()
    );
    table(
        &mut out,
        "Incidents by alleged perpetrator",
        "perpetrator_alleged",
        &tally(incidents.iter().map(|i| i.perpetrator.as_str().to_string())),
    );
    let _ = writeln!(
        out,
        "### Incidents by alleged perpetrator and grade\n\n| perpetrator_alleged | confirmed | fair | weak | contested | discounted |\n|---|---:|---:|---:|---:|---:|"
    );
    let perpetrators = tally(incidents.iter().map(|i| i.perpetrator.as_str().to_string()));
    for (perpetrator, _) in &perpetrators {
        let count = |grade: &str| {
            incidents
                .iter()
                .filter(|i| {
                    i.perpetrator.as_str() == perpetrator && i.verification.as_str() == grade
                })
                .count()
        };
        let _ = writeln!(
            out,
            "| {perpetrator} | {} | {} | {} | {} | {} |",
            count("confirmed"),
            count("fair"),
            count("weak"),
            count("contested"),
            count("discounted")
        );
    }
    let _ = writeln!(out);
    table(
        &mut out,
        "Incidents by reporting party (an incident counts once for each)",
        "reported_by",
        &tally(
            incidents
                .iter()
                .flat_map(|i| i.reported_by.iter().map(|r| r.as_str().to_string())),
        ),
    );
    table(
        &mut out,
        "Incidents by verification grade",
        "verification",
        &tally(
            incidents
                .iter()
                .map(|i| i.verification.as_str().to_string()),
        ),
    );
    table(
        &mut out,
        "Incidents by weapon",
        "weapon",
        &tally(incidents.iter().map(|i| i.weapon.as_str().to_string())),
    );
    table(
        &mut out,
        "Incidents by month of their first possible day",
        "month",
        &tally(incidents.iter().map(|i| {
            let range = if i.date == i.date_end {
                ""
            } else {
                " (date range)"
            };
            format!("{}{range}", i.date.format("%Y-%m"))
        })),
    );
    let cited = citations(index);
    let ids: std::collections::HashSet<&str> =
        index.passages.iter().map(|p| p.id.as_str()).collect();
    let archived = cited
        .iter()
        .filter(|s| s.passage.as_deref().is_some_and(|p| ids.contains(p)))
        .count();
    table(
        &mut out,
        "Citations (incidents, summaries and reference layers)",
        "citations",
        &[
            ("with an archived passage (hash checked)".into(), archived),
            ("without an archived passage".into(), cited.len() - archived),
        ],
    );
    table(
        &mut out,
        "Citations by role",
        "role",
        &tally(
            cited
                .iter()
                .map(|s| s.role.as_deref().unwrap_or("primary").to_string()),
        ),
    );
    table(
        &mut out,
        "Places by precision",
        "geo_precision",
        &tally(
            index
                .gazetteer
                .places()
                .iter()
                .map(|p| p.geo_precision.as_str().to_string()),
        ),
    );
    table(
        &mut out,
        "Reference layers",
        "layer",
        &[
            ("military objects".into(), index.military.objects.len()),
            ("protected objects".into(), index.protected.objects.len()),
        ],
    );
    for (name, layer) in [
        ("Military", &index.military),
        ("Protected", &index.protected),
    ] {
        if let Some(coverage) = &layer.coverage {
            let _ = writeln!(out, "{name} objects' coverage: {coverage}\n");
        }
    }
    out
}
