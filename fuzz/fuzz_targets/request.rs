//! Any bytes as a JSON request (jsonl, hook, HTTP): parsed or refused with
//! a message, never a panic.
#![no_main]

use apolint_core::CheckRequest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match CheckRequest::from_json(text) {
        Ok(r) => assert!(r.options().is_ok()),
        Err(e) => assert!(!e.message.is_empty()),
    }
});
