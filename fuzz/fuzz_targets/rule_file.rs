//! Any text as a rule file: loads or reports errors inside the file; what
//! loads compiles and checks a draft without panicking.
#![no_main]

use apolint_core::{CheckOptions, FailOn, Linter, RuleBook};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut book = RuleBook::new();
    match book.add_file("fuzz.toml", &text).and_then(|()| book.validate()) {
        Ok(()) => {
            let linter = Linter::from_book(book, FailOn::Warning);
            let _ = linter.check("Приносим извинения!! Извините, sorry {{name}}", &CheckOptions::default());
        }
        Err(errors) => {
            assert!(!errors.is_empty());
            for e in &errors {
                assert!(e.range.start <= e.range.end && e.range.end <= e.text.len());
                let _ = e.render(false);
            }
        }
    }
});
