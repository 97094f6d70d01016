//! A loopback HTTP mirror for the fetch tests: serves files from memory on 127.0.0.1, honours
//! `Range` requests, can cut a transfer halfway on demand, and logs every request.
//!
//! Written here rather than taken from a crate because the tests need it to misbehave on
//! purpose (a body cut short after its headers promised more), which servers are built not to.

use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// How the mirror serves one file.
#[derive(Clone)]
pub enum Serve {
    /// Every request gets the file (or the range asked for).
    Whole(Vec<u8>),
    /// The first request announces the whole file but the connection closes after `after`
    /// bytes; later requests are served as [`Serve::Whole`].
    CutOnce {
        /// The file.
        bytes: Vec<u8>,
        /// Bytes sent before the cut.
        after: usize,
    },
}

impl Serve {
    fn bytes(&self) -> &[u8] {
        match self {
            Serve::Whole(b) | Serve::CutOnce { bytes: b, .. } => b,
        }
    }
}

/// A request the mirror answered: the path and the start of the range asked for, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    /// The request path, without the leading `/`.
    pub path: String,
    /// `N` of a `Range: bytes=N-` header.
    pub range_start: Option<u64>,
}

struct State {
    files: Vec<(String, Serve)>,
    cut_done: Mutex<Vec<String>>,
    log: Mutex<Vec<Logged>>,
    body_bytes: AtomicU64,
    stop: AtomicBool,
}

/// A running mirror; it stops when dropped.
pub struct Mirror {
    url: String,
    state: Arc<State>,
}

impl Mirror {
    /// Starts serving `files` (name, how) at `http://127.0.0.1:PORT/NAME`; anything else is a
    /// 404.
    pub fn start(files: Vec<(String, Serve)>) -> Mirror {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding a loopback port");
        let url = format!(
            "http://{}/",
            listener.local_addr().expect("the bound address")
        );
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let state = Arc::new(State {
            files,
            cut_done: Mutex::new(Vec::new()),
            log: Mutex::new(Vec::new()),
            body_bytes: AtomicU64::new(0),
            stop: AtomicBool::new(false),
        });
        let s = Arc::clone(&state);
        thread::spawn(move || {
            while !s.stop.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let s = Arc::clone(&s);
                        thread::spawn(move || answer(stream, &s));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        Mirror { url, state }
    }

    /// Starts serving every file of `files` (name, bytes) whole.
    pub fn whole(files: &[(String, Vec<u8>)]) -> Mirror {
        Mirror::start(
            files
                .iter()
                .map(|(n, b)| (n.clone(), Serve::Whole(b.clone())))
                .collect(),
        )
    }

    /// The base URL, ending in `/`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every request answered so far, in order.
    pub fn requests(&self) -> Vec<Logged> {
        self.state.log.lock().expect("the log").clone()
    }

    /// Body bytes sent so far, over all requests.
    pub fn body_bytes(&self) -> u64 {
        self.state.body_bytes.load(Ordering::Relaxed)
    }
}

impl Drop for Mirror {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::Relaxed);
    }
}

/// A base URL where nothing listens: a port that was free a moment ago.
pub fn dead_url() -> String {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port();
    format!("http://127.0.0.1:{port}/")
}

fn answer(mut stream: TcpStream, state: &State) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let Ok(clone) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(clone);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut range_start = None;
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("range:") {
            range_start = v
                .trim()
                .strip_prefix("bytes=")
                .and_then(|r| r.strip_suffix('-'))
                .and_then(|n| n.parse::<u64>().ok());
        }
        line.clear();
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .trim_start_matches('/')
        .to_string();
    state.log.lock().expect("the log").push(Logged {
        path: path.clone(),
        range_start,
    });
    let Some((_, serve)) = state.files.iter().find(|(n, _)| *n == path) else {
        let _ = stream
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return;
    };
    let bytes = serve.bytes();
    let len = bytes.len() as u64;
    let cut = match serve {
        Serve::CutOnce { after, .. } => {
            let mut done = state.cut_done.lock().expect("the cut list");
            if done.contains(&path) {
                None
            } else {
                done.push(path.clone());
                Some(*after)
            }
        }
        Serve::Whole(_) => None,
    };
    let (head, body): (String, &[u8]) = match range_start {
        Some(start) if start >= len => (
            format!(
                "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{len}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            ),
            &[],
        ),
        Some(start) => (
            format!(
                "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {start}-{}/{len}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                len - 1,
                len - start
            ),
            &bytes[start as usize..],
        ),
        None => (
            format!("HTTP/1.1 200 OK\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"),
            bytes,
        ),
    };
    let body = match cut {
        Some(after) => &body[..after.min(body.len())],
        None => body,
    };
    if stream.write_all(head.as_bytes()).is_ok() && stream.write_all(body).is_ok() {
        state
            .body_bytes
            .fetch_add(body.len() as u64, Ordering::Relaxed);
    }
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Both);
}
