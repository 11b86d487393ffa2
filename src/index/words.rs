//! The words of every incident's folded search text, each with the incidents holding it, so
//! that a `q` search reads the incidents of the words that contain what was asked instead of
//! every incident's text (a million texts take about 100 ms to read; the words containing a
//! query are found through their three-byte pieces in microseconds).
//!
//! Words are what lies between spaces. A query without a space lies inside one word of every
//! text it is in, so the incidents of the words containing it are exactly the incidents whose
//! text contains it. A query with spaces is in texts holding, for each of its parts, a word
//! containing that part: their intersection holds every match and may hold more, so it is
//! checked text by text.

use super::held::Held;
use super::kept::Kept;
use super::lists::{ChunkKeys, Lists, ascending_below, covers, numbered};
use memchr::memmem::Finder;
use rayon::prelude::*;
use roaring::RoaringBitmap;
use std::collections::HashMap;
use std::ops::Range;
use xxhash_rust::xxh3::Xxh3DefaultBuilder;

/// A part of a query found in more words than this has the union of their incidents kept
/// (a few, the latest) for the next query asking for the same part: a part of one or two
/// letters is in most words, and their union takes milliseconds.
const KEEP_UNION: usize = 256;

/// A light search (see [`Words::is_light`]) reads at most this many words holding the
/// query's rarest piece, and its words hold at most this many incidents as runs of lists.
const LIGHT_WORDS: usize = 4096;
const LIGHT_POSTINGS: usize = 65_536;
/// A light search has at most this many words, and reads at most this many texts one by one
/// (those holding a middle word of it twice).
const LIGHT_PARTS: usize = 8;
const LIGHT_CHECKS: usize = 256;

/// How many texts one worker reads at a time while the index is built.
const CHUNK: usize = 16_384;

/// One chunk of texts' words: each distinct word once, each text's words in order by their
/// place in that list (then, once every chunk is read, by their number in the whole sorted
/// vocabulary), and whether every text is its words with one space between each two.
struct Chunk<'t> {
    words: Vec<&'t str>,
    in_order: Vec<u32>,
    /// How many of `in_order` each text has.
    lens: Vec<u32>,
    spaced: bool,
}

impl<'t> Chunk<'t> {
    fn new(texts: &'t [Box<str>]) -> Chunk<'t> {
        let mut number: HashMap<&str, u32, Xxh3DefaultBuilder> =
            HashMap::with_hasher(Xxh3DefaultBuilder);
        let mut chunk = Chunk {
            words: Vec::new(),
            in_order: Vec::new(),
            lens: Vec::with_capacity(texts.len()),
            spaced: true,
        };
        for text in texts {
            let mut len = 0;
            for word in text.split_whitespace() {
                let next = chunk.words.len() as u32;
                let w = *number.entry(word).or_insert(next);
                if w == next {
                    chunk.words.push(word);
                }
                chunk.in_order.push(w);
                len += 1;
            }
            chunk.lens.push(len);
            chunk.spaced &= text.is_empty()
                || text
                    .split(' ')
                    .all(|w| !w.is_empty() && !w.contains(char::is_whitespace));
        }
        chunk
    }

    /// Each text's keys from its words in order (`key` of each text's words), distinct, and
    /// the chunk's distinct keys they number.
    fn keys<K: Copy + Eq + std::hash::Hash>(
        &self,
        key: impl Fn(&[u32]) -> Vec<K>,
    ) -> (Vec<K>, ChunkKeys) {
        let mut number: HashMap<K, u32, Xxh3DefaultBuilder> =
            HashMap::with_hasher(Xxh3DefaultBuilder);
        let (mut distinct, mut keys, mut lens) = (Vec::new(), Vec::new(), Vec::new());
        let mut words = self.in_order.as_slice();
        let mut mine = Vec::new();
        for len in &self.lens {
            let (of_text, rest) = words.split_at(*len as usize);
            words = rest;
            mine.clear();
            for k in key(of_text) {
                let next = distinct.len() as u32;
                let n = *number.entry(k).or_insert(next);
                if n == next {
                    distinct.push(k);
                }
                mine.push(n);
            }
            mine.sort_unstable();
            mine.dedup();
            keys.extend_from_slice(&mine);
            lens.push(mine.len() as u32);
        }
        (distinct, ChunkKeys { keys, lens })
    }
}

/// One chunk's words of each text, and the words each text holds more than once.
type WordKeys = (ChunkKeys, ChunkKeys);
/// One chunk's distinct pairs, and the pairs of each text.
type PairKeys = (Vec<u64>, ChunkKeys);

/// The words (by number) that a text's words (in order) hold more than once.
fn repeated(words: &[u32]) -> Vec<u32> {
    let mut sorted = words.to_vec();
    sorted.sort_unstable();
    let mut twice: Vec<u32> = sorted
        .windows(2)
        .filter(|w| w[0] == w[1])
        .map(|w| w[0])
        .collect();
    twice.dedup();
    twice
}

/// Two words side by side (by number), as one key.
fn pair(a: u32, b: u32) -> u64 {
    (u64::from(a) << 32) | u64::from(b)
}

/// The words of incidents `0..count`, the incidents of each word and of each two words side
/// by side (kept in a snapshot: building them takes a second or two at a million incidents).
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Words {
    count: u32,
    /// Every distinct word, sorted, one after the other.
    text: String,
    /// Where each word ends in `text` (a word starts where the one before it ends).
    ends: Vec<usize>,
    /// The incidents of each word.
    incidents: Lists,
    /// Every two words found side by side in a text (`pair(first, second)`), ascending, and
    /// the incidents of each.
    pairs: Vec<u64>,
    pair_incidents: Lists,
    /// The incidents whose text holds each word more than once: a search of three words or
    /// more found by its pairs is exact outside those of its middle words (a middle word
    /// standing once in a text, its two pairs there share it, so they stand together).
    repeats: Lists,
    /// Whether every text is its words with one space between each two, so that two words
    /// side by side are exactly the two words around a space.
    spaced: bool,
    /// Every three-byte piece of any word, ascending, and the words holding each:
    /// `piece_words[piece_starts[p]..piece_starts[p + 1]]`, ascending.
    pieces: Vec<u32>,
    piece_starts: Vec<usize>,
    piece_words: Vec<u32>,
    /// Unions kept for parts found in many words (see [`KEEP_UNION`]).
    #[serde(skip)]
    unions: Kept<Box<str>, RoaringBitmap, 8>,
    /// The words found for parts too short to have a piece (every word read).
    #[serde(skip)]
    scanned: Kept<Box<str>, Vec<u32>, 8>,
}

/// A three-byte piece of a word, as a number.
fn piece(bytes: &[u8]) -> u32 {
    u32::from_be_bytes([0, bytes[0], bytes[1], bytes[2]])
}

/// The distinct three-byte pieces of `bytes`, ascending.
fn pieces_of(bytes: &[u8]) -> Vec<u32> {
    let mut pieces: Vec<u32> = bytes.windows(3).map(piece).collect();
    pieces.sort_unstable();
    pieces.dedup();
    pieces
}

/// The intersection of `sets` (`None`: no set), the smallest first. A set of all `every`
/// incidents (a word or pair in every text, as a word of a dataset's boilerplate) bounds
/// nothing, and is left out rather than read whole: with a million incidents, its 128 KB.
fn intersection(mut sets: Vec<Held<'_>>, every: u32) -> Option<Held<'_>> {
    sets.sort_by_key(|s| s.len());
    while sets.len() > 1 && sets.last().is_some_and(|s| s.len() >= u64::from(every)) {
        sets.pop();
    }
    let mut sets = sets.into_iter();
    let first = sets.next()?;
    Some(sets.fold(first, |both, set| both.intersect(&set)))
}

/// The first place from `from` on in `list` (ascending) holding `key` or more: found by steps
/// doubling from `from`, then halving, so a search near the one before it costs little.
fn gallop(list: &[u64], from: usize, key: u64) -> usize {
    let (mut low, mut high, mut step) = (from, from, 1);
    while high < list.len() && list[high] < key {
        low = high + 1;
        high = high.saturating_add(step);
        step *= 2;
    }
    let high = high.min(list.len()).max(low);
    low + list[low..high].partition_point(|p| *p < key)
}

/// Whether the incidents of the keys in `ranges` are few: at most [`LIGHT_POSTINGS`] as runs
/// and four sets.
fn few_incidents(lists: &Lists, ranges: &[Range<u32>]) -> bool {
    let (postings, sets) = lists.weigh(ranges);
    sets <= 4 && postings <= LIGHT_POSTINGS
}

/// Each of `keys` as a range of one.
fn each(keys: &[u32]) -> Vec<Range<u32>> {
    keys.iter().map(|k| *k..k + 1).collect()
}

impl Words {
    /// The words of `texts` (incident `i`'s text at `i`).
    pub fn new(texts: &[Box<str>]) -> Words {
        // Each chunk of texts numbers the words it meets; most words recur, so the words of
        // every chunk together are few beside the words of every text.
        let mut chunks: Vec<Chunk> = texts.par_chunks(CHUNK).map(Chunk::new).collect();
        let met: Vec<Vec<&str>> = chunks
            .iter_mut()
            .map(|c| std::mem::take(&mut c.words))
            .collect();
        let (sorted, number) = numbered(&met);
        chunks
            .par_iter_mut()
            .zip(&number)
            .for_each(|(chunk, number)| {
                for w in &mut chunk.in_order {
                    *w = number[*w as usize];
                }
            });
        drop(number);
        let spaced = chunks.iter().all(|c| c.spaced);
        let (words_of, pairs_of): (Vec<WordKeys>, Vec<PairKeys>) = chunks
            .par_iter()
            .map(|chunk| {
                // Words are numbered in the whole vocabulary already.
                let (numbers, mut words) = chunk.keys(|words| words.to_vec());
                for w in &mut words.keys {
                    *w = numbers[*w as usize];
                }
                let (numbers, mut repeats) = chunk.keys(repeated);
                for w in &mut repeats.keys {
                    *w = numbers[*w as usize];
                }
                let pairs =
                    chunk.keys(|words| words.windows(2).map(|w| pair(w[0], w[1])).collect());
                ((words, repeats), pairs)
            })
            .unzip();
        drop(chunks);
        let (words_of, repeats_of): (Vec<ChunkKeys>, Vec<ChunkKeys>) = words_of.into_iter().unzip();
        let incidents = Lists::new(sorted.len(), &words_of);
        drop(words_of);
        let repeats = Lists::new(sorted.len(), &repeats_of);
        drop(repeats_of);
        let (met, mut pair_keys): (Vec<Vec<u64>>, Vec<ChunkKeys>) = pairs_of.into_iter().unzip();
        let (pairs, number) = numbered(&met);
        drop(met);
        pair_keys
            .par_iter_mut()
            .zip(&number)
            .for_each(|(chunk, number)| {
                for k in &mut chunk.keys {
                    *k = number[*k as usize];
                }
            });
        let pair_incidents = Lists::new(pairs.len(), &pair_keys);
        drop(pair_keys);
        let mut text = String::with_capacity(sorted.iter().map(|w| w.len()).sum());
        let mut ends = Vec::with_capacity(sorted.len());
        for word in &sorted {
            text.push_str(word);
            ends.push(text.len());
        }
        let mut by_piece: Vec<(u32, u32)> = sorted
            .par_iter()
            .enumerate()
            .flat_map_iter(|(w, word)| {
                pieces_of(word.as_bytes())
                    .into_iter()
                    .map(move |p| (p, w as u32))
            })
            .collect();
        by_piece.par_sort_unstable();
        let mut pieces = Vec::new();
        let mut piece_starts = Vec::new();
        let mut piece_words = Vec::with_capacity(by_piece.len());
        for (p, w) in by_piece {
            if pieces.last() != Some(&p) {
                pieces.push(p);
                piece_starts.push(piece_words.len());
            }
            piece_words.push(w);
        }
        piece_starts.push(piece_words.len());
        Words {
            count: texts.len() as u32,
            text,
            ends,
            incidents,
            pairs,
            pair_incidents,
            repeats,
            spaced,
            pieces,
            piece_starts,
            piece_words,
            unions: Kept::default(),
            scanned: Kept::default(),
        }
    }

    /// Whether these words can serve `incidents` incidents without a read out of bounds, a
    /// slice off a character's edge or a list out of order (they come from a file).
    pub fn check(&self, incidents: usize) -> Result<(), String> {
        let fail = |what: &str| Err(format!("the words' {what}"));
        let n = self.ends.len();
        if self.count as usize != incidents {
            return fail("count differs from the incidents'");
        }
        let mut start = 0;
        for end in &self.ends {
            if *end < start || !self.text.is_char_boundary(*end) {
                return fail("ends are out of order or off a character");
            }
            start = *end;
        }
        if start != self.text.len() {
            return fail("ends miss the end of their text");
        }
        let covered = covers(
            &self.piece_starts,
            self.pieces.len(),
            self.piece_words.len(),
        );
        if !covered || !self.pieces.windows(2).all(|w| w[0] < w[1]) {
            return fail("pieces are out of order or do not cover their words");
        }
        for k in 0..self.pieces.len() {
            let run = &self.piece_words[self.piece_starts[k]..self.piece_starts[k + 1]];
            if !ascending_below(run, n) {
                return fail("pieces' words are out of order or out of bounds");
            }
        }
        let words_in_bounds = |p: &u64| ((p >> 32) as usize) < n && ((*p as u32) as usize) < n;
        if !self.pairs.windows(2).all(|w| w[0] < w[1]) || !self.pairs.iter().all(words_in_bounds) {
            return fail("pairs are out of order or out of bounds");
        }
        self.incidents
            .check(n, incidents)
            .map_err(|e| format!("the words' {e}"))?;
        (self.pair_incidents.check(self.pairs.len(), incidents))
            .map_err(|e| format!("the pairs' {e}"))?;
        (self.repeats.check(n, incidents)).map_err(|e| format!("the repeated words' {e}"))?;
        Ok(())
    }

    /// How many incidents (numbers `0..count`) the words cover.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// How many distinct words there are.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    fn word(&self, w: u32) -> &str {
        let w = w as usize;
        let start = if w == 0 { 0 } else { self.ends[w - 1] };
        &self.text[start..self.ends[w]]
    }

    /// The words holding the three-byte piece `p`.
    fn holding(&self, p: u32) -> &[u32] {
        match self.pieces.binary_search(&p) {
            Ok(k) => &self.piece_words[self.piece_starts[k]..self.piece_starts[k + 1]],
            Err(_) => &[],
        }
    }

    /// The words containing `part` (no space in it), ascending; only those beginning with
    /// it when it follows a space in the query (`starts`), only those ending with it when
    /// a space follows it (`ends`).
    fn words_with(&self, part: &str, starts: bool, ends: bool) -> Vec<u32> {
        if starts {
            return self.words_beginning(part, ends).collect();
        }
        let finder = Finder::new(part.as_bytes());
        let holds = |w: &u32| {
            let word = self.word(*w);
            finder.find(word.as_bytes()).is_some() && (!ends || word.ends_with(part))
        };
        let bytes = part.as_bytes();
        if bytes.len() < 3 {
            // Too short to have a piece: every word is read, and what is found kept.
            let key = Self::key(part, false, ends);
            let found = self
                .scanned
                .with(key, || (0..self.len() as u32).filter(holds).collect());
            return found.to_vec();
        }
        let mut lists: Vec<&[u32]> = pieces_of(bytes)
            .into_iter()
            .map(|p| self.holding(p))
            .collect();
        lists.sort_by_key(|l| l.len());
        let mut found = lists[0].to_vec();
        for list in &lists[1..] {
            if found.len() <= 64 {
                break;
            }
            found.retain(|w| list.binary_search(w).is_ok());
        }
        found.retain(holds);
        found
    }

    /// The words beginning with `part`, only `part` itself when a space follows it in the
    /// query (`ends`): side by side in the sorted vocabulary, the word itself (if any) first.
    fn words_beginning(&self, part: &str, ends: bool) -> Range<u32> {
        let (from, to) = self.beginning_with(part);
        match ends {
            true => from..to.min(from + u32::from(self.word_is(from, part))),
            false => from..to,
        }
    }

    /// [`Words::words_with`] as ranges of words.
    fn word_ranges(&self, part: &str, starts: bool, ends: bool) -> Vec<Range<u32>> {
        match starts {
            true => vec![self.words_beginning(part, ends)],
            false => each(&self.words_with(part, false, ends)),
        }
    }

    /// The first word from `from` on (in sorted order) for which `past` holds, when it holds
    /// for every word after one it holds for.
    fn first_past(&self, from: u32, past: impl Fn(&str) -> bool) -> u32 {
        let (mut low, mut high) = (from, self.len() as u32);
        while low < high {
            let mid = low + (high - low) / 2;
            if past(self.word(mid)) {
                high = mid;
            } else {
                low = mid + 1;
            }
        }
        low
    }

    /// Whether word `w` exists and is `text`.
    fn word_is(&self, w: u32, text: &str) -> bool {
        (w as usize) < self.len() && self.word(w) == text
    }

    /// The incidents whose text holds `part` (no space in it) as [`Words::words_with`]
    /// finds it.
    fn with_part(&self, part: &str, starts: bool, ends: bool) -> Held<'_> {
        let key = Self::key(part, starts, ends);
        if let Some(kept) = self.unions.kept(&key) {
            return Held::Kept(kept);
        }
        let words = self.word_ranges(part, starts, ends);
        let set = self.incidents.incidents_in(&words);
        if words.iter().map(|r| r.len()).sum::<usize>() > KEEP_UNION {
            return Held::Kept(self.unions.with(key, || set.into_owned()));
        }
        set.into()
    }

    /// Whether [`Words::containing`] finds `query` exactly with a small, bounded amount of
    /// work. One part, with no space before or after it: when there are at most
    /// [`LIGHT_WORDS`] words in all, when its incidents are kept, or when it has a piece held
    /// by at most [`LIGHT_WORDS`] words and its words hold few incidents (see
    /// [`Words::few_incidents`]). Two parts to [`LIGHT_PARTS`], with one space between each
    /// two, in texts with single spaces: when the first has such a piece, each part's pairs
    /// with the next hold few incidents, and the texts holding a middle word twice (to be
    /// read one by one) are at most [`LIGHT_CHECKS`].
    pub fn is_light(&self, query: &str) -> bool {
        let parts: Vec<&str> = query.split_whitespace().collect();
        match parts.as_slice() {
            [part] if part.len() == query.len() => {
                if self.len() <= LIGHT_WORDS
                    || self.unions.kept(&Self::key(part, false, false)).is_some()
                {
                    return true;
                }
                self.has_a_rare_piece(part)
                    && few_incidents(&self.incidents, &each(&self.words_with(part, false, false)))
            }
            [first, ..]
                if parts.len() <= LIGHT_PARTS
                    && self.spaced
                    && Self::single_spaced(query, &parts) =>
            {
                if !self.has_a_rare_piece(first) {
                    return false;
                }
                let last = parts.len() - 1;
                let mut middles = Vec::new();
                let pairs_few = (0..last).all(|k| {
                    let (starts, ends) = (k > 0, k + 1 < last);
                    if starts {
                        middles.push(self.words_beginning(parts[k], true));
                    }
                    let key = Self::pair_key(parts[k], parts[k + 1], starts, ends);
                    if self.unions.kept(&key).is_some() {
                        return true;
                    }
                    let firsts = self.words_with(parts[k], starts, true);
                    let seconds = self.words_beginning(parts[k + 1], ends);
                    self.pairs_between(&firsts, seconds, LIGHT_WORDS)
                        .is_some_and(|found| few_incidents(&self.pair_incidents, &found))
                });
                let (checks, sets) = self.repeats.weigh(&middles);
                pairs_few && sets == 0 && checks <= LIGHT_CHECKS
            }
            _ => false,
        }
    }

    /// Whether `query` is its `parts` with one space (and no other blank) between each two.
    fn single_spaced(query: &str, parts: &[&str]) -> bool {
        query.len() == parts.iter().map(|p| p.len() + 1).sum::<usize>() - 1
            && !query.contains(|c: char| c.is_whitespace() && c != ' ')
    }

    /// Whether `part` has a three-byte piece held by at most [`LIGHT_WORDS`] words.
    fn has_a_rare_piece(&self, part: &str) -> bool {
        pieces_of(part.as_bytes())
            .into_iter()
            .map(|p| self.holding(p).len())
            .min()
            .is_some_and(|n| n <= LIGHT_WORDS)
    }

    /// The words (a range of the sorted vocabulary) beginning with `text`.
    fn beginning_with(&self, text: &str) -> (u32, u32) {
        let from = self.first_past(0, |word| word >= text);
        (from, self.first_past(from, |word| !word.starts_with(text)))
    }

    fn key(part: &str, starts: bool, ends: bool) -> Box<str> {
        format!("{}{}{part}", u8::from(starts), u8::from(ends)).into()
    }

    /// The incidents holding a word with `first` followed by one with `second` after one
    /// space (the first word beginning with `first` when `starts`, the second ending with
    /// `second` when `ends`): kept, like a part's union, when that unites many pairs (a
    /// client reading every page of a search asks for it again and again).
    fn side_by_side(&self, first: &str, second: &str, starts: bool, ends: bool) -> Held<'_> {
        let key = Self::pair_key(first, second, starts, ends);
        if let Some(kept) = self.unions.kept(&key) {
            return Held::Kept(kept);
        }
        let firsts = self.words_with(first, starts, true);
        let seconds = self.words_beginning(second, ends);
        let found = self
            .pairs_between(&firsts, seconds, usize::MAX)
            .expect("no bound");
        let set = self.pair_incidents.incidents_in(&found);
        if found.iter().map(|r| r.len()).sum::<usize>() > KEEP_UNION {
            return Held::Kept(self.unions.with(key, || set.into_owned()));
        }
        set.into()
    }

    /// What the union of the pairs of two parts is kept under (a space in it: never a part's
    /// key).
    fn pair_key(first: &str, second: &str, starts: bool, ends: bool) -> Box<str> {
        format!("{}{}{first} {second}", u8::from(starts), u8::from(ends)).into()
    }

    /// The pairs (ranges of places in `pairs`) of a word of `firsts` followed by a word of
    /// `seconds`: the pairs of one first word with the words of a range are side by side in
    /// `pairs`, so each first word takes two binary searches; `None` when there are more than
    /// `most` first words.
    fn pairs_between(
        &self,
        firsts: &[u32],
        seconds: Range<u32>,
        most: usize,
    ) -> Option<Vec<Range<u32>>> {
        if firsts.len() > most {
            return None;
        }
        // Each search starts where the one before it ended (the first words ascend).
        let mut from = 0;
        let mut found = Vec::new();
        for a in firsts {
            let start = gallop(&self.pairs, from, pair(*a, seconds.start));
            from = gallop(&self.pairs, start, pair(*a, seconds.end));
            if from > start {
                found.push(start as u32..from as u32);
            }
        }
        Some(found)
    }

    /// [`Words::containing`] for a query of several words with one space between each two
    /// and none around them, by the words found side by side: exactly when there are two,
    /// or outside the texts holding one of its middle words twice.
    fn containing_spaced(&self, parts: &[&str]) -> (Held<'_>, Unsure) {
        let last = parts.len() - 1;
        let mut sets: Vec<Held<'_>> = Vec::with_capacity(last);
        let mut middles = Vec::new();
        for k in 0..last {
            if k > 0 {
                middles.push(self.words_beginning(parts[k], true));
            }
            let set = self.side_by_side(parts[k], parts[k + 1], k > 0, k + 1 < last);
            if set.is_empty() {
                return (set, Unsure::Nothing);
            }
            sets.push(set);
        }
        let set = intersection(sets, self.count).expect("two parts or more make a pair");
        let mut unsure = self.repeats.incidents_in(&middles).into_owned();
        unsure &= &*set;
        match unsure.is_empty() {
            true => (set, Unsure::Nothing),
            false => (set, Unsure::These(unsure)),
        }
    }

    /// The incidents (of `0..count`) whose text holds `query` (folded as the texts are), and
    /// which of them are still to be checked text by text: each of them has the query's
    /// words in it, each where the query puts it, but maybe not side by side. `None` when the
    /// query has no word (every text holds it).
    pub fn containing(&self, query: &str) -> Option<(Held<'_>, Unsure)> {
        let parts: Vec<&str> = query.split_whitespace().collect();
        let (before, after) = (
            query.starts_with(char::is_whitespace),
            query.ends_with(char::is_whitespace),
        );
        let last = parts.len().checked_sub(1)?;
        if last > 0 && self.spaced && Self::single_spaced(query, &parts) {
            return Some(self.containing_spaced(&parts));
        }
        let mut sets: Vec<Held<'_>> = Vec::with_capacity(parts.len());
        for (k, part) in parts.iter().enumerate() {
            let set = self.with_part(part, k > 0 || before, k < last || after);
            if set.is_empty() {
                return Some((set, Unsure::Nothing));
            }
            sets.push(set);
        }
        let unsure = match last == 0 && !before && !after {
            true => Unsure::Nothing,
            false => Unsure::All,
        };
        Some((intersection(sets, self.count)?, unsure))
    }
}

/// Which of the incidents a search found by its words are still to be checked text by text.
#[derive(Debug, PartialEq)]
pub enum Unsure {
    /// None: they are exactly the matches.
    Nothing,
    /// These, a part of them.
    These(RoaringBitmap),
    /// Every one.
    All,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::lists::DENSE;

    fn texts(list: &[&str]) -> Vec<Box<str>> {
        list.iter().map(|t| (*t).into()).collect()
    }

    /// What checking every text gives.
    fn checked(texts: &[Box<str>], query: &str) -> RoaringBitmap {
        (0..texts.len() as u32)
            .filter(|i| texts[*i as usize].contains(query))
            .collect()
    }

    #[test]
    fn a_query_finds_what_checking_every_text_finds() {
        let mut list: Vec<Box<str>> = texts(&[
            "school hit in khankendi",
            "preschool damaged near ganja",
            "the schools were closed",
            "hospital in stepanakert shelled; school nearby",
            "market",
            "",
            "ab abc abcd",
            "x",
            "one two three",
            // Both pairs of "one two three", apart.
            "one two and two three",
            // "one two three" with its middle word twice.
            "two one two three",
            // Both pairs of "incident 1 near" but for the word "1" itself.
            "incident 12 and 1 near",
        ]);
        // Enough texts for some words to be dense.
        for n in 0..(DENSE as u32 + 500) {
            list.push(format!("synthetic incident {n} near town{}", n % 7).into());
        }
        // A word held twice in more texts than a light search reads one by one.
        for _ in 0..=LIGHT_CHECKS {
            list.push("echo echo echo".into());
        }
        let words = Words::new(&list);
        assert_eq!(words.count(), list.len() as u32);
        assert!(
            words
                .incidents
                .weigh(std::slice::from_ref(&(0..words.len() as u32)))
                .1
                > 0,
            "some words are dense"
        );
        assert!(words.spaced);
        assert!(
            words.len() > LIGHT_WORDS,
            "too many words to read them all lightly"
        );
        for light in [
            "synthetic",
            "school",
            "zzz",
            "4095",
            "town3",
            "near town1",
            "incident 1",
            "incident 4095",
            "incident 12 near",
            "synthetic incident 12 near town1",
            "echo echo",
        ] {
            assert!(words.is_light(light), "{light}");
        }
        for heavy in [
            "1",
            "in near",
            " school",
            "school ",
            "near  town1",
            "near\ttown1",
            "synthetic incident 1 near town1 synthetic incident 1 near",
            "echo echo echo",
        ] {
            assert!(!words.is_light(heavy), "{heavy}");
        }
        // Three words or more are exact where their middle words stand once in each text.
        for sure in [
            "synthetic incident 12",
            "incident 12 near town1",
            "one two three four",
        ] {
            let (_, unsure) = words.containing(sure).expect("a word");
            assert_eq!(unsure, Unsure::Nothing, "{sure:?}");
        }
        let mut partly_unsure = 0;
        for query in [
            // The pairs of "incident 1" are many (kept); those of "incident 1 near" are the
            // pair with the word "1" alone.
            "incident 1",
            "incident 1 near",
            "echo echo echo",
            "school",
            "chool",
            "schools",
            "sch",
            "s",
            "ab",
            "abc",
            "abcd",
            "a",
            "x",
            "ket",
            "market",
            "nearby",
            "synthetic",
            "incident",
            "12",
            "123",
            "4095",
            "town3",
            "own",
            "zzz",
            "ganja",
            "incident 12",
            "school hit",
            "n 4",
            "d; school",
            "near town1",
            "12 near",
            "2 near",
            "incident 12 near town1",
            "ab abc",
            "b ab",
            "hit in khankendi",
            "t in k",
            "ab abc abcd",
            "one two three",
            "two three",
            "o two t",
        ] {
            let (set, unsure) = words.containing(query).expect("the query has a word");
            let truth = checked(&list, query);
            assert!(truth.is_subset(&set), "{query:?}: every match is found");
            // Reading the unsure ones text by text gives exactly what checking finds.
            let sure = match &unsure {
                Unsure::Nothing => RoaringBitmap::clone(&set),
                Unsure::These(unsure) => {
                    assert!(unsure.is_subset(&set), "{query:?}");
                    partly_unsure += 1;
                    &*set - unsure
                }
                Unsure::All => {
                    assert!(query.contains(' '), "{query:?} is exact without a space");
                    RoaringBitmap::new()
                }
            };
            let read: RoaringBitmap = set
                .iter()
                .filter(|i| sure.contains(*i) || list[*i as usize].contains(query))
                .collect();
            assert_eq!(read, truth, "{query:?}");
            // A second time, through what is kept.
            assert_eq!(
                *words.containing(query).expect("a word").0,
                *set,
                "{query:?}"
            );
        }
        assert!(partly_unsure >= 1, "no query was left partly to check");
        words.containing("1");
        assert!(words.unions.count() > 0, "a short part's union is kept");
        assert!(words.is_light("1"), "a short part once its union is kept");
        assert!(words.containing("").is_none());
        assert!(words.containing("  ").is_none());
    }

    #[test]
    fn words_in_every_text_are_left_out_of_an_intersection_and_nothing_else_is() {
        // Every text holds "incident"; all but one "synthetic incident"; the rest varies.
        let mut list: Vec<Box<str>> = (0..DENSE as u32 + 500)
            .map(|n| format!("synthetic incident {n} near town{}", n % 7).into())
            .collect();
        list.push("incident 5 near town5".into());
        let words = Words::new(&list);
        for query in [
            "synthetic incident 5",
            "synthetic incident 12 near",
            "incident 12 near town1",
            "synthetic incident",
            "synthetic 5",
            "incident town1",
        ] {
            let (set, unsure) = words.containing(query).expect("a word");
            let truth = checked(&list, query);
            match unsure {
                Unsure::Nothing => assert_eq!(*set, truth, "{query:?}"),
                _ => assert!(set.is_superset(&truth), "{query:?}"),
            }
        }
    }

    #[test]
    fn words_from_a_file_are_checked_before_they_are_read() {
        let list = texts(&["école ab", "ab cd", "ééé"]);
        let words = Words::new(&list);
        assert_eq!(words.check(3), Ok(()));
        assert!(words.check(4).is_err(), "another count");
        let bytes = bincode::serde::encode_to_vec(&words, bincode::config::standard()).unwrap();
        let read = |bytes: &[u8]| -> Words {
            bincode::serde::decode_from_slice(bytes, bincode::config::standard())
                .unwrap()
                .0
        };
        assert_eq!(read(&bytes).check(3), Ok(()));
        let damaged: [fn(&mut Words); 6] = [
            |w| w.ends[2] = 5, // inside the "é" of "école"
            |w| w.ends.swap(0, 1),
            |w| w.pairs.swap(0, 1),
            |w| w.pairs[0] = pair(99, 0),
            |w| *w.piece_starts.last_mut().unwrap() += 1,
            |w| w.piece_words[0] = 99,
        ];
        for (k, damage) in damaged.iter().enumerate() {
            let mut w = read(&bytes);
            damage(&mut w);
            assert!(w.check(3).is_err(), "damage {k}");
        }
    }

    #[test]
    fn a_query_with_a_leading_or_trailing_space_is_checked_text_by_text() {
        let list = texts(&["ab cd", "abcd", "cd ab"]);
        let words = Words::new(&list);
        // Words side by side are two words around a space only when every text has single
        // spaces: with a tab or two spaces somewhere, "ab cd" is checked text by text.
        for odd in ["ab\tcd", "ab  cd"] {
            let list = texts(&["ab cd", odd]);
            let words = Words::new(&list);
            assert!(!words.spaced, "{odd:?}");
            let (set, unsure) = words.containing("ab cd").expect("a word");
            assert!(unsure == Unsure::All && set.contains(1), "{odd:?}");
        }
        for query in [" cd", "ab ", " ab", " abcd", "abcd ", " ab cd "] {
            let (set, unsure) = words.containing(query).expect("a word");
            assert_eq!(unsure, Unsure::All, "{query:?}");
            assert!(checked(&list, query).is_subset(&set), "{query:?}");
        }
    }
}
