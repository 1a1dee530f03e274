//! Strings of stored rule books read with one SIMD UTF-8 check each.
//!
//! The built-in packs are stored with postcard, whose `String` reading
//! checks each string with `core::str::from_utf8`: for the mostly Russian
//! messages and suggestions that was 0.4M instructions, 13% of checking a
//! short reply (issue #19). Read as bytes (postcard stores a string and a
//! byte string the same way) and checked with `simdutf8`, the same strings
//! cost a fraction of that, and invalid UTF-8 is still refused.
//!
//! Use with `#[serde(deserialize_with = "fast_utf8::string")]` (or
//! `strings` for a `Vec<String>`) on types only stored formats read: a
//! format that hands over text keeps working (`visit_str`), but nothing is
//! gained there.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, Error, SeqAccess, Unexpected, Visitor};

/// Reads one string from bytes or text.
struct Utf8String;

impl<'de> Visitor<'de> for Utf8String {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a UTF-8 string")
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }

    fn visit_string<E: Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }

    fn visit_bytes<E: Error>(self, v: &[u8]) -> Result<String, E> {
        match simdutf8::basic::from_utf8(v) {
            Ok(s) => Ok(s.to_owned()),
            Err(_) => Err(E::invalid_value(Unexpected::Bytes(v), &self)),
        }
    }

    fn visit_byte_buf<E: Error>(self, v: Vec<u8>) -> Result<String, E> {
        // Owned bytes (no stored format here hands them over): checked
        // once, by `String::from_utf8`, which keeps them.
        String::from_utf8(v).map_err(|e| E::invalid_value(Unexpected::Bytes(e.as_bytes()), &self))
    }
}

impl<'de> DeserializeSeed<'de> for Utf8String {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_bytes(self)
    }
}

/// Reads a sequence of strings.
struct Utf8Strings;

impl<'de> Visitor<'de> for Utf8Strings {
    type Value = Vec<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence of UTF-8 strings")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
        // A size hint is the stored length; capped so that a corrupt one
        // cannot ask for a huge allocation up front.
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(s) = seq.next_element_seed(Utf8String)? {
            out.push(s);
        }
        Ok(out)
    }
}

/// A `String` field: `#[serde(deserialize_with = "fast_utf8::string")]`.
pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    d.deserialize_bytes(Utf8String)
}

/// A `Vec<String>` field: `#[serde(deserialize_with = "fast_utf8::strings")]`.
pub fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    d.deserialize_seq(Utf8Strings)
}

#[cfg(test)]
mod tests {
    use serde::de::value::{BytesDeserializer, Error, SeqDeserializer, StrDeserializer};

    /// Long and short, ASCII and Russian, and every prefix of them (cut
    /// inside a character or not): read from bytes as `str::from_utf8`
    /// reads them.
    #[test]
    fn reads_bytes_as_str_from_utf8_does() {
        let texts = [
            "",
            "ok",
            "Приносим извинения за доставленные неудобства",
            &"Мы вернём деньги в течение трёх дней. We are sorry. ".repeat(5),
        ];
        for text in texts {
            for cut in 0..=text.len() {
                let bytes = &text.as_bytes()[..cut];
                let got = super::string(BytesDeserializer::<Error>::new(bytes)).ok();
                let want = std::str::from_utf8(bytes).ok().map(str::to_owned);
                assert_eq!(got, want, "{cut} bytes of {text:?}");
            }
        }
    }

    #[test]
    fn refuses_invalid_utf8() {
        let err = super::string(BytesDeserializer::<Error>::new(b"abc\xff")).unwrap_err();
        assert!(err.to_string().contains("UTF-8"), "{err}");
    }

    /// A format that hands over text (TOML, JSON) is read as before.
    #[test]
    fn reads_text_and_sequences() {
        let s = super::string(StrDeserializer::<Error>::new("ёж")).unwrap();
        assert_eq!(s, "ёж");
        let items = vec!["a", "б", ""];
        let seq = SeqDeserializer::<_, Error>::new(items.clone().into_iter());
        assert_eq!(super::strings(seq).unwrap(), items);
        let bytes: Vec<&[u8]> = vec![b"x", b"\xd0\xb6"];
        let seq = SeqDeserializer::<_, Error>::new(bytes.into_iter());
        assert_eq!(super::strings(seq).unwrap(), ["x", "ж"]);
        let bad: Vec<&[u8]> = vec![b"x", b"\xd0"];
        let seq = SeqDeserializer::<_, Error>::new(bad.into_iter());
        assert!(super::strings(seq).is_err());
    }
}
