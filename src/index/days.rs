//! Where each day begins among an index's numbers. Numbers below the base are in date order,
//! so the incidents that begin on a day are one run of numbers; a query with days finds its
//! run's ends here in one read, where a search of the records touched a score of them spread
//! over hundreds of megabytes (three searches per query with days, each a chain of misses).

use chrono::{Datelike, NaiveDate};

/// For each day from the first incident's first day to the last one's, how many incidents
/// begin before it.
#[derive(Debug, Default)]
pub struct DayStarts {
    /// The first day, as days from the Common Era.
    first: i32,
    /// `before[k]`: how many dates fall before `first + k`; one entry past the last day,
    /// holding all of them.
    before: Vec<u32>,
}

impl DayStarts {
    /// Over `dates` in ascending order (one per number; not checked beyond what it costs to
    /// stay in bounds: a date out of order counts where it falls).
    pub fn new(dates: impl Iterator<Item = NaiveDate>) -> DayStarts {
        let mut dates = dates.map(|d| d.num_days_from_ce()).peekable();
        let Some(&first) = dates.peek() else {
            return DayStarts::default();
        };
        let mut before = vec![0u32];
        let mut count = 0u32;
        for day in dates {
            // Days with no incident repeat the count; a day before the last seen (out of
            // order) is counted with it.
            while first + (before.len() as i32) - 1 < day {
                before.push(count);
            }
            count += 1;
        }
        before.push(count);
        DayStarts { first, before }
    }

    /// How many of the dates fall before `day`: `partition_point(|d| d < day)` over them.
    pub fn before(&self, day: NaiveDate) -> u32 {
        let k = i64::from(day.num_days_from_ce()) - i64::from(self.first);
        match self.before.last() {
            None => 0,
            Some(all) if k >= self.before.len() as i64 => *all,
            Some(_) if k <= 0 => 0,
            Some(_) => self.before[k as usize],
        }
    }

    /// How many of the dates fall on or before `day`: `partition_point(|d| d <= day)`.
    pub fn through(&self, day: NaiveDate) -> u32 {
        match day.succ_opt() {
            Some(next) => self.before(next),
            None => self.before.last().copied().unwrap_or(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::DayStarts;
    use chrono::NaiveDate;

    fn day(n: u64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2020, 9, 27).unwrap() + chrono::Days::new(n)
    }

    #[test]
    fn answers_as_a_search_of_the_dates_would() {
        // Gaps, repeats, a single day, and none.
        for offsets in [
            vec![0, 0, 1, 4, 4, 4, 9, 30],
            vec![3],
            vec![2, 2, 2],
            vec![],
        ] {
            let dates: Vec<NaiveDate> = offsets.iter().map(|n| day(*n)).collect();
            let starts = DayStarts::new(dates.iter().copied());
            for probe in (0..40).map(day).chain([NaiveDate::MIN, NaiveDate::MAX]) {
                let before = dates.partition_point(|d| *d < probe) as u32;
                let through = dates.partition_point(|d| *d <= probe) as u32;
                assert_eq!(
                    starts.before(probe),
                    before,
                    "before {probe} in {offsets:?}"
                );
                assert_eq!(
                    starts.through(probe),
                    through,
                    "through {probe} in {offsets:?}"
                );
            }
        }
    }
}
