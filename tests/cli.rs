//! The `apolint` binary as users and scripts run it: exit codes, JSON
//! output, human output, errors in config and rule files, hostile input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn apolint(args: &[&str], stdin: &[u8], cwd: &Path) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_apolint"))
        .args(args)
        .current_dir(cwd)
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn apolint");
    // Written from another thread: a streaming command answers while it
    // reads, and its output must be drained meanwhile. The process may exit
    // before reading stdin (a config error): a broken pipe is expected.
    let pipe = child.stdin.take();
    let input = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        if let Some(mut pipe) = pipe {
            let _ = pipe.write_all(&input);
        }
    });
    let out = child.wait_with_output().expect("wait");
    let _ = writer.join();
    out
}

#[path = "support/temp.rs"]
mod temp;

/// A fresh empty directory (no apolint.toml above it), removed when dropped.
fn tempdir(name: &str) -> temp::TempDir {
    temp::TempDir::new(&format!("cli-{name}"))
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const SHOWN: &str = "Приносим свои извинения. Мы же вас предупреждали!!!";

#[test]
fn the_readme_example_reports_cliche_passive_aggression_and_shouting_with_spans() {
    let dir = tempdir("readme");
    let out = apolint(&["check", "--format", "json", "-"], SHOWN.as_bytes(), &dir);
    assert_eq!(out.status.code(), Some(1), "stderr: {}", stderr(&out));
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");
    assert_eq!(doc["version"], 1);
    let file = &doc["files"][0];
    assert_eq!(file["path"], "-");
    assert_eq!(file["language"], "ru");
    let findings = file["findings"].as_array().expect("findings array");
    let find = |cat: &str| {
        findings
            .iter()
            .find(|f| f["category"] == cat)
            .unwrap_or_else(|| panic!("no {cat} finding in {findings:#?}"))
    };
    let text_of = |f: &serde_json::Value| {
        let s = f["span"]["start"].as_u64().expect("start") as usize;
        let e = f["span"]["end"].as_u64().expect("end") as usize;
        SHOWN[s..e].to_owned()
    };
    let cliche = find("cliche");
    assert_eq!(text_of(cliche), "Приносим свои извинения");
    assert_eq!(cliche["span"]["line"], 1);
    assert_eq!(cliche["span"]["column"], 1);
    let pa = find("passive-aggression");
    assert!(text_of(pa).contains("же"), "{}", text_of(pa));
    let col = pa["span"]["column"].as_u64().expect("column") as usize;
    let start = pa["span"]["start"].as_u64().expect("start") as usize;
    assert_eq!(
        col,
        SHOWN[..start].chars().count() + 1,
        "column counts characters, not bytes"
    );
    assert_eq!(text_of(find("shouting")), "!!!");
    for f in findings {
        for key in [
            "rule",
            "category",
            "severity",
            "message",
            "span",
            "suggestions",
        ] {
            assert!(f.get(key).is_some(), "finding lacks {key}: {f}");
        }
    }
}

#[test]
fn human_output_shows_the_line_the_underline_and_the_rule() {
    let dir = tempdir("human");
    let out = apolint(&["check", "--color", "never", "-"], SHOWN.as_bytes(), &dir);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("Приносим свои извинения. Мы же вас предупреждали!!!"),
        "{text}"
    );
    assert!(text.contains("cliche"), "{text}");
    assert!(text.contains("shouting"), "{text}");
    assert!(text.contains("─"), "ariadne underline expected: {text}");
    assert!(text.contains("findings in 1 draft"), "{text}");
}

#[test]
fn a_clean_draft_exits_zero() {
    let dir = tempdir("clean");
    let draft = "Мария, здравствуйте. Мы отправили вам не тот размер — это наша ошибка. \
                 Курьер привезёт нужный завтра до 15:00, доставка за наш счёт.";
    let out = apolint(&["check", "--format", "json", "-"], draft.as_bytes(), &dir);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let findings = doc["files"][0]["findings"].as_array().expect("array");
    assert!(
        findings.iter().all(|f| f["severity"] == "info"),
        "{findings:#?}"
    );
}

#[test]
fn invalid_utf8_is_a_pointed_error_with_exit_2_and_empty_stdout() {
    let dir = tempdir("utf8");
    let path = dir.join("bad.txt");
    std::fs::write(&path, b"\xd0\x9f\xd1\x80\xd0\xb8 \xff\xfe oops").expect("write");
    let out = apolint(&["check", "--format", "json", "bad.txt"], b"", &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        out.stdout.is_empty(),
        "nothing half-written: {}",
        stdout(&out)
    );
    let err = stderr(&out);
    assert!(
        err.contains("bad.txt") && err.contains("invalid UTF-8 at byte 7"),
        "{err}"
    );
}

#[test]
fn utf16_with_bom_is_decoded() {
    let dir = tempdir("utf16");
    let mut bytes = vec![0xFF, 0xFE];
    for u in "Приносим свои извинения.".encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    std::fs::write(dir.join("d.txt"), bytes).expect("write");
    let out = apolint(&["check", "--format", "json", "d.txt"], b"", &dir);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("\"cliche\""));
}

#[test]
fn empty_input_is_fine() {
    let dir = tempdir("empty");
    let out = apolint(&["check", "--format", "json"], b"", &dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("\"findings\": []"));
}

/// Writes `config` as `dir`'s apolint.toml and checks a draft there: the
/// run must be refused (exit 2, nothing on stdout); its stderr.
fn refused_with_config(dir: &Path, config: &str) -> String {
    std::fs::write(dir.join("apolint.toml"), config).expect("write");
    let out = apolint(&["check", "--format", "json", "-"], SHOWN.as_bytes(), dir);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    stderr(&out)
}

#[test]
fn malformed_config_is_pointed_at_with_exit_2() {
    let dir = tempdir("badconfig");
    let err = refused_with_config(
        &dir,
        "fail_on = \"warning\"\n[categories]\ndisable = [\"clichee\"]\n",
    );
    assert!(err.contains("apolint.toml:3:12"), "{err}");
    assert!(err.contains("did you mean `cliche`"), "{err}");

    std::fs::write(dir.join("apolint.toml"), "fail_on = \n").expect("write");
    let out = apolint(&["check", "-"], SHOWN.as_bytes(), &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("apolint.toml:1:"), "{}", stderr(&out));
}

/// A fresh folder `a/b` under an apolint.toml that turns clichés and
/// shouting off and adds a phrase rule (`custom.phrase.1`): the folder
/// and its path (the folder is removed when dropped).
fn folder_under_team_config(name: &str) -> (temp::TempDir, std::path::PathBuf) {
    let dir = tempdir(name);
    let sub = dir.join("a/b");
    std::fs::create_dir_all(&sub).expect("mkdir");
    std::fs::write(
        dir.join("apolint.toml"),
        "[categories]\ndisable = [\"cliche\", \"shouting\"]\n\n[[phrase]]\npattern = \"уважаемый клиент\"\ncategory = \"impersonal\"\nmessage = \"Обращайтесь по имени.\"\n",
    )
    .expect("write");
    (dir, sub)
}

#[test]
fn config_is_discovered_upward_and_changes_results() {
    let (_dir, sub) = folder_under_team_config("config");
    let out = apolint(
        &["check", "--format", "json", "-"],
        "Уважаемый клиент, приносим извинения!!!".as_bytes(),
        &sub,
    );
    let text = stdout(&out);
    assert!(
        !text.contains("\"cliche\"") || text.contains("custom.phrase.1"),
        "{text}"
    );
    assert!(!text.contains("\"shouting\""), "{text}");
    assert!(text.contains("custom.phrase.1"), "{text}");
    let out = apolint(
        &["check", "--no-config", "--format", "json", "-"],
        "Приносим извинения.".as_bytes(),
        &sub,
    );
    assert!(stdout(&out).contains("\"cliche\""));
}

/// A single large draft is read while its linter is built on another
/// thread: the config found upward from its folder is the one used, and
/// named once.
#[test]
fn a_large_single_draft_uses_the_config_found_upward() {
    let (_dir, sub) = folder_under_team_config("config-large");
    let paragraph = "Уважаемый клиент, приносим извинения за задержку.\n\n";
    let draft = paragraph.repeat((300 << 10) / paragraph.len() + 1);
    assert!(
        draft.len() >= 300 << 10,
        "past the size read on two threads"
    );
    std::fs::write(sub.join("big.txt"), &draft).expect("write");
    let out = apolint(&["check", "-v", "--format", "json", "big.txt"], b"", &sub);
    let text = stdout(&out);
    assert!(text.contains("custom.phrase.1"), "{}", stderr(&out));
    assert!(!text.contains("\"cliche\""), "{}", stderr(&out));
    let said = stderr(&out);
    let named: Vec<&str> = said.lines().filter(|l| l.contains("big.txt")).collect();
    assert_eq!(named.len(), 1, "{named:?}");
    assert!(named[0].contains("apolint.toml"), "{named:?}");
    let out = apolint(
        &["check", "--no-config", "--format", "json", "big.txt"],
        b"",
        &sub,
    );
    assert!(stdout(&out).contains("\"cliche\""));
    assert!(!stdout(&out).contains("custom.phrase.1"));
}

/// The hook's verdict must reach the desk: a request saved with a
/// byte-order mark is read, and a verdict nobody reads (the desk closed
/// the pipe) is exit 2, never the verdict's own code (0 would let a
/// blocked reply through).
#[test]
fn the_hook_reads_past_a_bom_and_fails_when_its_verdict_is_not_read() {
    let dir = tempdir("hook-bom-pipe");
    let request = "\u{feff}{\"text\": \"Hi {{name}}, sorry!\"}";
    let out = apolint(&["hook", "--no-config"], request.as_bytes(), &dir);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("\"verdict\":\"block\""),
        "{}",
        stdout(&out)
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_apolint"))
        .args(["hook", "--no-config"])
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The reading end closed before the hook has its request.
    drop(child.stdout.take());
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(br#"{"text": "Thanks, the refund is on your card."}"#)
        .unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot write output"),
        "{}",
        stderr(&out)
    );
}

/// `apolint ARGS < file`: standard input is the file itself, not a pipe.
fn apolint_reading_file(args: &[&str], file: &Path, cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_apolint"))
        .args(args)
        .current_dir(cwd)
        .stdin(std::fs::File::open(file).expect("open the draft"))
        .output()
        .expect("run apolint")
}

/// A large draft redirected to stdin from a file is read while its linter
/// is built, as a named one is: the config is the one found from the
/// working folder, named once, and the report is the piped draft's; a
/// broken config still refuses the run with nothing on stdout.
#[test]
fn a_large_draft_redirected_to_stdin_uses_the_config_found_upward() {
    let (dir, sub) = folder_under_team_config("config-large-stdin");
    let paragraph = "Уважаемый клиент, приносим извинения за задержку.\n\n";
    let draft = paragraph.repeat((300 << 10) / paragraph.len() + 1);
    std::fs::write(dir.join("big.txt"), &draft).expect("write");
    let args = ["check", "-v", "--format", "json", "-"];
    let redirected = apolint_reading_file(&args, &dir.join("big.txt"), &sub);
    let piped = apolint(&args, draft.as_bytes(), &sub);
    assert_eq!(redirected.status.code(), Some(1), "{}", stderr(&redirected));
    let text = stdout(&redirected);
    assert!(text.contains("custom.phrase.1"), "{}", stderr(&redirected));
    assert!(!text.contains("\"cliche\""), "{}", stderr(&redirected));
    assert_eq!(text, stdout(&piped));
    assert_eq!(stderr(&redirected), stderr(&piped));
    let said = stderr(&redirected);
    assert_eq!(
        said.lines().filter(|l| l.contains("apolint.toml")).count(),
        1,
        "{said}"
    );

    std::fs::write(dir.join("apolint.toml"), "fail_on = \n").expect("write");
    let refused = apolint_reading_file(&args, &dir.join("big.txt"), &sub);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(refused.stdout.is_empty());
    assert!(
        stderr(&refused).contains("apolint.toml:1:"),
        "{}",
        stderr(&refused)
    );
}

#[test]
fn malformed_rule_file_in_rule_dirs_is_pointed_at() {
    let dir = tempdir("badrules");
    std::fs::create_dir_all(dir.join("team")).expect("mkdir");
    std::fs::write(dir.join("apolint.toml"), "rule_dirs = [\"team\"]\n").expect("write");
    std::fs::write(
        dir.join("team/x.toml"),
        "[[rule]]\nid = \"ru.cliche.team\"\ncategory = \"cliche\"\nseverity = \"warning\"\nmessage = \"m\"\nexplanation = \"e\"\npatterns = [\"мы (рады\"]\n",
    )
    .expect("write");
    let out = apolint(&["check", "-"], b"text", &dir);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("x.toml:7:17"), "{err}");
    assert!(err.contains("unclosed group"), "{err}");
}

/// A `rule_dirs` entry naming no folder is pointed at in `apolint.toml`
/// (line, column, what to do), not reported as an unreadable rule file at
/// "1:1" of the folder; `eval` without a set outside the repository says
/// that its default `corpus` is not there and what to give instead.
#[test]
fn a_missing_rule_folder_or_labelled_set_is_said_where_it_is_named() {
    let dir = tempdir("missing-rule-dir");
    let err = refused_with_config(
        &dir,
        "fail_on = \"warning\"\nrule_dirs = [\"team-rules\"]\n",
    );
    assert!(
        err.contains("apolint.toml:2:14: rule folder `team-rules` does not exist"),
        "{err}"
    );
    assert!(err.contains("create it, or remove it"), "{err}");
    // One rule file named instead of a folder loads, as it always has.
    std::fs::write(dir.join("apolint.toml"), "rule_dirs = [\"team.toml\"]\n").expect("write");
    std::fs::write(
        dir.join("team.toml"),
        "[[rule]]\nid = \"team.x\"\ncategory = \"cliche\"\nseverity = \"warning\"\n\
         message = \"m\"\nexplanation = \"e\"\npatterns = [\"zzqx\"]\n\
         fire = [\"zzqx\"]\nquiet = [\"zz\"]\n",
    )
    .expect("write");
    let out = apolint(&["check", "--format", "short", "-"], b"zzqx", &dir);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("team.x"), "{}", stdout(&out));

    let out = apolint(&["eval", "--no-config"], b"", &dir);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("corpus: no such labelled set (`corpus`, the default"),
        "{err}"
    );
}

#[test]
fn directories_are_recursed_and_binary_files_skipped() {
    let dir = tempdir("dir");
    std::fs::create_dir_all(dir.join("drafts/sub")).expect("mkdir");
    std::fs::write(dir.join("drafts/a.txt"), "Приносим извинения.").expect("write");
    std::fs::write(
        dir.join("drafts/sub/b.md"),
        "Thanks, the refund is on your card.",
    )
    .expect("write");
    std::fs::write(dir.join("drafts/sub/c.txt"), b"\x00\x01binary").expect("write");
    std::fs::write(dir.join("drafts/ignored.png"), b"\x89PNG").expect("write");
    let out = apolint(&["check", "--format", "json", "drafts"], b"", &dir);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let paths: Vec<&str> = doc["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["path"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(paths.len(), 2, "{paths:?}");
    assert!(
        paths[0].ends_with("a.txt") && paths[1].ends_with("b.md"),
        "{paths:?}"
    );
    assert!(stderr(&out).contains("skipping") && stderr(&out).contains("binary"));
    // Files left out for their extension are counted in a note, with one
    // named (hidden files are not); an empty folder says it has no drafts.
    std::fs::write(dir.join("drafts/sub/reply"), "We apologize.").expect("write");
    std::fs::write(dir.join("drafts/.notes"), "hidden").expect("write");
    std::fs::write(dir.join("drafts/apolint.toml"), "").expect("write");
    let err = stderr(&apolint(&["check", "drafts"], b"", &dir));
    assert!(
        err.contains("drafts: skipped 2 files without a draft's extension (.txt, "),
        "{err}"
    );
    assert!(err.contains("such as drafts/ignored.png"), "{err}");
    std::fs::create_dir_all(dir.join("empty")).expect("mkdir");
    let out = apolint(&["check", "empty"], b"", &dir);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("empty: no drafts in this folder"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn missing_file_and_bad_option_exit_2() {
    let dir = tempdir("missing");
    let out = apolint(&["check", "nope.txt"], b"", &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("nope.txt"));
    let out = apolint(&["check", "--format", "yaml"], b"", &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}

#[test]
fn fail_on_controls_the_exit_code() {
    let dir = tempdir("failon");
    let out = apolint(
        &["check", "--fail-on", "error", "-"],
        "Приносим извинения.".as_bytes(),
        &dir,
    );
    assert_eq!(out.status.code(), Some(0));
    let out = apolint(
        &["check", "--fail-on", "error", "-"],
        "Здравствуйте, {{name}}!".as_bytes(),
        &dir,
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn customer_name_enables_name_mismatch() {
    let dir = tempdir("name");
    let draft = "Здравствуйте, Юлия! Заказ уже в пути.";
    let out = apolint(
        &[
            "check",
            "--format",
            "json",
            "--customer-name",
            "Мария Иванова",
            "-",
        ],
        draft.as_bytes(),
        &dir,
    );
    assert!(
        stdout(&out).contains("\"name-mismatch\""),
        "{}",
        stdout(&out)
    );
    let out = apolint(
        &["check", "--format", "json", "--customer-name", "Юлия", "-"],
        draft.as_bytes(),
        &dir,
    );
    assert!(!stdout(&out).contains("\"name-mismatch\""));
    let out = apolint(&["check", "--format", "json", "-"], draft.as_bytes(), &dir);
    assert!(!stdout(&out).contains("\"name-mismatch\""));
}

#[test]
fn version_help_rules_and_explain() {
    let dir = tempdir("meta");
    let out = apolint(&["--version"], b"", &dir);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).starts_with("apolint "));
    // Each command answers --version too, with the same version.
    let version = stdout(&out)
        .trim()
        .trim_start_matches("apolint ")
        .to_owned();
    for command in ["check", "audit", "serve", "hook", "lsp"] {
        let out = apolint(&[command, "--version"], b"", &dir);
        assert_eq!(out.status.code(), Some(0), "{command}: {}", stderr(&out));
        assert_eq!(stdout(&out).trim(), format!("apolint-{command} {version}"));
    }
    let out = apolint(&["check", "--help"], b"", &dir);
    assert!(stdout(&out).contains("--customer-name"));
    let out = apolint(&["rules", "--format", "json"], b"", &dir);
    let rules: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let first = rules[0]["id"].as_str().expect("a rule id").to_owned();
    let out = apolint(&["explain", &first], b"", &dir);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("Reported:"), "{}", stdout(&out));
    let out = apolint(&["explain", &format!("{first}x")], b"", &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("did you mean"), "{}", stderr(&out));
}

/// `check --format jsonl` on stdin is a long-lived filter: each request line
/// is answered (and flushed) before the next is sent, in order, and a bad
/// line gets an error object without ending the stream.
#[test]
fn jsonl_stream_answers_each_request_as_it_arrives() {
    use std::io::{BufRead, BufReader};
    let dir = tempdir("jsonl");
    let mut child = Command::new(env!("CARGO_BIN_EXE_apolint"))
        .args(["check", "--format", "jsonl"])
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn apolint");
    let mut to = child.stdin.take().expect("stdin");
    let mut from = BufReader::new(child.stdout.take().expect("stdout"));
    let mut ask_bytes = |line: &[u8]| -> serde_json::Value {
        to.write_all(line).expect("write request");
        to.write_all(b"\n").expect("write request");
        to.flush().expect("flush");
        let mut answer = String::new();
        from.read_line(&mut answer).expect("read answer");
        serde_json::from_str(&answer).unwrap_or_else(|e| panic!("{e}: {answer:?}"))
    };
    let mut ask = |line: &str| ask_bytes(line.as_bytes());
    let a = ask(r#"{"id": 1, "text": "Приносим свои извинения. Мы же вас предупреждали!!!"}"#);
    assert_eq!(a["id"], 1);
    assert_eq!(a["language"], "ru");
    let rules: Vec<&str> = a["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["rule"].as_str().expect("rule"))
        .collect();
    assert!(
        rules.contains(&"ru.cliche.prinosim-izvineniya"),
        "{rules:?}"
    );
    assert_eq!(a["findings"][0]["span"]["start"], 0);
    assert_eq!(a["findings"][0]["span"]["end"], 44);
    let b = ask(
        r#"{"text": "Hi Bob, thanks for waiting.", "customer_name": "Maria", "ticket_id": "T-9"}"#,
    );
    assert_eq!(b["ticket_id"], "T-9");
    assert_eq!(b["line"], 2);
    assert_eq!(b["findings"][0]["category"], "name-mismatch");
    let c = ask(r#"{"txt": "typo"}"#);
    assert_eq!(c["line"], 3);
    assert!(
        c["error"].as_str().expect("error").contains("`text`"),
        "{c}"
    );
    let d = ask(r#"{"text": "Thanks, the refund was sent today."}"#);
    // A line that is not UTF-8 gets its own error; the stream goes on.
    let e = ask_bytes(b"{\"text\": \"\xff\"}");
    assert_eq!(e["line"], 5);
    assert!(
        e["error"]
            .as_str()
            .expect("error")
            .contains("invalid UTF-8"),
        "{e}"
    );
    assert_eq!(d["findings"].as_array().map(Vec::len), Some(0));
    drop(to);
    let status = child.wait().expect("wait");
    assert_eq!(
        status.code(),
        Some(2),
        "a bad request line makes the run exit 2"
    );
}

#[test]
fn jsonl_on_files_is_one_object_per_file_in_order() {
    let dir = tempdir("jsonl-files");
    std::fs::write(dir.join("b.txt"), "Приносим свои извинения.").unwrap();
    std::fs::write(dir.join("a.txt"), "Спасибо, деньги вернули сегодня.").unwrap();
    let out = apolint(&["check", "--format", "jsonl", "b.txt", "a.txt"], b"", &dir);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["path"], "b.txt");
    assert_eq!(lines[0]["findings"][0]["category"], "cliche");
    assert_eq!(lines[1]["path"], "a.txt");
    assert_eq!(lines[1]["findings"].as_array().map(Vec::len), Some(0));
}

/// `apolint hook`: one request in, the verdict out, exit 0 send / 1 warn /
/// 3 block / 2 error; the policy comes from apolint.toml.
#[test]
fn hook_answers_with_a_verdict_and_its_exit_code() {
    let dir = tempdir("hook");
    let run = |req: &str| {
        let out = apolint(&["hook"], req.as_bytes(), &dir);
        let v: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)));
        (out.status.code(), v)
    };
    let (code, v) = run(r#"{"text": "Спасибо, деньги вернули сегодня в 12:00."}"#);
    assert_eq!(
        (code, v["verdict"].as_str()),
        (Some(0), Some("send")),
        "{v}"
    );
    let (code, v) = run(r#"{"text": "Приносим свои извинения.", "ticket_id": "T-1"}"#);
    assert_eq!(
        (code, v["verdict"].as_str()),
        (Some(1), Some("warn")),
        "{v}"
    );
    assert_eq!(v["ticket_id"], "T-1");
    assert_eq!(v["findings"][0]["rule"], "ru.cliche.prinosim-izvineniya");
    assert!(v["elapsed_us"].as_u64().is_some());
    let (code, v) =
        run(r#"{"text": "Hi Bob, your refund is on its way.", "customer_name": "Maria"}"#);
    assert_eq!(
        (code, v["verdict"].as_str()),
        (Some(3), Some("block")),
        "{v}"
    );
    let (code, v) = run(r#"{"text": "Hi {{first_name}}, done."}"#);
    assert_eq!(
        (code, v["verdict"].as_str()),
        (Some(3), Some("block")),
        "{v}"
    );
    let (code, v) = run(r#"{"text": "x", "channel": 5}"#);
    assert_eq!(code, Some(2));
    assert_eq!(v["field"], "channel", "{v}");
    let out = apolint(&["hook"], b"\xff\xfe{", &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("invalid UTF-8"), "{}", stderr(&out));
    // Nothing sent: said so, not "EOF while parsing a value".
    let (code, v) = run(" \n");
    assert_eq!(code, Some(2));
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .starts_with("no request on stdin"),
        "{v}"
    );
    // A message whose body is base64 is refused, not passed as clean.
    let (code, v) = run(
        r#"{"text": "From: a@b.example\nContent-Transfer-Encoding: base64\n\nU29ycnkhISE=\n"}"#,
    );
    assert_eq!((code, v["field"].as_str()), (Some(2), Some("text")), "{v}");

    // The channel policy from apolint.toml: chat only warns on errors.
    std::fs::write(
        dir.join("apolint.toml"),
        "[verdict.channel.chat]\nwarn_on = \"error\"\n",
    )
    .unwrap();
    let (code, v) = run(r#"{"text": "Приносим свои извинения.", "channel": "chat"}"#);
    assert_eq!(
        (code, v["verdict"].as_str()),
        (Some(0), Some("send")),
        "{v}"
    );
    let (code, _) = run(r#"{"text": "Приносим свои извинения.", "channel": "email"}"#);
    assert_eq!(code, Some(1));
    std::fs::write(
        dir.join("apolint.toml"),
        "[verdict]\nblock = [\"placeholdr\"]\n",
    )
    .unwrap();
    let out = apolint(&["hook"], br#"{"text": "x"}"#, &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("did you mean `placeholder`"),
        "{}",
        stderr(&out)
    );
    assert!(
        out.stdout.is_empty(),
        "a config error writes nothing on stdout"
    );
}

#[test]
fn lossy_reading_and_the_file_size_cap() {
    let dir = tempdir("lossy");
    let out = apolint(
        &["check", "--format", "json", "-"],
        b"Ok \xc3\x28 We apologize for any inconvenience.",
        &dir,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("invalid UTF-8 at byte 3") && stderr(&out).contains("--lossy"),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty());
    let out = apolint(
        &["check", "--lossy", "--format", "json", "-"],
        b"Ok \xff. We apologize for any inconvenience.",
        &dir,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("replaced with U+FFFD"),
        "{}",
        stderr(&out)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(doc["files"][0]["findings"][0]["category"], "cliche");

    std::fs::write(dir.join("big.txt"), "a".repeat(2048)).unwrap();
    let out = apolint(&["check", "--max-file-size", "1000", "big.txt"], b"", &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("big.txt: larger than 1000 bytes"),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty());
    let out = apolint(
        &["check", "--max-file-size", "1000", "-"],
        "б".repeat(600).as_bytes(),
        &dir,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("-: larger than 1000 bytes"),
        "{}",
        stderr(&out)
    );
    std::fs::write(dir.join("empty.txt"), "").unwrap();
    let out = apolint(&["check", "--format", "json", "empty.txt"], b"", &dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// A team's name groups join the built-in ones (which a check with the
/// built-in rules reads apart from the rule book): both are recognised.
#[test]
fn a_team_name_group_joins_the_built_in_ones() {
    let dir = tempdir("team-names");
    std::fs::create_dir_all(dir.join("team")).unwrap();
    std::fs::write(
        dir.join("team/names.toml"),
        "[[names]]\nforms = [\"гвидо\", \"гвидик\"]\n",
    )
    .unwrap();
    let mismatch = |greeting: &str, customer: &str, config: bool| {
        let draft = format!("Здравствуйте, {greeting}! Заказ уже в пути.");
        let mut args = vec!["check", "--format", "json", "--customer-name", customer];
        if !config {
            args.push("--no-config");
        }
        args.push("-");
        let out = apolint(&args, draft.as_bytes(), &dir);
        stdout(&out).contains("\"name-mismatch\"")
    };
    // Without the team's file, Гвидик is not Гвидо; with it, it is.
    assert!(mismatch("Гвидик", "Гвидо", false));
    std::fs::write(dir.join("apolint.toml"), "rule_dirs = [\"team\"]\n").unwrap();
    assert!(!mismatch("Гвидик", "Гвидо", true));
    // The built-in groups still hold, with and without the team's.
    for config in [false, true] {
        assert!(!mismatch("Маша", "Мария", config), "config {config}");
        assert!(mismatch("Анна", "Мария", config), "config {config}");
    }
}

/// Deeply nested TOML is refused with a pointed error (the TOML parser's
/// recursion limit), shown as a short excerpt rather than a 40 KB line.
#[test]
fn deeply_nested_rule_file_is_a_short_pointed_error() {
    let dir = tempdir("deep-toml");
    std::fs::create_dir_all(dir.join("team-rules")).unwrap();
    std::fs::write(
        dir.join("team-rules/deep.toml"),
        format!("a = {}{}\n", "[".repeat(20_000), "]".repeat(20_000)),
    )
    .unwrap();
    std::fs::write(dir.join("apolint.toml"), "rule_dirs = [\"team-rules\"]\n").unwrap();
    let out = apolint(&["check", "-"], "Привет".as_bytes(), &dir);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("deep.toml:1:"), "{err}");
    assert!(err.contains("recursion"), "{err}");
    assert!(err.len() < 2_000, "{} bytes of error output", err.len());
    assert!(out.stdout.is_empty());
}

/// `check --format jsonl` keeps the input order over a long stream (what a
/// Spark `RDD.pipe` or `parallel --pipe --keep-order` step relies on), and
/// `audit` reads the same lines.
#[test]
fn jsonl_stream_preserves_order_over_thousands_of_lines() {
    let dir = tempdir("jsonl-order");
    let texts = [
        "Приносим свои извинения.",
        "Thanks, refunded today at 10:00.",
        "Мы же вас предупреждали!!!",
        "Hi {{first_name}},",
    ];
    let input: String = (0..3000)
        .map(|i| {
            format!(
                "{}\n",
                serde_json::json!({"id": i, "text": texts[i % texts.len()]})
            )
        })
        .collect();
    let out = apolint(&["check", "--format", "jsonl"], input.as_bytes(), &dir);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let answers: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(answers.len(), 3000);
    for (i, a) in answers.iter().enumerate() {
        assert_eq!(a["id"], i);
        let clean = a["findings"].as_array().map_or(0, Vec::len) == 0;
        assert_eq!(clean, i % texts.len() == 1, "{a}");
    }

    std::fs::write(dir.join("export.jsonl"), &input).unwrap();
    let out = apolint(
        &["audit", "export.jsonl", "--quiet", "--html", "report.html"],
        b"",
        &dir,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("summary JSON");
    assert_eq!(summary["replies"], 3000);
    assert_eq!(summary["clean"], 750);
    assert_eq!(summary["bad_records"], 0);
    let html = std::fs::read_to_string(dir.join("report.html")).expect("report written");
    assert!(html.contains("<svg id=\"by-category\""));
}

#[test]
fn audit_outputs_dash_is_stdout_and_unwritable_ones_fail_before_the_run() {
    let dir = tempdir("audit-outputs");
    let export = "{\"text\": \"Приносим свои извинения за доставленные неудобства.\"}\n";
    std::fs::write(dir.join("export.jsonl"), export).unwrap();

    // `--json -` is stdout, as `-` is stdin for the inputs; no file named `-`.
    let out = apolint(
        &["audit", "export.jsonl", "--quiet", "--json", "-"],
        b"",
        &dir,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("summary JSON");
    assert_eq!(summary["replies"], 1);
    assert!(!dir.join("-").exists(), "wrote a file named -");
    assert!(stderr(&out).contains("1 reply ("), "{}", stderr(&out));
    assert!(stderr(&out).contains("0 bad records"), "{}", stderr(&out));

    // `--html -` puts the page on stdout: the summary goes to `--json FILE`,
    // or, with no `--json`, is not written (the page instead, as its help
    // says).
    let html_to_stdout = |json: &[&str]| {
        let mut args = vec!["audit", "export.jsonl", "--quiet", "--html", "-"];
        args.extend_from_slice(json);
        apolint(&args, b"", &dir)
    };
    for json in [&["--json", "s.json"][..], &[]] {
        let out = html_to_stdout(json);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let page = stdout(&out);
        assert!(
            page.to_ascii_lowercase().starts_with("<!doctype html>")
                && !page.contains("\"replies\":"),
            "{page}"
        );
    }
    assert!(dir.join("s.json").is_file());
    // Both asked for on stdout: refused before anything is read.
    let out = html_to_stdout(&["--json", "-"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("would both go to stdout"),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty());

    // A report that cannot be written is said before reading anything: the
    // input here would never end.
    for (args, why) in [
        (
            ["--html", "no/such/dir/r.html"],
            "its folder does not exist",
        ),
        (["--json", "."], "it is a folder"),
        (["--json", "nodir/"], "it is a folder"),
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_apolint"))
            .args(["audit", "-", "--quiet"])
            .args(args)
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        // Stdin stays open: only failing early ends the run.
        let stdin = child.stdin.take();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while child.try_wait().expect("poll").is_none() {
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                panic!("{args:?}: still reading after 30 s instead of failing first");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        drop(stdin);
        let out = child.wait_with_output().expect("run");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(why), "{args:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty());
    }
}

/// A byte-order mark before a request (an export saved on Windows, or two
/// joined with `cat`) is no part of it: each is answered, not refused as
/// malformed JSON.
#[test]
fn jsonl_stream_reads_past_byte_order_marks() {
    let dir = tempdir("jsonl-bom");
    let input =
        "\u{feff}{\"id\": 1, \"text\": \"Sorry!!!\"}\n\u{feff}{\"id\": 2, \"text\": \"Hi\"}\n";
    let out = apolint(&["check", "--format", "jsonl", "-"], input.as_bytes(), &dir);
    let answers: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(answers.len(), 2, "{}", stdout(&out));
    assert_eq!(answers[0]["id"], 1, "{}", stdout(&out));
    assert_eq!(
        answers[0]["findings"][0]["span"]["start"], 5,
        "offsets in the request's text"
    );
    assert_eq!(answers[1]["id"], 2, "{}", stdout(&out));
    assert_eq!(answers[1]["verdict"], "send", "{}", stdout(&out));
    assert_eq!(out.status.code(), Some(1));
}

/// A request that cannot be judged is answered with its `id` and
/// `ticket_id`, so a caller joining answers by id (Spark) keeps the row.
#[test]
fn jsonl_stream_errors_echo_the_request_ids() {
    let dir = tempdir("jsonl-error-ids");
    let input =
        "{\"id\": 7, \"txt\": \"x\"}\n{\"id\": \"b\", \"ticket_id\": 9, \"text\": null}\n[{\"x\": 1}, \"t\"]\n";
    let out = apolint(&["check", "--format", "jsonl"], input.as_bytes(), &dir);
    let answers: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(answers.len(), 3, "{}", stdout(&out));
    assert_eq!(
        (&answers[0]["id"], &answers[0]["field"]),
        (&7.into(), &"text".into())
    );
    assert_eq!(
        (&answers[1]["id"], &answers[1]["ticket_id"]),
        (&"b".into(), &9.into())
    );
    assert!(
        answers.iter().all(|a| a["error"].is_string()),
        "{}",
        stdout(&out)
    );
    // An array's items are no ids.
    assert!(answers[2].get("id").is_none() && answers[2].get("ticket_id").is_none());
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn jsonl_stream_turns_down_an_overlong_line_and_goes_on() {
    let dir = tempdir("jsonl-long");
    let long = serde_json::json!({"id": 2, "text": "Приносим свои извинения. ".repeat(40)});
    let input = format!(
        "{}\n{long}\n{}\n{long}",
        serde_json::json!({"id": 1, "text": "Мы же вас предупреждали!"}),
        serde_json::json!({"id": 3, "text": "Приносим свои извинения."}),
    );
    let out = apolint(
        &["check", "--format", "jsonl", "--max-file-size", "300", "-"],
        input.as_bytes(),
        &dir,
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let answers: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(answers.len(), 4, "{}", stdout(&out));
    assert_eq!(answers[0]["id"], 1);
    assert!(!answers[0]["findings"].as_array().unwrap().is_empty());
    for (a, line) in [(&answers[1], 2), (&answers[3], 4)] {
        assert_eq!(a["line"], line);
        assert!(
            a["error"]
                .as_str()
                .unwrap()
                .starts_with("request longer than 300 bytes"),
            "{a}"
        );
    }
    assert_eq!(answers[2]["id"], 3, "the stream goes on after it");
    assert_eq!(answers[2]["line"], 3);

    // The limit is on the request, not its line end: exactly 300 bytes
    // pass with `\n`, `\r\n` or none, 301 do not.
    let exact = |n: usize| format!("{{\"text\":\"{}\"}}", "x".repeat(n - 11));
    for (input, answers_ok) in [
        (
            format!("{}\n{}\n", exact(300), exact(301)),
            [true, false].as_slice(),
        ),
        (
            format!("{}\r\n{}\r\n", exact(300), exact(301)),
            &[true, false],
        ),
        (exact(300), &[true]),
        (exact(301), &[false]),
    ] {
        let out = apolint(
            &["check", "--format", "jsonl", "--max-file-size", "300", "-"],
            input.as_bytes(),
            &dir,
        );
        let answers: Vec<serde_json::Value> = stdout(&out)
            .lines()
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect();
        let got: Vec<bool> = answers.iter().map(|a| a["findings"].is_array()).collect();
        assert_eq!(got, answers_ok, "{input:?}: {answers:?}");
    }
}

#[test]
fn a_blank_line_on_the_stream_gets_an_answer_of_its_own() {
    let dir = tempdir("blank-line");
    let out = apolint(
        &["check", "--no-config", "--format", "jsonl"],
        b"{\"text\":\"hi\"}\n\n{\"text\":\"hi\"}\n",
        &dir,
    );
    let lines: Vec<&str> = std::str::from_utf8(&out.stdout).unwrap().lines().collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines[1].contains("empty line"), "{}", lines[1]);
}

#[test]
fn the_audit_never_writes_through_a_symlink() {
    let dir = tempdir("audit-symlink");
    let export = &dir.join("e.jsonl");
    std::fs::write(export, "{\"text\": \"Приносим извинения.\"}\n").unwrap();
    let target = &dir.join("target.json");
    std::fs::write(target, "keep").unwrap();
    let link = &dir.join("link.json");
    std::os::unix::fs::symlink(target, link).unwrap();
    let out = apolint(
        &[
            "audit",
            "--quiet",
            "--no-config",
            export.to_str().unwrap(),
            "--json",
            link.to_str().unwrap(),
        ],
        b"",
        &dir,
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("symbolic link"), "{}", stderr(&out));
    assert!(std::fs::symlink_metadata(link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read_to_string(target).unwrap(), "keep");
}

#[test]
fn a_config_with_deeply_nested_groups_is_an_error_not_a_crash() {
    let dir = tempdir("deep-config");
    let pattern = format!("{}a{}", "(".repeat(30_000), ")".repeat(30_000));
    std::fs::write(
        dir.join("apolint.toml"),
        format!("[[phrase]]\npattern = \"{pattern}\"\nmessage = \"m\"\n"),
    )
    .unwrap();
    let out = apolint(&["check", "-"], b"hi", &dir);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("nested more than"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_folder_says_which_links_it_skips_and_prints_nothing_when_a_file_fails() {
    let dir = tempdir("dir-links");
    std::fs::create_dir_all(dir.join("drafts/sub")).unwrap();
    std::fs::write(
        dir.join("drafts/a.txt"),
        "Thanks, the refund is on your card.",
    )
    .unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.join("drafts/sub/z.txt")).unwrap();
    // A link to a folder (here a loop back up) is named too: the drafts
    // behind it go unchecked.
    std::os::unix::fs::symlink("..", dir.join("drafts/sub/loop")).unwrap();
    let out = apolint(
        &["check", "--no-config", "--format", "jsonl", "drafts"],
        b"",
        &dir,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for link in ["drafts/sub/z.txt", "drafts/sub/loop"] {
        assert!(
            stderr(&out).contains(&format!("skipping {link}: a symbolic link")),
            "{}",
            stderr(&out)
        );
    }
    assert_eq!(stdout(&out).lines().count(), 1);
    // A file that cannot be read, after one that can: exit 2, stdout empty
    // (every file is read once before anything is printed).
    std::fs::write(dir.join("drafts/sub/b.txt"), b"ok \xFF").unwrap();
    for format in ["json", "jsonl", "human", "short"] {
        let out = apolint(
            &["check", "--no-config", "--format", format, "drafts"],
            b"",
            &dir,
        );
        assert_eq!(out.status.code(), Some(2), "{format}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{format}: {}", stdout(&out));
        assert!(
            stderr(&out).contains("drafts/sub/b.txt: invalid UTF-8"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn utf16_without_a_bom_is_refused_with_exit_2() {
    let dir = tempdir("utf16-nobom");
    let le: Vec<u8> = "We are sorry for the delay."
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let out = apolint(&["check", "--no-config", "-"], &le, &dir);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(out.stdout.is_empty());
    assert!(
        stderr(&out).contains("looks like UTF-16LE without a byte-order mark"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_audit_fails_on_an_unclosed_csv_quote_and_writes_nothing() {
    let dir = tempdir("audit-unclosed");
    let mut csv = String::from("agent,text\na,\"unclosed\n");
    for k in 0..200 {
        csv.push_str(&format!("a{k},Приносим извинения за задержку.\n"));
    }
    std::fs::write(dir.join("e.csv"), csv).unwrap();
    let out = apolint(
        &[
            "audit",
            "--quiet",
            "--no-config",
            "e.csv",
            "--json",
            "o.json",
        ],
        b"",
        &dir,
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("the quote opened on line 2 is never closed"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.join("o.json").exists());
    // Mostly garbage: more bad records than replies.
    let mut jsonl = String::from("{\"text\": \"Спасибо.\"}\n");
    jsonl.push_str(&"not json\n".repeat(5));
    std::fs::write(dir.join("e.jsonl"), jsonl).unwrap();
    let out = apolint(&["audit", "--quiet", "--no-config", "e.jsonl"], b"", &dir);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    assert!(
        stderr(&out).contains("most of the input could not be read: 5 bad records against 1 reply"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_audit_folds_agents_past_max_groups() {
    let dir = tempdir("audit-groups");
    let jsonl: String = (0..50)
        .map(|k| format!("{{\"text\": \"Спасибо.\", \"agent\": \"a{k}\"}}\n"))
        .collect();
    std::fs::write(dir.join("e.jsonl"), jsonl).unwrap();
    let out = apolint(
        &[
            "audit",
            "--quiet",
            "--no-config",
            "--max-groups",
            "5",
            "e.jsonl",
        ],
        b"",
        &dir,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let agents = v["by_agent"].as_object().unwrap();
    // Five by name, as `--max-groups 5` says, and the rest as one.
    assert_eq!(agents.len(), 6, "{agents:?}");
    assert_eq!(agents["(other)"]["replies"], 45);
}

/// Issue #18: a reply to a complaint gets its checklist and score in every
/// output; `[structure]` in apolint.toml changes what is expected and lets
/// the score turn `send` into `warn`.
#[test]
fn structure_checklist_in_human_json_and_hook_with_config() {
    let dir = tempdir("structure");
    let model = "Hi Sam,\n\nI'm sorry your parcel arrived two days late: our warehouse \
                 mislabelled it, and that's our mistake. I've refunded the delivery fee \
                 today, and we now scan every label twice. Thank you for telling us.\n\nBest,\nTom\n";
    let human = apolint(&["check", "--no-config", "-"], model.as_bytes(), &dir);
    let text = stdout(&human);
    assert!(
        text.contains(
            "-: structure 100/100: ✓greeting ✓acknowledgement ✓apology ✓cause ✓responsibility ✓fix"
        ),
        "{text}"
    );
    let json = apolint(
        &["check", "--no-config", "--format", "json", "-"],
        model.as_bytes(),
        &dir,
    );
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let s = &v["files"][0]["structure"];
    assert_eq!(s["score"], 100, "{s}");
    assert_eq!(s["parts"]["compensation"]["present"], true);
    assert_eq!(s["parts"]["greeting"]["span"]["start"], 0);
    // A remedy reported in the passive is a fix done: no deadline is
    // expected of it. What went wrong, told in the passive, is no fix.
    let parts = |text: &str| {
        let out = apolint(
            &["hook", "--no-config"],
            serde_json::json!({"text": text}).to_string().as_bytes(),
            &dir,
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["structure"]["parts"].clone()
    };
    let done = parts("Hi Maria, sorry for the wait: your refund was sent today. Thanks, Anna");
    assert_eq!(done["fix"]["present"], true, "{done}");
    assert_eq!(done["deadline"]["expected"], false, "{done}");
    let fault = parts("Hi Maria, sorry: your order was sent to the wrong address. Thanks, Anna");
    assert_eq!(fault["fix"]["present"], false, "{fault}");
    // A thank-you for praise has no apology to structure.
    let praise = apolint(
        &["check", "--no-config", "--format", "json", "-"],
        b"Thank you so much for the lovely review, Anna! Glad you liked the tea.",
        &dir,
    );
    let v: serde_json::Value = serde_json::from_slice(&praise.stdout).unwrap();
    assert!(v["files"][0].get("structure").is_none(), "{v}");
    // warn_below: a bare apology with no fix scores low and is held back.
    std::fs::write(
        dir.join("apolint.toml"),
        "[structure]\nwarn_below = 50\ncompensation = \"never\"\n",
    )
    .unwrap();
    let hook = apolint(
        &["hook"],
        br#"{"text": "Sorry about that, we are looking at it."}"#,
        &dir,
    );
    let v: serde_json::Value = serde_json::from_slice(&hook.stdout).unwrap();
    assert_eq!(v["verdict"], "warn", "{v}");
    assert!(v["structure"]["score"].as_u64().unwrap() < 50, "{v}");
    assert_eq!(v["structure"]["parts"]["compensation"]["expected"], false);
    // A misspelt setting points at the line.
    std::fs::write(
        dir.join("apolint.toml"),
        "[structure]\ncompensation = \"sometimes\"\n",
    )
    .unwrap();
    let bad = apolint(&["check", "-"], b"Sorry.", &dir);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("unknown variant `sometimes`"),
        "{}",
        stderr(&bad)
    );
}
// ---- Paper cuts a new user hit (#20, part 3) ----

#[test]
fn explain_lists_the_rules_of_a_category_or_an_id_prefix() {
    let dir = tempdir("explain-group");
    let out = apolint(&["explain", "cliche"], b"", &dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("ru.cliche.prinosim-izvineniya"), "{text}");
    assert!(text.contains("en.cliche."), "{text}");
    assert!(!text.contains("passive-aggression"), "{text}");
    assert!(text.contains("rules in `cliche`"), "{text}");
    let out = apolint(&["explain", "ru.cliche"], b"", &dir);
    let text = stdout(&out);
    assert!(text.contains("ru.cliche.prinosim-izvineniya"), "{text}");
    assert!(!text.contains("en.cliche."), "{text}");
    // A prefix is cut at a dot: "ru.cli" names nothing.
    let out = apolint(&["explain", "ru.cli"], b"", &dir);
    assert_eq!(out.status.code(), Some(2));
    let out = apolint(&["explain", "clishe"], b"", &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("did you mean `cliche`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn check_on_a_terminal_with_no_path_says_it_reads_stdin() {
    // `script` (util-linux) gives the command a terminal for stdin and
    // passes our pipe through it, end of input included.
    let dir = tempdir("tty");
    let cmd = format!("{} check --color never", env!("CARGO_BIN_EXE_apolint"));
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .current_dir(&*dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all("Спасибо.\n".as_bytes())?;
            c.wait_with_output()
        })
        .expect("run apolint under script(1)");
    let shown = stdout(&out);
    assert!(
        shown.contains("reading the draft from standard input"),
        "{shown}"
    );
    assert!(shown.contains("No problems found in 1 draft."), "{shown}");
    // Piped, it says nothing of the kind.
    let out = apolint(&["check"], "Спасибо.".as_bytes(), &dir);
    assert_eq!(stderr(&out), "");
}

#[test]
fn one_severity_vocabulary_info_everywhere() {
    let dir = tempdir("info");
    let draft = "Проблема решена.";
    let human = apolint(&["check", "--color", "never", "-"], draft.as_bytes(), &dir);
    let text = stdout(&human);
    assert!(text.contains("Info:"), "{text}");
    assert!(!text.contains("Advice"), "{text}");
    assert!(!text.contains('\u{1b}'), "no colour asked for: {text:?}");
    assert!(
        text.contains("1 finding in 1 draft: 0 errors, 0 warnings, 1 info."),
        "{text}"
    );
    let short = apolint(&["check", "--format", "short", "-"], draft.as_bytes(), &dir);
    assert!(stdout(&short).contains(": info["), "{}", stdout(&short));
    let json = apolint(&["check", "--format", "json", "-"], draft.as_bytes(), &dir);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["files"][0]["findings"][0]["severity"], "info");
    // The playground counts the same way.
    let page = include_str!("../crates/apolint-server/src/playground.html");
    assert!(!page.contains("hints"), "the playground still says hints");
    assert!(page.contains(r#"count(counts.info, "info")"#));
}

#[test]
fn a_bom_does_not_shift_the_column_in_any_output() {
    let dir = tempdir("bom");
    let draft = "\u{feff}Приносим свои извинения.";
    let short = apolint(&["check", "--format", "short", "-"], draft.as_bytes(), &dir);
    assert!(
        stdout(&short).starts_with("-:1:1: warning"),
        "{}",
        stdout(&short)
    );
    let human = apolint(&["check", "--color", "never", "-"], draft.as_bytes(), &dir);
    assert!(stdout(&human).contains("[ -:1:1 ]"), "{}", stdout(&human));
}

// ---- apolint.toml from each file's folder (#20.2) ----

#[test]
fn each_file_is_checked_with_the_config_found_upward_from_its_own_folder() {
    let dir = tempdir("per-file-config");
    for sub in ["team/macros", "other", "cwd"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    std::fs::write(
        dir.join("team/apolint.toml"),
        "[rules]\ndisable = [\"ru.cliche.prinosim-izvineniya\"]\n",
    )
    .unwrap();
    let draft = "Приносим свои извинения.\n";
    std::fs::write(dir.join("team/macros/a.txt"), draft).unwrap();
    std::fs::write(dir.join("other/b.txt"), draft).unwrap();
    // Run from a folder that has no config of its own, with relative
    // paths that go up and down.
    let cwd = dir.join("cwd");
    let out = apolint(
        &[
            "check",
            "-v",
            "--format",
            "short",
            "../team/macros/a.txt",
            "../other/b.txt",
        ],
        b"",
        &cwd,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        !text.contains("a.txt"),
        "team's config disables the rule: {text}"
    );
    assert!(text.contains("../other/b.txt:1:1"), "{text}");
    let err = stderr(&out);
    let team_config = dir.join("team").join("apolint.toml");
    assert!(
        err.contains(&format!(
            "apolint: ../team/macros/a.txt: config {}",
            team_config.display()
        )),
        "{err}"
    );
    assert!(
        err.contains("apolint: ../other/b.txt: no apolint.toml found, built-in defaults"),
        "{err}"
    );
    // A folder given whole: the same per-file discovery.
    let out = apolint(&["check", "--format", "short", "."], b"", &dir);
    let text = stdout(&out);
    assert!(text.contains("other/b.txt"), "{text}");
    assert!(!text.contains("macros/a.txt"), "{text}");
    // --config overrides discovery for every file, and -v says so.
    let out = apolint(
        &[
            "check",
            "-v",
            "--config",
            "../team/apolint.toml",
            "../other/b.txt",
        ],
        b"",
        &cwd,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stderr(&out).contains("(--config)"), "{}", stderr(&out));
    // A broken config beside one file fails the run before any output.
    std::fs::write(dir.join("other/apolint.toml"), "fail_on = 3\n").unwrap();
    let out = apolint(
        &["check", "../team/macros/a.txt", "../other/b.txt"],
        b"",
        &cwd,
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout(&out), "");
    assert!(stderr(&out).contains("apolint.toml"), "{}", stderr(&out));
}

#[test]
fn serve_says_which_config_it_loaded() {
    let dir = tempdir("serve-config");
    std::fs::write(dir.join("apolint.toml"), "fail_on = \"error\"\n").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_apolint"))
        .args(["serve", "--listen", "127.0.0.1:0", "--no-access-log"])
        .current_dir(&*dir)
        .env_remove("APOLINT_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn apolint serve");
    let mut first = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stderr.take().unwrap()),
        &mut first,
    )
    .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let expected = format!("config {}", dir.join("apolint.toml").display());
    assert!(first.contains("listening on http://127.0.0.1:"), "{first}");
    assert!(first.contains(&expected), "{first}");
}

/// A reply with a finding in each of its paragraphs, `paragraphs` long: its
/// JSON report is far larger than a pipe's buffer.
fn many_findings(paragraphs: usize) -> String {
    "We apologize for any inconvenience caused. Dear Sam, it is not our fault.\n\n"
        .repeat(paragraphs)
}

#[test]
fn json_and_jsonl_written_to_a_reader_that_stops_early_end_without_an_error() {
    let dir = tempdir("closed-pipe");
    let draft = dir.join("long.txt");
    std::fs::write(&draft, many_findings(3_000)).unwrap();
    let whole = apolint(&["check", "--format", "json", "long.txt"], b"", &dir);
    for format in ["json", "jsonl"] {
        let whole = apolint(&["check", "--format", format, "long.txt"], b"", &dir);
        assert!(
            whole.stdout.len() > 256 << 10,
            "{format}: the report fills a pipe many times over: {} bytes",
            whole.stdout.len()
        );
    }
    for format in ["json", "jsonl"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_apolint"))
            .args(["check", "--format", format, "long.txt"])
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // `| head -c 100`: read a little, then close the pipe.
        let mut first = [0u8; 100];
        std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut first).unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{format}: findings, not a failure: {}",
            stderr(&out)
        );
        assert!(
            !stderr(&out).contains("cannot write"),
            "{format}: {}",
            stderr(&out)
        );
        if format == "json" {
            assert_eq!(&first[..], &whole.stdout[..100]);
        }
    }
}

#[test]
#[cfg(target_os = "linux")] // /dev/full: a device that is always full
fn a_report_that_cannot_be_written_is_an_error_with_exit_code_2() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let dir = tempdir("full-device");
    std::fs::write(dir.join("long.txt"), many_findings(500)).unwrap();
    std::fs::write(dir.join("request.json"), r#"{"text": "Hi {{name}}"}"#).unwrap();
    let runs: [&[&str]; 6] = [
        &["check", "--format", "json", "long.txt"],
        &["check", "--format", "jsonl", "long.txt"],
        &["check", "--format", "short", "long.txt"],
        // The audit's summary or page, and the hook's verdict (which the
        // desk would otherwise never see, whatever the exit code said).
        &["audit", "long.txt"],
        &["audit", "long.txt", "--html", "-"],
        &["hook"],
    ];
    for args in runs {
        let out = Command::new(env!("CARGO_BIN_EXE_apolint"))
            .args(args)
            .current_dir(&dir)
            .stdin(std::fs::File::open(dir.join("request.json")).unwrap())
            .stdout(full.try_clone().unwrap())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("cannot write output"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    // A JSON document's opening is written before any file is checked: on
    // /dev/full that write fails first. Here the opening fits under a
    // file-size limit and the file's entry does not.
    let report = dir.join("report.json");
    let out = Command::new("sh")
        .args([
            "-c",
            r#"trap "" XFSZ; ulimit -f 1; exec "$0" "$@" > report.json"#,
        ])
        .arg(env!("CARGO_BIN_EXE_apolint"))
        .args(["check", "--format", "json", "long.txt"])
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot write output"),
        "{}",
        stderr(&out)
    );
    let written = std::fs::read_to_string(&report).unwrap();
    assert!(
        written.starts_with("{\n  \"version\": 1") && written.len() >= 512,
        "the opening and part of the entry: {} bytes",
        written.len()
    );
}

/// A large draft named alone is read while its linter is built on a
/// second thread: the config found for it still applies, and an
/// unreadable draft is still reported before a broken config.
#[test]
fn a_large_draft_is_checked_with_its_config_and_errors_keep_their_order() {
    let dir = tempdir("large-config");
    let draft = format!("{SHOWN}\n\n").repeat((300 << 10) / SHOWN.len() + 1);
    assert!(
        draft.len() >= 300 << 10,
        "past the size read on two threads"
    );
    std::fs::write(dir.join("large.txt"), &draft).expect("write");
    std::fs::write(dir.join("small.txt"), format!("{SHOWN}\n")).expect("write");
    std::fs::write(
        dir.join("apolint.toml"),
        "[categories]\ndisable = [\"shouting\"]\n",
    )
    .expect("write");
    let large = apolint(&["check", "-v", "--format", "json", "large.txt"], b"", &dir);
    let small = apolint(&["check", "--format", "json", "small.txt"], b"", &dir);
    assert_eq!(large.status.code(), Some(1), "{}", stderr(&large));
    let (large_out, small_out) = (stdout(&large), stdout(&small));
    assert!(large_out.contains("\"cliche\""), "{large_out}");
    assert!(
        !large_out.contains("\"shouting\""),
        "config applied: {large_out}"
    );
    assert!(small_out.contains("\"cliche\"") && !small_out.contains("\"shouting\""));
    assert_eq!(
        stderr(&large).matches("apolint.toml").count(),
        1,
        "-v names the config once: {}",
        stderr(&large)
    );

    std::fs::write(dir.join("apolint.toml"), "fail_on = \n").expect("write");
    for name in ["large.txt", "small.txt"] {
        let out = apolint(&["check", "-v", name], b"", &dir);
        assert_eq!(out.status.code(), Some(2));
        assert!(out.stdout.is_empty());
        let err = stderr(&out);
        assert!(err.contains("apolint.toml:1:"), "{err}");
        assert!(
            err.starts_with(&format!("apolint: {name}: config ")),
            "-v names the config that fails, as for a small draft: {err}"
        );
    }

    let mut binary = draft.into_bytes();
    binary[1000] = 0;
    std::fs::write(dir.join("large.txt"), &binary).expect("write");
    let out = apolint(&["check", "large.txt"], b"", &dir);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("large.txt: binary file"), "{err}");
    assert!(!err.contains("apolint.toml"), "read error first: {err}");
}

#[test]
fn the_audit_refuses_to_write_over_its_export_or_one_output_with_the_other() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempdir("audit-overlaps");
    let export = "{\"agent\":\"Anna\",\"text\":\"Приносим свои извинения за задержку.\"}\n";
    std::fs::write(dir.join("export.jsonl"), export).unwrap();
    std::fs::create_dir(dir.join("sub")).unwrap();
    let audit = |args: &[&str]| {
        apolint(
            &[&["audit", "--quiet", "--no-config"], args].concat(),
            b"",
            &dir,
        )
    };
    for (args, said) in [
        (
            &["--html", "export.jsonl"][..],
            "--html export.jsonl would write over the export export.jsonl that it reads",
        ),
        (
            &["--json", "sub/../export.jsonl"][..],
            "--json sub/../export.jsonl would write over the export export.jsonl",
        ),
        (
            &["--html", "out.txt", "--json", "./out.txt"][..],
            "--json and --html both name out.txt",
        ),
        (
            &["sub", "--html", "sub/r.html"][..],
            "--html sub/r.html is inside the folder sub that is audited",
        ),
    ] {
        let out = audit(&[&["export.jsonl"], args].concat());
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(said), "{args:?}: {}", stderr(&out));
        assert_eq!(
            std::fs::read_to_string(dir.join("export.jsonl")).unwrap(),
            export
        );
        assert!(!dir.join("out.txt").exists());
    }
    // The export on standard input, redirected from the file named.
    let out = Command::new(env!("CARGO_BIN_EXE_apolint"))
        .args([
            "audit",
            "--quiet",
            "--no-config",
            "-",
            "--html",
            "export.jsonl",
        ])
        .current_dir(&dir)
        .stdin(std::fs::File::open(dir.join("export.jsonl")).unwrap())
        .output()
        .unwrap();
    expect_stderr(
        &out,
        2,
        "--html export.jsonl would write over the export on standard input",
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("export.jsonl")).unwrap(),
        export
    );
    // Reports are written for others to read: the usual mode for a new
    // file (0666 less the umask; the tests' umask is the runner's), an
    // existing file's own mode kept.
    let out = audit(&["export.jsonl", "--html", "r.html", "--json", "s.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mode = |f: &str| std::fs::metadata(dir.join(f)).unwrap().permissions().mode() & 0o777;
    let umask = {
        let probe = dir.join("probe");
        std::fs::write(&probe, "").unwrap();
        0o666 & !mode("probe")
    };
    assert_eq!(mode("r.html"), 0o666 & !umask);
    assert_eq!(mode("s.json"), 0o666 & !umask);
    std::fs::set_permissions(dir.join("r.html"), std::fs::Permissions::from_mode(0o640)).unwrap();
    let out = audit(&["export.jsonl", "--html", "r.html"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(mode("r.html"), 0o640);
    // A field named on purpose that no record has is said; a CSV without
    // such a column is refused before the run.
    let out = audit(&["export.jsonl", "--agent-field", "who"]);
    expect_stderr(&out, 0, "no reply has a usable `who` field (--agent-field)");
    std::fs::write(
        dir.join("e.csv"),
        "agent,text
Anna,Hello.
",
    )
    .unwrap();
    let out = audit(&["e.csv", "--agent-field", "who"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "e.csv: no `who` column (columns: agent, text); choose one with --agent-field"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn eval_refuses_a_percentage_threshold_and_shows_the_first_errors_only() {
    let dir = tempdir("eval-errors");
    for option in [
        "--min-precision",
        "--min-recall",
        "--min-category",
        "--min-part",
    ] {
        let out = apolint(&["eval", "x.jsonl", option, "90"], b"", &dir);
        expect_stderr(&out, 2, "expected a share from 0 to 1");
    }
    std::fs::write(dir.join("x.jsonl"), "not json\n".repeat(50)).unwrap();
    let out = apolint(&["eval", "--no-config", "x.jsonl"], b"", &dir);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.matches("not a labelled draft").count(), 2 * 20, "{err}");
    assert!(
        err.contains("50 errors in the files (30 not shown: fix the ones above first)"),
        "{err}"
    );
}

/// Asserts `out` exited with `code` and said `said` on stderr.
fn expect_stderr(out: &Output, code: i32, said: &str) {
    assert_eq!(out.status.code(), Some(code), "{}", stderr(out));
    assert!(stderr(out).contains(said), "{}", stderr(out));
}

/// The contract: with no `--config`, `apolint.toml` is found upward from
/// the current directory. A draft's own folder is asked first (a team's
/// folder has its own); a draft outside the current folder's tree, with
/// no config of its own, gets the current directory's.
#[test]
fn a_draft_elsewhere_gets_the_current_directorys_config() {
    let dir = tempdir("config-cwd");
    let elsewhere = tempdir("config-elsewhere");
    std::fs::write(
        dir.join("apolint.toml"),
        "[rules]\ndisable = [\"any.shouting.exclamation-run\"]\n",
    )
    .expect("write");
    let draft = elsewhere.join("d.txt");
    std::fs::write(&draft, "Мы всё исправим!!!\n").expect("write");
    let path = draft.to_str().expect("utf-8 path");
    let out = apolint(&["check", "-v", "--format", "short", path], b"", &dir);
    assert!(
        !stdout(&out).contains("exclamation-run"),
        "{}",
        stdout(&out)
    );
    assert!(stderr(&out).contains("apolint.toml"), "{}", stderr(&out));
    // Its own folder's config comes first.
    std::fs::write(elsewhere.join("apolint.toml"), "fail_on = \"error\"\n").expect("write");
    let out = apolint(&["check", "--format", "short", path], b"", &dir);
    assert!(stdout(&out).contains("exclamation-run"), "{}", stdout(&out));
}
