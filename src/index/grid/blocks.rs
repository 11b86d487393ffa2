//! A coarser level of the grid: blocks of 4 × 4 cells, each holding its cells' incidents as
//! one ascending list. A box's interior then counts and merges a dozen blocks where it would
//! take two hundred cells; with days, each of those cells cost two searches and a run in the
//! merge (a third of a box-and-days query at a million). Only blocks that lie wholly inside a
//! box or a circle are read whole; its edges are read cell by cell as before.

/// Cells per side of a block.
const SIDE: i32 = 4;

/// A cell's block, when its block has one.
const NONE: u32 = u32::MAX;

#[derive(Debug, Default)]
pub(super) struct Blocks {
    /// Each cell's block (by the cell's number in the grid), or [`NONE`] for a cell alone in
    /// its block (a block of one cell saves nothing and would hold its incidents twice).
    of_cell: Vec<u32>,
    /// Each block's coordinates in blocks (the cell's divided by [`SIDE`], rounded down).
    keys: Vec<(i32, i32)>,
    /// The number of the block's first cell in the grid's order (column, then row): the
    /// block is visited when that cell is.
    first_cell: Vec<u32>,
    /// Block `b`'s incidents are `members[starts[b]..starts[b + 1]]`.
    starts: Vec<u32>,
    /// Incident numbers grouped by block, ascending within a block.
    members: Vec<u32>,
    /// The extent of each block's members: `[west, south, east, north]`.
    bounds: Vec<[f64; 4]>,
}

/// The block holding cell `(x, y)`.
fn block_of((x, y): (i32, i32)) -> (i32, i32) {
    (x.div_euclid(SIDE), y.div_euclid(SIDE))
}

impl Blocks {
    /// The blocks of the grid's cells: `keys` ascending by column then row, cell `k`'s
    /// members (ascending) at `members[starts[k]..starts[k + 1]]`, their extent `bounds[k]`.
    pub(super) fn new(
        keys: &[(i32, i32)],
        starts: &[u32],
        members: &[u32],
        bounds: &[[f64; 4]],
    ) -> Blocks {
        let mut cells: Vec<((i32, i32), u32)> = keys
            .iter()
            .enumerate()
            .map(|(k, key)| (block_of(*key), k as u32))
            .collect();
        // By block, and within a block by cell number (its first cell first).
        cells.sort_unstable();
        let mut blocks = Blocks {
            of_cell: vec![NONE; keys.len()],
            starts: vec![0],
            ..Blocks::default()
        };
        for group in cells.chunk_by(|a, b| a.0 == b.0) {
            if group.len() < 2 {
                continue;
            }
            let b = blocks.keys.len() as u32;
            let from = blocks.members.len();
            let mut extent = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
            for (_, k) in group {
                let k = *k as usize;
                blocks.of_cell[k] = b;
                blocks
                    .members
                    .extend_from_slice(&members[starts[k] as usize..starts[k + 1] as usize]);
                let [w, s, e, n] = bounds[k];
                extent = [
                    extent[0].min(w),
                    extent[1].min(s),
                    extent[2].max(e),
                    extent[3].max(n),
                ];
            }
            blocks.members[from..].sort_unstable();
            blocks.keys.push(group[0].0);
            blocks.first_cell.push(group[0].1);
            blocks.starts.push(blocks.members.len() as u32);
            blocks.bounds.push(extent);
        }
        blocks
    }

    /// The block of cell `k` when `inside` finds the block, given its coordinates in blocks
    /// and the extent of its members, wholly inside the area being read: its incidents need
    /// no check, and none of its cells need be read. `Some(None)`: such a block, read at
    /// another of its cells; `Some(Some((from, members)))`: at this one, its first, with
    /// where its members begin among the blocks' members.
    ///
    /// Every cell of such a block is visited, so the block is read once: its members lie in
    /// the area, so their cells lie among those the area's box spans (a cell is its members'
    /// position divided and rounded down, which keeps order), and those are all visited.
    #[inline]
    pub(super) fn whole_at(
        &self,
        k: usize,
        inside: impl FnOnce((i32, i32), [f64; 4]) -> bool,
    ) -> Option<Option<(u32, &[u32])>> {
        let b = *self.of_cell.get(k)?;
        if b == NONE || !inside(self.keys[b as usize], self.bounds[b as usize]) {
            return None;
        }
        let b = b as usize;
        let (from, to) = (self.starts[b], self.starts[b + 1]);
        Some(
            (self.first_cell[b] as usize == k)
                .then(|| (from, &self.members[from as usize..to as usize])),
        )
    }

    /// Where each block's members begin among [`Blocks::members`], and where the last ends.
    pub(super) fn starts(&self) -> &[u32] {
        &self.starts
    }

    /// Every block's members, block after block.
    pub(super) fn members(&self) -> &[u32] {
        &self.members
    }

    /// The longitudes `[west, east]` of the cells of blocks in column `x` of blocks, for a
    /// cell size of `cell_deg` degrees.
    pub(super) fn columns_of(x: i32, cell_deg: f64) -> [f64; 2] {
        let west = f64::from(x * SIDE) * cell_deg;
        [west, west + f64::from(SIDE) * cell_deg]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cells in blocks of several, one cell alone in its block, and cells either side of
    /// zero (where rounding down and truncating differ).
    #[test]
    fn a_block_holds_its_cells_members_ascending_and_no_block_holds_one_cell() {
        let keys = [(-8, 1), (-5, 0), (-1, -1), (0, 0), (0, 3), (1, 2), (9, 9)];
        let cells: [&[u32]; 7] = [&[1], &[4, 9], &[7], &[0, 8], &[2, 6], &[3, 5], &[10]];
        let mut starts = vec![0];
        let mut members = Vec::new();
        let mut bounds = Vec::new();
        for (key, cell) in keys.iter().zip(cells) {
            members.extend_from_slice(cell);
            starts.push(members.len() as u32);
            let (x, y) = (f64::from(key.0), f64::from(key.1));
            bounds.push([x, y, x + 0.5, y + 0.5]);
        }
        let blocks = Blocks::new(&keys, &starts, &members, &bounds);
        // (-8, 1) and (-5, 0) share block (-2, 0); (0, 0), (0, 3), (1, 2) share (0, 0);
        // (-1, -1) and (9, 9) are alone in theirs.
        assert_eq!(blocks.keys, [(-2, 0), (0, 0)]);
        assert_eq!(blocks.members, [1, 4, 9, 0, 2, 3, 5, 6, 8]);
        assert_eq!(blocks.starts, [0, 3, 9]);
        assert_eq!(blocks.first_cell, [0, 3]);
        assert_eq!(blocks.of_cell, [0, 0, NONE, 1, 1, 1, NONE]);
        assert_eq!(
            blocks.bounds,
            [[-8.0, 0.0, -4.5, 1.5], [0.0, 0.0, 1.5, 3.5]]
        );
        let whole = |_, _| true;
        assert_eq!(
            blocks.whole_at(3, whole),
            Some(Some((3, &blocks.members[3..9])))
        );
        assert_eq!(blocks.whole_at(4, whole), Some(None));
        assert_eq!(blocks.whole_at(2, whole), None);
        assert_eq!(blocks.whole_at(0, |_, _| false), None);
        assert_eq!(Blocks::columns_of(-1, 0.5), [-2.0, 0.0]);
    }
}
