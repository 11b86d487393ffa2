//! Aggregates over the incidents a query matches: counts and casualties by town, by day and
//! by weapon, and a histogram of depth from the line of contact.

use super::IncidentQuery;
use crate::index::Index;
use crate::index::Tally;
use serde::Serialize;

/// Width of a depth band, km.
pub const DEPTH_BAND_KM: f64 = crate::index::TALLY_BAND_KM;

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
    fn merge(&mut self, other: &Totals) {
        self.incidents += other.incidents;
        self.killed_low += other.killed_low;
        self.killed_high += other.killed_high;
        self.injured_low += other.injured_low;
        self.injured_high += other.injured_high;
        self.killed_unreported += other.killed_unreported;
        self.injured_unreported += other.injured_unreported;
    }

    /// Adds one incident: its figures come reduced to numbers, so there is no branch.
    #[inline]
    fn add(&mut self, tally: &Tally) {
        self.incidents += 1;
        self.killed_low += u64::from(tally.killed_low);
        self.killed_high += u64::from(tally.killed_high);
        self.injured_low += u64::from(tally.injured_low);
        self.injured_high += u64::from(tally.injured_high);
        self.killed_unreported += usize::from(tally.flags & Tally::KILLED_UNREPORTED != 0);
        self.injured_unreported += usize::from(tally.flags & Tally::INJURED_UNREPORTED != 0);
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

/// Incidents known only to a range of days, by that range.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RangeStats {
    pub start: String,
    pub end: String,
    pub incidents: usize,
}

/// The most date ranges listed; the commonest are kept and the rest counted.
pub const MAX_RANGES: usize = 500;

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
    /// The incidents of `date_ranges` by their range (at most [`MAX_RANGES`], commonest
    /// first; `by_range_omitted` incidents are in ranges not listed).
    pub by_range: Vec<RangeStats>,
    pub by_range_omitted: usize,
    /// `[west, south, east, north]` of the matches, `None` when nothing matches.
    pub bbox: Option<[f64; 4]>,
    pub by_weapon: Vec<WeaponStats>,
    pub depth_band_km: f64,
    pub depth_histogram: Vec<DepthBand>,
}

/// Running sums over part of the matches, merged across threads. Towns, weapons and days
/// are indexed arrays (days counted from the first incident's day: incidents are numbered in
/// date order), so a million incidents cost a million array increments.
#[derive(Clone)]
struct Sums {
    totals: Totals,
    towns: Vec<Totals>,
    weapons: Vec<Totals>,
    days: Vec<Totals>,
    /// Range-dated matches, ascending: their days are resolved after the pass (see
    /// [`count_ranges`]), since reading each one's record here cost half the pass in cache
    /// misses.
    ranged: Vec<u32>,
    /// Smallest and largest Web Mercator x and y of the matches.
    extent: [u32; 4],
    bands: Vec<usize>,
}

impl Sums {
    fn new(places: usize, days: usize) -> Sums {
        Sums {
            totals: Totals::default(),
            towns: vec![Totals::default(); places],
            weapons: vec![Totals::default(); crate::model::Weapon::ALL.len()],
            days: vec![Totals::default(); days],
            ranged: Vec::new(),
            extent: [u32::MAX, u32::MAX, 0, 0],
            bands: Vec::new(),
        }
    }

    #[inline]
    fn add(&mut self, index: &Index, i: u32) {
        let tally = &index.tallies[i as usize];
        let at = index.map_points[i as usize].at;
        let e = &mut self.extent;
        *e = [
            e[0].min(at.x),
            e[1].min(at.y),
            e[2].max(at.x),
            e[3].max(at.y),
        ];
        self.totals.add(tally);
        self.towns[tally.place as usize].add(tally);
        self.weapons[tally.weapon as usize].add(tally);
        if tally.day == Tally::RANGED {
            self.ranged.push(i);
        } else {
            self.days[tally.day as usize].add(tally);
        }
        if tally.band != Tally::NO_DEPTH {
            let band = tally.band as usize;
            if self.bands.len() <= band {
                self.bands.resize(band + 1, 0);
            }
            self.bands[band] += 1;
        }
    }

    fn merge(mut self, other: Sums) -> Sums {
        self.totals.merge(&other.totals);
        for (a, b) in self.towns.iter_mut().zip(&other.towns) {
            a.merge(b);
        }
        for (a, b) in self.weapons.iter_mut().zip(&other.weapons) {
            a.merge(b);
        }
        for (a, b) in self.days.iter_mut().zip(&other.days) {
            a.merge(b);
        }
        self.ranged.extend(other.ranged);
        let (e, o) = (&mut self.extent, other.extent);
        *e = [
            e[0].min(o[0]),
            e[1].min(o[1]),
            e[2].max(o[2]),
            e[3].max(o[3]),
        ];
        if self.bands.len() < other.bands.len() {
            self.bands.resize(other.bands.len(), 0);
        }
        for (a, b) in self.bands.iter_mut().zip(&other.bands) {
            *a += b;
        }
        self
    }
}

/// Incident numbers summed by one task.
const CHUNK: u32 = 1 << 16;

/// Aggregates every incident matching `q` (paging is ignored). The matching set is read in
/// ranges of incident numbers, one task each, and never listed whole.
pub fn stats(index: &Index, q: &IncidentQuery) -> Stats {
    use rayon::prelude::*;
    let matched = super::execute::matching_set(index, q);
    let (Some(first_day), Some(last_day)) = (index.first_day, index.last_day) else {
        return summarise(index, q, 0, Sums::new(0, 0), None);
    };
    let span = (last_day - first_day).num_days() as usize + 1;
    let places = index.gazetteer.len();
    // Without a set, every number is live (see `matching_set`).
    let n = index.incidents.count() as u32;
    let number_matched = matched.as_ref().map_or(n as u64, |s| s.len()) as usize;
    let sums = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|chunk| {
            let mut sums = Sums::new(places, span);
            let (from, to) = (chunk * CHUNK, (chunk * CHUNK).saturating_add(CHUNK).min(n));
            match &matched {
                None => (from..to).for_each(|i| sums.add(index, i)),
                Some(set) => {
                    let mut members = set.iter();
                    members.advance_to(from);
                    for i in members.take_while(|i| *i < to) {
                        sums.add(index, i);
                    }
                }
            }
            sums
        })
        .reduce(|| Sums::new(places, span), Sums::merge);
    summarise(index, q, number_matched, sums, Some(first_day))
}

/// How many of the range-dated incidents `ranged` (ascending) there are of each (first day,
/// last day). Below the index's base the incidents are numbered by first day, so that day is
/// read once per run of numbers that share it (one record, and where the day ends from
/// [`crate::index::DayStarts`]), and the last day is kept beside the range-dated numbers
/// ([`crate::index::Bitmaps::ranged_end`]); only incidents written since the build are read
/// one by one.
fn count_ranges(
    index: &Index,
    ranged: &[u32],
) -> std::collections::HashMap<(chrono::NaiveDate, chrono::NaiveDate), usize> {
    let (sets, incidents) = (&index.sets, &index.incidents);
    let mut counts = std::collections::HashMap::new();
    let mut at = 0;
    // Numbers below `day_end` begin on `day`; `ends` counts their last days (a handful).
    let (mut day, mut day_end) = (chrono::NaiveDate::MIN, 0u32);
    let mut ends: Vec<(chrono::NaiveDate, usize)> = Vec::new();
    let flush = |counts: &mut std::collections::HashMap<_, usize>, day, ends: &mut Vec<_>| {
        for (end, n) in ends.drain(..) {
            *counts.entry((day, end)).or_default() += n;
        }
    };
    for &i in ranged {
        at += sets.ranged[at..].partition_point(|r| *r < i);
        // Only numbers below the base are in `ranged`, and those are in date order.
        if sets.ranged.get(at) == Some(&i) {
            if i >= day_end {
                flush(&mut counts, day, &mut ends);
                day = incidents[i as usize].date;
                day_end = index.day_starts.through(day);
            }
            let end = sets.ranged_end[at];
            match ends.iter_mut().find(|(e, _)| *e == end) {
                Some((_, n)) => *n += 1,
                None => {
                    // Many ranges from one day: the map takes them rather than a long scan.
                    if ends.len() == 64 {
                        flush(&mut counts, day, &mut ends);
                    }
                    ends.push((end, 1));
                }
            }
        } else {
            let incident = &incidents[i as usize];
            *counts
                .entry((incident.date, incident.date_end))
                .or_default() += 1;
        }
    }
    flush(&mut counts, day, &mut ends);
    counts
}

fn summarise(
    index: &Index,
    q: &IncidentQuery,
    number_matched: usize,
    sums: Sums,
    first_day: Option<chrono::NaiveDate>,
) -> Stats {
    let Sums {
        totals,
        towns,
        weapons,
        days,
        mut ranged,
        extent,
        bands,
    } = sums;
    // Chunks are merged in order, so this is already sorted; sorting keeps that a local fact.
    ranged.sort_unstable();
    let date_ranges = ranged.len();
    let ranges = count_ranges(index, &ranged);
    let mut by_range: Vec<RangeStats> = ranges
        .into_iter()
        .map(|((start, end), incidents)| RangeStats {
            start: start.to_string(),
            end: end.to_string(),
            incidents,
        })
        .collect();
    by_range.sort_by(|a, b| {
        b.incidents
            .cmp(&a.incidents)
            .then_with(|| a.start.cmp(&b.start))
            .then_with(|| a.end.cmp(&b.end))
    });
    let listed: usize = by_range.iter().take(MAX_RANGES).map(|r| r.incidents).sum();
    by_range.truncate(MAX_RANGES);
    let bbox = (totals.incidents > 0).then(|| {
        use crate::geodesy::mercator::WorldPoint;
        let (west, north) = WorldPoint {
            x: extent[0],
            y: extent[1],
        }
        .lon_lat();
        let (east, south) = WorldPoint {
            x: extent[2],
            y: extent[3],
        }
        .lon_lat();
        [west, south, east, north]
    });
    let towns = towns
        .into_iter()
        .enumerate()
        .filter(|(_, t)| t.incidents > 0)
        .map(|(place, t)| (place as u32, t));
    let weapons = weapons
        .into_iter()
        .enumerate()
        .filter(|(_, t)| t.incidents > 0)
        .map(|(w, t)| (crate::model::Weapon::ALL[w], t));
    let days = days
        .into_iter()
        .enumerate()
        .filter(|(_, t)| t.incidents > 0)
        .filter_map(|(d, t)| Some((first_day? + chrono::Days::new(d as u64), t)));
    let mut by_town: Vec<TownStats> = towns
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
        number_matched,
        totals,
        by_town,
        by_day: days
            .map(|(d, totals)| DayStats {
                date: d.to_string(),
                totals,
            })
            .collect(),
        by_range_omitted: date_ranges - listed,
        date_ranges,
        by_range,
        bbox,
        by_weapon: weapons
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
