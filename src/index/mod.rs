//! The in-memory indexes and the measures computed once per incident at load: distance from
//! the line of contact and side, nearest military and protected objects, nearest place.

mod bands;
mod bitmaps;
mod days;
mod gather;
pub use gather::sorted_set;
mod grid;
mod held;
pub use held::Held;
mod kept;
mod lists;
mod measure;
mod set_counts;
mod shared;
mod slots;
mod tally;
mod tiling;
mod words;

pub use bands::{BAND_EDGES_KM, DepthBand, depth_bands};
pub use bitmaps::{Bitmaps, RangeIndex, RangedColumns, Span};
pub use days::DayStarts;
pub use grid::{Grid, Marking, Region};
pub use set_counts::{Named, SetCounts, Vocabulary};
pub use slots::Slots;

pub use measure::{Measurer, PointMeasures};
pub use tally::{TALLY_BAND_KM, Tally};
pub use tiling::{MAP_CLASSES, MapClass, MapPoint};
pub use words::{Unsure, Words};

use crate::gazetteer::Gazetteer;
use crate::model::{Dataset, Layer, LineOfContact};
use crate::model::{Incident, PlaceIdx, Side};
use geo::Point;
use rayon::prelude::*;
use roaring::RoaringBitmap;
use std::sync::Arc;

/// What was computed for one incident, kept compact (kilometres as `f32` are exact to a few
/// centimetres at these distances; the API rounds to metres).
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct Measures {
    /// Geodesic distance from the line of contact, km.
    pub depth_km: f64,
    pub depth_low_km: f32,
    pub depth_high_km: f32,
    pub side: Option<Side>,
    /// Index into the military layer and distance in km.
    pub nearest_military: Option<(u32, f32)>,
    pub nearest_protected: Option<(u32, f32)>,
    pub nearest_place: Option<(PlaceIdx, f32)>,
}

/// What is costly to compute for each incident and a snapshot keeps: the measures and the
/// folded search text, and the indexes that take sorting and gathering to build.
pub struct Precomputed {
    pub measures: Vec<Measures>,
    pub search_text: Vec<Box<str>>,
    pub built: Option<Built>,
}

/// The indexes a snapshot keeps so that a restart does not sort and gather them again: the
/// sets, the ordered indexes (depth, highest toll, lowest toll, military and protected
/// distance) and the grid.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Built {
    pub sets: Bitmaps,
    pub ranges: Vec<RangeIndex>,
    pub grid: Grid,
    pub words: Words,
}

/// [`Built`] borrowed from an index, to be written (the same layout).
#[derive(serde::Serialize)]
pub struct BuiltRef<'a> {
    sets: &'a Bitmaps,
    ranges: Vec<&'a RangeIndex>,
    grid: &'a Grid,
    words: &'a Words,
}

impl Built {
    /// Whether these indexes can serve `incidents` incidents and `places` places without a
    /// read out of bounds (they come from a file).
    pub fn check(&self, incidents: usize, places: usize) -> Result<(), String> {
        if self.ranges.len() != 5 {
            return Err("the snapshot does not hold the five ordered indexes".into());
        }
        self.sets.check(incidents, places)?;
        for range in &self.ranges {
            range.check(incidents)?;
        }
        self.grid.check(incidents)?;
        self.words.check(incidents)
    }
}

/// Lowercased, diacritic-folded title and description of every incident, for `q` searches.
fn fold_all(incidents: &[Incident]) -> Vec<Box<str>> {
    incidents
        .par_iter()
        .map(|i| crate::gazetteer::fold(&format!("{} {}", i.title, i.description)).into_boxed_str())
        .collect()
}

/// The parts of an index that writes to incidents leave as they are.
struct Shared {
    gazetteer: Arc<Gazetteer>,
    measurer: Arc<Measurer>,
    line: Arc<LineOfContact>,
    military: Arc<Layer>,
    protected: Arc<Layer>,
    summaries: Arc<Vec<serde_json::Value>>,
    place_features: Arc<Vec<crate::model::RawFeature>>,
    passages: Arc<Vec<crate::model::Passage>>,
}

/// A write to the incidents, as the index applies it.
#[derive(Debug, Clone)]
pub enum Change {
    /// Adds the incident, or replaces the one with its id.
    Put(Box<Incident>),
    /// Takes the incident with this id out (a retraction).
    Remove(Box<str>),
}

/// Everything a query runs against, built once from a [`Dataset`] and changed in place by
/// writes (see [`Index::with_changes`]).
///
/// Incidents are numbered in date order (first possible day, then id) up to `base`: the
/// default order of a page is then the order of the numbers. An incident written since is
/// appended with the next number, and the number it replaces (if any) is marked dead; the
/// sets and ordered indexes take the written incidents in and the dead ones out, and what
/// reads numbers in date order merges the few written ones in (`written` keeps them in date
/// order). After [`COMPACT_AFTER`] written or dead numbers, a write builds the index again.
#[derive(Clone)]
pub struct Index {
    /// Per number; a dead number keeps what it held.
    pub incidents: Slots<Incident>,
    pub measures: Slots<Measures>,
    // What does not change when an incident is written is shared between an index and the
    // one that replaces it after a write.
    pub gazetteer: Arc<Gazetteer>,
    pub measurer: Arc<Measurer>,
    pub line: Arc<LineOfContact>,
    pub military: Arc<Layer>,
    pub protected: Arc<Layer>,
    pub summaries: Arc<Vec<serde_json::Value>>,
    pub place_features: Arc<Vec<crate::model::RawFeature>>,
    /// The archived passages the records cite.
    pub passages: Arc<Vec<crate::model::Passage>>,
    /// Incidents below `base` by grid cell, for boxes and radii (read through
    /// [`Index::in_bbox`] and [`Index::within`], which add the written incidents).
    grid: Arc<Grid>,
    /// The incidents of each vocabulary value and place (incidents are numbered in date
    /// order: first possible day, then id).
    pub sets: Arc<Bitmaps>,
    /// Where each day's incidents begin among the numbers below `base` (dead ones keep
    /// their place, so it holds across writes).
    pub day_starts: Arc<DayStarts>,
    /// Incidents by distance from the line of contact (unknown depths last).
    pub by_depth: Arc<RangeIndex>,
    /// Incidents by highest reported death toll (no reported figure last).
    pub by_killed: Arc<RangeIndex>,
    /// Incidents by lowest reported death toll (the `killed` a filter compares).
    pub by_killed_low: Arc<RangeIndex>,
    /// Incidents by distance to the nearest known military object (none known last).
    pub by_military_km: Arc<RangeIndex>,
    /// Incidents by distance to the nearest known protected object (none known last).
    pub by_protected_km: Arc<RangeIndex>,
    /// Per incident, what aggregates read.
    pub tallies: Slots<Tally>,
    /// Per incident, what map tiles read.
    pub map_points: Slots<MapPoint>,
    /// The dataset's version (a fingerprint of its files when known): part of every cache
    /// validator, so that a cached answer never outlives the data it came from.
    pub version: u64,
    /// The last revision of the store this index reflects (0 without a store).
    pub store_seq: i64,
    /// The first day of the first incident (the origin of `Tally::day`; no incident written
    /// later begins before it).
    pub first_day: Option<chrono::NaiveDate>,
    /// The latest first day of any number, live or dead (the end of the day tallies).
    pub last_day: Option<chrono::NaiveDate>,
    /// Lowercased, diacritic-folded title and description, for `q` searches.
    pub search_text: Slots<Box<str>>,
    /// The words of `search_text` as built (written incidents are read text by text).
    words: Arc<Words>,
    /// Display bands of distance from the line of contact.
    pub depth_bands: Arc<Vec<DepthBand>>,
    /// When the line the bands are drawn around began to stand (the default version).
    pub depth_bands_line_from: Option<chrono::NaiveDate>,
    /// Incident number by id as built, for `/items/{featureId}`.
    /// (hash of the id, number), sorted: a million ids without a million copies of them
    /// (ids sharing a hash are told apart by the records).
    ids: Arc<Vec<(u64, u32)>>,
    /// Ids written since: their number now, `None` once retracted.
    ids_written: std::collections::HashMap<Box<str>, Option<u32>>,
    /// Which numbering of the incidents this index uses: within one numbering a number
    /// always names the same record with the same measures (writes append numbers and never
    /// reuse one), so what is derived from a number alone may be kept under it; every build
    /// starts a numbering no other index in the process shares.
    pub numbering: u64,
    /// Numbers below this are in date order.
    base: u32,
    /// The live numbers from `base` on, in date order.
    written: Vec<u32>,
    /// Numbers replaced or retracted since the build.
    dead: RoaringBitmap,
}

/// What a region's page by a key keeps of the region's incidents (see
/// [`Index::page_by_key_in`]).
pub enum Among<'a> {
    Every,
    /// Those of some days: the run of numbers that begin in them and the others, ascending,
    /// known to lie in the region and reach into them.
    Days(std::ops::Range<u32>, Vec<u32>),
    /// Those of a named set (vocabulary values, or places), or of a text.
    Marked(&'a Marking),
}

/// Written plus dead numbers after which a write builds the index again (every set, order
/// and grid from scratch, in date order), so that the merges of written incidents into
/// what reads in date order stay short.
pub const COMPACT_AFTER: usize = 4096;

/// The most texts written since the build that a light text search reads one by one.
const LIGHT_WRITTEN: usize = 512;

/// The next build's numbering (see [`Index::numbering`]).
static NUMBERINGS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A key of an ordered index, from an incident and its measures.
type KeyOf = fn(&Incident, &Measures) -> Option<f64>;

fn depth_key(_: &Incident, m: &Measures) -> Option<f64> {
    Some(m.depth_km).filter(|d| d.is_finite())
}
fn killed_key(i: &Incident, _: &Measures) -> Option<f64> {
    i.killed.highest().map(f64::from)
}
fn killed_low_key(i: &Incident, _: &Measures) -> Option<f64> {
    i.killed.low.map(f64::from)
}
fn military_key(_: &Incident, m: &Measures) -> Option<f64> {
    m.nearest_military.map(|(_, km)| f64::from(km))
}
fn protected_key(_: &Incident, m: &Measures) -> Option<f64> {
    m.nearest_protected.map(|(_, km)| f64::from(km))
}

/// The hash an incident's id is found by.
fn id_hash(id: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(id.as_bytes())
}

/// Date order: first possible day, then id.
fn date_order(x: &Incident, y: &Incident) -> std::cmp::Ordering {
    x.date.cmp(&y.date).then_with(|| x.id.cmp(&y.id))
}

impl Index {
    /// Builds the indexes and computes every incident's measures (in parallel); `progress` is
    /// called with the number of incidents measured so far.
    pub fn build(dataset: Dataset, progress: &(dyn Fn(u64) + Sync)) -> Index {
        Self::assemble(dataset, None, progress)
    }

    /// Builds the indexes; with `prepared`, what a snapshot of this same dataset recorded for
    /// `dataset.incidents` (already in date order), so that nothing is measured or folded
    /// again.
    pub fn assemble(
        dataset: Dataset,
        prepared: Option<Precomputed>,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Index {
        let n = dataset.incidents.len();
        let (prepared, folded, built) = match prepared {
            Some(p) if p.measures.len() == n && p.search_text.len() == n => {
                (Some(p.measures), Some(p.search_text), p.built)
            }
            _ => (None, None, None),
        };
        let gazetteer = Gazetteer::new(dataset.places);
        let measurer = Measurer::new(
            &dataset.line,
            dataset.side_areas,
            &dataset.military,
            &dataset.protected,
        );
        let mut incidents = dataset.incidents;
        let measures = match prepared {
            Some(measures) => measures,
            None => {
                // Numbered in date order, so that the default order is the incident number
                // and a page of a filtered set is its first members.
                incidents.par_sort_by(|x, y| x.date.cmp(&y.date).then_with(|| x.id.cmp(&y.id)));
                let done = std::sync::atomic::AtomicU64::new(0);
                incidents
                    .par_iter()
                    .map(|incident| {
                        let m = measurer.measure(
                            Point::new(incident.lon, incident.lat),
                            f64::from(incident.uncertainty_km),
                            Some(incident.date),
                            &gazetteer,
                        );
                        let count = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                        if count.is_multiple_of(10_000) {
                            progress(count);
                        }
                        m.compact()
                    })
                    .collect()
            }
        };
        progress(incidents.len() as u64);
        let shared = Shared {
            gazetteer: Arc::new(gazetteer),
            measurer: Arc::new(measurer),
            line: Arc::new(dataset.line),
            military: Arc::new(dataset.military),
            protected: Arc::new(dataset.protected),
            summaries: Arc::new(dataset.summaries),
            place_features: Arc::new(dataset.place_features),
            passages: Arc::new(dataset.passages),
        };
        Self::index_all(shared, incidents, measures, folded, built)
    }

    /// The indexes over incidents already in date order with their measures (and, when known,
    /// their folded search text and the indexes a snapshot kept of them).
    fn index_all(
        shared: Shared,
        incidents: Vec<Incident>,
        measures: Vec<Measures>,
        folded: Option<Vec<Box<str>>>,
        built: Option<Built>,
    ) -> Index {
        let sides: Vec<_> = measures.iter().map(|m| m.side).collect();
        let first_day = incidents.first().map(|i| i.date);
        let last_day = incidents.last().map(|i| i.date);
        let range = |key: KeyOf| {
            RangeIndex::new(
                &incidents
                    .iter()
                    .zip(&measures)
                    .map(|(i, m)| key(i, m))
                    .collect::<Vec<_>>(),
            )
        };
        // The indexes are independent of each other: built side by side, a restart from the
        // snapshot waits for the longest of them rather than for their sum.
        let (mut sets, mut grid, mut tallies, mut map_points, mut ids) =
            (None, None, None, None, None);
        let (mut by_depth, mut by_killed, mut by_killed_low) = (None, None, None);
        let (mut by_military_km, mut by_protected_km, mut search_text) = (None, None, None);
        let mut words = None;
        if let Some(built) = built {
            sets = Some(built.sets);
            grid = Some(built.grid);
            words = Some(Arc::new(built.words));
            let mut ranges = built.ranges.into_iter().map(Arc::new);
            by_depth = ranges.next();
            by_killed = ranges.next();
            by_killed_low = ranges.next();
            by_military_km = ranges.next();
            by_protected_km = ranges.next();
        }
        rayon::scope(|s| {
            let (incidents, measures, sides) = (&incidents, &measures, &sides);
            let places = shared.gazetteer.len();
            let range = &range;
            let sets = &mut sets;
            let by_depth = &mut by_depth;
            let by_killed = &mut by_killed;
            let by_killed_low = &mut by_killed_low;
            let by_military_km = &mut by_military_km;
            let by_protected_km = &mut by_protected_km;
            let grid = &mut grid;
            let tallies = &mut tallies;
            let map_points = &mut map_points;
            let search_text = &mut search_text;
            let words = &mut words;
            let ids = &mut ids;
            if sets.is_none() {
                s.spawn(move |_| *sets = Some(Bitmaps::new(incidents, sides, places)));
            }
            if by_depth.is_none() {
                s.spawn(move |_| *by_depth = Some(Arc::new(range(depth_key))));
            }
            if by_killed.is_none() {
                s.spawn(move |_| *by_killed = Some(Arc::new(range(killed_key))));
            }
            if by_killed_low.is_none() {
                s.spawn(move |_| *by_killed_low = Some(Arc::new(range(killed_low_key))));
            }
            if by_military_km.is_none() {
                s.spawn(move |_| *by_military_km = Some(Arc::new(range(military_key))));
            }
            if by_protected_km.is_none() {
                s.spawn(move |_| *by_protected_km = Some(Arc::new(range(protected_key))));
            }
            if grid.is_none() {
                s.spawn(move |_| {
                    *grid = Some(Grid::new(
                        &incidents.iter().map(|i| [i.lon, i.lat]).collect::<Vec<_>>(),
                    ))
                });
            }
            s.spawn(move |_| {
                *tallies = Some(Slots::from_vec(match first_day {
                    Some(first) => incidents
                        .iter()
                        .zip(measures)
                        .map(|(i, m)| Tally::new(i, m.depth_km, first))
                        .collect(),
                    None => Vec::new(),
                }))
            });
            s.spawn(move |_| {
                *map_points = Some(Slots::from_vec(
                    incidents.par_iter().map(MapPoint::new).collect(),
                ))
            });
            s.spawn(move |_| {
                let folded = folded.unwrap_or_else(|| fold_all(incidents));
                if words.is_none() {
                    *words = Some(Arc::new(Words::new(&folded)));
                }
                *search_text = Some(Slots::from_vec(folded));
            });
            s.spawn(move |_| {
                let mut by_hash: Vec<(u64, u32)> = incidents
                    .par_iter()
                    .enumerate()
                    .map(|(i, inc)| (id_hash(&inc.id), i as u32))
                    .collect();
                by_hash.par_sort_unstable();
                *ids = Some(by_hash)
            });
        });
        let built = "every index is built inside the scope";
        let (sets, grid, tallies, map_points, ids) = (
            Arc::new(sets.expect(built)),
            grid.expect(built),
            tallies.expect(built),
            map_points.expect(built),
            ids.expect(built),
        );
        let (by_depth, by_killed, by_killed_low) = (
            by_depth.expect(built),
            by_killed.expect(built),
            by_killed_low.expect(built),
        );
        let (by_military_km, by_protected_km, search_text) = (
            by_military_km.expect(built),
            by_protected_km.expect(built),
            search_text.expect(built),
        );
        let words = words.expect(built);
        Index {
            depth_bands: Arc::new(
                shared
                    .line
                    .default_version()
                    .map(|v| depth_bands(&v.parts))
                    .unwrap_or_default(),
            ),
            depth_bands_line_from: shared.line.default_version().and_then(|v| v.valid_from),
            ids: Arc::new(ids),
            ids_written: std::collections::HashMap::new(),
            numbering: NUMBERINGS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            base: incidents.len() as u32,
            written: Vec::new(),
            dead: RoaringBitmap::new(),
            day_starts: Arc::new(DayStarts::new(incidents.iter().map(|i| i.date))),
            incidents: Slots::from_vec(incidents),
            measures: Slots::from_vec(measures),
            gazetteer: shared.gazetteer,
            measurer: shared.measurer,
            line: shared.line,
            military: shared.military,
            protected: shared.protected,
            summaries: shared.summaries,
            place_features: shared.place_features,
            passages: shared.passages,
            grid: Arc::new(grid),
            sets,
            by_depth,
            by_killed,
            by_killed_low,
            by_military_km,
            by_protected_km,
            tallies,
            map_points,
            version: 0,
            store_seq: 0,
            first_day,
            last_day,
            search_text,
            words,
        }
    }

    /// The index after `changes` (applied in order; a later change to an id supersedes an
    /// earlier one). Only the incidents written are measured and folded, and the index is
    /// changed where they enter and where the incidents they replace leave: their numbers go
    /// into or out of the sets, the ordered indexes take them in one pass each, and the rest
    /// (records, measures, tallies, the grid, the layers) is shared with `self`, not copied.
    /// Past [`COMPACT_AFTER`] written or dead numbers, or for an incident dated before every
    /// other, the index is built again from its live incidents instead.
    pub fn with_changes(&self, changes: &[Change]) -> Index {
        let mut latest: std::collections::HashMap<&str, Option<&Incident>> =
            std::collections::HashMap::new();
        for change in changes {
            match change {
                Change::Put(incident) => latest.insert(&incident.id, Some(incident)),
                Change::Remove(id) => latest.insert(id, None),
            };
        }
        let mut added: Vec<&Incident> = latest.values().filter_map(|i| *i).collect();
        added.sort_by(|x, y| date_order(x, y));
        let fresh: Vec<(Measures, Box<str>)> = added
            .par_iter()
            .map(|incident| {
                let m = self.measurer.measure(
                    Point::new(incident.lon, incident.lat),
                    f64::from(incident.uncertainty_km),
                    Some(incident.date),
                    &self.gazetteer,
                );
                let text =
                    crate::gazetteer::fold(&format!("{} {}", incident.title, incident.description));
                (m.compact(), text.into_boxed_str())
            })
            .collect();
        let pending = self.written.len() + self.dead.len() as usize + latest.len() * 2;
        let too_early = match self.first_day {
            Some(first) => added.iter().any(|i| i.date < first),
            None => true,
        };
        let mut index = if pending > COMPACT_AFTER || too_early {
            self.rebuilt(&latest, &added, fresh)
        } else {
            self.changed(&latest, &added, fresh)
        };
        index.version = self.version;
        index.store_seq = self.store_seq;
        index
    }

    /// `self` with the incidents of `latest` taken out and `added` (in date order, with
    /// their measures and folded text) appended.
    fn changed(
        &self,
        latest: &std::collections::HashMap<&str, Option<&Incident>>,
        added: &[&Incident],
        fresh: Vec<(Measures, Box<str>)>,
    ) -> Index {
        let mut next = self.clone();
        let removed: Vec<u32> = latest
            .keys()
            .filter_map(|id| self.incident_by_id(id))
            .collect();
        if removed.is_empty() && added.is_empty() {
            // Retractions of ids the index does not hold: nothing to copy or change.
            return next;
        }
        let first_day = self
            .first_day
            .expect("an index with incidents has a first day");
        let mut numbers = Vec::with_capacity(added.len());
        for (incident, (m, text)) in added.iter().zip(fresh) {
            numbers.push(next.incidents.count() as u32);
            next.tallies
                .push(Tally::new(incident, m.depth_km, first_day));
            next.map_points.push(MapPoint::new(incident));
            next.measures.push(m);
            next.search_text.push(text);
            next.incidents.push((*incident).clone());
            next.last_day = next.last_day.max(Some(incident.date));
        }
        for id in latest.keys() {
            next.ids_written.insert((*id).into(), None);
        }
        let sets = Arc::make_mut(&mut next.sets);
        for i in &numbers {
            let incident = &next.incidents[*i as usize];
            next.ids_written.insert(incident.id.clone(), Some(*i));
            sets.insert(*i, incident, next.measures[*i as usize].side);
        }
        for i in &removed {
            sets.remove(
                *i,
                &next.incidents[*i as usize],
                next.measures[*i as usize].side,
            );
            next.dead.insert(*i);
        }
        let keyed = |list: &[u32], key: KeyOf| -> Vec<(u32, Option<f64>)> {
            list.iter()
                .map(|i| {
                    let i = *i as usize;
                    (i as u32, key(&next.incidents[i], &next.measures[i]))
                })
                .collect()
        };
        let incidents = &next.incidents;
        let by_date = |a: u32, b: u32| date_order(&incidents[a as usize], &incidents[b as usize]);
        let mut ranges: [(&mut Arc<RangeIndex>, KeyOf); 5] = [
            (&mut next.by_depth, depth_key),
            (&mut next.by_killed, killed_key),
            (&mut next.by_killed_low, killed_low_key),
            (&mut next.by_military_km, military_key),
            (&mut next.by_protected_km, protected_key),
        ];
        rayon::scope(|s| {
            for (range, key) in ranges.iter_mut() {
                let (gone, put) = (keyed(&removed, *key), keyed(&numbers, *key));
                s.spawn(move |_| **range = Arc::new(range.applied(&gone, &put, by_date)));
            }
        });
        next.written.retain(|i| !next.dead.contains(*i));
        next.written.extend(&numbers);
        next.written
            .sort_by(|a, b| date_order(&next.incidents[*a as usize], &next.incidents[*b as usize]));
        next
    }

    /// The index built again from the live incidents of `self` with the changes of `latest`
    /// (`added` in date order beside their measures and folded text): everything written is
    /// in date order again and nothing is dead.
    fn rebuilt(
        &self,
        latest: &std::collections::HashMap<&str, Option<&Incident>>,
        added: &[&Incident],
        fresh: Vec<(Measures, Box<str>)>,
    ) -> Index {
        let total = self.len() + added.len();
        let mut incidents = Vec::with_capacity(total);
        let mut measures = Vec::with_capacity(total);
        let mut search_text = Vec::with_capacity(total);
        let mut next_added = added.iter().zip(fresh).peekable();
        for i in self.live_in_date_order() {
            let incident = &self.incidents[i as usize];
            while let Some((new, (m, text))) =
                next_added.next_if(|(new, _)| date_order(new, incident).is_lt())
            {
                incidents.push((*new).clone());
                measures.push(m);
                search_text.push(text);
            }
            if latest.contains_key(&*incident.id) {
                continue;
            }
            incidents.push(incident.clone());
            measures.push(self.measures[i as usize]);
            search_text.push(self.search_text[i as usize].clone());
        }
        for (new, (m, text)) in next_added {
            incidents.push((*new).clone());
            measures.push(m);
            search_text.push(text);
        }
        let shared = Shared {
            gazetteer: self.gazetteer.clone(),
            measurer: self.measurer.clone(),
            line: self.line.clone(),
            military: self.military.clone(),
            protected: self.protected.clone(),
            summaries: self.summaries.clone(),
            place_features: self.place_features.clone(),
            passages: self.passages.clone(),
        };
        Self::index_all(shared, incidents, measures, Some(search_text), None)
    }

    /// The indexes a snapshot keeps, borrowed for writing.
    pub fn built(&self) -> BuiltRef<'_> {
        BuiltRef {
            sets: &self.sets,
            ranges: vec![
                &self.by_depth,
                &self.by_killed,
                &self.by_killed_low,
                &self.by_military_km,
                &self.by_protected_km,
            ],
            grid: &self.grid,
            words: &self.words,
        }
    }

    /// How many incidents there are (live numbers).
    pub fn len(&self) -> usize {
        self.incidents.count() - self.dead.len() as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Numbers below this are in date order; from it on, see [`Index::written`].
    pub fn base(&self) -> u32 {
        self.base
    }

    /// The live numbers written since the build, in date order.
    pub fn written(&self) -> &[u32] {
        &self.written
    }

    /// Whether nothing was written since the build: every number live and in date order.
    pub fn is_as_built(&self) -> bool {
        self.written.is_empty() && self.dead.is_empty()
    }

    /// The set `key` names, when it can be marked among the grid's members: a named set, or
    /// the incidents a text's words find exactly (not those that hold every word, to be
    /// checked text by text).
    fn marking_set(&self, key: &Marking) -> Option<Held<'_>> {
        match key {
            Marking::Named(named) => Some(named.set(&self.sets)),
            Marking::Text(text) => match self.containing(text)? {
                (set, true) => Some(set),
                _ => None,
            },
        }
    }

    /// The live incidents whose search text holds `query` (folded), and whether exactly those
    /// (`false`: each holds every word of the query, and the query whole is to be checked
    /// text by text). `None` when the query has no word: every text holds it.
    pub fn containing(&self, query: &str) -> Option<(Held<'_>, bool)> {
        let (mut set, unsure) = self.words.containing(query)?;
        if !self.dead.is_empty() && !set.is_empty() {
            *set.to_mut() -= &self.dead;
        }
        let finder = memchr::memmem::Finder::new(query.as_bytes());
        let holds = |i: u32| {
            finder
                .find(self.search_text[i as usize].as_bytes())
                .is_some()
        };
        // The few found by words that may not stand side by side, read text by text.
        let exact = match unsure {
            Unsure::Nothing => true,
            Unsure::All => false,
            Unsure::These(unsure) => {
                for i in &unsure {
                    if set.contains(i) && !holds(i) {
                        set.to_mut().remove(i);
                    }
                }
                true
            }
        };
        // Written since the build: a few thousand at most, read text by text.
        for i in &self.written {
            if holds(*i) {
                set.to_mut().insert(*i);
            }
        }
        Some((set, exact))
    }

    /// Whether finding the incidents whose text holds `query` costs a small, bounded amount
    /// of work (see [`Words::is_light`]; the texts written since the build are few).
    pub fn text_is_light(&self, query: &str) -> bool {
        self.written.len() <= LIGHT_WRITTEN && self.words.is_light(query)
    }

    /// Numbers no longer live.
    pub fn dead(&self) -> &RoaringBitmap {
        &self.dead
    }

    pub fn is_live(&self, i: u32) -> bool {
        (i as usize) < self.incidents.count() && !self.dead.contains(i)
    }

    /// Every live number.
    pub fn all_live(&self) -> RoaringBitmap {
        let mut set = RoaringBitmap::new();
        set.insert_range(0..self.incidents.count() as u32);
        set -= &self.dead;
        set
    }

    /// Compares two numbers in date order.
    pub fn date_order(&self, a: u32, b: u32) -> std::cmp::Ordering {
        if a < self.base && b < self.base {
            return a.cmp(&b);
        }
        date_order(&self.incidents[a as usize], &self.incidents[b as usize])
    }

    /// `base` (ascending numbers below [`Index::base`]) and `written` (numbers from it on,
    /// in date order) merged in date order, or both reversed and merged in reverse.
    pub fn merge_in_date_order<'a>(
        &'a self,
        base: impl Iterator<Item = u32> + 'a,
        written: impl Iterator<Item = u32> + 'a,
        descending: bool,
    ) -> impl Iterator<Item = u32> + 'a {
        let (mut base, mut written) = (base.peekable(), written.peekable());
        std::iter::from_fn(move || match (base.peek(), written.peek()) {
            (Some(a), Some(b)) => {
                let first = self.date_order(*a, *b).is_lt() != descending;
                if first { base.next() } else { written.next() }
            }
            (Some(_), None) => base.next(),
            (None, _) => written.next(),
        })
    }

    /// Every live incident, in number order.
    pub fn live_incidents(&self) -> impl Iterator<Item = &Incident> {
        self.incidents
            .iter()
            .enumerate()
            .filter(|(i, _)| !self.dead.contains(*i as u32))
            .map(|(_, incident)| incident)
    }

    /// Every live number in date order.
    pub fn live_in_date_order(&self) -> impl Iterator<Item = u32> + '_ {
        let base = (0..self.base).filter(|i| !self.dead.contains(*i));
        self.merge_in_date_order(base, self.written.iter().copied(), false)
    }

    /// Every live incident inside the box (edges included); `west > east` crosses the
    /// antimeridian.
    pub fn in_bbox(&self, west: f64, south: f64, east: f64, north: f64) -> RoaringBitmap {
        let mut set = self.grid.in_bbox(west, south, east, north);
        set -= &self.dead;
        let lon_inside = |lon: f64| {
            if west > east {
                lon >= west || lon <= east
            } else {
                (west..=east).contains(&lon)
            }
        };
        for i in &self.written {
            let incident = &self.incidents[*i as usize];
            if lon_inside(incident.lon) && (south..=north).contains(&incident.lat) {
                set.insert(*i);
            }
        }
        set
    }

    /// For a query that filters by a box alone, or a box and days: how many live incidents
    /// match and a page of them in date order (reversed with `descending`), counted and
    /// merged from the grid's cells without a set. `days`: the run of numbers that begin in
    /// the interval and the (ascending) others known to match. `None` while writes since the build are not merged in yet (the
    /// caller then uses [`Index::in_bbox`]).
    pub fn page_in_bbox(
        &self,
        bbox: [f64; 4],
        days: Option<(std::ops::Range<u32>, Vec<u32>)>,
        skip: usize,
        take: usize,
        descending: bool,
    ) -> Option<(usize, Vec<u32>)> {
        self.is_as_built()
            .then(|| self.grid.page_in_bbox(bbox, days, skip, take, descending))
    }

    /// As [`Index::page_in_bbox`] and [`Index::page_within`], for the incidents of the region
    /// in the set `key` names (vocabulary values, places, or a text its words find
    /// exactly), with `days` made when asked: counted and merged from the grid's cells,
    /// skipping members outside the set by a bit for each ([`grid::Marked`]), made now if
    /// not kept and `make` is set (a few milliseconds at a million, once per set). `None` until they are, while writes since
    /// the build are not merged in, or past `most` members read (see [`Grid::page_marked`]).
    #[allow(clippy::too_many_arguments)]
    pub fn page_of_marked_in(
        &self,
        region: Region,
        key: &Marking,
        days: impl FnOnce() -> Option<(std::ops::Range<u32>, Vec<u32>)>,
        (skip, take): (usize, usize),
        descending: bool,
        make: bool,
        most: Option<u64>,
    ) -> Option<(usize, Vec<u32>)> {
        if !self.is_as_built() {
            return None;
        }
        let marked = self.grid.marks(key, || self.marking_set(key), make)?;
        let days = days().map(|(run, mut others)| {
            match key {
                Marking::Named(named) => others.retain(|i| named.contains(&self.sets, *i)),
                Marking::Text(_) => {
                    let set = self.marking_set(key).unwrap_or_default();
                    others.retain(|i| set.contains(*i));
                }
            }
            (run, others)
        });
        let spans = Self::spans_of(region);
        let (paging, order) = ((skip, take), descending);
        self.grid
            .page_marked(region, &spans, &marked, days, paging, order, most)
    }

    /// How many incidents lie in the region with their positions in `by` in `span` (all,
    /// without one) and among those `among` keeps (some days, a named set), and the page
    /// from `skip` on, at most `take`, of them in the order of `by`'s key (see
    /// [`grid::key_order`]): merged from the grid's cells, each kept in that order. Those
    /// cells (and a named set's marks) are made now if they are not kept and `make` is set
    /// (tens of milliseconds at a million, once). `None` when they are not at hand, while
    /// writes since the build are not merged in, when the span is of another order, or with
    /// both a span and days or a named set.
    #[allow(clippy::too_many_arguments)]
    pub fn page_by_key_in(
        &self,
        region: Region,
        by: &RangeIndex,
        span: Option<&Span>,
        among: Among,
        (skip, take): (usize, usize),
        descending: bool,
        make: bool,
    ) -> Option<(usize, Vec<u32>)> {
        let ranks = match span {
            None => 0..u32::MAX,
            Some(_) if !matches!(among, Among::Every) => return None,
            Some(span) if span.index().serial() == by.serial() => Self::ranks_of(span)?,
            Some(_) => return None,
        };
        let marked = match &among {
            Among::Marked(key) => Some(self.grid.marks(key, || self.marking_set(key), make)?),
            _ => None,
        };
        // Descending, in the order mirrored: ties are then met in date order.
        let cells = self.region_cells(by, make, descending)?;
        let spans = Self::spans_of(region);
        // What is kept besides the region is counted in the visit that finds the cells
        // (`counting`), and skipped by a merge of the cells in the key's order (`keep`).
        let days;
        let bits;
        let (counting, keep) = match (&among, &marked) {
            (Among::Days(run, others), _) => {
                days = self.grid.days_kept(run.clone(), others);
                (
                    grid::Counting::Days(run.clone(), others),
                    [&days[0], &days[1]],
                )
            }
            (_, Some(marked)) => {
                bits = [
                    grid::Keep::Bits(&marked.cells),
                    grid::Keep::Bits(&marked.blocks),
                ];
                (grid::Counting::Marked(marked), [&bits[0], &bits[1]])
            }
            _ => {
                let found = self
                    .grid
                    .found(&cells, region, &spans, grid::Counting::Ranks(ranks));
                let page = found.page_by_key(by.known, (skip, take), descending, None);
                return Some((found.count, Self::numbers_of(by, page, descending)));
            }
        };
        let found = self.grid.found(&cells, region, &spans, counting);
        let count = found.count;
        if count == 0 {
            return Some((0, Vec::new()));
        }
        // When they are fewer than a merge of the cells in the key's order would read (about
        // `members / count` for each one kept), all of them keyed, else that merge.
        let wanted = skip.saturating_add(take);
        let items = if count <= wanted.saturating_mul(found.members) / count {
            let rank = by.rank();
            let mut ranks: Vec<u32> = match (&among, &marked) {
                (Among::Days(run, others), _) => {
                    let days = Some((run.clone(), others.clone()));
                    match region {
                        Region::Box(b) => self.grid.page_in_bbox(b, days, 0, count, false),
                        Region::Circle(radius) => {
                            self.grid.page_within(radius, days, 0, count, false)
                        }
                    }
                    .1
                }
                (_, Some(marked)) => {
                    let paging = (0, count);
                    let page = self
                        .grid
                        .page_marked(region, &spans, marked, None, paging, false, None);
                    page.unwrap_or_default().1
                }
                _ => Vec::new(),
            }
            .iter()
            .map(|i| rank[*i as usize])
            .collect();
            ranks.sort_unstable_by(grid::key_order(by.keys(), by.known, descending));
            let page = ranks.into_iter().skip(skip).take(take);
            page.map(|r| by.order[r as usize]).collect()
        } else {
            let page = found.page_by_key(by.known, (skip, take), descending, Some(keep));
            Self::numbers_of(by, page, descending)
        };
        Some((count, items))
    }

    /// The incidents at positions `ranks` of `by`'s order, mirrored with `mirrored`.
    fn numbers_of(by: &RangeIndex, ranks: Vec<u32>, mirrored: bool) -> Vec<u32> {
        let at = |r: u32| if mirrored { by.mirror(r) } else { r };
        ranks
            .into_iter()
            .map(|r| by.order[at(r) as usize])
            .collect()
    }

    /// As [`Index::page_by_key_in`], for the incidents of the region whose key lies in
    /// `span`, in date order (descending with `descending`): counted from the grid's cells
    /// in the span's order, and merged from them as they are (or, when the span holds few
    /// of the region, gathered from those in order).
    #[allow(clippy::too_many_arguments)]
    pub fn page_in_range(
        &self,
        region: Region,
        span: &Span,
        skip: usize,
        take: usize,
        descending: bool,
        make: bool,
    ) -> Option<(usize, Vec<u32>)> {
        let by = span.index();
        let ranks = Self::ranks_of(span)?;
        let cells = self.region_cells(by, make, false)?;
        let spans = Self::spans_of(region);
        let found = self
            .grid
            .found(&cells, region, &spans, grid::Counting::Ranks(ranks.clone()));
        let wanted = skip.saturating_add(take);
        let page = found.by_date(by.rank(), &by.order, ranks, skip, wanted, descending);
        Some((found.count, page))
    }

    /// The grid's cells in `by`'s order, made now with `make`; `None` on an index with
    /// writes since its build (its grid holds only the incidents built with it).
    /// Mirrored with `mirrored` (see [`RangeIndex::mirror`]).
    fn region_cells(
        &self,
        by: &RangeIndex,
        make: bool,
        mirrored: bool,
    ) -> Option<Arc<grid::Ranked>> {
        if !self.is_as_built() {
            return None;
        }
        by.cells(&self.grid, make, mirrored)
    }

    /// The span's positions in its order.
    fn ranks_of(span: &Span) -> Option<std::ops::Range<u32>> {
        Some(u32::try_from(span.from()).ok()?..u32::try_from(span.to()).ok()?)
    }

    /// A box as the grid reads it (one or two spans); none for a circle.
    fn spans_of(region: Region) -> Vec<[f64; 4]> {
        match region {
            Region::Box(b) => Grid::box_spans(b),
            Region::Circle(_) => Vec::new(),
        }
    }

    /// As [`Index::page_in_bbox`], for the incidents within the radius.
    pub fn page_within(
        &self,
        radius: &crate::geodesy::Radius,
        days: Option<(std::ops::Range<u32>, Vec<u32>)>,
        skip: usize,
        take: usize,
        descending: bool,
    ) -> Option<(usize, Vec<u32>)> {
        self.is_as_built()
            .then(|| self.grid.page_within(radius, days, skip, take, descending))
    }

    /// Every live incident within the radius (boundary included), on the ellipsoid.
    pub fn within(&self, radius: &crate::geodesy::Radius) -> RoaringBitmap {
        let mut set = self.grid.within(radius);
        set -= &self.dead;
        for i in &self.written {
            let incident = &self.incidents[*i as usize];
            if radius.contains(Point::new(incident.lon, incident.lat)) {
                set.insert(*i);
            }
        }
        set
    }

    /// A box `[west, south, east, north]` holding every live incident (`None`: none). It
    /// may also hold places where incidents taken out since the build were.
    pub fn extent(&self) -> Option<[f64; 4]> {
        let mut extent = self.grid.extent();
        for i in &self.written {
            let (lon, lat) = (
                self.incidents[*i as usize].lon,
                self.incidents[*i as usize].lat,
            );
            let e = extent.get_or_insert([lon, lat, lon, lat]);
            *e = [e[0].min(lon), e[1].min(lat), e[2].max(lon), e[3].max(lat)];
        }
        extent
    }
    /// The measures of any point, as for an incident on `date` (the latest line without
    /// one) with a point uncertainty of zero.
    pub fn measure_point(&self, p: Point, date: Option<chrono::NaiveDate>) -> PointMeasures {
        self.measurer.measure(p, 0.0, date, &self.gazetteer)
    }

    /// The live number of the incident with this id.
    pub fn incident_by_id(&self, id: &str) -> Option<u32> {
        match self.ids_written.get(id) {
            Some(now) => *now,
            None => {
                let hash = id_hash(id);
                let from = self.ids.partition_point(|(h, _)| *h < hash);
                self.ids[from..]
                    .iter()
                    .take_while(|(h, _)| *h == hash)
                    .map(|(_, i)| *i)
                    .find(|i| &*self.incidents[*i as usize].id == id)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Measures;
    use crate::model::Incident;

    /// A million incidents must fit comfortably on a small machine: keep the fixed part of an
    /// incident and its measures small (strings live on the heap, sources are shared).
    #[test]
    fn per_incident_memory_stays_small() {
        assert!(
            std::mem::size_of::<Incident>() <= 256,
            "Incident is {} bytes",
            std::mem::size_of::<Incident>()
        );
        assert!(
            std::mem::size_of::<Measures>() <= 56,
            "Measures is {} bytes",
            std::mem::size_of::<Measures>()
        );
    }
}
