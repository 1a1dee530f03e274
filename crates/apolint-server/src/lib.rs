//! `apolint serve`: the pre-send hook as an HTTP service (axum on tokio).
//!
//! A whole support floor shares one instance, so every request is bounded:
//! body size (413), time (408), concurrency (503 at once rather than an
//! unbounded queue), batch length (400). Errors are JSON that names the
//! field. Draft texts hold customer data and are never logged unless
//! `--log-drafts` is given. SIGTERM (or Ctrl-C) stops accepting and lets
//! in-flight requests finish.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
// Handlers return `Result<_, Response>` so that an error is an early
// `return` of the finished reply (axum's idiom); the size is irrelevant
// next to a network round trip.
#![allow(clippy::result_large_err)]

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncRead;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use http_body_util::BodyExt;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use serde_json::Value;
use tokio::sync::Semaphore;
use tower_http::cors::{AllowOrigin, CorsLayer};

use apolint_core::request::{Answer, ErrorAnswer, RequestDefaults};
use apolint_core::{CheckRequest, Linter, RequestError};
use serde::Serialize;

/// The playground page: one self-contained file, no external assets.
const PLAYGROUND: &str = include_str!("playground.html");

/// Drafts larger than this are checked on the blocking pool so that one
/// huge draft cannot stall the request threads.
const INLINE_CHECK_BYTES: usize = 64 * 1024;

/// How the service runs: limits, access control, logging. The command
/// line's `apolint serve` flags map onto this one to one.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Address to listen on (port 0: any free port, printed at start).
    pub listen: SocketAddr,
    /// Largest request body accepted, in bytes (larger: 413).
    pub max_body: usize,
    /// Most drafts in one /v1/check/batch request.
    pub max_batch: usize,
    /// Time limit per request, body upload included (exceeded: 408).
    pub timeout_ms: u64,
    /// Requests handled at once; more get 503 straight away.
    pub max_concurrent: usize,
    /// Browser origins allowed to call the API (CORS); `*` for any. None:
    /// same-origin only.
    pub cors_origins: Vec<String>,
    /// The bearer token every API request must carry (`None`: no auth).
    pub token: Option<String>,
    /// Write draft texts into the access log (they hold customer data).
    pub log_drafts: bool,
    /// One access log line per request.
    pub access_log: bool,
    /// Worker threads (`None`: one per core).
    pub workers: Option<usize>,
    /// Time a connection may take to send a request's headers, and may sit
    /// idle between requests; then it is closed.
    pub header_timeout_ms: u64,
    /// Connections open at once; more wait in the listen queue.
    pub max_connections: usize,
    /// On SIGTERM, how long in-flight and already queued requests may
    /// take before the process exits anyway.
    pub drain_ms: u64,
    /// Which configuration the linter was built from, for the start-up
    /// line ("config /srv/apolint.toml"; empty: not said).
    pub config: String,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 8787)),
            max_body: 1 << 20,
            max_batch: 100,
            timeout_ms: 10_000,
            max_concurrent: 1024,
            cors_origins: Vec::new(),
            token: None,
            log_drafts: false,
            access_log: true,
            workers: None,
            header_timeout_ms: 10_000,
            max_connections: 768,
            drain_ms: 10_000,
            config: String::new(),
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    endpoint: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointLabels {
    endpoint: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CategoryLabels {
    category: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VerdictLabels {
    verdict: &'static str,
}

struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<EndpointLabels, Histogram>,
    findings: Family<CategoryLabels, Counter>,
    verdicts: Family<VerdictLabels, Counter>,
}

impl Metrics {
    fn new() -> Metrics {
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<EndpointLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1.0,
            ])
        });
        let findings = Family::<CategoryLabels, Counter>::default();
        let verdicts = Family::<VerdictLabels, Counter>::default();
        let mut registry = Registry::with_prefix("apolint");
        registry.register(
            "requests",
            "HTTP requests by endpoint and status",
            requests.clone(),
        );
        registry.register(
            "request_duration_seconds",
            "Time from request to response, body upload included",
            latency.clone(),
        );
        registry.register(
            "findings",
            "Findings reported, by category",
            findings.clone(),
        );
        registry.register("verdicts", "Verdicts given", verdicts.clone());
        Metrics {
            registry,
            requests,
            latency,
            findings,
            verdicts,
        }
    }
}

struct AppState {
    linter: Linter,
    token: Option<String>,
    max_body: usize,
    max_batch: usize,
    timeout: Duration,
    permits: Arc<Semaphore>,
    log_drafts: bool,
    access_log: bool,
    metrics: Metrics,
}

type Shared = Arc<AppState>;

/// Why the service could not start or stopped with an error.
#[derive(Debug)]
pub enum ServeError {
    /// The async runtime could not be started.
    Runtime(std::io::Error),
    /// The address could not be bound.
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the system said.
        source: std::io::Error,
    },
    /// Accepting or serving connections failed.
    Serve(std::io::Error),
    /// A `--cors-origin` is not a valid header value.
    CorsOrigin(String),
    /// The token file could not be read.
    TokenFile {
        /// The file.
        path: std::path::PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The token (from the file or `APOLINT_TOKEN`) is empty.
    EmptyToken,
}

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServeError::Runtime(e) => write!(f, "cannot start the runtime: {e}"),
            ServeError::Bind { addr, source } => {
                write!(f, "cannot listen on {addr}: {source}")?;
                if source.kind() == std::io::ErrorKind::AddrInUse {
                    f.write_str(" (another program, or another apolint serve, has that port: stop it, or pick another with --listen HOST:PORT; port 0 takes any free one)")?;
                }
                Ok(())
            }
            ServeError::Serve(e) => write!(f, "server error: {e}"),
            ServeError::CorsOrigin(o) => write!(f, "invalid --cors-origin {o:?}"),
            ServeError::TokenFile { path, source } => {
                write!(f, "cannot read token file {}: {source}", path.display())
            }
            ServeError::EmptyToken => f.write_str(
                "the bearer token is empty; put a secret in the token file or APOLINT_TOKEN",
            ),
        }
    }
}

impl std::error::Error for ServeError {}

/// Runs the service until SIGTERM or Ctrl-C.
///
/// Connections are served one hyper HTTP/1 connection each, so that every
/// one is bounded: the time to send headers (and to idle between
/// requests), the number open at once (`max_connections`; beyond it the
/// kernel's listen queue holds them), and an unread request body is
/// drained for a moment after the answer so the client reads the answer
/// instead of a reset (see `LingeringClose`). On SIGTERM the listener
/// stops, connections already queued are still accepted and answered,
/// in-flight requests finish, and after `drain_ms` the process exits
/// regardless.
pub fn run(options: ServeOptions, linter: Linter) -> Result<(), ServeError> {
    let workers = options
        .workers
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(2)
        .max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .map_err(ServeError::Runtime)?;
    let rules = linter.rules().len();
    let auth = if options.token.is_some() { "on" } else { "off" };
    let result = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(options.listen)
            .await
            .map_err(|source| ServeError::Bind {
                addr: options.listen,
                source,
            })?;
        let local = listener.local_addr().map_err(ServeError::Serve)?;
        let config = if options.config.is_empty() {
            String::new()
        } else {
            format!("{}, ", options.config)
        };
        log_line(format_args!(
            "apolint serve: listening on http://{local} ({rules} rules, {config}auth {auth}, {workers} worker{})",
            if workers == 1 { "" } else { "s" }
        ));
        let app = router(&options, linter)?;
        serve_connections(listener, app, &options).await;
        Ok(())
    });
    // Connections still open past the drain deadline are cut here; the
    // blocking pool is not waited for.
    runtime.shutdown_timeout(Duration::from_millis(100));
    result
}

/// Accepts and serves connections until SIGTERM or Ctrl-C, then drains.
async fn serve_connections(listener: tokio::net::TcpListener, app: Router, options: &ServeOptions) {
    let limits = ConnLimits {
        header_timeout: Duration::from_millis(options.header_timeout_ms.max(1)),
    };
    let max_connections = options.max_connections.clamp(1, u32::MAX as usize >> 3);
    let slots = Arc::new(Semaphore::new(max_connections));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            biased;
            () = &mut shutdown => break,
            s = Arc::clone(&slots).acquire_owned() => match s {
                Ok(s) => s,
                Err(_) => break,
            },
        };
        let accepted = tokio::select! {
            biased;
            () = &mut shutdown => break,
            a = listener.accept() => a,
        };
        match accepted {
            Ok((stream, _)) => {
                tokio::spawn(serve_connection(
                    stream,
                    app.clone(),
                    limits,
                    true,
                    stop_rx.clone(),
                    slot,
                ));
            }
            Err(e) => {
                // Out of file descriptors and the like: say so, let the
                // open connections finish, try again (never a busy loop).
                log_line(format_args!("apolint serve: accept failed: {e}"));
                drop(slot);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    // Idle keep-alive connections close; busy ones finish their request.
    let _ = stop_tx.send(true);
    // Connections the kernel completed before the listener closes are
    // still answered (one request each): closing the listener with them
    // queued would reset requests their clients already sent.
    let mut queued = 0usize;
    if let Ok(std_listener) = listener.into_std() {
        while let Ok((stream, _)) = std_listener.accept() {
            let Ok(stream) = stream
                .set_nonblocking(true)
                .and_then(|()| tokio::net::TcpStream::from_std(stream))
            else {
                continue;
            };
            queued += 1;
            // Past the cap these wait for a slot like any other.
            let slot = Arc::clone(&slots).acquire_owned().await;
            if let Ok(slot) = slot {
                tokio::spawn(serve_connection(
                    stream,
                    app.clone(),
                    limits,
                    false,
                    stop_rx.clone(),
                    slot,
                ));
            }
        }
        drop(std_listener);
    }
    let in_use = max_connections - slots.available_permits();
    log_line(format_args!(
        "apolint serve: shutting down, finishing {in_use} connections ({queued} queued at the signal)"
    ));
    let drain = Duration::from_millis(options.drain_ms.max(1));
    let all = u32::try_from(max_connections).unwrap_or(u32::MAX);
    let finished = tokio::time::timeout(drain, slots.acquire_many(all))
        .await
        .is_ok();
    match finished {
        true => log_line(format_args!(
            "apolint serve: stopped; in-flight requests finished"
        )),
        false => log_line(format_args!(
            "apolint serve: stopped after {} ms with {} connections still open (raise --drain-ms to wait longer)",
            drain.as_millis(),
            max_connections - slots.available_permits()
        )),
    }
}

/// Per-connection limits.
#[derive(Debug, Clone, Copy)]
struct ConnLimits {
    header_timeout: Duration,
}

/// Serves one connection; `slot` is its place under `max_connections`.
async fn serve_connection(
    stream: tokio::net::TcpStream,
    app: Router,
    limits: ConnLimits,
    keep_alive: bool,
    mut stop: tokio::sync::watch::Receiver<bool>,
    slot: tokio::sync::OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    let asked = Arc::new(Requests::default());
    let io = hyper_util::rt::TokioIo::new(LingeringClose::new(stream, Arc::clone(&asked)));
    let service = Watched {
        inner: hyper_util::service::TowerToHyperService::new(app),
        asked: Arc::clone(&asked),
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(keep_alive);
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    let stopping = *stop.borrow();
    if stopping {
        // Accepted during the drain: its one request is answered (keep-
        // alive is off), bounded by the header timeout.
        let _ = conn.as_mut().await;
    } else {
        tokio::select! {
            _ = conn.as_mut() => {}
            _ = stop.changed() => {
                // A client that connected before the signal may be sending
                // its first request right now, and one on a kept-alive
                // connection its next (bytes of it were read since the
                // last answer): it is answered (bounded by the header
                // timeout), not closed as idle. A request being handled is
                // finished by hyper itself, and an idle connection closes
                // at once.
                use std::sync::atomic::Ordering;
                let begun = asked.begun.load(Ordering::Acquire);
                let between_requests = begun == asked.answered.load(Ordering::Acquire);
                if begun == 0 || (between_requests && asked.reading.load(Ordering::Acquire)) {
                    let waited = tokio::time::sleep(limits.header_timeout);
                    tokio::pin!(waited);
                    loop {
                        tokio::select! {
                            _ = conn.as_mut() => {
                                drop(slot);
                                return;
                            }
                            // A permit stored by an earlier request may
                            // wake this at once: the count decides.
                            () = asked.notify.notified() => {
                                if asked.begun.load(Ordering::Acquire) > begun {
                                    break;
                                }
                            }
                            () = &mut waited => break,
                        }
                    }
                }
                conn.as_mut().graceful_shutdown();
                let _ = conn.as_mut().await;
            }
        }
    }
    drop(slot);
}

/// What a connection's requests have come to, for a graceful stop.
#[derive(Default)]
struct Requests {
    /// Requests begun (their head read) on the connection.
    begun: std::sync::atomic::AtomicUsize,
    /// Requests answered (their response made; hyper writes it).
    answered: std::sync::atomic::AtomicUsize,
    /// Whether bytes were read since the last answer: between requests,
    /// the client is sending its next, possibly not yet a whole head.
    /// (Bytes of a pipelined request read before the answer to the one
    /// before was made are not seen so.)
    reading: std::sync::atomic::AtomicBool,
    /// Signalled (a stored permit if nobody waits yet) on each request.
    notify: tokio::sync::Notify,
}

/// The service of one connection, noting when a request begins.
struct Watched<S> {
    inner: S,
    asked: Arc<Requests>,
}

impl<S, R> hyper::service::Service<R> for Watched<S>
where
    S: hyper::service::Service<R>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn call(&self, request: R) -> Self::Future {
        use std::sync::atomic::Ordering;
        self.asked.begun.fetch_add(1, Ordering::Release);
        self.asked.notify.notify_one();
        let answer = self.inner.call(request);
        let asked = Arc::clone(&self.asked);
        Box::pin(async move {
            let response = answer.await;
            asked.reading.store(false, Ordering::Release);
            asked.answered.fetch_add(1, Ordering::Release);
            response
        })
    }
}

/// Most request bytes read and thrown away after the answer when a client
/// is still sending a body the service did not read (an over-size upload
/// refused on its `Content-Length`).
const LINGER_BYTES: usize = 64 << 20;
/// The most time spent doing so.
const LINGER_TIME: Duration = Duration::from_secs(5);

/// A TCP stream whose shutdown is graceful: after the answer is written
/// and the sending side shut, whatever the client still sends is read and
/// dropped (bounded in bytes and time) until it closes too. Closing a
/// socket with unread data makes the kernel send a reset, which destroys
/// the answer (a 413) before a client that writes its whole body first
/// (Python's urllib, some proxies) ever reads it.
struct LingeringClose {
    inner: tokio::net::TcpStream,
    /// Bytes drained so far, once the sending side is shut.
    drained: usize,
    /// When the draining gives up.
    deadline: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
    write_shut: bool,
    /// Told when request bytes are read.
    requests: Arc<Requests>,
}

impl LingeringClose {
    fn new(inner: tokio::net::TcpStream, requests: Arc<Requests>) -> Self {
        LingeringClose {
            inner,
            drained: 0,
            deadline: None,
            write_shut: false,
            requests,
        }
    }

    /// Notes that request bytes were read.
    fn read_some(&self) {
        self.requests
            .reading
            .store(true, std::sync::atomic::Ordering::Release);
    }
}

impl tokio::io::AsyncRead for LingeringClose {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let read = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.read_some();
        }
        read
    }
}

impl tokio::io::AsyncWrite for LingeringClose {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        use std::task::Poll;
        let this = &mut *self;
        if !this.write_shut {
            match std::pin::Pin::new(&mut this.inner).poll_shutdown(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(_)) => return Poll::Ready(Ok(())),
                Poll::Ready(Ok(())) => this.write_shut = true,
            }
        }
        let deadline = this
            .deadline
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(LINGER_TIME)));
        if deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Ok(()));
        }
        let mut scratch = [0u8; 16 * 1024];
        loop {
            let mut buf = tokio::io::ReadBuf::new(&mut scratch);
            match std::pin::Pin::new(&mut this.inner).poll_read(cx, &mut buf) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(_)) => return Poll::Ready(Ok(())),
                Poll::Ready(Ok(())) => {
                    let n = buf.filled().len();
                    this.drained += n;
                    if n == 0 || this.drained >= LINGER_BYTES {
                        return Poll::Ready(Ok(()));
                    }
                }
            }
        }
    }
}

/// Writes one line to stderr, ignoring failure: the log must never take
/// the service down (`eprintln!` panics when stderr is a closed pipe, as
/// in `apolint serve 2>&1 | head -1`, and every request after it died).
fn log_line(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{args}");
}

/// The bearer token from a file, or else from the `APOLINT_TOKEN`
/// environment variable (never from the command line: arguments are
/// visible to every user of the machine). `None`: no auth.
pub fn read_token(file: Option<&Path>) -> Result<Option<String>, ServeError> {
    let token = match file {
        Some(p) => Some(
            std::fs::read_to_string(p).map_err(|source| ServeError::TokenFile {
                path: p.to_path_buf(),
                source,
            })?,
        ),
        None => std::env::var("APOLINT_TOKEN").ok(),
    };
    match token.map(|t| t.trim().to_owned()) {
        Some(t) if t.is_empty() => Err(ServeError::EmptyToken),
        Some(t) => Ok(Some(t)),
        None => Ok(None),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// The service's routes, with every limit and the auth of `options`
/// (`listen` and `workers` aside): what [`run`] serves, and what tests
/// drive in-process.
pub fn router(options: &ServeOptions, linter: Linter) -> Result<Router, ServeError> {
    let state = Arc::new(AppState {
        linter,
        token: options.token.clone(),
        max_body: options.max_body,
        max_batch: options.max_batch.max(1),
        timeout: Duration::from_millis(options.timeout_ms.max(1)),
        permits: Arc::new(Semaphore::new(options.max_concurrent.max(1))),
        log_drafts: options.log_drafts,
        access_log: options.access_log,
        metrics: Metrics::new(),
    });
    let cors_origins = &options.cors_origins;
    let api = Router::new()
        .route("/v1/check", post(check))
        .route("/v1/check/batch", post(check_batch))
        .route("/v1/rules", get(rules))
        .route("/metrics", get(metrics))
        .route_layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            authorize,
        ));
    let mut app = Router::new()
        .route("/", get(playground))
        .route("/healthz", get(healthz))
        .merge(api)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(Arc::clone(&state), guard))
        .with_state(state);
    if !cors_origins.is_empty() {
        let origins = if cors_origins.iter().any(|o| o == "*") {
            AllowOrigin::any()
        } else {
            let list = cors_origins
                .iter()
                .map(|o| HeaderValue::from_str(o).map_err(|_| ServeError::CorsOrigin(o.clone())))
                .collect::<Result<Vec<_>, _>>()?;
            AllowOrigin::list(list)
        };
        app = app.layer(
            CorsLayer::new()
                .allow_origin(origins)
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION])
                .max_age(Duration::from_secs(600)),
        );
    }
    Ok(app)
}

/// A JSON error response.
fn error(status: StatusCode, message: impl Into<String>, field: Option<String>) -> Response {
    let body = ErrorAnswer {
        error: message.into(),
        field,
        ..ErrorAnswer::default()
    };
    (status, axum::Json(body)).into_response()
}

fn bad_request(e: &RequestError) -> Response {
    (StatusCode::BAD_REQUEST, axum::Json(ErrorAnswer::from(e))).into_response()
}

/// Outermost layer for every route: concurrency permit (503 when none is
/// free), time limit (408), metrics and the access log.
async fn guard(State(state): State<Shared>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    // Known paths only: a label per arbitrary path would let any client
    // grow the metrics without bound.
    let endpoint: &'static str = match request.uri().path() {
        "/" => "/",
        "/healthz" => "/healthz",
        "/metrics" => "/metrics",
        "/v1/check" => "/v1/check",
        "/v1/check/batch" => "/v1/check/batch",
        "/v1/rules" => "/v1/rules",
        _ => "other",
    };
    let method = request.method().clone();
    // The health check never waits for or takes a permit: a saturated
    // service is alive, and probes must not add to the saturation.
    let response = if endpoint == "/healthz" {
        next.run(request).await
    } else {
        limited(&state, request, next).await
    };
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    state
        .metrics
        .requests
        .get_or_create(&RequestLabels { endpoint, status })
        .inc();
    state
        .metrics
        .latency
        .get_or_create(&EndpointLabels { endpoint })
        .observe(elapsed.as_secs_f64());
    if state.access_log {
        let detail = response
            .extensions()
            .get::<LogDetail>()
            .map(|d| d.0.as_str())
            .unwrap_or("");
        log_line(format_args!(
            "{method} {endpoint} {status} {}us{detail}",
            elapsed.as_micros()
        ));
    }
    response
}

/// Runs a request under a concurrency permit (503 when none is free) and
/// the time limit (408).
async fn limited(state: &AppState, request: Request, next: Next) -> Response {
    match Arc::clone(&state.permits).try_acquire_owned() {
        Err(_) => {
            let mut r = error(
                StatusCode::SERVICE_UNAVAILABLE,
                "too many requests in flight; retry shortly",
                None,
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            r
        }
        Ok(_permit) => match tokio::time::timeout(state.timeout, next.run(request)).await {
            Ok(r) => r,
            Err(_) => error(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "request not completed within {} ms",
                    state.timeout.as_millis()
                ),
                None,
            ),
        },
    }
}

/// What the access log may add about a request (verdict, counts; the draft
/// only with --log-drafts).
#[derive(Clone)]
struct LogDetail(String);

/// Bearer-token check for the API and metrics, in constant time.
async fn authorize(State(state): State<Shared>, request: Request, next: Next) -> Response {
    if let Some(token) = &state.token {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer_token)
            .unwrap_or("");
        if !constant_time_eq(given.as_bytes(), token.as_bytes()) {
            let mut r = error(
                StatusCode::UNAUTHORIZED,
                "missing or wrong bearer token (send `Authorization: Bearer <token>`)",
                None,
            );
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return r;
        }
    }
    next.run(request).await
}

/// The token of an `Authorization: Bearer <token>` value; the scheme is
/// case-insensitive (RFC 9110, 11.1).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim_start().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim_matches(' '))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    // The length is not secret; the contents are compared without early exit.
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Reads an API request's JSON body up to the size cap: refused with 415
/// unless it says `Content-Type: application/json` (a browser page
/// anywhere may POST `text/plain` cross-origin with no preflight; JSON
/// needs one, which CORS then governs), and with 413 straight from its
/// `Content-Length` when that is over the cap, before any of it is read.
async fn read_body(state: &AppState, request: Request) -> Result<Bytes, Response> {
    let (parts, body) = request.into_parts();
    let json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the request as JSON with `Content-Type: application/json`",
            None,
        ));
    }
    // A compressed body is not decoded: said so, not "not UTF-8 (byte 1)".
    if let Some(coding) = parts
        .headers
        .get_all(header::CONTENT_ENCODING)
        .iter()
        .flat_map(|v| v.to_str().unwrap_or("?").split(','))
        .map(str::trim)
        .find(|c| !c.is_empty() && !c.eq_ignore_ascii_case("identity"))
    {
        let mut refused = error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("`Content-Encoding: {coding}` is not supported; send the JSON uncompressed"),
            None,
        );
        // RFC 9110 §15.5.16: say which coding is accepted.
        refused.headers_mut().insert(
            header::ACCEPT_ENCODING,
            header::HeaderValue::from_static("identity"),
        );
        return Err(refused);
    }
    let too_large = || {
        let mut r = error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "request body larger than {} bytes (the server's --max-body)",
                state.max_body
            ),
            None,
        );
        // The rest of the body is not read: this connection is done (the
        // unread part is drained briefly so the client sees this answer).
        r.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        r
    };
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > state.max_body as u64) {
        return Err(too_large());
    }
    let limited = http_body_util::Limited::new(body, state.max_body);
    match limited.collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Err(e) => Err(error(
            StatusCode::BAD_REQUEST,
            format!("cannot read request body: {e}"),
            None,
        )),
    }
}

fn parse_json(bytes: &[u8]) -> Result<Value, Response> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            format!("body is not UTF-8 (byte {})", e.valid_up_to()),
            None,
        )
    })?;
    apolint_core::request::parse_json_unique_keys(text).map_err(|e| bad_request(&e))
}

/// Judges one parsed request and counts its findings and verdict.
fn judge(state: &AppState, request: &CheckRequest) -> Result<Answer, RequestError> {
    let answer = state
        .linter
        .judge(request, &RequestDefaults::default(), Instant::now())?;
    for f in &answer.findings {
        state
            .metrics
            .findings
            .get_or_create(&CategoryLabels {
                category: f.category.name(),
            })
            .inc();
    }
    state
        .metrics
        .verdicts
        .get_or_create(&VerdictLabels {
            verdict: answer.verdict.name(),
        })
        .inc();
    Ok(answer)
}

/// Runs `work` inline for small drafts, on the blocking pool for big ones.
async fn run_check<T: Send + 'static>(
    size: usize,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Response> {
    if size <= INLINE_CHECK_BYTES {
        return Ok(work());
    }
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| error(StatusCode::INTERNAL_SERVER_ERROR, "check failed", None))
}

async fn check(State(state): State<Shared>, request: Request) -> Response {
    let bytes = match read_body(&state, request).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let req = match std::str::from_utf8(&bytes) {
        Ok(text) => match CheckRequest::from_json(text) {
            Ok(r) => r,
            Err(e) => return bad_request(&e),
        },
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("body is not UTF-8 (byte {})", e.valid_up_to()),
                None,
            )
        }
    };
    let draft = state.log_drafts.then(|| req.text.clone());
    let st = Arc::clone(&state);
    let answer = match run_check(bytes.len(), move || judge(&st, &req)).await {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => return bad_request(&e),
        Err(r) => return r,
    };
    let detail = format!(
        " verdict={} findings={}{}",
        answer.verdict.name(),
        answer.findings.len(),
        draft.map_or_else(String::new, |d| format!(" draft={}", Value::from(d)))
    );
    let mut r = axum::Json(answer).into_response();
    r.extensions_mut().insert(LogDetail(detail));
    r
}

async fn check_batch(State(state): State<Shared>, request: Request) -> Response {
    let started = Instant::now();
    let bytes = match read_body(&state, request).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut value = match parse_json(&bytes) {
        Ok(v) => v,
        Err(r) => return r,
    };
    if let Some(unknown) = value
        .as_object()
        .and_then(|o| o.keys().find(|k| k.as_str() != "drafts"))
    {
        return error(
            StatusCode::BAD_REQUEST,
            format!(
                "unknown field `{unknown}`; a batch is {{\"drafts\": [{{\"text\": \"…\"}}, …]}}"
            ),
            Some(unknown.clone()),
        );
    }
    let Some(drafts) = value
        .get_mut("drafts")
        .and_then(Value::as_array_mut)
        .map(std::mem::take)
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "expected {\"drafts\": [{\"text\": \"…\"}, …]}",
            Some("drafts".into()),
        );
    };
    if drafts.len() > state.max_batch {
        return error(
            StatusCode::BAD_REQUEST,
            format!(
                "{} drafts in one batch; at most {} (send several batches)",
                drafts.len(),
                state.max_batch
            ),
            Some("drafts".into()),
        );
    }
    let mut requests = Vec::with_capacity(drafts.len());
    for (i, d) in drafts.into_iter().enumerate() {
        match CheckRequest::from_value(d).and_then(|r| r.options().map(|_| r)) {
            Ok(r) => requests.push(r),
            Err(e) => {
                let field = format!(
                    "drafts[{i}]{}",
                    e.field
                        .as_deref()
                        .map_or(String::new(), |f| format!(".{f}"))
                );
                return error(
                    StatusCode::BAD_REQUEST,
                    format!("drafts[{i}]: {}", e.message),
                    Some(field),
                );
            }
        }
    }
    let count = requests.len();
    let st = Arc::clone(&state);
    let results = run_check(bytes.len(), move || {
        requests
            .iter()
            .map(|r| judge(&st, r))
            .collect::<Result<Vec<_>, _>>()
    })
    .await;
    match results {
        Ok(Ok(results)) => {
            let mut r = axum::Json(BatchAnswer {
                results,
                elapsed_us: started.elapsed().as_micros() as u64,
            })
            .into_response();
            r.extensions_mut()
                .insert(LogDetail(format!(" drafts={count}")));
            r
        }
        Ok(Err(e)) => bad_request(&e),
        Err(r) => r,
    }
}

/// The answer to `/v1/check/batch`: one answer per draft, in order.
#[derive(Serialize)]
struct BatchAnswer {
    results: Vec<Answer>,
    elapsed_us: u64,
}

/// The answer to `/healthz`.
#[derive(Serialize)]
struct Health {
    status: &'static str,
    version: &'static str,
    rules: usize,
}

async fn healthz(State(state): State<Shared>) -> Response {
    axum::Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        rules: state.linter.rules().len(),
    })
    .into_response()
}

/// One rule in `GET /v1/rules`: what a client shows beside a finding of
/// it (the browser extension's hover), by the finding's `rule`.
#[derive(Serialize)]
struct RuleDoc<'a> {
    id: &'a str,
    category: &'static str,
    severity: &'static str,
    message: &'a str,
    explanation: &'a str,
    /// What to write instead.
    suggestions: &'a [String],
    /// Drafts the rule reports.
    reported: &'a [String],
    /// Drafts it leaves alone.
    not_reported: &'a [String],
}

#[derive(Serialize)]
struct RulesDoc<'a> {
    rules: Vec<RuleDoc<'a>>,
}

/// The loaded rules with their explanations and examples, so that a client
/// can explain a finding without a request per hover.
async fn rules(State(state): State<Shared>) -> Response {
    let rules = state
        .linter
        .rules()
        .iter()
        .map(|r| RuleDoc {
            id: &r.id,
            category: r.category.name(),
            severity: r.severity.name(),
            message: &r.message,
            explanation: &r.explanation,
            suggestions: &r.suggestions,
            reported: &r.fire,
            not_reported: &r.quiet,
        })
        .collect();
    axum::Json(RulesDoc { rules }).into_response()
}

async fn metrics(State(state): State<Shared>) -> Response {
    let mut text = String::new();
    if prometheus_client::encoding::text::encode(&mut text, &state.metrics.registry).is_err() {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "cannot encode metrics",
            None,
        );
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

async fn playground() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'",
            ),
        ],
        PLAYGROUND,
    )
        .into_response()
}

async fn not_found(request: Request) -> Response {
    error(
        StatusCode::NOT_FOUND,
        format!(
            "no such endpoint: {} {} (see GET / for the playground, POST /v1/check, POST /v1/check/batch, GET /v1/rules, GET /healthz, GET /metrics)",
            request.method(),
            request.uri().path()
        ),
        None,
    )
}

async fn method_not_allowed(request: Request) -> Response {
    let allowed = match request.uri().path() {
        "/v1/check" | "/v1/check/batch" => "POST",
        _ => "GET",
    };
    let mut r = error(
        StatusCode::METHOD_NOT_ALLOWED,
        format!(
            "{} is not allowed on {}; use {allowed}",
            request.method(),
            request.uri().path()
        ),
        None,
    );
    r.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allowed));
    r
}
