//! `apolint audit`: what a whole team sends. Reads help-desk exports (JSON
//! Lines, CSV, folders of text files) as a stream of batches, checks the
//! batches on all cores, and folds the findings into
//! a [`Summary`] whose size does not grow with the number of replies:
//! counts per category, rule, agent, channel and month, the most frequent
//! phrases, the canned responses that produce the most findings, the
//! structure scores and missing parts of the replies to a complaint
//! ([`structure`]), a few sample replies. [`report`] renders it as one
//! self-contained HTML page.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod report;
pub mod structure;

pub use structure::{CannedStructure, Missing, OneReply, ScoreDist, StructureStat};

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hash, Hasher};
use std::path::Path;

use foldhash::fast::RandomState;
use serde::Serialize;
use serde_json::Value;

use apolint_core::files::{self, ReadError};
use apolint_core::{CheckOptions, Finding, InputFormat, Linter, Severity};

/// Why an export could not be read at all (records that cannot be used
/// are [`BadRecord`]s, counted and listed; these stop the run).
#[derive(Debug)]
pub enum AuditError {
    /// The export could not be opened or read.
    Read {
        /// The export, as named.
        name: String,
        /// What went wrong.
        source: std::io::Error,
    },
    /// A CSV export whose header row cannot be read.
    CsvHeader {
        /// The export, as named.
        name: String,
        /// What the CSV reader said.
        source: csv::Error,
    },
    /// A CSV export without the reply-text column, or without a column
    /// named in [`Fields::asked`].
    NoColumn {
        /// The export, as named.
        name: String,
        /// The column asked for.
        field: String,
        /// The option that names it (`--text-field`).
        option: &'static str,
        /// The columns it has.
        columns: Vec<String>,
    },
    /// A CSV export with two columns of a name the audit reads: which one
    /// holds the reply is a guess.
    TwoColumns {
        /// The export, as named.
        name: String,
        /// The column named twice.
        field: String,
    },
    /// A folder of replies that cannot be listed.
    Folder(files::ReadError),
    /// A CSV quote never closed: everything after it would be one field.
    UnclosedQuote {
        /// The export, as named.
        name: String,
        /// 1-based line of the opening quote.
        line: u64,
        /// Lines from there to the end.
        lines: u64,
        /// Bytes from there to the end.
        bytes: u64,
    },
}

impl std::fmt::Display for AuditError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuditError::Read { name, source } => write!(f, "cannot read {name}: {source}"),
            AuditError::CsvHeader { name, source } => {
                write!(f, "{name}: cannot read the CSV header: {source}")
            }
            AuditError::NoColumn {
                name,
                field,
                option,
                columns,
            } => write!(
                f,
                "{name}: no `{field}` column (columns: {}); choose one with {option}",
                columns.join(", ")
            ),
            AuditError::TwoColumns { name, field } => write!(
                f,
                "{name}: two columns are named `{field}`; rename one, or choose another column with its option"
            ),
            AuditError::Folder(e) => e.fmt(f),
            AuditError::UnclosedQuote {
                name,
                line,
                lines,
                bytes,
            } => write!(
                f,
                "{name}: the quote opened on line {line} is never closed, so the rest of the export ({lines} line{}, {}) would read as one field; close or remove that quote and run again",
                if *lines == 1 { "" } else { "s" },
                size_text(*bytes as usize)
            ),
        }
    }
}

impl std::error::Error for AuditError {}

/// Which field (JSONL) or column (CSV) holds what.
#[derive(Debug, Clone)]
pub struct Fields {
    /// The reply text (required).
    pub text: String,
    /// The agent who wrote it.
    pub agent: Option<String>,
    /// The channel (email, chat, …).
    pub channel: Option<String>,
    /// A date or timestamp; its `YYYY-MM` prefix is the month.
    pub date: Option<String>,
    /// The ticket id.
    pub ticket: Option<String>,
    /// The canned response (macro) the reply came from.
    pub canned: Option<String>,
    /// The customer's name (enables name-mismatch).
    pub customer: Option<String>,
    /// Most agents, and most channels, listed by name; the rest are
    /// folded into one [`OTHER`] entry, so an export with millions of
    /// distinct values keeps the summary (and memory) bounded.
    pub max_groups: usize,
    /// Columns named on purpose, with the option that named them
    /// (`("--agent-field", "Agent Name")`): a CSV without one is refused,
    /// where a default name that is missing only leaves its section empty.
    pub asked: Vec<(&'static str, String)>,
}

/// `n` and the word for it: `1 reply`, `2 replies`.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `part` of `whole` as a whole percentage, never rounded to a figure it
/// is not: 999 of 1,000 is `>99%`, not `100%`, and 1 of 1,000 is `<1%`,
/// not `0%` (a lead reading "100% with nothing to fix" would not look for
/// the one unfilled placeholder).
pub fn share_text(part: u64, whole: u64) -> String {
    if whole == 0 || part == 0 {
        return "0%".into();
    }
    if part >= whole {
        return "100%".into();
    }
    match (100.0 * part as f64 / whole as f64).round() {
        r if r >= 100.0 => ">99%".into(),
        r if r < 1.0 => "<1%".into(),
        r => format!("{r:.0}%"),
    }
}

/// `findings` per reply to two decimals, `<0.01` rather than `0.00` when
/// there are some.
pub fn per_reply_text(findings: u64, replies: u64) -> String {
    if replies == 0 || findings == 0 {
        return "0.00".into();
    }
    match findings as f64 / replies as f64 {
        x if x < 0.005 => "<0.01".into(),
        x => format!("{x:.2}"),
    }
}

/// The entry the agents or channels beyond [`Fields::max_groups`] are
/// folded into.
pub const OTHER: &str = "(other)";

/// The default of [`Fields::max_groups`].
pub const MAX_GROUPS: usize = 1000;

impl Fields {
    /// The names of the text, agent, channel, date, ticket, canned and
    /// customer fields, in that order.
    pub fn names(&self) -> [Option<&str>; 7] {
        [
            Some(self.text.as_str()),
            self.agent.as_deref(),
            self.channel.as_deref(),
            self.date.as_deref(),
            self.ticket.as_deref(),
            self.canned.as_deref(),
            self.customer.as_deref(),
        ]
    }
}

impl Default for Fields {
    fn default() -> Self {
        Fields {
            text: "text".into(),
            agent: Some("agent".into()),
            channel: Some("channel".into()),
            date: Some("date".into()),
            ticket: Some("ticket".into()),
            canned: Some("macro".into()),
            customer: Some("customer_name".into()),
            max_groups: MAX_GROUPS,
            asked: Vec::new(),
        }
    }
}

/// One reply to check, with what the export says about it.
#[derive(Debug, Clone, Default)]
pub struct Record {
    /// The reply.
    pub text: String,
    /// Agent, channel, month (`YYYY-MM`), ticket, canned response, customer.
    pub agent: Option<String>,
    /// Channel.
    pub channel: Option<String>,
    /// Month, `YYYY-MM`.
    pub month: Option<String>,
    /// Ticket id.
    pub ticket: Option<String>,
    /// Canned response id or name.
    pub canned: Option<String>,
    /// Customer's name.
    pub customer: Option<String>,
    /// The draft's format, where its file name says (folders of drafts).
    pub format: Option<InputFormat>,
}

/// An input line or row that could not be used.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct BadRecord {
    /// The input it came from.
    pub source: String,
    /// 1-based line (of the record's start, for CSV).
    pub line: u64,
    /// What is wrong.
    pub reason: String,
}

/// A unit of work: raw JSON lines, or records already parsed (CSV, files).
#[derive(Debug)]
pub enum Batch {
    /// JSON Lines: a run of whole lines as read, split and parsed on the
    /// worker threads (one buffer per batch, not one per line).
    JsonLines {
        /// Input name.
        source: String,
        /// 1-based number of the first line in `bytes`.
        first_line: u64,
        /// Whole lines, each ending in `\n` except perhaps the input's last.
        bytes: Vec<u8>,
        /// Lines longer than this are bad records, not parsed.
        max_line: usize,
    },
    /// Parsed records.
    Records(Vec<Record>),
    /// Rows that could not be parsed by the reader itself.
    Bad(Vec<BadRecord>),
}

impl Batch {
    /// Input bytes in the batch (for progress).
    pub fn bytes(&self) -> u64 {
        match self {
            Batch::JsonLines { bytes, .. } => bytes.len() as u64,
            Batch::Records(r) => r.iter().map(|r| r.text.len() as u64).sum(),
            Batch::Bad(_) => 0,
        }
    }
}

/// Bytes of input per batch. Each worker takes whole batches, so a batch
/// is small enough that a few megabytes of input already keep every core
/// busy and memory stays flat, and large enough that folding the batch
/// summaries (~1,000 per GB) costs nothing measurable (1 MB and 4 MB gave
/// the same time on a 100 MB export).
pub const BATCH_BYTES: usize = 1 << 20;

/// The longest reply (JSON line, CSV text field, text file) an audit
/// checks. Past this it is no reply but a pasted log or an attachment, and
/// checking it would take a worker's memory many times its size: it is
/// counted as a bad record and skipped (a JSON line without being held in
/// memory). A draft checked on its own (`apolint check`) may be larger.
pub const MAX_REPLY_BYTES: usize = 1 << 20;

/// Most phrase and canned-response entries kept; beyond this the rarest
/// are dropped (the summary stays bounded on any archive).
const MAX_PHRASES: usize = 50_000;
/// (Each keeps a 300-byte excerpt: ~25 MB at the cap. A response sent only
/// a few times among millions of unique replies may be pruned before it
/// repeats; the macros that matter are sent far more often.)
const MAX_CANNED: usize = 60_000;
/// Bad records listed (all are counted).
const MAX_BAD_LISTED: usize = 200;
/// Sample replies kept for the report.
const SAMPLES: usize = 8;

/// Counts for one agent, channel or month.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct GroupStat {
    /// Replies.
    pub replies: u64,
    /// Findings (warning and error).
    pub findings: u64,
    /// Replies without a warning or error.
    pub clean: u64,
    /// Findings by category.
    pub by_category: BTreeMap<&'static str, u64>,
    /// Structure scores and missing parts of its replies to a complaint.
    pub structure: StructureStat,
}

impl GroupStat {
    fn add(&mut self, v: &GroupStat) {
        self.replies += v.replies;
        self.findings += v.findings;
        self.clean += v.clean;
        for (c, n) in &v.by_category {
            *self.by_category.entry(c).or_default() += n;
        }
        self.structure.merge(&v.structure);
    }
}

/// One rule's count.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct RuleStat {
    /// Findings.
    pub count: u64,
    /// Category.
    pub category: &'static str,
    /// The rule's message.
    pub message: String,
}

/// A matched phrase and how often it recurs.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct PhraseStat {
    /// Occurrences.
    pub count: u64,
    /// The rule.
    pub rule: String,
    /// Its category.
    pub category: &'static str,
    /// The phrase as first seen (original case).
    pub example: String,
}

/// What identifies a canned response: the export's macro id, or else the
/// hash of the reply's trimmed text (a macro sent unchanged).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CannedKey {
    /// Named by the export.
    Macro(String),
    /// Identical text.
    Text(u64),
}

/// A canned response (by macro id, or identical text) and its findings.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct CannedStat {
    /// Times it was sent.
    pub sent: u64,
    /// Findings in all its copies (a macro's copies differ: the agent
    /// edits them).
    pub findings: u64,
    /// The macro id, when the export has one.
    pub canned: Option<String>,
    /// Its text (start): the first copy with findings, or the first copy.
    pub text: String,
    /// Categories found in any copy, in the order first found.
    pub categories: Vec<&'static str>,
    /// Whether `text` is a copy with findings.
    #[serde(skip)]
    text_has_findings: bool,
    /// Structure scores and missing parts of the copies that answer a
    /// complaint (a macro's copies differ; identical texts differ only by
    /// the customer's name).
    pub structure: CannedStructure,
}

impl CannedStat {
    /// Adds the categories not yet listed, in their order.
    fn add_categories(&mut self, categories: &[&'static str]) {
        for c in categories {
            if !self.categories.contains(c) {
                self.categories.push(c);
            }
        }
    }
}

/// A reply shown in the report with its findings highlighted.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Sample {
    /// The reply.
    pub text: String,
    /// Agent, if known.
    pub agent: Option<String>,
    /// Findings: (start, end, category, message) in bytes of `text`.
    pub findings: Vec<(usize, usize, &'static str, String)>,
    #[serde(skip)]
    score: (usize, usize, u64),
}

/// Everything the audit learns; merges associatively, so batches and
/// threads can be folded in any grouping.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Replies checked.
    pub replies: u64,
    /// Records whose text is empty or only white space: nothing was
    /// written to check, so they are counted here and not among the
    /// replies (counted as clean, they would flatter every share).
    pub empty: u64,
    /// Which of the optional fields some reply had a value for, in the
    /// order agent, channel, date (a valid one), ticket, canned response,
    /// customer: a field named on purpose that no reply has is said.
    #[serde(skip)]
    pub fields_seen: [bool; 6],
    /// Bytes of reply text checked.
    pub bytes: u64,
    /// Replies with no warning or error.
    pub clean: u64,
    /// Replies with no finding at all (severity info included).
    pub spotless: u64,
    /// Findings at warning or error.
    pub findings: u64,
    /// Findings by category (warning and error).
    pub by_category: BTreeMap<&'static str, u64>,
    /// Replies with at least one finding of the category.
    pub replies_by_category: BTreeMap<&'static str, u64>,
    /// Findings by rule id.
    pub by_rule: BTreeMap<String, RuleStat>,
    /// Structure scores and missing parts of the replies to a complaint.
    pub structure: StructureStat,
    /// By agent, channel, month.
    pub by_agent: BTreeMap<String, GroupStat>,
    /// By channel.
    pub by_channel: BTreeMap<String, GroupStat>,
    /// By month (`YYYY-MM`).
    pub by_month: BTreeMap<String, GroupStat>,
    /// Matched phrases, keyed by the rule id, a NUL and the
    /// normalised phrase.
    #[serde(skip)]
    pub phrases: HashMap<String, PhraseStat, RandomState>,
    /// Canned responses by macro id or text hash.
    #[serde(skip)]
    pub canned: HashMap<CannedKey, CannedStat, RandomState>,
    /// Sample replies.
    #[serde(skip)]
    pub samples: Vec<Sample>,
    /// Records that could not be used.
    pub bad_records: u64,
    /// The first of them.
    pub bad: Vec<BadRecord>,
}

/// Parses one JSON line into a record.
///
/// Only the fields named in `fields` are kept; the others are skipped
/// without being built (no map of every key), which is most of the cost of
/// reading an export. UTF-8 is checked in the fields that are used.
pub fn parse_json_line(line: &[u8], fields: &Fields) -> Result<Record, String> {
    // A line that is valid UTF-8 (checked with SIMD, a few hundred bytes
    // at a time) is read as `str`, which serde_json does not check again:
    // read as bytes, every string it kept was checked by `str::from_utf8`,
    // 3% of an audit (issue #19). Any other line is read as bytes, so that
    // invalid UTF-8 in a field that is not used is still let through.
    let parsed = match simdutf8::basic::from_utf8(line) {
        Ok(text) => parse_fields(serde_json::Deserializer::from_str(text), fields),
        Err(_) => parse_fields(serde_json::Deserializer::from_slice(line), fields),
    };
    let values = match parsed {
        Ok(Some(values)) => values,
        Ok(None) => return Err("not a JSON object".into()),
        Err(e) => {
            return Err(match std::str::from_utf8(line) {
                Err(u) => format!("invalid UTF-8 at byte {}", u.valid_up_to()),
                Ok(_) => format!("malformed JSON: {e}"),
            })
        }
    };
    let [text, agent, channel, date, ticket, canned, customer] = values;
    let reply = match text {
        Some(Value::String(s)) => s,
        Some(other) => {
            return Err(format!(
                "field `{}` is {}, not a string",
                fields.text,
                match other {
                    Value::Null => "null",
                    Value::Bool(_) => "a boolean",
                    Value::Number(_) => "a number",
                    Value::Array(_) => "an array",
                    _ => "an object",
                }
            ))
        }
        None => return Err(format!("no `{}` field", fields.text)),
    };
    // As a CSV cell is read: trimmed, and an empty one is no value (an
    // agent `""` was a row with no name in the report).
    let take = |v: Option<Value>| -> Option<String> {
        match v? {
            Value::String(s) if s.trim().len() == s.len() => Some(s).filter(|s| !s.is_empty()),
            Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
            Value::Null => None,
            other => Some(other.to_string()),
        }
    };
    Ok(Record {
        text: reply,
        agent: take(agent),
        channel: take(channel),
        month: take(date).and_then(|d| month_of(&d)),
        ticket: take(ticket),
        canned: take(canned),
        customer: take(customer),
        format: None,
    })
}

/// The seven fields of one JSON object, read to its end.
fn parse_fields<'de, R: serde_json::de::Read<'de>>(
    mut de: serde_json::Deserializer<R>,
    fields: &Fields,
) -> serde_json::Result<FieldValues> {
    let values = serde::de::DeserializeSeed::deserialize(RecordSeed(fields), &mut de)?;
    de.end()?;
    Ok(values)
}

/// The values of the text, agent, channel, date, ticket, canned and
/// customer fields of a JSON object (the last of a repeated key wins, as in
/// a JSON map); `None` for a value that is not an object.
type FieldValues = Option<[Option<Value>; 7]>;

struct RecordSeed<'f>(&'f Fields);

impl RecordSeed<'_> {
    /// The seven fields' names, in slot order.
    fn names(&self) -> [Option<&str>; 7] {
        self.0.names()
    }

    /// Which of the seven fields `key` names (the first, if several do).
    fn slot(&self, key: &str) -> Option<usize> {
        self.names().iter().position(|n| *n == Some(key))
    }

    /// The name of a field [`RecordSeed::slot`] found.
    fn name(&self, slot: usize) -> &str {
        self.names()[slot].unwrap_or_default()
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for RecordSeed<'_> {
    type Value = FieldValues;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<FieldValues, D::Error> {
        d.deserialize_any(self)
    }
}

/// Reads an object key as the slot it fills, without allocating.
struct KeySeed<'a, 'f>(&'a RecordSeed<'f>);

impl<'de> serde::de::DeserializeSeed<'de> for KeySeed<'_, '_> {
    type Value = Option<usize>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> serde::de::Visitor<'de> for KeySeed<'_, '_> {
    type Value = Option<usize>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<Option<usize>, E> {
        Ok(self.0.slot(key))
    }
}

impl<'de> serde::de::Visitor<'de> for RecordSeed<'_> {
    type Value = FieldValues;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<FieldValues, A::Error> {
        let mut values: [Option<Value>; 7] = Default::default();
        while let Some(slot) = map.next_key_seed(KeySeed(&self))? {
            match slot {
                // The last of two values would win unseen (`{"text": "Hi
                // {{name}}", "text": "Hi Maria"}` audited clean); the
                // record is bad, as the hook and `check` refuse it.
                Some(i) if values[i].is_some() => {
                    return Err(serde::de::Error::custom(format_args!(
                        "duplicate key `{}`",
                        self.name(i)
                    )));
                }
                Some(i) => values[i] = Some(map.next_value()?),
                None => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(Some(values))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<FieldValues, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_bool<E>(self, _: bool) -> Result<FieldValues, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<FieldValues, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<FieldValues, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<FieldValues, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<FieldValues, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<FieldValues, E> {
        Ok(None)
    }
}

/// `YYYY-MM` from a date or timestamp (`2026-03-14`, `2026-03-14T10:00Z`,
/// `2026/03/14`, `14.03.2026`).
pub fn month_of(date: &str) -> Option<String> {
    /// Days in `month` (1-12) of `year`, in the Gregorian calendar.
    fn days_in(year: u32, month: u32) -> u32 {
        match month {
            2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        }
    }
    let d = date.trim();
    let b = d.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r.clone())
            .is_some_and(|s| s.iter().all(u8::is_ascii_digit))
    };
    let number = |r: std::ops::Range<usize>| d[r].parse::<u32>().unwrap_or(0);
    // A year from 1, a month 1-12 and, where there is one, a day of that
    // month: `2026-13-01`, `2026-02-30` or `0000-01-01` is no date (they
    // gave months `2026-13`, `2026-02`, `0000-01`).
    let valid = |year: u32, month: u32, day: Option<u32>| {
        (1..=12).contains(&month)
            && year > 0
            && day.is_none_or(|d| (1..=days_in(year, month)).contains(&d))
    };
    if digits(0..4) && matches!(b.get(4), Some(b'-' | b'/' | b'.')) && digits(5..7) {
        let day = (b.get(7) == b.get(4) && digits(8..10)).then(|| number(8..10));
        return valid(number(0..4), number(5..7), day)
            .then(|| format!("{}-{}", &d[0..4], &d[5..7]));
    }
    if digits(0..2)
        && b.get(2) == Some(&b'.')
        && digits(3..5)
        && b.get(5) == Some(&b'.')
        && digits(6..10)
    {
        return valid(number(6..10), number(3..5), Some(number(0..2)))
            .then(|| format!("{}-{}", &d[6..10], &d[3..5]));
    }
    None
}

/// Checks a stream of batches on `threads` worker threads, each taking
/// whole batches (no barrier between batches, so every core stays busy),
/// and folds their summaries on this thread in input order, so the summary
/// is the same on any number of threads. `progress(batch bytes, summary so
/// far)` is called after each batch is folded in. Memory stays bounded by
/// the batches in flight: about two per thread plus what `batches` holds.
///
/// Plain scoped threads, not a rayon pool: the workers block on the input
/// and this thread blocks on their results, which a work-stealing pool
/// must not do (a one-thread pool would deadlock).
pub fn summarize(
    linter: &Linter,
    fields: &Fields,
    batches: impl Iterator<Item = Batch> + Send,
    threads: usize,
    mut progress: impl FnMut(u64, &Summary),
) -> Summary {
    let source = std::sync::Mutex::new(batches.enumerate());
    let (tx, results) = std::sync::mpsc::channel::<(usize, u64, Summary)>();
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            let (tx, source) = (tx.clone(), &source);
            scope.spawn(move || loop {
                // The lock is held while waiting for the reader: only one
                // thread can take the next batch anyway.
                let next = match source.lock() {
                    Ok(mut batches) => batches.next(),
                    Err(_) => None,
                };
                let Some((seq, batch)) = next else { break };
                let bytes = batch.bytes();
                let part = Summary::of_batch(linter, fields, batch);
                if tx.send((seq, bytes, part)).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        let mut total = Summary::default();
        let mut waiting: BTreeMap<usize, (u64, Summary)> = BTreeMap::new();
        let mut next = 0;
        for (seq, bytes, part) in results {
            waiting.insert(seq, (bytes, part));
            while let Some((bytes, part)) = waiting.remove(&next) {
                total = total.merge(part);
                // Folded in input order, so the same on any number of
                // threads; some slack so it is not done on every batch.
                if total.by_agent.len().max(total.by_channel.len())
                    > fields.max_groups.saturating_mul(4)
                {
                    total.fold_groups(fields.max_groups);
                }
                next += 1;
                progress(bytes, &total);
            }
        }
        total.fold_groups(fields.max_groups);
        total
    })
}

/// Streams an input as batches: JSON Lines (`.jsonl`, `.ndjson`, `.json`,
/// `-`, or any other file), CSV (`.csv`), a directory of draft files, or
/// one draft file (`.txt`, `.md`, `.html`, … as `apolint check` knows them).
pub fn read_batches(
    path: &Path,
    fields: &Fields,
    mut emit: impl FnMut(Batch) -> bool,
) -> Result<(), AuditError> {
    let name = path.display().to_string();
    if path.is_dir() {
        let found = files::draft_files(path).map_err(AuditError::Folder)?;
        return read_draft_files(found.files, &found.skipped_links, &mut emit);
    }
    // A draft named alone (`.txt`, `.md`, `.html`, …) is one reply, as in
    // a folder: read as JSON Lines, each of its lines was a bad record.
    // One that opens with `{` is an export of JSON Lines named `.txt`.
    if files::is_draft_name(path) && !opens_with_brace(path) {
        return read_draft_files(vec![path.to_path_buf()], &[], &mut emit);
    }
    let is_csv = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let reader: Box<dyn std::io::Read + Send> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(
            std::fs::File::open(path).map_err(|source| AuditError::Read {
                name: name.clone(),
                source,
            })?,
        )
    };
    if is_csv {
        read_csv(&name, reader, fields, &mut emit)
    } else {
        read_jsonl(&name, reader, BATCH_BYTES, MAX_REPLY_BYTES, &mut emit)
    }
}

fn read_jsonl(
    name: &str,
    mut reader: impl std::io::Read,
    batch_bytes: usize,
    max_line: usize,
    emit: &mut impl FnMut(Batch) -> bool,
) -> Result<(), AuditError> {
    use std::io::Read;
    let mut line_no = 1u64;
    // The part of the last read after its last newline: the start of the
    // next batch's first line.
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let mut buf = std::mem::take(&mut carry);
        buf.reserve(batch_bytes + batch_bytes / 16);
        let mut eof = false;
        // Fill to a batch's size, then on to the end of a line (a line
        // longer than a batch makes a longer batch, up to `max_line`).
        // `last_newline` is searched for in new bytes only, so a long line
        // stays linear.
        let mut last_newline = memchr::memrchr(b'\n', &buf);
        let mut oversized = false;
        while buf.len() < batch_bytes || last_newline.is_none() {
            let line_start = last_newline.map_or(0, |i| i + 1);
            // One byte more than the limit may be the `\r` of a `\r\n`
            // not read yet: the line's length is judged (without its line
            // end) by the worker, and only a line surely too long skipped.
            if buf.len() - line_start > max_line.saturating_add(1) {
                oversized = true;
                buf.truncate(line_start);
                break;
            }
            let want = batch_bytes
                .saturating_sub(buf.len())
                .max(1 + batch_bytes / 16) as u64;
            let old = buf.len();
            let n = (&mut reader)
                .take(want)
                .read_to_end(&mut buf)
                .map_err(|source| AuditError::Read {
                    name: name.to_owned(),
                    source,
                })?;
            if n == 0 {
                eof = true;
                break;
            }
            if let Some(i) = memchr::memrchr(b'\n', &buf[old..]) {
                last_newline = Some(old + i);
            }
        }
        if let (false, false, Some(last)) = (eof, oversized, last_newline) {
            carry = buf.split_off(last + 1);
        }
        if !buf.is_empty() {
            let lines = memchr::memchr_iter(b'\n', &buf).count() as u64;
            let batch = Batch::JsonLines {
                source: name.to_owned(),
                first_line: line_no,
                bytes: buf,
                max_line,
            };
            line_no += lines;
            if !emit(batch) {
                return Ok(());
            }
        }
        if oversized {
            // Read past the rest of the line without keeping it.
            let mut chunk = vec![0u8; 64 << 10];
            loop {
                let n = match reader.read(&mut chunk) {
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(source) => {
                        return Err(AuditError::Read {
                            name: name.to_owned(),
                            source,
                        })
                    }
                };
                if n == 0 {
                    eof = true;
                    break;
                }
                if let Some(i) = memchr::memchr(b'\n', &chunk[..n]) {
                    carry = chunk[i + 1..n].to_vec();
                    break;
                }
            }
            let bad = BadRecord {
                source: name.to_owned(),
                line: line_no,
                reason: too_long("line", max_line),
            };
            line_no += 1;
            if !emit(Batch::Bad(vec![bad])) {
                return Ok(());
            }
        }
        if eof && carry.is_empty() {
            return Ok(());
        }
    }
}

/// The non-blank lines of a JSON Lines batch with their numbers, without
/// line ends; a line longer than `max_line` is kept even if blank (it is
/// a bad record, as it is when the reader skips it).
fn json_lines(bytes: &[u8], first_line: u64, max_line: usize) -> Vec<(u64, &[u8])> {
    let mut out = Vec::with_capacity(bytes.len() / 256);
    // A UTF-8 byte-order mark before the first line (Excel, PowerShell)
    // is no part of the record (it lost the export's first one).
    let mut from = if first_line == 1 && bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let mut no = first_line;
    while from < bytes.len() {
        let to = memchr::memchr(b'\n', &bytes[from..]).map_or(bytes.len(), |i| from + i);
        let mut line = &bytes[from..to];
        if let [rest @ .., b'\r'] = line {
            line = rest;
        }
        if line.len() > max_line || !line.iter().all(u8::is_ascii_whitespace) {
            out.push((no, line));
        }
        no += 1;
        from = to + 1;
    }
    out
}

/// The longest CSV record (all its fields) read: a reply at the limit
/// with room for the other columns. Past this the record is cut by
/// [`CsvGuard`] and skipped without being held.
const MAX_CSV_RECORD: usize = 2 * MAX_REPLY_BYTES;

/// What [`CsvGuard`] puts at the end of a record it cut: bytes no UTF-8
/// field ends with.
const CUT_MARK: &[u8] = b"\xFF\xFEcut";

/// Where a CSV reader is within a record (the csv crate's default
/// dialect but for the separator: `"` doubled to escape, `\r`, `\n` or
/// `\r\n` ending a record).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CsvState {
    FieldStart,
    Unquoted,
    Quoted,
    /// A `"` inside a quoted field: the end of it, or the first of `""`.
    QuoteInQuoted,
}

impl CsvState {
    /// The state after `b`, and whether `b` ends a record, in a CSV whose
    /// fields are separated by `separator`.
    fn step(self, b: u8, separator: u8) -> (CsvState, bool) {
        use CsvState::*;
        match (self, b) {
            (Quoted, b'"') => (QuoteInQuoted, false),
            (Quoted, _) => (Quoted, false),
            (QuoteInQuoted, b'"') => (Quoted, false),
            (FieldStart, b'"') => (Quoted, false),
            (_, b) if b == separator => (FieldStart, false),
            (_, b'\r' | b'\n') => (FieldStart, true),
            _ => (Unquoted, false),
        }
    }
}

/// Sits between the export and the csv crate, which reads a record whole
/// however long (one 200 MB field took 552 MB): follows the quoting byte
/// by byte, and a record past `max_record` bytes is cut there — ended with
/// [`CUT_MARK`] (and a closing quote) — and the rest of it skipped,
/// passing on only its line ends so that line numbers stay true. Also
/// notes a quote still open at the end of the input.
struct CsvGuard<R> {
    inner: R,
    max_record: usize,
    separator: u8,
    state: CsvState,
    record_bytes: usize,
    skipping: bool,
    /// Bytes to hand out before any more input (the cut's end).
    inject: Vec<u8>,
    /// Input read but not yet looked at (after a cut).
    stash: Vec<u8>,
    line: u64,
    offset: u64,
    /// Line and offset of the last opening quote.
    quote_at: (u64, u64),
    /// At the end of the input: the line and offset of a quote never
    /// closed, and the lines and bytes read.
    unclosed: Option<(u64, u64)>,
}

impl<R: std::io::Read> CsvGuard<R> {
    fn new(inner: R, max_record: usize, separator: u8) -> Self {
        CsvGuard {
            inner,
            max_record,
            separator,
            state: CsvState::FieldStart,
            record_bytes: 0,
            skipping: false,
            inject: Vec::new(),
            stash: Vec::new(),
            line: 1,
            offset: 0,
            quote_at: (1, 0),
            unclosed: None,
        }
    }
}

impl<R: std::io::Read> std::io::Read for CsvGuard<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if !self.inject.is_empty() {
                let k = self.inject.len().min(out.len());
                out[..k].copy_from_slice(&self.inject[..k]);
                self.inject.drain(..k);
                return Ok(k);
            }
            if out.is_empty() {
                return Ok(0);
            }
            let n = if self.stash.is_empty() {
                self.inner.read(out)?
            } else {
                let k = self.stash.len().min(out.len());
                out[..k].copy_from_slice(&self.stash[..k]);
                self.stash.drain(..k);
                k
            };
            if n == 0 {
                if self.state == CsvState::Quoted {
                    self.unclosed = Some(self.quote_at);
                }
                return Ok(0);
            }
            // Bytes kept are compacted in place (`w <= i`).
            let mut w = 0;
            for i in 0..n {
                let b = out[i];
                let (next, ends) = self.state.step(b, self.separator);
                if !self.skipping && !ends && self.record_bytes >= self.max_record {
                    self.skipping = true;
                    self.inject.extend_from_slice(CUT_MARK);
                    if matches!(self.state, CsvState::Quoted) {
                        self.inject.push(b'"');
                    }
                    let rest = out[i..n].to_vec();
                    self.stash.splice(0..0, rest);
                    break;
                }
                if next == CsvState::Quoted && self.state == CsvState::FieldStart {
                    self.quote_at = (self.line, self.offset);
                }
                self.offset += 1;
                if b == b'\n' {
                    self.line += 1;
                }
                self.state = next;
                if self.skipping {
                    if b == b'\n' || b == b'\r' {
                        out[w] = b;
                        w += 1;
                    }
                } else {
                    out[w] = b;
                    w += 1;
                    self.record_bytes += 1;
                }
                if ends {
                    self.skipping = false;
                    self.record_bytes = 0;
                }
            }
            if w > 0 {
                return Ok(w);
            }
        }
    }
}

fn read_csv(
    name: &str,
    reader: Box<dyn std::io::Read + Send>,
    fields: &Fields,
    emit: &mut impl FnMut(Batch) -> bool,
) -> Result<(), AuditError> {
    read_csv_bounded(name, reader, fields, MAX_CSV_RECORD, emit)
}

/// The longest header row read to tell a CSV's separator.
const HEADER_BYTES: u64 = 64 * 1024;

/// The separator of a CSV whose header row is `header`: the one of `,`,
/// `;` (what Excel writes where the decimal mark is a comma, as in
/// Russian) and tab that splits it into the most columns, quoted names not
/// counted; `,` on a tie or when none does.
fn separator_of(header: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in header {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            b'\n' if !quoted => break,
            _ => {}
        }
    }
    let most = counts.iter().copied().max().unwrap_or(0);
    match counts.iter().position(|&c| c == most) {
        Some(1) if most > 0 => b';',
        Some(2) if most > 0 => b'\t',
        _ => b',',
    }
}

fn read_csv_bounded(
    name: &str,
    reader: impl std::io::Read,
    fields: &Fields,
    max_record: usize,
    emit: &mut impl FnMut(Batch) -> bool,
) -> Result<(), AuditError> {
    // The header row read first, whole (a pipe may hand it over in
    // pieces), to tell the separator; then read again with the rest.
    let mut input = std::io::BufReader::with_capacity(1 << 20, reader);
    let mut header = Vec::new();
    std::io::BufRead::read_until(
        &mut std::io::Read::take(&mut input, HEADER_BYTES),
        b'\n',
        &mut header,
    )
    .map_err(|source| AuditError::Read {
        name: name.to_owned(),
        source,
    })?;
    let separator = separator_of(&header);
    let input = std::io::Read::chain(std::io::Cursor::new(header), input);
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .delimiter(separator)
        .from_reader(CsvGuard::new(input, max_record, separator));
    let headers = r
        .headers()
        .map_err(|source| AuditError::CsvHeader {
            name: name.to_owned(),
            source,
        })?
        .clone();
    let col = |f: &Option<String>| {
        f.as_ref()
            .and_then(|n| headers.iter().position(|h| h.trim() == n))
    };
    let missing = |option: &'static str, field: &str| AuditError::NoColumn {
        name: name.to_owned(),
        field: field.to_owned(),
        option,
        columns: headers.iter().map(str::to_owned).collect(),
    };
    let Some(text_col) = headers.iter().position(|h| h.trim() == fields.text) else {
        return Err(missing("--text-field", &fields.text));
    };
    // As a JSON record's repeated key: the last one would not win unseen.
    if let Some(field) = fields
        .names()
        .into_iter()
        .flatten()
        .find(|f| headers.iter().filter(|h| h.trim() == *f).count() > 1)
    {
        return Err(AuditError::TwoColumns {
            name: name.to_owned(),
            field: field.to_owned(),
        });
    }
    if let Some((option, field)) = fields
        .asked
        .iter()
        .find(|(_, f)| !headers.iter().any(|h| h.trim() == f))
    {
        return Err(missing(option, field));
    }
    let (agent, channel, date, ticket, canned, customer) = (
        col(&fields.agent),
        col(&fields.channel),
        col(&fields.date),
        col(&fields.ticket),
        col(&fields.canned),
        col(&fields.customer),
    );
    let mut records = Vec::new();
    let mut bad = Vec::new();
    let mut size = 0usize;
    // Byte records: a cut record ends in CUT_MARK, not valid UTF-8; the
    // fields used are checked one by one.
    let mut row = csv::ByteRecord::new();
    loop {
        let line = r.position().line();
        let bad_record = |line: u64, reason: String| BadRecord {
            source: name.to_owned(),
            line,
            reason,
        };
        match r.read_byte_record(&mut row) {
            Ok(false) => break,
            Ok(true) => {
                let at = row.position().map_or(line, |p| p.line());
                let text = |c: usize| std::str::from_utf8(row.get(c)?).ok();
                let get = |c: Option<usize>| {
                    c.and_then(text)
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                };
                if row.iter().any(|f| f.ends_with(CUT_MARK)) {
                    bad.push(bad_record(at, too_long("record", max_record)));
                } else if row.get(text_col).is_none() {
                    bad.push(bad_record(
                        at,
                        format!(
                            "{} columns, no `{}` (column {})",
                            row.len(),
                            fields.text,
                            text_col + 1
                        ),
                    ));
                } else if row.get(text_col).is_some_and(|t| t.len() > MAX_REPLY_BYTES) {
                    bad.push(bad_record(at, too_long("reply", MAX_REPLY_BYTES)));
                } else if let Some(t) = text(text_col) {
                    size += t.len();
                    records.push(Record {
                        text: t.to_owned(),
                        agent: get(agent),
                        channel: get(channel),
                        month: get(date).and_then(|d| month_of(&d)),
                        ticket: get(ticket),
                        canned: get(canned),
                        customer: get(customer),
                        format: None,
                    });
                } else {
                    bad.push(bad_record(at, "invalid UTF-8".to_owned()));
                }
            }
            Err(e) => {
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    return Err(AuditError::Read {
                        name: name.to_owned(),
                        source: std::io::Error::other(e),
                    });
                }
                let at = e.position().map_or(line, |p| p.line());
                bad.push(bad_record(at, e.to_string()));
            }
        }
        if size >= BATCH_BYTES {
            size = 0;
            if !bad.is_empty() && !emit(Batch::Bad(std::mem::take(&mut bad))) {
                return Ok(());
            }
            if !emit(Batch::Records(std::mem::take(&mut records))) {
                return Ok(());
            }
        }
    }
    let guard = r.get_ref();
    if let Some((line, offset)) = guard.unclosed {
        return Err(AuditError::UnclosedQuote {
            name: name.to_owned(),
            line,
            lines: guard.line - line,
            bytes: guard.offset - offset,
        });
    }
    if !bad.is_empty() {
        emit(Batch::Bad(bad));
    }
    if !records.is_empty() {
        emit(Batch::Records(records));
    }
    Ok(())
}

/// Whether the file at `path` starts (after white space and a byte-order
/// mark, within its first KiB) with `{`: JSON Lines, whatever its name.
fn opens_with_brace(path: &Path) -> bool {
    use std::io::Read as _;
    let mut head = [0u8; 1024];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    let head = head[..n]
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(&head[..n]);
    head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// Replies, one per draft file (a folder's, or one named), read as
/// `apolint check` reads them (UTF-16 decoded, Markdown and HTML by their
/// extension); the folder's symbolic links are bad records.
fn read_draft_files(
    found: Vec<std::path::PathBuf>,
    skipped_links: &[std::path::PathBuf],
    emit: &mut impl FnMut(Batch) -> bool,
) -> Result<(), AuditError> {
    let mut records = Vec::new();
    let mut bad: Vec<BadRecord> = skipped_links
        .iter()
        .map(|l| BadRecord {
            source: l.display().to_string(),
            line: 1,
            reason: "a symbolic link: not followed".into(),
        })
        .collect();
    let mut size = 0;
    for f in found {
        let bad_record = |reason: String| BadRecord {
            source: f.display().to_string(),
            line: 1,
            reason,
        };
        match files::read_draft(&f, MAX_REPLY_BYTES as u64, false) {
            Ok(draft) => {
                size += draft.text.len();
                records.push(Record {
                    text: draft.text,
                    format: draft.format,
                    ..Record::default()
                });
            }
            Err(ReadError::TooLarge { .. }) => {
                bad.push(bad_record(too_long("reply", MAX_REPLY_BYTES)))
            }
            Err(ReadError::Binary { .. }) => bad.push(bad_record("binary file".into())),
            Err(ReadError::InvalidUtf8 { at, .. }) => {
                bad.push(bad_record(format!("invalid UTF-8 at byte {at}")))
            }
            Err(ReadError::Io { source, .. }) => {
                bad.push(bad_record(format!("cannot read: {source}")))
            }
            Err(e) => bad.push(bad_record(e.to_string())),
        }
        if size >= BATCH_BYTES {
            size = 0;
            if !emit(Batch::Records(std::mem::take(&mut records))) {
                return Ok(());
            }
        }
    }
    if !bad.is_empty() {
        emit(Batch::Bad(bad));
    }
    if !records.is_empty() {
        emit(Batch::Records(records));
    }
    Ok(())
}

/// Why a reply (`what`: a line, a reply) over `max` bytes is a bad record.
fn too_long(what: &str, max: usize) -> String {
    format!(
        "{what} longer than {} (a pasted log or attachment?): not checked",
        size_text(max)
    )
}

/// `1 MiB`, `64 KiB`, `1000 bytes`.
fn size_text(n: usize) -> String {
    match n {
        _ if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{} MiB", n >> 20),
        _ if n >= 1 << 10 && n % (1 << 10) == 0 => format!("{} KiB", n >> 10),
        _ => format!("{n} bytes"),
    }
}

/// Whether a reply has no words to check: empty, white space, or markup
/// alone (`<p>&nbsp;</p>`, an HTML template sent without its text): tags
/// and character references are skipped, and the first other character
/// (a real reply's first letter, a few bytes in) ends the test.
fn is_empty_reply(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'<' => match memchr::memchr(b'>', &b[i..]) {
                Some(j) => i += j + 1,
                None => return false,
            },
            b'&' => match b[i..].iter().take(12).position(|&c| c == b';') {
                Some(j) => i += j + 1,
                None => return false,
            },
            c if c.is_ascii_whitespace() => i += 1,
            // A no-break space, as pasted.
            0xC2 if b.get(i + 1) == Some(&0xA0) => i += 2,
            _ => return false,
        }
    }
    true
}

impl Summary {
    /// Checks a batch (on this thread) and adds it to the summary.
    pub fn add_batch(&mut self, linter: &Linter, fields: &Fields, batch: Batch) {
        let me = std::mem::take(self);
        *self = me.merge(Summary::of_batch(linter, fields, batch));
    }

    /// The summary of one batch, checked on this thread.
    pub fn of_batch(linter: &Linter, fields: &Fields, batch: Batch) -> Summary {
        let mut s = Summary::default();
        match batch {
            Batch::Bad(bad) => bad.into_iter().for_each(|b| s.add_bad(b)),
            Batch::Records(records) => records.iter().for_each(|r| s.add_record(linter, r)),
            Batch::JsonLines {
                source,
                first_line,
                bytes,
                max_line,
            } => {
                for (line, bytes) in json_lines(&bytes, first_line, max_line) {
                    // The reader skips a line still open past the limit
                    // without keeping it; one that ended within a single
                    // read arrives whole and is turned down here.
                    let parsed = if bytes.len() > max_line {
                        Err(too_long("line", max_line))
                    } else {
                        parse_json_line(bytes, fields)
                    };
                    match parsed {
                        Ok(r) => s.add_record(linter, &r),
                        Err(reason) => s.add_bad(BadRecord {
                            source: source.clone(),
                            line,
                            reason,
                        }),
                    }
                }
            }
        }
        s
    }

    fn add_bad(&mut self, b: BadRecord) {
        self.bad_records += 1;
        if self.bad.len() < MAX_BAD_LISTED {
            self.bad.push(b);
        }
    }

    /// Checks one reply and counts it.
    pub fn add_record(&mut self, linter: &Linter, r: &Record) {
        let opts = CheckOptions {
            format: r.format,
            customer_name: r.customer.clone(),
            // The summary reads rules, categories, messages and spans,
            // never suggestions.
            suggestions_in_rule_order: true,
            ..CheckOptions::default()
        };
        if is_empty_reply(&r.text) {
            self.empty += 1;
            return;
        }
        let has = [
            r.agent.is_some(),
            r.channel.is_some(),
            r.month.is_some(),
            r.ticket.is_some(),
            r.canned.is_some(),
            r.customer.is_some(),
        ];
        for (seen, has) in self.fields_seen.iter_mut().zip(has) {
            *seen |= has;
        }
        let report = linter.check(&r.text, &opts);
        let serious: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| f.severity >= Severity::Warning)
            .collect();
        self.replies += 1;
        self.bytes += r.text.len() as u64;
        self.findings += serious.len() as u64;
        if serious.is_empty() {
            self.clean += 1;
        }
        if report.findings.is_empty() {
            self.spotless += 1;
        }
        let mut seen: Vec<&'static str> = Vec::new();
        for f in &serious {
            let cat = f.category.name();
            *self.by_category.entry(cat).or_default() += 1;
            if !seen.contains(&cat) {
                seen.push(cat);
            }
            // Looked up before inserting: the key is cloned only once per
            // rule, not once per finding.
            match self.by_rule.get_mut(f.rule.as_str()) {
                Some(rs) => rs.count += 1,
                None => {
                    self.by_rule.insert(
                        f.rule.to_string(),
                        RuleStat {
                            count: 1,
                            category: cat,
                            message: f.message.to_string(),
                        },
                    );
                }
            }
            if !whole_draft(f.category) {
                let phrase = r.text.get(f.span.start..f.span.end).unwrap_or("").trim();
                if !phrase.is_empty() && phrase.len() <= 120 {
                    // Most phrases recur: the key is owned only when new.
                    let key = phrase_key(&f.rule, phrase);
                    match self.phrases.get_mut(&key) {
                        Some(p) => p.count += 1,
                        None => {
                            self.phrases.insert(
                                key,
                                PhraseStat {
                                    count: 1,
                                    rule: f.rule.to_string(),
                                    category: cat,
                                    example: phrase.to_owned(),
                                },
                            );
                        }
                    }
                }
            }
        }
        for c in &seen {
            *self.replies_by_category.entry(c).or_default() += 1;
        }
        // Read once, counted for the team, its groups and its macro.
        let structure = report.structure.as_ref().map(OneReply::of);
        if let Some(st) = structure {
            self.structure.add_one(st);
        }
        let group = |map: &mut BTreeMap<String, GroupStat>, key: &str| {
            // One search for an agent, channel or month seen before (all
            // but the first of its replies).
            let g = match map.get_mut(key) {
                Some(g) => g,
                None => map.entry(key.to_owned()).or_default(),
            };
            g.replies += 1;
            g.findings += serious.len() as u64;
            if serious.is_empty() {
                g.clean += 1;
            }
            for f in &serious {
                *g.by_category.entry(f.category.name()).or_default() += 1;
            }
            if let Some(st) = structure {
                g.structure.add_one(st);
            }
        };
        if let Some(a) = &r.agent {
            group(&mut self.by_agent, a);
        }
        if let Some(c) = &r.channel {
            group(&mut self.by_channel, c);
        }
        if let Some(m) = &r.month {
            group(&mut self.by_month, m);
        }
        // Canned responses: by macro id when the export has one, otherwise
        // identical texts (a macro sent unchanged).
        let key = match &r.canned {
            Some(m) => CannedKey::Macro(m.clone()),
            None => CannedKey::Text(
                foldhash::quality::FixedState::with_seed(0xca77ed).hash_one(r.text.trim()),
            ),
        };
        let entry = self.canned.entry(key).or_insert_with(|| CannedStat {
            canned: r.canned.clone(),
            text: excerpt(&r.text, 300),
            text_has_findings: !serious.is_empty(),
            ..CannedStat::default()
        });
        entry.sent += 1;
        entry.findings += serious.len() as u64;
        if !serious.is_empty() && !entry.text_has_findings {
            entry.text = excerpt(&r.text, 300);
            entry.text_has_findings = true;
        }
        entry.add_categories(&seen);
        if let Some(st) = structure {
            entry.structure.add_one(st);
        }
        // Samples: replies with the most different problems.
        if seen.len() >= 2 && r.text.len() <= 3000 {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            r.text.hash(&mut h);
            let score = (seen.len(), serious.len(), h.finish());
            if self.samples.len() < SAMPLES || self.samples.iter().any(|s| s.score < score) {
                self.samples.push(Sample {
                    text: r.text.clone(),
                    agent: r.agent.clone(),
                    findings: serious
                        .iter()
                        .map(|f| {
                            (
                                f.span.start,
                                f.span.end,
                                f.category.name(),
                                f.message.to_string(),
                            )
                        })
                        .collect(),
                    score,
                });
                self.trim_samples();
            }
        }
        if self.phrases.len() > MAX_PHRASES {
            prune(&mut self.phrases, MAX_PHRASES / 2, |p| p.count);
        }
        if self.canned.len() > MAX_CANNED {
            prune(&mut self.canned, MAX_CANNED / 2, |c| c.sent);
        }
    }

    /// Keeps the `keep` agents and the `keep` channels with the most
    /// replies (ties by name) and folds the others into one [`OTHER`]
    /// entry. Once folded, an agent's later replies start a new entry, so
    /// counts outside the top are approximate; the totals stay exact.
    pub fn fold_groups(&mut self, keep: usize) {
        for map in [&mut self.by_agent, &mut self.by_channel] {
            if map.len() - usize::from(map.contains_key(OTHER)) <= keep {
                continue;
            }
            let mut other = map.remove(OTHER).unwrap_or_default();
            let mut entries: Vec<(String, GroupStat)> = std::mem::take(map).into_iter().collect();
            entries.sort_by(|a, b| b.1.replies.cmp(&a.1.replies).then_with(|| a.0.cmp(&b.0)));
            for (_, stat) in entries.drain(keep.min(entries.len())..) {
                other.add(&stat);
            }
            map.extend(entries);
            map.insert(OTHER.to_owned(), other);
        }
    }

    /// Why the run must fail, when most of what was read could not be
    /// used (more bad records than replies): its figures would describe
    /// a small, arbitrary part of the export. Empty records do not count
    /// for the replies: the figures leave them out too.
    pub fn mostly_unreadable(&self) -> Option<String> {
        if self.bad_records <= self.replies {
            return None;
        }
        let first = self.bad.first().map_or(String::new(), |b| {
            format!(" (first: {}:{}: {})", b.source, b.line, b.reason)
        });
        let empty = if self.empty == 0 {
            String::new()
        } else {
            format!(
                " ({} left out)",
                plural(self.empty, "empty record", "empty records")
            )
        };
        Some(format!(
            "most of the input could not be read: {} against {}{empty}{first}; fix the export, or name the right columns with --text-field; nothing written",
            plural(self.bad_records, "bad record", "bad records"),
            plural(self.replies, "reply", "replies"),
        ))
    }

    fn trim_samples(&mut self) {
        self.samples.sort_by_key(|s| std::cmp::Reverse(s.score));
        self.samples.dedup_by(|a, b| a.score == b.score);
        self.samples.truncate(SAMPLES);
    }

    /// Combines two summaries (associative).
    pub fn merge(mut self, other: Summary) -> Summary {
        self.replies += other.replies;
        self.bytes += other.bytes;
        self.clean += other.clean;
        self.spotless += other.spotless;
        self.findings += other.findings;
        for (k, v) in other.by_category {
            *self.by_category.entry(k).or_default() += v;
        }
        for (k, v) in other.replies_by_category {
            *self.replies_by_category.entry(k).or_default() += v;
        }
        self.structure.merge(&other.structure);
        for (k, v) in other.by_rule {
            let e = self.by_rule.entry(k).or_insert_with(|| RuleStat {
                count: 0,
                ..v.clone()
            });
            e.count += v.count;
        }
        for (mine, theirs) in [
            (&mut self.by_agent, other.by_agent),
            (&mut self.by_channel, other.by_channel),
            (&mut self.by_month, other.by_month),
        ] {
            for (k, v) in theirs {
                mine.entry(k).or_default().add(&v);
            }
        }
        for (k, v) in other.phrases {
            let e = self.phrases.entry(k).or_insert_with(|| PhraseStat {
                count: 0,
                ..v.clone()
            });
            e.count += v.count;
        }
        for (k, v) in other.canned {
            match self.canned.get_mut(&k) {
                Some(e) => {
                    e.sent += v.sent;
                    e.findings += v.findings;
                    e.add_categories(&v.categories);
                    if v.text_has_findings && !e.text_has_findings {
                        (e.text, e.text_has_findings) = (v.text, true);
                    }
                    e.structure.merge(&v.structure);
                }
                None => {
                    self.canned.insert(k, v);
                }
            }
        }
        self.samples.extend(other.samples);
        self.trim_samples();
        self.empty += other.empty;
        for (seen, other) in self.fields_seen.iter_mut().zip(other.fields_seen) {
            *seen |= other;
        }
        self.bad_records += other.bad_records;
        for b in other.bad {
            if self.bad.len() < MAX_BAD_LISTED {
                self.bad.push(b);
            }
        }
        if self.phrases.len() > MAX_PHRASES {
            prune(&mut self.phrases, MAX_PHRASES / 2, |p| p.count);
        }
        if self.canned.len() > MAX_CANNED {
            prune(&mut self.canned, MAX_CANNED / 2, |c| c.sent);
        }
        self
    }

    /// The most frequent phrases, most frequent first.
    pub fn top_phrases(&self, n: usize) -> Vec<&PhraseStat> {
        let mut v: Vec<&PhraseStat> = self.phrases.values().collect();
        v.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.example.cmp(&b.example))
                .then_with(|| a.rule.cmp(&b.rule))
        });
        v.truncate(n);
        v
    }

    /// Canned responses (sent at least twice, or named by a macro id) by
    /// their findings in all copies: where one fix helps most.
    pub fn top_canned(&self, n: usize) -> Vec<&CannedStat> {
        let mut v: Vec<&CannedStat> = self
            .canned
            .values()
            .filter(|c| c.findings > 0 && (c.sent >= 2 || c.canned.is_some()) && !c.text.is_empty())
            .collect();
        v.sort_by(|a, b| {
            b.findings
                .cmp(&a.findings)
                .then_with(|| a.text.cmp(&b.text))
                // Ties in full, or the order would follow the hash map's.
                .then_with(|| a.canned.cmp(&b.canned))
                .then_with(|| b.sent.cmp(&a.sent))
        });
        v.truncate(n);
        v
    }

    /// Canned responses (sent at least twice to a complaint, or named by a
    /// macro id) whose structure leaves the most out: by (100 − median
    /// score) × replies to a complaint, where rewriting the macro adds the
    /// most.
    pub fn canned_structure(&self, n: usize) -> Vec<&CannedStat> {
        let gap = |c: &CannedStat| {
            u64::from(100 - c.structure.stat().scores.median().unwrap_or(100).min(100))
                * c.structure.replies()
        };
        let mut v: Vec<&CannedStat> = self
            .canned
            .values()
            .filter(|c| {
                let r = c.structure.replies();
                r > 0 && (r >= 2 || c.canned.is_some()) && !c.text.is_empty()
            })
            .collect();
        v.sort_by(|a, b| {
            gap(b)
                .cmp(&gap(a))
                .then_with(|| b.structure.replies().cmp(&a.structure.replies()))
                .then_with(|| a.text.cmp(&b.text))
                .then_with(|| a.canned.cmp(&b.canned))
        });
        v.truncate(n);
        v
    }

    /// The JSON summary: totals, shares, per category / rule / agent /
    /// channel / month, top phrases, canned responses, the structure of
    /// the replies to a complaint, bad records.
    pub fn to_json(&self) -> Value {
        let share = |n: u64| {
            if self.replies == 0 {
                0.0
            } else {
                n as f64 / self.replies as f64
            }
        };
        let mut v = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Some(obj) = v.as_object_mut() {
            obj.insert("share_clean".into(), round(share(self.clean)).into());
            obj.insert(
                "share_without_any_finding".into(),
                round(share(self.spotless)).into(),
            );
            obj.insert(
                "findings_per_reply".into(),
                round(if self.replies == 0 {
                    0.0
                } else {
                    self.findings as f64 / self.replies as f64
                })
                .into(),
            );
            obj.insert(
                "top_phrases".into(),
                serde_json::to_value(self.top_phrases(30)).unwrap_or(Value::Null),
            );
            obj.insert(
                "top_canned_responses".into(),
                serde_json::to_value(self.top_canned(15)).unwrap_or(Value::Null),
            );
            obj.insert(
                "structure_by_canned".into(),
                serde_json::to_value(self.canned_structure(15)).unwrap_or(Value::Null),
            );
        }
        v
    }
}

fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// The key of a matched phrase in [`Summary::phrases`]: the rule id and the
/// phrase's fix key ([`apolint_core::rules::book::fix_key`]), apart by a
/// NUL, which neither holds (rule ids are names, normalising drops NUL).
fn phrase_key(rule: &str, phrase: &str) -> String {
    let mut key = String::with_capacity(rule.len() + 1 + phrase.len());
    key.push_str(rule);
    key.push('\0');
    apolint_core::rules::book::push_fix_key(phrase, &mut key);
    key
}

/// Keeps the `keep` entries with the highest counts.
fn prune<K: Clone + Eq + Hash, V>(
    map: &mut HashMap<K, V, RandomState>,
    keep: usize,
    count: impl Fn(&V) -> u64,
) {
    let mut counts: Vec<u64> = map.values().map(&count).collect();
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let threshold = counts.get(keep).copied().unwrap_or(0);
    map.retain(|_, v| count(v) > threshold);
}

/// The start of a text, at most `max` bytes, cut at a character boundary.
pub fn excerpt(text: &str, max: usize) -> String {
    let t = text.trim();
    if t.len() <= max {
        return t.to_owned();
    }
    let mut end = max;
    while !t.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &t[..end])
}

/// Whether findings of a category concern the whole draft (their span is a
/// sentence or the draft), so their text is not a "phrase".
fn whole_draft(c: apolint_core::Category) -> bool {
    matches!(
        c,
        apolint_core::Category::MissingDeadline
            | apolint_core::Category::MissingCompensation
            | apolint_core::Category::OverApology
            | apolint_core::Category::NameMismatch
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linter() -> Linter {
        Linter::builtin().unwrap()
    }

    #[test]
    fn folders_are_read_as_check_reads_them() {
        let dir = tempfile::tempdir().unwrap();
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(
                "Приносим свои извинения."
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes),
            )
            .collect();
        std::fs::write(dir.path().join("a.txt"), utf16).unwrap();
        std::fs::write(dir.path().join("b.md"), "Hi **Anna**, thanks.").unwrap();
        std::fs::write(dir.path().join("c.txt"), b"x\0y").unwrap();
        let mut records = Vec::new();
        let mut bad = Vec::new();
        read_batches(dir.path(), &Fields::default(), |b| {
            match b {
                Batch::Records(r) => records.extend(r),
                Batch::Bad(b) => bad.extend(b),
                Batch::JsonLines { .. } => unreachable!("a folder is no JSON Lines"),
            }
            true
        })
        .unwrap();
        let got: Vec<(&str, Option<InputFormat>)> = records
            .iter()
            .map(|r| (r.text.as_str(), r.format))
            .collect();
        assert_eq!(
            got,
            [
                ("Приносим свои извинения.", Some(InputFormat::Plain)),
                ("Hi **Anna**, thanks.", Some(InputFormat::Markdown)),
            ]
        );
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].reason, "binary file");
        // JSON Lines named `.txt` are still read as JSON Lines.
        let export = dir.path().join("export.txt");
        std::fs::write(
            &export,
            "\u{feff}{\"text\": \"Sorry!!!\"}\n{\"text\": \"Hi\"}\n",
        )
        .unwrap();
        let mut lines = 0;
        read_batches(&export, &Fields::default(), |b| {
            match b {
                Batch::JsonLines { .. } => lines += 1,
                other => panic!("JSON Lines, not {other:?}"),
            }
            true
        })
        .unwrap();
        assert_eq!(lines, 1, "one batch of lines");
        // A draft file named alone is one reply, as in its folder; not
        // JSON Lines whose every line is a bad record.
        let mut alone = Vec::new();
        read_batches(&dir.path().join("b.md"), &Fields::default(), |b| {
            match b {
                Batch::Records(r) => alone.extend(r),
                other => panic!("one reply, not {other:?}"),
            }
            true
        })
        .unwrap();
        assert_eq!(alone.len(), 1);
        assert_eq!(alone[0].text, "Hi **Anna**, thanks.");
        assert_eq!(alone[0].format, Some(InputFormat::Markdown));
    }

    #[test]
    fn json_lines_bad_records_are_counted_with_line_numbers() {
        let input = "{\"text\": \"Приносим свои извинения.\", \"agent\": \"Анна\", \"date\": \"2026-03-04\"}\n\
                     not json\n\
                     \n\
                     {\"agent\": \"Анна\"}\n\
                     {\"text\": 5}\n\
                     [1, 2]\n\
                     {\"text\": \"Thanks, refunded today.\", \"channel\": \"chat\", \"date\": \"04.03.2026\"}\n";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.jsonl");
        std::fs::write(&path, input).unwrap();
        let fields = Fields::default();
        let l = linter();
        let mut s = Summary::default();
        read_batches(&path, &fields, |b| {
            s.add_batch(&l, &fields, b);
            true
        })
        .unwrap();
        assert_eq!(s.replies, 2);
        assert_eq!(s.bad_records, 4);
        let mut lines: Vec<(u64, String)> =
            s.bad.iter().map(|b| (b.line, b.reason.clone())).collect();
        lines.sort();
        assert_eq!(lines[0].0, 2);
        assert!(lines[0].1.starts_with("malformed JSON"), "{lines:?}");
        assert_eq!(lines[1], (4, "no `text` field".into()));
        assert_eq!(
            lines[2],
            (5, "field `text` is a number, not a string".into())
        );
        assert_eq!(lines[3], (6, "not a JSON object".into()));
        assert_eq!(s.by_agent["Анна"].replies, 1);
        assert_eq!(s.by_month["2026-03"].replies, 2);
        assert_eq!(s.by_category["cliche"], 1);
        assert_eq!(s.clean, 1);
    }

    #[test]
    fn json_lines_batches_keep_every_line_and_its_number() {
        let long = format!("{{\"text\": \"{}\"}}", "а".repeat(5000));
        let input = format!("{{\"a\":1}}\r\n\n  \n{long}\n{{\"b\":2}}\n\n{{\"c\":3}}");
        let expected: Vec<(u64, Vec<u8>)> = vec![
            (1, b"{\"a\":1}".to_vec()),
            (4, long.clone().into_bytes()),
            (5, b"{\"b\":2}".to_vec()),
            (7, b"{\"c\":3}".to_vec()),
        ];
        for batch in [1, 2, 3, 7, 64, 4999, 5001, 1 << 20] {
            let mut got = Vec::new();
            let mut batches = 0;
            read_jsonl("t", input.as_bytes(), batch, usize::MAX, &mut |b| {
                let Batch::JsonLines {
                    first_line, bytes, ..
                } = b
                else {
                    panic!("not JSON lines")
                };
                batches += 1;
                got.extend(
                    json_lines(&bytes, first_line, usize::MAX)
                        .into_iter()
                        .map(|(n, l)| (n, l.to_vec())),
                );
                true
            })
            .unwrap();
            assert_eq!(got, expected, "batch size {batch}");
            assert!(
                batch < 1 << 20 || batches == 1,
                "batch size {batch}: {batches} batches"
            );
            assert!(
                batch > 3 || batches >= 5,
                "batch size {batch}: {batches} batches"
            );
        }
    }

    /// A reader that hands out at most `step` bytes per call, as a pipe does.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn json_lines_longer_than_the_limit_are_bad_records_and_never_held_whole() {
        let rec = |t: &str| format!("{{\"text\": \"{t}\"}}");
        let long = rec(&"я".repeat(3000));
        let short = rec("Приносим свои извинения.");
        // Long lines in the middle, back to back, and last without a newline.
        let input = format!("{short}\n{long}\n{short}\n{long}\n{long}\n\n{short}\n{long}");
        let (l, fields) = (linter(), Fields::default());
        for (batch, step) in [
            (64, 7),
            (64, 1 << 20),
            (700, 13),
            (4096, 5000),
            (1 << 20, 1 << 20),
        ] {
            let mut s = Summary::default();
            let mut largest = 0;
            let data = Trickle {
                data: input.as_bytes(),
                step,
            };
            read_jsonl("t.jsonl", data, batch, 1000, &mut |b| {
                if let Batch::JsonLines { bytes, .. } = &b {
                    largest = largest.max(bytes.capacity());
                }
                s.add_batch(&l, &fields, b);
                true
            })
            .unwrap();
            let at = format!("batch {batch}, reads of {step}");
            assert_eq!(s.replies, 3, "{at}");
            let bad: Vec<(u64, &str)> = s.bad.iter().map(|b| (b.line, b.reason.as_str())).collect();
            assert_eq!(
                bad,
                [2, 4, 5, 8].map(|n| (
                    n,
                    "line longer than 1000 bytes (a pasted log or attachment?): not checked"
                )),
                "{at}"
            );
            // Held: a batch and at most one limit's worth of a long line
            // (plus a read), not the whole 6 KB line, when reads are small.
            if step < 1000 {
                assert!(
                    largest < batch + batch / 16 + 1000 + step + 64,
                    "{at}: {largest}"
                );
            }
        }
    }

    #[test]
    fn summary_is_the_same_on_any_number_of_threads() {
        let texts = [
            "Приносим свои извинения. Мы же вас предупреждали!!!",
            "Thanks, the refund was sent today at 10:00.",
            "We apologize for any inconvenience. As I already mentioned, the courier failed.",
        ];
        let mut input = String::new();
        for i in 0..120 {
            if i % 17 == 5 {
                input.push_str("not json\n");
                continue;
            }
            let rec = serde_json::json!({
                "text": texts[i % 3],
                "agent": format!("a{}", i % 4),
                "macro": (i % 5 == 0).then(|| format!("m{}", i % 2)),
                "date": format!("2026-0{}-01", 1 + i % 6),
            });
            input.push_str(&format!("{rec}\n"));
        }
        let batches = || {
            let mut v = Vec::new();
            read_jsonl("t.jsonl", input.as_bytes(), 700, usize::MAX, &mut |b| {
                v.push(b);
                true
            })
            .unwrap();
            assert!(v.len() > 8, "{} batches", v.len());
            v
        };
        let (l, fields) = (linter(), Fields::default());
        let mut one_by_one = Summary::default();
        for b in batches() {
            one_by_one.add_batch(&l, &fields, b);
        }
        for threads in [1, 2, 3] {
            let mut folded = 0;
            let s = summarize(&l, &fields, batches().into_iter(), threads, |_, so_far| {
                folded += 1;
                assert!(so_far.replies + so_far.bad_records > 0);
            });
            assert_eq!(folded, batches().len());
            assert_eq!(s.to_json(), one_by_one.to_json(), "{threads} threads");
            let lines: Vec<u64> = s.bad.iter().map(|b| b.line).collect();
            assert_eq!(lines, [6, 23, 40, 57, 74, 91, 108], "in input order");
        }
    }

    #[test]
    fn json_records_keep_only_the_named_fields() {
        let fields = Fields {
            agent: Some("who".into()),
            ..Fields::default()
        };
        let r = parse_json_line(
            br#"{"x": {"deep": [1, "t\u00e9"]}, "who": "Bob", "text": "Hi \"you\"\n", "date": "2026-04-01", "ticket": 42, "channel": null, "x": 2}"#,
            &fields,
        )
        .unwrap();
        assert_eq!(r.text, "Hi \"you\"\n", "a field not read may repeat");
        assert_eq!(r.agent.as_deref(), Some("Bob"));
        assert_eq!(r.month.as_deref(), Some("2026-04"));
        assert_eq!(r.ticket.as_deref(), Some("42"));
        assert_eq!(r.channel, None);
        // Invalid UTF-8 in a field that is not read does not stop a record
        // (such a line is read as bytes, any other as text).
        let r = parse_json_line(b"{\"x\": \"caf\xff\", \"text\": \"ok\"}", &fields).unwrap();
        assert_eq!(r.text, "ok");
        for (line, reason) in [
            (
                &b"{\"text\": \"ok\"} trailing"[..],
                "malformed JSON: trailing characters at line 1 column 16",
            ),
            (b"[1, {\"text\": \"x\"}]", "not a JSON object"),
            (b"\"just a string\"", "not a JSON object"),
            (
                b"{\"text\": [\"x\"]}",
                "field `text` is an array, not a string",
            ),
            (b"{\"text\": \"caf\xff\"}", "invalid UTF-8 at byte 13"),
            (
                b"{\"text\": \"x\",}",
                "malformed JSON: trailing comma at line 1 column 14",
            ),
            // The last would win unseen: `{{name}}` audited clean.
            (
                b"{\"text\": \"Hi {{name}}\", \"text\": \"Hi Maria\"}",
                "malformed JSON: duplicate key `text` at line 1 column 30",
            ),
            (
                b"{\"who\": \"A\", \"text\": \"x\", \"who\": \"B\"}",
                "malformed JSON: duplicate key `who` at line 1 column 31",
            ),
        ] {
            assert_eq!(parse_json_line(line, &fields).unwrap_err(), reason);
        }
    }

    #[test]
    fn csv_with_quoted_newlines_and_malformed_rows() {
        let input = "ticket,agent,text,date\n\
                     1,Анна,\"Приносим свои извинения.\nМы же вас предупреждали!\",2026-01-10\n\
                     2,Bob,\"closed \"\"quote\"\" inside\"\n";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.csv");
        std::fs::write(&path, input).unwrap();
        let fields = Fields::default();
        let l = linter();
        let mut s = Summary::default();
        read_batches(&path, &fields, |b| {
            s.add_batch(&l, &fields, b);
            true
        })
        .unwrap();
        assert_eq!(s.replies, 2, "{:?}", s.bad);
        assert_eq!(s.by_agent["Анна"].replies, 1);
        assert!(s.by_category["passive-aggression"] >= 1);
        // A text column that is missing is an error naming the columns.
        std::fs::write(&path, "a,b\n1,2\n").unwrap();
        let e = read_batches(&path, &fields, |_| true).unwrap_err();
        assert!(
            e.to_string().contains("no `text` column (columns: a, b)"),
            "{e}"
        );
        // Short rows are bad records with their line.
        std::fs::write(&path, "agent,text\nАнна,ok\nBob\n").unwrap();
        let mut s = Summary::default();
        read_batches(&path, &fields, |b| {
            s.add_batch(&l, &fields, b);
            true
        })
        .unwrap();
        assert_eq!((s.replies, s.bad_records), (1, 1));
        assert_eq!(s.bad[0].line, 3);
    }

    /// At the limit, whatever the line end and wherever a read stops: the
    /// verdict is on the line without its `\n` or `\r\n`.
    #[test]
    fn json_lines_at_the_limit_are_judged_the_same_wherever_reads_stop() {
        let rec = |n: usize| format!("{{\"text\":\"{}\"}}", "x".repeat(n - 11));
        assert_eq!(rec(100).len(), 100);
        let blank = " ".repeat(150);
        // (line, line end, is it a reply)
        let cases = [
            (rec(100), "\r\n", true),
            (rec(100), "\n", true),
            (rec(100), "", true),
            (rec(101), "\r\n", false),
            (rec(101), "\n", false),
            (rec(101), "", false),
            (blank, "\n", false),
        ];
        let (l, fields) = (linter(), Fields::default());
        for (line, end, ok) in &cases {
            for lead in 0..100 {
                for batch in [16, 64, 100, 101, 102, 4096] {
                    let tail = if end.is_empty() {
                        ""
                    } else {
                        "{\"text\":\"ok\"}\n"
                    };
                    let input = format!("{}\n{line}{end}{tail}", " ".repeat(lead));
                    let mut s = Summary::default();
                    read_jsonl("t", input.as_bytes(), batch, 100, &mut |b| {
                        s.add_batch(&l, &fields, b);
                        true
                    })
                    .unwrap();
                    let at = format!(
                        "{} bytes, end {end:?}, lead {lead}, batch {batch}",
                        line.len()
                    );
                    let replies = u64::from(*ok) + u64::from(!tail.is_empty());
                    assert_eq!(s.replies, replies, "{at}");
                    let bad: Vec<u64> = s.bad.iter().map(|b| b.line).collect();
                    assert_eq!(bad, if *ok { vec![] } else { vec![2] }, "{at}");
                }
            }
        }
    }

    #[test]
    fn overlong_replies_in_csv_and_folders_are_bad_records() {
        let huge = "Приносим свои извинения. ".repeat(MAX_REPLY_BYTES / 40);
        assert!(huge.len() > MAX_REPLY_BYTES);
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("export.csv");
        std::fs::write(&csv, format!("agent,text\nАнна,\"{huge}\"\nBob,ok\n")).unwrap();
        let texts = dir.path().join("replies");
        std::fs::create_dir(&texts).unwrap();
        std::fs::write(texts.join("a.txt"), &huge).unwrap();
        std::fs::write(texts.join("b.txt"), "Приносим свои извинения.").unwrap();
        let (l, fields) = (linter(), Fields::default());
        for (path, line) in [(&csv, 2), (&texts, 1)] {
            let mut s = Summary::default();
            read_batches(path, &fields, |b| {
                s.add_batch(&l, &fields, b);
                true
            })
            .unwrap();
            assert_eq!((s.replies, s.bad_records), (1, 1), "{path:?}");
            assert_eq!(s.bad[0].line, line);
            assert_eq!(
                s.bad[0].reason,
                "reply longer than 1 MiB (a pasted log or attachment?): not checked"
            );
        }
    }

    #[test]
    fn empty_replies_are_counted_apart_and_flatter_no_share() {
        let l = linter();
        let mut s = Summary::default();
        for text in [
            "",
            " \n\t ",
            "<p>&nbsp;</p>",
            "We are sorry!!! It is the courier's fault.",
        ] {
            s.add_record(
                &l,
                &Record {
                    text: text.to_owned(),
                    agent: Some("a".into()),
                    ..Record::default()
                },
            );
        }
        assert_eq!((s.replies, s.empty, s.clean, s.spotless), (1, 3, 0, 0));
        let json = s.to_json();
        assert_eq!(json["empty"], 3);
        // Markup around words is a reply.
        assert!(!is_empty_reply("<p>Sorry &amp; thanks</p>"));
        assert!(!is_empty_reply("<3"));
        assert!(is_empty_reply("<div>\u{a0}<br/>&#160;</div>\n"));
        assert_eq!(json["share_clean"], 0.0);
        assert_eq!(s.by_agent["a"].replies, 1);
        let merged = Summary {
            empty: 3,
            ..Summary::default()
        }
        .merge(s);
        assert_eq!((merged.replies, merged.empty), (1, 6));
    }

    #[test]
    fn merge_is_the_same_in_any_grouping() {
        let l = linter();
        let texts = [
            "Приносим свои извинения. Мы же вас предупреждали!!!",
            "Thanks, the refund was sent today at 10:00.",
            "We apologize for any inconvenience. As I already mentioned, the courier failed.",
            "Приносим свои извинения. Мы же вас предупреждали!!!",
        ];
        let records: Vec<Record> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| Record {
                text: (*t).to_owned(),
                agent: Some(format!("a{}", i % 2)),
                month: Some("2026-05".into()),
                ..Record::default()
            })
            .collect();
        let mut one = Summary::default();
        for r in &records {
            one.add_record(&l, r);
        }
        let mut a = Summary::default();
        let mut b = Summary::default();
        a.add_record(&l, &records[0]);
        a.add_record(&l, &records[1]);
        b.add_record(&l, &records[2]);
        b.add_record(&l, &records[3]);
        let two = b.merge(a);
        assert_eq!(one.to_json(), two.to_json());
        let top = one.top_canned(5);
        assert_eq!(
            top[0].sent, 2,
            "the repeated reply is the top canned response"
        );
        assert_eq!(one.top_phrases(1)[0].count, 2);
    }

    fn audit_csv(input: &[u8], max_record: usize) -> Result<Summary, AuditError> {
        let (l, fields) = (linter(), Fields::default());
        let mut s = Summary::default();
        read_csv_bounded("e.csv", input, &fields, max_record, &mut |b| {
            s.add_batch(&l, &fields, b);
            true
        })?;
        Ok(s)
    }

    #[test]
    fn an_unclosed_csv_quote_fails_the_run_naming_its_line() {
        let mut input = String::from("agent,text\na,Приносим извинения.\nb,\"unclosed\n");
        for k in 0..2000 {
            input.push_str(&format!("a{k},Приносим извинения за задержку.\n"));
        }
        let e = audit_csv(input.as_bytes(), MAX_CSV_RECORD).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("e.csv: the quote opened on line 3 is never closed, so the rest of the export (2001 lines,"),
            "{e}"
        );
    }

    #[test]
    fn a_csv_record_past_the_cap_is_cut_skipped_and_lines_stay_true() {
        // A quoted field of many lines, and an unquoted one, both past the
        // cap; the records after them are read with their true lines.
        let long_quoted = "x\n".repeat(50_000);
        let long_plain = "y".repeat(100_000);
        let input = format!(
            "agent,text\na,\"{long_quoted}\"\nb,Приносим извинения.\nc,{long_plain}\nd,\"a \"\"b\"\"\"\ne,Спасибо.\n"
        );
        let s = audit_csv(input.as_bytes(), 4096).unwrap();
        assert_eq!((s.replies, s.bad_records), (3, 2), "{:?}", s.bad);
        assert_eq!(
            s.bad.iter().map(|b| b.line).collect::<Vec<_>>(),
            [2, 50_003 + 1]
        );
        assert!(
            s.bad[0].reason.starts_with("record longer than 4 KiB"),
            "{:?}",
            s.bad
        );
        assert!(s.by_agent.contains_key("e") && s.by_agent.contains_key("d"));
        // The guard hands the csv crate at most the cap of one record.
        let mut g = CsvGuard::new(input.as_bytes(), 4096, b',');
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut g, &mut out).unwrap();
        assert!(out.len() < 3 * 4096 + 60_000, "{}", out.len());
    }

    #[test]
    fn mostly_unreadable_input_is_said_and_a_few_bad_records_are_not() {
        let mut s = Summary {
            replies: 10,
            bad_records: 3,
            ..Summary::default()
        };
        assert_eq!(s.mostly_unreadable(), None);
        s.bad_records = 11;
        s.bad.push(BadRecord {
            source: "e.jsonl".into(),
            line: 4,
            reason: "malformed JSON".into(),
        });
        let why = s.mostly_unreadable().unwrap();
        assert!(why.starts_with("most of the input could not be read: 11 bad records against 10 replies (first: e.jsonl:4: malformed JSON)"), "{why}");
        // Empty records are left out of the figures, and so of this count.
        s.empty = 5;
        let why = s.mostly_unreadable().unwrap();
        assert!(why.starts_with("most of the input could not be read: 11 bad records against 10 replies (5 empty records left out)"), "{why}");
        s.replies = 11;
        assert_eq!(s.mostly_unreadable(), None);
        // Nothing but one bad record and empty ones.
        let s = Summary {
            bad_records: 1,
            empty: 3,
            ..Summary::default()
        };
        let why = s.mostly_unreadable().unwrap();
        assert!(why.starts_with("most of the input could not be read: 1 bad record against 0 replies (3 empty records left out)"), "{why}");
    }

    #[test]
    fn agents_and_channels_past_the_limit_fold_into_other() {
        let l = linter();
        let fields = Fields {
            max_groups: 3,
            ..Fields::default()
        };
        let lines: String = (0..500)
            .map(|k| {
                let agent = if k % 2 == 0 {
                    "main".to_owned()
                } else {
                    format!("a{k}")
                };
                format!(
                    "{{\"text\": \"Спасибо.\", \"agent\": \"{agent}\", \"channel\": \"c{k}\"}}\n"
                )
            })
            .collect();
        let mut all = Vec::new();
        read_jsonl(
            "e.jsonl",
            lines.as_bytes(),
            2048,
            MAX_REPLY_BYTES,
            &mut |b| {
                all.push(b);
                true
            },
        )
        .unwrap();
        assert!(all.len() > 10);
        let s = summarize(&l, &fields, all.into_iter(), 2, |_, _| {});
        assert_eq!(s.replies, 500);
        // Three named, the rest in one more entry.
        assert_eq!(s.by_agent.len(), 4, "{:?}", s.by_agent.keys());
        assert_eq!(s.by_agent["main"].replies, 250);
        let total: u64 = s.by_agent.values().map(|g| g.replies).sum();
        assert_eq!(total, 500, "folding keeps every reply");
        assert!(s.by_agent.contains_key(OTHER));
        assert_eq!(s.by_channel.len(), 4);
        // None named: every reply in the one entry.
        let mut none = s.clone();
        none.fold_groups(0);
        assert_eq!(none.by_agent.keys().collect::<Vec<_>>(), [OTHER]);
        assert_eq!(none.by_agent[OTHER].replies, 500);
    }

    #[test]
    fn a_json_lines_export_with_a_bom_keeps_its_first_record() {
        let l = linter();
        let fields = Fields::default();
        let mut s = Summary::default();
        read_jsonl(
            "e.jsonl",
            &b"\xEF\xBB\xBF{\"text\": \"hi\"}\n{\"text\": \"ok\"}\n"[..],
            BATCH_BYTES,
            MAX_REPLY_BYTES,
            &mut |b| {
                s.add_batch(&l, &fields, b);
                true
            },
        )
        .unwrap();
        assert_eq!((s.replies, s.bad_records), (2, 0), "{:?}", s.bad);
    }

    #[test]
    fn structure_scores_per_agent_and_macro_and_the_parts_most_often_missing() {
        let l = linter();
        let late = "Hi Sam, sorry your parcel arrived late. We will refund the fee.";
        let dated = "Hi Sam, sorry your parcel arrived late. We will refund the fee by Friday.";
        let praise = "Thank you so much for the kind words about our team!";
        let records: Vec<Record> = [
            (late, "anna", Some("late")),
            (late, "anna", Some("late")),
            (dated, "anna", Some("late")),
            (praise, "bob", None),
            (late, "bob", None),
        ]
        .iter()
        .map(|(text, agent, canned)| Record {
            text: (*text).to_owned(),
            agent: Some((*agent).to_owned()),
            canned: canned.map(str::to_owned),
            ..Record::default()
        })
        .collect();
        let structure = |t: &str| l.check(t, &CheckOptions::default()).structure;
        let (s_late, s_dated) = (structure(late).unwrap(), structure(dated).unwrap());
        assert!(structure(praise).is_none(), "praise answers no complaint");
        assert_eq!(
            s_late.missing().collect::<Vec<_>>(),
            [apolint_core::Part::Deadline]
        );
        assert_eq!(s_dated.missing().count(), 0);
        assert!(s_late.score < s_dated.score);
        let mut s = Summary::default();
        for r in &records {
            s.add_record(&l, r);
        }
        // The team: four replies to a complaint, three lacking a deadline.
        assert_eq!(s.replies, 5);
        assert_eq!(s.structure.replies(), 4);
        assert_eq!(s.structure.scores.median(), Some(s_late.score));
        assert_eq!(s.structure.scores.quantile(1.0), Some(s_dated.score));
        let top = s.structure.most_missing().unwrap();
        assert_eq!(top.part, apolint_core::Part::Deadline);
        assert_eq!((top.missing, top.expected), (3, 4));
        assert_eq!((top.share, top.share_of_expected), (0.75, 0.75));
        // Per agent: bob's praise has no structure.
        assert_eq!(s.by_agent["anna"].structure.replies(), 3);
        assert_eq!(s.by_agent["bob"].structure.replies(), 1);
        assert_eq!(s.by_agent["bob"].replies, 2);
        assert_eq!(
            s.by_agent["bob"].structure.scores.median(),
            Some(s_late.score)
        );
        // Per canned response: the macro's three copies, and the identical
        // text sent once outside it is not a canned response.
        let canned = s.canned_structure(10);
        assert_eq!(canned.len(), 1, "{canned:?}");
        assert_eq!(canned[0].canned.as_deref(), Some("late"));
        assert_eq!(canned[0].structure.replies(), 3);
        assert_eq!(
            canned[0].structure.stat().missing[apolint_core::Part::Deadline as usize],
            2
        );
        // In the JSON summary.
        let json = s.to_json();
        assert_eq!(json["structure"]["replies"], 4);
        assert_eq!(json["structure"]["score"]["median"], s_late.score);
        assert_eq!(json["structure"]["missing"][0]["part"], "deadline");
        assert_eq!(json["structure"]["missing"][0]["missing"], 3);
        assert_eq!(json["structure"]["missing"][0]["share"], 0.75);
        let hist: u64 = json["structure"]["score"]["histogram"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .sum();
        assert_eq!(hist, 4);
        assert_eq!(json["by_agent"]["anna"]["structure"]["replies"], 3);
        assert_eq!(json["structure_by_canned"][0]["canned"], "late");
        assert_eq!(json["structure_by_canned"][0]["structure"]["replies"], 3);
        // And in the report.
        let html = report::render(&s, "t");
        for id in [
            "id=\"structure\"",
            "id=\"structure-histogram\"",
            "id=\"missing-parts\"",
            "id=\"structure-by-agent\"",
            "id=\"structure-by-canned\"",
        ] {
            assert!(html.contains(id), "{id} not in the report");
        }
        assert!(html.contains("Says by when"), "parts in plain words");
    }

    #[test]
    fn an_export_with_no_complaint_has_no_structure_section() {
        let l = linter();
        let mut s = Summary::default();
        s.add_record(
            &l,
            &Record {
                text: "Thank you so much for the kind words about our team!".into(),
                ..Record::default()
            },
        );
        assert_eq!(s.structure.replies(), 0);
        assert_eq!(s.to_json()["structure"]["score"]["median"], Value::Null);
        assert!(!report::render(&s, "t").contains("id=\"structure\""));
    }

    #[test]
    fn months_from_common_date_forms() {
        assert_eq!(month_of("2026-03-14T10:00:00Z").as_deref(), Some("2026-03"));
        assert_eq!(month_of("2026/03/14").as_deref(), Some("2026-03"));
        assert_eq!(month_of("14.03.2026").as_deref(), Some("2026-03"));
        assert_eq!(month_of("March 14"), None);
        assert_eq!(month_of("2026"), None);
        // Not dates: no month 13, no day 32.
        assert_eq!(month_of("2026-13-01"), None);
        assert_eq!(month_of("2026-00"), None);
        assert_eq!(month_of("2026-02-32"), None);
        assert_eq!(month_of("32.01.2026"), None);
        assert_eq!(month_of("14.13.2026"), None);
        assert_eq!(month_of("2026-12").as_deref(), Some("2026-12"));
        // Nor days a month lacks, nor the year 0.
        assert_eq!(month_of("2026-02-30"), None);
        assert_eq!(month_of("2026-02-29"), None);
        assert_eq!(month_of("2028-02-29").as_deref(), Some("2028-02"));
        assert_eq!(month_of("2100-02-29"), None);
        assert_eq!(month_of("2000-02-29").as_deref(), Some("2000-02"));
        assert_eq!(month_of("31.04.2026"), None);
        assert_eq!(month_of("30.04.2026").as_deref(), Some("2026-04"));
        assert_eq!(month_of("0000-01-01"), None);
    }
}

#[cfg(test)]
mod more_tests {
    use super::*;

    /// The summary of a JSON Lines export, read as `audit` reads it.
    fn audit_jsonl(text: &str, fields: &Fields) -> Summary {
        let l = Linter::builtin().unwrap();
        let mut s = Summary::default();
        read_jsonl("e.jsonl", text.as_bytes(), 64, MAX_REPLY_BYTES, &mut |b| {
            s.add_batch(&l, fields, b);
            true
        })
        .unwrap();
        s
    }

    #[test]
    fn a_canned_response_counts_the_findings_of_every_copy() {
        let s = audit_jsonl(
            r#"{"macro":"M2","text":"Hi Bob, thanks for waiting."}
{"macro":"M2","text":"Hi Ann, we apologize for any inconvenience!!! As I already mentioned, you should have read the terms."}
{"macro":"M2","text":"Hi Cid, we apologize for any inconvenience!!! As I already mentioned, you should have read the terms."}
{"macro":"M1","text":"Hi Ann, we apologize for any inconvenience!!!"}
{"macro":"M1","text":"Hi Bob, thanks for waiting."}
"#,
            &Fields::default(),
        );
        let top = s.top_canned(5);
        let names: Vec<_> = top.iter().map(|c| c.canned.as_deref().unwrap()).collect();
        // M2's first copy is clean; its other two hold its findings.
        assert_eq!(names, ["M2", "M1"]);
        let (m2, m1) = (top[0], top[1]);
        assert_eq!(m2.sent, 3);
        assert_eq!(m2.findings, 2 * 4, "two copies of four findings: {m2:?}");
        assert!(
            m2.text.contains("apologize"),
            "a copy with findings is shown"
        );
        assert!(m2.categories.contains(&"passive-aggression"), "{m2:?}");
        assert_eq!(m1.sent, 2);
        assert_eq!(m1.findings, 2, "one copy's findings, not one per send");
        // The same, merged from two halves read apart.
        let lines: Vec<&str> = [
            r#"{"macro":"M","text":"Hi Bob, thanks for waiting."}"#,
            r#"{"macro":"M","text":"We apologize for any inconvenience!!!"}"#,
        ]
        .to_vec();
        let a = audit_jsonl(lines[0], &Fields::default());
        let b = audit_jsonl(lines[1], &Fields::default());
        let both = audit_jsonl(&lines.join("\n"), &Fields::default());
        assert_eq!(a.merge(b).to_json(), both.to_json());
    }

    #[test]
    fn a_semicolon_or_tab_separated_csv_is_read() {
        let l = Linter::builtin().unwrap();
        let fields = Fields::default();
        for input in [
            "ticket;agent;text\n1;Анна;\"Приносим свои извинения; мы же вас предупреждали!\"\n2;Bob;Thanks, done.\n",
            "ticket\tagent\ttext\n1\tАнна\tПриносим свои извинения, мы же вас предупреждали!\n2\tBob\tThanks, done.\n",
        ] {
            let mut s = Summary::default();
            read_csv_bounded("e.csv", input.as_bytes(), &fields, 4096, &mut |b| {
                s.add_batch(&l, &fields, b);
                true
            })
            .unwrap();
            assert_eq!((s.replies, s.bad_records), (2, 0), "{:?}", s.bad);
            assert_eq!(s.by_agent["Анна"].replies, 1);
            assert!(s.by_category["passive-aggression"] >= 1);
        }
        // The separator that splits the header most; quoted names and the
        // rows after it do not count.
        assert_eq!(separator_of(b"text,note;x\n1;2,3"), b',');
        assert_eq!(separator_of(b"text\n;;;"), b',');
        assert_eq!(separator_of("\"Агент, имя\";text\n".as_bytes()), b';');
        assert_eq!(separator_of(b"agent\tnote;x\ttext\n"), b'\t');
        assert_eq!(separator_of(b""), b',');
        // A header handed over in pieces (a pipe) is read whole first.
        struct Pieces(Vec<&'static [u8]>);
        impl std::io::Read for Pieces {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                let Some(next) = self.0.first_mut() else {
                    return Ok(0);
                };
                let n = next.len().min(out.len());
                out[..n].copy_from_slice(&next[..n]);
                *next = &next[n..];
                if next.is_empty() {
                    self.0.remove(0);
                }
                Ok(n)
            }
        }
        let mut s = Summary::default();
        let piecewise = Pieces(vec![b"ticket", b";agent;text\n1;Anna;", b"Hello.\n"]);
        read_csv_bounded("e.csv", piecewise, &fields, 4096, &mut |b| {
            s.add_batch(&l, &fields, b);
            true
        })
        .unwrap();
        assert_eq!((s.replies, s.by_agent["Anna"].replies), (1, 1));
    }

    #[test]
    fn a_column_named_on_purpose_must_be_in_the_csv() {
        let fields = Fields {
            agent: Some("agent_name".into()),
            asked: vec![("--agent-field", "agent_name".into())],
            ..Fields::default()
        };
        let input = "ticket,Agent Name,text\n1,Anna,Hello.\n";
        let e =
            read_csv_bounded("e.csv", input.as_bytes(), &fields, 4096, &mut |_| true).unwrap_err();
        assert_eq!(
            e.to_string(),
            "e.csv: no `agent_name` column (columns: ticket, Agent Name, text); choose one with --agent-field"
        );
        let e = read_csv_bounded(
            "e.csv",
            &b"text,agent,text\nHi,A,Hi {{name}}\n"[..],
            &Fields::default(),
            4096,
            &mut |_| true,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "e.csv: two columns are named `text`; rename one, or choose another column with its option"
        );
        // A default name that is missing leaves its section empty, no more.
        let fields = Fields {
            agent: Some("agent_name".into()),
            ..Fields::default()
        };
        assert!(read_csv_bounded("e.csv", input.as_bytes(), &fields, 4096, &mut |_| true).is_ok());
    }

    #[test]
    fn shares_are_never_rounded_to_all_or_none() {
        assert_eq!(share_text(999, 1000), ">99%");
        assert_eq!(share_text(1000, 1000), "100%");
        assert_eq!(share_text(1, 1000), "<1%");
        assert_eq!(share_text(0, 1000), "0%");
        assert_eq!(share_text(0, 0), "0%");
        assert_eq!(share_text(1, 3), "33%");
        assert_eq!(share_text(2, 3), "67%");
        assert_eq!(per_reply_text(1, 1000), "<0.01");
        assert_eq!(per_reply_text(0, 1000), "0.00");
        assert_eq!(per_reply_text(3, 2), "1.50");
        assert_eq!(plural(1, "reply", "replies"), "1 reply");
        assert_eq!(plural(0, "reply", "replies"), "0 replies");
    }

    #[test]
    fn the_report_sets_names_apart_and_says_one_reply() {
        let s = audit_jsonl(
            "{\"agent\":\"Eve\u{202e}live\",\"macro\":\"M\u{202e}1\",\"text\":\"We apologize for any inconvenience!!! As I already mentioned, read the terms.\"}\n",
            &Fields::default(),
        );
        let page = report::render(&s, "t");
        assert!(
            page.contains("<b><bdi>Eve\u{202e}live</bdi></b>"),
            "sample header"
        );
        assert!(
            page.contains("<b><bdi>M\u{202e}1</bdi></b>"),
            "canned table"
        );
        assert!(page.contains("<span>reply checked</span>"));
        assert!(page.contains("<span>records that could not be read</span>"));
    }
}
