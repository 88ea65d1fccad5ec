//! An SMTP sink for tests: accepts real SMTP on a loopback port and keeps every message, so a
//! test can read the link or code a user would find in their mailbox.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One received message.
#[derive(Debug, Clone)]
pub struct Received {
    /// `RCPT TO` addresses.
    pub to: Vec<String>,
    /// The raw message after `DATA` (headers and body).
    pub data: String,
    /// The `user:password` the client authenticated with (`AUTH PLAIN`), if it did.
    pub auth: Option<String>,
}

/// A running sink.
pub struct SmtpSink {
    /// `smtp://127.0.0.1:PORT`.
    pub url: String,
    messages: Arc<Mutex<Vec<Received>>>,
}

impl SmtpSink {
    /// Starts listening on a free loopback port.
    pub fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the SMTP sink");
        let url = format!("smtp://{}", listener.local_addr().unwrap());
        let messages = Arc::new(Mutex::new(Vec::new()));
        let kept = messages.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let kept = kept.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &kept);
                });
            }
        });
        SmtpSink { url, messages }
    }

    /// Waits (up to 10 s) for a message to `to` and returns it.
    pub fn wait_for(&self, to: &str) -> Received {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(m) = self
                .messages
                .lock()
                .unwrap()
                .iter()
                .find(|m| m.to.iter().any(|t| t == to))
            {
                return m.clone();
            }
            assert!(Instant::now() < deadline, "no email to {to} arrived");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits (up to 10 s) for the `n`th message to `to` (counting from 1) and returns it.
    pub fn wait_for_nth(&self, to: &str, n: usize) -> Received {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(m) = self.all_to(to).into_iter().nth(n - 1) {
                return m;
            }
            assert!(
                Instant::now() < deadline,
                "no email number {n} to {to} arrived"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Every message to `to` so far, oldest first.
    pub fn all_to(&self, to: &str) -> Vec<Received> {
        self.messages
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m.to.iter().any(|t| t == to))
            .cloned()
            .collect()
    }

    /// How many messages arrived.
    pub fn count(&self) -> usize {
        self.messages.lock().unwrap().len()
    }
}

/// One SMTP session: greeting, EHLO, MAIL, RCPT, DATA … QUIT.
fn serve(stream: TcpStream, kept: &Mutex<Vec<Received>>) -> std::io::Result<()> {
    let mut out = stream.try_clone()?;
    let mut lines = BufReader::new(stream);
    out.write_all(b"220 sink.test ESMTP ready\r\n")?;
    let mut to = Vec::new();
    let mut auth = None;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let upper = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-sink.test\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("AUTH PLAIN ") {
            auth = plain_credentials(line.trim_end()["AUTH PLAIN ".len()..].trim());
            b"235 2.7.0 Authentication successful\r\n"
        } else if upper.starts_with("HELO")
            || upper.starts_with("MAIL FROM")
            || upper.starts_with("RSET")
            || upper.starts_with("NOOP")
        {
            if upper.starts_with("RSET") {
                to.clear();
            }
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO") {
            let addr = line
                .trim_end()
                .split(':')
                .nth(1)
                .unwrap_or("")
                .trim()
                .trim_start_matches('<');
            to.push(addr.split('>').next().unwrap_or("").to_string());
            b"250 OK\r\n"
        } else if upper == "DATA" {
            out.write_all(b"354 go ahead\r\n")?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line)? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            kept.lock().unwrap().push(Received {
                to: std::mem::take(&mut to),
                data,
                auth: auth.clone(),
            });
            b"250 queued\r\n"
        } else if upper == "QUIT" {
            out.write_all(b"221 bye\r\n")?;
            return Ok(());
        } else {
            b"502 not implemented\r\n"
        };
        out.write_all(reply)?;
    }
}

/// `user:password` from an `AUTH PLAIN` initial response (base64 of `authzid NUL user NUL
/// password`).
fn plain_credentials(b64: &str) -> Option<String> {
    use base64::Engine;
    let raw = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let mut parts = text.split('\0').skip(1);
    Some(format!("{}:{}", parts.next()?, parts.next()?))
}
