//! Every rule's own examples: each `fire` draft must produce a finding of
//! that rule, each `quiet` draft must not. This is what keeps a rule from
//! silently matching nothing (or everything).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use apolint_core::rules::book::{RuleKind, RuleLang};
use apolint_core::{CheckOptions, Linter};

/// Name-mismatch examples are written for a customer called Мария / Maria.
fn options_for(rule: &apolint_core::Rule) -> CheckOptions {
    let customer_name = match (&rule.kind, rule.lang) {
        (RuleKind::NameMismatch { .. }, RuleLang::En) => Some("Maria".to_owned()),
        (RuleKind::NameMismatch { .. }, _) => Some("Мария".to_owned()),
        _ => None,
    };
    CheckOptions {
        customer_name,
        ..CheckOptions::default()
    }
}

#[test]
fn every_rule_fires_on_its_fire_examples_and_not_on_its_quiet_ones() {
    let linter = Linter::builtin().unwrap_or_else(|errors| {
        let shown: Vec<String> = errors.iter().map(|e| e.render(false)).collect();
        panic!("built-in rules fail to load:\n{}", shown.join("\n"))
    });
    assert!(!linter.rules().is_empty(), "no built-in rules loaded");
    let mut failures = Vec::new();
    for rule in linter.rules() {
        if rule.fire.is_empty() || rule.quiet.is_empty() {
            failures.push(format!(
                "{}: needs at least one `fire` and one `quiet` example",
                rule.id
            ));
        }
        let opts = options_for(rule);
        for draft in &rule.fire {
            let report = linter.check(draft, &opts);
            // A rule folded into another of its category on the same words
            // (one finding per problem) still fired.
            if !report
                .findings
                .iter()
                .any(|f| f.rule == rule.id || f.also.iter().any(|a| *a == rule.id))
            {
                let got: Vec<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
                failures.push(format!(
                    "{}: did not fire on {:?} (got {:?})",
                    rule.id, draft, got
                ));
            }
        }
        for draft in &rule.quiet {
            let report = linter.check(draft, &opts);
            if let Some(f) = report
                .findings
                .iter()
                .find(|f| f.rule == rule.id || f.also.iter().any(|a| *a == rule.id))
            {
                let text = &draft[f.span.start..f.span.end];
                failures.push(format!(
                    "{}: fired on quiet example {:?} at {:?}",
                    rule.id, draft, text
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} rule example failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A fix is applied by editors and the playground without a second look, so
/// each rule's fixes must be reachable from its examples and must make the
/// finding go away without creating another one of the same rule.
#[test]
fn every_fix_is_exercised_and_removes_its_finding() {
    let linter = Linter::builtin().expect("built-in rules load");
    let mut failures = Vec::new();
    let mut applied = 0;
    for rule in linter.rules().iter().filter(|r| !r.fixes.is_empty()) {
        let opts = options_for(rule);
        let mut used = std::collections::BTreeSet::new();
        for draft in &rule.fire {
            let report = linter.check(draft, &opts);
            for f in report.findings.iter().filter(|f| f.rule == rule.id) {
                let Some(fix) = &f.fix else { continue };
                let matched = &draft[f.span.start..f.span.end];
                used.insert(apolint_core::rules::book::fix_key(matched));
                let fixed = format!("{}{}{}", &draft[..f.span.start], fix, &draft[f.span.end..]);
                applied += 1;
                if linter
                    .check(&fixed, &opts)
                    .findings
                    .iter()
                    .any(|g| g.rule == rule.id)
                {
                    failures.push(format!(
                        "{}: fix {matched:?} → {fix:?} leaves the finding in {fixed:?}",
                        rule.id
                    ));
                }
            }
        }
        if used.is_empty() {
            failures.push(format!("{}: no `fire` example gets a fix", rule.id));
        }
    }
    assert!(applied >= 5, "only {applied} fixes applied");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
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
