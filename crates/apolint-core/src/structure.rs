//! The structure stage: which parts of a good apology a reply to a
//! complaint has, which it lacks, and a score from 0 to 100.
//!
//! Guides agree on the anatomy of a good reply (`domain.md`, "What a good
//! reply does"): greet the customer, say what went wrong, apologise once,
//! explain why, take responsibility, say what will be done and by when,
//! make up for the loss when the company is at fault, say what changes,
//! and close on the customer. Each part is found by the packs' lexicons of
//! the same name (see [`Part::lexicons`]), so a team pack extends them
//! like any lexicon. Which parts are expected depends on the draft: no
//! deadline for a fix already done, no compensation without an admitted
//! fault (by default), no cause or closing in a one-line chat answer.

use std::fmt;
use std::str::FromStr;

use serde::Deserialize;

use crate::findings::{Finding, Span};
use apolint_rules::book::{Severity, Situation};

/// One part of a good reply. The names are part of the JSON output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Part {
    /// Addresses the customer.
    Greeting,
    /// Says concretely what went wrong.
    Acknowledgement,
    /// Apologises.
    Apology,
    /// Explains why it happened.
    Cause,
    /// Takes responsibility as "I" or "we".
    Responsibility,
    /// Says what has been or will be done.
    Fix,
    /// Gives a concrete time for the fix, or says it is done.
    Deadline,
    /// Offers something for the loss.
    Compensation,
    /// Says what changes so that it does not happen again.
    Prevention,
    /// Thanks the customer or leaves a way to reach a person.
    Closing,
}

impl Part {
    /// Every part, in the order of a good reply.
    pub const ALL: [Part; 10] = [
        Part::Greeting,
        Part::Acknowledgement,
        Part::Apology,
        Part::Cause,
        Part::Responsibility,
        Part::Fix,
        Part::Deadline,
        Part::Compensation,
        Part::Prevention,
        Part::Closing,
    ];

    /// The stable name (`greeting`, `acknowledgement`, …).
    pub fn name(self) -> &'static str {
        match self {
            Part::Greeting => "greeting",
            Part::Acknowledgement => "acknowledgement",
            Part::Apology => "apology",
            Part::Cause => "cause",
            Part::Responsibility => "responsibility",
            Part::Fix => "fix",
            Part::Deadline => "deadline",
            Part::Compensation => "compensation",
            Part::Prevention => "prevention",
            Part::Closing => "closing",
        }
    }

    /// The lexicons whose matches show the part. Most parts have their own
    /// lexicon; the others reuse the ones the document-level rules already
    /// need (an admitted fault is taking responsibility, a promise or a
    /// report of something done is a fix, a thing done needs no date).
    /// `completed` is the structure's own list of things done: wider than
    /// `done`, which silences missing-deadline and so stays strict.
    pub fn lexicons(self) -> &'static [&'static str] {
        match self {
            Part::Greeting => &["greeting"],
            Part::Acknowledgement => &["acknowledgement", "fault"],
            Part::Apology => &["apology"],
            Part::Cause => &["cause"],
            Part::Responsibility => &["fault", "responsibility"],
            Part::Fix => &["promise", "done", "completed", "next-step"],
            Part::Deadline => &["deadline", "done", "completed"],
            Part::Compensation => &["compensation"],
            Part::Prevention => &["prevention"],
            Part::Closing => &["closing"],
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Part {
    type Err = String;
    fn from_str(s: &str) -> Result<Part, String> {
        Part::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| format!("unknown part `{s}`"))
    }
}

/// What the findings stage saw of each part: the input span of its first
/// match, and the facts that decide what is expected.
#[derive(Debug, Clone, Default)]
pub struct PartsFound {
    /// By [`Part::ALL`] index: the first match's span, if any.
    pub spans: [Option<Span>; 10],
    /// The fix is reported as done (the `done` lexicon matched).
    pub done: bool,
    /// Words in the draft (a one-line answer expects less).
    pub words: usize,
    /// The parts were looked for: the reply answers a complaint or names a
    /// problem.
    pub problem: bool,
}

impl PartsFound {
    fn span(&self, p: Part) -> Option<Span> {
        self.spans[p.index()]
    }
}

/// Whether compensation is expected (`[structure] compensation`): guides
/// and businesses disagree (a bank and an online shop differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CompensationPolicy {
    /// When the reply admits the company's fault (the default).
    #[default]
    OnFault,
    /// Never.
    Never,
    /// In every reply to a complaint.
    Always,
}

/// Where the apology belongs (`[structure] apology_position`): one school
/// says the first sentence, another after the explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ApologyPosition {
    /// Anywhere (the default).
    #[default]
    Any,
    /// Before everything but the greeting.
    First,
    /// After the cause, when the reply explains one.
    AfterExplanation,
}

/// A whole number from 0 to `max` in a config file, said so when it is
/// not: serde's own message names the Rust type ("expected u8"), and a
/// weight of 10⁹ overflowed the score's arithmetic into 0.
fn whole_up_to<'de, D: serde::Deserializer<'de>>(d: D, max: u32) -> Result<u32, D::Error> {
    use serde::de::Error as _;
    let wanted = || format!("a whole number from 0 to {max}");
    let n = i64::deserialize(d).map_err(|_| D::Error::custom(format!("expected {}", wanted())))?;
    u32::try_from(n)
        .ok()
        .filter(|&n| n <= max)
        .ok_or_else(|| D::Error::custom(format!("expected {}, got {n}", wanted())))
}

fn weight<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    whole_up_to(d, 1000)
}

fn penalty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    whole_up_to(d, 100)
}

fn score<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u8>, D::Error> {
    whole_up_to(d, 100).map(|n| Some(n as u8))
}

fn word_count<'de, D: serde::Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    whole_up_to(d, 10_000).map(|n| n as usize)
}

/// Weights of the parts in the score (`[structure.weights]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Weights {
    /// `greeting`
    #[serde(deserialize_with = "weight")]
    pub greeting: u32,
    /// `acknowledgement`
    #[serde(deserialize_with = "weight")]
    pub acknowledgement: u32,
    /// `apology`
    #[serde(deserialize_with = "weight")]
    pub apology: u32,
    /// `cause`
    #[serde(deserialize_with = "weight")]
    pub cause: u32,
    /// `responsibility`
    #[serde(deserialize_with = "weight")]
    pub responsibility: u32,
    /// `fix`
    #[serde(deserialize_with = "weight")]
    pub fix: u32,
    /// `deadline`
    #[serde(deserialize_with = "weight")]
    pub deadline: u32,
    /// `compensation`
    #[serde(deserialize_with = "weight")]
    pub compensation: u32,
    /// `prevention`
    #[serde(deserialize_with = "weight")]
    pub prevention: u32,
    /// `closing`
    #[serde(deserialize_with = "weight")]
    pub closing: u32,
}

impl Default for Weights {
    /// What the customer feels most: a concrete fix and its date, then
    /// naming the problem and owning it; manners weigh least. They sum
    /// to 100.
    fn default() -> Self {
        Weights {
            greeting: 5,
            acknowledgement: 15,
            apology: 10,
            cause: 10,
            responsibility: 10,
            fix: 20,
            deadline: 10,
            compensation: 10,
            prevention: 5,
            closing: 5,
        }
    }
}

impl Weights {
    fn of(&self, p: Part) -> u32 {
        match p {
            Part::Greeting => self.greeting,
            Part::Acknowledgement => self.acknowledgement,
            Part::Apology => self.apology,
            Part::Cause => self.cause,
            Part::Responsibility => self.responsibility,
            Part::Fix => self.fix,
            Part::Deadline => self.deadline,
            Part::Compensation => self.compensation,
            Part::Prevention => self.prevention,
            Part::Closing => self.closing,
        }
    }
}

/// Points each finding takes off the score (`[structure.penalties]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Penalties {
    /// Per error.
    #[serde(deserialize_with = "penalty")]
    pub error: u32,
    /// Per warning.
    #[serde(deserialize_with = "penalty")]
    pub warning: u32,
    /// Per info finding.
    #[serde(deserialize_with = "penalty")]
    pub info: u32,
}

impl Default for Penalties {
    fn default() -> Self {
        Penalties {
            error: 15,
            warning: 8,
            info: 2,
        }
    }
}

/// `[structure]` in `apolint.toml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StructureConfig {
    /// Assess the structure at all.
    pub enabled: bool,
    /// When compensation is expected.
    pub compensation: CompensationPolicy,
    /// Where the apology belongs; a misplaced one counts half.
    pub apology_position: ApologyPosition,
    /// A score below this makes a `send` verdict `warn` (unset: the score
    /// never changes the verdict).
    #[serde(deserialize_with = "score")]
    pub warn_below: Option<u8>,
    /// Show the checklist in the editor as one information diagnostic.
    pub editor: bool,
    /// Drafts with fewer words are one-line answers: no cause, closing,
    /// greeting, responsibility or prevention is expected of them.
    #[serde(deserialize_with = "word_count")]
    pub short_words: usize,
    /// The parts' weights.
    pub weights: Weights,
    /// What findings take off.
    pub penalties: Penalties,
}

impl Default for StructureConfig {
    fn default() -> Self {
        StructureConfig {
            enabled: true,
            compensation: CompensationPolicy::default(),
            apology_position: ApologyPosition::default(),
            warn_below: None,
            editor: true,
            short_words: 20,
            weights: Weights::default(),
            penalties: Penalties::default(),
        }
    }
}

/// One part of one draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartState {
    /// The draft has it.
    pub present: bool,
    /// A good reply to this draft's situation would have it.
    pub expected: bool,
    /// Where it is (the first match).
    pub span: Option<Span>,
    /// Present, but not where `apology_position` wants it (apology only).
    pub misplaced: bool,
}

/// The structure of one reply to a complaint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Structure {
    /// 0 to 100: the expected parts present, by weight, less what the
    /// findings take off.
    pub score: u8,
    /// By [`Part::ALL`] index.
    pub parts: [PartState; 10],
}

impl Structure {
    /// The state of one part.
    pub fn part(&self, p: Part) -> &PartState {
        &self.parts[p.index()]
    }

    /// The expected parts the draft lacks, in order.
    pub fn missing(&self) -> impl Iterator<Item = Part> + '_ {
        Part::ALL
            .into_iter()
            .filter(|&p| self.part(p).expected && !self.part(p).present)
    }

    /// One compact line: `structure 62/100: ✓greeting ✗acknowledgement …`
    /// (parts neither expected nor present are left out; `·` marks one
    /// present but not expected).
    pub fn checklist(&self) -> String {
        let mut line = format!("structure {}/100:", self.score);
        for p in Part::ALL {
            let s = self.part(p);
            let mark = match (s.present, s.expected) {
                (true, _) if s.misplaced => "~",
                (true, true) => "✓",
                (true, false) => "·",
                (false, true) => "✗",
                (false, false) => continue,
            };
            line.push(' ');
            line.push_str(mark);
            line.push_str(p.name());
        }
        line
    }
}

impl serde::Serialize for Structure {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        use serde::ser::SerializeStruct;
        struct Parts<'a>(&'a [PartState; 10]);
        impl serde::Serialize for Parts<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(10))?;
                for p in Part::ALL {
                    m.serialize_entry(p.name(), &self.0[p.index()])?;
                }
                m.end()
            }
        }
        let mut st = s.serialize_struct("Structure", 2)?;
        st.serialize_field("score", &self.score)?;
        st.serialize_field("parts", &Parts(&self.parts))?;
        st.end()
    }
}

impl serde::Serialize for PartState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Part", 4)?;
        st.serialize_field("present", &self.present)?;
        st.serialize_field("expected", &self.expected)?;
        st.serialize_field("span", &self.span)?;
        if self.misplaced {
            st.serialize_field("misplaced", &true)?;
        } else {
            st.skip_field("misplaced")?;
        }
        st.end()
    }
}

/// The structure of a draft, or `None` when it is not a reply to a
/// complaint or a problem (praise and neutral replies have no apology to
/// structure) or the assessment is switched off.
pub fn assess(
    found: &PartsFound,
    findings: &[Finding],
    situation: Situation,
    config: &StructureConfig,
) -> Option<Structure> {
    if !config.enabled || !(situation == Situation::Complaint || found.problem) {
        return None;
    }
    let short = found.words < config.short_words;
    let present = |p: Part| found.span(p).is_some();
    let fault = present(Part::Responsibility);
    let expected = |p: Part| match p {
        Part::Acknowledgement | Part::Apology | Part::Fix => true,
        Part::Greeting | Part::Cause | Part::Closing | Part::Responsibility => !short,
        // A fix already done needs no date.
        Part::Deadline => !found.done,
        Part::Compensation => match config.compensation {
            CompensationPolicy::OnFault => fault,
            CompensationPolicy::Never => false,
            CompensationPolicy::Always => true,
        },
        Part::Prevention => fault && !short,
    };
    let misplaced = match (config.apology_position, found.span(Part::Apology)) {
        // First: nothing but the greeting comes before it.
        (ApologyPosition::First, Some(a)) => Part::ALL
            .into_iter()
            .filter(|&p| !matches!(p, Part::Greeting | Part::Apology))
            .filter_map(|p| found.span(p))
            .any(|s| s.start < a.start),
        (ApologyPosition::AfterExplanation, Some(a)) => {
            found.span(Part::Cause).is_some_and(|c| a.start < c.start)
        }
        _ => false,
    };
    let mut parts = [PartState {
        present: false,
        expected: false,
        span: None,
        misplaced: false,
    }; 10];
    let (mut got, mut want) = (0u32, 0u32);
    for p in Part::ALL {
        let state = PartState {
            present: present(p),
            expected: expected(p),
            span: found.span(p),
            misplaced: p == Part::Apology && misplaced,
        };
        if state.expected {
            let w = config.weights.of(p);
            want += w;
            if state.present {
                got += if state.misplaced { w / 2 } else { w };
            }
        }
        parts[p.index()] = state;
    }
    let base = (got * 100).checked_div(want).unwrap_or(100);
    let penalty: u32 = findings
        .iter()
        .map(|f| match f.severity {
            Severity::Error => config.penalties.error,
            Severity::Warning => config.penalties.warning,
            Severity::Info => config.penalties.info,
        })
        .sum();
    let score = base.saturating_sub(penalty).min(100) as u8;
    Some(Structure { score, parts })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(start: usize) -> Option<Span> {
        Some(Span {
            start,
            end: start + 1,
            line: 1,
            column: start + 1,
        })
    }

    fn found(parts: &[(Part, usize)], done: bool, words: usize) -> PartsFound {
        let mut f = PartsFound {
            done,
            words,
            ..PartsFound::default()
        };
        for &(p, s) in parts {
            f.spans[p.index()] = at(s);
        }
        f
    }

    #[test]
    fn only_replies_to_a_complaint_have_a_structure() {
        let f = found(&[(Part::Greeting, 0)], false, 40);
        let c = StructureConfig::default();
        assert!(assess(&f, &[], Situation::Positive, &c).is_none());
        assert!(assess(&f, &[], Situation::Neutral, &c).is_none());
        let off = StructureConfig {
            enabled: false,
            ..c
        };
        assert!(assess(&f, &[], Situation::Complaint, &off).is_none());
    }

    #[test]
    fn a_fix_already_done_needs_no_deadline_and_no_fault_needs_no_compensation() {
        let f = found(&[(Part::Apology, 0), (Part::Fix, 5)], true, 40);
        let s = assess(&f, &[], Situation::Complaint, &StructureConfig::default()).unwrap();
        assert!(!s.part(Part::Deadline).expected);
        assert!(!s.part(Part::Compensation).expected);
        assert!(!s.part(Part::Prevention).expected);
        let promised = found(&[(Part::Apology, 0), (Part::Fix, 5)], false, 40);
        let s = assess(
            &promised,
            &[],
            Situation::Complaint,
            &StructureConfig::default(),
        )
        .unwrap();
        assert!(s.part(Part::Deadline).expected && !s.part(Part::Deadline).present);
        assert_eq!(s.missing().next(), Some(Part::Greeting));
    }

    #[test]
    fn compensation_policy_and_one_line_answers() {
        let fault = found(&[(Part::Responsibility, 3)], false, 40);
        let c = StructureConfig::default();
        let s = assess(&fault, &[], Situation::Complaint, &c).unwrap();
        assert!(s.part(Part::Compensation).expected && s.part(Part::Prevention).expected);
        let never = StructureConfig {
            compensation: CompensationPolicy::Never,
            ..c
        };
        assert!(
            !assess(&fault, &[], Situation::Complaint, &never)
                .unwrap()
                .part(Part::Compensation)
                .expected
        );
        let always = StructureConfig {
            compensation: CompensationPolicy::Always,
            ..c
        };
        let no_fault = found(&[], false, 40);
        assert!(
            assess(&no_fault, &[], Situation::Complaint, &always)
                .unwrap()
                .part(Part::Compensation)
                .expected
        );
        // A one-line chat answer is not expected to explain or sign off.
        let short = assess(&found(&[], false, 8), &[], Situation::Complaint, &c).unwrap();
        for p in [Part::Cause, Part::Closing, Part::Greeting] {
            assert!(!short.part(p).expected, "{p}");
        }
    }

    #[test]
    fn score_weighs_expected_parts_and_findings() {
        let all: Vec<(Part, usize)> = Part::ALL.iter().map(|&p| (p, p.index())).collect();
        let c = StructureConfig::default();
        let full = assess(&found(&all, false, 60), &[], Situation::Complaint, &c).unwrap();
        assert_eq!(full.score, 100);
        let warning = Finding {
            rule: "en.cliche.x".into(),
            category: apolint_rules::Category::Cliche,
            severity: Severity::Warning,
            message: "".into(),
            span: at(0).unwrap(),
            suggestions: Vec::new(),
            fix: None,
            also: Vec::new(),
        };
        let one = assess(
            &found(&all, false, 60),
            &[warning],
            Situation::Complaint,
            &c,
        )
        .unwrap();
        assert_eq!(one.score, 100 - c.penalties.warning as u8);
        let none = assess(&found(&[], false, 60), &[], Situation::Complaint, &c).unwrap();
        assert_eq!(none.score, 0);
        assert!(none
            .checklist()
            .starts_with("structure 0/100: ✗greeting ✗acknowledgement"));
    }

    #[test]
    fn apology_position_is_configurable() {
        // The cause (at 2) comes before the apology (at 9).
        let f = found(&[(Part::Cause, 2), (Part::Apology, 9)], false, 40);
        let c = StructureConfig::default();
        assert!(
            !assess(&f, &[], Situation::Complaint, &c)
                .unwrap()
                .part(Part::Apology)
                .misplaced
        );
        let first = StructureConfig {
            apology_position: ApologyPosition::First,
            ..c
        };
        assert!(
            assess(&f, &[], Situation::Complaint, &first)
                .unwrap()
                .part(Part::Apology)
                .misplaced
        );
        let after = StructureConfig {
            apology_position: ApologyPosition::AfterExplanation,
            ..c
        };
        assert!(
            !assess(&f, &[], Situation::Complaint, &after)
                .unwrap()
                .part(Part::Apology)
                .misplaced
        );
    }
}
