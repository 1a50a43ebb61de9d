//! A fuzzer for osctui's parsers that runs on stable Rust (no nightly, no
//! cargo-fuzz): each target starts from a seed corpus taken from the
//! repository's real files, mutates inputs with a small deterministic PRNG
//! (byte-level and structure-aware mutations), calls the parser under
//! `catch_unwind`, times each call, and keeps the inputs that reached a new
//! behaviour (a new class of error message or a new output size bucket).
//!
//! Coverage feedback is not available on stable, so "interesting" is
//! approximated by what the parser returns; that still steers the corpus
//! towards inputs that get past the first checks.

pub mod mutate;
pub mod rng;
pub mod targets;

use std::cell::RefCell;
use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use crate::rng::Rng;
use crate::targets::Target;

/// A call that used more CPU than this counts as a hang. CPU time of the
/// calling thread, not wall time: on a busy machine (CI, parallel builds)
/// wall time grows with the load and would report hangs that are not.
pub const HANG: Duration = Duration::from_secs(1);

/// CPU time used so far by the calling thread.
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant
    // every Linux and macOS kernel supports.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(
        u64::try_from(ts.tv_sec).unwrap_or(0),
        u32::try_from(ts.tv_nsec).unwrap_or(0),
    )
}

/// Inputs larger than this are cut: the console refuses texts of a few MiB
/// before parsing, so bigger ones only measure memory bandwidth.
pub const MAX_INPUT: usize = 512 * 1024;

/// Most inputs kept in a corpus (seeds included).
pub const MAX_CORPUS: usize = 4096;

/// Most findings of each kind kept per target (the counters go on).
const MAX_FINDINGS: usize = 16;

/// How long a run of one target lasts.
#[derive(Debug, Clone, Copy)]
pub enum Budget {
    /// Wall-clock time.
    Time(Duration),
    /// A number of calls.
    Executions(u64),
}

/// What went wrong with one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FindingKind {
    /// The call panicked (or broke an invariant the target checks).
    Panic,
    /// The call took longer than [`HANG`].
    Hang,
}

/// An input that made a target panic or hang.
#[derive(Debug, Clone)]
pub struct Finding {
    /// Panic or hang.
    pub kind: FindingKind,
    /// The panic message with its location, or the time taken.
    pub message: String,
    /// The input, to reproduce it.
    pub input: Vec<u8>,
}

/// The figures of one target's run.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The target's name.
    pub target: String,
    /// Calls made.
    pub executions: u64,
    /// Seed inputs.
    pub seeds: usize,
    /// Corpus size at the end: seeds plus inputs kept as interesting.
    pub corpus: usize,
    /// Distinct behaviour classes seen.
    pub classes: usize,
    /// Calls that panicked.
    pub panics: u64,
    /// Calls over [`HANG`].
    pub hangs: u64,
    /// The slowest call, in CPU time of the calling thread.
    pub slowest: Duration,
    /// Wall-clock time of the run.
    pub elapsed: Duration,
    /// Up to a few panicking or hanging inputs, distinct by message.
    pub findings: Vec<Finding>,
}

/// The call in progress, for a watchdog that must report an input that
/// never returns (a true infinite loop cannot be caught by timing it).
#[derive(Debug, Default)]
pub struct InFlight {
    /// Target name, input and start of the call in progress, if any.
    pub call: Option<(&'static str, Arc<Vec<u8>>, Instant)>,
}

thread_local! {
    /// Set while this thread runs fuzzed calls: the panic hook stores the
    /// message here instead of printing it.
    static CAPTURE: RefCell<Option<Option<String>>> = const { RefCell::new(None) };
}

/// Installs (once) a panic hook that keeps the message of a panic on a
/// fuzzing thread instead of printing it; other threads print as before.
fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let captured = CAPTURE.with(|c| {
                let mut c = c.borrow_mut();
                match c.as_mut() {
                    Some(slot) => {
                        let payload = info
                            .payload()
                            .downcast_ref::<&str>()
                            .map(|s| (*s).to_owned())
                            .or_else(|| info.payload().downcast_ref::<String>().cloned())
                            .unwrap_or_else(|| "non-string panic payload".to_owned());
                        let place = info
                            .location()
                            .map(|l| format!(" at {}:{}", l.file(), l.line()))
                            .unwrap_or_default();
                        *slot = Some(format!("{payload}{place}"));
                        true
                    }
                    None => false,
                }
            });
            if !captured {
                previous(info);
            }
        }));
    });
}

/// Runs one target for `budget` from its seeds, with the PRNG seeded by
/// `seed`. `in_flight`, when given, is updated before and after each call.
pub fn run(
    target: &Target,
    budget: Budget,
    seed: u64,
    in_flight: Option<&Mutex<InFlight>>,
) -> Report {
    install_hook();
    CAPTURE.with(|c| *c.borrow_mut() = Some(None));
    let started = Instant::now();
    let mut rng = Rng::new(seed ^ hash(target.name.as_bytes()));
    let seeds = (target.seeds)();
    let mut report = Report {
        target: target.name.to_owned(),
        seeds: seeds.len(),
        ..Report::default()
    };
    let mut corpus: Vec<Vec<u8>> = seeds;
    if corpus.is_empty() {
        corpus.push(Vec::new());
    }
    let mut classes: HashSet<String> = HashSet::new();
    let mut messages: HashSet<String> = HashSet::new();
    // Every seed runs once as it is first.
    let mut next_seed = 0;
    loop {
        let done = match budget {
            Budget::Time(limit) => started.elapsed() >= limit,
            Budget::Executions(n) => report.executions >= n,
        };
        if done {
            break;
        }
        let input = if next_seed < report.seeds {
            next_seed += 1;
            corpus[next_seed - 1].clone()
        } else {
            let base = &corpus[rng.below(corpus.len())];
            let mut input = base.clone();
            let rounds = 1 + rng.below(4);
            for _ in 0..rounds {
                let other = &corpus[rng.below(corpus.len())];
                mutate::mutate(&mut input, other, target.kind, &mut rng);
            }
            input.truncate(MAX_INPUT);
            input
        };
        let input = Arc::new(input);
        if let Some(flight) = in_flight
            && let Ok(mut f) = flight.lock()
        {
            f.call = Some((target.name, Arc::clone(&input), Instant::now()));
        }
        let call_started = thread_cpu_time();
        let outcome = catch_unwind(AssertUnwindSafe(|| (target.call)(&input)));
        let took = thread_cpu_time().saturating_sub(call_started);
        if let Some(flight) = in_flight
            && let Ok(mut f) = flight.lock()
        {
            f.call = None;
        }
        report.executions += 1;
        report.slowest = report.slowest.max(took);
        match outcome {
            Ok(class) => {
                if took > HANG {
                    report.hangs += 1;
                    let message = format!("took {took:?} ({class})");
                    if report.findings.len() < MAX_FINDINGS && messages.insert(class.clone()) {
                        report.findings.push(Finding {
                            kind: FindingKind::Hang,
                            message,
                            input: input.to_vec(),
                        });
                    }
                }
                if classes.insert(class) && corpus.len() < MAX_CORPUS {
                    corpus.push(input.to_vec());
                }
            }
            Err(_) => {
                report.panics += 1;
                let message = CAPTURE
                    .with(|c| c.borrow_mut().as_mut().and_then(Option::take))
                    .unwrap_or_else(|| "panic without a message".to_owned());
                if report.findings.len() < MAX_FINDINGS && messages.insert(message.clone()) {
                    report.findings.push(Finding {
                        kind: FindingKind::Panic,
                        message,
                        input: input.to_vec(),
                    });
                }
            }
        }
    }
    CAPTURE.with(|c| *c.borrow_mut() = None);
    report.corpus = corpus.len();
    report.classes = classes.len();
    report.elapsed = started.elapsed();
    report
}

/// FNV-1a, for deriving per-target PRNG seeds and file names.
pub fn hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The behaviour class of an error message: digits and quoted parts
/// blanked, so "line 3" and "line 7" are the same class but "expected a
/// string" and "unknown field" are not.
pub fn error_class(message: &str) -> String {
    let mut out = String::new();
    let mut quoted: Option<char> = None;
    for c in message.chars().take(160) {
        match quoted {
            Some(q) if c == q => quoted = None,
            Some(_) => {}
            None if c == '"' || c == '`' => {
                quoted = Some(c);
                out.push('_');
            }
            None if c.is_ascii_digit() => {
                if !out.ends_with('#') {
                    out.push('#');
                }
            }
            None => out.push(c),
        }
    }
    out
}

/// Log2 bucket of a size: outputs of 9 and 14 items are the same bucket.
pub fn bucket(size: usize) -> u32 {
    usize::BITS - size.leading_zeros()
}
