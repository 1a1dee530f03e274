//! Every rule's own examples: each `fire` draft must produce a finding of
//! that rule, each `quiet` draft must not. This is what keeps a rule from
//! silently matching nothing (or everything).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use apolint_core::examples::failures;
use apolint_core::rules::book::{RuleKind, RuleLang};
use apolint_core::{CheckOptions, Linter};

/// The built-in packs' examples and fixes, run as a team's packs are when
/// they load (`apolint_core::examples`): every `fire` draft fires, every
/// `quiet` one does not, every fix removes its finding.
#[test]
fn every_rule_fires_on_its_fire_examples_and_not_on_its_quiet_ones() {
    let linter = Linter::builtin().unwrap_or_else(|errors| {
        let shown: Vec<String> = errors.iter().map(|e| e.render(false)).collect();
        panic!("built-in rules fail to load:\n{}", shown.join("\n"))
    });
    assert!(!linter.rules().is_empty(), "no built-in rules loaded");
    // A fix is applied by editors and the playground without a second
    // look: the packs have some, and each is tried on the examples.
    let fixed: usize = linter
        .rules()
        .iter()
        .flat_map(|r| r.fire.iter().map(move |d| (r, d)))
        .map(|(r, d)| {
            let report = linter.check(d, &CheckOptions::default());
            report
                .findings
                .iter()
                .filter(|f| f.rule == r.id.as_str() && f.fix.is_some())
                .count()
        })
        .sum();
    assert!(fixed >= 5, "only {fixed} fixes in the examples");
    let failures: Vec<String> = failures(&linter, linter.rules())
        .iter()
        .map(|f| format!("{}: {} {:?}", f.rule, f.problem, f.example))
        .collect();
    assert!(
        failures.is_empty(),
        "{} rule example failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn fixes_keep_the_case_of_the_matched_text() {
    let linter = Linter::builtin().expect("built-in rules load");
    let fix = |text: &str| {
        linter
            .check(text, &CheckOptions::default())
            .findings
            .into_iter()
            .find_map(|f| f.fix)
    };
    assert_eq!(
        fix("В настоящее время заказ едет к вам.").as_deref(),
        Some("Сейчас")
    );
    assert_eq!(
        fix("Заказ в настоящее время едет к вам.").as_deref(),
        Some("сейчас")
    );
    assert_eq!(
        fix("ВОЗВРАТ ДЕНЕЖНЫХ СРЕДСТВ ЗАВТРА.").as_deref(),
        Some("ДЕНЕГ")
    );
    assert_eq!(
        fix("Возврат денежных средств завтра.").as_deref(),
        Some("денег")
    );
    assert_eq!(
        fix("At this point in time the order is packed.").as_deref(),
        Some("Now")
    );
    assert_eq!(fix("Мы всё исправим!!!").as_deref(), Some("!"));
    // A match with no fix entry gets no fix.
    assert_eq!(
        fix("Upon completion of the review we will refund you."),
        None
    );
}

#[test]
fn every_category_has_rules_in_both_languages() {
    let linter = Linter::builtin().expect("built-in rules load");
    for cat in apolint_core::Category::ALL {
        for lang in [RuleLang::Ru, RuleLang::En] {
            let has = linter
                .rules()
                .iter()
                .any(|r| r.category == cat && (r.lang == lang || r.lang == RuleLang::Any));
            assert!(has, "no {} rule for {}", cat, lang.code());
        }
    }
}

#[test]
fn every_builtin_regex_compiles_within_the_size_limits() {
    // Built-in regexes compile on first use; this makes sure none of them
    // would silently never match.
    let linter = Linter::builtin().expect("built-in rules load");
    for rule in linter.rules() {
        if let RuleKind::Regex(spec) = &rule.kind {
            assert!(
                spec.regex.get().is_some(),
                "{}: regex does not compile",
                rule.id
            );
        }
    }
    for lex in &linter.book().lexicons {
        for spec in &lex.regexes {
            assert!(
                spec.regex.get().is_some(),
                "lexicon {}: {} does not compile",
                lex.name,
                spec.regex.as_str()
            );
        }
    }
}

#[test]
fn docs_rules_md_is_generated_from_the_current_rules() {
    let linter = Linter::builtin().expect("built-in rules load");
    let expected = apolint_core::output::rules_markdown(linter.rules());
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/rules.md");
    let actual = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/rules.md is out of date: run `cargo run -- rules --format markdown > docs/rules.md`"
    );
}
