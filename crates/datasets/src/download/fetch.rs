//! The HTTP(S) side of [`download`](super): streaming, verifying and writing a file.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use md5::{Digest, Md5};

use super::{Progress, RemoteFile};
use crate::{DatasetError, DatasetErrorKind};

/// Downloads `url` to `dest`, checking that its MD5 is `md5_hex`. The bytes go to a temporary
/// file in `dest`'s directory ([`atomicfile::AtomicFile`]), which becomes `dest` by rename only
/// once complete and verified: on any failure nothing is left behind. `progress` is called after every chunk received.
///
/// # Errors
/// A [`DatasetError`] naming `dest` (or, when the server cannot be reached, its directory):
/// [`DatasetErrorKind::Offline`] (saying which file to place where by hand),
/// [`DatasetErrorKind::Http`] for an error status, [`DatasetErrorKind::Transfer`] for a cut
/// or short transfer, [`DatasetErrorKind::Checksum`] for a mismatch, and
/// [`DatasetErrorKind::Io`] when writing fails.
pub fn fetch_verified(
    url: &str,
    md5_hex: &str,
    dest: &Path,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<(), DatasetError> {
    let dir = parent_dir(dest);
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    fs::create_dir_all(&dir).map_err(|e| DatasetError::io(&dir, e))?;
    let transfer = |reason: String| {
        DatasetError::new(
            dest,
            DatasetErrorKind::Transfer {
                url: url.to_string(),
                reason,
            },
        )
    };

    let config = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_per_read(Some(Duration::from_secs(60)))
        .build();
    let agent = ureq::Agent::new_with_config(config);
    let mut response = match agent.get(url).call() {
        Ok(r) => r,
        Err(ureq::Error::StatusCode(status)) => {
            return Err(DatasetError::new(
                dest,
                DatasetErrorKind::Http {
                    url: url.to_string(),
                    status,
                },
            ));
        }
        Err(
            e @ (ureq::Error::Io(_)
            | ureq::Error::HostNotFound
            | ureq::Error::ConnectionFailed
            | ureq::Error::Timeout(_)
            | ureq::Error::Tls(_)),
        ) => {
            return Err(DatasetError::new(
                &dir,
                DatasetErrorKind::Offline {
                    url: url.to_string(),
                    reason: e.to_string(),
                    files: vec![name],
                },
            ));
        }
        Err(e) => return Err(transfer(e.to_string())),
    };

    let total = response.body().content_length();
    let mut reader = response.body_mut().as_reader();
    // Nothing appears at `dest` until the whole file has arrived and matched its checksum; on
    // any failure the temporary is dropped, and with it the partial download.
    let mut tmp =
        atomicfile::AtomicFile::create(dest).map_err(|e| DatasetError::io(&dir, e.into()))?;
    let mut hasher = Md5::new();
    let mut done = 0u64;
    let mut buf = vec![0u8; 1 << 16];
    progress(Progress {
        file: &name,
        done,
        total,
    });
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(transfer(format!("{e} after {done} bytes"))),
        };
        hasher.update(&buf[..n]);
        tmp.write_all(&buf[..n])
            .map_err(|e| DatasetError::io(dest, e))?;
        done += n as u64;
        progress(Progress {
            file: &name,
            done,
            total,
        });
    }
    if let Some(t) = total
        && t != done
    {
        return Err(transfer(format!("received {done} of {t} bytes")));
    }
    let actual = hex::encode(hasher.finalize());
    if !actual.eq_ignore_ascii_case(md5_hex) {
        return Err(DatasetError::new(
            dest,
            DatasetErrorKind::Checksum {
                url: url.to_string(),
                expected: md5_hex.to_ascii_lowercase(),
                actual,
            },
        ));
    }
    tmp.commit().map_err(|e| DatasetError::io(dest, e.into()))?;
    Ok(())
}

/// Downloads every file of `files` from `base_url` (the name is appended, with a `/` between
/// when needed) into `dir`, skipping files already present there, raw or gzip (`x.gz` counts as
/// present when `x` exists). Each file is fetched with [`fetch_verified`].
///
/// # Errors
/// As [`fetch_verified`]; when the server cannot be reached, the
/// [`DatasetErrorKind::Offline`] error names `dir` and every file still missing, so one message
/// says what to place where.
pub fn fetch_all(
    base_url: &str,
    files: &[RemoteFile],
    dir: &Path,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<(), DatasetError> {
    for file in files {
        if is_present(dir, file.name) {
            continue;
        }
        let url = join_url(base_url, file.name);
        match fetch_verified(&url, file.md5, &dir.join(file.name), progress) {
            Ok(()) => {}
            Err(DatasetError {
                kind: DatasetErrorKind::Offline { url, reason, .. },
                ..
            }) => {
                let files = files
                    .iter()
                    .filter(|f| !is_present(dir, f.name))
                    .map(|f| f.name.to_string())
                    .collect();
                return Err(DatasetError::new(
                    dir,
                    DatasetErrorKind::Offline { url, reason, files },
                ));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Whether `name` (or, for `x.gz`, `x`) exists in `dir`.
fn is_present(dir: &Path, name: &str) -> bool {
    dir.join(name).exists()
        || name
            .strip_suffix(".gz")
            .is_some_and(|raw| dir.join(raw).exists())
}

fn join_url(base: &str, name: &str) -> String {
    if base.ends_with('/') {
        format!("{base}{name}")
    } else {
        format!("{base}/{name}")
    }
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::BufRead;
    use std::net::{TcpListener, TcpStream};
    use std::thread;
    use std::time::Instant;

    /// What the loopback server answers for a path.
    #[derive(Clone)]
    pub(crate) enum Reply {
        /// 200 with these bytes.
        Ok(Vec<u8>),
        /// 200 announcing these bytes, but the connection closes after the first `n`.
        Cut(Vec<u8>, usize),
    }

    /// Starts a loopback HTTP/1.1 server on 127.0.0.1 answering `routes` (anything else: 404).
    /// It serves at most `max_connections` connections and stops by itself after 20 s.
    pub(crate) fn serve(routes: Vec<(&'static str, Reply)>, max_connections: usize) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}/", listener.local_addr().unwrap());
        listener.set_nonblocking(true).unwrap();
        thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(20);
            let mut served = 0;
            while served < max_connections && Instant::now() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => {
                        served += 1;
                        answer(stream, &routes);
                    }
                    Err(_) => thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        base
    }

    fn answer(mut stream: TcpStream, routes: &[(&'static str, Reply)]) {
        stream.set_nonblocking(false).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).is_err() {
            return;
        }
        // Skip the headers.
        let mut line = String::new();
        while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
            line.clear();
        }
        let path = request_line.split_whitespace().nth(1).unwrap_or("");
        let reply = routes
            .iter()
            .find(|(p, _)| path == format!("/{p}"))
            .map(|(_, r)| r.clone());
        let head = |len: usize| {
            format!("HTTP/1.1 200 OK\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n")
        };
        let _ = match reply {
            Some(Reply::Ok(body)) => stream
                .write_all(head(body.len()).as_bytes())
                .and_then(|_| stream.write_all(&body)),
            Some(Reply::Cut(body, n)) => stream
                .write_all(head(body.len()).as_bytes())
                .and_then(|_| stream.write_all(&body[..n])),
            None => stream.write_all(
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            ),
        };
        let _ = stream.flush();
        let _ = stream.shutdown(std::net::Shutdown::Both);
    }

    pub(crate) fn md5_hex(bytes: &[u8]) -> String {
        hex::encode(Md5::digest(bytes))
    }

    fn payload(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 7 % 253) as u8).collect()
    }

    fn files_in(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn good_transfer_is_verified_and_reported() {
        let body = payload(300_000);
        let base = serve(vec![("a.bin", Reply::Ok(body.clone()))], 1);
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("a.bin");
        let mut seen = Vec::new();
        fetch_verified(&format!("{base}a.bin"), &md5_hex(&body), &dest, &mut |p| {
            seen.push((p.file.to_string(), p.done, p.total))
        })
        .unwrap();
        assert_eq!(fs::read(&dest).unwrap(), body);
        assert_eq!(files_in(dir.path()), ["a.bin"]);
        assert_eq!(seen.first(), Some(&("a.bin".to_string(), 0, Some(300_000))));
        assert_eq!(
            seen.last(),
            Some(&("a.bin".to_string(), 300_000, Some(300_000)))
        );
        assert!(
            seen.windows(2).all(|w| w[0].1 <= w[1].1),
            "progress never goes back"
        );
    }

    #[test]
    fn checksum_mismatch_leaves_nothing() {
        let body = payload(1000);
        let base = serve(vec![("a.bin", Reply::Ok(body))], 1);
        let dir = tempfile::tempdir().unwrap();
        let url = format!("{base}a.bin");
        let e = fetch_verified(
            &url,
            &md5_hex(b"other"),
            &dir.path().join("a.bin"),
            &mut |_| {},
        )
        .unwrap_err();
        match &e.kind {
            DatasetErrorKind::Checksum {
                url: u,
                expected,
                actual,
            } => {
                assert_eq!(u, &url);
                assert_eq!(expected, &md5_hex(b"other"));
                assert_eq!(actual, &md5_hex(&payload(1000)));
            }
            other => panic!("unexpected {other}"),
        }
        assert!(files_in(dir.path()).is_empty());
    }

    #[test]
    fn cut_connection_leaves_nothing() {
        let body = payload(200_000);
        let md5 = md5_hex(&body);
        let base = serve(vec![("a.bin", Reply::Cut(body, 70_000))], 1);
        let dir = tempfile::tempdir().unwrap();
        let e = fetch_verified(
            &format!("{base}a.bin"),
            &md5,
            &dir.path().join("a.bin"),
            &mut |_| {},
        )
        .unwrap_err();
        assert!(matches!(e.kind, DatasetErrorKind::Transfer { .. }), "{e}");
        assert!(files_in(dir.path()).is_empty());
    }

    #[test]
    fn not_found_names_the_url() {
        let base = serve(vec![], 1);
        let dir = tempfile::tempdir().unwrap();
        let url = format!("{base}missing.gz");
        let e =
            fetch_verified(&url, "00", &dir.path().join("missing.gz"), &mut |_| {}).unwrap_err();
        assert!(
            matches!(e.kind, DatasetErrorKind::Http { status: 404, .. }),
            "{e}"
        );
        assert!(e.to_string().contains(&url), "{e}");
        assert!(files_in(dir.path()).is_empty());
    }

    #[test]
    fn unreachable_server_says_what_to_place_where() {
        // A port that was just free: nothing listens there, so the connection is refused.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = tempfile::tempdir().unwrap();
        let files = [
            RemoteFile {
                name: "a.gz",
                md5: "00",
            },
            RemoteFile {
                name: "b.gz",
                md5: "00",
            },
            RemoteFile {
                name: "c.gz",
                md5: "00",
            },
        ];
        fs::write(dir.path().join("b"), b"raw copy of b").unwrap();
        let e = fetch_all(
            &format!("http://127.0.0.1:{port}"),
            &files,
            dir.path(),
            &mut |_| {},
        )
        .unwrap_err();
        assert_eq!(e.path, dir.path());
        match &e.kind {
            DatasetErrorKind::Offline { url, files, .. } => {
                assert_eq!(url, &format!("http://127.0.0.1:{port}/a.gz"));
                assert_eq!(files, &["a.gz", "c.gz"]);
            }
            other => panic!("unexpected {other}"),
        }
        let msg = e.to_string();
        assert!(
            msg.contains("a.gz, c.gz") && msg.contains(&dir.path().display().to_string()),
            "{msg}"
        );
    }

    #[test]
    fn fetch_all_fetches_what_is_missing() {
        let (a, b) = (payload(5000), payload(7000));
        let base = serve(
            vec![
                ("a.gz", Reply::Ok(a.clone())),
                ("b.gz", Reply::Ok(b.clone())),
            ],
            1,
        );
        let dir = tempfile::tempdir().unwrap();
        // `a` is present (raw), so only b.gz is requested: the server serves one connection.
        fs::write(dir.path().join("a"), b"local").unwrap();
        let files = [
            RemoteFile {
                name: "a.gz",
                md5: "will-not-be-checked",
            },
            RemoteFile {
                name: "b.gz",
                md5: Box::leak(md5_hex(&b).into_boxed_str()),
            },
        ];
        let mut calls = 0;
        fetch_all(base.trim_end_matches('/'), &files, dir.path(), &mut |_| {
            calls += 1
        })
        .unwrap();
        assert_eq!(files_in(dir.path()), ["a", "b.gz"]);
        assert_eq!(fs::read(dir.path().join("b.gz")).unwrap(), b);
        assert!(calls >= 2);
    }
}
