//! A bare log reader: kube-rs's `log_stream` read as fast as it comes, no
//! decoding, no screen. It answers one question about the log benchmark:
//! is a lag osctui's own, or does the sandbox's source (kwok behind the API
//! server) fall behind? Run it next to a tool that is being measured
//! (`bench/logs --peers`) and both readers share the source; run it with
//! `--http2` to see what the transport costs.
//!
//! Every second it prints the lines read, the newest line's age (now minus
//! its timestamp, which in the log benchmark is when the writer wrote it)
//! and the most seen in that second; at the end, the totals and the CPU
//! time it used. With `--print` (how `bench/logs --peers --tools kube-rs`
//! runs it) it writes the last line of every read to standard output and
//! the figures to standard error.
//!
//! Usage: osctui-bench-bare-log --kubeconfig FILE --namespace NS --pod POD
//!        --container C [--tail N] [--seconds S] [--http2] [--print]
//! (`--seconds 0`: until the stream ends or it is stopped; the default is
//! 30 s, or no limit with `--print`)

use std::time::{Duration, Instant};

use std::io::Write as _;

use futures::AsyncReadExt as _;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, LogParams};
use kube::client::ConfigExt as _;
use kube::config::{KubeConfigOptions, Kubeconfig};
use osctui_bench::flags::Flags;

struct Args {
    kubeconfig: String,
    namespace: String,
    pod: String,
    container: String,
    tail: i64,
    /// 0: no limit.
    seconds: u64,
    http2: bool,
    print: bool,
}

impl Args {
    fn parse() -> Result<Args, String> {
        let flags = Flags::from_env(&["http2", "print"])?;
        let print = flags.switch("print");
        Ok(Args {
            kubeconfig: flags.need("kubeconfig")?,
            namespace: flags.need("namespace")?,
            pod: flags.need("pod")?,
            container: flags.need("container")?,
            tail: flags.num_or("tail", 500)?,
            seconds: flags.num_or("seconds", if print { 0 } else { 30 })?,
            http2: flags.switch("http2"),
            print,
        })
    }
}

fn main() -> std::process::ExitCode {
    let args = match Args::parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("osctui-bench-bare-log: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("osctui-bench-bare-log: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("osctui-bench-bare-log: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn client(args: &Args) -> Result<kube::Client, String> {
    let kubeconfig = Kubeconfig::read_from(&args.kubeconfig).map_err(|e| e.to_string())?;
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .map_err(|e| e.to_string())?;
    if !args.http2 {
        return kube::Client::try_from(config).map_err(|e| e.to_string());
    }
    // kube-rs speaks HTTP/1.1 only; this is the same stack with HTTP/2
    // offered by ALPN (enough for a log stream, which needs no upgrade).
    let mut http = hyper_util::client::legacy::connect::HttpConnector::new();
    http.enforce_http(false);
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(config.rustls_client_config().map_err(|e| e.to_string())?)
        .https_or_http()
        .enable_all_versions()
        .wrap_connector(http);
    let hyper = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build(https);
    let service = tower::ServiceBuilder::new()
        .layer(config.base_uri_layer())
        .option_layer(config.auth_layer().map_err(|e| e.to_string())?)
        .map_err(tower::BoxError::from)
        .service(hyper);
    Ok(kube::Client::new(service, config.default_namespace))
}

/// Age of the line that starts at `line` (its RFC 3339 timestamp), ms.
fn age_ms(line: &[u8], now_ms: i64) -> Option<i64> {
    let end = line.iter().position(|&b| b == b' ')?;
    let stamp: jiff::Timestamp = std::str::from_utf8(&line[..end]).ok()?.parse().ok()?;
    Some(now_ms - stamp.as_millisecond())
}

async fn run(args: &Args) -> Result<(), String> {
    let client = client(args).await?;
    let api: Api<Pod> = Api::namespaced(client, &args.namespace);
    let params = LogParams {
        container: Some(args.container.clone()),
        follow: true,
        timestamps: true,
        tail_lines: Some(args.tail),
        ..LogParams::default()
    };
    let cpu0 = osctui_bench::cpu_ticks(std::process::id())?;
    let stream = api
        .log_stream(&args.pod, &params)
        .await
        .map_err(|e| e.to_string())?;
    let mut stream = Box::pin(stream);
    let mut buf = vec![0u8; 64 * 1024];
    let started = Instant::now();
    // No limit: a deadline that is never reached.
    let limit = match args.seconds {
        0 => Duration::from_secs(365 * 24 * 3600),
        s => Duration::from_secs(s),
    };
    let deadline = started + limit;
    // The figures go where the lines do not.
    let report = |text: String| {
        if args.print {
            eprintln!("{text}");
        } else {
            println!("{text}");
        }
    };
    let mut out = std::io::stdout().lock();
    let (mut second, mut in_second, mut total) = (started, 0u64, 0u64);
    let (mut newest_age, mut worst_age, mut worst_overall) = (None, 0i64, 0i64);
    report("second\tlines\tnewest line's age (ms)\tmost in the second (ms)".to_owned());
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let read = match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => break,
            Ok(read) => read.map_err(|e| e.to_string())?,
        };
        if read == 0 {
            break;
        }
        let chunk = &buf[..read];
        let lines = chunk.iter().filter(|&&b| b == b'\n').count() as u64;
        in_second += lines;
        total += lines;
        // The last complete line in this read (a read may end mid-line).
        let body = chunk.strip_suffix(b"\n").unwrap_or(chunk);
        let start = body.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
        if args.print && chunk.ends_with(b"\n") {
            out.write_all(&body[start..])
                .and_then(|()| out.write_all(b"\n"))
                .map_err(|e| format!("writing to standard output: {e}"))?;
        }
        if let Some(age) = age_ms(&body[start..], jiff::Timestamp::now().as_millisecond()) {
            newest_age = Some(age);
            worst_age = worst_age.max(age);
        }
        if second.elapsed() >= Duration::from_secs(1) {
            let at = started.elapsed().as_secs();
            let newest = newest_age.map_or("-".to_owned(), |a| a.to_string());
            report(format!("{at}\t{in_second}\t{newest}\t{worst_age}"));
            worst_overall = worst_overall.max(worst_age);
            (second, in_second, worst_age) = (Instant::now(), 0, 0);
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let cpu = osctui_bench::ticks_to_secs(osctui_bench::cpu_ticks(std::process::id())? - cpu0);
    report(format!(
        "total: {total} lines in {secs:.1} s ({:.0}/s), oldest newest-line {} ms, CPU {cpu:.2} s ({:.0} % of a core), {}",
        total as f64 / secs,
        worst_overall.max(worst_age),
        100.0 * cpu / secs,
        if args.http2 {
            "HTTP/2 offered"
        } else {
            "HTTP/1.1"
        }
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_of_a_timestamped_line() {
        let line = b"2026-11-28T15:00:00.250000000Z seq=000000001 hello";
        let now = "2026-11-28T15:00:01Z"
            .parse::<jiff::Timestamp>()
            .map(|t| t.as_millisecond())
            .unwrap_or_default();
        assert_eq!(age_ms(line, now), Some(750));
        assert_eq!(age_ms(b"no timestamp here", now), None);
    }
}
