//! apolint's rules as data.
//!
//! Everything a rule pack is made of, and everything needed to load and
//! validate one, without the engine that runs it:
//!
//! - [`book`]: the data model ([`Rule`], [`RuleBook`], [`Category`],
//!   [`Severity`]) and the TOML loader with its validation;
//! - [`pattern`]: the token-pattern syntax (`извин*`, `(a|b)`, `~3`);
//! - [`normalize`]: the folding both patterns and drafts go through, with an
//!   offset map back to the original;
//! - [`segment`]: words, sentences and language, per line;
//! - [`vocab`]: the interned vocabulary pattern words are compiled against;
//! - [`diagnostics`]: pointed `file:line:column` errors ([`FileError`]).
//!
//! `apolint-core`'s build script depends on this crate to compile the
//! built-in packs with exactly the checks users' rule files get.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod book;
pub mod diagnostics;
mod fast_sentences;
pub mod fast_utf8;
pub mod normalize;
pub mod pattern;
pub mod segment;
pub mod vocab;

pub use book::{Category, Rule, RuleBook, RuleKind, RuleLang, Severity, Situation};
pub use diagnostics::{without_bom, FileError};
pub use segment::Language;
