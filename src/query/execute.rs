//! Running an [`IncidentQuery`] against the index. Every filter the index holds as a set
//! (vocabularies, places, days, box, radius, depth, death toll, distances to reference objects,
//! the incidents of the words a text is in) is intersected first; what is left (a text of
//! several words the words do not find exactly, a CQL2 filter) is checked incident by
//! incident on that set only.
//! Incidents are numbered in date order, so the default page is the first members of the set
//! and its count is the set's size: a query that matches hundreds of thousands of incidents
//! costs about as much as one that matches ten.

use super::filter::Filter;
use super::{Bbox, DateInterval, IncidentQuery, SortKey};
use crate::geodesy::{Radius, distance_m};
use crate::index::{
    Among, Bitmaps, Grid, Held, Index, Marking, Named, RangeIndex, Region, Span, Vocabulary,
};
use geo::Point;
use roaring::RoaringBitmap;

/// One page of matching incidents (incident numbers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// How many incidents match in all.
    pub number_matched: usize,
    pub items: Vec<u32>,
}

/// Whether incident `i` passes every filter of `q`, checked one by one. The reference the
/// set-based plan must agree with, and the check for what no set holds.
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

/// A query split into the set of candidates the index computes and the filters left to check
/// one by one (`None`: nothing left).
struct Plan<'a> {
    /// `None`: every incident. Borrowed when it is one of the index's own sets.
    set: Option<Sets<'a>>,
    /// A set the matches also belong to, left out of `set` because checking it member by
    /// member while a page is read costs less than intersecting it (most of `set` is in it).
    /// Only [`plan_page`] leaves one.
    also: Option<Sets<'a>>,
    /// Ranges of keys the matches also lie in, checked member by member by their positions
    /// in an ordered index instead of being gathered into sets. Only [`plan_page`] leaves
    /// them.
    spans: Vec<Span<'a>>,
    /// How many incidents match, when `also` or `spans` are left and nothing is left to
    /// check one by one (counted while planning).
    counted: Option<usize>,
    rest: Option<IncidentQuery>,
    /// The text left to check one by one (a search of several words), found in each folded
    /// text by one searcher made once for the query; `rest` is then set, without it.
    text: Option<memchr::memmem::Finder<'static>>,
    /// The set the query names by vocabulary values (or places): every match is in it, so
    /// a walk of an ordered index looking for matches reads its members' positions alone
    /// ([`positions`](crate::index::SetCounts::positions)).
    within: Option<Named>,
}

/// A page may be read lazily from `set` (checking `also` member by member) when it is
/// expected to take at most this many members of `set` to fill it.
const LAZY_WALK: u64 = 512;

/// A page of every incident may be read checking one span member by member when it is
/// expected to take at most this many incidents to fill it (a lookup each; gathering a
/// span of a hundred thousand into a set costs some tens of thousands).
const SPAN_WALK: u64 = 4_096;

/// A set of incidents: one of the index's own, borrowed (not copied), or made for a query.
type Sets<'a> = Held<'a>;

/// The intersection of `parts` (`None`: no part, every incident). With `wanted` (a page's
/// offset plus limit), the largest part may be left beside the others' intersection rather
/// than intersected (see [`Plan::also`]); the size of their intersection, counted to decide
/// that, comes with it.
fn intersect<'a>(
    mut parts: Vec<Sets<'a>>,
    wanted: Option<usize>,
) -> (Option<Sets<'a>>, Option<(Sets<'a>, u64)>) {
    // Smallest first: each intersection is then as small as it can be.
    parts.sort_unstable_by_key(|p| p.len());
    let last = if parts.len() > 1 { parts.pop() } else { None };
    let mut parts = parts.into_iter();
    let Some(mut set) = parts.next() else {
        return (None, None);
    };
    for part in parts {
        set = set.intersect(&part);
    }
    let Some(last) = last else {
        return (Some(set), None);
    };
    // Only sets dense enough to be held as plain bit arrays (a sixteenth of the numbers they
    // span or more) are worth leaving: intersecting two of those into a sparse result is what
    // costs, while sparse sets intersect cheaply.
    let dense = |s: &RoaringBitmap| match (s.min(), s.max()) {
        (Some(min), Some(max)) => s.len().saturating_mul(16) > u64::from(max - min),
        _ => false,
    };
    if let Some(wanted) = wanted
        && dense(&set)
        && dense(&last)
    {
        let matched = set.intersection_len(&last);
        // Reading `wanted` matches walks about wanted × |set| / matched members of `set`.
        if matched > 0 && (wanted as u64).saturating_mul(set.len()) / matched <= LAZY_WALK {
            return (Some(set), Some((last, matched)));
        }
    }
    (Some(set.intersect(&last)), None)
}

/// The incidents whose possible days overlap `[start, end]`: those that begin inside it (a
/// run of incident numbers, which are in date order up to the index's base) and those known
/// only to a range of days that begin before it and end inside or after it; the few written
/// since the index was built are checked one by one.
pub(super) fn days(
    index: &Index,
    start: Option<chrono::NaiveDate>,
    end: Option<chrono::NaiveDate>,
) -> RoaringBitmap {
    let (run, reaching) = built_days(index, start, end, None);
    // The reaching incidents all lie before the run: the set is built from them in ascending
    // order (uniting them into the run's intervals one by one cost a third of a day query).
    let mut set = crate::index::sorted_set(&reaching);
    if run.start < run.end {
        set.insert_range(run);
    }
    for i in index.written() {
        if index.incidents[*i as usize].overlaps(start, end) {
            set.insert(*i);
        }
    }
    set -= index.dead();
    set
}

/// As [`days`], of the incidents of `named` only (`set` holds them): its members in the run
/// of numbers that begin in the days, and its own range-dated incidents that reach in (where
/// they lie in [`Bitmaps::ranged`] is kept per set, see [`Bitmaps::ranged_of`]). A town's
/// day at a million: the day's set held the thousands of range-dated incidents of every
/// place that reach in, gathered into a set for each request, to be cut by the town's.
fn days_among(
    index: &Index,
    start: Option<chrono::NaiveDate>,
    end: Option<chrono::NaiveDate>,
    named: &Named,
    set: &RoaringBitmap,
) -> RoaringBitmap {
    let (run, window) = days_run(index, start, end);
    // The run cut by the set here, though the plan cuts every part by it again: it then
    // meets a part of a few hundred, not a day's twenty thousand (6 µs against 11 for a
    // town's day at a million).
    let mut found = RoaringBitmap::new();
    if run.start < run.end {
        found.insert_range(run);
        found &= set;
    }
    if let Some(s) = start {
        let sets = &index.sets;
        let own = sets.ranged_of(named, set);
        let from = own.partition_point(|k| (*k as usize) < window.start);
        let to = own.partition_point(|k| (*k as usize) < window.end);
        // Ascending, and all before the run.
        let reaching = own[from..to]
            .iter()
            .filter(|k| sets.ranged_end[**k as usize] >= s)
            .map(|k| sets.ranged[*k as usize]);
        found.extend(reaching);
    }
    for i in index.written() {
        if set.contains(*i) && index.incidents[*i as usize].overlaps(start, end) {
            found.insert(*i);
        }
    }
    // Dead incidents are taken out of the plan's set, whatever part they came from.
    found
}

/// Where the range-dated incidents that reach into some days are wanted: at a position
/// `inside` returns true for, which lies in `bounds` (`[west, south, east, north]`, west
/// not past east) when given; for a circle, within it, whose grid cells may be searched.
struct Place<'a> {
    inside: &'a dyn Fn([f64; 2]) -> bool,
    bounds: Option<[f64; 4]>,
    circle: Option<&'a Radius>,
}

/// A circle's range-dated candidates are found by its grid cells when its envelopes span at
/// most this share of the candidates by date in cells: measuring each of the thousands that
/// began within the longest range before the days cost more than visiting a town-sized
/// circle's few hundred cells (criterion, 1M: near 5 km + one day 30.7 -> 16.9 µs). A box's
/// check is a few comparisons, cheaper than visiting its cells, so a box always reads them.
const CELLS_PER_CANDIDATE: u64 = 8;

/// Of the incidents below the index's base (dead ones included), those whose possible days
/// overlap `[start, end]`: the run of numbers that begin inside it, and the range-dated ones
/// before that run that reach into it (ascending) and lie in `place`, when given.
fn built_days(
    index: &Index,
    start: Option<chrono::NaiveDate>,
    end: Option<chrono::NaiveDate>,
    place: Option<Place>,
) -> (std::ops::Range<u32>, Vec<u32>) {
    let (run, window) = days_run(index, start, end);
    let mut reaching = Vec::new();
    if let Some(s) = start {
        let sets = &index.sets;
        let (begin, end) = (window.start, window.end);
        let by_cells = place.as_ref().and_then(|p| p.circle).filter(|circle| {
            let cells: u64 = circle
                .envelopes()
                .into_iter()
                .map(Grid::cells_spanned)
                .sum();
            cells.saturating_mul(CELLS_PER_CANDIDATE) < (end - begin) as u64
        });
        match (place, by_cells) {
            (None, _) => {
                // Without a branch per candidate: about half of them reach, so a filter's
                // branch was mispredicted at every other one. Each is written, and kept by
                // moving past it when it reaches.
                let (numbers, ends) = (&sets.ranged[begin..end], &sets.ranged_end[begin..end]);
                reaching.resize(numbers.len(), 0);
                let mut kept = 0;
                for (i, last) in numbers.iter().zip(ends) {
                    reaching[kept] = *i;
                    kept += usize::from(*last >= s);
                }
                reaching.truncate(kept);
            }
            (Some(place), None) => reaching = reaching_in(sets, begin..end, s, &place),
            (Some(_), Some(circle)) => reaching = reaching_by_cells(sets, begin..end, s, circle),
        }
    }
    (run, reaching)
}

/// Of the incidents below the index's base, the run of numbers that begin in `[start,
/// end]`, and the window of [`Bitmaps::ranged`] that may reach into it: the range-dated
/// incidents that began before the run, within the longest range of its first day.
fn days_run(
    index: &Index,
    start: Option<chrono::NaiveDate>,
    end: Option<chrono::NaiveDate>,
) -> (std::ops::Range<u32>, std::ops::Range<usize>) {
    let starts = &index.day_starts;
    let base = index.base() as usize;
    let from = start.map_or(0, |s| starts.before(s) as usize);
    let to = end.map_or(base, |e| starts.through(e) as usize);
    let window = match start {
        None => 0..0,
        Some(s) => {
            let sets = &index.sets;
            let earliest = s
                .checked_sub_days(chrono::Days::new(sets.longest_range_days.max(0) as u64))
                .unwrap_or(chrono::NaiveDate::MIN);
            let first = starts.before(earliest);
            let begin = sets.ranged.partition_point(|i| *i < first);
            begin..sets.ranged.partition_point(|i| (*i as usize) < from)
        }
    };
    (from as u32..(to.max(from)) as u32, window)
}

/// The range-dated incidents at positions `window` of [`Bitmaps::ranged`] that reach `day`
/// (their last day is on or after it) and lie in `place`, ascending. A first pass over plain
/// columns (see [`crate::index::RangedColumns`]) marks, with no branch per candidate, those
/// that reach the day and lie in the place's bounds in single precision; only those are
/// checked exactly. Rounding to single precision keeps order (a coordinate not below a bound
/// is not below it rounded), so no position inside the bounds is left unmarked. A box around
/// a town keeps a few hundred of the thousands that began within the longest range before
/// the day.
fn reaching_in(
    sets: &Bitmaps,
    window: std::ops::Range<usize>,
    day: chrono::NaiveDate,
    place: &Place,
) -> Vec<u32> {
    use chrono::Datelike;
    let columns = sets.ranged_columns();
    let day = day.num_days_from_ce();
    let [west, south, east, north] = place
        .bounds
        .map_or([f32::MIN, f32::MIN, f32::MAX, f32::MAX], |b| {
            b.map(|b| b as f32)
        });
    const BLOCK: usize = 256;
    let mut marked = [0u8; BLOCK];
    let mut reaching = Vec::new();
    for start in window.clone().step_by(BLOCK) {
        let stop = (start + BLOCK).min(window.end);
        let candidates = columns.end[start..stop]
            .iter()
            .zip(&columns.lon[start..stop])
            .zip(&columns.lat[start..stop]);
        let mut any = 0u32;
        // Marks past the block's end (the last block may be short) stay clear.
        marked[stop - start..].fill(0);
        for (((end, lon), lat), mark) in candidates.zip(&mut marked) {
            // Without short circuits: no branch per candidate.
            let maybe =
                (*end >= day) & (*lon >= west) & (*lon <= east) & (*lat >= south) & (*lat <= north);
            *mark = u8::from(maybe);
            any += u32::from(maybe);
        }
        if any == 0 {
            continue;
        }
        // Eight marks a word: most words of a town's box are empty, and each set byte is
        // one set bit, cleared in turn.
        for (word_at, word) in (start..stop).step_by(8).zip(marked.chunks_exact(8)) {
            let mut word = u64::from_le_bytes(word.try_into().unwrap_or_default());
            while word != 0 {
                let k = word_at + (word.trailing_zeros() / 8) as usize;
                word &= word - 1;
                if (place.inside)(sets.ranged_at[k]) {
                    reaching.push(sets.ranged[k]);
                }
            }
        }
    }
    reaching
}

/// The range-dated incidents at positions `window` of [`Bitmaps::ranged`] that reach `day`
/// (their last day is on or after it) and lie within `circle`, ascending, found among the
/// range-dated incidents of the circle's grid cells.
fn reaching_by_cells(
    sets: &Bitmaps,
    window: std::ops::Range<usize>,
    day: chrono::NaiveDate,
    circle: &Radius,
) -> Vec<u32> {
    let mut reaching = Vec::new();
    // A cell's members are positions in `ranged`, ascending: those in the window are one
    // slice of them.
    let cells = sets.ranged_cells();
    cells.visit_within(circle, |members, positions, whole| {
        let from = members.partition_point(|k| (*k as usize) < window.start);
        let to = members.partition_point(|k| (*k as usize) < window.end);
        for (k, [lon, lat]) in members[from..to].iter().zip(&positions[from..to]) {
            let k = *k as usize;
            if sets.ranged_end[k] < day {
                continue;
            }
            if whole || circle.contains(Point::new(*lon, *lat)) {
                reaching.push(sets.ranged[k]);
            }
        }
    });
    // Cell after cell, the numbers are not in order.
    reaching.sort_unstable();
    reaching
}

fn plan<'a>(index: &'a Index, q: &IncidentQuery) -> Plan<'a> {
    plan_with(index, q, None)
}

/// The plan for one page of `q` (`wanted`: its offset plus limit), which may leave its
/// largest set beside the intersection of the others (see [`Plan::also`]).
fn plan_page<'a>(index: &'a Index, q: &IncidentQuery, wanted: usize) -> Plan<'a> {
    plan_with(index, q, Some(wanted))
}

fn plan_with<'a>(index: &'a Index, q: &IncidentQuery, wanted: Option<usize>) -> Plan<'a> {
    let sets = &index.sets;
    let mut parts: Vec<Sets<'a>> = Vec::new();
    // Ranges of keys, as runs of an ordered index: left as spans or gathered into sets below.
    let mut spans: Vec<Span<'a>> = Vec::new();
    // Several vocabularies' values (a type and a weapon) as one set, their intersection kept
    // once made: a range is then counted in it by its table, and a page walks it alone.
    let within = named(q);
    if let Some(named) = &within {
        parts.push(named.set(sets));
    }
    // The incidents of the words holding the text: exactly its matches when it is one word,
    // else every match and maybe more, the text then checked one by one.
    let mut text = q.text.clone();
    if let Some((set, exact)) = q.text.as_deref().and_then(|t| index.containing(t)) {
        parts.push(set);
        if exact {
            text = None;
        }
    }
    if let Some(d) = q.datetime {
        let days = match (&within, parts.first()) {
            (Some(named), Some(set)) => days_among(index, d.start, d.end, named, set),
            _ => days(index, d.start, d.end),
        };
        parts.push(Held::Made(days));
    }
    spans.extend(range_spans(index, q));
    if let Some(b) = q.bbox {
        parts.push(Held::Made(index.in_bbox(b.west, b.south, b.east, b.north)));
    }
    if let Some((lon, lat, km)) = q.near {
        parts.push(Held::Made(
            index.within(&Radius::new(Point::new(lon, lat), km * 1000.0)),
        ));
    }
    // A CQL2 filter's parts that the sets answer join the intersection; only the others are
    // checked one by one.
    let mut residual: Vec<Filter> = Vec::new();
    if let Some(filter) = &q.filter {
        for part in filter.conjuncts() {
            if let Some(span) = part.span(index) {
                spans.push(span);
                continue;
            }
            match part.truth(index) {
                Some(truth) => parts.push(Held::Made(truth.yes)),
                None => residual.push(part.clone()),
            }
        }
    }
    let filter = match residual.len() {
        0 => None,
        1 => residual.pop(),
        _ => Some(Filter::And(residual)),
    };
    let rest = (text.is_some() || filter.is_some()).then(|| IncidentQuery {
        filter,
        ..IncidentQuery::default()
    });
    // The one set a page may count a range with by table: the query's only set, named.
    let named = within.as_ref().filter(|_| parts.len() == 1);
    let (spans, counted) = match wanted {
        Some(wanted) => leave_spans(index, &mut parts, spans, named, wanted, rest.is_some()),
        None => {
            gather_spans(&mut parts, &spans);
            (Vec::new(), None)
        }
    };
    let (mut set, also) = intersect(parts, wanted);
    // Counted already, unless some of the set is dead (and taken out below).
    let shared = also
        .as_ref()
        .map(|(_, n)| *n as usize)
        .filter(|_| index.dead().is_empty());
    let also = also.map(|(also, _)| also);
    // Every set above holds live incidents only; this keeps it so whatever a set came from.
    if let Some(s) = &mut set
        && !index.dead().is_empty()
    {
        *s.to_mut() -= index.dead();
    }
    let mut plan = Plan {
        set,
        also,
        spans,
        counted,
        rest,
        text: text.map(|t| memchr::memmem::Finder::new(t.as_bytes()).into_owned()),
        within,
    };
    if plan.counted.is_none()
        && plan.rest.is_none()
        && (plan.also.is_some() || !plan.spans.is_empty())
    {
        plan.counted = Some(match (&plan.set, &plan.also) {
            // One span alone (two alone were counted by `leave_spans`): it holds live
            // incidents only.
            (None, _) => plan.spans.first().map_or(0, Span::len),
            (Some(set), Some(also)) if plan.spans.is_empty() => {
                shared.unwrap_or_else(|| set.intersection_len(also) as usize)
            }
            (Some(set), _) => set.iter().filter(|i| plan.passes(index, *i)).count(),
        });
    }
    plan
}

/// The vocabulary values and places `q` filters by, a list for each vocabulary it names
/// (places when it names any, even none that exists).
fn chosen(q: &IncidentQuery) -> Vec<(Vocabulary, Vec<usize>)> {
    let places = q
        .places
        .as_ref()
        .map(|p| p.iter().map(|v| *v as usize).collect());
    let lists: [(Vocabulary, Vec<usize>); 7] = [
        (
            Vocabulary::Types,
            q.types.iter().map(|v| *v as usize).collect(),
        ),
        (
            Vocabulary::Weapons,
            q.weapons.iter().map(|v| *v as usize).collect(),
        ),
        (
            Vocabulary::Targets,
            q.targets.iter().map(|v| *v as usize).collect(),
        ),
        (
            Vocabulary::Perpetrators,
            q.perpetrators.iter().map(|v| *v as usize).collect(),
        ),
        (
            Vocabulary::Reporters,
            q.reporters.iter().map(|v| *v as usize).collect(),
        ),
        (
            Vocabulary::Verifications,
            q.verifications.iter().map(|v| *v as usize).collect(),
        ),
        (
            Vocabulary::Sides,
            q.sides.iter().map(|v| *v as usize).collect(),
        ),
    ];
    places
        .map(|p| (Vocabulary::Places, p))
        .into_iter()
        .chain(lists.into_iter().filter(|(_, v)| !v.is_empty()))
        .collect()
}

/// The ranges of keys `q` asks for as parameters, as runs of the ordered indexes.
fn range_spans<'a>(index: &'a Index, q: &IncidentQuery) -> Vec<Span<'a>> {
    let mut spans = Vec::new();
    if q.depth_min_km.is_some() || q.depth_max_km.is_some() {
        spans.extend(index.by_depth.span(
            q.depth_min_km.map(|d| (d, false)),
            q.depth_max_km.map(|d| (d, false)),
            false,
        ));
    }
    if let Some(n) = q.min_killed {
        spans.extend(
            index
                .by_killed
                .span(Some((f64::from(n), false)), None, false),
        );
    }
    if let Some(d) = q.military_clear_km {
        // Clear: no known object, or the nearest farther than d (kilometres stored as f32,
        // compared as the check one by one compares them).
        spans.extend(index.by_military_km.span(Some((d, true)), None, true));
    }
    if let Some(d) = q.protected_within_km {
        spans.extend(index.by_protected_km.span(None, Some((d, false)), false));
    }
    spans
}

/// Whether a page (`wanted`: its offset plus limit) of every incident may be read checking
/// `span` alone member by member: at most [`SPAN_WALK`] incidents are expected to fill it.
fn fills_alone(index: &Index, span: &Span, wanted: usize) -> bool {
    fills_with(index, span.len() as u64, wanted)
}

/// Whether `matched` incidents spread over every incident fill a page (`wanted`: its offset
/// plus limit) within [`SPAN_WALK`] incidents read in date order.
fn fills_with(index: &Index, matched: u64, wanted: usize) -> bool {
    fills_from(index.len() as u64, matched, wanted)
}

/// Whether `matched` incidents spread over `members` fill a page (`wanted`: its offset plus
/// limit) within [`SPAN_WALK`] members read in date order.
fn fills_from(members: u64, matched: u64, wanted: usize) -> bool {
    matched > 0 && (wanted as u64).saturating_mul(members) / matched <= SPAN_WALK
}

/// Which of `spans` a page (`wanted`: its offset plus limit) checks member by member; the
/// others are gathered into `parts`. A span is left when the page can be read cheaply
/// without its set: alone (nothing else to check) when a page takes at most [`SPAN_WALK`]
/// incidents to fill, or beside a set (the smallest of `parts`, or the smallest span,
/// gathered) no larger than what gathering a span reads one by one: counting the matches
/// then checks each member of that set once, which costs less than gathering. Two large
/// spans alone are counted together without gathering either ([`Span::count_with`]) and
/// left when their matches fill a page as cheaply. One span beside the query's one set, a
/// `named` one, is counted with it by table ([`Span::count_in`]) and left when its matches
/// fill a page reading at most [`SPAN_WALK`] of the set's members. Returns the spans left
/// and, when it counted them, how many incidents they share.
fn leave_spans<'a>(
    index: &Index,
    parts: &mut Vec<Sets<'a>>,
    mut spans: Vec<Span<'a>>,
    named: Option<&Named>,
    wanted: usize,
    checked_after: bool,
) -> (Vec<Span<'a>>, Option<usize>) {
    if let (Some(named), [set], [span], false) =
        (named, parts.as_slice(), spans.as_slice(), checked_after)
    {
        let shared = span.count_in(named, set);
        if shared == 0 {
            // Nothing matches: an empty set says so without reading the set for a page.
            parts[0] = Held::Made(RoaringBitmap::new());
            return (Vec::new(), None);
        }
        if fills_from(set.len(), shared, wanted) {
            return (spans, Some(shared as usize));
        }
    }
    spans.sort_unstable_by_key(Span::len);
    let beside = spans.first().map_or(0, Span::gathered_one_by_one);
    let smallest_part = parts.iter().map(|p| p.len()).min();
    let left = match (smallest_part, spans.as_slice()) {
        (_, []) => 0,
        (Some(least), _) if least <= beside => spans.len(),
        // Several sets, each larger: their intersection may be small enough to check the
        // spans beside it (it is made below in any case).
        (Some(_), _) if parts.len() > 1 => {
            let set = intersect(std::mem::take(parts), None).0.unwrap_or_default();
            let small = set.len() <= beside;
            parts.push(set);
            if small { spans.len() } else { 0 }
        }
        (Some(_), _) => 0,
        (None, [only]) if !checked_after && fills_alone(index, only, wanted) => 1,
        // The smallest span gathered, the others checked beside it.
        (None, [first, ..]) if first.len() as u64 <= beside => spans.len() - 1,
        (None, [a, b]) if !checked_after => {
            let shared = a.count_with(b);
            if fills_with(index, shared, wanted) {
                return (spans, Some(shared as usize));
            }
            0
        }
        (None, _) => 0,
    };
    let gathered = spans.len() - left;
    let left = spans.split_off(gathered);
    gather_spans(parts, &spans);
    (left, None)
}

/// Joins the sets of `spans` to `parts`, where the matches lie in all of them: each span
/// cuts the smallest part (what it holds of that set costs what the set holds), or, with no
/// part, the first span's set is gathered and the others cut it.
fn gather_spans<'a>(parts: &mut Vec<Sets<'a>>, spans: &[Span<'a>]) {
    let mut spans = spans.iter();
    if parts.is_empty() {
        match spans.next() {
            Some(first) => parts.push(Held::Made(first.set())),
            None => return,
        }
    }
    if let Some(smallest) = parts.iter_mut().min_by_key(|p| p.len()) {
        for span in spans {
            *smallest = Held::Made(span.within(smallest));
        }
    }
}

impl Plan<'_> {
    fn passes(&self, index: &Index, i: u32) -> bool {
        self.also.as_ref().is_none_or(|a| a.contains(i))
            && self.spans.iter().all(|s| s.contains(i))
            && self.text.as_ref().is_none_or(|text| {
                text.find(index.search_text[i as usize].as_bytes())
                    .is_some()
            })
            && self
                .rest
                .as_ref()
                .is_none_or(|rest| matches(index, rest, i))
    }

    fn contains(&self, index: &Index, i: u32) -> bool {
        self.set.as_ref().is_none_or(|s| s.contains(i)) && self.passes(index, i)
    }

    /// The members of the set (every live incident without one) in date order, or reverse:
    /// the numbers below the index's base are in date order already, and the few written
    /// since are merged in.
    fn in_date_order<'a>(
        &'a self,
        index: &'a Index,
        descending: bool,
    ) -> Box<dyn Iterator<Item = u32> + 'a> {
        let base = index.base();
        let dead = index.dead();
        let base_part: Box<dyn Iterator<Item = u32> + 'a> = match (&self.set, descending) {
            (Some(set), false) => Box::new(set.iter().take_while(move |i| *i < base)),
            (Some(set), true) => Box::new(set.iter().rev().skip_while(move |i| *i >= base)),
            (None, false) => Box::new((0..base).filter(move |i| !dead.contains(*i))),
            (None, true) => Box::new((0..base).rev().filter(move |i| !dead.contains(*i))),
        };
        if index.written().is_empty() {
            return base_part;
        }
        let mut written: Vec<u32> = index
            .written()
            .iter()
            .copied()
            .filter(|i| self.set.as_ref().is_none_or(|s| s.contains(*i)))
            .collect();
        if descending {
            written.reverse();
        }
        Box::new(index.merge_in_date_order(base_part, written.into_iter(), descending))
    }

    /// Every match, in date order.
    fn all(&self, index: &Index) -> Vec<u32> {
        self.in_date_order(index, false)
            .filter(|i| self.passes(index, *i))
            .collect()
    }

    /// How many incidents match: the set's size when nothing is left to check.
    fn count(&self, index: &Index) -> usize {
        match (&self.set, &self.rest) {
            (_, None) if let Some(counted) = self.counted => counted,
            (Some(set), None) => set.len() as usize,
            (None, None) => index.len(),
            _ => self.all(index).len(),
        }
    }

    /// Matches in date order (or reverse), from `skip` on, at most `take`.
    fn by_date(&self, index: &Index, descending: bool, skip: usize, take: usize) -> Vec<u32> {
        if let Some(page) = self.jump_by_date(index, descending, skip, take) {
            return page;
        }
        self.in_date_order(index, descending)
            .filter(|i| self.passes(index, *i))
            .skip(skip)
            .take(take)
            .collect()
    }

    /// [`by_date`](Self::by_date) without reading the `skip` matches before the page, when
    /// the set (or every live incident) is all there is to match and nothing was written
    /// since the build: the page's first match is found by its rank. A client reading every
    /// match page after page (as GDAL and QGIS follow `next`) would otherwise read the
    /// matches before each page again, the whole read growing with the square of the count.
    /// `None` for any other plan.
    fn jump_by_date(
        &self,
        index: &Index,
        descending: bool,
        skip: usize,
        take: usize,
    ) -> Option<Vec<u32>> {
        let plain = self.also.is_none() && self.spans.is_empty() && self.rest.is_none();
        if !plain || !index.written().is_empty() {
            return None;
        }
        let base = index.base();
        let Some(set) = &self.set else {
            let dead = index.dead();
            let live = u64::from(base) - dead.range_cardinality(..base);
            let Some(k) = nth(live, skip, descending) else {
                return Some(Vec::new());
            };
            // The first number with k + 1 live numbers at or before it, which is live.
            let (mut at, mut past) = (0u32, base);
            while at < past {
                let mid = at + (past - at) / 2;
                if u64::from(mid) + 1 - dead.rank(mid) <= k {
                    at = mid + 1;
                } else {
                    past = mid;
                }
            }
            let alive = move |i: &u32| !dead.contains(*i);
            return Some(match descending {
                false => (at..base).filter(alive).take(take).collect(),
                true => (0..=at).rev().filter(alive).take(take).collect(),
            });
        };
        if set.max().is_some_and(|m| m >= base) {
            return None;
        }
        let Some(k) = nth(set.len(), skip, descending) else {
            return Some(Vec::new());
        };
        let at = set.select(u32::try_from(k).ok()?)?;
        Some(match descending {
            false => set.range(at..).take(take).collect(),
            true => set.range(..=at).rev().take(take).collect(),
        })
    }

    /// Matches in the order of `by` (ties and unknowns in date order, unknowns last), from
    /// `skip` on, at most `take`: walks the index's order (only the positions of the named
    /// set's `members` in it, when the matches lie in one) and stops once the page is full;
    /// `None` once it has checked `budget` incidents without filling it.
    #[allow(clippy::too_many_arguments)]
    fn by_key(
        &self,
        index: &Index,
        by: &RangeIndex,
        members: Option<&RoaringBitmap>,
        descending: bool,
        skip: usize,
        take: usize,
        budget: u64,
    ) -> Option<Vec<u32>> {
        let mut out = Vec::with_capacity(take.min(1024));
        if take == 0 {
            return Some(out);
        }
        let (mut skipped, mut checked) = (0, 0u64);
        // Each position read: `Some(true)` once the page is full, `None` past the budget.
        let mut check = |at: usize| -> Option<bool> {
            checked += 1;
            if checked > budget {
                return None;
            }
            let i = by.order[at];
            if !self.contains(index, i) {
                return Some(false);
            }
            if skipped < skip {
                skipped += 1;
                return Some(false);
            }
            out.push(i);
            Some(out.len() >= take)
        };
        // Positions `from..to` of the order, ascending (the set's members alone, when
        // there is one): `Some(true)` once the page is full.
        let mut walk = |from: usize, to: usize| -> Option<bool> {
            match members {
                _ if from >= to => {}
                Some(members) => {
                    for at in members.range(position(from)..position(to)) {
                        if check(at as usize)? {
                            return Some(true);
                        }
                    }
                }
                None => {
                    for at in from..to {
                        if check(at)? {
                            return Some(true);
                        }
                    }
                }
            }
            Some(false)
        };
        if !descending {
            walk(0, by.order.len())?;
            return Some(out);
        }
        // Known keys from the largest down, each run of equal keys in date order (from the
        // set's next member down, when there is a set).
        let mut end = by.known;
        while end > 0 {
            if let Some(members) = members {
                match members.range(..position(end)).next_back() {
                    Some(at) => end = at as usize + 1,
                    None => break,
                }
            }
            let start = by.run_start(end);
            if walk(start, end)? {
                return Some(out);
            }
            end = start;
        }
        walk(by.known, by.order.len())?;
        Some(out)
    }
}

/// A position in an ordered index, as the sets of positions hold them (an order never holds
/// more than `u32::MAX` incidents).
fn position(at: usize) -> u32 {
    u32::try_from(at).unwrap_or(u32::MAX)
}

/// The page from `skip` on, at most `take`, of `matched` in the order of `by` (ties in date
/// order, unknown keys last, as [`Plan::by_key`] reads them): each match is keyed by its
/// position in the order, and only the page's worth is sorted (a few matches of hundreds of
/// thousands, sorted whole by their values, took milliseconds).
fn top_by_key(
    by: &RangeIndex,
    matched: Vec<u32>,
    descending: bool,
    skip: usize,
    take: usize,
) -> Vec<u32> {
    let rank = by.rank();
    let keys = by.keys();
    // Known keys ascending (their positions alone), or descending with ties still in date
    // order (their positions ascending); unknown ones after, in date order.
    let mut keyed: Vec<(u64, u32, u32)> = matched
        .into_iter()
        .map(|i| {
            let at = rank.get(i as usize).copied().unwrap_or(u32::MAX);
            let key = if at as usize >= by.known {
                u64::MAX
            } else if descending {
                u64::MAX - 1 - ascending_bits(keys[at as usize])
            } else {
                0
            };
            (key, at, i)
        })
        .collect();
    let wanted = skip.saturating_add(take);
    if wanted < keyed.len() {
        keyed.select_nth_unstable(wanted);
        keyed.truncate(wanted);
    }
    keyed.sort_unstable();
    keyed.into_iter().skip(skip).map(|(_, _, i)| i).collect()
}

/// The bits of a finite number, as an integer in the same order, below `u64::MAX - 1`.
fn ascending_bits(k: f64) -> u64 {
    let bits = k.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// The rank, counted from the first in date order, of the match that begins a page after
/// `skip` of `count` matches in date order (`descending`: in reverse); `None` when the page
/// lies past the last.
fn nth(count: u64, skip: usize, descending: bool) -> Option<u64> {
    let skip = u64::try_from(skip).ok().filter(|s| *s < count)?;
    Some(if descending { count - 1 - skip } else { skip })
}

/// The incidents matching `q` as a set; `None` when every incident matches and every number
/// below the index's count is live.
pub fn matching_set(index: &Index, q: &IncidentQuery) -> Option<RoaringBitmap> {
    let plan = plan(index, q);
    match plan.rest {
        None if plan.set.is_none() && !index.dead().is_empty() => Some(index.all_live()),
        None => plan.set.map(Held::into_owned),
        // In number order (date order is not number order for incidents written since the
        // index was built).
        Some(_) => Some(match &plan.set {
            Some(set) => set.iter().filter(|i| plan.passes(index, *i)).collect(),
            None => index
                .all_live()
                .iter()
                .filter(|i| plan.passes(index, *i))
                .collect(),
        }),
    }
}

/// The incidents among `candidates` matching `q` (a map tile's incidents, say): the sets'
/// part of the plan is intersected with them, and what is left checked on the survivors only.
pub fn matching_among(
    index: &Index,
    q: &IncidentQuery,
    mut candidates: RoaringBitmap,
) -> RoaringBitmap {
    let plan = plan(index, q);
    if let Some(set) = &plan.set {
        candidates &= &**set;
    }
    if plan.rest.is_some() {
        candidates = candidates
            .into_iter()
            .filter(|i| plan.passes(index, *i))
            .collect();
    }
    candidates
}

/// All incidents matching `q`, in date order.
pub fn filtered(index: &Index, q: &IncidentQuery) -> Vec<u32> {
    plan(index, q).all(index)
}

/// All incidents matching `q`, in the requested order (default: date, then id).
pub fn matching(index: &Index, q: &IncidentQuery) -> Vec<u32> {
    let mut matched = filtered(index, q);
    order(index, q, &mut matched);
    matched
}

/// Puts date-ordered matches in the order `q.sort` asks: stable sorts from the least
/// significant key to the most.
fn order(index: &Index, q: &IncidentQuery, matched: &mut [u32]) {
    if q.sort.is_empty() {
        return;
    }
    // Each match beside its rank in date order (its position now).
    let mut ranked: Vec<(u32, u32)> = matched
        .iter()
        .enumerate()
        .map(|(rank, i)| (*i, rank as u32))
        .collect();
    for (key, descending) in q.sort.iter().rev() {
        sort(index, q, &mut ranked, *key, *descending);
    }
    for (slot, (i, _)) in matched.iter_mut().zip(ranked) {
        *slot = i;
    }
}

/// Orders by `key`, keeping the existing order among equals (the sort is stable). Unknown
/// values (no depth, no reported death toll) always come last.
fn sort(
    index: &Index,
    q: &IncidentQuery,
    matched: &mut [(u32, u32)],
    key: SortKey,
    descending: bool,
) {
    let value = |(i, rank): (u32, u32)| -> Option<f64> {
        let incident = &index.incidents[i as usize];
        match key {
            SortKey::Date => Some(f64::from(rank)),
            SortKey::Depth => Some(index.measures[i as usize].depth_km).filter(|d| d.is_finite()),
            SortKey::Killed => incident.killed.highest().map(f64::from),
            SortKey::Distance => q.near.map(|(lon, lat, _)| {
                distance_m(Point::new(lon, lat), Point::new(incident.lon, incident.lat))
            }),
        }
    };
    let mut keyed: Vec<(Option<f64>, (u32, u32))> =
        matched.iter().map(|e| (value(*e), *e)).collect();
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

/// How many times the positions a walk of an ordered index is expected to read (were the
/// matches spread evenly along it) it reads before giving up for keying every match: the
/// matches may lie together far from the end it starts at.
const WALK_SLACK: u64 = 4;

/// What a position read in a walk of an ordered index costs against one match keyed (read
/// in date order and looked up in the order): the walk also finds the next member, the run
/// of equal keys it stands in, and tests the match.
const WALK_COST: u64 = 8;

/// The deepest page (offset plus limit) that a box-only query reads by merging the grid's
/// cells; deeper pages gather the box into a set.
const MERGED_PAGE_MAX: usize = 10_000;

/// Where a query that filters by one area at most looks.
enum Area {
    Everywhere,
    Box(Bbox),
    /// `(lon, lat, radius km)`.
    Near((f64, f64, f64)),
}

/// What a query filters by and how it is ordered, in the terms of the fast paths.
struct Shape {
    /// `None`: ordered by something other than the date.
    descending: Option<bool>,
    bbox: Option<Bbox>,
    near: Option<(f64, f64, f64)>,
    datetime: Option<DateInterval>,
    /// How many vocabulary values and places it asks for (each one set).
    set_values: usize,
    /// How many ranges of keys it asks for as parameters (depth, toll, distances to
    /// reference objects; a depth's two ends are one range).
    ranges: usize,
    /// Whether it has a filter neither a set of values nor a range parameter holds (text,
    /// CQL2, a town naming no place).
    other: bool,
}

fn shape(q: &IncidentQuery) -> Shape {
    // Every field named, so that a filter added later cannot be forgotten here.
    let IncidentQuery {
        bbox,
        datetime,
        limit: _,
        offset: _,
        places,
        text,
        types,
        weapons,
        targets,
        perpetrators,
        reporters,
        verifications,
        sides,
        min_killed,
        depth_min_km,
        depth_max_km,
        near,
        military_clear_km,
        protected_within_km,
        sort,
        filter,
        format: _,
        naming: _,
    } = q;
    Shape {
        descending: match sort.as_slice() {
            [] => Some(false),
            [(SortKey::Date, descending)] => Some(*descending),
            _ => None,
        },
        bbox: *bbox,
        near: *near,
        datetime: *datetime,
        set_values: places.as_ref().map_or(0, Vec::len)
            + types.len()
            + weapons.len()
            + targets.len()
            + perpetrators.len()
            + reporters.len()
            + verifications.len()
            + sides.len(),
        ranges: usize::from(depth_min_km.is_some() || depth_max_km.is_some())
            + usize::from(min_killed.is_some())
            + usize::from(military_clear_km.is_some())
            + usize::from(protected_within_km.is_some()),
        // A town that names no place matches nothing: no fast path may take it for none.
        other: places.as_ref().is_some_and(Vec::is_empty) || text.is_some() || filter.is_some(),
    }
}

impl Shape {
    /// Whether it filters by nothing but an area (a box, a radius) and days, if that.
    fn area_and_days_only(&self) -> bool {
        self.set_values == 0 && self.ranges == 0 && !self.other
    }

    /// Whether it filters by no area and no days.
    fn nowhere_and_never(&self) -> bool {
        self.bbox.is_none() && self.near.is_none() && self.datetime.is_none()
    }

    /// Whether it filters by nothing at all.
    fn everything(&self) -> bool {
        self.area_and_days_only() && self.nowhere_and_never()
    }
}

/// The runs of ordered indexes a query asks for, when it filters by ranges of keys alone
/// (parameters, or a CQL2 filter each part of which is one range) and is ordered by date (or
/// not at all); `None` for any other query.
fn spans_only<'a>(index: &'a Index, q: &IncidentQuery) -> Option<Vec<Span<'a>>> {
    let shape = shape(q);
    if shape.descending.is_none()
        || shape.set_values != 0
        || !shape.nowhere_and_never()
        || q.places.is_some()
        || q.text.is_some()
    {
        return None;
    }
    let mut spans = range_spans(index, q);
    spans.extend(filter_spans(index, q.filter.as_ref())?);
    Some(spans)
}

/// The ranges of keys a CQL2 filter asks for, as runs of the ordered indexes, when each of
/// its parts is one range (none without a filter); `None` when a part is anything else.
fn filter_spans<'a>(index: &'a Index, filter: Option<&Filter>) -> Option<Vec<Span<'a>>> {
    let parts = filter.map_or_else(Vec::new, Filter::conjuncts);
    parts.iter().map(|part| part.span(index)).collect()
}

/// The set a query names by vocabulary values (or places) and the one range of keys it
/// asks for as a parameter, when it filters by nothing else and is ordered by date (or not
/// at all); `None` for any other query.
fn named_and_span<'a>(index: &'a Index, q: &IncidentQuery) -> Option<(Named, Span<'a>)> {
    let shape = shape(q);
    if shape.descending.is_none() || !shape.nowhere_and_never() || shape.other || shape.ranges != 1
    {
        return None;
    }
    let named = named(q)?;
    let [span] = <[_; 1]>::try_from(range_spans(index, q)).ok()?;
    Some((named, span))
}

/// The set `q` names by vocabulary values and places (the incidents with any of the values
/// of each vocabulary it names); `None` when it names none.
fn named(q: &IncidentQuery) -> Option<Named> {
    let chosen = chosen(q);
    (!chosen.is_empty()).then(|| Named::all(chosen))
}

/// The area (a box, or a radius, or neither) and days (if any) of a query that filters by
/// nothing else and is ordered by date (or not at all), and whether the order is descending;
/// `None` for any other query.
fn area_and_days(q: &IncidentQuery) -> Option<(Area, Option<DateInterval>, bool)> {
    let shape = shape(q);
    let descending = shape.descending?;
    if !shape.area_and_days_only() {
        return None;
    }
    Some((area_of(q)?, shape.datetime, descending))
}

/// Where `q` looks: everywhere, a box or a radius; `None` for both a box and a radius.
fn area_of(q: &IncidentQuery) -> Option<Area> {
    match (q.bbox, q.near) {
        (None, None) => Some(Area::Everywhere),
        (Some(b), None) => Some(Area::Box(b)),
        (None, Some(near)) => Some(Area::Near(near)),
        (Some(_), Some(_)) => None,
    }
}

/// The largest page a light query returns, and the deepest it reaches.
const LIGHT_LIMIT: usize = 100;
const LIGHT_DEPTH: usize = 1_000;
/// The most grid cells (about 550 m square) a light query's box may span: 128 by 128.
const LIGHT_CELLS: u64 = 16_384;
/// The most members of a box's or a radius's cells a light page of a named set among them
/// reads, merged or gathered (see [`area_marked`]).
const LIGHT_READ: u64 = 32_768;

/// The most blocks of 65,536 incident numbers a light query's sets may span in all (each set
/// of one value, place or run of days spans at most every block of the index).
const LIGHT_BLOCKS: usize = 256;

/// How many sets a query filtered only by vocabulary values, places and days (in date order)
/// reads: one per value or place, one for the days; `None` for any other query.
fn sets_read(q: &IncidentQuery) -> Option<usize> {
    let shape = shape(q);
    let only_sets = shape.descending.is_some()
        && shape.bbox.is_none()
        && shape.near.is_none()
        && shape.ranges == 0
        && !shape.other;
    only_sets.then_some(shape.set_values + usize::from(shape.datetime.is_some()))
}

/// How many sets a query filtered by vocabulary values, places and days, and one range of
/// keys, in date order, reads, when the range cuts their intersection (see
/// [`Span::within`]: a cost bounded as the sets' is, and two chunks of the range's order
/// looked up at most), when they include days; `None` for any other query, and for
/// vocabulary values alone (counted with the range by the named set's table, made on first
/// use).
fn sets_and_a_range(q: &IncidentQuery) -> Option<usize> {
    let shape = shape(q);
    let sets = shape.set_values + usize::from(shape.datetime.is_some());
    let plain = shape.descending.is_some() && shape.bbox.is_none() && shape.near.is_none();
    if !plain || shape.other || shape.ranges != 1 || sets == 0 {
        return None;
    }
    // Vocabulary values alone go by the named set's table.
    shape.datetime.is_some().then_some(sets)
}

/// Whether `q` costs a small, bounded amount of work, so that a server may answer it where it
/// stands instead of handing it to a thread for heavy work (the hand-over costs as much as
/// the query): a page of at most [`LIGHT_LIMIT`], at most [`LIGHT_DEPTH`] deep, in date
/// order, of every incident (a prefix of the order), of a box or a radius spanning at most
/// [`LIGHT_CELLS`] cells, with days or not (merged from those cells), of the intersection of
/// vocabulary values, places and days whose sets span at most [`LIGHT_BLOCKS`] blocks of
/// numbers in all (at a million incidents, sixteen sets), with one range cutting it or not
/// (see [`sets_and_a_range`]), of one range of keys (a parameter
/// or a CQL2 comparison) dense enough to be checked member by member (see [`fills_alone`]),
/// or of two whose shared count is at hand and fills a page as cheaply; or a page of every
/// incident by depth or toll (read from one end of that ordered index); or a text of one
/// word, or several side by side, found cheaply by the words (see [`Index::text_is_light`]),
/// with sets as above.
pub fn is_light(index: &Index, q: &IncidentQuery) -> bool {
    if q.limit > LIGHT_LIMIT || q.offset.saturating_add(q.limit) > LIGHT_DEPTH {
        return false;
    }
    let blocks = index.len().div_ceil(65_536).max(1);
    // A text found exactly by its words, cheaply, as one more set beside vocabulary values,
    // places and days.
    if let Some(text) = &q.text {
        let bare = IncidentQuery {
            text: None,
            ..q.clone()
        };
        return index.text_is_light(text)
            && sets_read(&bare)
                .is_some_and(|sets| (sets + 1).saturating_mul(blocks) <= LIGHT_BLOCKS);
    }
    let shape = shape(q);
    // Every incident in the order of a key: read from one end of its ordered index.
    if shape.everything() && matches!(q.sort.as_slice(), [(SortKey::Depth | SortKey::Killed, _)]) {
        return true;
    }
    // Ranges of keys alone, in date order: one dense enough to be checked member by member,
    // or two whose shared count is at hand (see [`Span::count_if_ready`]) and fills a page
    // as cheaply.
    let wanted = q.offset.saturating_add(q.limit);
    match spans_only(index, q).as_deref() {
        Some([only]) => return fills_alone(index, only, wanted),
        Some([a, b]) => {
            return a
                .count_if_ready(b)
                .is_some_and(|shared| fills_with(index, shared, wanted));
        }
        _ => {}
    }
    // Days and one range alone, on an index as built: by the table of numbers with the
    // range's order once a first answer has made it (see [`days_in_range`]), else heavy.
    if index.is_as_built()
        && let Some((_, span, _)) = days_and_a_range(index, q)
        && !span.numbers_counted()
    {
        return false;
    }
    if let Some(sets) = sets_read(q).or_else(|| sets_and_a_range(q)) {
        return sets.saturating_mul(blocks) <= LIGHT_BLOCKS;
    }
    // Vocabulary values (or places) with one range: when the table counting what they
    // share is at hand (see [`Span::count_in_if_ready`]) and fills a page as cheaply.
    if let Some((named, span)) = named_and_span(index, q)
        && named.values().saturating_mul(blocks) <= LIGHT_BLOCKS
    {
        return span
            .count_in_if_ready(&named)
            .is_some_and(|(shared, of)| shared == 0 || fills_from(of, shared, wanted));
    }
    // Everything, with days or not, was a query of sets above.
    match area_and_days(q) {
        Some((area, _, _)) => area_is_light(index, &area),
        _ => false,
    }
}

/// Whether a box or a radius spans few enough grid cells ([`LIGHT_CELLS`]) to be merged from
/// them where a request stands, on an index as built.
fn area_is_light(index: &Index, area: &Area) -> bool {
    let cells = match area {
        Area::Everywhere => return false,
        Area::Box(b) => Grid::cells_spanned([b.west, b.south, b.east, b.north]),
        Area::Near((lon, lat, km)) => Radius::new(Point::new(*lon, *lat), km * 1000.0)
            .envelopes()
            .into_iter()
            .map(Grid::cells_spanned)
            .sum::<u64>(),
    };
    index.is_as_built() && cells <= LIGHT_CELLS
}

/// The page of a query filtered by a box or a radius and a range of keys (depth, toll,
/// distances to reference objects) in date order, or by a box or a radius, and days, a
/// range of the key it is sorted by or vocabulary values (or a town), sorted by depth
/// or toll: counted and merged from the grid's cells, each kept in the order of the range's
/// key or the sort's (see [`Index::page_by_key_in`] and [`Index::page_in_range`]). With
/// `make`, those cells (and the values' marks) are made if they are not kept (tens of
/// milliseconds at a million, once per order); without, `None` until they are. `None` also
/// for any other query, a page deeper than [`MERGED_PAGE_MAX`], or an index with writes
/// since its build.
fn area_by_key(index: &Index, q: &IncidentQuery, make: bool) -> Option<Page> {
    // A CQL2 filter each part of which is one range joins the parameters' ranges.
    let filtered = filter_spans(index, q.filter.as_ref())?;
    let mut shape = match &q.filter {
        None => shape(q),
        Some(_) => shape(&IncidentQuery {
            filter: None,
            ..q.clone()
        }),
    };
    shape.ranges += filtered.len();
    if shape.ranges > 1 {
        return None;
    }
    // One vocabulary's values, a town or a text, sorted by key, with neither a range nor
    // days.
    let named = marking(q)?;
    if named.is_some() && (shape.ranges > 0 || shape.datetime.is_some()) {
        return None;
    }
    if q.offset.saturating_add(q.limit) > MERGED_PAGE_MAX || !index.is_as_built() {
        return None;
    }
    let area = area_of(q)?;
    let radius = radius_of(&area)?;
    let region = region_of(&area, radius.as_ref())?;
    // A range that is not one run of its order (a closed one with unknown keys) is left to
    // the plan.
    // Neither is a range with days (the cells in a key's order hold no days).
    let mut spans = range_spans(index, q);
    spans.extend(filtered);
    if spans.len() != shape.ranges || (shape.ranges > 0 && shape.datetime.is_some()) {
        return None;
    }
    let (skip, take) = (q.offset, q.limit);
    let (number_matched, items) = match (q.sort.as_slice(), shape.descending, spans.first()) {
        ([(key @ (SortKey::Depth | SortKey::Killed), descending)], _, span) => {
            let by = match key {
                SortKey::Depth => &index.by_depth,
                _ => &index.by_killed,
            };
            let among = match (&named, shape.datetime) {
                (Some(named), _) => Among::Marked(named),
                (_, Some(d)) => {
                    let (run, others) = area_days(index, d, &area, radius.as_ref());
                    Among::Days(run, others)
                }
                _ => Among::Every,
            };
            index.page_by_key_in(region, by, span, among, (skip, take), *descending, make)?
        }
        (_, Some(descending), Some(span)) if named.is_none() => {
            index.page_in_range(region, span, skip, take, descending, make)?
        }
        _ => return None,
    };
    Some(Page {
        number_matched,
        items,
    })
}

/// The circle of a radius (`None` inside for a box); `None` for everywhere.
fn radius_of(area: &Area) -> Option<Option<Radius>> {
    match area {
        Area::Everywhere => None,
        Area::Box(_) => Some(None),
        Area::Near((lon, lat, km)) => Some(Some(Radius::new(Point::new(*lon, *lat), km * 1000.0))),
    }
}

/// Where a box or a radius (its circle, `radius`) looks, as the grid reads it; `None` for
/// everywhere.
fn region_of<'a>(area: &Area, radius: Option<&'a Radius>) -> Option<Region<'a>> {
    match (area, radius) {
        (_, Some(radius)) => Some(Region::Circle(radius)),
        (Area::Box(b), _) => Some(Region::Box([b.west, b.south, b.east, b.north])),
        _ => None,
    }
}

/// What a box's or a radius's page may mark among the grid's members (see
/// [`Index::page_of_marked_in`]): vocabulary values (or a town; of several vocabularies,
/// their intersection), or a text; `Some(None)` for neither; `None` for both, or a town
/// naming no place. A CQL2 filter is the caller's to look at.
fn marking(q: &IncidentQuery) -> Option<Option<Marking>> {
    if q.places.as_ref().is_some_and(Vec::is_empty) {
        return None;
    }
    match (named(q), &q.text) {
        (Some(named), None) => Some(Some(Marking::Named(named))),
        (None, Some(text)) => Some(Some(Marking::Text(text.as_str().into()))),
        (None, None) => Some(None),
        _ => None,
    }
}

/// The page of a query filtered by a box or a radius and vocabulary values (or places) or a
/// text, with days or not, in date order: counted and merged from the grid's cells,
/// skipping members outside the values' set (see [`Index::page_of_marked_in`]). With `make`,
/// the set's marks are made if not kept (a few milliseconds at a million, once per set);
/// without, `None` until they are, and (a light page) `None` rather than reading more than
/// [`LIGHT_READ`] members. `None` also for any other query, a page deeper than
/// [`MERGED_PAGE_MAX`], or an index with writes since its build.
fn area_marked(index: &Index, q: &IncidentQuery, make: bool) -> Option<Page> {
    let shape = shape(q);
    let descending = shape.descending?;
    if shape.ranges != 0 || q.filter.is_some() {
        return None;
    }
    if q.offset.saturating_add(q.limit) > MERGED_PAGE_MAX || !index.is_as_built() {
        return None;
    }
    let named = marking(q)??;
    let area = area_of(q)?;
    let radius = radius_of(&area)?;
    let region = region_of(&area, radius.as_ref())?;
    let days = || {
        let d = shape.datetime?;
        Some(area_days(index, d, &area, radius.as_ref()))
    };
    let paging = (q.offset, q.limit);
    let most = (!make).then_some(LIGHT_READ);
    let (number_matched, items) =
        index.page_of_marked_in(region, &named, days, paging, descending, make, most)?;
    Some(Page {
        number_matched,
        items,
    })
}

/// The page of a query filtered by a box or a radius (and days) alone, counted and merged
/// from the grid;
/// `None` for any other query, a page deeper than [`MERGED_PAGE_MAX`], or an index with writes
/// since its build.
fn box_page(index: &Index, q: &IncidentQuery) -> Option<Page> {
    let (area, datetime, descending) = area_and_days(q)?;
    if q.offset.saturating_add(q.limit) > MERGED_PAGE_MAX || !index.is_as_built() {
        return None;
    }
    let radius = match area {
        Area::Everywhere => return datetime.map(|d| days_page(index, d, q, descending)),
        Area::Box(_) => None,
        Area::Near((lon, lat, km)) => Some(Radius::new(Point::new(lon, lat), km * 1000.0)),
    };
    // Days, when asked, as a run of numbers and the range-dated incidents before it that
    // reach in and lie inside the area.
    let days = datetime.map(|d| area_days(index, d, &area, radius.as_ref()));
    let (number_matched, items) = match (&area, &radius) {
        (Area::Box(b), _) => index.page_in_bbox(
            [b.west, b.south, b.east, b.north],
            days,
            q.offset,
            q.limit,
            descending,
        )?,
        (_, Some(radius)) => index.page_within(radius, days, q.offset, q.limit, descending)?,
        _ => return None,
    };
    Some(Page {
        number_matched,
        items,
    })
}

/// The days of `d` in the area (a box, or the circle `radius`): the run of numbers that
/// begin in them, and the range-dated incidents before it that reach in and lie inside the
/// area, ascending.
fn area_days(
    index: &Index,
    d: DateInterval,
    area: &Area,
    radius: Option<&Radius>,
) -> (std::ops::Range<u32>, Vec<u32>) {
    let inside = |[lon, lat]: [f64; 2]| match (area, radius) {
        (Area::Box(b), _) => b.contains(lon, lat),
        (_, Some(radius)) => radius.contains(Point::new(lon, lat)),
        _ => true,
    };
    let bounds = match (area, radius) {
        (Area::Box(b), _) => Some([b.west, b.south, b.east, b.north]),
        (_, Some(radius)) => match radius.envelopes()[..] {
            [one] => Some(one),
            _ => None,
        },
        _ => None,
    };
    let place = Place {
        inside: &inside,
        // Across the antimeridian, no bounds (west past east).
        bounds: bounds.filter(|[w, _, e, _]| w <= e),
        circle: radius,
    };
    built_days(index, d.start, d.end, Some(place))
}

/// The page of a query filtered by days alone, on an index as built: the incidents that
/// begin in the days are one run of numbers, and those known only to a range of days that
/// began before and reach in lie before that run, so the matches in date order are that list
/// and then the run. Nothing is gathered into a set (building the set of the few thousand
/// reaching a day cost most of a one-day query).
fn days_page(index: &Index, d: DateInterval, q: &IncidentQuery, descending: bool) -> Page {
    let (run, reaching) = built_days(index, d.start, d.end, None);
    let number_matched = run.len() + reaching.len();
    let items = if descending {
        let all = run.rev().chain(reaching.iter().rev().copied());
        all.skip(q.offset).take(q.limit).collect()
    } else {
        let all = reaching.iter().copied().chain(run);
        all.skip(q.offset).take(q.limit).collect()
    };
    Page {
        number_matched,
        items,
    }
}

/// The most incidents of the days a page of days and a range reads looking for its matches
/// ([`days_in_range`]) before it leaves the page to the plan.
const DAYS_WALK: usize = 16_384;

/// The one range of keys (a parameter, or a CQL2 filter that is one comparison) and the
/// days of a query filtered by nothing else, in date order, and whether descending; `None`
/// for any other query.
fn days_and_a_range<'a>(
    index: &'a Index,
    q: &IncidentQuery,
) -> Option<(DateInterval, Span<'a>, bool)> {
    let filtered = filter_spans(index, q.filter.as_ref())?;
    let shape = shape(&IncidentQuery {
        filter: None,
        ..q.clone()
    });
    let descending = shape.descending?;
    let d = shape.datetime?;
    if shape.set_values != 0 || shape.other || shape.bbox.is_some() || shape.near.is_some() {
        return None;
    }
    let mut spans = range_spans(index, q);
    if spans.len() != shape.ranges {
        return None;
    }
    spans.extend(filtered);
    let [span] = <[_; 1]>::try_from(spans).ok()?;
    Some((d, span, descending))
}

/// The page of a query filtered by days and one range of keys, on an index as built: the
/// days are a run of numbers and the range-dated incidents reaching in, so their matches
/// are counted by the table of what runs of numbers share with runs of the range's order
/// (made on first use with `make`; without, `None` until it is), and the range-dated ones
/// checked one by one. The page walks the run from the page's end, at most [`DAYS_WALK`]
/// incidents (`None` past that: the plan reads the page). Before, the days were gathered
/// into a set and cut by the range: one day and `depth_min_km=10` cost 30 µs at a million.
fn days_in_range(index: &Index, q: &IncidentQuery, make: bool) -> Option<Page> {
    if !index.is_as_built() {
        return None;
    }
    let (d, span, descending) = days_and_a_range(index, q)?;
    let (run, window) = days_run(index, d.start, d.end);
    let in_run = span.count_numbers(run.clone(), make)?;
    let kept = match d.start {
        Some(day) => span.reaching(&index.sets, window, day),
        None => Vec::new(),
    };
    let number_matched = in_run as usize + kept.len();
    let wanted = q.offset.saturating_add(q.limit).min(number_matched);
    // In date order, the range-dated ones come first (they began before the run).
    let from_run = match descending {
        true => wanted,
        false => wanted.saturating_sub(kept.len()),
    }
    .min(in_run as usize);
    let mut found = Vec::with_capacity(from_run.min(DAYS_WALK));
    let numbers: &mut dyn Iterator<Item = u32> = match descending {
        true => &mut run.rev(),
        false => &mut run.clone(),
    };
    for (read, i) in numbers.enumerate() {
        if found.len() >= from_run {
            break;
        }
        if read >= DAYS_WALK {
            return None;
        }
        if span.contains(i) {
            found.push(i);
        }
    }
    let items = match descending {
        true => found
            .into_iter()
            .chain(kept.into_iter().rev())
            .collect::<Vec<_>>(),
        false => kept.into_iter().chain(found).collect(),
    };
    Some(Page {
        number_matched,
        items: items.into_iter().skip(q.offset).take(q.limit).collect(),
    })
}

/// `plan` (a page's), or when a span is left alone (it would be checked against every
/// incident) the plan with every span gathered: to read all the matches.
fn plan_all<'a>(index: &'a Index, q: &IncidentQuery, plan: Plan<'a>) -> Plan<'a> {
    if plan.set.is_none() && !plan.spans.is_empty() {
        self::plan(index, q)
    } else {
        plan
    }
}

/// The page of `q` (planned as `plan`, `matched` matches) in the order of `by`: walked when
/// the matches are expected to fill it soon, and sooner than all of them would be keyed;
/// else (or when the walk finds them rarer than expected where it reads) all of them keyed.
/// With a `bound`, `None` rather than a walk past that many incidents or keying more.
fn page_by_key<'a>(
    index: &'a Index,
    q: &IncidentQuery,
    plan: Plan<'a>,
    by: &RangeIndex,
    descending: bool,
    matched: usize,
    bound: Option<u64>,
) -> Option<Vec<u32>> {
    let (skip, take) = (q.offset, q.limit);
    // The named set's members' positions in the order, when the matches lie in one: what a
    // walk reads, were the matches spread evenly along it.
    let guide = (plan.within.as_ref()).map(|named| by.set_counts(named, &index.sets));
    let members = guide.as_ref().map(|g| &g.positions);
    let read = members.map_or(index.len() as u64, RoaringBitmap::len);
    let walk = (skip.saturating_add(take) as u64)
        .saturating_mul(read)
        .checked_div(matched as u64)
        .unwrap_or(u64::MAX);
    let keyed = plan.set.as_ref().map_or(index.len() as u64, |s| s.len());
    if walk <= SPAN_WALK && walk.saturating_mul(WALK_COST) < keyed {
        let budget = walk.saturating_mul(WALK_SLACK).max(SPAN_WALK);
        let budget = bound.map_or(budget, |b| budget.min(b));
        if let Some(page) = plan.by_key(index, by, members, descending, skip, take, budget) {
            return Some(page);
        }
    }
    let every = plan_all(index, q, plan);
    if let Some(bound) = bound
        && (every.set.as_ref().is_none_or(|s| s.len() > bound) || every.rest.is_some())
    {
        return None;
    }
    Some(top_by_key(by, every.all(index), descending, skip, take))
}

/// One page of `q` when it is light ([`is_light`]), or light but for its order by depth or
/// toll and found so within a bounded walk or keying, or a small box's or radius's page by
/// depth or toll or with a range, merged from the grid's cells in a key's order once they are
/// made, or of vocabulary values (or a town, or a text), merged from the cells skipping what
/// their marks leave out once those are made (see [`area_marked`]), or of days and one range
/// once their table is made (see [`days_in_range`]); `None` when it is heavy, to be answered
/// by [`execute`] where heavy work may run.
pub fn light_page(index: &Index, q: &IncidentQuery) -> Option<Page> {
    if q.limit <= LIGHT_LIMIT
        && q.offset.saturating_add(q.limit) <= LIGHT_DEPTH
        && let Some(page) = days_in_range(index, q, false)
    {
        return Some(page);
    }
    if is_light(index, q) {
        return Some(execute(index, q));
    }
    // A box or a radius by key, or with a range of keys, is light when merged from the
    // grid's cells in the key's order, as it is alone in date order from the cells as they
    // are; with vocabulary values, when merged from the cells skipping other values.
    if q.bbox.is_some() || q.near.is_some() {
        let area = area_of(q)?;
        let shallow = q.limit <= LIGHT_LIMIT && q.offset.saturating_add(q.limit) <= LIGHT_DEPTH;
        if !(shallow && area_is_light(index, &area)) {
            return None;
        }
        return area_by_key(index, q, false).or_else(|| area_marked(index, q, false));
    }
    let [(key @ (SortKey::Depth | SortKey::Killed), descending)] = q.sort.as_slice() else {
        return None;
    };
    let by_date = IncidentQuery {
        sort: Vec::new(),
        ..q.clone()
    };
    if !is_light(index, &by_date) {
        return None;
    }
    let by = match key {
        SortKey::Depth => &index.by_depth,
        _ => &index.by_killed,
    };
    let plan = plan_page(index, q, q.offset.saturating_add(q.limit));
    let number_matched = plan.count(index);
    let items = page_by_key(
        index,
        q,
        plan,
        by,
        *descending,
        number_matched,
        Some(SPAN_WALK),
    )?;
    Some(Page {
        number_matched,
        items,
    })
}

/// One page of the incidents matching `q`.
pub fn execute(index: &Index, q: &IncidentQuery) -> Page {
    let merged = || {
        box_page(index, q)
            .or_else(|| area_by_key(index, q, true))
            .or_else(|| area_marked(index, q, true))
            .or_else(|| days_in_range(index, q, true))
    };
    if let Some(page) = merged() {
        return page;
    }
    let (skip, take) = (q.offset, q.limit);
    let plan = plan_page(index, q, skip.saturating_add(take));
    let number_matched = plan.count(index);
    let items = match q.sort.as_slice() {
        [] => plan.by_date(index, false, skip, take),
        [(SortKey::Date, descending)] => plan.by_date(index, *descending, skip, take),
        [(key @ (SortKey::Depth | SortKey::Killed), descending)] => {
            let by = match key {
                SortKey::Depth => &index.by_depth,
                _ => &index.by_killed,
            };
            page_by_key(index, q, plan, by, *descending, number_matched, None).unwrap_or_default()
        }
        _ => {
            let mut matched = plan_all(index, q, plan).all(index);
            order(index, q, &mut matched);
            matched.into_iter().skip(skip).take(take).collect()
        }
    };
    Page {
        number_matched,
        items,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    /// An index of `count` synthetic incidents (the generator's `seed`), with the directory
    /// it was loaded from.
    fn generated(count: usize, seed: u64) -> (tempfile::TempDir, Index) {
        let dir = tempfile::tempdir().unwrap();
        let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
        crate::generate::generate(&source, dir.path(), count, seed, &|_| {}).unwrap();
        let settings = crate::config::Settings::with_data(dir.path().to_path_buf());
        let index = crate::load(&settings, &|_| {}).unwrap();
        (dir, index)
    }

    /// A page of days and a range gives up (`None`, left to the plan) rather than walk more
    /// than [`DAYS_WALK`] of the days, and gives the page the plan gives when it stays within
    /// it: the depths beyond every depth of the first 17,000 incidents, in date order (read
    /// from the first day) and descending (met at once).
    #[test]
    fn a_page_of_days_and_a_range_gives_up_rather_than_walk_past_its_bound() {
        let (_dir, index) = generated(20_000, 3);
        let depths: Vec<f64> = (0..index.len())
            .map(|i| index.measures[i].depth_km)
            .collect();
        let early = depths[..17_000].iter().copied().filter(|d| !d.is_nan());
        let deepest_early = early.fold(f64::MIN, f64::max);
        let late = depths[17_000..]
            .iter()
            .filter(|d| **d > deepest_early + 0.001);
        assert!(late.count() > 0, "the data has deeper incidents later");
        let parse = |text: String| {
            let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&text).unwrap();
            let params = crate::query::Params::new(pairs).unwrap();
            crate::query::parse_incident_query(&params, &index.gazetteer).unwrap()
        };
        let query = |sort: &str| {
            let min = deepest_early + 0.001;
            parse(format!(
                "datetime=2000-01-01/2030-01-01&depth_min_km={min}&limit=1&sortby={sort}"
            ))
        };
        let plan_page = |q: &IncidentQuery| {
            let plan = plan_page(&index, q, q.offset + q.limit);
            (
                plan.count(&index),
                plan.by_date(&index, q.sort[0].1, q.offset, q.limit),
            )
        };
        assert!(days_in_range(&index, &query("date"), true).is_none());
        let descending = query("-date");
        let page = days_in_range(&index, &descending, true).unwrap();
        assert!(page.number_matched > 0 && page.items.len() == 1);
        assert_eq!((page.number_matched, page.items), plan_page(&descending));
    }

    /// A page by key with a bound gives up (`None`) rather than walk or key past it, and
    /// gives the page unbounded work gives when it stays within it: the shallowest of a type
    /// read from the deepest down (the walk meets them last), and the deepest (at once).
    #[test]
    fn a_bounded_page_by_key_gives_up_rather_than_pass_its_bound() {
        let (_dir, index) = generated(3_000, 8);
        let parse = |text: &str| {
            let pairs: Vec<(String, String)> = serde_urlencoded::from_str(text).unwrap();
            let params = crate::query::Params::new(pairs).unwrap();
            crate::query::parse_incident_query(&params, &index.gazetteer).unwrap()
        };
        let page = |q: &IncidentQuery, bound| {
            let plan = plan_page(&index, q, q.offset + q.limit);
            let matched = plan.count(&index);
            page_by_key(&index, q, plan, &index.by_depth, true, matched, bound)
        };
        let shallow = parse("type=shelling&depth_max_km=2&sortby=-depth_km&limit=10");
        let deep = parse("type=shelling&sortby=-depth_km&limit=10");
        let shelling = index
            .sets
            .of(Vocabulary::Types)
            .iter()
            .map(|s| s.len())
            .max();
        assert!(shelling > Some(300), "{shelling:?}");
        for q in [&shallow, &deep] {
            let whole = execute(&index, q).items;
            assert_eq!(whole.len(), 10, "{q:?}");
            assert_eq!(page(q, None), Some(whole.clone()), "{q:?}");
            assert_eq!(page(q, Some(100_000)), Some(whole), "{q:?}");
        }
        // Neither the walk nor keying every shelling fits in 100 incidents.
        assert_eq!(page(&shallow, Some(100)), None);
        assert!(page(&deep, Some(100)).is_some());
    }

    /// The range-dated incidents a box's column scan marks, block by block of 256, are those a
    /// plain scan finds: windows longer than a block whose last block is short, with boxes
    /// holding most candidates (so a mark left over from the block before would show).
    #[test]
    fn a_boxs_marked_range_dated_incidents_are_those_a_scan_finds() {
        let (_dir, index) = generated(12_000, 5);
        let sets = &index.sets;
        let n = sets.ranged.len();
        assert!(n > 300, "only {n} range-dated incidents");
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(6);
        let mut long = 0;
        for round in 0..200 {
            let (a, b) = (rng.random_range(0..=n), rng.random_range(0..=n));
            let window = a.min(b)..a.max(b);
            long += usize::from(window.len() > 256 && window.len() % 256 != 0);
            // Early days reach most; wide boxes hold most.
            let day = index.incidents[sets.ranged[rng.random_range(0..n)] as usize].date;
            let (w, s) = (rng.random_range(44.5..46.8), rng.random_range(38.5..40.0));
            let (e, north) = (
                w + rng.random_range(0.01..3.0),
                s + rng.random_range(0.01..2.5),
            );
            let inside =
                |[lon, lat]: [f64; 2]| (w..=e).contains(&lon) && (s..=north).contains(&lat);
            let place = Place {
                inside: &inside,
                bounds: Some([w, s, e, north]),
                circle: None,
            };
            let scan: Vec<u32> = window
                .clone()
                .filter(|k| sets.ranged_end[*k] >= day && inside(sets.ranged_at[*k]))
                .map(|k| sets.ranged[k])
                .collect();
            assert_eq!(
                reaching_in(sets, window.clone(), day, &place),
                scan,
                "{round} {window:?}"
            );
        }
        assert!(long > 50, "only {long} windows past one block");
    }

    /// The range-dated incidents a circle's cells give are those that reading every one in
    /// the window gives, in the same (ascending) order: for circles from a few hundred metres
    /// to tens of kilometres, around a town and anywhere, and windows across the war.
    #[test]
    fn a_circles_cells_give_the_range_dated_incidents_a_scan_gives() {
        let (_dir, index) = generated(4_000, 3);
        let sets = &index.sets;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
        let mut several = 0;
        for round in 0..300 {
            let (lon, lat) = match round % 2 {
                0 => (46.7528, 39.8177),
                _ => (rng.random_range(45.5..47.5), rng.random_range(39.0..40.8)),
            };
            let circle = Radius::new(Point::new(lon, lat), rng.random_range(200.0..40_000.0));
            let n = sets.ranged.len();
            let (a, b) = (rng.random_range(0..=n), rng.random_range(0..=n));
            let window = a.min(b)..a.max(b);
            let day = index.incidents[sets.ranged[window.end.min(n - 1)] as usize].date;
            let scan: Vec<u32> = window
                .clone()
                .filter(|k| {
                    let [x, y] = sets.ranged_at[*k];
                    sets.ranged_end[*k] >= day && circle.contains(Point::new(x, y))
                })
                .map(|k| sets.ranged[k])
                .collect();
            assert_eq!(
                reaching_by_cells(sets, window, day, &circle),
                scan,
                "{round}"
            );
            several += usize::from(scan.len() > 1);
        }
        assert!(several > 50, "only {several} windows reached more than one");
    }
}
