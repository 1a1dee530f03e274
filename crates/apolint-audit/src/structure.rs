//! The structure of what a team sends (issue #18): for the replies that
//! answer a complaint, the distribution of their structure scores and how
//! often each expected part of a good reply was missing — for the team,
//! per agent, channel and month, and per canned response. Folded like the
//! rest of the [`Summary`](super::Summary): merging adds counts, so it is
//! the same in any grouping and on any number of threads, and its size
//! does not grow with the number of replies (at most 101 scores).

use std::borrow::Cow;

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

/// What the summary keeps of one reply's structure: its score, and by
/// [`Part::ALL`] index the parts expected and the expected ones missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OneReply {
    score: u8,
    expected: u16,
    missing: u16,
}

impl OneReply {
    /// The reply's score and parts.
    pub fn of(s: &Structure) -> OneReply {
        let (mut expected, mut missing) = (0, 0);
        for (i, p) in Part::ALL.into_iter().enumerate() {
            let state = s.part(p);
            if state.expected {
                expected |= 1 << i;
                if !state.present {
                    missing |= 1 << i;
                }
            }
        }
        OneReply {
            score: s.score,
            expected,
            missing,
        }
    }
}

impl StructureStat {
    /// Counts one reply's structure.
    pub fn add(&mut self, s: &Structure) {
        self.add_one(OneReply::of(s));
    }

    /// Counts one reply's structure, read once for all the groups it
    /// is counted in.
    pub fn add_one(&mut self, r: OneReply) {
        self.scores.add(r.score);
        for i in 0..10 {
            self.expected[i] += u64::from((r.expected >> i) & 1);
            self.missing[i] += u64::from((r.missing >> i) & 1);
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

/// The structure of a canned response's copies. Most entries of the
/// summary's canned-response map are replies sent once (identical texts
/// are found by hashing every reply, up to 60,000 entries), so one reply is
/// kept in a few bytes and the counts are allocated from the second.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CannedStructure {
    /// No copy answered a complaint.
    #[default]
    None,
    /// One copy did.
    One(OneReply),
    /// Several did.
    Many(Box<StructureStat>),
}

impl CannedStructure {
    /// Counts one copy's structure.
    pub fn add(&mut self, s: &Structure) {
        self.add_one(OneReply::of(s));
    }

    /// Counts one copy's structure, as [`OneReply::of`] reads it.
    pub fn add_one(&mut self, r: OneReply) {
        match self {
            CannedStructure::None => *self = CannedStructure::One(r),
            CannedStructure::One(first) => {
                let mut st = StructureStat::default();
                st.add_one(*first);
                st.add_one(r);
                *self = CannedStructure::Many(Box::new(st));
            }
            CannedStructure::Many(st) => st.add_one(r),
        }
    }

    /// Adds another entry's copies.
    pub fn merge(&mut self, other: &CannedStructure) {
        match (std::mem::take(self), other) {
            (mine, CannedStructure::None) => *self = mine,
            (CannedStructure::None, theirs) => *self = theirs.clone(),
            (mine, theirs) => {
                let mut st = mine.stat().into_owned();
                match theirs {
                    CannedStructure::One(r) => st.add_one(*r),
                    CannedStructure::Many(t) => st.merge(t),
                    CannedStructure::None => {}
                }
                *self = CannedStructure::Many(Box::new(st));
            }
        }
    }

    /// The counts.
    pub fn stat(&self) -> Cow<'_, StructureStat> {
        match self {
            CannedStructure::None => Cow::Owned(StructureStat::default()),
            CannedStructure::One(r) => {
                let mut st = StructureStat::default();
                st.add_one(*r);
                Cow::Owned(st)
            }
            CannedStructure::Many(st) => Cow::Borrowed(st),
        }
    }

    /// Copies that answered a complaint.
    pub fn replies(&self) -> u64 {
        match self {
            CannedStructure::None => 0,
            CannedStructure::One(_) => 1,
            CannedStructure::Many(st) => st.replies(),
        }
    }
}

impl Serialize for CannedStructure {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.stat().serialize(s)
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

    #[test]
    fn a_canned_response_keeps_one_reply_small_and_counts_the_rest() {
        let one = |score, expected, missing| {
            CannedStructure::One(OneReply {
                score,
                expected,
                missing,
            })
        };
        // Deadline (bit 6) expected in both, missing in the first.
        let (a, b) = (one(73, 0b100_0111, 0b100_0000), one(100, 0b100_0111, 0));
        assert_eq!(std::mem::size_of::<CannedStructure>(), 16);
        let mut m = CannedStructure::default();
        m.merge(&CannedStructure::None);
        assert_eq!((m.replies(), m.stat().replies()), (0, 0));
        m.merge(&a);
        assert_eq!(m, a, "one reply stays one reply");
        m.merge(&b);
        let mut ba = b.clone();
        ba.merge(&a);
        assert_eq!(m, ba, "in any order");
        let st = m.stat();
        assert_eq!(st.replies(), 2);
        assert_eq!((st.expected[6], st.missing[6], st.expected[3]), (2, 1, 0));
        assert_eq!(st.scores.0, [(73, 1), (100, 1)]);
        // Counting copies one by one is the same as merging them.
        let mut direct = CannedStructure::default();
        for r in [&a, &b] {
            let CannedStructure::One(r) = r else {
                unreachable!()
            };
            direct.add_one(*r);
        }
        assert_eq!(direct, m);
        let mut three = m.clone();
        three.merge(&m);
        assert_eq!(three.replies(), 4);
    }
}
