//! Behaviour of the engine with the built-in packs: every category in both
//! languages (positive and negative), inflected Russian, the precision traps
//! of `domain.md`, quoted-thread masking, spans on character boundaries.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use apolint_core::{Category, CheckOptions, InputFormat, LanguageChoice, Linter, Report};

fn linter() -> &'static Linter {
    static L: std::sync::OnceLock<Linter> = std::sync::OnceLock::new();
    L.get_or_init(|| Linter::builtin().expect("built-in rules load"))
}

fn check(text: &str) -> Report {
    linter().check(text, &CheckOptions::default())
}

fn check_with(text: &str, opts: CheckOptions) -> Report {
    linter().check(text, &opts)
}

fn categories(r: &Report) -> Vec<&'static str> {
    r.findings.iter().map(|f| f.category.name()).collect()
}

#[track_caller]
fn assert_fires(text: &str, cat: &str) {
    let r = check(text);
    assert!(
        categories(&r).contains(&cat),
        "expected {cat} in {text:?}, got {:?}",
        summary(text, &r)
    );
}

#[track_caller]
fn assert_quiet(text: &str, cat: &str) {
    let r = check(text);
    assert!(
        !categories(&r).contains(&cat),
        "expected no {cat} in {text:?}, got {:?}",
        summary(text, &r)
    );
}

fn summary<'a>(text: &'a str, r: &Report) -> Vec<(String, &'a str)> {
    r.findings
        .iter()
        .map(|f| (f.rule.to_string(), &text[f.span.start..f.span.end]))
        .collect()
}

/// The text of the first finding of `cat`.
fn span_of<'a>(text: &'a str, cat: &str) -> &'a str {
    let r = check(text);
    let f = r
        .findings
        .iter()
        .find(|f| f.category.name() == cat)
        .unwrap_or_else(|| panic!("no {cat} in {text:?}"));
    &text[f.span.start..f.span.end]
}

#[test]
fn cliche_in_both_languages_with_inflection() {
    for t in [
        "Приносим свои извинения за задержку.",
        "Приношу вам искренние извинения.",
        "ПРИНОСИМ ИЗВИНЕНИЯ ЗА ОШИБКУ.",
        "Примите наши извинения.",
        "Извините за доставленные неудобства.",
        "Извиняемся за причинённые неудобства.",
        "We apologize for any inconvenience.",
        "Please accept our sincere apologies.",
    ] {
        assert_fires(t, "cliche");
    }
    for t in [
        "Курьер принесёт заказ завтра.",
        "Мы вернули деньги на карту.",
        "We sent the wrong book; a new one arrives Friday.",
    ] {
        assert_quiet(t, "cliche");
    }
}

#[test]
fn passive_aggression_and_the_zhe_trap() {
    for t in [
        "Мы же вас предупреждали об этом.",
        "Это же очевидно из описания.",
        "Вообще-то у нас всё работает.",
        "Как я уже писал, заказ в пути.",
        "As I already mentioned, the order has shipped.",
        "Per my last email, the refund is processing.",
    ] {
        assert_fires(t, "passive-aggression");
    }
    for t in [
        "Отправим в тот же день.",
        "Пришлём такой же товар.",
        "Это то же самое изделие.",
        "Всё же мы решили вернуть деньги.",
        "Исправим сейчас же.",
        "Нужно подождать минуту.",
        "The refund has actually already been issued.",
    ] {
        assert_quiet(t, "passive-aggression");
    }
}

#[test]
fn nu_only_at_the_start_of_a_clause() {
    assert_fires(
        "Ну вот, опять вы не прочитали инструкцию.",
        "passive-aggression",
    );
    assert_quiet("Нужно ну совсем немного подождать.", "passive-aggression");
    assert_quiet(
        "Вы написали: «ну и сервис». Понимаем вас.",
        "passive-aggression",
    );
}

#[test]
fn actually_is_reproach_only_as_a_correction() {
    assert_fires("Actually, the button is right there.", "passive-aggression");
    assert_quiet(
        "The refund has actually already been issued.",
        "passive-aggression",
    );
}

#[test]
fn blame_shifting_needs_a_causal_link() {
    for t in [
        "Задержка произошла по вине курьерской службы.",
        "Вы должны были указать правильный адрес.",
        "The delay was due to our courier partner.",
        "You should have selected express shipping.",
    ] {
        assert_fires(t, "blame-shifting");
    }
    for t in [
        "Курьер привезёт заказ завтра.",
        "The courier will bring it tomorrow.",
        "You should receive it by Friday.",
    ] {
        assert_quiet(t, "blame-shifting");
    }
}

#[test]
fn non_apology_impossible_promise_bureaucratese_impersonal() {
    assert_fires("Извините, если вас это задело.", "non-apology");
    assert_fires("Sorry if you feel that way.", "non-apology");
    assert_quiet("Извините, что так вышло: это наша ошибка.", "non-apology");
    assert_fires("Это больше никогда не повторится.", "impossible-promise");
    assert_fires("This will never happen again.", "impossible-promise");
    assert_quiet(
        "Мы изменили проверку адресов, чтобы это не повторилось.",
        "impossible-promise",
    );
    assert_fires(
        "В связи с вышеизложенным возврат осуществляется в течение 10 дней.",
        "bureaucratese",
    );
    assert_fires(
        "Please be advised that your order has shipped.",
        "bureaucratese",
    );
    assert_quiet(
        "Возврат придёт на карту в течение 10 дней.",
        "bureaucratese",
    );
    assert_fires("Администрация магазина приносит извинения.", "impersonal");
    assert_fires("The management apologizes for the delay.", "impersonal");
    assert_quiet("Я разобралась и вернула деньги.", "impersonal");
}

#[test]
fn vague_and_missing_deadlines() {
    assert_fires("Мы вернём деньги в ближайшее время.", "vague-deadline");
    assert_fires("We will refund you as soon as possible.", "vague-deadline");
    assert_quiet("Мы вернём деньги до пятницы.", "vague-deadline");
    assert_fires("Мы обязательно вернём деньги.", "missing-deadline");
    assert_fires("We will send a replacement.", "missing-deadline");
    assert_quiet("Мы вернём деньги до конца дня.", "missing-deadline");
    assert_quiet("We will send a replacement by Friday.", "missing-deadline");
    // A reply that reports a finished action needs no deadline.
    assert_quiet(
        "Готово: мы уже вернули деньги на карту.",
        "missing-deadline",
    );
    assert_quiet(
        "Done, the refund has been issued to your card.",
        "missing-deadline",
    );
}

#[test]
fn missing_compensation_only_when_fault_is_admitted() {
    assert_fires(
        "Это наша ошибка: мы отправили не тот товар. Отправим нужный завтра.",
        "missing-compensation",
    );
    assert_fires(
        "It was our mistake, we sent the wrong item. The new one ships tomorrow.",
        "missing-compensation",
    );
    assert_quiet(
        "Это наша ошибка. Отправим нужный товар завтра, а доставку вернём на карту.",
        "missing-compensation",
    );
    assert_quiet(
        "Проверили заказ: товар соответствует описанию.",
        "missing-compensation",
    );
    assert_quiet(
        "Our mistake, sorry. We've refunded the shipping fee.",
        "missing-compensation",
    );
}

#[test]
fn over_apology_counts_apologies() {
    assert_fires("Извините за задержку. Ещё раз извините!", "over-apology");
    assert_fires(
        "Sorry for the delay. Sorry again, we apologize.",
        "over-apology",
    );
    assert_quiet("Извините за задержку. Заказ придёт завтра.", "over-apology");
    assert_quiet(
        "Sorry for the delay. The order arrives tomorrow.",
        "over-apology",
    );
}

#[test]
fn placeholders_in_all_styles() {
    for t in [
        "Здравствуйте, [Имя клиента]!",
        "Hi {{first_name}},",
        "Здравствуйте, %ИМЯ%!",
        "Dear <name>,",
        "Ваш заказ №ХХХ отправлен.",
        "Your order [order number] has shipped.",
    ] {
        assert_fires(t, "placeholder");
    }
    for t in [
        "Скидка 10% и ещё 20% по карте.",
        "См. пункт [1] договора.",
        "Hi Maria, your order has shipped.",
    ] {
        assert_quiet(t, "placeholder");
    }
    let r = check("Hi {{first_name}},");
    assert!(r.findings.iter().any(
        |f| f.category == Category::Placeholder && f.severity == apolint_core::Severity::Error
    ));
}

#[test]
fn shouting_but_not_a_greeting_exclamation() {
    assert_fires("Мы всё исправим!!!", "shouting");
    assert_fires("ВНИМАНИЕ: заказ задерживается.", "shouting");
    assert_fires("PLEASE NOTE the new address.", "shouting");
    assert_fires("Спасибо 🙏🙏🙏", "shouting");
    assert_quiet("Здравствуйте, Мария! Заказ отправлен.", "shouting");
    assert_quiet("Номер ИНН и СМС-код не нужны.", "shouting");
    assert_quiet("Hi Maria! Your order has shipped.", "shouting");
}

#[test]
fn name_mismatch_with_diminutives() {
    let opts = |name: &str| CheckOptions {
        customer_name: Some(name.into()),
        ..CheckOptions::default()
    };
    let mismatch = |text: &str, name: &str| {
        check_with(text, opts(name))
            .findings
            .iter()
            .any(|f| f.category == Category::NameMismatch)
    };
    assert!(mismatch("Здравствуйте, Юлия! Заказ в пути.", "Мария"));
    assert!(!mismatch("Здравствуйте, Мария! Заказ в пути.", "Мария"));
    assert!(!mismatch("Привет, Маша! Заказ в пути.", "Мария Петровна"));
    assert!(mismatch("Dear John, your order shipped.", "Maria"));
    assert!(!mismatch("Hi Bob, your order shipped.", "Robert Smith"));
    assert!(!mismatch("Здравствуйте! Заказ в пути.", "Мария"));
    assert!(!mismatch("Здравствуйте. Извините за задержку.", "Мария"));
    assert!(mismatch("Юлия, добрый день. Заказ в пути.", "Мария"));
    assert!(!mismatch("Маша, добрый день. Заказ в пути.", "Мария"));
    assert!(!mismatch("Заказ, добрый день, в пути.", "Мария"));
    assert!(mismatch(
        "Dear Mr. Smith, your order shipped.",
        "Maria Jones"
    ));
    assert!(!mismatch(
        "Dear Ms. Jones, your order shipped.",
        "Maria Jones"
    ));
    assert!(!check("Здравствуйте, Юлия!")
        .findings
        .iter()
        .any(|f| f.category == Category::NameMismatch));
}

#[test]
fn hints_are_info() {
    let r = check("Извините за неудобства, проблема решена.");
    let hints: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.category == Category::Hint)
        .collect();
    assert!(
        !hints.is_empty(),
        "{:?}",
        summary("Извините за неудобства, проблема решена.", &r)
    );
    assert!(hints
        .iter()
        .all(|f| f.severity == apolint_core::Severity::Info));
    assert_fires("Sorry for the wait.", "hint");
}

#[test]
fn quoted_thread_material_is_never_linted() {
    let draft = "Заказ отправлен, будет у вас завтра.\n\n> Вы же обещали!!! Приносим свои извинения\n> ну и сервис\n";
    let r = check(draft);
    assert!(r.findings.is_empty(), "{:?}", summary(draft, &r));
    let reply = "The order ships today.\n\nOn Mon, 2 Nov 2026 at 10:00, Ann <ann@example.com> wrote:\nYou should have called me!!! We apologize for any inconvenience";
    let r = check(reply);
    assert!(r.findings.is_empty(), "{:?}", summary(reply, &r));
}

#[test]
fn spans_land_on_character_boundaries_with_cyrillic_and_emoji() {
    let text =
        "🙂 Здравствуйте! Приносим свои извинения 🙏 за ожидание. Мы же вас предупреждали!!!";
    let r = check(text);
    assert!(!r.findings.is_empty());
    for f in &r.findings {
        assert!(
            text.is_char_boundary(f.span.start) && text.is_char_boundary(f.span.end),
            "{f:?}"
        );
        assert!(f.span.start < f.span.end);
        let col = text[..f.span.start].chars().count() + 1;
        assert_eq!(f.span.column, col);
    }
    assert_eq!(span_of(text, "cliche"), "Приносим свои извинения");
}

#[test]
fn typographic_quotes_dashes_and_yo_are_folded() {
    assert_fires("Ещё раз повторяю: заказ в пути.", "passive-aggression");
    assert_fires(
        "As I’ve already mentioned, it shipped.",
        "passive-aggression",
    );
    assert_eq!(
        span_of("Вообще—то всё работает.", "passive-aggression"),
        "Вообще—то"
    );
}

#[test]
fn html_and_markdown_spans_point_into_the_original() {
    let html = "<p>Hi,</p><p>We <b>apologize</b> for any inconvenience&nbsp;caused.</p><blockquote>you should have</blockquote>";
    let r = check_with(
        html,
        CheckOptions {
            format: Some(InputFormat::Html),
            ..CheckOptions::default()
        },
    );
    let f = r
        .findings
        .iter()
        .find(|f| f.category == Category::Cliche)
        .expect("cliche in HTML");
    assert!(
        html[f.span.start..f.span.end].starts_with("We <b>apologize</b> for any inconvenience"),
        "{}",
        &html[f.span.start..f.span.end]
    );
    assert!(!categories(&r).contains(&"blame-shifting"));
    let md = "**Приносим** свои извинения.\n\n```\nмы же\n```\n";
    let r = check_with(
        md,
        CheckOptions {
            format: Some(InputFormat::Markdown),
            ..CheckOptions::default()
        },
    );
    assert_eq!(categories(&r), vec!["cliche"], "{:?}", summary(md, &r));
}

#[test]
fn language_is_detected_per_draft_and_can_be_forced() {
    assert_eq!(check("Приносим извинения.").language.code(), "ru");
    assert_eq!(
        check("We apologize for any inconvenience.").language.code(),
        "en"
    );
    let mixed = "Заказ отправлен сегодня. We apologize for any inconvenience.";
    let r = check(mixed);
    assert!(
        categories(&r).contains(&"cliche"),
        "mixed drafts lint both languages"
    );
    let ru_only = check_with(
        mixed,
        CheckOptions {
            language: LanguageChoice::Ru,
            ..CheckOptions::default()
        },
    );
    assert!(!ru_only.findings.iter().any(|f| f.rule.starts_with("en.")));
}

#[test]
fn findings_are_sorted_and_deterministic() {
    let text =
        "Приносим свои извинения. Мы же вас предупреждали!!! We apologize for any inconvenience.";
    let a = check(text);
    let b = check(text);
    assert_eq!(a, b);
    let starts: Vec<usize> = a.findings.iter().map(|f| f.span.start).collect();
    let mut sorted = starts.clone();
    sorted.sort_unstable();
    assert_eq!(starts, sorted);
}

#[test]
fn hostile_input_does_not_panic() {
    let long_word = "ж".repeat(200_000);
    let many_zhe = "же ".repeat(100_000);
    let controls: String = (0u8..32).map(char::from).collect();
    for t in [
        "",
        " ",
        "\n\n\n",
        "!!!!!!!!",
        &long_word,
        &many_zhe,
        &controls,
        "\u{202e}извин\u{0301}ите\u{200b}",
        "<<<>>>&&&;;",
        "[[[{{{%%%",
    ] {
        for format in [InputFormat::Plain, InputFormat::Markdown, InputFormat::Html] {
            let r = check_with(
                t,
                CheckOptions {
                    format: Some(format),
                    ..CheckOptions::default()
                },
            );
            for f in &r.findings {
                assert!(
                    t.is_char_boundary(f.span.start)
                        && t.is_char_boundary(f.span.end)
                        && f.span.end <= t.len()
                );
            }
        }
    }
}

#[test]
fn k_sozhaleniyu_is_at_most_a_hint() {
    for t in [
        "К сожалению, этот товар снят с производства.",
        "Unfortunately, this model is no longer made.",
    ] {
        let r = check(t);
        assert!(
            r.findings
                .iter()
                .all(|f| f.severity == apolint_core::Severity::Info),
            "{:?}",
            summary(t, &r)
        );
    }
}

#[test]
fn regex_rules_skip_the_customers_quoted_words_too() {
    assert_quiet(
        "Вы написали «Где мой заказ!!!» — понимаем, заказ придёт завтра.",
        "shouting",
    );
    assert_fires("Где мой заказ!!! Он придёт завтра.", "shouting");
}

#[test]
fn an_invitation_is_not_a_promise() {
    assert_quiet(
        "Давайте разберёмся вместе: пришлите, пожалуйста, фото чека.",
        "missing-deadline",
    );
    assert_fires("Мы разберёмся и вернём деньги.", "missing-deadline");
}

#[test]
fn anchors_need_a_word_edge_even_where_the_tokenizer_splits() {
    // UAX #29 splits a katakana or han letter from a Latin or Cyrillic word
    // next to it, but a phrase's anchor word must have a word edge on both
    // sides (a prefix anchor, at its start): glued to such a letter, it is
    // part of a longer word, not the phrase.
    assert_fires("We apologize for any inconvenience 中.", "cliche");
    assert_quiet("We apologize for any inconvenience中.", "cliche");
    assert_quiet("We apologize for any カinconvenience.", "cliche");
    assert_fires("Приносим извинения за неудобства.", "cliche");
    assert_quiet("Приносим カизвинения за неудобства.", "cliche");
    // `неудобств*` is a prefix anchor: only its start needs the edge.
    assert_fires("Приносим カизвинения за неудобства中.", "hint");
    assert_quiet("Приносим извинения за カнеудобства.", "hint");
}

/// Issue #16, part 1: a phrase runs on across a line break inside a
/// paragraph, never across a blank line or into a new block, and its span
/// stays exact in the input's bytes.
#[test]
fn phrases_run_on_across_a_line_break_inside_a_paragraph() {
    // Hard-wrapped mail, both languages, inflected Russian, CRLF.
    for (text, phrase) in [
        (
            "Hello Ann,\n\nWe apologize for any\ninconvenience this caused.",
            "We apologize for any\ninconvenience",
        ),
        (
            "Добрый день!\n\nПриносим свои\nизвинения за задержку.",
            "Приносим свои\nизвинения",
        ),
        (
            "Приношу вам свои\r\nизвинения, посылка ушла не туда.",
            "Приношу вам свои\r\nизвинения",
        ),
    ] {
        assert_eq!(span_of(text, "cliche"), phrase, "{text:?}");
    }
    let r = check("Hello,\n\nWe apologize for any\ninconvenience.");
    let f = &r.findings[0];
    assert_eq!((f.span.line, f.span.column), (3, 1));

    // Markdown soft break; HTML <br> inside a paragraph.
    let md = "Hi Ann,\n\nWe apologize for any\ninconvenience.\n";
    let r = check_with(
        md,
        CheckOptions {
            format: Some(InputFormat::Markdown),
            ..CheckOptions::default()
        },
    );
    assert!(categories(&r).contains(&"cliche"), "{:?}", summary(md, &r));
    let html = "<p>Приносим свои<br>извинения за задержку.</p>";
    let r = check_with(
        html,
        CheckOptions {
            format: Some(InputFormat::Html),
            ..CheckOptions::default()
        },
    );
    assert_eq!(summary(html, &r)[0].1, "Приносим свои<br>извинения");

    // Never across a blank line, a list item, a quote, a heading, or two
    // HTML paragraphs.
    for text in [
        "We apologize for any\n\ninconvenience.",
        "Приносим свои\n   \nизвинения.",
        "- We apologize for any\n- inconvenience checks we ran",
        "Приносим свои\n1. извинения — это слово из списка",
        "We apologize for any\n> inconvenience, he wrote",
        "Приносим свои\n# Извинения",
    ] {
        assert_quiet(text, "cliche");
    }
    let html = "<p>Приносим свои</p><p>извинения.</p>";
    let r = check_with(
        html,
        CheckOptions {
            format: Some(InputFormat::Html),
            ..CheckOptions::default()
        },
    );
    assert!(
        !categories(&r).contains(&"cliche"),
        "{:?}",
        summary(html, &r)
    );
}

/// Issue #16, part 4: one finding per problem, in the reader's language,
/// with the example that fits the reply first.
#[test]
fn one_finding_per_problem_in_the_readers_language() {
    // Two impossible-promise rules on the same words: one finding.
    let text = "Обещаю, что впредь такого не случится.";
    let r = check(text);
    let promises: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.category == Category::ImpossiblePromise)
        .collect();
    assert_eq!(promises.len(), 1, "{:?}", summary(text, &r));
    assert!(!promises[0].also.is_empty(), "the folded rule is named");
    // Different categories on the same words both stay.
    let text = "Приносим извинения за доставленные неудобства!!!";
    let cats = categories(&check(text));
    assert!(
        cats.contains(&"cliche") && cats.contains(&"shouting"),
        "{cats:?}"
    );

    // A language-neutral rule speaks the draft's language; a draft without
    // letters gets both.
    let message = |text: &str| {
        check(text)
            .findings
            .into_iter()
            .find(|f| f.rule == "any.shouting.exclamation-run")
            .map(|f| (f.message, f.suggestions))
            .unwrap()
    };
    let (ru, ru_suggestions) = message("Спасибо, что написали!!!");
    assert!(
        ru.starts_with("Несколько восклицательных") && !ru.contains(" / "),
        "{ru}"
    );
    assert!(
        ru_suggestions[0].starts_with("Закончите"),
        "{ru_suggestions:?}"
    );
    let (en, _) = message("Thank you for writing!!!");
    assert_eq!(en, "Several exclamation marks in a row read as shouting.");
    let (both, _) = message("!!!");
    assert!(both.contains(" / "), "{both}");
    // A ` / ` inside the English part is not the split.
    let r = check("Hello ${name}, your order is ready.");
    let f = r
        .findings
        .iter()
        .find(|f| f.category == Category::Placeholder)
        .unwrap();
    assert_eq!(f.message, "Unfilled template variable {$…} / ${…}.");

    // Suggestions are examples; the one about what the reply is about
    // comes first.
    let first = |text: &str| {
        check(text)
            .findings
            .into_iter()
            .find(|f| f.category == Category::Cliche)
            .map(|f| f.suggestions[0].clone())
            .unwrap()
    };
    assert!(first("Приносим свои извинения за задержку заказа.").contains("задержался"));
    assert!(first("Приносим свои извинения, мы прислали не тот размер.").contains("размер"));
    assert!(
        first("We apologize for any inconvenience with the double charge.").contains("charged")
    );
}

/// Issue #16, part 2: the clause rule kind, as a team's own pack loaded
/// through `apolint.toml` (the worked example of rules/README.md).
#[test]
fn clause_rules_from_a_teams_own_pack() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("team-rules")).unwrap();
    std::fs::write(
        dir.path().join("apolint.toml"),
        "rule_dirs = [\"team-rules\"]\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("team-rules/blame.toml"),
        r#"
[[lexicon]]
name = "team-third-party"
patterns = ["(courier|carrier|seller|supplier|bank|warehouse)", "(delivery|shipping) company", "курьер*", "транспортн* компани*"]

[[lexicon]]
name = "team-failure"
patterns = ["(failed|forgot|lost|delayed)", "(did not|didn't) (deliver|ship|send)", "не (успел*|привез*|доставил*)", "потерял*"]

[[lexicon]]
name = "team-own"
patterns = ["(our|my) (fault|mistake|error)", "our (courier|driver|team)", "that's on us", "по нашей вине", "наш* курьер*"]

[[rule]]
id = "team.blame-shifting.party-failed"
kind = "clause"
category = "blame-shifting"
severity = "warning"
message = "The reply puts the failure on a third party."
explanation = "The customer chose you, not your courier: own the failure."
all = ["team-third-party", "team-failure"]
unless = ["team-own"]
fire = ["Unfortunately the courier failed to deliver on Monday."]
quiet = ["The courier will bring it tomorrow."]

[[rule]]
id = "team.hint.party-failed-ordered"
kind = "clause"
category = "hint"
severity = "info"
message = "Party, then failure, close together."
explanation = "Ordered and near."
all = ["team-third-party", "team-failure"]
ordered = true
max_words = 2
within = "sentence"
fire = ["The courier then failed."]
quiet = ["It failed, said the courier."]
"#,
    )
    .unwrap();
    let config = apolint_core::Config::load(&dir.path().join("apolint.toml")).unwrap();
    let linter = Linter::with_config(&config).unwrap();
    let rule = "team.blame-shifting.party-failed";
    // A team rule may be folded into a built-in one of its category on the
    // same clause (one finding per problem): it still fired.
    let spans = |text: &str| -> Vec<(String, String)> {
        linter
            .check(text, &CheckOptions::default())
            .findings
            .iter()
            .flat_map(|f| {
                let span = text[f.span.start..f.span.end].to_owned();
                std::iter::once(&f.rule)
                    .chain(&f.also)
                    .filter(|r| r.starts_with("team."))
                    .map(move |r| (r.to_string(), span.clone()))
            })
            .collect()
    };
    // The finding covers the clause, in either order, inflected Russian too.
    let clause = |text: &str| -> Vec<String> {
        spans(text)
            .into_iter()
            .filter(|(r, _)| r == rule)
            .map(|(_, s)| s)
            .collect()
    };
    assert_eq!(
        clause("Hello Ann. Sadly, the courier failed to deliver on Monday, so it comes today."),
        ["the courier failed to deliver on Monday"]
    );
    assert_eq!(
        clause("К сожалению, транспортная компания не успела забрать заказ."),
        ["транспортная компания не успела забрать заказ"]
    );
    assert_eq!(
        clause("Delayed by the supplier; sorry."),
        ["Delayed by the supplier"]
    );
    // Precision traps: a courier without a failure; the failure in another
    // clause; own responsibility in the clause.
    for quiet in [
        "The courier will bring it tomorrow before 3 pm.",
        "Курьер привезёт заказ завтра до 15:00.",
        "The courier called you, but the parcel was lost.",
        "Our courier failed to call you.",
        "Наш курьер не успел заехать, это по нашей вине.",
        "The courier failed to call, and that's our mistake.",
    ] {
        assert!(
            spans(quiet).iter().all(|(r, _)| r != rule),
            "{quiet:?}: {:?}",
            spans(quiet)
        );
    }
    // Ordered, within two words, in one sentence.
    let ordered = "team.hint.party-failed-ordered";
    let has = |text: &str| spans(text).iter().any(|(r, _)| r == ordered);
    assert!(has("The courier then failed, sadly."));
    assert!(!has("It failed, said the courier."));
    assert!(!has("The courier, who had a very long day, then failed."));
}

/// The clause kind's mistakes are pointed errors.
#[test]
fn clause_rule_errors_are_pointed() {
    let load = |body: &str| {
        let mut book = apolint_core::RuleBook::default();
        let text = format!(
            "[[lexicon]]\nname = \"a\"\npatterns = [\"x\"]\n\n[[rule]]\nid = \"t.hint.c\"\nkind = \"clause\"\ncategory = \"hint\"\nseverity = \"info\"\nmessage = \"m\"\nexplanation = \"e\"\nfire = [\"x\"]\nquiet = [\"y\"]\n{body}"
        );
        match book
            .add_file("t.toml", &text)
            .and_then(|()| book.validate())
        {
            Ok(()) => String::new(),
            Err(e) => e.iter().map(|e| e.render(false)).collect(),
        }
    };
    assert_eq!(load("all = [\"a\"]\n"), "");
    assert!(load("").contains("a clause rule needs `all`"));
    assert!(load("all = [\"a\", \"nope\"]\n").contains("unknown lexicon `nope`"));
    assert!(load("all = [\"a\"]\nwithin = \"paragraph\"\n").contains("unknown scope `paragraph`"));
    assert!(load("all = [\"a\"]\nmax_words = 99\n").contains("between 0 and 50"));
    assert!(load("all = [\"a\"]\nfixes = { x = \"y\" }\n").contains("`fixes` only apply"));
    assert_eq!(load("all = [\"a\"]\nsituations = [\"complaint\"]\n"), "");
    assert!(load("all = [\"a\"]\nsituations = [\"angry\"]\n").contains("unknown situation `angry`"));
}

/// Issue #16, part 3: the reply's situation, inferred or given, and
/// capitals that are names rather than a raised voice.
#[test]
fn the_replys_situation_and_capitals_that_are_names() {
    use apolint_core::Situation;
    let shouting = |text: &str, situation: Option<Situation>| {
        let r = check_with(
            text,
            CheckOptions {
                situation,
                ..CheckOptions::default()
            },
        );
        (
            r.situation,
            r.findings
                .iter()
                .filter(|f| f.category == Category::Shouting)
                .count(),
        )
    };
    // Warmth in a thank-you for a good review, inferred or given.
    let thanks = "Спасибо вам за отзыв! Желаем ярких впечатлений! Ждём вас снова! Хорошего дня!";
    assert_eq!(shouting(thanks, None), (Situation::Positive, 0));
    let thanks_en = "Thank you so much for the 5 stars!!! Glad you love the jacket!";
    assert_eq!(shouting(thanks_en, None), (Situation::Positive, 0));
    // The same words to an upset customer are shouting.
    assert_eq!(shouting(thanks, Some(Situation::Complaint)).1, 1);
    let angry = "Простите за задержку. МЫ ВСЁ ИСПРАВИМ!!!";
    let (situation, n) = shouting(angry, None);
    assert_eq!(situation, Situation::Complaint);
    assert!(n >= 1, "{:?}", summary(angry, &check(angry)));
    // Capitals that are names, brands and acronyms, even in a complaint.
    for quiet in [
        "Простите, СДЭК задержал посылку на сутки; она будет у вас завтра до 18:00.",
        "Sorry, the AWS region had a fault; your site is back since 14:05.",
        "Спасибо, что выбрали корм ROYAL CANIN.",
        "Your ORDER NUMBER is on the receipt.",
    ] {
        assert_eq!(
            shouting(quiet, None).1,
            0,
            "{quiet:?}: {:?}",
            summary(quiet, &check(quiet))
        );
    }
    for loud in ["AWS IS DOWN AGAIN, NOTHING WE CAN DO.", "WE ARE SO SORRY."] {
        assert!(shouting(loud, None).1 >= 1, "{loud:?}");
    }
}

/// The situation as a request gives it: `situation`, or a review's
/// `rating`; a bad value names its field.
#[test]
fn requests_give_the_situation_or_a_rating() {
    use apolint_core::{CheckRequest, Situation};
    let situation = |json: &str| {
        CheckRequest::from_json(json)
            .unwrap()
            .options()
            .unwrap()
            .situation
    };
    assert_eq!(situation(r#"{"text": "x"}"#), None);
    assert_eq!(
        situation(r#"{"text": "x", "rating": 5}"#),
        Some(Situation::Positive)
    );
    assert_eq!(
        situation(r#"{"text": "x", "rating": 2}"#),
        Some(Situation::Complaint)
    );
    assert_eq!(
        situation(r#"{"text": "x", "rating": 5, "situation": "complaint"}"#),
        Some(Situation::Complaint)
    );
    let e = CheckRequest::from_json(r#"{"text": "x", "rating": 9}"#).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("rating"));
    let e = CheckRequest::from_json(r#"{"text": "x", "situation": "angry"}"#).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("situation"));
    assert!(e.message.contains("complaint"), "{}", e.message);
}

// ---- Paper cuts a new user hit (#20, part 3) ----

#[test]
fn text_after_a_sign_off_is_checked_but_the_signature_is_not() {
    for text in [
        "Hello,\nThanks for waiting.\n\nBest regards,\nOlga\nP.S. We apologize for any inconvenience!!!",
        "Здравствуйте!\nСпасибо.\n\nС уважением,\nОльга\nP.S. Приносим свои извинения!!!",
        "Здравствуйте!\nСпасибо.\n\nС уважением,\nОльга\nПС: приносим свои извинения!!!",
        "Hello,\nDone.\n-- \nOlga\nPS We apologize for any inconvenience.",
    ] {
        let r = check(text);
        assert!(
            categories(&r).contains(&"cliche"),
            "the postscript of {text:?} was not checked: {:?}",
            summary(text, &r)
        );
        // Every finding is in the postscript, none in the sign-off or name.
        let ps = text.rfind(['P', 'П']).unwrap();
        assert!(
            r.findings.iter().all(|f| f.span.start >= ps),
            "{:?}",
            summary(text, &r)
        );
    }
    // The signature lines themselves stay unchecked.
    assert!(
        check("Done.\n\nBest regards,\nTHE MANAGEMENT TEAM\nAcme Inc.")
            .findings
            .is_empty()
    );
}

#[test]
fn a_company_as_the_customer_is_greeted_through_its_contact_person() {
    let mismatch = |text: &str, name: &str| {
        let opts = CheckOptions {
            customer_name: Some(name.into()),
            ..CheckOptions::default()
        };
        check_with(text, opts)
            .findings
            .iter()
            .any(|f| f.category == Category::NameMismatch)
    };
    assert!(!mismatch(
        "Здравствуйте, Мария! Спасибо за ожидание.",
        "ООО Ромашка"
    ));
    assert!(!mismatch("Добрый день, Иван! Счёт отправлен.", "ИП Петров"));
    assert!(!mismatch("Hi Maria, thanks for waiting.", "Acme Inc."));
    assert!(!mismatch(
        "Dear John, the invoice is attached.",
        "Globex LLC"
    ));
    assert!(!mismatch(
        "Dear John, the invoice is attached.",
        "«Ромашка»"
    ));
    // A person is still checked.
    assert!(mismatch("Hi Maria, thanks for waiting.", "Anna"));
    assert!(mismatch("Здравствуйте, Юлия!", "Мария Ромашкина"));
}

#[test]
fn a_byte_order_mark_does_not_shift_columns() {
    let text = "\u{feff}Приносим свои извинения.\nПриносим свои извинения.";
    let r = check(text);
    let cols: Vec<(usize, usize)> = r
        .findings
        .iter()
        .filter(|f| f.category == Category::Cliche)
        .map(|f| (f.span.line, f.span.column))
        .collect();
    assert_eq!(cols, [(1, 1), (2, 1)]);
    // The byte offsets still count the mark: they index the input as read.
    assert_eq!(r.findings[0].span.start, 3);
}

#[test]
fn a_requirement_points_at_the_drafts_first_word_once() {
    let config = apolint_core::Config::parse(
        "apolint.toml",
        "[[require]]\nid = \"custom.require.ticket\"\npatterns = [\"ticket #\"]\nmessage = \"Give the ticket number.\"\n",
        None,
    )
    .unwrap();
    let linter = Linter::with_config(&config).unwrap();
    for (text, first) in [
        (
            "Hello Maria,\nyour refund is on its way.\n\nThanks!",
            "Hello",
        ),
        ("\u{feff}\n\n  Добрый день! Готово.", "Добрый"),
        ("— Да, готово.", "—"),
    ] {
        let r = linter.check(text, &CheckOptions::default());
        let found: Vec<_> = r
            .findings
            .iter()
            .filter(|f| f.rule == "custom.require.ticket")
            .collect();
        assert_eq!(found.len(), 1, "{text:?}");
        assert_eq!(&text[found[0].span.start..found[0].span.end], first);
    }
}

/// Text copied from macOS or a PDF has `й` as `и` + U+0306 and `ё` as
/// `е` + U+0308 (NFD): it reads as the same words, with the same findings
/// over the same letters.
#[test]
fn decomposed_short_i_and_yo_give_the_findings_of_the_letters() {
    let composed = "Мы решим вопрос в ближайшее время. Ещё раз приносим извинения. Курьер привезёт заказ в кратчайшие сроки. Вы НАЙДЁТЕ его в ВАЙФАЙ роутере БЛИЖАЙШЕЙ ночью!!!";
    let decomposed = composed.replace('й', "и\u{0306}").replace('ё', "е\u{0308}");
    assert_ne!(composed, decomposed);
    let rules = |r: &Report, text: &str| -> Vec<(String, String)> {
        r.findings
            .iter()
            .map(|f| {
                let span = text[f.span.start..f.span.end]
                    .replace("и\u{0306}", "й")
                    .replace("е\u{0308}", "ё");
                (f.rule.to_string(), span)
            })
            .collect()
    };
    let want = rules(&check(composed), composed);
    assert!(
        want.iter().any(|(r, _)| r.contains("v-blizhayshee-vremya")),
        "{want:?}"
    );
    // The capitals, whose rule reads the text as written, not normalised.
    let caps: Vec<&str> = want
        .iter()
        .filter(|(r, _)| r.contains("caps-word"))
        .map(|(_, span)| span.as_str())
        .collect();
    assert_eq!(caps, ["НАЙДЁТЕ", "ВАЙФАЙ", "БЛИЖАЙШЕЙ"], "{want:?}");
    assert_eq!(rules(&check(&decomposed), &decomposed), want);
}

/// `unless_inside`: a negation a gap skipped turns a promise into a
/// refusal («деньги не вернутся», "we will not refund"); a team's pack
/// can say so, and the built-in promise and compensation lexicons do.
#[test]
fn unless_inside_cancels_a_match_whose_gap_skipped_a_negation() {
    let team = team_linter(
        r#"
[[rule]]
id = "team.hint.refund-promised"
category = "hint"
severity = "info"
message = "A refund is promised."
explanation = "Name the day."
patterns = ["(we|we'll) ~2 refund", "деньги ~3 вернутся"]
unless_inside = ["(not|never|не|никогда)"]
fire = ["We will refund you.", "Деньги обязательно вернутся."]
quiet = ["We will not refund you.", "Деньги не вернутся."]
"#,
        "",
    )
    .expect("the pack loads");
    let fired = |text: &str| -> Vec<String> {
        team.check(text, &CheckOptions::default())
            .findings
            .iter()
            .flat_map(|f| {
                std::iter::once(f.rule.to_string()).chain(f.also.iter().map(|r| r.to_string()))
            })
            .collect()
    };
    let refund = "team.hint.refund-promised".to_owned();
    assert!(fired("We will gladly refund the fee.").contains(&refund));
    assert!(fired("Деньги, конечно, вернутся на карту.").contains(&refund));
    assert!(!fired("We will not refund the fee.").contains(&refund));
    assert!(!fired("Деньги никогда вернутся.").contains(&refund));
    // The negation before the match, or after it, is not inside it.
    assert!(fired("Не волнуйтесь: деньги вернутся.").contains(&refund));

    // Built in: «не вернутся» is neither a promise (no missing-deadline)
    // nor compensation (the admitted fault still wants an offer).
    let rules = |text: &str| -> Vec<String> {
        linter()
            .check(text, &CheckOptions::default())
            .findings
            .iter()
            .map(|f| f.rule.to_string())
            .collect()
    };
    let text = "Это наша ошибка. К сожалению, деньги не вернутся на карту автоматически.";
    assert_eq!(
        rules(text),
        [
            "ru.missing-compensation.fault-without-offer",
            "ru.hint.k-sozhaleniyu"
        ]
    );
    assert!(!rules("Это наша ошибка. Деньги вернутся на карту завтра.")
        .contains(&"ru.missing-compensation.fault-without-offer".to_owned()));
    assert!(!rules("Курьер задержался, сегодня он больше не приедет.")
        .contains(&"ru.missing-deadline.promise-without-date".to_owned()));
}

/// A team pack in `dir/team-rules/p.toml`, loaded through `apolint.toml`.
fn team_linter(pack: &str, config: &str) -> Result<Linter, Vec<apolint_core::FileError>> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("team-rules")).unwrap();
    std::fs::write(
        dir.path().join("apolint.toml"),
        format!("rule_dirs = [\"team-rules\"]\n{config}"),
    )
    .unwrap();
    std::fs::write(dir.path().join("team-rules/p.toml"), pack).unwrap();
    let config = apolint_core::Config::load(&dir.path().join("apolint.toml")).unwrap();
    Linter::with_config(&config)
}

/// The errors of a pack that must be refused.
fn refused_pack(
    loaded: Result<Linter, Vec<apolint_core::FileError>>,
    why: &str,
) -> Vec<apolint_core::FileError> {
    match loaded {
        Ok(_) => panic!("{why}"),
        Err(errors) => errors,
    }
}

const FROB: &str = r#"
[[rule]]
id = "team.cliche.frob"
category = "cliche"
severity = "warning"
message = "m"
explanation = "e"
patterns = ["(frobnicate|frob)"]
fixes = { "frobnicate" = "fix", "frob" = "frob frob" }
fire = ["We will frobnicate it."]
quiet = ["We will fix it."]
"#;

/// A team pack's examples run when it loads: a rule that misses its
/// `fire` example, fires on a `quiet` one, has none, or whose fix keeps
/// its own match is refused, pointed at the example in the pack.
#[test]
fn a_team_packs_examples_and_fixes_are_run_when_it_loads() {
    assert!(team_linter(FROB, "").is_ok());
    let refused = |pack: &str| -> String {
        let errors = refused_pack(team_linter(pack, ""), "the pack is refused");
        errors.iter().map(|e| e.render(false)).collect()
    };
    let e = refused(&FROB.replace("We will frobnicate it.", "We will do it."));
    assert!(e.contains("does not fire on its `fire` example"), "{e}");
    assert!(e.contains("p.toml:10:10"), "pointed at the example: {e}");
    let e = refused(&FROB.replace("We will fix it.", "Frobnicate, please."));
    assert!(e.contains("fires on its `quiet` example"), "{e}");
    let e = refused(&FROB.replace(
        "\"frobnicate\" = \"fix\"",
        "\"frobnicate\" = \"frobnicate, frobnicate\"",
    ));
    assert!(e.contains("leaves the finding"), "{e}");
    let e = refused(&FROB.replace("quiet = [\"We will fix it.\"]\n", ""));
    assert!(
        e.contains("needs at least one `fire` and one `quiet` example"),
        "{e}"
    );
}

/// `--fix` cannot multiply a draft: a pass that leaves as many fixable
/// findings as it found (a fix that brings back its own match) is undone.
#[test]
fn a_fix_that_brings_its_match_back_is_undone() {
    let linter = team_linter(FROB, "").unwrap();
    let fixed = linter.fix("Frob it, please.", &CheckOptions::default());
    assert_eq!(fixed.text, "Frob it, please.");
    assert_eq!(fixed.applied, 0);
    // The fix that works is still applied.
    let fixed = linter.fix("Frobnicate it, please.", &CheckOptions::default());
    assert_eq!(fixed.text, "Fix it, please.");
    assert_eq!(fixed.applied, 1);
}

/// A team's rule cannot reuse a built-in rule's id; `languages` leaves a
/// built-in pack out but its ids stay known to `disable`.
#[test]
fn team_rule_ids_and_languages_against_the_built_in_packs() {
    let pack = FROB.replace("team.cliche.frob", "en.bureaucratese.please-note-kindly");
    let errors = refused_pack(team_linter(&pack, ""), "a duplicate is refused");
    let e: String = errors.iter().map(|e| e.render(false)).collect();
    assert!(e.contains("duplicate rule id"), "{e}");
    let pack = FROB.replace("team.cliche.frob", "ru.cliche.prinosim-izvineniya");
    let e: String = refused_pack(
        team_linter(&pack, "languages = [\"en\"]\n"),
        "a duplicate of a pack left out is refused too",
    )
    .iter()
    .map(|e| e.render(false))
    .collect();
    assert!(e.contains("duplicate rule id"), "{e}");
    let linter = team_linter(
        FROB,
        "languages = [\"en\"]\n[rules]\ndisable = [\"ru.hint.problema\"]\n",
    )
    .expect("a Russian id is known with languages = [\"en\"]");
    assert!(linter.rules().iter().all(|r| !r.id.starts_with("ru.")));
    assert!(linter.rules().iter().any(|r| r.id == "team.cliche.frob"));
}

/// Folding keeps a fix: when the finding that stands for a problem has no
/// fix and a folded one over wider words has, the finding covers those
/// words and carries that fix («на данный момент» → «сейчас» was lost
/// under «данный», in the editor's quick fix and in `--fix`).
#[test]
fn a_folded_rules_fix_is_kept() {
    let text = "На данный момент сервис недоступен.";
    let report = linter().check(text, &CheckOptions::default());
    let f = report
        .findings
        .iter()
        .find(|f| f.category == Category::Bureaucratese)
        .expect("bureaucratese");
    assert_eq!(&text[f.span.start..f.span.end], "На данный момент");
    assert_eq!(f.fix.as_deref(), Some("Сейчас"));
    assert!(!f.also.is_empty(), "the folded rule is named");
    let fixed = linter().fix(text, &CheckOptions::default());
    assert_eq!(fixed.text, "Сейчас сервис недоступен.");
    // A kept rule's own fix is not replaced.
    let own = linter().check("В настоящее время заказ едет.", &CheckOptions::default());
    assert_eq!(own.findings[0].fix.as_deref(), Some("Сейчас"));
}
