//! Any text as apolint.toml: a linter or pointed errors, never a panic.
#![no_main]

use apolint_core::{CheckOptions, Config, Linter};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match Config::parse("apolint.toml", &text, None).and_then(|c| Linter::with_config(&c)) {
        Ok(l) => {
            let r = l.check("Уважаемый клиент!!! Приносим извинения.", &CheckOptions::default());
            let _ = l.verdict(&r, Some("chat"));
        }
        Err(errors) => {
            for e in &errors {
                assert!(e.range.start <= e.range.end && e.range.end <= e.text.len());
                let _ = e.render(false);
            }
        }
    }
});
