//! How far a regex's matches reach from their digits, read from its
//! syntax tree: `build.rs` stores it with the date, time and amount set
//! DFA, whose search then walks only the bytes around a line's digits
//! (`matcher::digit_windows`, issue #19).

use regex_syntax::hir::{Class, Hir, HirKind};

use crate::matcher::DigitWindows;

/// A count of bytes over a regex's matches: [`NONE`] when no match of the
/// kind counted exists, [`UNBOUNDED`] when there is no most.
type Most = i64;
const NONE: Most = i64::MIN / 4;
const UNBOUNDED: Most = i64::MAX / 4;

fn add(a: Most, b: Most) -> Most {
    if a == NONE || b == NONE {
        NONE
    } else {
        (a + b).min(UNBOUNDED)
    }
}

/// `a` taken `n` times (`n` may be [`UNBOUNDED`]).
fn times(a: Most, n: Most) -> Most {
    match (a, n) {
        (NONE, _) => NONE,
        (0, _) | (_, 0) => 0,
        (_, UNBOUNDED) => UNBOUNDED,
        _ => a.saturating_mul(n).min(UNBOUNDED),
    }
}

/// What is counted of a regex's matches, in bytes that are not ASCII
/// digits (`0`–`9`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Reach {
    /// The most a match without a digit holds.
    free: Most,
    /// Of the matches with a digit, the most before the first.
    lead: Most,
    /// Of the matches with a digit, the most after the last.
    trail: Most,
    /// The most between two digits of a match.
    gap: Most,
}

impl Reach {
    const EMPTY: Reach = Reach {
        free: 0,
        lead: NONE,
        trail: NONE,
        gap: NONE,
    };

    fn either(self, other: Reach) -> Reach {
        Reach {
            free: self.free.max(other.free),
            lead: self.lead.max(other.lead),
            trail: self.trail.max(other.trail),
            gap: self.gap.max(other.gap),
        }
    }

    fn then(self, next: Reach) -> Reach {
        Reach {
            free: add(self.free, next.free),
            lead: self.lead.max(add(self.free, next.lead)),
            trail: next.trail.max(add(self.trail, next.free)),
            gap: self.gap.max(next.gap).max(add(self.trail, next.lead)),
        }
    }

    /// This taken 1 to `n` times: each count grows with `n`, so the
    /// most is that of `n` times (`n` may be [`UNBOUNDED`]).
    fn up_to(self, n: Most) -> Reach {
        // The copies other than `k` of them (`n` unbounded: unbounded).
        let others = |k: Most| {
            let copies = if n == UNBOUNDED {
                UNBOUNDED
            } else {
                (n - k).max(0)
            };
            times(self.free, copies)
        };
        Reach {
            free: times(self.free, n),
            lead: self.lead.max(add(others(1), self.lead)),
            trail: self.trail.max(add(others(1), self.trail)),
            gap: if n >= 2 {
                self.gap
                    .max(add(add(self.trail, others(2)), self.lead))
                    .max(add(self.trail, self.lead))
            } else {
                self.gap
            },
        }
    }
}

/// `pattern` parsed as the stored DFAs' regexes are (the syntax the
/// rules use, nesting up to 64 deep); `None` if it does not parse.
pub fn parse(pattern: &str) -> Option<Hir> {
    regex_syntax::ParserBuilder::new()
        .nest_limit(64)
        .build()
        .parse(pattern)
        .ok()
}

/// How far the matches of `patterns` reach from their digits: `None` if
/// a match of one may hold no ASCII digit, a count has no most, or a
/// pattern does not parse.
pub fn digit_bounds(patterns: &[&str]) -> Option<DigitWindows> {
    let mut all = Reach {
        free: NONE,
        ..Reach::EMPTY
    };
    for pattern in patterns {
        all = all.either(reach(&parse(pattern)?));
    }
    let bound = |m: Most| {
        if m == NONE {
            Some(0)
        } else {
            u32::try_from(m).ok()
        }
    };
    (all.free == NONE && all.lead.max(all.trail).max(all.gap) < UNBOUNDED).then_some(())?;
    Some(DigitWindows {
        before: bound(all.lead)?,
        after: bound(all.trail)?,
        between: bound(all.gap)?,
    })
}

fn reach(hir: &Hir) -> Reach {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Reach::EMPTY,
        HirKind::Literal(lit) => lit.0.iter().fold(Reach::EMPTY, |r, b| r.then(byte(*b))),
        HirKind::Class(class) => class_reach(class),
        HirKind::Repetition(rep) => {
            let sub = reach(&rep.sub);
            let n = rep.max.map_or(UNBOUNDED, Most::from);
            let most = if n == 0 { Reach::EMPTY } else { sub.up_to(n) };
            // Zero times is a match without a digit.
            if rep.min == 0 {
                most.either(Reach::EMPTY)
            } else {
                most
            }
        }
        HirKind::Capture(cap) => reach(&cap.sub),
        HirKind::Concat(subs) => subs.iter().fold(Reach::EMPTY, |r, s| r.then(reach(s))),
        HirKind::Alternation(subs) => subs.iter().map(reach).fold(
            Reach {
                free: NONE,
                ..Reach::EMPTY
            },
            Reach::either,
        ),
    }
}

/// One byte, a digit or not.
fn byte(b: u8) -> Reach {
    if b.is_ascii_digit() {
        Reach {
            free: NONE,
            lead: 0,
            trail: 0,
            gap: NONE,
        }
    } else {
        Reach {
            free: 1,
            ..Reach::EMPTY
        }
    }
}

/// One character (or byte) of `class`: a digit, or one of the others, as
/// many bytes as the longest.
fn class_reach(class: &Class) -> Reach {
    let (digits, others) = match class {
        Class::Unicode(c) => (
            c.ranges()
                .iter()
                .any(|r| r.start() <= '9' && r.end() >= '0'),
            c.ranges()
                .iter()
                .filter(|r| r.start() < '0' || r.end() > '9')
                .map(|r| r.end().len_utf8() as Most)
                .max(),
        ),
        Class::Bytes(c) => (
            c.ranges()
                .iter()
                .any(|r| r.start() <= b'9' && r.end() >= b'0'),
            c.ranges()
                .iter()
                .any(|r| r.start() < b'0' || r.end() > b'9')
                .then_some(1),
        ),
    };
    let digit = if digits {
        byte(b'0')
    } else {
        Reach {
            free: NONE,
            ..Reach::EMPTY
        }
    };
    match others {
        Some(len) => digit.either(Reach {
            free: len,
            ..Reach::EMPTY
        }),
        None => digit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(pattern: &str) -> Option<(u32, u32, u32)> {
        digit_bounds(&[pattern]).map(|b| (b.before, b.after, b.between))
    }

    #[test]
    fn bytes_before_after_and_between_digits_are_counted() {
        assert_eq!(of("[0-9]+"), Some((0, 0, 0)), "digits repeat for free");
        assert_eq!(of("at [0-9]{1,2}:[0-5][0-9]"), Some((3, 0, 1)));
        assert_eq!(of("(?:in|within) [0-9]+ ?days?"), Some((7, 5, 0)));
        assert_eq!(of("[0-9]+ ?- ?[0-9]+ days"), Some((0, 5, 3)));
        // A class takes its longest character: `[^0-9]` may be 4 bytes.
        assert_eq!(of("(?:^|[^0-9$])[0-9]"), Some((4, 0, 0)));
        assert_eq!(of("[0-9] (?:января|мая)"), Some((0, 13, 0)));
        assert_eq!(of("[0-9](?:ab){0,3}"), Some((0, 6, 0)));
        assert_eq!(of("(?:ab[0-9]){1,3}c"), Some((2, 1, 2)));
        assert_eq!(of("(?:a[0-9]b){2}"), Some((1, 1, 2)));
        // A class of digits and others: a digit may be any of its places.
        assert_eq!(of("[0-9][0-9a]{3}y"), Some((0, 4, 2)));
        // Between digits of two copies, with a digit-free copy between.
        assert_eq!(of("[0-9](?:[0-9]bbbbb|a){3}"), Some((0, 7, 6)));
        assert_eq!(
            digit_bounds(&["ab[0-9]", "[0-9]cde", "[0-9]--[0-9]"]),
            Some(DigitWindows {
                before: 2,
                after: 3,
                between: 2
            })
        );
    }

    #[test]
    fn a_match_that_may_hold_no_digit_or_run_on_has_no_bounds() {
        assert_eq!(of("tomorrow|[0-9] pm"), None, "a branch without a digit");
        assert_eq!(of("[0-9]?pm"), None, "an optional digit");
        assert_eq!(of("[0-9a]"), None, "a class that may be no digit");
        assert_eq!(of("[0-9] [a-z]+"), None, "letters without bound");
        assert_eq!(of("[0-9](?: [0-9])+"), Some((0, 0, 1)), "bounded between");
        assert_eq!(of("[0-9](?:a+[0-9])+"), None, "unbounded between");
        assert_eq!(of("\\d+"), None, "Unicode digits are not ASCII digits");
        assert_eq!(of("("), None, "does not parse");
    }
}
