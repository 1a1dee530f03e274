//! Any bytes as a draft, in any format and language, with or without a
//! customer name: no panic, no hang, spans inside the text on character
//! boundaries with the right line and column.
#![no_main]

use apolint_core::{CheckOptions, InputFormat, LanguageChoice, Linter};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn linter() -> &'static Linter {
    static L: OnceLock<Linter> = OnceLock::new();
    L.get_or_init(|| Linter::builtin().expect("built-in rules load"))
}

fuzz_target!(|data: &[u8]| {
    let Some((&opts, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let format = [None, Some(InputFormat::Plain), Some(InputFormat::Markdown), Some(InputFormat::Html)]
        [(opts & 3) as usize];
    let language = [LanguageChoice::Auto, LanguageChoice::Ru, LanguageChoice::En, LanguageChoice::Auto]
        [((opts >> 2) & 3) as usize];
    let customer_name = match (opts >> 4) & 3 {
        1 => Some("Мария".to_owned()),
        2 => Some("Maria".to_owned()),
        _ => None,
    };
    let report = linter().check(&text, &CheckOptions { format, language, customer_name, situation: None, ..CheckOptions::default() });
    for f in &report.findings {
        assert!(f.span.start <= f.span.end && f.span.end <= text.len());
        assert!(text.is_char_boundary(f.span.start) && text.is_char_boundary(f.span.end));
        let before = &text[..f.span.start];
        assert_eq!(f.span.line, before.matches('\n').count() + 1);
        // A byte-order mark opening the draft is not a column (#20).
        let line_text = before.rsplit('\n').next().unwrap_or("");
        let line_text = if f.span.line == 1 { line_text.strip_prefix('\u{feff}').unwrap_or(line_text) } else { line_text };
        assert_eq!(f.span.column, line_text.chars().count() + 1);
    }
});
