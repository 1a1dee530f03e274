//! The language server's framing (`apolint_lsp::read_message`) on byte
//! streams built from header fragments: huge, negative, repeated and
//! missing `Content-Length`s, long header lines, bodies shorter or longer
//! than announced. Every message is read, or refused with an error, in
//! memory bounded by what was sent plus `MAX_MESSAGE_BYTES` (a
//! `Content-Length` of 99999999999999 aborted on allocation, issue #17.9;
//! libFuzzer's -rss_limit_mb catches a regression).
#![no_main]

use libfuzzer_sys::fuzz_target;

const FRAGMENTS: &[&[u8]] = &[
    b"Content-Length: ", b"content-length:", b"Content-Type: application/vscode-jsonrpc; charset=utf-8",
    b"\r\n", b"\n", b"\r", b": ", b" ", b"-", b"+", b"0", b"1", b"7", b"9",
    b"99999999999999", b"8000000000", b"67108864", b"67108865", b"18446744073709551616",
    b"{", b"}", b"\"", b"{\"jsonrpc\":\"2.0\",\"method\":\"exit\"}",
    b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{}}", b"X-Long: ", b"a",
];

fuzz_target!(|data: &[u8]| {
    // Each 2 bytes: a fragment and how often it repeats (up to 255 × 64).
    let mut stream = Vec::new();
    for pair in data.chunks_exact(2) {
        let fragment = FRAGMENTS[pair[0] as usize % FRAGMENTS.len()];
        let times = if pair[1] >= 0xF0 { (pair[1] as usize & 0x0F) * 4096 } else { pair[1] as usize % 8 };
        for _ in 0..times.max(1) {
            stream.extend_from_slice(fragment);
        }
        if stream.len() > 4 << 20 {
            break;
        }
    }
    let mut input = &stream[..];
    // Messages until the end, or the first refusal (the server stops there).
    for _ in 0..10_000 {
        match apolint_lsp::read_message(&mut input) {
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
});
