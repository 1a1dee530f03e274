//! The pre-send verdict: what a help desk does with a draft's findings —
//! send it, warn the agent (show findings, let them confirm) or block it.
//! The policy is data, from `[verdict]` in `apolint.toml`, per channel.

use std::collections::BTreeMap;

use crate::Finding;
use apolint_rules::book::{Category, Severity};

/// At which severity a finding fails the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailOn {
    /// Only errors.
    Error,
    /// Warnings and errors (the default).
    #[default]
    Warning,
    /// Everything, hints included.
    Info,
    /// Nothing fails the run.
    Never,
}

impl FailOn {
    /// Parses the config/CLI spelling.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "error" => Ok(Self::Error),
            "warning" => Ok(Self::Warning),
            "info" => Ok(Self::Info),
            "never" => Ok(Self::Never),
            _ => Err(format!(
                "unknown failing severity `{s}`; expected error, warning, info or never"
            )),
        }
    }

    /// Whether a finding of this severity fails the run.
    pub fn fails(self, s: Severity) -> bool {
        match self {
            Self::Error => s >= Severity::Error,
            Self::Warning => s >= Severity::Warning,
            Self::Info => true,
            Self::Never => false,
        }
    }
}

/// The answer to "may this reply go out?".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// Nothing worth stopping for.
    Send,
    /// Show the findings; the agent may send anyway.
    Warn,
    /// Must not go out as it is (an unfilled placeholder, the wrong name).
    Block,
}

impl Verdict {
    /// `send`, `warn` or `block`.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Send => "send",
            Verdict::Warn => "warn",
            Verdict::Block => "block",
        }
    }

    /// The `apolint hook` exit status: 0 send, 1 warn, 3 block.
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Send => 0,
            Verdict::Warn => 1,
            Verdict::Block => 3,
        }
    }
}

/// Serialised as its name (`send`, `warn`, `block`).
impl serde::Serialize for Verdict {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// What a `block` entry names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// Every rule of a category.
    Category(Category),
    /// One rule.
    Rule(String),
}

impl Selector {
    fn matches(&self, f: &Finding) -> bool {
        match self {
            Selector::Category(c) => f.category == *c,
            Selector::Rule(id) => f.rule == *id,
        }
    }
}

/// The policy for one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerdictRules {
    /// Findings of these categories or rules block.
    pub block: Vec<Selector>,
    /// Any finding at or above this severity blocks.
    pub block_on: FailOn,
    /// Any finding at or above this severity warns.
    pub warn_on: FailOn,
}

impl Default for VerdictRules {
    /// An unfilled placeholder or a greeting to the wrong person must never
    /// reach a customer; other warnings ask the agent to look again.
    fn default() -> Self {
        VerdictRules {
            block: vec![
                Selector::Category(Category::Placeholder),
                Selector::Category(Category::NameMismatch),
            ],
            block_on: FailOn::Never,
            warn_on: FailOn::Warning,
        }
    }
}

/// The whole policy: a default and per-channel overrides.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// For requests without a channel, or with one not listed.
    pub default: VerdictRules,
    /// By channel name (`email`, `chat`, …).
    pub channels: BTreeMap<String, VerdictRules>,
}

impl Policy {
    /// The verdict on a draft's findings for a channel.
    pub fn verdict(&self, findings: &[Finding], channel: Option<&str>) -> Verdict {
        let rules = channel
            .and_then(|c| self.channels.get(c))
            .unwrap_or(&self.default);
        let fails = |on: FailOn, s: Severity| on.fails(s);
        findings.iter().fold(Verdict::Send, |v, f| {
            let this =
                if rules.block.iter().any(|s| s.matches(f)) || fails(rules.block_on, f.severity) {
                    Verdict::Block
                } else if fails(rules.warn_on, f.severity) {
                    Verdict::Warn
                } else {
                    Verdict::Send
                };
            v.max(this)
        })
    }
}
