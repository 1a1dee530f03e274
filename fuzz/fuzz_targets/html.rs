//! HTML extraction through `Linter::check` with `InputFormat::Html`, on
//! large drafts built from tag fragments repeated many times (up to ~1 MiB):
//! unclosed tags and quotes, comments, CDATA, script/style, entities. Finds
//! what raw bytes rarely reach: quadratic scans (`'<p>' + '<a' * N` took
//! minutes at 1 MiB, issue #17.2; libFuzzer's -timeout catches a return),
//! and spans outside the draft or off a character boundary.
#![no_main]

use apolint_core::{CheckOptions, InputFormat, Linter};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const FRAGMENTS: &[&str] = &[
    "<p>", "</p>", "<a", "<a href=\"", "<a href='", "\"", "'", ">", "<", "</", "<br/>", "<div class=x>",
    "<!--", "-->", "<![CDATA[", "]]>", "<script>", "</script>", "<style>", "</style>", "<!DOCTYPE html>",
    "&amp;", "&#", "&#x", "&#1084;", "&nbsp;", "&", ";", "=", " ", "\n", "\t",
    "мы же", "Приносим свои извинения", "вообще-то", "We apologize for any inconvenience", "!!!",
    "{{first_name}}", "😀", "\u{301}", "\u{0}",
];

/// At most this many bytes of draft.
const MAX_DRAFT: usize = 1 << 20;

fn linter() -> &'static Linter {
    static L: OnceLock<Linter> = OnceLock::new();
    L.get_or_init(|| Linter::builtin().expect("built-in rules load"))
}

fuzz_target!(|data: &[u8]| {
    // Each 3 bytes: a fragment and how often it repeats (up to 65,535).
    let mut text = String::new();
    for chunk in data.chunks_exact(3) {
        let fragment = FRAGMENTS[chunk[0] as usize % FRAGMENTS.len()];
        let times = u16::from_le_bytes([chunk[1], chunk[2]]) as usize;
        let room = (MAX_DRAFT - text.len()) / fragment.len();
        text.push_str(&fragment.repeat(times.min(room)));
        if room == 0 {
            break;
        }
    }
    let opts = CheckOptions {
        format: Some(InputFormat::Html),
        ..CheckOptions::default()
    };
    let report = linter().check(&text, &opts);
    assert!(report.findings.len() <= apolint_core::MAX_FINDINGS);
    for f in &report.findings {
        assert!(f.span.start <= f.span.end && f.span.end <= text.len(), "{:?}", f.span);
        assert!(text.is_char_boundary(f.span.start) && text.is_char_boundary(f.span.end));
    }
});
