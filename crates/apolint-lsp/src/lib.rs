//! `apolint lsp`: a language server over stdio (lsp-server + lsp-types).
//!
//! One thread reads messages; between reads it drains everything already
//! queued before linting, so a burst of keystrokes costs one check of the
//! newest text, never one per keystroke (no stale work queues up), and a
//! `$/cancelRequest` that arrives in the same burst cancels its request.
//! An optional `debounceMs` waits a little longer for more input.
//!
//! Settings come from `initializationOptions` (and later from
//! `workspace/didChangeConfiguration`, under an `apolint` key or not):
//! `languageIds`, `language` (auto|ru|en) or `languages` (["ru"]),
//! `customerName`, `situation` (complaint|neutral|positive), `debounceMs`.
//! Each document is checked with the `apolint.toml` found upward from it,
//! reloaded whenever its modification time changes; a broken one is shown
//! as diagnostics on that file and the built-in rules are used meanwhile.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod framing;
pub mod text;

pub use framing::{read_message, MAX_MESSAGE_BYTES};

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::{
    notification::{self as notif, Notification as _},
    request::{self as req, Request as _},
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams,
    CodeActionProviderCapability, CreateFile, CreateFileOptions, Diagnostic, DiagnosticSeverity,
    DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams,
    DocumentChangeOperation, DocumentChanges, Hover, HoverContents, HoverParams,
    HoverProviderCapability, InitializeParams, MarkupContent, MarkupKind, NumberOrString, OneOf,
    OptionalVersionedTextDocumentIdentifier, Position, PositionEncodingKind,
    PublishDiagnosticsParams, Range, ResourceOp, SaveOptions, ServerCapabilities, ServerInfo,
    TextDocumentEdit, TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    TextDocumentSyncSaveOptions, TextEdit, Url, WorkspaceEdit,
};
use serde_json::{json, Value};

use apolint_core::output::{self, DocStyle};
use apolint_core::{
    CheckOptions, Config, FileError, Finding, InputFormat, Language, LanguageChoice, Linter, Report,
};

use text::{DocText, Encoding};

/// Language ids linted unless the client configures `languageIds`.
const DEFAULT_LANGUAGE_IDS: &[&str] = &["plaintext", "text", "markdown", "mail", "email"];

/// Why the language server stopped with an error.
#[derive(Debug)]
pub enum LspError {
    /// The session could not go on: the connection closed before
    /// `initialize`.
    Protocol(String),
    /// `initialize` came with parameters that are not LSP's.
    InitializeParams(serde_json::Error),
    /// The client sent bytes that are not an LSP message.
    Unreadable(std::io::Error),
    /// The client sent `exit` without `shutdown` first: the protocol asks
    /// for exit code 1.
    ExitWithoutShutdown,
}

impl std::fmt::Display for LspError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LspError::Protocol(e) => write!(f, "language server: {e}"),
            LspError::InitializeParams(e) => write!(f, "invalid initialize params: {e}"),
            LspError::Unreadable(e) => {
                write!(
                    f,
                    "language server: unreadable message from the client: {e}"
                )
            }
            LspError::ExitWithoutShutdown => {
                f.write_str("language server: `exit` without `shutdown` first")
            }
        }
    }
}

impl std::error::Error for LspError {}

/// Runs the server on stdin/stdout until the client says `exit`.
pub fn run() -> Result<(), LspError> {
    let (connection, io_threads) = framing::stdio().map_err(LspError::Unreadable)?;
    let served = serve(connection);
    // When the client sent something unreadable, the reader thread's error
    // says what; the main loop only saw the channel close.
    match (served, io_threads.join()) {
        (_, Err(e)) => Err(LspError::Unreadable(e)),
        (served, Ok(())) => served,
    }
}

/// Runs the protocol on any connection (stdio in production).
pub fn serve(connection: Connection) -> Result<(), LspError> {
    let (id, params) = wait_for_initialize(&connection)?;
    let init: InitializeParams = match serde_json::from_value(params) {
        Ok(p) => p,
        Err(e) => {
            let error = LspError::InitializeParams(e);
            let _ = connection.sender.send(
                Response::new_err(id, ErrorCode::InvalidParams as i32, error.to_string()).into(),
            );
            return Err(error);
        }
    };
    let utf8 = init
        .capabilities
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.as_ref())
        .is_some_and(|encs| encs.contains(&PositionEncodingKind::UTF8));
    let encoding = if utf8 {
        Encoding::Utf8
    } else {
        Encoding::Utf16
    };
    let capabilities = ServerCapabilities {
        position_encoding: Some(if utf8 {
            PositionEncodingKind::UTF8
        } else {
            PositionEncodingKind::UTF16
        }),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                    include_text: Some(false),
                })),
                ..Default::default()
            },
        )),
        code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        ..Default::default()
    };
    let result = json!({
        "capabilities": capabilities,
        "serverInfo": ServerInfo { name: "apolint".into(), version: Some(env!("CARGO_PKG_VERSION").into()) },
    });
    // `initialized` is not waited for: a request sent before it is
    // answered as any other (lsp-server's handshake ended the session).
    let _ = connection.sender.send(Response::new_ok(id, result).into());

    let mut server = Server::new(&connection, encoding, &init);
    if let Some(opts) = &init.initialization_options {
        let problems = server.settings.update(opts);
        server.settings_problems(&problems);
    }
    server.watch_config_files(&init);
    server.main_loop()
}

/// Waits for `initialize`, as the protocol asks: a request before it is
/// answered "not initialized", a notification dropped, `exit` ends the
/// server (exit code 1: no `shutdown` came).
fn wait_for_initialize(connection: &Connection) -> Result<(RequestId, Value), LspError> {
    loop {
        let Ok(message) = connection.receiver.recv() else {
            return Err(LspError::Protocol(
                "the client closed the connection before `initialize`".into(),
            ));
        };
        match message {
            Message::Request(r) if r.method == req::Initialize::METHOD => {
                return Ok((r.id, r.params))
            }
            Message::Request(r) => {
                let _ = connection.sender.send(
                    Response::new_err(
                        r.id,
                        ErrorCode::ServerNotInitialized as i32,
                        format!("{} before `initialize`", r.method),
                    )
                    .into(),
                );
            }
            Message::Notification(n) if n.method == notif::Exit::METHOD => {
                return Err(LspError::ExitWithoutShutdown)
            }
            Message::Notification(n) if n.method == framing::UNREADABLE_METHOD => {
                answer_unreadable(&connection.sender, &n.params, false);
            }
            Message::Notification(_) | Message::Response(_) => {}
        }
    }
}

/// Answers a message the reader could not read
/// ([`framing::UNREADABLE_METHOD`]): an error response when it had a
/// request's id, else a message the user sees (an editor drops a response
/// with no id), and a line in the editor's log. Before `initialize` is
/// answered (`initialized` false) the protocol allows no notification and
/// every request gets "not initialized": the log line only, then.
fn answer_unreadable(
    sender: &crossbeam_channel::Sender<Message>,
    params: &Value,
    initialized: bool,
) {
    let error = params["error"].as_str().unwrap_or("unreadable message");
    let id = match &params["id"] {
        Value::Number(n) => n
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .map(RequestId::from),
        Value::String(s) => Some(RequestId::from(s.clone())),
        _ => None,
    };
    // Never `eprintln!`: it panics when the editor closed stderr.
    let _ = writeln!(std::io::stderr().lock(), "apolint lsp: {error}");
    let message = match id {
        Some(id) if !initialized => Response::new_err(
            id,
            ErrorCode::ServerNotInitialized as i32,
            format!("{error} (and `initialize` has not come yet)"),
        )
        .into(),
        Some(id) => {
            Response::new_err(id, ErrorCode::InvalidRequest as i32, error.to_owned()).into()
        }
        None if !initialized => return,
        None => Notification::new(
            notif::ShowMessage::METHOD.to_owned(),
            lsp_types::ShowMessageParams {
                typ: lsp_types::MessageType::WARNING,
                message: format!("apolint: {error}"),
            },
        )
        .into(),
    };
    let _ = sender.send(message);
}

/// Client-adjustable settings.
#[derive(Debug, Clone)]
struct Settings {
    language_ids: Vec<String>,
    language: LanguageChoice,
    situation: Option<apolint_core::Situation>,
    customer_name: Option<String>,
    debounce: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            language_ids: DEFAULT_LANGUAGE_IDS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            language: LanguageChoice::Auto,
            situation: None,
            customer_name: None,
            debounce: Duration::ZERO,
        }
    }
}

impl Settings {
    /// The settings a client may send.
    const KEYS: [&'static str; 6] = [
        "languageIds",
        "languages",
        "language",
        "situation",
        "customerName",
        "debounceMs",
    ];

    /// Takes what it knows from a settings object (`{"apolint": {…}}` or
    /// the inner object). Returns what it could not use (an unknown key, a
    /// wrong type, an unknown value), for the user to be told: a typo in
    /// an editor's settings used to be ignored without a word, and
    /// `customerName: 42` switched the name check off.
    fn update(&mut self, value: &Value) -> Vec<String> {
        let mut problems = Vec::new();
        let v = value.get("apolint").unwrap_or(value);
        let Some(object) = v.as_object() else {
            return if v.is_null() {
                Vec::new()
            } else {
                vec![format!("settings must be an object, not {v}")]
            };
        };
        // A client's whole settings tree with no `apolint` section and
        // nothing of ours in it is someone else's.
        if value.get("apolint").is_none()
            && !object.keys().any(|k| Self::KEYS.contains(&k.as_str()))
        {
            return Vec::new();
        }
        for key in object.keys() {
            if !Self::KEYS.contains(&key.as_str()) {
                problems.push(format!(
                    "unknown setting `{key}` (known: {})",
                    Self::KEYS.join(", ")
                ));
            }
        }
        let strings = |key: &str, x: &Value, problems: &mut Vec<String>| -> Option<Vec<String>> {
            let list: Option<Vec<String>> = x
                .as_array()
                .and_then(|a| a.iter().map(|s| s.as_str().map(str::to_owned)).collect());
            if list.is_none() {
                problems.push(format!("`{key}` must be a list of strings, not {x}"));
            }
            list
        };
        if let Some(x) = v.get("languageIds") {
            if let Some(ids) = strings("languageIds", x, &mut problems) {
                self.language_ids = ids;
            }
        }
        // `languages: ["ru"]` (as in apolint.toml) restricts to one pack's
        // language; both, or none, is auto.
        if let Some(x) = v.get("languages") {
            if let Some(langs) = strings("languages", x, &mut problems) {
                self.language = match langs.as_slice() {
                    [one] => one.parse().unwrap_or_else(|_| {
                        problems.push(format!("unknown language `{one}` (ru, en or auto)"));
                        LanguageChoice::Auto
                    }),
                    _ => LanguageChoice::Auto,
                };
            }
        }
        if let Some(x) = v.get("language") {
            // An unknown spelling is auto, as a client's typo should not
            // switch a language off; the user is told.
            match x.as_str() {
                Some(l) => {
                    self.language = l.parse().unwrap_or_else(|_| {
                        problems.push(format!("unknown language `{l}` (ru, en or auto)"));
                        LanguageChoice::Auto
                    });
                }
                None => problems.push(format!("`language` must be a string, not {x}")),
            }
        }
        if let Some(x) = v.get("situation") {
            // `auto` or an unknown spelling: inferred from the draft.
            match x.as_str() {
                Some(s) => {
                    self.situation = s.parse().ok();
                    if self.situation.is_none() && s != "auto" {
                        problems.push(format!(
                            "unknown situation `{s}` (complaint, neutral, positive or auto)"
                        ));
                    }
                }
                None => problems.push(format!("`situation` must be a string, not {x}")),
            }
        }
        if let Some(x) = v.get("customerName") {
            match x {
                Value::String(s) => {
                    self.customer_name = Some(s.clone()).filter(|s| !s.is_empty());
                }
                Value::Null => self.customer_name = None,
                _ => problems.push(format!("`customerName` must be a string, not {x}")),
            }
        }
        if let Some(x) = v.get("debounceMs") {
            match x.as_u64() {
                Some(ms) => self.debounce = Duration::from_millis(ms.min(5000)),
                None => problems.push(format!(
                    "`debounceMs` must be a whole number of milliseconds, not {x}"
                )),
            }
        }
        problems
    }
}

/// An open document.
struct Document {
    text: DocText,
    version: i32,
    language_id: String,
    /// Findings of the last check, for code actions and hover.
    findings: Vec<Finding>,
    /// The language of the last check: suggestions are introduced in it.
    language: Language,
    /// The config whose linter checked it (for "disable this rule").
    config: Option<PathBuf>,
    dirty: bool,
    /// Whether diagnostics were published for it (it was a draft then).
    linted: bool,
}

/// A linter built from one config file, valid while the file is unchanged.
struct CachedLinter {
    linter: Arc<Linter>,
    /// The files it was built from: the config, its rule folders and
    /// their rule files (a folder's time changes when a file is added or
    /// removed).
    watched: Vec<PathBuf>,
    /// Their modification times when it was built.
    stamp: Vec<Option<SystemTime>>,
    /// Why the config failed to load (the linter is then the fallback);
    /// shown again on every publish so the config's diagnostics stay up.
    errors: Vec<FileError>,
}

struct Server<'c> {
    conn: &'c Connection,
    encoding: Encoding,
    settings: Settings,
    docs: HashMap<Url, Document>,
    /// Linters by config path (`None`: no config, built-in rules).
    linters: HashMap<Option<PathBuf>, CachedLinter>,
    /// Files that currently show config or rule-file errors.
    config_diagnostics: HashSet<Url>,
    workspace_root: Option<PathBuf>,
    can_create_files: bool,
    next_request: i32,
}

impl<'c> Server<'c> {
    fn new(conn: &'c Connection, encoding: Encoding, init: &InitializeParams) -> Self {
        let workspace_root = init
            .workspace_folders
            .as_ref()
            .and_then(|f| f.first())
            .and_then(|f| f.uri.to_file_path().ok())
            .or_else(|| {
                #[allow(deprecated)]
                init.root_uri.as_ref().and_then(|u| u.to_file_path().ok())
            });
        let can_create_files = init
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.workspace_edit.as_ref())
            .and_then(|e| e.resource_operations.as_ref())
            .is_some_and(|ops| ops.contains(&lsp_types::ResourceOperationKind::Create));
        Server {
            conn,
            encoding,
            settings: Settings::default(),
            docs: HashMap::new(),
            linters: HashMap::new(),
            config_diagnostics: HashSet::new(),
            workspace_root,
            can_create_files,
            next_request: 0,
        }
    }

    /// Asks the client to report changes to apolint.toml files, if it can
    /// (the modification-time check covers clients that cannot).
    fn watch_config_files(&mut self, init: &InitializeParams) {
        let dynamic = init
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|d| d.dynamic_registration)
            .unwrap_or(false);
        if !dynamic {
            return;
        }
        self.next_request += 1;
        let params = json!({
            "registrations": [{
                "id": "apolint-config-watch",
                "method": notif::DidChangeWatchedFiles::METHOD,
                "registerOptions": { "watchers": [
                    { "globPattern": "**/apolint.toml" },
                    { "globPattern": "**/*.toml" }
                ]}
            }]
        });
        let request = Request::new(
            RequestId::from(format!("apolint-{}", self.next_request)),
            req::RegisterCapability::METHOD.to_owned(),
            params,
        );
        self.send(request.into());
    }

    fn send(&self, message: Message) {
        // The client has gone if this fails; the read loop ends next.
        let _ = self.conn.sender.send(message);
    }

    fn notify<N: lsp_types::notification::Notification>(&self, params: N::Params) {
        self.send(Notification::new(N::METHOD.to_owned(), params).into());
    }

    fn main_loop(&mut self) -> Result<(), LspError> {
        // After `shutdown`: requests are refused and only `exit` is awaited.
        let mut shutting_down = false;
        loop {
            let Ok(first) = self.conn.receiver.recv() else {
                return Ok(()); // client closed the stream
            };
            let mut batch = vec![first];
            batch.extend(self.conn.receiver.try_iter());
            if !self.settings.debounce.is_zero() {
                let deadline = Instant::now() + self.settings.debounce;
                while let Some(left) = deadline.checked_duration_since(Instant::now()) {
                    match self.conn.receiver.recv_timeout(left) {
                        Ok(m) => batch.push(m),
                        Err(_) => break,
                    }
                }
            }
            let cancelled: HashSet<RequestId> = batch
                .iter()
                .filter_map(|m| match m {
                    Message::Notification(n) if n.method == notif::Cancel::METHOD => {
                        serde_json::from_value::<lsp_types::CancelParams>(n.params.clone())
                            .ok()
                            .map(|p| match p.id {
                                NumberOrString::Number(n) => RequestId::from(n),
                                NumberOrString::String(s) => RequestId::from(s),
                            })
                    }
                    _ => None,
                })
                .collect();
            for message in batch {
                match message {
                    Message::Request(r) => {
                        if cancelled.contains(&r.id) {
                            self.send(
                                Response::new_err(
                                    r.id,
                                    ErrorCode::RequestCanceled as i32,
                                    "cancelled".into(),
                                )
                                .into(),
                            );
                            continue;
                        }
                        let refused = if shutting_down {
                            Some("the server is shutting down; only `exit` is expected")
                        } else if r.method == req::Initialize::METHOD {
                            Some("the server is already initialized")
                        } else {
                            None
                        };
                        if let Some(why) = refused {
                            self.send(
                                Response::new_err(
                                    r.id,
                                    ErrorCode::InvalidRequest as i32,
                                    why.into(),
                                )
                                .into(),
                            );
                        } else if r.method == req::Shutdown::METHOD {
                            self.send(Response::new_ok(r.id, Value::Null).into());
                            shutting_down = true;
                        } else {
                            self.on_request(r);
                        }
                    }
                    Message::Notification(n) if n.method == notif::Exit::METHOD => {
                        return if shutting_down {
                            Ok(())
                        } else {
                            Err(LspError::ExitWithoutShutdown)
                        };
                    }
                    Message::Notification(n) if n.method == framing::UNREADABLE_METHOD => {
                        answer_unreadable(&self.conn.sender, &n.params, true);
                    }
                    Message::Notification(_) if shutting_down => {}
                    Message::Notification(n) => self.on_notification(n),
                    Message::Response(_) => {} // replies to our registrations
                }
            }
            if !shutting_down {
                self.publish_dirty();
            }
        }
    }

    /// Tells the user which settings were not used, and why.
    fn settings_problems(&self, problems: &[String]) {
        if !problems.is_empty() {
            self.notify::<notif::ShowMessage>(lsp_types::ShowMessageParams {
                typ: lsp_types::MessageType::WARNING,
                message: format!("apolint: {}", problems.join("; ")),
            });
        }
    }

    /// A notification's parameters, or `None` after telling the user why
    /// they were ignored (a change with a negative position used to be
    /// dropped silently, leaving the document out of step).
    fn params<T: serde::de::DeserializeOwned>(&self, method: &str, params: Value) -> Option<T> {
        match serde_json::from_value(params) {
            Ok(p) => Some(p),
            Err(e) => {
                self.notify::<notif::ShowMessage>(lsp_types::ShowMessageParams {
                    typ: lsp_types::MessageType::ERROR,
                    message: format!(
                        "apolint: ignored {method} with invalid params ({e}); \
                         reopen the document if its diagnostics look wrong"
                    ),
                });
                None
            }
        }
    }

    fn on_notification(&mut self, n: Notification) {
        match n.method.as_str() {
            notif::DidOpenTextDocument::METHOD => {
                let Some(p) = self.params::<DidOpenTextDocumentParams>(&n.method, n.params) else {
                    return;
                };
                let d = p.text_document;
                self.docs.insert(
                    d.uri,
                    Document {
                        text: DocText::new(d.text),
                        version: d.version,
                        language_id: d.language_id,
                        findings: Vec::new(),
                        language: Language::Mixed,
                        config: None,
                        dirty: true,
                        linted: false,
                    },
                );
            }
            notif::DidChangeTextDocument::METHOD => {
                let Some(p) = self.params::<DidChangeTextDocumentParams>(&n.method, n.params)
                else {
                    return;
                };
                if let Some(doc) = self.docs.get_mut(&p.text_document.uri) {
                    for change in p.content_changes {
                        doc.text.apply(change, self.encoding);
                    }
                    doc.version = p.text_document.version;
                    doc.dirty = true;
                }
            }
            notif::DidCloseTextDocument::METHOD => {
                let Some(p) = self.params::<DidCloseTextDocumentParams>(&n.method, n.params) else {
                    return;
                };
                if self.docs.remove(&p.text_document.uri).is_some() {
                    self.notify::<notif::PublishDiagnostics>(PublishDiagnosticsParams {
                        uri: p.text_document.uri,
                        diagnostics: Vec::new(),
                        version: None,
                    });
                }
            }
            notif::DidSaveTextDocument::METHOD | notif::DidChangeWatchedFiles::METHOD => {
                // A saved or changed file may be a config or rule pack:
                // re-check everything (the linter cache reloads only what
                // actually changed on disk).
                if n.method == notif::DidChangeWatchedFiles::METHOD {
                    self.linters.clear();
                }
                self.docs.values_mut().for_each(|d| d.dirty = true);
            }
            notif::DidChangeConfiguration::METHOD => {
                if let Some(settings) = n.params.get("settings") {
                    let problems = self.settings.update(settings);
                    self.settings_problems(&problems);
                }
                self.docs.values_mut().for_each(|d| d.dirty = true);
            }
            _ => {}
        }
    }

    fn on_request(&mut self, r: Request) {
        let response = match r.method.as_str() {
            req::CodeActionRequest::METHOD => {
                match serde_json::from_value::<CodeActionParams>(r.params) {
                    Ok(p) => Response::new_ok(r.id, self.code_actions(&p)),
                    Err(e) => invalid_params(r.id, &e),
                }
            }
            req::HoverRequest::METHOD => match serde_json::from_value::<HoverParams>(r.params) {
                Ok(p) => Response::new_ok(r.id, self.hover(&p)),
                Err(e) => invalid_params(r.id, &e),
            },
            _ => Response::new_err(
                r.id,
                ErrorCode::MethodNotFound as i32,
                format!("apolint does not handle {}", r.method),
            ),
        };
        self.send(response.into());
    }

    /// Whether a document is a draft to lint.
    fn lints(&self, doc: &Document) -> bool {
        self.settings
            .language_ids
            .iter()
            .any(|l| l.eq_ignore_ascii_case(&doc.language_id))
    }

    /// Checks and publishes every document changed since the last publish.
    fn publish_dirty(&mut self) {
        let dirty: Vec<Url> = self
            .docs
            .iter()
            .filter(|(_, d)| d.dirty)
            .map(|(u, _)| u.clone())
            .collect();
        if dirty.is_empty() {
            return;
        }
        let mut config_errors: Vec<FileError> = Vec::new();
        for uri in dirty {
            if let Some(diagnostics) = self.check(&uri, &mut config_errors) {
                let version = self.docs.get(&uri).map(|d| d.version);
                self.notify::<notif::PublishDiagnostics>(PublishDiagnosticsParams {
                    uri,
                    diagnostics,
                    version,
                });
            }
        }
        self.publish_config_errors(&config_errors);
    }

    /// Checks one document; `None` when it is not a draft. A document
    /// that stopped being one (its language id switched off in the
    /// settings) gets an empty list once, so its old diagnostics go.
    fn check(&mut self, uri: &Url, config_errors: &mut Vec<FileError>) -> Option<Vec<Diagnostic>> {
        let doc = self.docs.get(uri)?;
        if !self.lints(doc) {
            let d = self.docs.get_mut(uri)?;
            d.dirty = false;
            let had = d.linted;
            d.linted = false;
            d.findings.clear();
            return had.then(Vec::new);
        }
        let path = uri.to_file_path().ok();
        let config_path = Config::discover_for(path.as_deref(), self.workspace_root.as_deref());
        let linter = self.linter(config_path.clone(), config_errors);
        let doc = self.docs.get_mut(uri)?;
        let format = match doc.language_id.as_str() {
            "markdown" => Some(InputFormat::Markdown),
            "html" => Some(InputFormat::Html),
            "plaintext" | "text" | "mail" | "email" => Some(InputFormat::Plain),
            _ => path.as_deref().and_then(InputFormat::from_path),
        };
        let options = CheckOptions {
            format,
            language: self.settings.language,
            customer_name: self.settings.customer_name.clone(),
            situation: self.settings.situation,
            suggestions_in_rule_order: false,
        };
        let report = linter.check(doc.text.as_str(), &options);
        let mut diagnostics = diagnostics(&doc.text, &report, self.encoding);
        if linter.structure_config().editor {
            diagnostics.extend(structure_note(&doc.text, &report, self.encoding));
        }
        doc.findings = report.findings;
        doc.language = report.language;
        doc.config = config_path;
        doc.dirty = false;
        doc.linted = true;
        Some(diagnostics)
    }

    /// The linter for a config file, rebuilt when the file, one of its
    /// rule folders or one of their rule files changes (a team editing its
    /// pack sees the edit at the next check, as the command line would).
    /// A config that fails to load adds its errors and falls back to the
    /// built-in rules.
    fn linter(&mut self, config: Option<PathBuf>, errors: &mut Vec<FileError>) -> Arc<Linter> {
        if let Some(cached) = self.linters.get(&config) {
            if modified_times(&cached.watched) == cached.stamp {
                errors.extend(cached.errors.iter().cloned());
                return Arc::clone(&cached.linter);
            }
        }
        let loaded = config.as_deref().map(Config::load).transpose();
        let mut watched: Vec<PathBuf> = config.iter().cloned().collect();
        if let Ok(Some(c)) = &loaded {
            for dir in &c.rule_dirs {
                watched.push(dir.clone());
                watched.extend(apolint_core::rules::book::rule_files(dir).unwrap_or_default());
            }
        }
        let stamp = modified_times(&watched);
        let built = match loaded {
            Ok(Some(c)) => Linter::with_config(&c),
            Ok(None) => Linter::builtin(),
            Err(e) => Err(e),
        };
        let mut failed = Vec::new();
        let linter = match built {
            Ok(l) => Arc::new(l),
            Err(e) => {
                failed = e;
                match self.linters.get(&None) {
                    Some(c) => Arc::clone(&c.linter),
                    None => match Linter::builtin() {
                        Ok(l) => Arc::new(l),
                        // The built-in packs are validated at build time.
                        Err(_) => Arc::new(Linter::from_book(
                            apolint_core::RuleBook::default(),
                            apolint_core::FailOn::Warning,
                        )),
                    },
                }
            }
        };
        errors.extend(failed.iter().cloned());
        self.linters.insert(
            config,
            CachedLinter {
                linter: Arc::clone(&linter),
                watched,
                stamp,
                errors: failed,
            },
        );
        linter
    }

    /// Shows config and rule-file errors on those files, and clears files
    /// whose errors are gone.
    fn publish_config_errors(&mut self, errors: &[FileError]) {
        let mut by_file: HashMap<Url, Vec<Diagnostic>> = HashMap::new();
        for e in errors {
            let Ok(uri) = Url::from_file_path(
                Path::new(&e.file)
                    .canonicalize()
                    .unwrap_or_else(|_| PathBuf::from(&e.file)),
            ) else {
                continue;
            };
            let text = DocText::new(e.text.to_string());
            let mut message = e.message.clone();
            if let Some(h) = &e.help {
                message.push('\n');
                message.push_str(h);
            }
            by_file.entry(uri).or_default().push(Diagnostic {
                range: text.range(e.range.start, e.range.end, self.encoding),
                severity: Some(DiagnosticSeverity::ERROR),
                source: Some("apolint".into()),
                message,
                ..Default::default()
            });
        }
        let now: HashSet<Url> = by_file.keys().cloned().collect();
        let fixed: Vec<Url> = self.config_diagnostics.difference(&now).cloned().collect();
        for uri in fixed {
            self.notify::<notif::PublishDiagnostics>(PublishDiagnosticsParams {
                uri,
                diagnostics: Vec::new(),
                version: None,
            });
        }
        for (uri, diagnostics) in by_file {
            self.notify::<notif::PublishDiagnostics>(PublishDiagnosticsParams {
                uri,
                diagnostics,
                version: None,
            });
        }
        self.config_diagnostics = now;
    }

    /// Brings a document's findings up to date before a request uses them.
    fn refresh(&mut self, uri: &Url) {
        if self.docs.get(uri).is_some_and(|d| d.dirty) {
            self.publish_dirty();
        }
    }

    fn code_actions(&mut self, p: &CodeActionParams) -> Vec<CodeActionOrCommand> {
        let uri = p.text_document.uri.clone();
        let encoding = self.encoding;
        let root = self.workspace_root.clone();
        let can_create = self.can_create_files;
        self.refresh(&uri);
        let Some(doc) = self.docs.get(&uri) else {
            return Vec::new();
        };
        let want = doc.text.offset(p.range.start, encoding)..doc.text.offset(p.range.end, encoding);
        let mut actions = Vec::new();
        let mut disabled: BTreeSet<&str> = BTreeSet::new();
        for f in &doc.findings {
            // Findings touching the requested range (a cursor is an empty
            // range, so touching counts).
            if f.span.start > want.end || f.span.end < want.start {
                continue;
            }
            let diag = diagnostic(
                doc.text.range(f.span.start, f.span.end, encoding),
                f,
                output::example_label(f, doc.language),
            );
            if let Some(fix) = &f.fix {
                let edit = TextEdit::new(diag.range, fix.clone());
                let title = if fix.is_empty() {
                    "apolint: delete".to_owned()
                } else {
                    format!("apolint: replace with «{fix}»")
                };
                actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                    title,
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![diag.clone()]),
                    edit: Some(WorkspaceEdit {
                        changes: Some(HashMap::from([(uri.clone(), vec![edit])])),
                        ..Default::default()
                    }),
                    is_preferred: Some(true),
                    ..Default::default()
                }));
            }
            if disabled.insert(&f.rule) {
                let target = doc.config.clone().or_else(|| {
                    let base = root
                        .clone()
                        .or_else(|| uri.to_file_path().ok()?.parent().map(Path::to_path_buf))?;
                    Some(base.join(apolint_core::config::FILE_NAME))
                });
                let edit = target.and_then(|t| {
                    let open = Url::from_file_path(&t)
                        .ok()
                        .and_then(|u| self.docs.get(&u))
                        .map(|d| d.text.as_str());
                    disable_rule_edit(&t, open, &f.rule, can_create, encoding)
                });
                if let Some(edit) = edit {
                    actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                        title: format!("apolint: disable rule {} in apolint.toml", f.rule),
                        kind: Some(CodeActionKind::QUICKFIX),
                        diagnostics: Some(vec![diag]),
                        edit: Some(edit),
                        ..Default::default()
                    }));
                }
            }
        }
        actions
    }

    fn hover(&mut self, p: &HoverParams) -> Option<Hover> {
        let uri = p.text_document_position_params.text_document.uri.clone();
        let pos = p.text_document_position_params.position;
        let encoding = self.encoding;
        self.refresh(&uri);
        let doc = self.docs.get(&uri)?;
        let at = doc.text.offset(pos, encoding);
        let mut found: Vec<&Finding> = doc
            .findings
            .iter()
            .filter(|f| f.span.start <= at && at < f.span.end.max(f.span.start + 1))
            .collect();
        // Narrowest first: the phrase under the cursor before a finding
        // about the whole draft.
        found.sort_by_key(|f| f.span.end - f.span.start);
        let first = found.first()?;
        let config = doc.config.clone();
        let linter = self.linters.get(&config).map(|c| Arc::clone(&c.linter))?;
        let mut md = String::new();
        for f in &found {
            let Some(rule) = linter.rules().iter().find(|r| r.id == f.rule) else {
                continue;
            };
            md.push_str(&format!(
                "**{}** · `{}` · {} · {}\n\n",
                f.message, rule.id, rule.category, rule.severity
            ));
            if let Some(fix) = &f.fix {
                md.push_str(&format!("Fix: «{fix}»\n\n"));
            }
            md.push_str(&output::explain(rule, DocStyle::Markdown));
            md.push_str("\n---\n");
        }
        Some(Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: md,
            }),
            range: Some(doc.text.range(first.span.start, first.span.end, encoding)),
        })
    }
}

fn invalid_params(id: RequestId, e: &serde_json::Error) -> Response {
    Response::new_err(
        id,
        ErrorCode::InvalidParams as i32,
        format!("invalid params: {e}"),
    )
}

/// Most diagnostics published for one document: the linter's own cap on
/// findings per draft (beyond it an editor slows down and nobody reads
/// them); the rest are summarised in one note.
const MAX_DIAGNOSTICS: usize = apolint_core::MAX_FINDINGS;

/// A document's findings as diagnostics, positions computed in one sweep.
/// The report's `omitted` findings (past the linter's cap) are counted in
/// the closing note.
fn diagnostics(text: &DocText, report: &Report, encoding: Encoding) -> Vec<Diagnostic> {
    let (findings, omitted) = (&report.findings, report.omitted);
    let shown = &findings[..findings.len().min(MAX_DIAGNOSTICS)];
    let offsets: Vec<usize> = shown
        .iter()
        .flat_map(|f| [f.span.start, f.span.end])
        .collect();
    let positions = text.positions(&offsets, encoding);
    let mut out: Vec<Diagnostic> = shown
        .iter()
        .zip(positions.chunks(2))
        .map(|(f, p)| {
            let example = output::example_label(f, report.language);
            diagnostic(Range::new(p[0], p[1]), f, example)
        })
        .collect();
    let hidden = findings.len() - shown.len() + omitted;
    if hidden > 0 {
        let at = findings.get(shown.len()).map_or(0, |f| f.span.start);
        out.push(Diagnostic {
            range: text.range(at, at, encoding),
            severity: Some(DiagnosticSeverity::INFORMATION),
            source: Some("apolint".into()),
            message: format!(
                "{hidden} more findings in this document are not shown (at most {MAX_DIAGNOSTICS})"
            ),
            ..Default::default()
        });
    }
    out
}

/// The structure checklist as one information diagnostic at the draft's
/// start, only when an expected part is missing (a complete reply gets no
/// note): "Structure 55/100: no acknowledgement, no deadline".
/// `[structure] editor = false` switches it off.
fn structure_note(text: &DocText, report: &Report, encoding: Encoding) -> Option<Diagnostic> {
    let s = report.structure.as_ref()?;
    let missing: Vec<&str> = s.missing().map(|p| p.name()).collect();
    if missing.is_empty() {
        return None;
    }
    Some(Diagnostic {
        range: text.range(0, 0, encoding),
        severity: Some(DiagnosticSeverity::INFORMATION),
        code: Some(NumberOrString::String("structure".into())),
        source: Some("apolint".into()),
        message: format!(
            "Structure {}/100: missing {} (switch off: [structure] editor = false)",
            s.score,
            missing.join(", ")
        ),
        data: Some(json!({ "structure": s })),
        ..Default::default()
    })
}

/// A finding as an LSP diagnostic: rule id as the code, category and fix
/// in `data` for clients that want them.
fn diagnostic(range: Range, f: &Finding, example: &str) -> Diagnostic {
    let severity = match f.severity {
        apolint_core::Severity::Error => DiagnosticSeverity::ERROR,
        apolint_core::Severity::Warning => DiagnosticSeverity::WARNING,
        apolint_core::Severity::Info => DiagnosticSeverity::INFORMATION,
    };
    let mut message = format!("{} [{}]", f.message, f.category);
    if let Some(s) = f.suggestions.first() {
        message.push_str(&format!("\n{example} {s}"));
    }
    Diagnostic {
        range,
        severity: Some(severity),
        code: Some(NumberOrString::String(f.rule.to_string())),
        source: Some("apolint".into()),
        message,
        data: Some(json!({ "category": f.category.name(), "fix": f.fix })),
        ..Default::default()
    }
}

/// A workspace edit adding `rule` to `[rules] disable` in the config at
/// `path` (created if missing and the client can create files). `None`
/// when the existing file is not valid TOML (its own diagnostics say why).
fn disable_rule_edit(
    path: &Path,
    open_text: Option<&str>,
    rule: &str,
    can_create: bool,
    encoding: Encoding,
) -> Option<WorkspaceEdit> {
    let existing = open_text
        .map(str::to_owned)
        .or_else(|| std::fs::read_to_string(path).ok());
    let mut doc: toml_edit::DocumentMut = existing.as_deref().unwrap_or("").parse().ok()?;
    let rules = doc
        .entry("rules")
        .or_insert_with(|| toml_edit::Item::Table(toml_edit::Table::new()))
        .as_table_like_mut()?;
    let disable = rules
        .entry("disable")
        .or_insert(toml_edit::value(toml_edit::Array::new()))
        .as_array_mut()?;
    if disable.iter().any(|v| v.as_str() == Some(rule)) {
        return None;
    }
    disable.push(rule);
    let new_text = doc.to_string();
    let uri = Url::from_file_path(path).ok()?;
    match existing {
        Some(old) => {
            let end = DocText::new(old).position(usize::MAX, encoding);
            Some(WorkspaceEdit {
                changes: Some(HashMap::from([(
                    uri,
                    vec![TextEdit::new(
                        Range::new(Position::new(0, 0), end),
                        new_text,
                    )],
                )])),
                ..Default::default()
            })
        }
        None if can_create => Some(WorkspaceEdit {
            document_changes: Some(DocumentChanges::Operations(vec![
                DocumentChangeOperation::Op(ResourceOp::Create(CreateFile {
                    uri: uri.clone(),
                    options: Some(CreateFileOptions {
                        overwrite: Some(false),
                        ignore_if_exists: Some(true),
                    }),
                    annotation_id: None,
                })),
                DocumentChangeOperation::Edit(TextDocumentEdit {
                    text_document: OptionalVersionedTextDocumentIdentifier { uri, version: None },
                    edits: vec![OneOf::Left(TextEdit::new(
                        Range::new(Position::new(0, 0), Position::new(0, 0)),
                        new_text,
                    ))],
                }),
            ])),
            ..Default::default()
        }),
        None => None,
    }
}

/// The modification times of `files` (`None` for one that is gone).
fn modified_times(files: &[PathBuf]) -> Vec<Option<SystemTime>> {
    files
        .iter()
        .map(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
        .collect()
}
