//! The hint that rules a line out as a reply header before the header
//! regex runs (see `input::is_quote_header`). Its own file so that
//! `build.rs` can compile it into a DFA stored in the binary.

/// What every line the reply-header regex matches contains: a word or the
/// start one of its branches needs (`wrote:`, `написал`, `пишет`, the
/// forwarded-message words, `From:`/`От:` or a digit first), matched
/// case-insensitively as the header regex matches them. A necessary
/// condition, never a sufficient one.
#[allow(dead_code)] // read by build.rs, which stores it as a DFA, and by a test
pub const QUOTE_HEADER_HINT: &str = r"(?i)wrote:|написал|пишет|original|forwarded|исходное|пересылаемое|перенаправленное|^\s*(?:from|от):|^\s*\d";
