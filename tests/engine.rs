//! The set-based query plan against the plainest possible reference: check every incident
//! with `matches`, order with a stable sort, cut the page. Hundreds of random combinations of
//! filters, orders and pages over a generated dataset must give the same count and the same
//! page, so that the fast path can never quietly drop or reorder an incident.

#![allow(clippy::unwrap_used, clippy::panic)]

use rand::{RngExt, SeedableRng};
use strikemap::config::Settings;
use strikemap::index::Index;
use strikemap::query::{self, IncidentQuery, Params, SortKey};

fn dataset(count: usize) -> (tempfile::TempDir, Index) {
    let dir = tempfile::tempdir().unwrap();
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    strikemap::generate::generate(&source, &dir.path().join("d"), count, 99, &|_| {}).unwrap();
    let index = strikemap::load(&Settings::with_data(dir.path().join("d")), &|_| {}).unwrap();
    (dir, index)
}

fn parse(index: &Index, pairs: &[(String, String)]) -> IncidentQuery {
    query::parse_incident_query(&Params::new(pairs.to_vec()).unwrap(), &index.gazetteer)
        .unwrap_or_else(|e| panic!("{pairs:?}: {e}"))
}

/// Every match in date order, then stably sorted.
fn reference(index: &Index, q: &IncidentQuery) -> (usize, Vec<u32>) {
    let in_date_order: Vec<u32> = index.live_in_date_order().collect();
    let rank: std::collections::HashMap<u32, usize> = in_date_order
        .iter()
        .enumerate()
        .map(|(r, i)| (*i, r))
        .collect();
    let mut all: Vec<u32> = in_date_order
        .into_iter()
        .filter(|i| query::matches(index, q, *i))
        .collect();
    for (key, descending) in q.sort.iter().rev() {
        let value = |i: u32| -> Option<f64> {
            let incident = &index.incidents[i as usize];
            match key {
                SortKey::Date => Some(rank[&i] as f64),
                SortKey::Depth => {
                    Some(index.measures[i as usize].depth_km).filter(|d| d.is_finite())
                }
                SortKey::Killed => incident.killed.highest().map(f64::from),
                SortKey::Distance => q.near.map(|(lon, lat, _)| {
                    strikemap::geodesy::distance_m(
                        geo::Point::new(lon, lat),
                        geo::Point::new(incident.lon, incident.lat),
                    )
                }),
            }
        };
        all.sort_by(|a, b| match (value(*a), value(*b)) {
            (Some(x), Some(y)) if *descending => y.total_cmp(&x),
            (Some(x), Some(y)) => x.total_cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        });
    }
    let count = all.len();
    (
        count,
        all.into_iter().skip(q.offset).take(q.limit).collect(),
    )
}

/// A random CQL2 expression over the queryables, mixing what the index answers from sets
/// (vocabularies, the side, which may be unknown, depth, toll, distances, days, boxes,
/// reporters, towns) with what it must check one by one (text, other counts), under AND, OR
/// and NOT, so that three-valued logic is exercised where values are missing.
fn cql2(rng: &mut impl rand::Rng, depth: u32) -> String {
    if depth > 0 && rng.random_bool(0.55) {
        let (a, b) = (cql2(rng, depth - 1), cql2(rng, depth - 1));
        return match rng.random_range(0..3) {
            0 => format!("({a} AND {b})"),
            1 => format!("({a} OR {b})"),
            _ => format!("NOT ({a})"),
        };
    }
    let pick = |rng: &mut dyn rand::Rng, options: &[&str]| -> String {
        options[rng.random_range(0..options.len())].to_string()
    };
    let cmp = pick(rng, &["=", "<>", "<", "<=", ">", ">="]);
    match rng.random_range(0..16) {
        0 => format!(
            "type {} '{}'",
            pick(rng, &["=", "<>"]),
            pick(rng, &["shelling", "missile_strike", "unknown"])
        ),
        1 => format!(
            "weapon IN ('{}', '{}')",
            pick(rng, &["artillery", "mlrs"]),
            pick(rng, &["cluster_munition", "unknown"])
        ),
        2 => format!(
            "side {} '{}'",
            pick(rng, &["=", "<>"]),
            pick(rng, &["armenian_side", "azerbaijani_side"])
        ),
        3 => "side IS NULL".into(),
        4 => format!("depth_km {cmp} {}", rng.random_range(0..80)),
        5 => format!(
            "depth_km BETWEEN {} AND {}",
            rng.random_range(0..30),
            rng.random_range(10..90)
        ),
        6 => format!("killed {cmp} {}", rng.random_range(0..5)),
        7 => pick(
            rng,
            &[
                "killed IS NULL",
                "depth_km IS NULL",
                "nearest_military_km IS NULL",
                "verification IS NULL",
            ],
        ),
        8 => format!("nearest_military_km {cmp} {}", rng.random_range(0..90)),
        9 => format!("nearest_protected_km {cmp} {}", rng.random_range(0..90)),
        10 => format!(
            "{}(datetime, INTERVAL('2020-10-{:02}', '2020-10-{:02}'))",
            pick(rng, &["T_INTERSECTS", "T_DISJOINT", "T_DURING"]),
            rng.random_range(1..15),
            rng.random_range(15..31)
        ),
        11 => {
            let (w, s) = (rng.random_range(45.5..47.0), rng.random_range(39.0..40.5));
            format!(
                "{}(geometry, BBOX({w:.3}, {s:.3}, {:.3}, {:.3}))",
                pick(rng, &["S_INTERSECTS", "S_DISJOINT", "S_WITHIN"]),
                w + 0.5,
                s + 0.3
            )
        }
        12 => format!(
            "{}(reported_by, ('{}', '{}'))",
            pick(
                rng,
                &["A_OVERLAPS", "A_CONTAINS", "A_CONTAINEDBY", "A_EQUALS"]
            ),
            pick(rng, &["media", "international_ngo"]),
            pick(
                rng,
                &["azerbaijani_authorities", "international_organisation"]
            )
        ),
        13 => format!(
            "town IN ('{}', 'Ganja')",
            pick(rng, &["Stepanakert", "Martakert"])
        ),
        14 => format!("title LIKE '%{}%'", rng.random_range(1..10)),
        _ => format!("killed_high {cmp} {}", rng.random_range(0..5)),
    }
}

#[test]
fn the_set_plan_agrees_with_checking_every_incident() {
    let (_dir, index) = dataset(4_000);
    agrees_with_checking_every_incident(&index, 7);
}

/// The same on an index changed in place by three rounds of writes (additions, moves in
/// time and space, new tolls, retractions) of incidents from the build and written ones.
#[test]
fn the_set_plan_agrees_with_checking_every_incident_after_writes() {
    use strikemap::index::Change;
    let (_dir, mut index) = dataset(4_000);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(21);
    for round in 0..3 {
        let live: Vec<u32> = index.live_in_date_order().collect();
        let mut changes = Vec::new();
        for k in 0..120 {
            let pick = live[rng.random_range(0..live.len())];
            let mut incident = index.incidents[pick as usize].clone();
            if rng.random_bool(0.15) {
                changes.push(Change::Remove(incident.id.clone()));
                continue;
            }
            if rng.random_bool(0.4) {
                incident.id = format!("written-{round}-{k}").into();
            }
            let span = incident.date_end - incident.date;
            let shift = chrono::Days::new(rng.random_range(0..20));
            incident.date = incident.date.checked_add_days(shift).unwrap();
            incident.date_end = incident.date + span;
            incident.lon += rng.random_range(-0.05..0.05);
            incident.lat += rng.random_range(-0.05..0.05);
            incident.killed.low = Some(rng.random_range(0..4));
            changes.push(Change::Put(Box::new(incident)));
        }
        index = index.with_changes(&changes);
    }
    assert!(!index.written().is_empty() && !index.dead().is_empty());
    agrees_with_checking_every_incident(&index, 8);
}

/// Pages anywhere in the matches (the first, deep ones, the last, past the end; in date
/// order and reverse) of every incident and of sets, on the index as built and after
/// retractions alone (the numbers left live are no longer every number): a page that starts
/// deep in the matches is found by rank, and must be the page that reading them all gives.
#[test]
fn a_page_deep_in_the_matches_is_the_page_reading_them_all_gives() {
    use strikemap::index::Change;
    let (_dir, built) = dataset(4_000);
    let gone: Vec<Change> = built
        .live_in_date_order()
        .filter(|i| i % 7 == 3 || (1_000..1_200).contains(i))
        .map(|i| Change::Remove(built.incidents[i as usize].id.clone()))
        .collect();
    let retracted = built.with_changes(&gone);
    assert!(retracted.written().is_empty() && retracted.dead().len() > 700);
    for index in [&built, &retracted] {
        let live = index.live_in_date_order().count();
        for filter in [
            None,
            Some(("type", "shelling")),
            Some(("town", "Stepanakert")),
        ] {
            for sort in [None, Some("-date"), Some("date")] {
                for offset in [
                    0,
                    1,
                    17,
                    999,
                    1_000,
                    2_345,
                    live - 10,
                    live - 1,
                    live,
                    5_000,
                ] {
                    let area: Vec<(&str, String)> =
                        filter.iter().map(|(k, v)| (*k, v.to_string())).collect();
                    agrees_as_a_page(index, &area, None, sort, 10, offset);
                    agrees_as_a_page(index, &area, None, sort, 1, offset);
                }
            }
        }
    }
    agrees_with_checking_every_incident(&retracted, 9);
}

/// One vocabulary's values (or one town) with one range of a measure: the range is counted
/// with the set by a table made on first use and kept by the ordered index. Every such
/// query, on one index (so one town's table never answers for another's), in both orders and
/// past the first page, and by depth and toll (walking the order only where the set has
/// members), must count and page as checking every incident does; and so again
/// after writes that add incidents to the set and the range, move some out of them and
/// retract others, while the index from before the writes still answers as it did.
#[test]
fn a_named_set_with_a_range_counts_and_pages_as_checking_every_incident() {
    let (_dir, built) = dataset(4_000);
    let queries = [
        "town=Stepanakert&depth_min_km=10",
        "town=Ganja&depth_min_km=10",
        "town=Stepanakert&depth_max_km=12",
        "town=Martakert&min_killed=1",
        "type=shelling&depth_min_km=25",
        "type=missile_strike&depth_min_km=25",
        "weapon=artillery,mlrs&military_clear_km=5",
        "weapon=cluster_munition&military_clear_km=5",
        "reported_by=media,azerbaijani_authorities&protected_within_km=20",
        "side=armenian_side&depth_min_km=30",
        "side=azerbaijani_side&depth_min_km=30",
        "town=Terter&depth_min_km=19999",
        // Several vocabularies' values: their intersection, counted by its own table.
        "type=shelling&weapon=cluster_munition&depth_min_km=20",
        "town=Stepanakert&type=shelling,drone_strike&depth_min_km=5",
        "weapon=artillery,mlrs&reported_by=media&military_clear_km=5",
        "side=armenian_side&target=residential&verification=weak,fair&min_killed=1",
    ];
    let pages = [
        (None, 10, 0),
        (Some("-date"), 10, 0),
        (None, 7, 40),
        (Some("-date"), 100, 900),
        (Some("-depth_km"), 10, 0),
        (Some("depth_km"), 10, 30),
        (Some("-killed"), 10, 0),
        (Some("killed"), 100, 200),
    ];
    let agree = |index: &Index| {
        let matched = agree_on_pages(index, &queries, &pages, |_, _| {});
        // The queries really match, though not all.
        assert!(matched >= queries.len() - 2, "{matched}");
    };
    agree(&built);
    let written = with_writes(&built, 33, |incident, k, other| {
        if k % 3 == 1 {
            // Another place, another toll, somewhere else: out of one set and range, into
            // others.
            (incident.place, incident.lon, incident.lat) = (other.place, other.lon, other.lat);
            incident.killed.low = Some((k % 4) as u32);
        }
    });
    agree(&written);
    agree(&built);
}

/// Each of `queries` at each of `pages` (sort, limit, offset) agrees with checking every
/// incident; `also` checks more of each query. Returns how many queries match anything.
fn agree_on_pages(
    index: &Index,
    queries: &[&str],
    pages: &[(Option<&str>, usize, usize)],
    also: impl Fn(&str, &IncidentQuery),
) -> usize {
    let mut matched = 0;
    for query in queries {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
        let area: Vec<(&str, String)> =
            pairs.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        for (sort, limit, offset) in pages {
            agrees_as_a_page(index, &area, None, *sort, *limit, *offset);
        }
        let q = parse(index, &pairs);
        matched += usize::from(query::execute(index, &q).number_matched > 0);
        also(query, &q);
    }
    matched
}

/// `built` after 300 writes to random incidents: a retraction, a change `edit` makes (with a
/// second random incident at hand), or a new incident (a copy under a new id, edited), in
/// turn.
fn with_writes(
    built: &Index,
    seed: u64,
    edit: impl Fn(&mut strikemap::model::Incident, usize, &strikemap::model::Incident),
) -> Index {
    use strikemap::index::Change;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let live: Vec<u32> = built.live_in_date_order().collect();
    let mut changes = Vec::new();
    for k in 0..300 {
        let mut incident = built.incidents[live[rng.random_range(0..live.len())] as usize].clone();
        let other = &built.incidents[live[rng.random_range(0..live.len())] as usize];
        if k % 3 == 0 {
            changes.push(Change::Remove(incident.id.clone()));
            continue;
        }
        if k % 3 == 2 {
            incident.id = format!("written-{k}").into();
        }
        edit(&mut incident, k, other);
        changes.push(Change::Put(Box::new(incident)));
    }
    let written = built.with_changes(&changes);
    assert!(!written.written().is_empty() && !written.dead().is_empty());
    written
}

#[test]
fn a_text_search_by_words_counts_and_pages_as_reading_every_text() {
    let (_dir, built) = dataset(3_000);
    let queries = [
        "q=synthetic",
        "q=INCIDENT",
        "q=12",
        "q=1",
        "q=event.",
        "q=ber",
        "q=incident%2012",
        "q=12%20near",
        "q=incident%201%20near",
        "q=load%20testing;%20not",
        "q=incident%20near",
        "q=testing;%20a%20real",
        "q=school",
        "q=written",
        "q=write%20up",
        "q=zzz",
        "q=2&type=shelling",
        "q=near&town=Stepanakert&depth_min_km=10",
        "q=3&datetime=2020-10-01/2020-10-20",
        "q=incident%204&bbox=46.5,39.5,47,40",
    ];
    let pages = [
        (None, 10, 0),
        (Some("-date"), 10, 0),
        (None, 7, 40),
        (Some("-date"), 100, 300),
        (Some("-depth_km"), 10, 0),
        (Some("killed"), 100, 20),
    ];
    let agree = |index: &Index| {
        let matched = agree_on_pages(index, &queries, &pages, |query, q| {
            // Every matching number goes through the same plan.
            let mut all = query::matching(index, q);
            all.sort_unstable();
            let checked: Vec<u32> = index
                .live_in_date_order()
                .filter(|i| query::matches(index, q, *i))
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            assert_eq!(all, checked, "{query}");
        });
        // The searches really match, though not all.
        assert!(matched >= queries.len() - 7, "{matched}");
    };
    agree(&built);
    let written = with_writes(&built, 34, |incident, k, _| {
        if k % 3 == 1 {
            // New words the words of the build do not hold, old ones gone.
            incident.title = format!("Written up: school {k} near a market").into();
            incident.description = "A written report.".into();
        } else {
            incident.title = format!("Synthetic incident 12{k} written").into();
        }
    });
    agree(&written);
    agree(&built);
}

/// Searches of three and four words on the bundled incidents' own texts, prose whose words
/// recur within a text: every run of three or four words of each text, and for a word a
/// text holds twice, the word before one of its places with the word after another (both
/// pairs are in that text, not side by side). Each finds what reading every text finds.
#[test]
fn a_search_of_several_words_in_prose_finds_what_reading_every_text_finds() {
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let index = strikemap::load(&Settings::with_data(data), &|_| {}).unwrap();
    let live: Vec<u32> = index.live_in_date_order().collect();
    let mut queries = std::collections::BTreeSet::new();
    let mut apart = 0;
    for i in &live {
        let words: Vec<&str> = index.search_text[*i as usize].split(' ').collect();
        for n in [3, 4] {
            queries.extend(words.windows(n).map(|w| w.join(" ")));
        }
        for (a, w) in words.iter().enumerate() {
            for (b, again) in words.iter().enumerate().skip(a + 1) {
                if w == again && a > 0 && b + 1 < words.len() && b > a + 1 {
                    queries.insert(format!("{} {w} {}", words[a - 1], words[b + 1]));
                    apart += 1;
                }
            }
        }
    }
    assert!(
        queries.len() > 500 && apart > 20,
        "{} {apart}",
        queries.len()
    );
    let mut unmatched = 0;
    for text in &queries {
        let q = parse(&index, &[("q".to_string(), text.clone())]);
        let mut found = query::matching(&index, &q);
        found.sort_unstable();
        let mut read: Vec<u32> = live
            .iter()
            .copied()
            .filter(|i| query::matches(&index, &q, *i))
            .collect();
        read.sort_unstable();
        assert_eq!(found, read, "{text:?}");
        unmatched += usize::from(found.is_empty());
    }
    // Some words around a repeated one stand together nowhere.
    assert!(unmatched > 0, "every query matched");
}

fn agrees_with_checking_every_incident(index: &Index, seed: u64) {
    let towns: Vec<String> = [
        "Stepanakert",
        "Ganja",
        "Martakert",
        "Terter",
        "Hadrut",
        "Shusha",
    ]
    .iter()
    .map(|t| t.to_string())
    .collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let (mut nonempty, mut light) = (0, 0);
    for round in 0..600 {
        let mut pairs: Vec<(String, String)> = Vec::new();
        let mut add = |name: &str, value: String| pairs.push((name.to_string(), value));
        if rng.random_bool(0.3) {
            add("town", towns[rng.random_range(0..towns.len())].clone());
        }
        if rng.random_bool(0.3) {
            let values = [
                "shelling",
                "missile_strike",
                "drone_strike",
                "air_strike",
                "unknown",
            ];
            add("type", values[rng.random_range(0..values.len())].into());
        }
        if rng.random_bool(0.3) {
            add("weapon", "cluster_munition,artillery,mlrs".into());
        }
        if rng.random_bool(0.2) {
            add("reported_by", "media,azerbaijani_authorities".into());
        }
        if rng.random_bool(0.2) {
            add(
                "side",
                ["armenian_side", "azerbaijani_side"][rng.random_range(0..2)].into(),
            );
        }
        if rng.random_bool(0.3) {
            let start = rng.random_range(27..=60);
            let len = rng.random_range(0..20);
            let day = |n: u32| {
                (chrono::NaiveDate::from_ymd_opt(2020, 9, 1).unwrap()
                    + chrono::Days::new(u64::from(n)))
                .to_string()
            };
            let form = rng.random_range(0..3);
            add(
                "datetime",
                match form {
                    0 => format!("{}/{}", day(start), day(start + len)),
                    1 => format!("../{}", day(start)),
                    _ => format!("{}/..", day(start)),
                },
            );
        }
        if rng.random_bool(0.25) {
            add("depth_min_km", format!("{}", rng.random_range(0..60)));
        }
        if rng.random_bool(0.2) {
            add("depth_max_km", format!("{}", rng.random_range(60..120)));
        }
        if rng.random_bool(0.2) {
            add("min_killed", format!("{}", rng.random_range(0..6)));
        }
        if rng.random_bool(0.15) {
            add("military_clear_km", format!("{}", rng.random_range(0..80)));
        }
        if rng.random_bool(0.15) {
            add(
                "protected_within_km",
                format!("{}", rng.random_range(0..80)),
            );
        }
        if rng.random_bool(0.25) {
            let w = rng.random_range(45.5..47.0);
            let s = rng.random_range(39.0..40.5);
            let (dw, ds) = (rng.random_range(0.0..0.6), rng.random_range(0.0..0.4));
            add("bbox", format!("{w:.4},{s:.4},{:.4},{:.4}", w + dw, s + ds));
        }
        let near = rng.random_bool(0.15);
        if near {
            add("near", "46.75,39.82".into());
            add("within_km", format!("{}", rng.random_range(1..40)));
        }
        if rng.random_bool(0.1) {
            add("q", "stepanakert".into());
        }
        if rng.random_bool(0.3) {
            add("filter", cql2(&mut rng, 3));
        }
        let has_near = near;
        let sorts = [
            "date",
            "-date",
            "depth_km",
            "-depth_km",
            "killed",
            "-killed",
            "-killed,depth_km",
        ];
        let pick = rng.random_range(0..sorts.len() + 2);
        if pick < sorts.len() {
            add("sortby", sorts[pick].into());
        } else if pick == sorts.len() && has_near {
            add("sortby", "distance".into());
        }
        add(
            "limit",
            format!("{}", [1, 5, 10, 100, 10_000][rng.random_range(0..5)]),
        );
        add(
            "offset",
            format!("{}", [0, 0, 3, 50, 1000][rng.random_range(0..5)]),
        );
        let q = parse(index, &pairs);
        let page = query::execute(index, &q);
        let (count, items) = reference(index, &q);
        assert_eq!(
            page.number_matched, count,
            "round {round}: count of {pairs:?}"
        );
        assert_eq!(page.items, items, "round {round}: page of {pairs:?}");
        if let Some(page) = query::light_page(index, &q) {
            assert_eq!(
                (page.number_matched, page.items),
                (count, items),
                "round {round}: light page of {pairs:?}"
            );
            light += 1;
        }
        if count > 0 {
            nonempty += 1;
        }
        // Aggregates see the same set.
        if round % 20 == 0 {
            let stats = query::stats(index, &q);
            assert_eq!(stats.totals.incidents, count, "stats of {pairs:?}");
            same_ranges(index, &q, &stats);
        }
    }
    assert!(nonempty > 300, "only {nonempty} queries matched anything");
    assert!(light > 30, "only {light} queries were light");
}

/// The range-dated matches of `q` by (first day, last day), as `stats` lists them, are those
/// their records give.
fn same_ranges(index: &Index, q: &IncidentQuery, stats: &query::Stats) {
    let mut expected = std::collections::BTreeMap::new();
    for i in index.live_in_date_order() {
        let incident = &index.incidents[i as usize];
        if incident.date_end > incident.date && query::matches(index, q, i) {
            let key = (incident.date.to_string(), incident.date_end.to_string());
            *expected.entry(key).or_insert(0) += 1;
        }
    }
    assert_eq!(
        stats.by_range_omitted, 0,
        "fewer ranges than the listing's bound"
    );
    let listed: std::collections::BTreeMap<_, _> = stats
        .by_range
        .iter()
        .map(|r| ((r.start.clone(), r.end.clone()), r.incidents))
        .collect();
    assert_eq!(listed.len(), stats.by_range.len(), "a range listed twice");
    assert_eq!(listed, expected, "ranges of {q:?}");
    assert_eq!(stats.date_ranges, expected.values().sum::<usize>());
}

/// An index changed by writes (`with_changes`: the written incidents appended and measured,
/// the replaced and retracted ones taken out of every set and order, nothing rebuilt) is the
/// index of the data as written: the same incidents in the same date order, the same measures
/// and folded text, and the same answers to pages, orders, counts, statistics and map tiles as
/// an index built from files that hold the same changes. Three rounds of writes touch
/// incidents from the build and incidents written earlier (moved to another day, given a range
/// of days, retracted); a fourth, past the compaction threshold, builds the index again.
#[test]
fn an_index_after_writes_is_the_index_of_the_written_data() {
    use strikemap::index::{COMPACT_AFTER, Change};
    let (dir, before) = dataset(3000);
    let data = dir.path().join("d");
    let text = std::fs::read_to_string(data.join("incidents.geojson")).unwrap();
    let mut collection: serde_json::Value = serde_json::from_str(&text).unwrap();
    let places: std::collections::HashMap<&str, u32> = before.gazetteer.ids().collect();
    let archive = strikemap::store::Archive::load(&data.join("sources")).unwrap();
    let feature = |f: &serde_json::Value| {
        Box::new(strikemap::store::parse_feature(&data, &f.to_string(), &places, &archive).unwrap())
    };
    let id_of = |f: &serde_json::Value| f["properties"]["id"].as_str().unwrap().to_string();
    let features = |c: &mut serde_json::Value| c["features"].as_array_mut().unwrap().clone();
    let put = |c: &mut serde_json::Value, f: serde_json::Value| {
        let list = c["features"].as_array_mut().unwrap();
        match list
            .iter()
            .position(|g| g["properties"]["id"] == f["properties"]["id"])
        {
            Some(at) => list[at] = f.clone(),
            None => list.push(f.clone()),
        }
        Change::Put(feature(&f))
    };
    let remove = |c: &mut serde_json::Value, id: &str| {
        c["features"]
            .as_array_mut()
            .unwrap()
            .retain(|g| g["properties"]["id"] != id);
        Change::Remove(id.into())
    };
    let all = features(&mut collection);
    let day_precise: Vec<&serde_json::Value> = all
        .iter()
        .filter(|f| f["properties"]["date_precision"] == "day")
        .collect();
    // Round 1: a retraction, a move to a later day, an addition.
    let mut moved = day_precise[20].clone();
    moved["properties"]["date"] = serde_json::json!("2020-11-05");
    moved["properties"]["title"] = serde_json::json!("Moved to a later day by a write");
    let mut added = all[30].clone();
    added["properties"]["id"] = serde_json::json!("written-1");
    added["properties"]["title"] = serde_json::json!("Added by a write");
    let round1 = vec![
        remove(&mut collection, &id_of(&all[10])),
        put(&mut collection, moved.clone()),
        put(&mut collection, added.clone()),
    ];
    // Round 2: the added incident written again, to an earlier day and another place; a
    // second addition known only to a range of days; an incident moved to the first day.
    added["properties"]["date"] = serde_json::json!("2020-10-01");
    added["geometry"] = all[400]["geometry"].clone();
    added["properties"]["place"] = all[400]["properties"]["place"].clone();
    added["properties"]["description"] = serde_json::json!("Written twice");
    let mut ranged = day_precise[50].clone();
    ranged["properties"]["id"] = serde_json::json!("written-2");
    ranged["properties"]["date"] = serde_json::json!("2020-10-10");
    ranged["properties"]["date_end"] = serde_json::json!("2020-10-20");
    ranged["properties"]["date_precision"] = serde_json::json!("range");
    let first_day = before.first_day.unwrap().to_string();
    let mut earliest = day_precise[60].clone();
    earliest["properties"]["date"] = serde_json::json!(first_day);
    let round2 = vec![
        put(&mut collection, added.clone()),
        put(&mut collection, ranged.clone()),
        put(&mut collection, earliest.clone()),
    ];
    // Round 3: the moved incident retracted, the range-dated one kept, another retracted.
    let round3 = vec![
        remove(&mut collection, &id_of(&moved)),
        remove(&mut collection, &id_of(&all[700])),
    ];
    let mut changed = before.with_changes(&round1);
    changed = changed.with_changes(&round2);
    changed = changed.with_changes(&round3);
    assert!(
        !changed.written().is_empty() && !changed.dead().is_empty(),
        "the writes were applied in place, not by building the index again"
    );
    assert!(changed.incident_by_id(&id_of(&moved)).is_none());
    assert!(changed.incident_by_id(&id_of(&all[10])).is_none());

    let load = |collection: &serde_json::Value| {
        let written = tempfile::tempdir().unwrap();
        copy_dir(&data, written.path());
        std::fs::write(
            written.path().join("incidents.geojson"),
            collection.to_string(),
        )
        .unwrap();
        let index =
            strikemap::load(&Settings::with_data(written.path().to_path_buf()), &|_| {}).unwrap();
        (written, index)
    };
    let (_kept, rebuilt) = load(&collection);
    same_index(&changed, &rebuilt);

    // Past the threshold, a round builds the index again: every incident in date order.
    let many: Vec<Change> = features(&mut collection)
        .into_iter()
        .take(COMPACT_AFTER / 2 + 1)
        .map(|mut f| {
            f["properties"]["description"] = serde_json::json!("Rewritten in a large round");
            put(&mut collection, f)
        })
        .collect();
    assert!(
        many.len() > COMPACT_AFTER / 2,
        "the dataset is large enough"
    );
    let compacted = changed.with_changes(&many);
    assert!(compacted.written().is_empty() && compacted.dead().is_empty());
    let (_kept, rebuilt) = load(&collection);
    same_index(&compacted, &rebuilt);
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Two indexes hold the same incidents and answer alike (compared by id: the numbers of an
/// index changed in place differ from those of one built at once).
fn same_index(changed: &Index, rebuilt: &Index) {
    let ids = |index: &Index, numbers: &mut dyn Iterator<Item = u32>| -> Vec<String> {
        numbers
            .map(|i| index.incidents[i as usize].id.to_string())
            .collect()
    };
    let order = ids(changed, &mut changed.live_in_date_order());
    assert_eq!(order, ids(rebuilt, &mut rebuilt.live_in_date_order()));
    assert_eq!(changed.len(), rebuilt.len());
    for id in &order {
        let (a, b) = (
            changed.incident_by_id(id).unwrap() as usize,
            rebuilt.incident_by_id(id).unwrap() as usize,
        );
        assert_eq!(
            format!("{:?}", changed.measures[a]),
            format!("{:?}", rebuilt.measures[b]),
            "{id}"
        );
        assert_eq!(changed.search_text[a], rebuilt.search_text[b], "{id}");
        assert_eq!(
            changed.incidents[a].title, rebuilt.incidents[b].title,
            "{id}"
        );
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    for round in 0..200 {
        let mut pairs = vec![("limit".to_string(), rng.random_range(1..50).to_string())];
        if rng.random_bool(0.3) {
            pairs.push(("offset".into(), rng.random_range(0..200).to_string()));
        }
        match rng.random_range(0..9) {
            0 | 1 => pairs.push(("filter".into(), cql2(&mut rng, 2))),
            2 => pairs.push(("datetime".into(), "2020-10-05/2020-10-15".into())),
            3 => pairs.push(("bbox".into(), "46.6,39.7,46.9,39.9".into())),
            4 => pairs.push(("near".into(), "46.75,39.82".into())),
            5 => pairs.push(("q".into(), "write".into())),
            _ => {}
        }
        match rng.random_range(0..5) {
            0 => pairs.push(("sortby".into(), "-depth_km".into())),
            1 => pairs.push(("sortby".into(), "killed".into())),
            2 => pairs.push(("sortby".into(), "-date".into())),
            3 => pairs.push(("sortby".into(), "-killed,depth_km".into())),
            _ => {}
        }
        let (a, b) = (parse(changed, &pairs), parse(rebuilt, &pairs));
        let (x, y) = (query::execute(changed, &a), query::execute(rebuilt, &b));
        assert_eq!(x.number_matched, y.number_matched, "{pairs:?}");
        assert_eq!(
            ids(changed, &mut x.items.into_iter()),
            ids(rebuilt, &mut y.items.into_iter()),
            "{pairs:?}"
        );
        assert_eq!(
            ids(changed, &mut query::matching(changed, &a).into_iter()),
            ids(rebuilt, &mut query::matching(rebuilt, &b).into_iter()),
            "{pairs:?}"
        );
        if round % 4 == 0 {
            assert_eq!(
                serde_json::to_string(&query::stats(changed, &a)).unwrap(),
                serde_json::to_string(&query::stats(rebuilt, &b)).unwrap(),
                "{pairs:?}"
            );
            for (z, x, y) in [(7, 80, 48), (10, 644, 388), (12, 2579, 1552)] {
                let tile = strikemap::geodesy::mercator::TileId::new(z, x, y).unwrap();
                let (p, q) = (
                    query::tiles::tile(changed, &a, tile),
                    query::tiles::tile(rebuilt, &b, tile),
                );
                assert_eq!(p.matched, q.matched, "{pairs:?} {z}/{x}/{y}");
            }
        }
    }
}

/// A query filtered by a box alone, or a box and days, is counted and paged by merging the
/// grid's cells (no set is gathered): every box, interval, order and page must still be what
/// checking every incident gives, on the edges of cells, for incidents known only to a range
/// of days, past the last match and beyond the merged pages' depth.
/// The page of an area's query (with days and an order when given) is the reference's.
fn agrees_as_a_page(
    index: &Index,
    area: &[(&str, String)],
    datetime: Option<&str>,
    sort: Option<&str>,
    limit: usize,
    offset: usize,
) {
    let mut pairs: Vec<(String, String)> = area
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    pairs.push(("limit".into(), limit.to_string()));
    pairs.push(("offset".into(), offset.to_string()));
    if let Some(sort) = sort {
        pairs.push(("sortby".into(), sort.into()));
    }
    if let Some(d) = datetime {
        pairs.push(("datetime".into(), d.into()));
    }
    let q = parse(index, &pairs);
    let page = query::execute(index, &q);
    let (count, items) = reference(index, &q);
    assert_eq!(page.number_matched, count, "{pairs:?}");
    assert_eq!(page.items, items, "{pairs:?}");
    // Answered where the request stands, when it is light, the same.
    if let Some(page) = query::light_page(index, &q) {
        assert_eq!(page.number_matched, count, "light: {pairs:?}");
        assert_eq!(page.items, items, "light: {pairs:?}");
    }
}

/// Orders and pages an area's or days' query is checked at: first pages, one in the middle,
/// both orders, past the last match, the deepest page merged and one beyond it.
const PAGES: [(Option<&str>, usize, usize); 8] = [
    (None, 10, 0),
    (None, 100, 37),
    (Some("-date"), 10, 0),
    (Some("date"), 7, 3),
    (Some("-date"), 50, 400),
    (Some("-date"), 50, 5000),
    (None, 10_000, 0),
    (None, 5, 9_999),
];

/// Areas a page is checked in: the whole world's box, a town's box and circle, a box across
/// the antimeridian, a 50 m circle, then `more`, then `pairs` random boxes and circles of
/// every size (from `seed`), each as its query's parameters.
fn areas(
    seed: u64,
    more: Vec<Vec<(&'static str, String)>>,
    pairs: usize,
) -> Vec<Vec<(&'static str, String)>> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut areas: Vec<Vec<(&str, String)>> = vec![
        vec![("bbox", "-180,-90,180,90".into())],
        vec![("bbox", "46.7,39.78,46.8,39.86".into())],
        vec![("bbox", "170,-10,-170,10".into())],
        vec![("near", "46.75,39.82".into()), ("within_km", "5".into())],
        vec![("near", "46.75,39.82".into()), ("within_km", "0.05".into())],
    ];
    areas.extend(more);
    for _ in 0..pairs {
        let (w, s) = (rng.random_range(45.0..47.5), rng.random_range(38.9..40.9));
        let (dw, ds) = (rng.random_range(0.001..1.5), rng.random_range(0.001..1.0));
        areas.push(vec![("bbox", format!("{w},{s},{},{}", w + dw, s + ds))]);
        let (lon, lat) = (rng.random_range(45.5..47.5), rng.random_range(39.0..40.8));
        areas.push(vec![
            ("near", format!("{lon},{lat}")),
            ("within_km", format!("{}", rng.random_range(0.2..40.0))),
        ]);
    }
    areas
}

#[test]
fn a_box_or_a_radius_by_key_or_with_a_range_is_counted_and_paged_as_checking_every_incident() {
    let (_dir, index) = dataset(4_000);
    let areas = areas(12, Vec::new(), 16);
    // Ranges of the key sorted by (one run of its order), of another key, narrow and wide,
    // and one that is not one run of its order (a closed range with the unknown ones); as
    // parameters and as CQL2 (one range alone, or two, left to the plan).
    let ranges: [&[(&str, &str)]; 12] = [
        &[],
        &[("depth_min_km", "10")],
        &[("depth_max_km", "30")],
        &[("depth_min_km", "5"), ("depth_max_km", "20")],
        &[("min_killed", "2")],
        &[("military_clear_km", "3")],
        &[("protected_within_km", "2")],
        &[("depth_max_km", "2")],
        &[("min_killed", "1"), ("depth_min_km", "3")],
        &[("filter", "killed >= 2")],
        &[("filter", "depth_km > 10")],
        &[("filter", "depth_km > 3 AND nearest_military_km < 40")],
    ];
    let pages: [(usize, usize); 6] = [
        (10, 0),
        (100, 37),
        (7, 3),
        (50, 400),
        (10_000, 0),
        (5, 9_999),
    ];
    let days = [
        "2020-10-01/2020-10-15",
        "2020-10-04",
        "../2020-10-05",
        "2020-10-20/..",
        "2019-01-01/2019-02-01",
    ];
    let mut merged = 0;
    for (k, area) in areas.iter().enumerate() {
        for sort in [
            None,
            Some("-date"),
            Some("depth_km"),
            Some("-depth_km"),
            Some("killed"),
            Some("-killed"),
        ] {
            // Every range in the fixed areas (a town's box and circle among them), one in
            // each of the others.
            for (r, range) in ranges.iter().enumerate() {
                if k >= 5 && r != k % ranges.len() {
                    continue;
                }
                let mut pairs = area.clone();
                pairs.extend(range.iter().map(|(n, v)| (*n, v.to_string())));
                for (limit, offset) in pages {
                    agrees_as_a_page(&index, &pairs, None, sort, limit, offset);
                }
                // With days too (a page by key merges the cells in its order skipping other
                // days, or keys every match when they are few).
                for (d, datetime) in days.iter().enumerate() {
                    if k < 5 || d == k % days.len() {
                        for (limit, offset) in pages {
                            agrees_as_a_page(&index, &pairs, Some(datetime), sort, limit, offset);
                        }
                    }
                }
                if r != k % ranges.len() {
                    continue;
                }
                // Once its cells are made (by the first page), a small page is answered where
                // the request stands.
                let mut light: Vec<(String, String)> = pairs
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.clone()))
                    .collect();
                light.extend(sort.map(|s| ("sortby".to_string(), s.to_string())));
                light.push(("limit".into(), "10".into()));
                if query::light_page(&index, &parse(&index, &light)).is_some() {
                    merged += 1;
                }
            }
        }
    }
    // Areas spanning few cells, with no range or one (in date order, or sorted by its own
    // key: the least toll is one of the highest toll's), are merged from the cells in order:
    // 78 of the 222 here.
    assert!(merged >= 70, "{merged} pages merged from the cells");
}

#[test]
fn a_box_or_a_radius_with_vocabulary_values_is_counted_and_paged_as_checking_every_incident() {
    let (_dir, index) = dataset(4_000);
    // Berdzor's circle besides, where the texts name it.
    let berdzor = vec![("near", "46.55,39.63".into()), ("within_km", "15".into())];
    let areas = areas(21, vec![berdzor], 12);
    // Common values and rare ones (a merge of the cells, or their members gathered), two
    // values of one vocabulary, a vocabulary an incident may hold several of, towns, values
    // of two vocabularies and three, and texts (of one word, of two side by side, of a part
    // of a word, and one ending in a space).
    let named: Vec<Vec<(String, String)>> = [
        "weapon=artillery",
        "type=shelling,drone_strike",
        "reported_by=media",
        "reported_by=international_ngo,media",
        "verification=discounted",
        "town=khankendi",
        "town=hadrut",
        "target=religious",
        "q=berdzor",
        "q=near+berdzor",
        "q=nt+incident+1",
        "q=berdzor+",
        "weapon=artillery,mlrs&type=shelling",
        "type=shelling&reported_by=media&town=khankendi",
    ]
    .iter()
    .map(|query| serde_urlencoded::from_str(query).unwrap())
    .collect();
    let days = [
        None,
        Some("2020-10-01/2020-10-15"),
        Some("2020-10-04"),
        Some("../2020-10-05"),
    ];
    let (mut light, mut light_by_key) = (0, 0);
    for (k, area) in areas.iter().enumerate() {
        for (n, values) in named.iter().enumerate() {
            if k >= 6 && n != k % named.len() {
                continue;
            }
            let mut pairs = area.clone();
            pairs.extend(
                values
                    .iter()
                    .map(|(name, value)| (name.as_str(), value.clone())),
            );
            for (d, datetime) in days.iter().enumerate() {
                if k >= 6 && d != k % days.len() {
                    continue;
                }
                for (sort, limit, offset) in PAGES {
                    agrees_as_a_page(&index, &pairs, *datetime, sort, limit, offset);
                }
                // By depth or toll (the set's members merged from the cells in the key's
                // order, or keyed when few).
                for sort in ["-depth_km", "depth_km", "-killed"] {
                    for (limit, offset) in [(10, 0), (100, 37), (7, 3), (10_000, 0), (5, 9_999)] {
                        agrees_as_a_page(&index, &pairs, *datetime, Some(sort), limit, offset);
                    }
                }
            }
            // Once the set's marks are made (by the first page), a small page is answered
            // where the request stands.
            let mut small: Vec<(String, String)> = pairs
                .iter()
                .map(|(n, v)| (n.to_string(), v.clone()))
                .collect();
            small.push(("limit".into(), "10".into()));
            if query::light_page(&index, &parse(&index, &small)).is_some() {
                light += 1;
            }
            small.push(("sortby".into(), "-depth_km".into()));
            if query::light_page(&index, &parse(&index, &small)).is_some() {
                light_by_key += 1;
            }
        }
    }
    // Of the 86 areas and values here, 71 span few enough cells and read few enough members
    // (the whole world's box, one across the antimeridian and the large random ones do not).
    assert!(light >= 60, "{light} pages answered where they stand");
    assert!(
        light_by_key >= 60,
        "{light_by_key} pages by key answered where they stand"
    );
}

#[test]
fn a_box_alone_is_counted_and_paged_as_checking_every_incident() {
    let (_dir, index) = dataset(4_000);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let mut boxes: Vec<String> = vec![
        "-180,-90,180,90".into(),
        "46.75,39.8,46.755,39.805".into(),
        "46.7,39.78,46.8,39.86".into(),
        "10,10,11,11".into(),
    ];
    for _ in 0..60 {
        let w = rng.random_range(45.0..47.5);
        let s = rng.random_range(38.9..40.9);
        // Some edges exactly on the 0.005-degree cell lines.
        let (w, s) = if rng.random_bool(0.3) {
            (
                (w * 200.0_f64).round() / 200.0,
                (s * 200.0_f64).round() / 200.0,
            )
        } else {
            (w, s)
        };
        let (dw, ds) = (rng.random_range(0.001..1.5), rng.random_range(0.001..1.0));
        boxes.push(format!("{w},{s},{},{}", w + dw, s + ds));
    }
    let intervals = [
        None,
        Some("2020-10-01/2020-10-15"),
        Some("../2020-10-05"),
        Some("2020-10-20/.."),
        Some("2020-10-04"),
        Some("2019-01-01/2019-02-01"),
    ];
    for (k, b) in boxes.iter().enumerate() {
        let datetime = intervals[k % intervals.len()];
        for (sort, limit, offset) in PAGES {
            let area = [("bbox", b.clone())];
            agrees_as_a_page(&index, &area, datetime, sort, limit, offset);
        }
    }
}

/// A query filtered by days alone is counted and paged from where the days begin and the
/// range-dated incidents that reach into them, without a set: every interval, order and
/// page must be what checking every incident gives, past the last match included.
#[test]
fn days_alone_are_counted_and_paged_as_checking_every_incident() {
    let (_dir, index) = dataset(4_000);
    for datetime in [
        "2020-10-01/2020-10-15",
        "../2020-10-05",
        "2020-10-20/..",
        "2020-10-04",
        "2020-09-27",
        "2019-01-01/2019-02-01",
        "2030-01-01/..",
    ] {
        for (sort, limit, offset) in PAGES {
            agrees_as_a_page(&index, &[], Some(datetime), sort, limit, offset);
        }
    }
}

/// Days with one range of keys (each parameter, a CQL2 comparison, one matching nothing and
/// one matching few): counted by the table of numbers with the range's order and paged by a
/// walk of the days, as checking every incident; the same after writes (by the plan). Once
/// a first answer has made the table, small pages are answered where they stand.
#[test]
fn days_with_a_range_are_counted_and_paged_as_checking_every_incident() {
    let (_dir, built) = dataset(4_000);
    let ranges = [
        "depth_min_km=10",
        "depth_max_km=5",
        "depth_min_km=5&depth_max_km=20",
        "min_killed=1",
        "military_clear_km=3",
        "protected_within_km=20",
        "filter=killed%20%3E%3D%202",
        "depth_min_km=60",
        "depth_min_km=19999",
    ];
    let days = [
        "2020-10-01/2020-10-15",
        "../2020-10-05",
        "2020-10-20/..",
        "2020-10-04",
        "2019-01-01/2019-02-01",
    ];
    let agree = |index: &Index| {
        let mut light = 0;
        for range in ranges {
            let pairs: Vec<(String, String)> = serde_urlencoded::from_str(range).unwrap();
            let area: Vec<(&str, String)> =
                pairs.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
            for datetime in days {
                for (sort, limit, offset) in PAGES {
                    agrees_as_a_page(index, &area, Some(datetime), sort, limit, offset);
                }
                let mut small = pairs.clone();
                small.extend([
                    ("datetime".into(), datetime.into()),
                    ("limit".into(), "10".into()),
                ]);
                light += usize::from(query::light_page(index, &parse(index, &small)).is_some());
            }
        }
        light
    };
    // Every first page of 10 is light on the index as built, once its table is made.
    assert_eq!(agree(&built), ranges.len() * days.len());
    let written = with_writes(&built, 35, |incident, k, other| {
        if k % 3 == 1 {
            incident.date = other.date;
            incident.killed.low = Some((k % 4) as u32);
        }
    });
    agree(&written);
}

/// Which queries a server answers where it stands (small, bounded work) and which it hands
/// to a thread for heavy work: a page of at most 100, at most 1,000 deep, of everything or of
/// a box of at most 128 by 128 cells, with days or not, in date order; of one dense range
/// (a parameter or a CQL2 comparison); of two ranges once the table counting what they
/// share is made and when what they share fills a page cheaply.
#[test]
fn only_small_pages_of_everything_a_small_box_or_a_dense_range_are_light() {
    let (_dir, index) = dataset(500);
    let light = |query: &str| {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
        query::is_light(&index, &parse(&index, &pairs))
    };
    for query in [
        "limit=10",
        "limit=100&offset=900",
        "limit=100&sortby=-date",
        "bbox=46.7,39.78,46.8,39.86&limit=10",
        "bbox=46.7,39.78,46.8,39.86&datetime=2020-10-01/2020-10-20&limit=100",
        "bbox=46.0025,39.0025,46.6375,39.6375&limit=10",
        "near=46.75,39.82&within_km=5&limit=10",
        "near=46.75,39.82&within_km=5&datetime=2020-10-04&limit=100&sortby=-date",
        "type=shelling&weapon=artillery,cluster_munition&limit=10",
        "town=khankendi&datetime=2020-10-04&limit=100",
        "datetime=2020-10-01/2020-10-10&limit=100",
        "limit=10&sortby=-depth_km",
        "limit=100&offset=900&sortby=killed",
        "depth_min_km=20&limit=10",
        "military_clear_km=3&limit=10&sortby=-date",
        "limit=10&filter=killed%20%3E%3D%201",
    ] {
        assert!(light(query), "{query}");
    }
    // Two ranges: heavy until a first answer has made their table, then light if what they
    // share fills a page cheaply (the same filter as parameters or in CQL2).
    let two = [
        "depth_min_km=20&min_killed=1&limit=10",
        "filter=depth_km%20%3E%2020%20AND%20nearest_military_km%20%3C%2050&limit=10",
    ];
    let scarce = "depth_min_km=19999&min_killed=1&limit=10";
    for query in two.iter().chain([&scarce]) {
        assert!(!light(query), "{query} before its table");
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
        query::execute(&index, &parse(&index, &pairs));
    }
    for query in two {
        assert!(light(query), "{query} after its table");
    }
    assert!(!light(scarce), "{scarce}: a page would read every incident");
    // A named set with a range: the same, by the table of the set with the range's index;
    // light when nothing matches (the plan is then empty), heavy when the matches are too
    // few among the set's members to fill a page cheaply. Several vocabularies' values
    // name one set, their intersection.
    // Days with one range go the same way, by the table of numbers with the range's order.
    let named = [
        "limit=10&datetime=2020-10-04&min_killed=1",
        "limit=10&type=shelling&depth_min_km=5",
        "town=Stepanakert&min_killed=1&limit=100&sortby=-date",
        "weapon=artillery,mlrs&depth_min_km=19999&limit=10",
        "limit=10&type=shelling&weapon=artillery,mlrs&military_clear_km=3",
        "limit=10&town=Stepanakert&type=shelling,drone_strike&depth_min_km=5",
    ];
    let few = "type=shelling&depth_min_km=60&limit=100&offset=900";
    for query in named.iter().chain([&few]) {
        assert!(!light(query), "{query} before its table");
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
        query::execute(&index, &parse(&index, &pairs));
    }
    for query in named {
        assert!(light(query), "{query} after its table");
    }
    assert!(!light(few), "{few}: a page would read every shelling");
    // A page by depth or toll of what is light in date order, walked along the named set's
    // members or keyed within a bound, is answered where it stands (and is the page the
    // engine gives); what is heavy in date order is not.
    let answered = |query: &str| {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
        let q = parse(&index, &pairs);
        let page = query::light_page(&index, &q)?;
        let engine = query::execute(&index, &q);
        assert_eq!(page.number_matched, engine.number_matched, "{query}");
        assert_eq!(page.items, engine.items, "{query}");
        Some(page.items.len())
    };
    for query in [
        "town=Stepanakert&limit=10&sortby=-depth_km",
        "town=Stepanakert&depth_min_km=10&limit=10&sortby=-depth_km",
        "limit=10&type=shelling&sortby=-killed",
        "limit=100&type=shelling&weapon=artillery&sortby=depth_km",
        "limit=10&q=synthetic&sortby=-killed",
        "town=khankendi&datetime=2020-10-01/2020-10-31&limit=100&sortby=-depth_km",
    ] {
        assert!(!light(query), "{query}: not light before its walk");
        assert!(answered(query).is_some_and(|n| n > 0), "{query}");
    }
    // A box's or a radius's is, once the grid's cells in the key's order are made (by a
    // first page answered where heavy work may run).
    // So is a box's or a radius's of vocabulary values, once the values' marks among the
    // grid's members are made.
    for query in [
        "bbox=46.7,39.78,46.8,39.86&limit=10&sortby=-depth_km",
        "near=46.75,39.82&within_km=5&limit=10&sortby=-killed",
        "bbox=46.7,39.78,46.8,39.86&limit=10&weapon=artillery,mlrs",
        "near=46.75,39.82&within_km=20&limit=10&type=shelling&datetime=2020-09-27/2020-11-10",
        "near=46.75,39.82&within_km=20&limit=10&filter=killed%20%3E%3D%201",
        "near=46.75,39.82&within_km=20&limit=10&type=shelling,drone_strike&reported_by=media",
    ] {
        assert_eq!(answered(query), None, "{query}: before its cells are made");
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
        query::execute(&index, &parse(&index, &pairs));
        let got = answered(query);
        assert!(got.is_some_and(|n| n > 0), "{query}: {got:?}");
    }
    // And by key, with the values' marks and the cells in the key's order both made.
    let by_key = "bbox=46.7,39.78,46.8,39.86&limit=10&weapon=artillery,mlrs&sortby=-depth_km";
    assert!(answered(by_key).is_some_and(|n| n > 0), "{by_key}");
    for query in [
        "bbox=46.7,39.78,46.8,39.86&limit=10&weapon=artillery,mlrs&sortby=-depth_km&datetime=2020-10-04",
        "bbox=46.7,39.78,46.8,39.86&limit=10&weapon=artillery,mlrs&min_killed=1",
        "bbox=40,30,50,45&limit=10&weapon=artillery,mlrs",
        "limit=10&q=nt%20incident%201&sortby=-depth_km",
        "limit=10&type=shelling&sortby=-killed,depth_km",
        "limit=101&type=shelling&sortby=-killed",
    ] {
        assert_eq!(answered(query), None, "{query}");
    }
    // A text of one word, or of several side by side, is one more set when its words and pairs
    // are few (see the words' own tests for words found only once kept).
    for query in [
        "limit=10&q=school",
        "limit=10&q=synthetic",
        "limit=10&q=1",
        "limit=100&q=Synthetic&type=shelling&sortby=-date",
        "limit=10&q=incident&datetime=2020-10-04",
        "limit=10&q=synthetic%20incident",
        "limit=10&q=incident%201",
        "limit=10&q=synthetic%20incident%20near",
        "limit=10&q=synthetic%20incident%201%20near",
        // Days with sets and one range: the range cuts their intersection.
        "limit=10&type=shelling&depth_min_km=5&depth_max_km=50&datetime=2020-10-04",
    ] {
        assert!(light(query), "{query}");
    }
    for query in [
        "limit=101",
        "limit=100&offset=901",
        "limit=10&type=shelling&sortby=-killed",
        "limit=10&sortby=-killed,depth_km",
        "depth_min_km=20&limit=10&sortby=-depth_km",
        "depth_min_km=19999&limit=10",
        "limit=10&q=nt%20incident%201",
        "limit=10&q=synthetic&depth_min_km=5",
        "limit=10&q=synthetic&sortby=-killed",
        // Two ranges beside sets.
        "limit=10&type=shelling&weapon=artillery&depth_min_km=5&min_killed=1",
        "bbox=46.0025,39.0025,46.6425,39.6375&limit=10",
        "bbox=46.7,39.78,46.8,39.86&weapon=artillery&limit=10",
        "limit=10&filter=killed%20%3E%3D%201%20AND%20type%20%3D%20%27shelling%27",
        "limit=10&filter=killed%20%3E%3D%201&type=shelling",
        "near=46.75,39.82&within_km=200&limit=10",
        "near=46.75,39.82&within_km=5&bbox=46.7,39.78,46.8,39.86&limit=10",
    ] {
        assert!(!light(query), "{query}");
    }
}

#[test]
fn a_radius_alone_is_counted_and_paged_as_checking_every_incident() {
    let (_dir, index) = dataset(4_000);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(8);
    let mut circles: Vec<(f64, f64, f64)> = vec![(46.75, 39.82, 5.0), (46.75, 39.82, 0.05)];
    for _ in 0..40 {
        circles.push((
            rng.random_range(45.5..47.5),
            rng.random_range(39.0..40.8),
            rng.random_range(0.2..60.0),
        ));
    }
    let intervals = [None, Some("2020-10-01/2020-10-15"), Some("../2020-10-05")];
    for (k, (lon, lat, km)) in circles.iter().enumerate() {
        let datetime = intervals[k % intervals.len()];
        for (sort, limit, offset) in [(None, 10, 0), (Some("-date"), 25, 3), (None, 10_000, 0)] {
            let area = [
                ("near", format!("{lon},{lat}")),
                ("within_km", km.to_string()),
            ];
            agrees_as_a_page(&index, &area, datetime, sort, limit, offset);
        }
    }
}

/// A box or circle with days whose edge passes between range-dated incidents of one grid
/// cell, or through one of them or a hair beside it: the range-dated incidents that reach
/// into the days are found among those of the area's cells (or marked in single precision),
/// where a cell the edge crosses has its members checked one by one; those inside count and
/// those outside do not.
#[test]
fn range_dated_incidents_split_by_an_edge_are_counted_as_checking_every_incident() {
    // Dense enough that some cells of 0.005 degrees hold two range-dated incidents.
    let (_dir, index) = dataset(40_000);
    let cell = |lon: f64, lat: f64| ((lon / 0.005).floor() as i64, (lat / 0.005).floor() as i64);
    let mut by_cell: std::collections::HashMap<_, Vec<u32>> = std::collections::HashMap::new();
    for i in index.live_in_date_order() {
        let incident = &index.incidents[i as usize];
        if incident.date_end > incident.date {
            by_cell
                .entry(cell(incident.lon, incident.lat))
                .or_default()
                .push(i);
        }
    }
    let mut split = 0;
    let mut cells: Vec<&Vec<u32>> = by_cell.values().filter(|m| m.len() > 1).collect();
    // The densest first: their circles reach the most range-dated incidents.
    cells.sort_by_key(|m| (std::cmp::Reverse(m.len()), m[0]));
    for members in cells.into_iter().take(20) {
        let (a, b) = (
            &index.incidents[members[0] as usize],
            &index.incidents[members[1] as usize],
        );
        if a.lon == b.lon {
            continue;
        }
        // The first day both could have happened on, or the later one's first day.
        let day = a.date.max(b.date);
        let datetime = format!("{day}/..");
        // An edge between the two, the box reaching a kilometre or so beyond them.
        let mid = (a.lon + b.lon) / 2.0;
        let (south, north) = (a.lat.min(b.lat) - 0.01, a.lat.max(b.lat) + 0.01);
        // And edges through one of them (a box holds its edges) or a hair beside it.
        let (lon, hair) = (a.lon, 1e-9);
        for bbox in [
            format!("{mid},{south},{},{north}", mid + 0.02),
            format!("{},{south},{mid},{north}", mid - 0.02),
            format!("{lon},{south},{},{north}", lon + 0.02),
            format!("{},{south},{lon},{north}", lon - 0.02),
            format!("{},{south},{},{north}", lon + hair, lon + 0.02),
            format!("{},{south},{},{north}", lon - 0.02, lon - hair),
        ] {
            agrees_as_a_page(&index, &[("bbox", bbox)], Some(&datetime), None, 100, 0);
        }
        // A circle around one whose rim passes between them.
        let d = strikemap::geodesy::distance_m(
            geo::Point::new(a.lon, a.lat),
            geo::Point::new(b.lon, b.lat),
        );
        let area = [
            ("near", format!("{},{}", a.lon, a.lat)),
            ("within_km", (d / 2000.0).to_string()),
        ];
        agrees_as_a_page(&index, &area, Some(&datetime), None, 100, 0);
        split += 1;
    }
    assert!(
        split >= 10,
        "only {split} cells hold two range-dated incidents"
    );
}
