//! The in-memory indexes and the measures computed once per incident at load: distance from
//! the line of contact and side, nearest military and protected objects, nearest place.

mod bands;
mod bitmaps;
mod gather;
mod grid;
mod measure;
mod tally;
mod tiling;

pub use bands::{BAND_EDGES_KM, DepthBand, depth_bands};
pub use bitmaps::{Bitmaps, RangeIndex};
pub use grid::Grid;

pub use measure::{Measurer, PointMeasures};
pub use tally::{TALLY_BAND_KM, Tally};
pub use tiling::{MAP_CLASSES, MapClass, MapPoint};

use crate::gazetteer::Gazetteer;
use crate::model::{Dataset, Layer, LineOfContact};
use crate::model::{Incident, PlaceIdx, Side};
use geo::Point;
use rayon::prelude::*;
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
/// folded search text.
pub struct Precomputed {
    pub measures: Vec<Measures>,
    pub search_text: Vec<Box<str>>,
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

/// Everything a query runs against, built once from a [`Dataset`].
pub struct Index {
    pub incidents: Vec<Incident>,
    pub measures: Vec<Measures>,
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
    /// Incidents by grid cell, for boxes and radii.
    pub grid: Grid,
    /// The incidents of each vocabulary value and place (incidents are numbered in date
    /// order: first possible day, then id).
    pub sets: Bitmaps,
    /// Incidents by distance from the line of contact (unknown depths last).
    pub by_depth: RangeIndex,
    /// Incidents by highest reported death toll (no reported figure last).
    pub by_killed: RangeIndex,
    /// Incidents by lowest reported death toll (the `killed` a filter compares).
    pub by_killed_low: RangeIndex,
    /// Incidents by distance to the nearest known military object (none known last).
    pub by_military_km: RangeIndex,
    /// Incidents by distance to the nearest known protected object (none known last).
    pub by_protected_km: RangeIndex,
    /// Per incident, what aggregates read.
    pub tallies: Vec<Tally>,
    /// Per incident, what map tiles read.
    pub map_points: Vec<MapPoint>,
    /// The dataset's version (a fingerprint of its files when known): part of every cache
    /// validator, so that a cached answer never outlives the data it came from.
    pub version: u64,
    /// The last revision of the store this index reflects (0 without a store).
    pub store_seq: i64,
    /// The first day of the first incident (the origin of `Tally::day`).
    pub first_day: Option<chrono::NaiveDate>,
    /// Lowercased, diacritic-folded title and description, for `q` searches.
    pub search_text: Vec<Box<str>>,
    /// Display bands of distance from the line of contact.
    pub depth_bands: Vec<DepthBand>,
    /// When the line the bands are drawn around began to stand (the default version).
    pub depth_bands_line_from: Option<chrono::NaiveDate>,
    /// Incident index by id, for `/items/{featureId}`.
    ids: std::collections::HashMap<Box<str>, u32>,
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
        let (prepared, folded) = match prepared {
            Some(p) if p.measures.len() == n && p.search_text.len() == n => {
                (Some(p.measures), Some(p.search_text))
            }
            _ => (None, None),
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
        Self::index_all(shared, incidents, measures, folded)
    }

    /// The indexes over incidents already in date order with their measures (and, when known,
    /// their folded search text).
    fn index_all(
        shared: Shared,
        incidents: Vec<Incident>,
        measures: Vec<Measures>,
        folded: Option<Vec<Box<str>>>,
    ) -> Index {
        let sides: Vec<_> = measures.iter().map(|m| m.side).collect();
        let first_day = incidents.first().map(|i| i.date);
        let range = |keys: Vec<Option<f64>>| RangeIndex::new(&keys);
        let distance = |pick: fn(&Measures) -> Option<(u32, f32)>| {
            range(
                measures
                    .iter()
                    .map(|m| pick(m).map(|(_, km)| f64::from(km)))
                    .collect(),
            )
        };
        // The indexes are independent of each other: built side by side, a restart from the
        // snapshot waits for the longest of them rather than for their sum.
        let (mut sets, mut grid, mut tallies, mut map_points, mut ids) =
            (None, None, None, None, None);
        let (mut by_depth, mut by_killed, mut by_killed_low) = (None, None, None);
        let (mut by_military_km, mut by_protected_km, mut search_text) = (None, None, None);
        rayon::scope(|s| {
            let (incidents, measures, sides) = (&incidents, &measures, &sides);
            let places = shared.gazetteer.len();
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
            let ids = &mut ids;
            s.spawn(move |_| *sets = Some(Bitmaps::new(incidents, sides, places)));
            s.spawn(move |_| {
                *by_depth = Some(range(
                    measures
                        .iter()
                        .map(|m| Some(m.depth_km).filter(|d| d.is_finite()))
                        .collect(),
                ))
            });
            s.spawn(move |_| {
                *by_killed = Some(range(
                    incidents
                        .iter()
                        .map(|i| i.killed.highest().map(f64::from))
                        .collect(),
                ))
            });
            s.spawn(move |_| {
                *by_killed_low = Some(range(
                    incidents
                        .iter()
                        .map(|i| i.killed.low.map(f64::from))
                        .collect(),
                ))
            });
            s.spawn(move |_| *by_military_km = Some(distance(|m| m.nearest_military)));
            s.spawn(move |_| *by_protected_km = Some(distance(|m| m.nearest_protected)));
            s.spawn(move |_| {
                *grid = Some(Grid::new(
                    &incidents.iter().map(|i| [i.lon, i.lat]).collect::<Vec<_>>(),
                ))
            });
            s.spawn(move |_| {
                *tallies = Some(match first_day {
                    Some(first) => incidents
                        .iter()
                        .zip(measures)
                        .map(|(i, m)| Tally::new(i, m.depth_km, first))
                        .collect(),
                    None => Vec::new(),
                })
            });
            s.spawn(move |_| *map_points = Some(incidents.par_iter().map(MapPoint::new).collect()));
            s.spawn(move |_| *search_text = Some(folded.unwrap_or_else(|| fold_all(incidents))));
            s.spawn(move |_| {
                *ids = Some(
                    incidents
                        .iter()
                        .enumerate()
                        .map(|(i, inc)| (inc.id.clone(), i as u32))
                        .collect(),
                )
            });
        });
        let built = "every index is built inside the scope";
        let (sets, grid, tallies, map_points, ids) = (
            sets.expect(built),
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
        Index {
            depth_bands: shared
                .line
                .default_version()
                .map(|v| depth_bands(&v.parts))
                .unwrap_or_default(),
            depth_bands_line_from: shared.line.default_version().and_then(|v| v.valid_from),
            ids,
            incidents,
            measures,
            gazetteer: shared.gazetteer,
            measurer: shared.measurer,
            line: shared.line,
            military: shared.military,
            protected: shared.protected,
            summaries: shared.summaries,
            place_features: shared.place_features,
            passages: shared.passages,
            grid,
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
            search_text,
        }
    }

    /// The index after `changes` (applied in order): only the incidents written are measured;
    /// every other incident keeps its measures and folded text, and the shared layers are not
    /// copied. The indexes over incidents are built again, side by side.
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
        added.sort_by(|x, y| x.date.cmp(&y.date).then_with(|| x.id.cmp(&y.id)));
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
        let total = self.incidents.len() + added.len();
        let mut incidents = Vec::with_capacity(total);
        let mut measures = Vec::with_capacity(total);
        let mut search_text = Vec::with_capacity(total);
        let mut next_added = added.iter().zip(fresh).peekable();
        let before = |x: &Incident, y: &Incident| (x.date, &x.id) < (y.date, &y.id);
        for (i, incident) in self.incidents.iter().enumerate() {
            while let Some((new, _)) = next_added.peek()
                && before(new, incident)
            {
                if let Some((new, (m, text))) = next_added.next() {
                    incidents.push((*new).clone());
                    measures.push(m);
                    search_text.push(text);
                }
            }
            if latest.contains_key(&*incident.id) {
                continue;
            }
            incidents.push(incident.clone());
            measures.push(self.measures[i]);
            search_text.push(self.search_text[i].clone());
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
        let mut index = Self::index_all(shared, incidents, measures, Some(search_text));
        index.version = self.version;
        index.store_seq = self.store_seq;
        index
    }

    /// The measures of any point, as for an incident on `date` (the latest line without
    /// one) with a point uncertainty of zero.
    pub fn measure_point(&self, p: Point, date: Option<chrono::NaiveDate>) -> PointMeasures {
        self.measurer.measure(p, 0.0, date, &self.gazetteer)
    }

    pub fn incident_by_id(&self, id: &str) -> Option<u32> {
        self.ids.get(id).copied()
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
