//! Aggregates over the incidents a query matches: counts and casualties by town, by day and
//! by weapon, and a histogram of depth from the line of contact.

use super::IncidentQuery;
use crate::index::Index;
use crate::model::Count;
use serde::Serialize;
use std::collections::BTreeMap;

/// Width of a depth band, km.
pub const DEPTH_BAND_KM: f64 = 10.0;

/// Casualty totals: the sum of the lowest and of the highest reported figures, and how many
/// incidents reported no figure at all (so "0" is never mistaken for "unknown").
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Totals {
    pub incidents: usize,
    pub killed_low: u64,
    pub killed_high: u64,
    pub injured_low: u64,
    pub injured_high: u64,
    pub killed_unreported: usize,
    pub injured_unreported: usize,
}

impl Totals {
    fn add(&mut self, killed: Count, injured: Count) {
        self.incidents += 1;
        let add = |count: Count, low: &mut u64, high: &mut u64, unreported: &mut usize| match (
            count.low,
            count.highest(),
        ) {
            (None, None) => *unreported += 1,
            (low_value, high_value) => {
                *low += u64::from(low_value.unwrap_or(0));
                *high += u64::from(high_value.unwrap_or(0));
            }
        };
        add(
            killed,
            &mut self.killed_low,
            &mut self.killed_high,
            &mut self.killed_unreported,
        );
        add(
            injured,
            &mut self.injured_low,
            &mut self.injured_high,
            &mut self.injured_unreported,
        );
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TownStats {
    pub place: String,
    pub name: String,
    #[serde(flatten)]
    pub totals: Totals,
}

#[derive(Debug, Clone, Serialize)]
pub struct DayStats {
    pub date: String,
    #[serde(flatten)]
    pub totals: Totals,
}

#[derive(Debug, Clone, Serialize)]
pub struct WeaponStats {
    pub weapon: &'static str,
    #[serde(flatten)]
    pub totals: Totals,
}

#[derive(Debug, Clone, Serialize)]
pub struct DepthBand {
    pub from_km: f64,
    pub to_km: f64,
    pub incidents: usize,
}

/// The answer of `/api/stats`.
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    pub number_matched: usize,
    pub totals: Totals,
    pub by_town: Vec<TownStats>,
    /// Incidents dated to a single day. Incidents known only to a range of days are counted
    /// in `date_ranges` instead of being pinned to an arbitrary day.
    pub by_day: Vec<DayStats>,
    pub date_ranges: usize,
    pub by_weapon: Vec<WeaponStats>,
    pub depth_band_km: f64,
    pub depth_histogram: Vec<DepthBand>,
}

/// Aggregates every incident matching `q` (paging is ignored).
pub fn stats(index: &Index, q: &IncidentQuery) -> Stats {
    // Order does not change a sum: skip the sorting that paging needs.
    let matched = super::execute::filtered(index, q);
    let mut totals = Totals::default();
    let mut towns: BTreeMap<u32, Totals> = BTreeMap::new();
    let mut days: BTreeMap<chrono::NaiveDate, Totals> = BTreeMap::new();
    let mut weapons: BTreeMap<crate::model::Weapon, Totals> = BTreeMap::new();
    let mut bands: Vec<usize> = Vec::new();
    let mut date_ranges = 0;
    for i in &matched {
        let incident = &index.incidents[*i as usize];
        let (killed, injured) = (incident.killed, incident.injured);
        totals.add(killed, injured);
        towns
            .entry(incident.place)
            .or_default()
            .add(killed, injured);
        weapons
            .entry(incident.weapon)
            .or_default()
            .add(killed, injured);
        if incident.date == incident.date_end {
            days.entry(incident.date).or_default().add(killed, injured);
        } else {
            date_ranges += 1;
        }
        let depth = index.measures[*i as usize].depth_km;
        if depth.is_finite() {
            let band = (depth / DEPTH_BAND_KM).floor() as usize;
            if bands.len() <= band {
                bands.resize(band + 1, 0);
            }
            bands[band] += 1;
        }
    }
    let mut by_town: Vec<TownStats> = towns
        .into_iter()
        .map(|(place, totals)| {
            let place = index.gazetteer.place(place);
            TownStats {
                place: place.id.clone(),
                name: place.label(q.naming),
                totals,
            }
        })
        .collect();
    by_town.sort_by(|a, b| {
        b.totals
            .incidents
            .cmp(&a.totals.incidents)
            .then_with(|| a.name.cmp(&b.name))
    });
    Stats {
        number_matched: matched.len(),
        totals,
        by_town,
        by_day: days
            .into_iter()
            .map(|(d, totals)| DayStats {
                date: d.to_string(),
                totals,
            })
            .collect(),
        date_ranges,
        by_weapon: weapons
            .into_iter()
            .map(|(w, totals)| WeaponStats {
                weapon: w.as_str(),
                totals,
            })
            .collect(),
        depth_band_km: DEPTH_BAND_KM,
        depth_histogram: bands
            .into_iter()
            .enumerate()
            .map(|(band, incidents)| DepthBand {
                from_km: band as f64 * DEPTH_BAND_KM,
                to_km: (band + 1) as f64 * DEPTH_BAND_KM,
                incidents,
            })
            .collect(),
    }
}
