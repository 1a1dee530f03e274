//! The structure of what a team sends (issue #18): for the replies that
//! answer a complaint, the distribution of their structure scores and how
//! often each expected part of a good reply was missing — for the team,
//! per agent, channel and month, and per canned response. Folded like the
//! rest of the [`Summary`](super::Summary): merging adds counts, so it is
//! the same in any grouping and on any number of threads, and its size
//! does not grow with the number of replies (at most 101 scores).

use apolint_core::{Part, Structure};
use serde::ser::{Serialize, SerializeMap, SerializeStruct, Serializer};

/// How many replies got each score from 0 to 100: exact quantiles from
/// counts. Kept sparse and sorted (a canned response sent unchanged has
/// one score; a whole team at most 101).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScoreDist(Vec<(u8, u64)>);

impl ScoreDist {
    /// Counts one reply's score (above 100 counts as 100).
    pub fn add(&mut self, score: u8) {
        self.add_n(score.min(100), 1);
    }

    fn add_n(&mut self, score: u8, n: u64) {
        match self.0.binary_search_by_key(&score, |e| e.0) {
            Ok(i) => self.0[i].1 += n,
            Err(i) => self.0.insert(i, (score, n)),
        }
    }

    /// Adds another distribution's counts.
    pub fn merge(&mut self, other: &ScoreDist) {
        for &(score, n) in &other.0 {
            self.add_n(score, n);
        }
    }

    /// Replies counted.
    pub fn count(&self) -> u64 {
        self.0.iter().map(|e| e.1).sum()
    }

    /// The score at quantile `q` (0 to 1), by nearest rank: the lowest
    /// score that at least `⌈q·n⌉` replies (and at least one) are at or
    /// below. `None` with no replies.
    pub fn quantile(&self, q: f64) -> Option<u8> {
        let n = self.count();
        if n == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * n as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for &(score, k) in &self.0 {
            seen += k;
            if seen >= rank {
                return Some(score);
            }
        }
        self.0.last().map(|e| e.0)
    }

    /// The median (the lower of the two middle scores of an even count).
    pub fn median(&self) -> Option<u8> {
        self.quantile(0.5)
    }

    /// The mean score.
    pub fn mean(&self) -> Option<f64> {
        let n = self.count();
        (n > 0).then(|| {
            self.0
                .iter()
                .map(|&(s, k)| f64::from(s) * k as f64)
                .sum::<f64>()
                / n as f64
        })
    }

    /// Replies by tenth of the scale: 0–9, 10–19, …, 80–89, 90–100.
    pub fn histogram(&self) -> [u64; 10] {
        let mut h = [0; 10];
        for &(score, n) in &self.0 {
            h[usize::from(score / 10).min(9)] += n;
        }
        h
    }
}

impl Serialize for ScoreDist {
    /// `{"mean", "min", "p25", "median", "p75", "max", "histogram"}`,
    /// `null`s with no replies.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("ScoreDist", 7)?;
        st.serialize_field("mean", &self.mean().map(|m| (m * 10.0).round() / 10.0))?;
        st.serialize_field("min", &self.quantile(0.0))?;
        st.serialize_field("p25", &self.quantile(0.25))?;
        st.serialize_field("median", &self.median())?;
        st.serialize_field("p75", &self.quantile(0.75))?;
        st.serialize_field("max", &self.quantile(1.0))?;
        st.serialize_field("histogram", &self.histogram())?;
        st.end()
    }
}

/// One part's count in a group: how many replies to a complaint were
/// expected to have it, and how many of those lacked it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Missing {
    /// The part.
    pub part: Part,
    /// Replies that lacked it (it was expected).
    pub missing: u64,
    /// Replies that were expected to have it.
    pub expected: u64,
    /// `missing` over the group's replies to a complaint.
    pub share: f64,
    /// `missing` over `expected`.
    pub share_of_expected: f64,
}

/// The structure of a group of replies: the scores of those that answer a
/// complaint (the others have no structure and are not counted here), and
/// per part how often it was expected and how often missing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StructureStat {
    /// Scores.
    pub scores: ScoreDist,
    /// By [`Part::ALL`] index: replies expected to have the part.
    pub expected: [u64; 10],
    /// By [`Part::ALL`] index: replies expected to have it that lack it.
    pub missing: [u64; 10],
}

impl StructureStat {
    /// Counts one reply's structure.
    pub fn add(&mut self, s: &Structure) {
        self.scores.add(s.score);
        for (i, p) in Part::ALL.into_iter().enumerate() {
            let state = s.part(p);
            if state.expected {
                self.expected[i] += 1;
                if !state.present {
                    self.missing[i] += 1;
                }
            }
        }
    }

    /// Adds another group's counts.
    pub fn merge(&mut self, other: &StructureStat) {
        self.scores.merge(&other.scores);
        for i in 0..10 {
            self.expected[i] += other.expected[i];
            self.missing[i] += other.missing[i];
        }
    }

    /// Replies to a complaint counted.
    pub fn replies(&self) -> u64 {
        self.scores.count()
    }

    /// The parts expected at least once, most often missing first (ties
    /// in the order of a good reply).
    pub fn missing_parts(&self) -> Vec<Missing> {
        let replies = self.replies();
        let ratio = |n: u64, d: u64| {
            if d == 0 {
                0.0
            } else {
                super::round(n as f64 / d as f64)
            }
        };
        let mut v: Vec<Missing> = Part::ALL
            .into_iter()
            .enumerate()
            .filter(|&(i, _)| self.expected[i] > 0)
            .map(|(i, part)| Missing {
                part,
                missing: self.missing[i],
                expected: self.expected[i],
                share: ratio(self.missing[i], replies),
                share_of_expected: ratio(self.missing[i], self.expected[i]),
            })
            .collect();
        // Stable: equal counts stay in the order of a good reply.
        v.sort_by_key(|m| std::cmp::Reverse(m.missing));
        v
    }

    /// The part most often missing, if any is.
    pub fn most_missing(&self) -> Option<Missing> {
        self.missing_parts().into_iter().find(|m| m.missing > 0)
    }
}

impl Serialize for Missing {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Missing", 5)?;
        st.serialize_field("part", self.part.name())?;
        st.serialize_field("missing", &self.missing)?;
        st.serialize_field("expected", &self.expected)?;
        st.serialize_field("share", &self.share)?;
        st.serialize_field("share_of_expected", &self.share_of_expected)?;
        st.end()
    }
}

impl Serialize for StructureStat {
    /// `{"replies": <replies to a complaint>, "score": {…}, "missing":
    /// [{"part", "missing", "expected", "share", "share_of_expected"}, …]}`.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("replies", &self.replies())?;
        m.serialize_entry("score", &self.scores)?;
        m.serialize_entry("missing", &self.missing_parts())?;
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dist(scores: &[u8]) -> ScoreDist {
        let mut d = ScoreDist::default();
        scores.iter().for_each(|&s| d.add(s));
        d
    }

    #[test]
    fn quantiles_are_exact_by_nearest_rank() {
        let d = dist(&[100, 40, 70, 0, 55, 70, 90, 20]);
        // Sorted: 0 20 40 55 70 70 90 100.
        assert_eq!(d.count(), 8);
        assert_eq!(d.quantile(0.0), Some(0));
        assert_eq!(d.quantile(0.25), Some(20));
        assert_eq!(d.median(), Some(55));
        assert_eq!(d.quantile(0.75), Some(70));
        assert_eq!(d.quantile(1.0), Some(100));
        assert_eq!(d.mean(), Some(445.0 / 8.0));
        assert_eq!(d.histogram(), [1, 0, 1, 0, 1, 1, 0, 2, 0, 2]);
        assert_eq!(dist(&[73]).median(), Some(73));
        let empty = ScoreDist::default();
        assert_eq!((empty.median(), empty.mean()), (None, None));
        assert_eq!(
            serde_json::to_value(&empty).unwrap()["median"],
            serde_json::Value::Null
        );
    }

    #[test]
    fn merging_adds_counts_in_any_grouping() {
        let all = dist(&[10, 10, 95, 100, 42, 42, 42]);
        let mut a = dist(&[10, 95]);
        let b = dist(&[100, 42, 10]);
        let c = dist(&[42, 42]);
        let mut bc = b.clone();
        bc.merge(&c);
        a.merge(&bc);
        assert_eq!(a, all);
        assert_eq!(all.0, [(10, 2), (42, 3), (95, 1), (100, 1)]);
    }
}
