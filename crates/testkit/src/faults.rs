//! Faults for the reliability tests (issue 8): a local TCP proxy in front of
//! the sandbox's API server whose latency, stalls and dropped connections a
//! test controls, and guards that stop one sandbox component and always
//! start it again (in `Drop`, also when the test panics), waiting until it
//! is ready so that the next test finds a healthy sandbox.
//!
//! Tests of one binary run in parallel: every test that uses a fault holds
//! [`exclusive`] for its whole run, so no other test of its binary sees the
//! API server gone or a component stopped. (Cargo runs test binaries one
//! after another, so other binaries never overlap.)

use std::io::{self, Read as _, Write as _};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

static EXCLUSIVE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Held by a test for as long as it may break the sandbox: the other fault
/// tests of its binary wait for it.
pub async fn exclusive() -> tokio::sync::MutexGuard<'static, ()> {
    EXCLUSIVE.lock().await
}

// ---------------------------------------------------------------------------
// Components
// ---------------------------------------------------------------------------

/// A sandbox component a test may stop, with the script that stops and
/// starts it (each waits until the component is gone or ready again).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Component {
    /// `sandbox/apiserver`: SIGKILL, and a start that waits for `/readyz`.
    ApiServer,
    /// `sandbox/metrics-server`: a start that waits until pod usage is
    /// served again.
    MetricsServer,
    /// `sandbox/kafka-operator`: the example operator of the samples.
    KafkaOperator,
}

impl Component {
    fn script(self) -> PathBuf {
        let name = match self {
            Component::ApiServer => "apiserver",
            Component::MetricsServer => "metrics-server",
            Component::KafkaOperator => "kafka-operator",
        };
        crate::workspace_root().join("sandbox").join(name)
    }

    /// Runs its script with `action` (`stop`, `start`); the script's own
    /// messages go to the test's stderr. Returns how long the script took.
    /// After the API server's start it also waits until the controllers
    /// work again ([`API_SERVER_SETTLED`]).
    pub fn run(self, action: &str) -> Result<Duration, String> {
        let script = self.script();
        let started = Instant::now();
        let output = Command::new(&script)
            .arg(action)
            .output()
            .map_err(|e| format!("cannot run {} {action}: {e}", script.display()))?;
        let took = started.elapsed();
        let said = String::from_utf8_lossy(&output.stderr);
        eprint!("{said}");
        if !output.status.success() {
            return Err(format!(
                "{} {action} failed ({}): {said}",
                script.display(),
                output.status
            ));
        }
        if self == Component::ApiServer && action == "start" {
            settle()?;
        }
        Ok(took)
    }
}

/// Run after the API server is ready again: the controllers' watches were
/// refused while its RBAC caches filled and are backing off, so a new
/// namespace gets no default ServiceAccount for a while (up to about 30 s
/// seen). The next test (or test binary) needs one at once, so this waits
/// until a scratch namespace gets it.
const API_SERVER_SETTLED: &str = r#"
set -euo pipefail
source "$1/sandbox/lib.sh"
ns=osctui-fault-settle-$$-$RANDOM
kc create namespace "$ns" >/dev/null
trap 'kc delete namespace "$ns" --wait=false >/dev/null 2>&1 || true' EXIT
for ((i = 0; i < 300; i++)); do
	kc -n "$ns" get serviceaccount default >/dev/null 2>&1 && exit 0
	sleep 0.3
done
echo "no default ServiceAccount in a new namespace 90s after the API server started" >&2
exit 1
"#;

fn settle() -> Result<(), String> {
    let started = Instant::now();
    let output = Command::new("bash")
        .arg("-c")
        .arg(API_SERVER_SETTLED)
        .arg("settle")
        .arg(crate::workspace_root())
        .output()
        .map_err(|e| format!("cannot run bash: {e}"))?;
    if output.status.success() {
        eprintln!(
            "faults: the controllers work again {:?} after the API server was ready",
            started.elapsed()
        );
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// A stopped component, started again when this is dropped (whatever
/// happened to the test) unless [`Stopped::start`] did it already.
#[derive(Debug)]
pub struct Stopped {
    component: Component,
    running: bool,
}

impl Stopped {
    /// Stops `component`; panics when its script fails (after trying to
    /// start it again, so the sandbox is left as it was).
    pub fn stop(component: Component) -> Stopped {
        let mut guard = Stopped {
            component,
            running: false,
        };
        if let Err(e) = component.run("stop") {
            guard.restore();
            panic!("{e}");
        }
        guard
    }

    /// Starts the component again and waits until it is ready; returns how
    /// long the script took. Panics when it cannot.
    pub fn start(&mut self) -> Duration {
        match self.component.run("start") {
            Ok(took) => {
                self.running = true;
                took
            }
            Err(e) => panic!("{e}"),
        }
    }

    fn restore(&mut self) {
        if self.running {
            return;
        }
        // Twice at most: a start can fail once on a busy machine (a port
        // still closing, a slow /readyz).
        for _ in 0..2 {
            match self.component.run("start") {
                Ok(_) => {
                    self.running = true;
                    return;
                }
                Err(e) => eprintln!("restoring {:?}: {e}", self.component),
            }
        }
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        self.restore();
    }
}

// ---------------------------------------------------------------------------
// The proxy
// ---------------------------------------------------------------------------

/// What the proxy does to traffic; changed while it runs.
#[derive(Debug, Default)]
struct Knobs {
    /// Added to every chunk, each way.
    latency_ms: AtomicU64,
    /// New connections are closed at once.
    refusing: AtomicBool,
    /// Bytes from the server are held back (not lost) until unset.
    stall_responses: AtomicBool,
    /// Bumped to close every open connection.
    cut_generation: AtomicU64,
    /// Counters for the report.
    accepted: AtomicU64,
    cut: AtomicU64,
    bytes_up: AtomicU64,
    bytes_down: AtomicU64,
    stop: AtomicBool,
}

/// A TCP proxy on 127.0.0.1 in front of one address (the sandbox's API
/// server). TLS passes through untouched: the API server's certificate
/// names 127.0.0.1, which is still right on another port. Runs on its own
/// threads, so it works under any test runtime; stopped when dropped.
pub struct Proxy {
    addr: SocketAddr,
    upstream: SocketAddr,
    knobs: Arc<Knobs>,
    open: OpenConnections,
    acceptor: Option<JoinHandle<()>>,
}

/// The open connections (id, client side, server side), to cut them.
type OpenConnections = Arc<Mutex<Vec<(u64, TcpStream, TcpStream)>>>;

/// How long the accept loop and the writers sleep when they have nothing
/// to do: the resolution of the proxy's timing.
const TICK: Duration = Duration::from_millis(5);

impl Proxy {
    /// Starts a proxy to `upstream` on a free port of 127.0.0.1.
    pub fn start(upstream: SocketAddr) -> io::Result<Proxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let knobs = Arc::new(Knobs::default());
        let open = Arc::new(Mutex::new(Vec::new()));
        let acceptor = {
            let knobs = knobs.clone();
            let open = open.clone();
            std::thread::Builder::new()
                .name("fault-proxy".into())
                .spawn(move || accept_loop(&listener, upstream, &knobs, &open))?
        };
        Ok(Proxy {
            addr,
            upstream,
            knobs,
            open,
            acceptor: Some(acceptor),
        })
    }

    /// A proxy in front of the API server of the sandbox's kubeconfig.
    pub fn for_sandbox() -> io::Result<Proxy> {
        Proxy::start(sandbox_apiserver_addr()?)
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where it forwards to.
    pub fn upstream(&self) -> SocketAddr {
        self.upstream
    }

    /// Delay added to every chunk of data, in each direction (a round trip
    /// takes twice this more).
    pub fn set_latency(&self, latency: Duration) {
        let ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
        self.knobs.latency_ms.store(ms, Ordering::SeqCst);
    }

    /// Whether new connections are closed as soon as they are accepted
    /// (open ones are left alone: see [`Proxy::cut_all`]).
    pub fn set_refusing(&self, refusing: bool) {
        self.knobs.refusing.store(refusing, Ordering::SeqCst);
    }

    /// Whether the server's bytes are held back: a request reaches the
    /// server, its answer does not reach the client (until unset). A new
    /// connection's handshake still passes, so that its request goes out.
    pub fn set_stall_responses(&self, stall: bool) {
        self.knobs.stall_responses.store(stall, Ordering::SeqCst);
    }

    /// Closes every open connection, both ways, at once (what a dropped
    /// network or a restarted load balancer does); returns how many.
    pub fn cut_all(&self) -> usize {
        self.knobs.cut_generation.fetch_add(1, Ordering::SeqCst);
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let n = open.len();
        for (_, client, server) in open.drain(..) {
            let _ = client.shutdown(Shutdown::Both);
            let _ = server.shutdown(Shutdown::Both);
        }
        self.knobs.cut.fetch_add(n as u64, Ordering::SeqCst);
        n
    }

    /// Connections open now.
    pub fn open_connections(&self) -> usize {
        self.open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Connections accepted, connections cut, bytes to the server, bytes
    /// to the clients, so far.
    pub fn counters(&self) -> (u64, u64, u64, u64) {
        let k = &self.knobs;
        (
            k.accepted.load(Ordering::SeqCst),
            k.cut.load(Ordering::SeqCst),
            k.bytes_up.load(Ordering::SeqCst),
            k.bytes_down.load(Ordering::SeqCst),
        )
    }

    /// Writes a copy of the sandbox's admin kubeconfig that talks to this
    /// proxy into `dir`; returns its path.
    pub fn kubeconfig(&self, dir: &Path) -> io::Result<PathBuf> {
        self.kubeconfig_from(&crate::sandbox_kubeconfig_path(), dir)
    }

    /// Like [`Proxy::kubeconfig`], from the kubeconfig at `source`.
    pub fn kubeconfig_from(&self, source: &Path, dir: &Path) -> io::Result<PathBuf> {
        let text = std::fs::read_to_string(source)?;
        let from = format!("server: https://{}", self.upstream);
        if !text.contains(&from) {
            return Err(io::Error::other(format!(
                "{} has no line {from:?}",
                source.display()
            )));
        }
        let text = text.replace(&from, &format!("server: https://{}", self.addr));
        std::fs::create_dir_all(dir)?;
        let name = source
            .file_name()
            .map_or_else(|| "kubeconfig".into(), |n| n.to_string_lossy().into_owned());
        let path = dir.join(format!("{name}-via-proxy"));
        std::fs::write(&path, text)?;
        Ok(path)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.knobs.stop.store(true, Ordering::SeqCst);
        self.cut_all();
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

/// The address of the sandbox's API server, read from its kubeconfig.
pub fn sandbox_apiserver_addr() -> io::Result<SocketAddr> {
    let path = crate::sandbox_kubeconfig_path();
    let text = std::fs::read_to_string(&path)?;
    text.lines()
        .find_map(|l| l.trim().strip_prefix("server: https://"))
        .and_then(|a| a.trim().parse().ok())
        .ok_or_else(|| {
            io::Error::other(format!(
                "no `server: https://<ip>:<port>` in {}",
                path.display()
            ))
        })
}

fn accept_loop(
    listener: &TcpListener,
    upstream: SocketAddr,
    knobs: &Arc<Knobs>,
    open: &OpenConnections,
) {
    let mut next_id = 0u64;
    while !knobs.stop.load(Ordering::SeqCst) {
        let client = match listener.accept() {
            Ok((client, _)) => client,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                std::thread::sleep(TICK);
                continue;
            }
            Err(_) => continue,
        };
        knobs.accepted.fetch_add(1, Ordering::SeqCst);
        if knobs.refusing.load(Ordering::SeqCst) {
            let _ = client.shutdown(Shutdown::Both);
            continue;
        }
        let _ = client.set_nonblocking(false);
        let _ = client.set_nodelay(true);
        let Ok(server) = TcpStream::connect_timeout(&upstream, Duration::from_secs(2)) else {
            // The server is down: so is the connection.
            let _ = client.shutdown(Shutdown::Both);
            continue;
        };
        let _ = server.set_nodelay(true);
        next_id += 1;
        let id = next_id;
        let streams = (client.try_clone(), server.try_clone());
        let (Ok(client_copy), Ok(server_copy)) = streams else {
            continue;
        };
        open.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((id, client_copy, server_copy));
        let generation = knobs.cut_generation.load(Ordering::SeqCst);
        let (Ok(client_read), Ok(server_read)) = (client.try_clone(), server.try_clone()) else {
            continue;
        };
        let conn = Arc::new(Conn::default());
        pipe(
            client_read,
            server,
            knobs.clone(),
            conn.clone(),
            generation,
            Direction::Up,
            None,
        );
        // The answers' side ending ends the connection: forget it then.
        let list = open.clone();
        let forget = Box::new(move || {
            list.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .retain(|(other, _, _)| *other != id);
        });
        pipe(
            server_read,
            client,
            knobs.clone(),
            conn,
            generation,
            Direction::Down,
            Some(forget),
        );
    }
}

/// Where one connection is: a stall holds back answers, not the server's
/// half of a TLS handshake (a request on a new connection would never be
/// sent then). The handshake is taken as done once the client sent
/// something after the server's first bytes reached it (its Finished).
#[derive(Debug, Default)]
struct Conn {
    server_spoke: AtomicBool,
    handshaken: AtomicBool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    /// Client to server.
    Up,
    /// Server to client.
    Down,
}

/// Copies `from` to `to` with the proxy's latency and stalls: a reader
/// thread stamps each chunk, a writer thread sends it when it is due.
fn pipe(
    mut from: TcpStream,
    mut to: TcpStream,
    knobs: Arc<Knobs>,
    conn: Arc<Conn>,
    generation: u64,
    direction: Direction,
    on_end: Option<Box<dyn FnOnce() + Send>>,
) {
    let (tx, rx) = mpsc::channel::<(Instant, Vec<u8>)>();
    let reader_knobs = knobs.clone();
    let reader_conn = conn.clone();
    let reader = std::thread::Builder::new()
        .name("fault-proxy-read".into())
        .spawn(move || {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                match from.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if direction == Direction::Up
                            && reader_conn.server_spoke.load(Ordering::SeqCst)
                        {
                            reader_conn.handshaken.store(true, Ordering::SeqCst);
                        }
                        let due = Instant::now()
                            + Duration::from_millis(reader_knobs.latency_ms.load(Ordering::SeqCst));
                        if tx.send((due, buf[..n].to_vec())).is_err() {
                            break;
                        }
                    }
                }
            }
            let _ = from.shutdown(Shutdown::Read);
        });
    if reader.is_err() {
        return;
    }
    let _ = std::thread::Builder::new()
        .name("fault-proxy-write".into())
        .spawn(move || {
            let cut = || knobs.cut_generation.load(Ordering::SeqCst) != generation;
            let _forget = OnEnd(on_end);
            for (due, chunk) in rx {
                loop {
                    if cut() {
                        let _ = to.shutdown(Shutdown::Both);
                        return;
                    }
                    let stalled = direction == Direction::Down
                        && knobs.stall_responses.load(Ordering::SeqCst)
                        && conn.handshaken.load(Ordering::SeqCst);
                    if !stalled && Instant::now() >= due {
                        break;
                    }
                    std::thread::sleep(TICK);
                }
                if to.write_all(&chunk).is_err() {
                    return;
                }
                if direction == Direction::Down {
                    conn.server_spoke.store(true, Ordering::SeqCst);
                }
                let counter = match direction {
                    Direction::Up => &knobs.bytes_up,
                    Direction::Down => &knobs.bytes_down,
                };
                counter.fetch_add(chunk.len() as u64, Ordering::SeqCst);
            }
            // The other side closed: pass that on.
            let _ = to.shutdown(Shutdown::Write);
        });
}

/// Runs its closure when dropped (however the writer thread ends).
struct OnEnd(Option<Box<dyn FnOnce() + Send>>);

impl Drop for OnEnd {
    fn drop(&mut self) {
        if let Some(f) = self.0.take() {
            f();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An echo server behind the proxy: bytes pass, latency is added each
    /// way, a stall holds answers back without losing them, a cut closes
    /// the connection, and refusing closes new ones. Needs no sandbox.
    #[test]
    fn the_proxy_delays_stalls_cuts_and_refuses() {
        let echo = TcpListener::bind("127.0.0.1:0").unwrap();
        let upstream = echo.local_addr().unwrap();
        std::thread::spawn(move || {
            for conn in echo.incoming() {
                let Ok(mut conn) = conn else { break };
                std::thread::spawn(move || {
                    let mut buf = [0u8; 1024];
                    while let Ok(n) = conn.read(&mut buf) {
                        if n == 0 || conn.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                });
            }
        });
        let proxy = Proxy::start(upstream).unwrap();
        let round_trip = |conn: &mut TcpStream, text: &[u8]| {
            let started = Instant::now();
            conn.write_all(text).unwrap();
            let mut got = vec![0u8; text.len()];
            conn.read_exact(&mut got).unwrap();
            assert_eq!(got, text);
            started.elapsed()
        };
        let mut conn = TcpStream::connect(proxy.addr()).unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        assert!(round_trip(&mut conn, b"hello") < Duration::from_millis(100));

        proxy.set_latency(Duration::from_millis(150));
        let slow = round_trip(&mut conn, b"slow");
        assert!(
            (Duration::from_millis(300)..Duration::from_millis(1000)).contains(&slow),
            "{slow:?}"
        );
        proxy.set_latency(Duration::ZERO);

        // Held back, then delivered.
        proxy.set_stall_responses(true);
        conn.write_all(b"held").unwrap();
        conn.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let mut buf = [0u8; 4];
        assert!(
            conn.read(&mut buf).is_err(),
            "an answer got through a stall"
        );
        proxy.set_stall_responses(false);
        conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        conn.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"held");

        assert_eq!(proxy.cut_all(), 1);
        let mut rest = Vec::new();
        // Closed: end of stream or a reset, never more data.
        let read = conn.read_to_end(&mut rest);
        assert!(read.is_err() || rest.is_empty(), "{read:?} {rest:?}");

        proxy.set_refusing(true);
        let mut refused = TcpStream::connect(proxy.addr()).unwrap();
        refused
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let _ = refused.write_all(b"x");
        let mut one = [0u8; 1];
        assert!(matches!(refused.read(&mut one), Ok(0) | Err(_)));
        proxy.set_refusing(false);
        let mut again = TcpStream::connect(proxy.addr()).unwrap();
        again
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        round_trip(&mut again, b"back");
        // The writers count after their write: let them.
        std::thread::sleep(Duration::from_millis(100));
        let (accepted, cut, up, down) = proxy.counters();
        assert_eq!((accepted, cut), (3, 1));
        assert!(up >= 17 && down >= 17, "{up} {down}");
    }
}
