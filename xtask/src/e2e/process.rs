//! Background servers started for the suite: stopped by PID when dropped, also when a step fails.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Child;
use std::thread;
use std::time::{Duration, Instant};

/// A server process of ours, listening on 127.0.0.1.
pub struct ServerProcess {
    /// What it is, for messages.
    pub name: String,
    /// Its base URL.
    pub url: String,
    child: Child,
}

impl ServerProcess {
    /// Takes ownership of a started child that serves `url`.
    pub fn new(name: &str, url: String, child: Child) -> Self {
        Self {
            name: name.to_owned(),
            url,
            child,
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process has exited.
    pub fn has_exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// Stops the process: SIGTERM, then SIGKILL after `grace`.
    pub fn stop(&mut self, grace: Duration) {
        if self.has_exited() {
            return;
        }
        // `kill` is the portable way to send SIGTERM without unsafe code.
        let _ = std::process::Command::new("kill")
            .arg(self.pid().to_string())
            .status();
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if self.has_exited() {
                return;
            }
            thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.stop(Duration::from_secs(5));
    }
}

/// A free port on 127.0.0.1 (bound, then released for the server to take).
pub fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// A plain HTTP/1.1 GET on loopback: the status code, or `None` when nothing answers.
pub fn http_status(url: &str, path: &str) -> Option<u16> {
    let authority = url.strip_prefix("http://")?.trim_end_matches('/');
    let mut stream = TcpStream::connect(authority).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = [0u8; 32];
    let n = stream.read(&mut head).ok()?;
    std::str::from_utf8(&head[..n])
        .ok()?
        .split(' ')
        .nth(1)?
        .parse()
        .ok()
}

/// Waits until `path` answers 200 (a 503 means "still loading"), the process dies, or time runs out.
pub fn wait_until_ready(
    server: &mut ServerProcess,
    path: &str,
    limit: Duration,
) -> Result<(), String> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if server.has_exited() {
            return Err(format!("{} exited before it was ready", server.name));
        }
        if http_status(&server.url, path) == Some(200) {
            return Ok(());
        }
        thread::sleep(Duration::from_millis(100));
    }
    Err(format!(
        "{} did not answer 200 on {path} within {} s",
        server.name,
        limit.as_secs()
    ))
}
