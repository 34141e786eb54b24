//! The moto AWS emulator (PyPI `moto[server]`), run on loopback.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

/// The repository root (two levels above this crate).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

/// `MOTO_SERVER`, else the project's virtualenv, else `moto_server` on the PATH.
pub fn moto_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("MOTO_SERVER") {
        return p.into();
    }
    let venv = repo_root().join(".venv/bin/moto_server");
    if venv.exists() {
        venv
    } else {
        "moto_server".into()
    }
}

/// A minimal HTTP/1.0 GET on loopback; returns the status code.
pub async fn http_status(host_port: &str, path: &str) -> std::io::Result<u16> {
    let mut s = TcpStream::connect(host_port).await?;
    s.write_all(format!("GET {path} HTTP/1.0\r\nHost: {host_port}\r\n\r\n").as_bytes())
        .await?;
    let mut head = [0u8; 12];
    s.read_exact(&mut head).await?;
    std::str::from_utf8(&head[9..12])
        .ok()
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other("not an HTTP response"))
}

/// A running moto server, stopped when dropped.
pub struct Moto {
    child: Child,
    pub endpoint: String,
}

impl Moto {
    pub async fn start(port: u16) -> std::io::Result<Self> {
        let host_port = format!("127.0.0.1:{port}");
        if http_status(&host_port, "/moto-api/").await.is_ok() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AddrInUse,
                format!("something already listens on {host_port}: set AWS_EMULATOR_PORT to another port"),
            ));
        }
        let child = Command::new(moto_binary())
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!(
                        "cannot start {}: {e} (run `make venv` first)",
                        moto_binary().display()
                    ),
                )
            })?;
        let started = Instant::now();
        while http_status(&host_port, "/moto-api/").await.is_err() {
            if started.elapsed() > Duration::from_secs(30) {
                return Err(std::io::Error::other("moto did not start within 30 s"));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(Self {
            child,
            endpoint: format!("http://{host_port}"),
        })
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}
