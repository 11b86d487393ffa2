//! Running an [`IncidentQuery`] against the index: pick the most selective index for the
//! candidates, check every filter on each, order, then page.

use super::{IncidentQuery, SortKey};
use crate::geodesy::distance_m;
use crate::index::Index;
use geo::Point;

/// One page of matching incidents (indexes into `Index::incidents`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// How many incidents match in all.
    pub number_matched: usize,
    pub items: Vec<u32>,
}

/// Whether incident `i` passes every filter of `q`.
pub fn matches(index: &Index, q: &IncidentQuery, i: u32) -> bool {
    let incident = &index.incidents[i as usize];
    let measures = &index.measures[i as usize];
    let any = |list_empty: bool, hit: bool| list_empty || hit;
    q.places
        .as_ref()
        .is_none_or(|places| places.contains(&incident.place))
        && q.bbox
            .is_none_or(|b| b.contains(incident.lon, incident.lat))
        && q.datetime.is_none_or(|d| incident.overlaps(d.start, d.end))
        && any(q.types.is_empty(), q.types.contains(&incident.kind))
        && any(q.weapons.is_empty(), q.weapons.contains(&incident.weapon))
        && any(q.targets.is_empty(), q.targets.contains(&incident.target))
        && any(
            q.perpetrators.is_empty(),
            q.perpetrators.contains(&incident.perpetrator),
        )
        && any(
            q.reporters.is_empty(),
            q.reporters
                .iter()
                .any(|r| incident.reported_by.contains(*r)),
        )
        && any(
            q.verifications.is_empty(),
            q.verifications.contains(&incident.verification),
        )
        && any(
            q.sides.is_empty(),
            measures.side.is_some_and(|s| q.sides.contains(&s)),
        )
        && q.min_killed
            .is_none_or(|n| incident.killed.highest().is_some_and(|k| k >= n))
        && q.depth_min_km.is_none_or(|d| measures.depth_km >= d)
        && q.depth_max_km.is_none_or(|d| measures.depth_km <= d)
        && q.military_clear_km.is_none_or(|d| {
            measures
                .nearest_military
                .is_none_or(|(_, km)| f64::from(km) > d)
        })
        && q.protected_within_km.is_none_or(|d| {
            measures
                .nearest_protected
                .is_some_and(|(_, km)| f64::from(km) <= d)
        })
        && q.near.is_none_or(|(lon, lat, km)| {
            distance_m(Point::new(lon, lat), Point::new(incident.lon, incident.lat)) <= km * 1000.0
        })
        && q.text
            .as_ref()
            .is_none_or(|t| index.search_text[i as usize].contains(t.as_str()))
        && q.filter.as_ref().is_none_or(|f| f.matches(index, i))
}

/// Candidate incidents from the most selective index the query allows, whether they are
/// already in date order, and whether they already satisfy `near` (so that the geodesic
/// distances are not computed twice).
fn candidates(index: &Index, q: &IncidentQuery) -> (Vec<u32>, bool, bool) {
    if let Some(places) = &q.places {
        let list = places
            .iter()
            .flat_map(|p| index.by_place[*p as usize].iter().copied())
            .collect();
        return (list, false, false);
    }
    if let Some((lon, lat, km)) = q.near {
        let list = index
            .points
            .within(Point::new(lon, lat), km * 1000.0)
            .into_iter()
            .map(|(i, _)| i)
            .collect();
        return (list, false, true);
    }
    if let Some(b) = q.bbox {
        return (
            index.points.in_bbox(b.west, b.south, b.east, b.north),
            false,
            false,
        );
    }
    if q.depth_min_km.is_some() || q.depth_max_km.is_some() {
        // by_depth is ordered by depth (NaN, for no line, sorts last and never matches).
        let depth = |i: &u32| index.measures[*i as usize].depth_km;
        let start = q
            .depth_min_km
            .map_or(0, |min| index.by_depth.partition_point(|i| depth(i) < min));
        let end = q.depth_max_km.map_or(index.by_depth.len(), |max| {
            index.by_depth.partition_point(|i| depth(i) <= max)
        });
        return (index.by_depth[start..end.max(start)].to_vec(), false, false);
    }
    if let Some(end) = q.datetime.and_then(|d| d.end) {
        // by_date is ordered by first possible day: nothing after `end` can overlap.
        let cut = index
            .by_date
            .partition_point(|i| index.incidents[*i as usize].date <= end);
        return (index.by_date[..cut].to_vec(), true, false);
    }
    (index.by_date.clone(), true, false)
}

/// All incidents matching `q`, in no particular order, and whether that happens to be date
/// order. Aggregates need no more than this.
pub fn filtered(index: &Index, q: &IncidentQuery) -> (Vec<u32>, bool) {
    let (candidates, in_date_order, near_checked) = candidates(index, q);
    let without_near;
    let remaining = if near_checked {
        without_near = IncidentQuery {
            near: None,
            ..q.clone()
        };
        &without_near
    } else {
        q
    };
    let matched = candidates
        .into_iter()
        .filter(|i| matches(index, remaining, *i))
        .collect();
    (matched, in_date_order)
}

/// All incidents matching `q`, in the requested order (default: date, then id).
pub fn matching(index: &Index, q: &IncidentQuery) -> Vec<u32> {
    let (mut matched, in_date_order) = filtered(index, q);
    if !in_date_order {
        matched.sort_unstable_by_key(|i| index.date_rank[*i as usize]);
    }
    // Stable sorts from the least significant key to the most.
    for (key, descending) in q.sort.iter().rev() {
        sort(index, q, &mut matched, *key, *descending);
    }
    matched
}

/// Orders by `key`, keeping date order among equals (the sort is stable). Unknown values
/// (no depth, no reported death toll) always come last.
fn sort(index: &Index, q: &IncidentQuery, matched: &mut [u32], key: SortKey, descending: bool) {
    let value = |i: u32| -> Option<f64> {
        let incident = &index.incidents[i as usize];
        match key {
            SortKey::Date => Some(f64::from(index.date_rank[i as usize])),
            SortKey::Depth => Some(index.measures[i as usize].depth_km).filter(|d| d.is_finite()),
            SortKey::Killed => incident.killed.highest().map(f64::from),
            SortKey::Distance => q.near.map(|(lon, lat, _)| {
                distance_m(Point::new(lon, lat), Point::new(incident.lon, incident.lat))
            }),
        }
    };
    let mut keyed: Vec<(Option<f64>, u32)> = matched.iter().map(|i| (value(*i), *i)).collect();
    keyed.sort_by(|(a, _), (b, _)| match (a, b) {
        (Some(a), Some(b)) if descending => b.total_cmp(a),
        (Some(a), Some(b)) => a.total_cmp(b),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    for (slot, (_, i)) in matched.iter_mut().zip(keyed) {
        *slot = i;
    }
}

/// One page of the incidents matching `q`.
pub fn execute(index: &Index, q: &IncidentQuery) -> Page {
    let matched = matching(index, q);
    let items = matched
        .iter()
        .skip(q.offset)
        .take(q.limit)
        .copied()
        .collect();
    Page {
        number_matched: matched.len(),
        items,
    }
}
