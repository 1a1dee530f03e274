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
    #[arg(long, default_value_t = 10_000, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..))]
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
        return Err(expected.to_owned());
    }
    // A name with both gives its IPv4 address: `localhost` is often
    // `[::1]` first, where clients that say 127.0.0.1 would not connect.
    let addresses: Vec<SocketAddr> = value
        .to_socket_addrs()
        .map_err(|e| format!("{e}: {expected}"))?
        .collect();
    addresses
        .iter()
        .find(|a| a.is_ipv4())
        .or(addresses.first())
        .copied()
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

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly
mod tests {
    use super::*;

    #[test]
    fn listen_takes_an_address_or_a_host_name_ipv4_first() {
        use std::net::ToSocketAddrs as _;
        assert_eq!(
            listen_address("127.0.0.1:8787"),
            Ok("127.0.0.1:8787".parse().unwrap())
        );
        assert_eq!(listen_address("[::1]:0"), Ok("[::1]:0".parse().unwrap()));
        let resolved: Vec<SocketAddr> = "localhost:8787".to_socket_addrs().unwrap().collect();
        let chosen = listen_address("localhost:8787").unwrap();
        assert!(resolved.contains(&chosen));
        assert_eq!(chosen.is_ipv4(), resolved.iter().any(SocketAddr::is_ipv4));
        for bad in ["8787", "localhost", ""] {
            let e = listen_address(bad).unwrap_err();
            assert!(e.contains("expected HOST:PORT"), "{bad}: {e}");
        }
        assert_eq!(at_least_one("0"), Err("must be at least 1".to_owned()));
        assert_eq!(at_least_one("3"), Ok(3));
    }
}
