//! Drafts built from a mixed alphabet rather than raw bytes: Cyrillic and
//! Latin letters, rule words, emoji with ZWJ and skin tones, combining
//! marks, RTL and bidi marks, control characters, quotes, markup and line
//! breaks, so that the fuzzer spends its time inside the matcher.
#![no_main]

use apolint_core::{CheckOptions, InputFormat, Linter};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const ALPHABET: &[&str] = &[
    "а", "е", "ж", "и", "м", "ы", "ё", "Я", "Ж", "a", "e", "I", "Z", " ", " ", "\n", "\r\n", "\r", "\t",
    "мы", "же", "вас", "приносим", "извинения", "вообще-то", "курьер", "сегодня", "вернём",
    "we", "apologize", "sorry", "if", "courier", "already", "mentioned", "refund", "today",
    "😀", "👍🏽", "👨\u{200D}👩\u{200D}👧", "\u{FE0F}", "\u{301}", "\u{308}", "\u{200F}", "\u{202E}", "\u{2066}",
    "\u{200B}", "\u{AD}", "\u{0}", "\u{7}", "\u{1B}", "\u{FEFF}", "\u{FFFD}", "\u{10FFFF}",
    "!", "!!", "?", ".", ",", "—", "-", "«", "»", "\"", "'", "’", ">", "<", "{{", "}}", "[", "]", "%",
    "<p>", "</p>", "<br>", "&amp;", "&#0;", "**", "`", "-- ", "С уважением,", "Best regards,",
];

fn linter() -> &'static Linter {
    static L: OnceLock<Linter> = OnceLock::new();
    L.get_or_init(|| Linter::builtin().expect("built-in rules load"))
}

fuzz_target!(|data: &[u8]| {
    let Some((&opts, rest)) = data.split_first() else { return };
    let text: String = rest.iter().map(|&b| ALPHABET[b as usize % ALPHABET.len()]).collect();
    let format = [None, Some(InputFormat::Plain), Some(InputFormat::Markdown), Some(InputFormat::Html)]
        [(opts & 3) as usize];
    let customer_name = (opts & 4 != 0).then(|| "Мария".to_owned());
    let report = linter().check(&text, &CheckOptions { format, customer_name, ..CheckOptions::default() });
    for f in &report.findings {
        assert!(f.span.start <= f.span.end && f.span.end <= text.len());
        assert!(text.is_char_boundary(f.span.start) && text.is_char_boundary(f.span.end));
    }
});
