//! The rule packs' quality as a number CI defends: precision and recall on
//! the labelled corpus (`corpus/<lang>/labels*.toml`), per language and per
//! category. `apolint eval corpus --misses` shows the same table and every
//! disagreement.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::path::Path;

use apolint_core::eval::{evaluate, load_corpus, render, shortfalls, Thresholds};
use apolint_core::Linter;

#[test]
fn corpus_is_big_enough_and_at_least_40_percent_clean() {
    let drafts = load_corpus(
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/corpus")),
        "",
    )
    .unwrap_or_else(|e| {
        panic!(
            "corpus loads: {}",
            e.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    for lang in ["ru", "en"] {
        let of_lang: Vec<_> = drafts.iter().filter(|d| d.lang == lang).collect();
        let clean = of_lang.iter().filter(|d| d.expect.is_empty()).count();
        assert!(of_lang.len() >= 250, "{lang}: {} drafts", of_lang.len());
        assert!(
            clean * 10 >= of_lang.len() * 4,
            "{lang}: {clean} of {} clean",
            of_lang.len()
        );
    }
}

#[test]
fn corpus_meets_precision_and_recall_thresholds() {
    let linter = Linter::builtin().expect("built-in rules load");
    let drafts = load_corpus(
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/corpus")),
        "",
    )
    .expect("corpus loads");
    let ev = evaluate(&linter, &drafts);
    let short = shortfalls(&ev, &Thresholds::default());
    assert!(
        short.is_empty(),
        "{}\nBelow thresholds:\n{}",
        render(&ev, true),
        short.join("\n")
    );
}

/// The structure checklist (issue #18): every part labelled on at least 20
/// drafts of a language is found with precision and recall of 0.85 or more
/// (`corpus/structure/<lang>.toml`, a support lead's labels of 120 drafts
/// per language; `apolint eval corpus/structure/en.toml --misses` shows
/// the table and every disagreement).
#[test]
fn structure_parts_meet_thresholds() {
    let linter = Linter::builtin().expect("built-in rules load");
    for lang in ["en", "ru"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("corpus/structure")
            .join(format!("{lang}.toml"));
        let labels = apolint_core::eval_parts::load(&path).unwrap_or_else(|e| {
            panic!(
                "{}",
                e.iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        });
        assert!(
            labels.len() >= 100,
            "{lang}: {} labelled drafts",
            labels.len()
        );
        let ev = apolint_core::eval_parts::evaluate(&linter, &labels);
        let short = apolint_core::eval_parts::shortfalls(&ev, 0.85, 20);
        assert!(
            short.is_empty(),
            "{lang}: {}\nBelow thresholds:\n{}",
            apolint_core::eval_parts::render(&ev, true),
            short.join("\n")
        );
    }
}
