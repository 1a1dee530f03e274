//! Output for CI and code review: `--format sarif` validated against the
//! SARIF 2.1.0 schema (tests/data), its rule metadata and regions;
//! `--format github` workflow commands and their escaping; `--fix` and
//! `--diff`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::path::Path;
use std::process::{Command, Output, Stdio};

#[path = "support/temp.rs"]
mod temp;

fn apolint(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_apolint"))
        .args(args)
        .current_dir(cwd)
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .output()
        .expect("run apolint")
}

/// `apolint` with `stdin` on its standard input.
fn apolint_stdin(args: &[&str], stdin: &str, cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_apolint"))
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            // A run refused before it reads stdin (a bad combination of
            // options) closes the pipe: that is its answer, not an error.
            match c.stdin.take().unwrap().write_all(stdin.as_bytes()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e),
                _ => {}
            }
            c.wait_with_output()
        })
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A folder of canned responses: a Russian and an English one with
/// findings (one has a safe fix), one clean, one with a Cyrillic name and
/// a BOM.
fn macros(name: &str) -> temp::TempDir {
    let dir = temp::TempDir::new(&format!("formats-{name}"));
    std::fs::create_dir_all(dir.join("macros/ru")).unwrap();
    std::fs::write(
        dir.join("macros/delay.txt"),
        "Hello Maria,\n\nWe apologize for any inconvenience!!! Your parcel is on its way.\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("macros/ru/задержка.txt"),
        "\u{feff}Приносим свои извинения. Мы же вас предупреждали!!!\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("macros/thanks.md"),
        "Thank you for waiting: the refund reached your card today.\n",
    )
    .unwrap();
    dir
}

fn schema() -> jsonschema::Validator {
    let text = include_str!("data/sarif-schema-2.1.0.json");
    let mut schema: serde_json::Value = serde_json::from_str(text).unwrap();
    // This copy's `language` patterns have a stray `]`
    // (`^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`), which the draft-07
    // meta-schema's `regex` format refuses; the OASIS errata 01 of the
    // schema corrected them to `^[a-zA-Z]{2}(-[a-zA-Z]{2})?$`, used here.
    fn errata(v: &mut serde_json::Value) -> usize {
        match v {
            serde_json::Value::Object(m) => {
                let mut n = 0;
                if let Some(p) = m.get_mut("pattern") {
                    if p == "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$" {
                        *p = "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$".into();
                        n += 1;
                    }
                }
                n + m.values_mut().map(errata).sum::<usize>()
            }
            serde_json::Value::Array(a) => a.iter_mut().map(errata).sum(),
            _ => 0,
        }
    }
    assert_eq!(errata(&mut schema), 2, "the two patterns the errata fixed");
    // Formats are checked too: `uri` and `uri-reference` (our artifact
    // URIs, percent-encoded).
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

#[test]
fn sarif_output_is_valid_sarif_2_1_0_with_rule_metadata_and_regions() {
    let dir = macros("sarif");
    let out = apolint(&["check", "--format", "sarif", "macros"], &dir);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let validator = schema();
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "not valid SARIF 2.1.0: {errors:#?}");
    // The validator does catch a broken log.
    let mut broken = log.clone();
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!validator.is_valid(&broken));
    let mut unencoded = log.clone();
    unencoded["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        ["uri"] = "macros/a b.txt".into();
    assert!(!validator.is_valid(&unencoded), "uri-reference is checked");

    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "apolint");
    let rules = driver["rules"].as_array().unwrap();
    let rule = rules
        .iter()
        .find(|r| r["id"] == "ru.cliche.prinosim-izvineniya")
        .expect("the rule's metadata");
    assert!(rule["shortDescription"]["text"]
        .as_str()
        .unwrap()
        .contains("Приносим"));
    assert!(!rule["fullDescription"]["text"].as_str().unwrap().is_empty());
    assert!(rule["help"]["markdown"]
        .as_str()
        .unwrap()
        .contains("Reported:"));
    assert_eq!(rule["defaultConfiguration"]["level"], "warning");

    let results = run["results"].as_array().unwrap();
    let at = |uri: &str, rule: &str| {
        results
            .iter()
            .find(|r| {
                r["ruleId"] == rule
                    && r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == uri
            })
            .unwrap_or_else(|| panic!("no {rule} in {uri}: {results:#?}"))
    };
    // A Cyrillic file name is percent-encoded; the BOM does not count.
    let ru = at(
        "macros/ru/%D0%B7%D0%B0%D0%B4%D0%B5%D1%80%D0%B6%D0%BA%D0%B0.txt",
        "ru.cliche.prinosim-izvineniya",
    );
    let region = &ru["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], 1);
    assert_eq!(region["startColumn"], 1);
    assert_eq!(region["endLine"], 1);
    // "Приносим свои извинения" is 23 characters: columns 1..24, the end
    // exclusive as SARIF's endColumn is.
    assert_eq!(region["endColumn"], 24);
    assert_eq!(region["snippet"]["text"], "Приносим свои извинения");
    assert_eq!(ru["level"], "warning");
    let index = ru["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[index]["id"], "ru.cliche.prinosim-izvineniya");
    // A safe fix travels as a SARIF fix.
    let shout = at("macros/delay.txt", "any.shouting.exclamation-run");
    let fix = &shout["fixes"][0]["artifactChanges"][0]["replacements"][0];
    assert_eq!(fix["insertedContent"]["text"], "!");
    assert_eq!(fix["deletedRegion"]["startLine"], 3);
    // The clean draft has no result.
    assert!(!stdout(&out).contains("thanks.md"));
}

#[test]
fn sarif_of_no_finding_and_of_stdin_are_valid_too() {
    let dir = macros("sarif-empty");
    let validator = schema();
    for args in [
        &["check", "--format", "sarif", "macros/thanks.md"][..],
        &["check", "--format", "sarif", "--no-config", "macros"][..],
    ] {
        let out = apolint(args, &dir);
        let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(validator.is_valid(&log), "{args:?}");
    }
}

#[test]
fn github_annotations_are_workflow_commands_with_escaping() {
    let dir = macros("github");
    std::fs::write(
        dir.join("macros/odd, name: 100%.txt"),
        "We apologize for any inconvenience.\n",
    )
    .unwrap();
    let out = apolint(&["check", "--format", "github", "macros"], &dir);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.iter().all(|l| l.starts_with("::")), "{text}");
    let ru = lines
        .iter()
        .find(|l| l.contains("ru.cliche.prinosim-izvineniya"))
        .unwrap();
    assert!(
        ru.starts_with(
            "::warning file=macros/ru/задержка.txt,line=1,col=1,endLine=1,endColumn=24,title=ru.cliche.prinosim-izvineniya [cliche]::"
        ),
        "{ru}"
    );
    // Property values escape % , : and the message escapes %.
    let odd = lines.iter().find(|l| l.contains("odd")).unwrap();
    assert!(
        odd.contains("file=macros/odd%2C name%3A 100%25.txt,line=1,"),
        "{odd}"
    );
    // `info` is GitHub's `notice`.
    let hint = apolint_stdin(
        &["check", "--format", "github", "-"],
        "Проблема решена.",
        &dir,
    );
    assert!(
        stdout(&hint).starts_with("::notice file=-,line=1,col=1,"),
        "{}",
        stdout(&hint)
    );
}

#[test]
fn fix_applies_the_safe_fixes_in_place_and_the_exit_status_is_what_remains() {
    let dir = macros("fix");
    let delay = dir.join("macros/delay.txt");
    let before = std::fs::read_to_string(&delay).unwrap();
    // --diff shows the change and writes nothing.
    let out = apolint(&["check", "--diff", "macros"], &dir);
    let diff = stdout(&out);
    assert!(
        diff.contains("--- macros/delay.txt\n+++ macros/delay.txt\n"),
        "{diff}"
    );
    assert!(
        diff.contains("-We apologize for any inconvenience!!! Your parcel"),
        "{diff}"
    );
    assert!(
        diff.contains("+We apologize for any inconvenience! Your parcel"),
        "{diff}"
    );
    assert!(!diff.contains("thanks.md"), "{diff}");
    assert_eq!(std::fs::read_to_string(&delay).unwrap(), before);
    // The cliché has no safe fix: it would remain, so exit 1.
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("would fix 2 findings in 2 drafts"),
        "{}",
        stderr(&out)
    );
    // --fix writes it.
    let out = apolint(&["check", "--fix", "--format", "short", "macros"], &dir);
    assert_eq!(out.status.code(), Some(1));
    let after = std::fs::read_to_string(&delay).unwrap();
    assert_eq!(after, before.replace("!!!", "!"));
    let ru = std::fs::read_to_string(dir.join("macros/ru/задержка.txt")).unwrap();
    assert!(ru.starts_with('\u{feff}'), "the BOM stays");
    assert!(ru.ends_with("предупреждали!\n"), "{ru}");
    // What remains is reported, and nothing fixable is left.
    let remaining = stdout(&out);
    assert!(
        remaining.contains("en.cliche.apologize-for-inconvenience"),
        "{remaining}"
    );
    assert!(!remaining.contains("exclamation-run"), "{remaining}");
    // No temporary file is left beside the drafts.
    let names: Vec<String> = std::fs::read_dir(dir.join("macros"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with(".apolint")),
        "{names:?}"
    );
    // Fixing again changes nothing.
    let again = apolint(&["check", "--diff", "macros"], &dir);
    assert_eq!(stdout(&again), "");
    // A draft whose only findings are fixable exits 0 once fixed.
    std::fs::write(dir.join("macros/ok.txt"), "Thank you for waiting!!!\n").unwrap();
    let out = apolint(&["check", "--fix", "macros/ok.txt"], &dir);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(
        std::fs::read_to_string(dir.join("macros/ok.txt")).unwrap(),
        "Thank you for waiting!\n"
    );
    // A file named twice is fixed once: the second time it is read as the
    // first fix left it, not as it was when the run began.
    std::fs::write(dir.join("macros/twice.txt"), "Sorry!!! We'll fix it!!!\n").unwrap();
    let out = apolint(
        &["check", "--fix", "macros/twice.txt", "macros/twice.txt"],
        &dir,
    );
    assert!(
        stderr(&out).contains("fixed 2 findings in 1 draft"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("macros/twice.txt")).unwrap(),
        "Sorry! We'll fix it!\n"
    );
}

/// A fix replaces its span whole: across markup it would delete a tag or a
/// link's bracket, so there the finding is reported without a fix and the
/// file is left as it is; the same words as plain text are fixed.
#[test]
fn fix_leaves_a_finding_that_spans_markup_alone() {
    let dir = temp::TempDir::new("formats-fix-markup");
    let drafts = [
        (
            "link.md",
            "Спасибо, что написали. В [настоящее время](https://shop.example/status) заказ у курьера.\n",
        ),
        ("tag.html", "<p><b>В настоящее</b> время заказ у курьера.</p>\n"),
        ("link.html", "<p>В <a href=\"https://shop.example\">настоящее время</a> заказ у курьера.</p>\n"),
    ];
    for (name, text) in drafts {
        std::fs::write(dir.join(name), text).unwrap();
    }
    std::fs::write(
        dir.join("plain.html"),
        "<p>В настоящее время заказ у курьера.</p>\n",
    )
    .unwrap();
    let out = apolint(
        &[
            "check",
            "--format",
            "json",
            "link.md",
            "tag.html",
            "link.html",
        ],
        &dir,
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    for file in report["files"].as_array().unwrap() {
        let found = file["findings"].as_array().unwrap();
        let finding = found
            .iter()
            .find(|f| f["rule"] == "ru.bureaucratese.v-nastoyashchee-vremya")
            .unwrap_or_else(|| panic!("still reported: {file}"));
        assert!(finding.get("fix").is_none(), "{finding}");
    }
    let out = apolint(
        &[
            "check",
            "--fix",
            "link.md",
            "tag.html",
            "link.html",
            "plain.html",
        ],
        &dir,
    );
    assert!(
        stderr(&out).contains("fixed 1 finding in 1 draft"),
        "{}",
        stderr(&out)
    );
    for (name, text) in drafts {
        assert_eq!(
            std::fs::read_to_string(dir.join(name)).unwrap(),
            text,
            "{name}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("plain.html")).unwrap(),
        "<p>Сейчас заказ у курьера.</p>\n"
    );
}

#[test]
fn fix_keeps_permissions_and_refuses_what_it_cannot_write_back() {
    use std::os::unix::fs::PermissionsExt;
    let dir = macros("fix-perm");
    let f = dir.join("macros/delay.txt");
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o640)).unwrap();
    let out = apolint(&["check", "--fix", "macros/delay.txt"], &dir);
    assert_eq!(out.status.code(), Some(1));
    let mode = std::fs::metadata(&f).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    // UTF-16 is checked but not rewritten.
    let mut utf16 = vec![0xFF, 0xFE];
    for u in "Thank you for waiting!!!".encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    std::fs::write(dir.join("macros/u16.txt"), &utf16).unwrap();
    let out = apolint(&["check", "--fix", "macros/u16.txt"], &dir);
    assert!(
        stderr(&out).contains("not fixed: a UTF-16 file"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(dir.join("macros/u16.txt")).unwrap(), utf16);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn fix_on_stdin_prints_the_fixed_draft() {
    let dir = macros("fix-stdin");
    let fix_stdin = |args: &[&str], draft: &str| apolint_stdin(args, draft, &dir);
    let out = fix_stdin(
        &["check", "--fix"],
        "Спасибо за ожидание!!! Приносим свои извинения.",
    );
    assert_eq!(
        stdout(&out),
        "Спасибо за ожидание! Приносим свои извинения."
    );
    assert!(
        stderr(&out).contains("-:1:22: warning[ru.cliche.prinosim-izvineniya]"),
        "{}",
        stderr(&out)
    );
    assert_eq!(out.status.code(), Some(1));
    // What remains past the cap is said, as in `--format short`.
    let many = "Obviously, as I already mentioned, the parcel is late.\n".repeat(600);
    let out = fix_stdin(&["check", "--fix"], &many);
    assert_eq!(stdout(&out), many);
    assert!(
        stderr(&out).contains("\n-: 200 more findings not shown (at most 1000 per draft"),
        "{}",
        stderr(&out)
    );
    // What remains is listed as `short`: another format is refused, not
    // ignored, and nothing is printed.
    for format in ["json", "sarif", "github", "human"] {
        let out = fix_stdin(&["check", "--fix", "--format", format], "Sorry!!!\n");
        assert_eq!(out.status.code(), Some(2), "{format}");
        assert!(out.stdout.is_empty(), "{format}");
        assert!(
            stderr(&out).contains(&format!("--format {format} cannot apply")),
            "{}",
            stderr(&out)
        );
    }
    let out = fix_stdin(&["check", "--fix", "--format", "short"], "Sorry!!!\n");
    assert_eq!(stdout(&out), "Sorry!\n");
    // `--fix` writes, `--diff` only shows: both at once is refused.
    let out = fix_stdin(&["check", "--fix", "--diff", "-"], "Спасибо!!!");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot be used with"),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty());
}

/// Past 1,000 findings a draft's answer says how many were left out in
/// every format, not only in JSON and the human output: `short` ends with
/// a `path: N more findings not shown` line (no line and column, so a
/// parser of finding lines passes over it), `github` with a warning
/// annotation on the file, and SARIF with a notification of the run's
/// invocation, still valid SARIF 2.1.0. A draft under the cap keeps its
/// output as it was.
#[test]
fn every_format_says_when_findings_were_left_out() {
    let dir = temp::TempDir::new("formats-omitted");
    // 601 findings of passive aggression and 600 of shouting.
    std::fs::write(
        dir.join("many.txt"),
        "Obviously, the parcel is late!!!\n".repeat(600),
    )
    .unwrap();
    let json = apolint(&["check", "--format", "json", "many.txt"], &dir);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let omitted = doc["files"][0]["findings_omitted"].as_u64().unwrap();
    assert!(omitted > 0, "{}", stdout(&json));
    let note = format!("{omitted} more findings not shown (at most 1000 per draft");

    let short = stdout(&apolint(&["check", "--format", "short", "many.txt"], &dir));
    let lines: Vec<&str> = short.lines().collect();
    assert_eq!(lines.len(), 1001, "{short}");
    assert!(lines[..1000].iter().all(|l| l.starts_with("many.txt:")));
    assert!(
        lines[1000].starts_with(&format!("many.txt: {note}")),
        "{}",
        lines[1000]
    );

    let github = stdout(&apolint(&["check", "--format", "github", "many.txt"], &dir));
    let last = github.lines().last().unwrap();
    assert!(
        last.starts_with(&format!("::warning file=many.txt,title=apolint::{note}")),
        "{last}"
    );

    let sarif = apolint(&["check", "--format", "sarif", "many.txt"], &dir);
    let log: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    assert!(schema().is_valid(&log));
    let run = &log["runs"][0];
    assert_eq!(run["results"].as_array().unwrap().len(), 1000);
    let told = &run["invocations"][0]["toolExecutionNotifications"][0];
    assert!(
        told["message"]["text"].as_str().unwrap().starts_with(&note),
        "{told}"
    );
    assert_eq!(
        told["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "many.txt"
    );

    // Under the cap nothing is added.
    std::fs::write(dir.join("few.txt"), "Obviously, the parcel is late!!!\n").unwrap();
    let few = stdout(&apolint(&["check", "--format", "short", "few.txt"], &dir));
    assert!(few
        .lines()
        .all(|l| l.starts_with("few.txt:") && !l.contains("not shown")));
    let log: serde_json::Value =
        serde_json::from_slice(&apolint(&["check", "--format", "sarif", "few.txt"], &dir).stdout)
            .unwrap();
    assert!(log["runs"][0].get("invocations").is_none());
}

/// A suggestion is introduced in its own language, its rule pack's: in a
/// mostly Russian draft an English rule's English example reads "e.g.",
/// and a Russian rule's «Например:».
#[test]
fn an_example_is_introduced_in_the_language_it_is_written_in() {
    let dir = temp::TempDir::new("formats-example-label");
    std::fs::write(
        dir.join("mixed.txt"),
        "Здравствуйте, Анна! Приносим свои извинения. Посылка задержалась на складе, \
         она будет у вас завтра до 18:00. We apologize for any inconvenience.\n",
    )
    .unwrap();
    let text = stdout(&apolint(
        &["check", "--format", "github", "mixed.txt"],
        &dir,
    ));
    let line = |rule: &str| {
        text.lines()
            .find(|l| l.contains(rule))
            .unwrap_or_else(|| panic!("{rule} in {text}"))
            .to_owned()
    };
    assert!(
        line("en.cliche.apologize-for-inconvenience").contains(" e.g. "),
        "{text}"
    );
    assert!(
        line("ru.cliche.prinosim-izvineniya").contains(" Например: "),
        "{text}"
    );
}
