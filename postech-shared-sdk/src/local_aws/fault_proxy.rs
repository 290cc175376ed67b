//! A TCP proxy a test controls, in front of a local dependency (moto's AWS): it forwards,
//! or holds connections without answering (a dependency that hangs), or refuses them (a
//! dependency that is down). Loopback only; the mode changes at once for new connections,
//! and connections held open are released when the mode leaves `Hang`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// What the proxy does with a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Fault {
    /// Forward to the upstream.
    None = 0,
    /// Accept and never answer.
    Hang = 1,
    /// Accept and close at once (the dependency's port is closed).
    Refuse = 2,
}

/// A running proxy; stops with the test's runtime.
///
/// ```no_run
/// # async fn example() -> std::io::Result<()> {
/// use postech_shared_sdk::local_aws::{self, Fault, FaultProxy, MotoServer};
///
/// let moto = MotoServer::shared().expect("moto");
/// let proxy = FaultProxy::start(moto.endpoint().trim_start_matches("http://").to_owned()).await?;
/// let through_proxy = local_aws::sdk_config(&proxy.endpoint()).await;
/// proxy.set(Fault::Hang); // calls through `through_proxy` now hang until their timeouts
/// # Ok(())
/// # }
/// ```
pub struct FaultProxy {
    port: u16,
    mode: Arc<AtomicU8>,
    changed: watch::Sender<u8>,
}

impl FaultProxy {
    /// A proxy on a free loopback port forwarding to `upstream` (`host:port`).
    pub async fn start(upstream: String) -> std::io::Result<FaultProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let mode = Arc::new(AtomicU8::new(Fault::None as u8));
        let (changed, _) = watch::channel(Fault::None as u8);
        let accepting_mode = Arc::clone(&mode);
        let watcher = changed.clone();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let mode = accepting_mode.load(Ordering::SeqCst);
                let upstream = upstream.clone();
                let mut released = watcher.subscribe();
                tokio::spawn(async move {
                    match mode {
                        m if m == Fault::Hang as u8 => {
                            // Held until the mode changes, then dropped (as a peer that
                            // comes back resets what it held).
                            let _ = released.changed().await;
                        }
                        m if m == Fault::Refuse as u8 => {}
                        _ => {
                            if let Ok(mut server) = TcpStream::connect(&upstream).await {
                                let _ = copy_bidirectional(&mut client, &mut server).await;
                            }
                        }
                    }
                });
            }
        });
        Ok(FaultProxy {
            port,
            mode,
            changed,
        })
    }

    /// The proxy's URL, for an AWS endpoint.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Applies `fault` to the connections from now on.
    pub fn set(&self, fault: Fault) {
        self.mode.store(fault as u8, Ordering::SeqCst);
        self.changed.send_replace(fault as u8);
    }
}
