//! CQL2 filters answered from the index's sets instead of incident by incident. A filter such
//! as `depth_km > 30 AND side = 'armenian_side' AND killed >= 1` names only things the index
//! holds as sets or ranges, so its matches are a few set operations, and a million-incident
//! dataset is never scanned. SQL's three-valued logic is kept: each part yields the incidents
//! for which it is true and those for which it is unknown (no reported toll, no depth); the
//! rest are false, so `NOT` swaps true and false and leaves unknown alone.

use super::Bbox;
use super::filter::{ArrayOp, Cmp, Filter, Literal, Shape, Spatial, Temporal};
use super::queryables::Field;
use crate::index::{Bitmaps, Index, RangeIndex, Span};
use crate::model::{IncidentType, Perpetrator, Reporter, Side, Target, Verification, Weapon};
use roaring::RoaringBitmap;

/// Where a part of a filter is true and where it is unknown.
#[derive(Debug, Clone, Default)]
pub struct Truth {
    pub yes: RoaringBitmap,
    pub unknown: RoaringBitmap,
}

impl Truth {
    fn known(yes: RoaringBitmap) -> Truth {
        Truth {
            yes,
            unknown: RoaringBitmap::new(),
        }
    }
}

/// Every incident number.
fn all(index: &Index) -> RoaringBitmap {
    index.all_live()
}

/// The sets of one closed vocabulary, and the index of a code in it.
fn vocabulary(index: &Index, field: Field) -> Option<(&[RoaringBitmap], Vec<&'static str>)> {
    fn codes<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> Vec<&'static str> {
        all.iter().map(|v| name(*v)).collect()
    }
    let sets = &index.sets;
    Some(match field {
        Field::Type => (
            &sets.types[..],
            codes(IncidentType::ALL, IncidentType::as_str),
        ),
        Field::Weapon => (&sets.weapons[..], codes(Weapon::ALL, Weapon::as_str)),
        Field::Target => (&sets.targets[..], codes(Target::ALL, Target::as_str)),
        Field::Perpetrator => (
            &sets.perpetrators[..],
            codes(Perpetrator::ALL, Perpetrator::as_str),
        ),
        Field::Verification => (
            &sets.verifications[..],
            codes(Verification::ALL, Verification::as_str),
        ),
        Field::Side => (&sets.sides[..], codes(Side::ALL, Side::as_str)),
        _ => return None,
    })
}

/// The incidents with no value for a vocabulary field: only the side can be missing (a point
/// with no line to be on a side of).
fn without_value(index: &Index, field: Field) -> RoaringBitmap {
    if field != Field::Side {
        return RoaringBitmap::new();
    }
    let sets = &index.sets.sides;
    all(index) - Bitmaps::any_of(sets, 0..sets.len())
}

/// The incidents whose vocabulary value is `code` (none when no value is).
fn with_code(sets: &[RoaringBitmap], codes: &[&str], code: &str) -> RoaringBitmap {
    codes
        .iter()
        .position(|c| *c == code)
        .and_then(|k| sets.get(k))
        .cloned()
        .unwrap_or_default()
}

/// The range index holding `field`'s values exactly as the filter compares them.
fn range_of(index: &Index, field: Field) -> Option<&RangeIndex> {
    match field {
        Field::DepthKm => Some(&index.by_depth),
        Field::Killed => Some(&index.by_killed_low),
        Field::NearestMilitaryKm => Some(&index.by_military_km),
        Field::NearestProtectedKm => Some(&index.by_protected_km),
        _ => None,
    }
}

fn number(literal: &Literal) -> Option<f64> {
    match literal {
        // -0 sorts below 0 in the filter's total order but equals it in a range: leave such a
        // literal to the check one by one.
        Literal::Number(n) if n.is_finite() && !(*n == 0.0 && n.is_sign_negative()) => Some(*n),
        _ => None,
    }
}

fn text(literal: &Literal) -> Option<&str> {
    match literal {
        Literal::Text(t) => Some(t),
        _ => None,
    }
}

/// The range of keys that compare with `value` as `op` says, as the low and high bounds of
/// [`RangeIndex::select`]; `None` for `<>` (two ranges).
type Bounds = (Option<(f64, bool)>, Option<(f64, bool)>);

fn bounds(op: Cmp, value: f64) -> Option<Bounds> {
    Some(match op {
        Cmp::Eq => (Some((value, false)), Some((value, false))),
        Cmp::Ne => return None,
        Cmp::Lt => (None, Some((value, true))),
        Cmp::Le => (None, Some((value, false))),
        Cmp::Gt => (Some((value, true)), None),
        Cmp::Ge => (Some((value, false)), None),
    })
}

/// The incidents whose key compares with `value` as `op` says.
fn compare_range(range: &RangeIndex, op: Cmp, value: f64) -> RoaringBitmap {
    match bounds(op, value) {
        Some((low, high)) => range.select(low, high, false),
        None => {
            let mut set = range.select(None, None, false);
            set -= range.select(Some((value, false)), Some((value, false)), false);
            set
        }
    }
}

impl Filter {
    /// Where the filter is true, as one run of an ordered index, when it is a single
    /// comparison of a ranged field (`depth_km > 30`, `killed BETWEEN 1 AND 5`): as a part of
    /// a top-level `AND`, it is true exactly there.
    pub fn span<'a>(&self, index: &'a Index) -> Option<Span<'a>> {
        let (field, (low, high)) = match self {
            Filter::Compare {
                field,
                op,
                value,
                folding,
            } if !folding.any() => (field, bounds(*op, number(value)?)?),
            Filter::Between { field, low, high } => (
                field,
                (Some((number(low)?, false)), Some((number(high)?, false))),
            ),
            _ => return None,
        };
        range_of(index, *field)?.span(low, high, false)
    }

    /// Where the filter is true and where unknown, from the index's sets; `None` when some
    /// part of it can only be checked incident by incident.
    pub fn truth(&self, index: &Index) -> Option<Truth> {
        match self {
            Filter::Const(b) => Some(Truth::known(if *b {
                all(index)
            } else {
                RoaringBitmap::new()
            })),
            Filter::And(parts) => {
                let mut truths = parts.iter().map(|p| p.truth(index));
                let mut acc = truths.next()??;
                for truth in truths {
                    let truth = truth?;
                    // Unknown where neither is false and not both are true.
                    let either = &(&acc.yes | &acc.unknown) & &(&truth.yes | &truth.unknown);
                    acc.yes &= &truth.yes;
                    acc.unknown = either - &acc.yes;
                }
                Some(acc)
            }
            Filter::Or(parts) => {
                let mut truths = parts.iter().map(|p| p.truth(index));
                let mut acc = truths.next()??;
                for truth in truths {
                    let truth = truth?;
                    acc.yes |= &truth.yes;
                    acc.unknown = (&acc.unknown | &truth.unknown) - &acc.yes;
                }
                Some(acc)
            }
            Filter::Not(inner) => {
                let truth = inner.truth(index)?;
                let no = all(index) - &truth.yes - &truth.unknown;
                Some(Truth {
                    yes: no,
                    unknown: truth.unknown,
                })
            }
            Filter::Compare {
                field,
                op,
                value,
                folding,
            } => {
                if folding.any() {
                    return None;
                }
                if let Some((sets, codes)) = vocabulary(index, *field) {
                    let code = text(value)?;
                    let equal = with_code(sets, &codes, code);
                    let unknown = without_value(index, *field);
                    let yes = match op {
                        Cmp::Eq => equal,
                        Cmp::Ne => all(index) - &unknown - equal,
                        _ => return None,
                    };
                    return Some(Truth { yes, unknown });
                }
                let range = range_of(index, *field)?;
                Some(Truth {
                    yes: compare_range(range, *op, number(value)?),
                    unknown: range.unknown(),
                })
            }
            Filter::In { field, values } => {
                if let Some((sets, codes)) = vocabulary(index, *field) {
                    let mut yes = RoaringBitmap::new();
                    for value in values {
                        yes |= with_code(sets, &codes, text(value)?);
                    }
                    return Some(Truth {
                        yes,
                        unknown: without_value(index, *field),
                    });
                }
                let range = range_of(index, *field)?;
                let mut yes = RoaringBitmap::new();
                for value in values {
                    yes |= compare_range(range, Cmp::Eq, number(value)?);
                }
                Some(Truth {
                    yes,
                    unknown: range.unknown(),
                })
            }
            Filter::Between { field, low, high } => {
                let range = range_of(index, *field)?;
                Some(Truth {
                    yes: range.select(
                        Some((number(low)?, false)),
                        Some((number(high)?, false)),
                        false,
                    ),
                    unknown: range.unknown(),
                })
            }
            Filter::Like { .. } => None,
            Filter::IsNull(field) => match field {
                Field::Geometry | Field::Datetime | Field::Town | Field::ReportedBy => {
                    Some(Truth::known(RoaringBitmap::new()))
                }
                other => {
                    if vocabulary(index, *other).is_some() {
                        return Some(Truth::known(without_value(index, *other)));
                    }
                    range_of(index, *other).map(|range| Truth::known(range.unknown()))
                }
            },
            Filter::Places(places) => Some(Truth::known(Bitmaps::any_of(
                &index.sets.places,
                places.iter().map(|p| *p as usize),
            ))),
            Filter::Time { op, start, end } => {
                let overlapping = super::execute::days(index, *start, *end);
                match op {
                    Temporal::Intersects => Some(Truth::known(overlapping)),
                    Temporal::Disjoint => Some(Truth::known(all(index) - overlapping)),
                    _ => None,
                }
            }
            Filter::Space { op, shape } => match shape {
                Shape::Box(Bbox {
                    west,
                    south,
                    east,
                    north,
                }) => {
                    let inside = index.in_bbox(*west, *south, *east, *north);
                    Some(Truth::known(match op {
                        Spatial::Intersects | Spatial::Within => inside,
                        Spatial::Disjoint => all(index) - inside,
                    }))
                }
                Shape::Geometry(_) => None,
            },
            Filter::Reporters { op, set } => {
                let of = |r: Reporter| {
                    index
                        .sets
                        .reporters
                        .get(r as usize)
                        .cloned()
                        .unwrap_or_default()
                };
                let any_of = |pick: &dyn Fn(Reporter) -> bool| {
                    let mut union = RoaringBitmap::new();
                    for r in Reporter::ALL.iter().copied().filter(|r| pick(*r)) {
                        union |= of(r);
                    }
                    union
                };
                let covers = || {
                    let mut acc = all(index);
                    for r in set.iter() {
                        acc &= of(r);
                    }
                    acc
                };
                let inside = || all(index) - any_of(&|r| !set.contains(r));
                Some(Truth::known(match op {
                    ArrayOp::Overlaps => any_of(&|r| set.contains(r)),
                    ArrayOp::Contains => covers(),
                    ArrayOp::ContainedBy => inside(),
                    ArrayOp::Equals => covers() & inside(),
                }))
            }
        }
    }

    /// The parts of a top-level `AND` (or the filter itself).
    pub fn conjuncts(&self) -> Vec<&Filter> {
        match self {
            Filter::And(parts) => parts.iter().collect(),
            other => vec![other],
        }
    }
}
