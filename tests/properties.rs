//! Properties that hold for any input, checked on generated drafts, rule
//! files, configs and requests (proptest): no panic, spans inside the text
//! and on character boundaries, line/column agreeing with the span,
//! findings sorted and deterministic, loaders total with in-bounds errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use apolint_core::{
    CheckOptions, CheckRequest, Config, InputFormat, LanguageChoice, Linter, RuleBook,
};
use proptest::prelude::*;
use std::sync::OnceLock;

fn linter() -> &'static Linter {
    static L: OnceLock<Linter> = OnceLock::new();
    L.get_or_init(|| Linter::builtin().expect("built-in rules load"))
}

/// Pieces that are not plain prose — markup, quotes, signatures, reply
/// headers, controls and invisible characters — mixed with [`PROSE`] into
/// whole drafts.
const STRUCTURE: &[&str] = &[
    "[Agent Name]",
    "%NAME%",
    "?!",
    "> quoted line",
    "-- \n",
    "С уважением,\nАнна",
    "On Mon, Jane wrote:",
    "<p>",
    "</p>",
    "<div class=\"gmail_quote\">",
    "**bold**",
    "`code`",
    "\"",
    "\r\n",
    "\n",
    "\r",
    "\u{200D}",
    "\u{FEFF}",
    "\0",
    "\t",
];

/// Drafts as runs of pieces, optionally mixed with arbitrary strings, and
/// letters-and-punctuation filler.
fn from_pieces(
    pieces: Vec<&'static str>,
    arbitrary: bool,
    max_parts: usize,
) -> impl Strategy<Value = String> {
    let other = if arbitrary {
        any::<String>().boxed()
    } else {
        Just(String::new()).boxed()
    };
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(pieces).prop_map(str::to_owned),
            1 => other,
            1 => "[а-яА-Яa-zA-Z ,.!?]{0,40}",
        ],
        0..max_parts,
    )
    .prop_map(|parts| parts.concat())
}

fn draft() -> impl Strategy<Value = String> {
    from_pieces([PROSE, STRUCTURE].concat(), true, 24)
}

fn format() -> impl Strategy<Value = Option<InputFormat>> {
    prop::sample::select(vec![
        None,
        Some(InputFormat::Plain),
        Some(InputFormat::Markdown),
        Some(InputFormat::Html),
    ])
}

fn language() -> impl Strategy<Value = LanguageChoice> {
    prop::sample::select(vec![
        LanguageChoice::Auto,
        LanguageChoice::Ru,
        LanguageChoice::En,
    ])
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    // A leading byte-order mark is not a column of the first line.
    let bom = usize::from(line == 1 && before.starts_with('\u{feff}'));
    (line, col - bom)
}

/// A small valid rule file, the seed the loader properties mutate.
const RULE_FILE: &str = r#"
[[lexicon]]
name = "apology"
patterns = ["извините", "sorry"]

[[rule]]
id = "ru.cliche.x"
category = "cliche"
severity = "warning"
message = "m"
explanation = "e"
suggestions = ["s"]
fixes = { "приносим извинения" = "простите" }
patterns = ["(приносим|приношу) [свои] извинения", "мы* же ~2 предупрежд*"]
unless_before = ["не"]
fire = ["Приносим извинения"]
quiet = ["нет"]

[[rule]]
id = "any.shouting.y"
kind = "regex"
category = "shouting"
severity = "error"
message = "m"
explanation = "e"
regex = '!{2,}'
prefilter = ["!!"]
fire = ["a!!"]
quiet = ["a!"]

[[rule]]
id = "ru.over-apology.z"
kind = "count"
tag = "apology"
min = 3
category = "over-apology"
severity = "info"
message = "m"
explanation = "e"
fire = ["a"]
quiet = ["b"]
"#;

const CONFIG_FILE: &str = r#"
fail_on = "warning"
languages = ["ru", "en"]
[rules]
disable = ["ru.hint.problema"]
[categories]
disable = ["hint"]
[severity]
shouting = "error"
[verdict]
block = ["placeholder"]
warn_on = "warning"
[verdict.channel.chat]
warn_on = "error"
[[phrase]]
pattern = "уважаемый клиент"
message = "По имени."
"#;

/// Small edits of a valid file: replace, insert or delete a few bytes
/// (kept on character boundaries).
fn mutated(seed: &'static str) -> impl Strategy<Value = String> {
    let noise = prop::sample::select(vec![
        "",
        "\"",
        "[",
        "]",
        "{",
        "}",
        "=",
        "\n",
        "*",
        "(",
        "|",
        ")",
        "~",
        "~999",
        "'",
        "#",
        "ё",
        "\\",
        "[[rule]]",
        "kind = \"absent\"",
        "min = 0",
        "regex = '('",
        "x",
    ]);
    prop::collection::vec((0..seed.len(), 0usize..6, noise), 1..4).prop_map(move |edits| {
        let mut s = seed.to_owned();
        for (at, del, ins) in edits {
            let mut a = at.min(s.len());
            while !s.is_char_boundary(a) {
                a -= 1;
            }
            let mut b = (a + del).min(s.len());
            while !s.is_char_boundary(b) {
                b += 1;
            }
            s.replace_range(a..b, ins);
        }
        s
    })
}

fn assert_errors_in_bounds(text: &str, errors: &[apolint_core::FileError]) {
    assert!(!errors.is_empty(), "an error result must carry errors");
    for e in errors {
        assert!(
            e.range.start <= e.range.end && e.range.end <= e.text.len(),
            "{e:?}"
        );
        assert!(e.text.is_char_boundary(e.range.start) && e.text.is_char_boundary(e.range.end));
        assert!(!e.message.is_empty());
        if &*e.text == text {
            let (l, c) = e.line_col();
            assert!(l >= 1 && c >= 1);
        }
        // Rendering an error never panics either.
        let _ = e.render(false);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn findings_have_valid_spans_in_order_and_are_deterministic(
        text in draft(), format in format(), language in language(), name in prop::option::of("[А-Яа-яA-Za-z]{1,10}"),
    ) {
        let opts = CheckOptions { format, language, customer_name: name, situation: None, ..CheckOptions::default() };
        let report = linter().check(&text, &opts);
        for f in &report.findings {
            prop_assert!(f.span.start <= f.span.end && f.span.end <= text.len(), "{f:?}");
            prop_assert!(text.is_char_boundary(f.span.start) && text.is_char_boundary(f.span.end), "{f:?}");
            prop_assert_eq!((f.span.line, f.span.column), line_col(&text, f.span.start), "{:?}", f);
            prop_assert!(linter().rules().iter().any(|r| r.id == f.rule));
            if let Some(fix) = &f.fix {
                prop_assert!(!fix.contains('\0'));
            }
        }
        let keys: Vec<_> = report.findings.iter().map(|f| (f.span.start, f.span.end, f.rule.clone())).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        prop_assert_eq!(&keys, &sorted);
        prop_assert_eq!(linter().check(&text, &opts), report);
    }

    #[test]
    fn request_parsing_is_total(text in prop_oneof![
        any::<String>(),
        "\\{\"text\": \"[^\"]{0,20}\"(, \"[a-z_]{1,12}\": (\"[a-z]{0,5}\"|[0-9]{1,3}|null|\\[\\]))?\\}",
    ]) {
        match CheckRequest::from_json(&text) {
            Ok(r) => { prop_assert!(r.options().is_ok()); }
            Err(e) => { prop_assert!(!e.message.is_empty()); }
        }
    }

    #[test]
    fn rule_file_loading_is_total_with_pointed_errors(text in mutated(RULE_FILE)) {
        let mut book = RuleBook::new();
        match book.add_file("t.toml", &text).and_then(|()| book.validate()) {
            Ok(()) => {
                // Whatever loaded compiles and checks without panicking.
                let linter = Linter::from_book(book, apolint_core::FailOn::Warning);
                let _ = linter.check("Приносим извинения!! Извините, извините, sorry", &CheckOptions::default());
            }
            Err(errors) => assert_errors_in_bounds(&text, &errors),
        }
    }

    #[test]
    fn config_loading_is_total_with_pointed_errors(text in mutated(CONFIG_FILE)) {
        match Config::parse("apolint.toml", &text, None).and_then(|c| Linter::with_config(&c)) {
            Ok(l) => { let _ = l.check("Уважаемый клиент!!!", &CheckOptions::default()); }
            Err(errors) => assert_errors_in_bounds(&text, &errors),
        }
    }
}

/// Pieces of plain prose only: no signature, quote, reply header or markup,
/// which by design change how the text after them is read.
const PROSE: &[&str] = &[
    "Приносим свои извинения",
    "за доставленные неудобства",
    "Мы же вас предупреждали",
    "вообще-то",
    "курьерская служба",
    "в ближайшее время",
    "Здравствуйте, Ольга!",
    "We apologize for any inconvenience",
    "as I already mentioned",
    "the courier",
    "Hi {{first_name}},",
    "!!!",
    "ВНИМАНИЕ",
    "😀😀😀",
    "«",
    "»",
    " ",
    ". ",
    "ё",
    "мы",
    "же",
    "вернём",
    "деньги",
    "сегодня до 18:00",
    "refund",
    "by Friday",
    "Sorry if you were upset",
    "Простите",
    "Мария",
    "\u{301}",
    "\u{AD}",
];

fn prose() -> impl Strategy<Value = String> {
    from_pieces(PROSE.to_vec(), false, 16)
}

fn phrase_findings(text: &str, shift: usize) -> Vec<(String, usize, usize)> {
    // The situation is the whole draft's (an apology in one paragraph
    // makes "!!" in another a raised voice): fixed here, so that only the
    // paragraphs differ.
    let opts = CheckOptions {
        format: Some(InputFormat::Plain),
        situation: Some(apolint_core::Situation::Complaint),
        ..CheckOptions::default()
    };
    let rules = linter().rules();
    linter()
        .check(text, &opts)
        .findings
        .into_iter()
        .filter(|f| {
            rules
                .iter()
                .any(|r| r.id == f.rule && !r.kind.is_document_level())
        })
        .map(|f| (f.rule.into(), f.span.start + shift, f.span.end + shift))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// A quoted `>` block (the customer's previous message) changes nothing:
    /// the same findings at the same places.
    #[test]
    fn a_quoted_block_changes_no_finding(text in prose(), quoted in prop::collection::vec(prose(), 1..4)) {
        let opts = CheckOptions { format: Some(InputFormat::Plain), customer_name: Some("Мария".into()), ..CheckOptions::default() };
        let base = linter().check(&text, &opts).findings;
        let block: String = quoted.iter().map(|l| format!("\n> {}", l.replace(['\n', '\r'], " "))).collect();
        let with = linter().check(&format!("{text}\n{block}\n"), &opts).findings;
        prop_assert_eq!(base, with);
    }

    /// Normalisation maps every offset of its text back to a character
    /// boundary of the source, in order, its end to the source's end.
    #[test]
    fn normalisation_maps_back_to_source_boundaries(text in draft()) {
        let n = apolint_core::rules::normalize::normalize(&text);
        // (Offset 0 may map past characters normalisation removed, such as
        // a leading stress mark: the first kept character is where it starts.)
        prop_assert_eq!(n.map.to_source(n.text.len()), text.len());
        let mut last = 0;
        for (i, _) in n.text.char_indices() {
            let s = n.map.to_source(i);
            prop_assert!(s <= text.len() && text.is_char_boundary(s), "{} → {}", i, s);
            prop_assert!(s >= last, "not monotonic at {}", i);
            last = s;
        }
    }

    /// Phrase rules look within a paragraph: two paragraphs checked together
    /// give exactly the phrase findings of each checked alone.
    #[test]
    fn phrase_findings_do_not_cross_paragraphs(a in prose(), b in prose()) {
        let a = a.replace(['\n', '\r'], " ");
        let b = b.replace(['\n', '\r'], " ");
        let joined = format!("{a}\n\n{b}");
        let mut expected = phrase_findings(&a, 0);
        expected.extend(phrase_findings(&b, a.len() + 2));
        expected.sort_by_key(|(r, s, e)| (*s, *e, r.clone()));
        let mut got = phrase_findings(&joined, 0);
        got.sort_by_key(|(r, s, e)| (*s, *e, r.clone()));
        prop_assert_eq!(got, expected);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// The fast tokenizer (printable ASCII, blanks and basic Cyrillic) gives
    /// exactly the tokens of the UAX #29 one, and defers on anything else.
    #[test]
    fn fast_tokens_equal_uax29_tokens(
        text in "[a-zA-Zа-яА-ЯёЁ0-9:.',;_ \t\r\"!?()\\-«»№😀🙏👍🏻\u{200d}\u{fe0f}🇷🇺₽€£×•°→\u{301}\u{a0}]{0,40}"
    ) {
        use apolint_core::rules::segment::Line;
        let fast = Line::tokenize(&text, 0, text.len()).tokens;
        let reference = Line::tokenize_uax29(&text, 0, text.len()).tokens;
        prop_assert_eq!(fast, reference);
    }
}
