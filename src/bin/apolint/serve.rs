//! `apolint serve`: the pre-send hook as an HTTP service (axum on tokio).
//!
//! A whole support floor shares one instance, so every request is bounded:
//! body size (413), time (408), concurrency (503 at once rather than an
//! unbounded queue), batch length (400). Errors are JSON that names the
//! field. Draft texts hold customer data and are never logged unless
//! `--log-drafts` is given. SIGTERM (or Ctrl-C) stops accepting and lets
//! in-flight requests finish.

// Handlers return `Result<_, Response>` so that an error is an early
// `return` of the finished reply (axum's idiom); the size is irrelevant
// next to a network round trip.
#![allow(clippy::result_large_err)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
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
use serde_json::{json, Value};
use tokio::sync::Semaphore;
use tower_http::cors::{AllowOrigin, CorsLayer};

use apolint::{output, CheckRequest, Linter, RequestError};

/// The playground page: one self-contained file, no external assets.
const PLAYGROUND: &str = include_str!("playground.html");

/// Drafts larger than this are checked on the blocking pool so that one
/// huge draft cannot stall the request threads.
const INLINE_CHECK_BYTES: usize = 64 * 1024;

/// `apolint serve` options.
#[derive(clap::Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on (port 0: any free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:8787")]
    pub listen: SocketAddr,
    /// Config file (otherwise apolint.toml is discovered upward).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ignore any apolint.toml.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
    /// Largest request body accepted, in bytes (larger: 413).
    #[arg(long, default_value_t = 1 << 20, value_name = "BYTES")]
    pub max_body: usize,
    /// Most drafts in one /v1/check/batch request.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub max_batch: usize,
    /// Time limit per request, body upload included (exceeded: 408).
    #[arg(long, default_value_t = 10_000, value_name = "MS")]
    pub timeout_ms: u64,
    /// Requests handled at once; more get 503 straight away.
    #[arg(long, default_value_t = 1024, value_name = "N")]
    pub max_concurrent: usize,
    /// Browser origin allowed to call the API (CORS); repeat for several,
    /// `*` for any. None: same-origin only.
    #[arg(long = "cors-origin", value_name = "ORIGIN")]
    pub cors_origins: Vec<String>,
    /// Read the bearer token from this file. Otherwise the APOLINT_TOKEN
    /// environment variable, if set, is the token. (Never a command-line
    /// argument: those are visible to every user of the machine.)
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Write draft texts into the access log. They hold customer data:
    /// off unless asked for.
    #[arg(long)]
    pub log_drafts: bool,
    /// No access log line per request.
    #[arg(long)]
    pub no_access_log: bool,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N")]
    pub workers: Option<usize>,
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

/// Runs the service until SIGTERM or Ctrl-C.
pub fn run(args: ServeArgs, linter: Linter) -> Result<(), String> {
    let token = read_token(&args)?;
    let workers = args
        .workers
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(2)
        .max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let state = Arc::new(AppState {
        linter,
        token,
        max_body: args.max_body,
        max_batch: args.max_batch.max(1),
        timeout: Duration::from_millis(args.timeout_ms.max(1)),
        permits: Arc::new(Semaphore::new(args.max_concurrent.max(1))),
        log_drafts: args.log_drafts,
        access_log: !args.no_access_log,
        metrics: Metrics::new(),
    });
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
        let local = listener
            .local_addr()
            .map_err(|e| format!("cannot read the bound address: {e}"))?;
        eprintln!(
            "apolint serve: listening on http://{local} ({} rules, auth {}, {} workers)",
            state.linter.rules().len(),
            if state.token.is_some() { "on" } else { "off" },
            workers
        );
        let app = router(Arc::clone(&state), &args.cors_origins)?;
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(|e| format!("server error: {e}"))?;
        eprintln!("apolint serve: stopped; in-flight requests finished");
        Ok(())
    })
}

fn read_token(args: &ServeArgs) -> Result<Option<String>, String> {
    let token = match &args.token_file {
        Some(p) => Some(
            std::fs::read_to_string(p)
                .map_err(|e| format!("cannot read token file {}: {e}", p.display()))?,
        ),
        None => std::env::var("APOLINT_TOKEN").ok(),
    };
    match token.map(|t| t.trim().to_owned()) {
        Some(t) if t.is_empty() => {
            Err("the bearer token is empty; put a secret in the token file or APOLINT_TOKEN".into())
        }
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
    eprintln!("apolint serve: shutting down, finishing in-flight requests");
}

fn router(state: Shared, cors_origins: &[String]) -> Result<Router, String> {
    let api = Router::new()
        .route("/v1/check", post(check))
        .route("/v1/check/batch", post(check_batch))
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
        .layer(middleware::from_fn_with_state(Arc::clone(&state), guard))
        .with_state(state);
    if !cors_origins.is_empty() {
        let origins = if cors_origins.iter().any(|o| o == "*") {
            AllowOrigin::any()
        } else {
            let list = cors_origins
                .iter()
                .map(|o| {
                    HeaderValue::from_str(o).map_err(|_| format!("invalid --cors-origin {o:?}"))
                })
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
    let mut body = json!({ "error": message.into() });
    if let (Some(f), Some(obj)) = (field, body.as_object_mut()) {
        obj.insert("field".into(), f.into());
    }
    (status, axum::Json(body)).into_response()
}

fn bad_request(e: &RequestError) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(output::request_error_json(e)),
    )
        .into_response()
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
        _ => "other",
    };
    let method = request.method().clone();
    let response = match Arc::clone(&state.permits).try_acquire_owned() {
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
        eprintln!(
            "{method} {endpoint} {status} {}us{detail}",
            elapsed.as_micros()
        );
    }
    response
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
            .and_then(|v| v.strip_prefix("Bearer "))
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

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    // The length is not secret; the contents are compared without early exit.
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Reads the body up to the size cap.
async fn read_body(state: &AppState, body: Body) -> Result<Bytes, Response> {
    let too_large = || {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body larger than {} bytes", state.max_body),
            None,
        )
    };
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
    serde_json::from_str(text).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            format!(
                "malformed JSON at line {}, column {}: {e}",
                e.line(),
                e.column()
            ),
            None,
        )
    })
}

/// Checks one parsed request and counts its findings and verdict.
fn judge(state: &AppState, request: &CheckRequest) -> Result<Value, RequestError> {
    let started = Instant::now();
    let options = request.options()?;
    let report = state.linter.check(&request.text, &options);
    let verdict = state.linter.verdict(&report, request.channel.as_deref());
    let elapsed = started.elapsed().as_micros() as u64;
    for f in &report.findings {
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
            verdict: verdict.name(),
        })
        .inc();
    Ok(output::verdict_json(request, &report, verdict, elapsed))
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
    let bytes = match read_body(&state, request.into_body()).await {
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
        answer["verdict"].as_str().unwrap_or(""),
        answer["findings"].as_array().map_or(0, Vec::len),
        draft.map_or_else(String::new, |d| format!(" draft={}", Value::from(d)))
    );
    let mut r = axum::Json(answer).into_response();
    r.extensions_mut().insert(LogDetail(detail));
    r
}

async fn check_batch(State(state): State<Shared>, request: Request) -> Response {
    let started = Instant::now();
    let bytes = match read_body(&state, request.into_body()).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut value = match parse_json(&bytes) {
        Ok(v) => v,
        Err(r) => return r,
    };
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
            let mut r = axum::Json(json!({
                "results": results,
                "elapsed_us": started.elapsed().as_micros() as u64,
            }))
            .into_response();
            r.extensions_mut()
                .insert(LogDetail(format!(" drafts={count}")));
            r
        }
        Ok(Err(e)) => bad_request(&e),
        Err(r) => r,
    }
}

async fn healthz(State(state): State<Shared>) -> Response {
    axum::Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "rules": state.linter.rules().len(),
    }))
    .into_response()
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
            "no such endpoint: {} {} (see GET / for the playground, POST /v1/check, POST /v1/check/batch, GET /healthz, GET /metrics)",
            request.method(),
            request.uri().path()
        ),
        None,
    )
}
