//! `apolint serve`: the pre-send HTTP service; its flags, mapped onto
//! [`apolint_server::ServeOptions`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use apolint_server::ServeOptions;

use super::{ConfigArgs, Failure};

/// `apolint serve` options.
#[derive(clap::Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on, HOST:PORT (port 0: any free port, printed at
    /// start).
    #[arg(long, default_value = "127.0.0.1:8787", value_parser = listen_address)]
    listen: SocketAddr,
    #[command(flatten)]
    config: ConfigArgs,
    /// Largest request body accepted, in bytes (larger: 413).
    #[arg(long, default_value_t = 1 << 20, value_name = "BYTES", value_parser = at_least_one)]
    max_body: usize,
    /// Most drafts in one /v1/check/batch request.
    #[arg(long, default_value_t = 100, value_name = "N", value_parser = at_least_one)]
    max_batch: usize,
    /// Time limit per request, body upload included (exceeded: 408).
    #[arg(long, default_value_t = 10_000, value_name = "MS")]
    timeout_ms: u64,
    /// Requests handled at once; more get 503 straight away.
    #[arg(long, default_value_t = 1024, value_name = "N", value_parser = at_least_one)]
    max_concurrent: usize,
    /// Browser origin allowed to call the API (CORS); repeat for several,
    /// `*` for any. None: same-origin only.
    #[arg(long = "cors-origin", value_name = "ORIGIN")]
    cors_origins: Vec<String>,
    /// Read the bearer token from this file. Otherwise the APOLINT_TOKEN
    /// environment variable, if set, is the token. (Never a command-line
    /// argument: those are visible to every user of the machine.)
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// Write draft texts into the access log. They hold customer data:
    /// off unless asked for.
    #[arg(long)]
    log_drafts: bool,
    /// No access log line per request.
    #[arg(long)]
    no_access_log: bool,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N", value_parser = at_least_one)]
    workers: Option<usize>,
    /// Time a connection may take to send a request's headers, and may
    /// stay idle between requests, before it is closed.
    #[arg(long, default_value_t = 10_000, value_name = "MS")]
    header_timeout_ms: u64,
    /// Connections open at once; more wait in the listen queue. Keep it
    /// below the open-file limit (`ulimit -n`).
    #[arg(long, default_value_t = 768, value_name = "N", value_parser = at_least_one)]
    max_connections: usize,
    /// On SIGTERM, how long in-flight and queued requests may take before
    /// the process exits anyway.
    #[arg(long, default_value_t = 10_000, value_name = "MS")]
    drain_ms: u64,
}

/// `--listen`'s value: an address (`127.0.0.1:8787`, `[::1]:8787`) or a
/// host name and port (`localhost:8787`, as the README's examples call
/// it), the host's first address.
fn listen_address(value: &str) -> Result<SocketAddr, String> {
    use std::net::ToSocketAddrs as _;
    if let Ok(address) = value.parse() {
        return Ok(address);
    }
    let expected = "expected HOST:PORT, such as 127.0.0.1:8787 or localhost:8787";
    if !value.contains(':') {
        return Err(format!("no port: {expected}"));
    }
    value
        .to_socket_addrs()
        .map_err(|e| format!("{e}: {expected}"))?
        .next()
        .ok_or_else(|| format!("the host has no address: {expected}"))
}

/// A count or size that must be at least 1 (0 would turn every request
/// away, or leave no thread to answer).
fn at_least_one(value: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(0) => Err("must be at least 1".to_owned()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

/// Runs `apolint serve` until SIGTERM or Ctrl-C.
pub fn run(args: ServeArgs) -> Result<ExitCode, Failure> {
    let config = args.config.locate_for(None)?;
    let linter = super::linter(&args.config.load_located(config.clone())?)?;
    let options = ServeOptions {
        config: args.config.describe(config.as_deref()),
        listen: args.listen,
        max_body: args.max_body,
        max_batch: args.max_batch,
        timeout_ms: args.timeout_ms,
        max_concurrent: args.max_concurrent,
        cors_origins: args.cors_origins,
        token: apolint_server::read_token(args.token_file.as_deref())?,
        log_drafts: args.log_drafts,
        access_log: !args.no_access_log,
        workers: args.workers,
        header_timeout_ms: args.header_timeout_ms,
        max_connections: args.max_connections,
        drain_ms: args.drain_ms,
    };
    apolint_server::run(options, linter)?;
    Ok(ExitCode::SUCCESS)
}
