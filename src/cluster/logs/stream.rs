//! One attempt at reading one stream: a container's log through the API
//! (`pods/log`) or a file through exec (`tail`). The session task starts a
//! new attempt when one ends and the stream should go on.

use std::pin::Pin;
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{AttachParams, LogParams};
use tokio::io::AsyncReadExt as _;
use tokio::sync::mpsc::Sender;

use super::line::{Decoder, Resume};
use super::{Internal, describe_kube};
use crate::domain::text::clean;
use crate::state::logs::{LogOptions, LogTarget};

/// Lines handed to the session at most at once.
const CHUNK_LINES: usize = 1000;

/// How long a stream gathers lines before handing them over. The API
/// server may send a busy log a line per chunk, and hyper hands over one
/// chunk per wake-up: handed over one by one, 50,000 lines/s were 50,000
/// messages a second between tasks, and the stream fell behind with the
/// CPU two-thirds idle. A few milliseconds are invisible on screen.
const GATHER: Duration = Duration::from_millis(4);

/// Read buffer per stream.
const READ_BUFFER: usize = 64 * 1024;

/// How long an opening stream may stay silent before it counts as attached.
const QUIET_OPEN: Duration = Duration::from_millis(500);

/// Lines `tail` shows of a file when the options say "all".
const FILE_TAIL_DEFAULT: i64 = 500;

/// What an attempt is asked to do.
pub(super) struct Attempt {
    pub api: Api<Pod>,
    pub source: u32,
    /// Tells this attempt's news from an older one's.
    pub attempt: u64,
    pub target: LogTarget,
    pub options: LogOptions,
    /// Where earlier attempts got; `None` for the first.
    pub resume: Option<Resume>,
    /// Wait this long first (back-off).
    pub delay: Duration,
    pub out: Sender<Internal>,
}

/// How an attempt ended.
#[derive(Debug)]
pub(super) enum Outcome {
    /// The stream ended.
    Ended,
    /// It could not be opened or broke off.
    Failed(String),
}

/// What the session learns when an attempt is over.
#[derive(Debug)]
pub(super) struct Done {
    pub source: u32,
    pub attempt: u64,
    pub outcome: Outcome,
    pub resume: Resume,
    /// Whether new lines came in this attempt.
    pub delivered: bool,
}

/// A stream of bytes from either API.
enum Reader {
    Log(Pin<Box<dyn futures::AsyncRead + Send>>),
    Exec(tokio::io::ReadHalf<tokio::io::SimplexStream>),
}

impl Reader {
    async fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Reader::Log(r) => futures::AsyncReadExt::read(r, buf).await,
            Reader::Exec(r) => r.read(buf).await,
        }
    }
}

/// Closes the exec connection (so that `tail -F` stops) when an attempt is
/// aborted or over.
struct Process(kube::api::AttachedProcess);

impl Drop for Process {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs one attempt to its end and reports it (unless the session is gone).
pub(super) async fn run(a: Attempt) {
    if !a.delay.is_zero() {
        tokio::time::sleep(a.delay).await;
    }
    let resume = a.resume.unwrap_or_default();
    let mut decoder = Decoder::new(a.source, a.target.file.is_none(), resume);
    let outcome = match &a.target.file {
        None => read_log(&a, &mut decoder).await,
        Some(file) => read_file(&a, file, &mut decoder).await,
    };
    let done = Done {
        source: a.source,
        attempt: a.attempt,
        outcome: match outcome {
            Ok(()) => Outcome::Ended,
            Err(Stop::Failed(reason)) => Outcome::Failed(reason),
            Err(Stop::Closed) => return,
        },
        resume: decoder.resume,
        delivered: decoder.delivered > 0,
    };
    let _ = a.out.send(Internal::Done(done)).await;
}

enum Stop {
    Failed(String),
    /// The session is gone.
    Closed,
}

async fn attached(a: &Attempt) -> Result<(), Stop> {
    a.out
        .send(Internal::Attached {
            source: a.source,
            attempt: a.attempt,
        })
        .await
        .map_err(|_| Stop::Closed)
}

async fn read_log(a: &Attempt, decoder: &mut Decoder) -> Result<(), Stop> {
    let mut params = LogParams {
        container: Some(a.target.container.clone()),
        // A previous container's log is complete; following it would wait
        // forever (kwok) or end at once.
        follow: a.options.follow && !a.options.previous,
        previous: a.options.previous,
        timestamps: true,
        ..LogParams::default()
    };
    match a.resume {
        // Again after an end: from the last delivered second on (the
        // decoder drops what was already there).
        Some(resume) if resume.is_set() => params.since_time = resume.since(),
        _ => {
            params.since_seconds = a.options.since_seconds;
            params.tail_lines = a.options.tail_lines;
        }
    }
    // A followed stream with nothing to say yet answers only with its first
    // line (the kubelet sends its headers with it): still pending after a
    // moment without an error means attached.
    let open = a.api.log_stream(&a.target.pod, &params);
    tokio::pin!(open);
    let opened = tokio::select! {
        opened = &mut open => Some(opened),
        () = tokio::time::sleep(QUIET_OPEN) => None,
    };
    let opened = match opened {
        Some(opened) => opened,
        None => {
            attached(a).await?;
            open.await
        }
    };
    let stream = opened.map_err(|e| Stop::Failed(describe_kube(&e)))?;
    attached(a).await?;
    pump(Reader::Log(Box::pin(stream)), decoder, &a.out).await
}

async fn read_file(a: &Attempt, file: &str, decoder: &mut Decoder) -> Result<(), Stop> {
    let lines = match a.resume {
        // Again after an end: only what is new (a file has no times to
        // resume from).
        Some(_) => "0".to_owned(),
        None => match a.options.tail_lines {
            Some(n) => n.max(0).to_string(),
            None if a.options.follow => FILE_TAIL_DEFAULT.to_string(),
            None => "+1".to_owned(),
        },
    };
    let mut command = vec!["tail".to_owned(), "-n".to_owned(), lines];
    if a.options.follow {
        command.push("-F".to_owned());
    }
    command.push(file.to_owned());
    let params = AttachParams::default()
        .container(a.target.container.clone())
        .stdin(false)
        .stdout(true)
        .stderr(true);
    let mut process = Process(
        a.api
            .exec(&a.target.pod, command, &params)
            .await
            .map_err(|e| Stop::Failed(format!("exec tail: {}", describe_kube(&e))))?,
    );
    let process = &mut process.0;
    let stdout = process.stdout();
    let stderr = process.stderr();
    let status = process.take_status();
    attached(a).await?;
    // tail says why it cannot read on stderr; keep a little of it.
    let errors = async move {
        let mut text = String::new();
        if let Some(stderr) = stderr {
            let _ = stderr.take(4096).read_to_string(&mut text).await;
        }
        text
    };
    let reading = async {
        match stdout {
            Some(stdout) => pump(Reader::Exec(stdout), decoder, &a.out).await,
            None => Ok(()),
        }
    };
    let (read, errors) = tokio::join!(reading, errors);
    read?;
    let status = match status {
        Some(status) => status.await,
        None => None,
    };
    match status {
        Some(s) if s.status.as_deref() == Some("Failure") => {
            let said = errors.lines().find(|l| !l.trim().is_empty());
            let reason = match (said, s.message) {
                (Some(line), _) => line.trim().to_owned(),
                (None, Some(message)) => message,
                (None, None) => "tail failed".to_owned(),
            };
            Err(Stop::Failed(clean(&reason)))
        }
        _ => Ok(()),
    }
}

/// Reads to the end, handing lines over in chunks: what arrives within
/// [`GATHER`] of the first bytes (up to [`CHUNK_LINES`] lines), so a fast
/// stream sends few large messages and a slow one each line at once.
async fn pump(
    mut reader: Reader,
    decoder: &mut Decoder,
    out: &Sender<Internal>,
) -> Result<(), Stop> {
    let failed = |e: std::io::Error| Stop::Failed(clean(&format!("reading the stream: {e}")));
    let mut buf = vec![0u8; READ_BUFFER];
    loop {
        let n = reader.read(&mut buf).await.map_err(failed)?;
        let mut ended = n == 0;
        decoder.feed(&buf[..n]);
        // Gather what follows before handing over. A read cut short by the
        // deadline is dropped before it completes, which loses nothing.
        let deadline = tokio::time::Instant::now() + GATHER;
        while !ended && decoder.lines.len() < CHUNK_LINES {
            match tokio::time::timeout_at(deadline, reader.read(&mut buf)).await {
                Err(_) => break,
                Ok(Ok(0)) => ended = true,
                Ok(Ok(n)) => decoder.feed(&buf[..n]),
                Ok(Err(e)) => {
                    flush(decoder, out).await?;
                    return Err(failed(e));
                }
            }
        }
        if ended {
            decoder.finish();
        }
        flush(decoder, out).await?;
        if ended {
            return Ok(());
        }
    }
}

async fn flush(decoder: &mut Decoder, out: &Sender<Internal>) -> Result<(), Stop> {
    if decoder.lines.is_empty() {
        return Ok(());
    }
    let lines = std::mem::take(&mut decoder.lines);
    out.send(Internal::Lines(lines))
        .await
        .map_err(|_| Stop::Closed)
}
