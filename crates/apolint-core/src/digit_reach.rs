//! How far a regex's matches reach from their digits, read from its
//! syntax tree: `build.rs` stores it with the date, time and amount set
//! DFA, whose search then walks only the bytes around a line's digits
//! ([`crate::matcher`]'s digit windows, issue #19).

use regex_syntax::hir::{Class, Hir, HirKind};

/// Of every match of `hir`: the fewest ASCII digits one holds, and the
/// most bytes that are no ASCII digit (`None` if unbounded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigitReach {
    /// The fewest ASCII digits (`0`–`9`) a match holds.
    pub min_digits: u32,
    /// The most bytes of a match that are not ASCII digits; `None` when a
    /// repetition of something other than digits has no upper bound.
    pub max_other_bytes: Option<u32>,
}

/// The most bytes any match of `patterns` (the regex syntax the rules
/// use) holds besides ASCII digits, if every match of each holds at least
/// one digit and that most is bounded; else `None`.
pub fn max_bytes_around_digits(patterns: &[&str]) -> Option<u32> {
    let mut most = 0;
    for pattern in patterns {
        let hir = regex_syntax::ParserBuilder::new()
            .nest_limit(64)
            .build()
            .parse(pattern)
            .ok()?;
        let reach = reach(&hir);
        if reach.min_digits == 0 {
            return None;
        }
        most = most.max(reach.max_other_bytes?);
    }
    Some(most)
}

/// The [`DigitReach`] of `hir`.
pub fn reach(hir: &Hir) -> DigitReach {
    let both = |min_digits, max_other_bytes| DigitReach {
        min_digits,
        max_other_bytes,
    };
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => both(0, Some(0)),
        HirKind::Literal(lit) => {
            let digits = lit.0.iter().filter(|b| b.is_ascii_digit()).count() as u32;
            both(digits, Some(lit.0.len() as u32 - digits))
        }
        HirKind::Class(class) => {
            if class_is_digits(class) {
                both(1, Some(0))
            } else {
                // Any character of the class may stand there: as many
                // bytes as its longest (a class can be empty: no bytes).
                both(0, Some(class_max_len(class)))
            }
        }
        HirKind::Repetition(rep) => {
            let sub = reach(&rep.sub);
            let max_other_bytes = match (sub.max_other_bytes, rep.max) {
                (Some(0), _) => Some(0),
                (Some(n), Some(max)) => n.checked_mul(max),
                (_, _) => None,
            };
            both(sub.min_digits.saturating_mul(rep.min), max_other_bytes)
        }
        HirKind::Capture(cap) => reach(&cap.sub),
        HirKind::Concat(subs) => subs.iter().map(reach).fold(both(0, Some(0)), |a, b| {
            both(
                a.min_digits.saturating_add(b.min_digits),
                a.max_other_bytes
                    .zip(b.max_other_bytes)
                    .and_then(|(x, y)| x.checked_add(y)),
            )
        }),
        HirKind::Alternation(subs) => {
            let all: Vec<DigitReach> = subs.iter().map(reach).collect();
            both(
                all.iter().map(|r| r.min_digits).min().unwrap_or(0),
                all.iter()
                    .map(|r| r.max_other_bytes)
                    .try_fold(0, |most, n| Some(most.max(n?))),
            )
        }
    }
}

/// Whether every character (or byte) of `class` is an ASCII digit.
fn class_is_digits(class: &Class) -> bool {
    match class {
        Class::Unicode(c) => c
            .ranges()
            .iter()
            .all(|r| r.start().is_ascii_digit() && r.end().is_ascii_digit()),
        Class::Bytes(c) => c
            .ranges()
            .iter()
            .all(|r| r.start().is_ascii_digit() && r.end().is_ascii_digit()),
    }
}

/// The most bytes one character (or byte) of `class` takes in UTF-8.
fn class_max_len(class: &Class) -> u32 {
    match class {
        Class::Unicode(c) => c
            .ranges()
            .iter()
            .map(|r| r.end().len_utf8() as u32)
            .max()
            .unwrap_or(0),
        Class::Bytes(c) => u32::from(!c.ranges().is_empty()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(pattern: &str) -> Option<u32> {
        max_bytes_around_digits(&[pattern])
    }

    #[test]
    fn bytes_around_digits_are_counted_per_branch_and_repetition() {
        assert_eq!(of("[0-9]+"), Some(0), "digits repeat for free");
        assert_eq!(of("at [0-9]{1,2}:[0-5][0-9]"), Some(4));
        assert_eq!(of("(?:in|within) [0-9]+ ?days?"), Some(12));
        // A class takes its longest character: `[^0-9]` may be 4 bytes.
        assert_eq!(of("(?:^|[^0-9$])[0-9]"), Some(4));
        assert_eq!(of("[0-9] (?:января|мая)"), Some(13));
        assert_eq!(of("[0-9](?:ab){0,3}"), Some(6));
    }

    #[test]
    fn a_match_that_may_hold_no_digit_or_run_on_has_no_reach() {
        assert_eq!(of("tomorrow|[0-9] pm"), None, "a branch without a digit");
        assert_eq!(of("[0-9]?pm"), None, "an optional digit");
        assert_eq!(of("[0-9] [a-z]+"), None, "letters without bound");
        assert_eq!(of("\\d+"), None, "Unicode digits are not ASCII digits");
        assert_eq!(of("("), None, "does not parse");
        assert_eq!(max_bytes_around_digits(&["[0-9]", "x[0-9]yz"]), Some(3));
    }
}
