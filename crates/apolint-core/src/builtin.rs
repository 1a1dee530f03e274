//! The built-in rule packs, compiled at build time.
//!
//! `build.rs` loads every file under the workspace's `rules/` with the same
//! loader users' rule files go through (so a broken built-in rule fails the
//! build with a pointed error), and stores the validated book in a compact
//! binary form. Start-up then decodes that instead of parsing TOML and
//! patterns: rule loading was most of a short `apolint check`.

use std::sync::Arc;

use apolint_rules::{FileError, RuleBook};

/// The serialised built-in book (postcard).
static BOOK: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/builtin_book.bin"));

/// The built-in packs.
pub fn book() -> Result<RuleBook, Vec<FileError>> {
    postcard::from_bytes(BOOK).map_err(|e| {
        vec![FileError::new(
            "built-in rules",
            &Arc::from(""),
            0..0,
            format!("cannot decode the built-in rule book: {e} (rebuild apolint)"),
        )]
    })
}
