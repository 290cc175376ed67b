//! A moto server (the local AWS) for tests and the local run: an existing one named by
//! `POSTECH_MOTO_ENDPOINT`, or a fresh `moto_server` process on a free loopback port.

use std::fs::File;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use super::LocalAwsError;

/// Names a running moto server to use instead of starting one.
pub const MOTO_ENDPOINT_ENV: &str = "POSTECH_MOTO_ENDPOINT";
/// Path of the `moto_server` executable, when it is not on `PATH`.
pub const MOTO_SERVER_BIN_ENV: &str = "MOTO_SERVER_BIN";

const INSTALL_HINT: &str = "install it with `python3 -m venv /root/.cache/postech/venv-sdk && \
/root/.cache/postech/venv-sdk/bin/pip install -r postech-shared-sdk/tools/requirements-dev.txt` \
(or `pip install 'moto[server]'`) and put the venv's bin on PATH, set MOTO_SERVER_BIN to the \
`moto_server` executable, or set POSTECH_MOTO_ENDPOINT to a running server";
/// moto's switch that makes its Cognito check TOTP codes (`SOFTWARE_TOKEN_MFA`,
/// `VerifySoftwareToken`) against the secret `AssociateSoftwareToken` hands out; without it
/// moto accepts any code, and a wrong-code test could not fail.
pub const MOTO_TOTP_ENV: &str = "MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP";
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
const PORT_ATTEMPTS: usize = 3;

/// Runs moto and stops it once its read end of the control pipe closes — when the owning
/// [`MotoServer`] is dropped, or when the test process exits without running destructors
/// (a `static`, a crash). Killing moto from `Drop` alone would leak it in those cases.
const SUPERVISOR_SCRIPT: &str = r#"exec 3<&0
"$@" </dev/null &
moto_pid=$!
( read -r _ <&3; kill "$moto_pid" 2>/dev/null ) &
wait "$moto_pid""#;

/// A moto server reachable over HTTP. When this value started the process, dropping it
/// stops the process.
///
/// Starting blocks the calling thread until moto answers (a few seconds); call it from test
/// setup or `spawn_blocking`.
#[derive(Debug)]
pub struct MotoServer {
    endpoint: String,
    process: Option<Mutex<SupervisedProcess>>,
}

#[derive(Debug)]
struct SupervisedProcess {
    supervisor: Child,
    log_path: PathBuf,
}

impl MotoServer {
    /// Uses `POSTECH_MOTO_ENDPOINT` if set (after checking it answers HTTP), otherwise starts
    /// `moto_server` (`MOTO_SERVER_BIN`, else found on `PATH`) on a free port of 127.0.0.1.
    /// A missing executable is an error explaining how to install moto — never a skip.
    pub fn start_or_connect() -> Result<Self, LocalAwsError> {
        if let Some(endpoint) = std::env::var(MOTO_ENDPOINT_ENV)
            .ok()
            .filter(|value| !value.trim().is_empty())
        {
            let address = socket_address(&endpoint)?;
            wait_until_http_answers(address, Duration::from_secs(10), || Ok(None)).map_err(
                |reason| LocalAwsError::MotoUnreachable {
                    endpoint: endpoint.clone(),
                    reason,
                },
            )?;
            return Ok(Self {
                endpoint,
                process: None,
            });
        }
        let binary = find_moto_server()?;
        let mut last_failure = String::new();
        // The port is free when probed but another process may take it before moto binds it.
        for _ in 0..PORT_ATTEMPTS {
            match Self::spawn(&binary)? {
                Ok(server) => return Ok(server),
                Err(failure) => last_failure = failure,
            }
        }
        Err(LocalAwsError::MotoStartFailed {
            binary,
            reason: last_failure,
        })
    }

    /// One server per process, started on first use and stopped when the process exits: what
    /// the tests of a test binary share. Each test still uses its own pool and secret names.
    pub fn shared() -> Result<&'static Self, LocalAwsError> {
        static SHARED: OnceLock<MotoServer> = OnceLock::new();
        static STARTING: Mutex<()> = Mutex::new(());
        if let Some(server) = SHARED.get() {
            return Ok(server);
        }
        let _starting = STARTING.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(server) = SHARED.get() {
            return Ok(server);
        }
        let server = Self::start_or_connect()?;
        Ok(SHARED.get_or_init(|| server))
    }

    /// The base URL, e.g. `http://127.0.0.1:40123`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Whether this value started the moto process (and stops it when dropped), as opposed
    /// to using the server named by `POSTECH_MOTO_ENDPOINT`.
    pub fn started_here(&self) -> bool {
        self.process.is_some()
    }

    /// `Ok(Err(reason))` when moto did not come up on the chosen port (worth another port).
    fn spawn(binary: &Path) -> Result<Result<Self, String>, LocalAwsError> {
        let port = free_loopback_port()?;
        let log_path =
            std::env::temp_dir().join(format!("postech-moto-{}-{port}.log", std::process::id()));
        let log = File::create(&log_path).map_err(|source| LocalAwsError::Io {
            action: format!("create {}", log_path.display()),
            source,
        })?;
        let log_for_stderr = log.try_clone().map_err(|source| LocalAwsError::Io {
            action: "duplicate the moto log handle".into(),
            source,
        })?;
        let supervisor = Command::new("sh")
            .arg("-c")
            .arg(SUPERVISOR_SCRIPT)
            .arg("postech-moto-supervisor")
            .arg(binary)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env(MOTO_TOTP_ENV, "true")
            .stdin(Stdio::piped())
            .stdout(log)
            .stderr(log_for_stderr)
            .spawn()
            .map_err(|source| LocalAwsError::Io {
                action: format!("start {} through sh", binary.display()),
                source,
            })?;
        let process = Mutex::new(SupervisedProcess {
            supervisor,
            log_path,
        });
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        let ready = wait_until_http_answers(address, STARTUP_TIMEOUT, || {
            let mut process = process.lock().unwrap_or_else(PoisonError::into_inner);
            Ok(process
                .supervisor
                .try_wait()?
                .map(|status| status.to_string()))
        });
        match ready {
            Ok(()) => Ok(Ok(Self {
                endpoint: format!("http://{address}"),
                process: Some(process),
            })),
            Err(reason) => {
                let process = process.into_inner().unwrap_or_else(PoisonError::into_inner);
                let log_tail = process.log_tail();
                drop(process);
                Ok(Err(format!("{reason}; moto's log ends with:\n{log_tail}")))
            }
        }
    }
}

impl SupervisedProcess {
    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for SupervisedProcess {
    fn drop(&mut self) {
        // Closing the pipe makes the supervisor stop moto and exit.
        drop(self.supervisor.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            match self.supervisor.try_wait() {
                Ok(Some(_)) | Err(_) => break,
                Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
        if matches!(self.supervisor.try_wait(), Ok(None)) {
            let _ = self.supervisor.kill();
            let _ = self.supervisor.wait();
        }
        let _ = std::fs::remove_file(&self.log_path);
    }
}

fn find_moto_server() -> Result<PathBuf, LocalAwsError> {
    if let Some(configured) =
        std::env::var_os(MOTO_SERVER_BIN_ENV).filter(|value| !value.is_empty())
    {
        let configured = PathBuf::from(configured);
        return if configured.is_file() {
            Ok(configured)
        } else {
            Err(LocalAwsError::MotoNotInstalled {
                detail: format!(
                    "{MOTO_SERVER_BIN_ENV} points to {}, which is not a file; {INSTALL_HINT}",
                    configured.display()
                ),
            })
        };
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|directory| directory.join("moto_server"))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| LocalAwsError::MotoNotInstalled {
            detail: format!("`moto_server` is not on PATH; {INSTALL_HINT}"),
        })
}

fn free_loopback_port() -> Result<u16, LocalAwsError> {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(|source| LocalAwsError::Io {
            action: "find a free loopback port".into(),
            source,
        })
}

fn socket_address(endpoint: &str) -> Result<SocketAddr, LocalAwsError> {
    let unreachable = |reason: &str| LocalAwsError::MotoUnreachable {
        endpoint: endpoint.to_owned(),
        reason: reason.to_owned(),
    };
    let url = url::Url::parse(endpoint).map_err(|_| unreachable("not a URL"))?;
    let host = url.host_str().ok_or_else(|| unreachable("no host"))?;
    let port = url
        .port_or_known_default()
        .ok_or_else(|| unreachable("no port"))?;
    (host.trim_start_matches('[').trim_end_matches(']'), port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut addresses| addresses.next())
        .ok_or_else(|| unreachable("the host does not resolve"))
}

/// Polls until an HTTP request gets any HTTP answer. `exited` reports a dead process early.
fn wait_until_http_answers(
    address: SocketAddr,
    timeout: Duration,
    exited: impl Fn() -> std::io::Result<Option<String>>,
) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    loop {
        if answers_http(address) {
            return Ok(());
        }
        match exited() {
            Ok(Some(status)) => return Err(format!("moto exited early ({status})")),
            Ok(None) => {}
            Err(error) => return Err(format!("cannot watch the moto process: {error}")),
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "no HTTP answer on {address} within {} s",
                timeout.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn answers_http(address: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_millis(500)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = format!("GET /moto-api/ HTTP/1.0\r\nHost: {address}\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut status = [0_u8; 5];
    stream.read_exact(&mut status).is_ok() && &status == b"HTTP/"
}
