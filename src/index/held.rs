//! A set of incidents as a query holds it: borrowed from the index, shared with a table the
//! index keeps (a search's union of words, the intersection of a type and a weapon), or made
//! for the query. A shared set is read where it lies, and copied only if the query changes
//! it: a search matching a hundred thousand incidents copied its 30 KB set on every request.

use roaring::RoaringBitmap;
use std::borrow::Cow;
use std::ops::Deref;
use std::sync::Arc;

#[derive(Debug)]
pub enum Held<'a> {
    Borrowed(&'a RoaringBitmap),
    Kept(Arc<RoaringBitmap>),
    Made(RoaringBitmap),
}

/// An empty set, made.
impl Default for Held<'_> {
    fn default() -> Self {
        Held::Made(RoaringBitmap::new())
    }
}

impl Deref for Held<'_> {
    type Target = RoaringBitmap;

    fn deref(&self) -> &RoaringBitmap {
        match self {
            Held::Borrowed(set) => set,
            Held::Kept(set) => set,
            Held::Made(set) => set,
        }
    }
}

impl<'a> From<Cow<'a, RoaringBitmap>> for Held<'a> {
    fn from(set: Cow<'a, RoaringBitmap>) -> Self {
        match set {
            Cow::Borrowed(set) => Held::Borrowed(set),
            Cow::Owned(set) => Held::Made(set),
        }
    }
}

impl Held<'_> {
    /// The set to change: copied first unless it was made for the query.
    pub fn to_mut(&mut self) -> &mut RoaringBitmap {
        if !matches!(self, Held::Made(_)) {
            *self = Held::Made(std::mem::take(self).into_owned());
        }
        match self {
            Held::Made(set) => set,
            _ => unreachable!("made just above"),
        }
    }

    /// The set as the query's own.
    pub fn into_owned(self) -> RoaringBitmap {
        match self {
            Held::Borrowed(set) => set.clone(),
            Held::Kept(set) => Arc::unwrap_or_clone(set),
            Held::Made(set) => set,
        }
    }

    /// The intersection with `other`: in place when the set was made for the query, else
    /// made from the two as they lie (not a copy, then intersected).
    pub fn intersect(self, other: &RoaringBitmap) -> Held<'static> {
        match self {
            Held::Made(mut set) => {
                set &= other;
                Held::Made(set)
            }
            held => Held::Made(&*held & other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_set_is_copied_only_when_changed() {
        let own: RoaringBitmap = (0..10).collect();
        let kept = Arc::new((5..20).collect::<RoaringBitmap>());
        let mut shared = Held::Kept(kept.clone());
        assert_eq!(shared.len(), 15);
        shared.to_mut().remove(5);
        assert_eq!(
            (shared.len(), kept.len()),
            (14, 15),
            "the kept set is not changed"
        );
        let mut borrowed = Held::Borrowed(&own);
        borrowed.to_mut().insert(99);
        assert_eq!((borrowed.len(), own.len()), (11, 10));
        let both = Held::Kept(kept.clone()).intersect(&own);
        assert_eq!(both.into_owned(), (5..10).collect::<RoaringBitmap>());
        let made = Held::Made(own.clone()).intersect(&kept);
        assert_eq!(*made, (5..10).collect::<RoaringBitmap>());
        assert_eq!(Held::Kept(kept.clone()).into_owned(), *kept);
        assert_eq!(Held::Borrowed(&own).into_owned(), own);
    }
}
