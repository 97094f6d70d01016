//! The HTTP(S) side of [`download`](super): streaming into a partial file, resuming it with
//! `Range` requests, verifying it, and renaming it into place.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use md5::{Digest, Md5};

use super::{Progress, RemoteFile, missing};
use crate::{DatasetError, DatasetErrorKind};

/// How many times a cut transfer is resumed within one fetch before giving up (the partial
/// file stays, so the next run resumes it again).
const MAX_RESUMES: u32 = 5;

/// Downloads `url` to `dest` and checks it against `file`'s official checksum.
///
/// The bytes go to [`RemoteFile::partial_path`] first. A cut transfer is resumed with an HTTP
/// `Range` request (up to a few times; a server that ignores `Range` sends the whole file
/// again); a partial left by an earlier run is resumed too, and discarded if the result does
/// not verify. Only a verified file is renamed onto `dest`. A file whose bytes differ from the
/// official file's is still accepted when its decompressed content has the official content's
/// MD5 ([`RemoteFile::content_md5`]). `progress` hears about every step.
///
/// # Errors
/// A [`DatasetError`] naming `dest`: [`DatasetErrorKind::Unreachable`] when no connection can
/// be made, [`DatasetErrorKind::Http`] for an error status, [`DatasetErrorKind::Transfer`]
/// when the transfer keeps being cut or grows past twice the official size,
/// [`DatasetErrorKind::Checksum`] for a file that does not match, [`DatasetErrorKind::Busy`]
/// when another process is fetching the same file, and [`DatasetErrorKind::Io`] when writing
/// fails. After a checksum or HTTP error nothing is left behind; after a cut, the partial file
/// stays for the next attempt to resume.
pub fn fetch_verified(
    url: &str,
    file: &RemoteFile,
    dest: &Path,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<(), DatasetError> {
    let dir = parent_dir(dest);
    fs::create_dir_all(&dir).map_err(|e| DatasetError::io(&dir, e))?;
    let part_path = file.partial_path(&dir.join(file.name));
    let part = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(&part_path)
        .map_err(|e| DatasetError::io(&part_path, e))?;
    // Two runs appending to one partial file would interleave their bytes.
    match part.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => {
            return Err(DatasetError::new(dest, DatasetErrorKind::Busy));
        }
        Err(fs::TryLockError::Error(e)) => return Err(DatasetError::io(&part_path, e)),
    }
    let mut job = Job {
        url,
        file,
        dest,
        part_path: &part_path,
        part,
    };
    let result = job.run(progress);
    if result.is_err() {
        // Keep bytes worth resuming (after a cut or an unreachable server); drop the rest.
        let keep = matches!(
            result.as_ref().map_err(|e| &e.kind),
            Err(DatasetErrorKind::Transfer { .. } | DatasetErrorKind::Unreachable { .. })
        ) && job.len().is_ok_and(|n| n > 0);
        if !keep {
            let _ = fs::remove_file(&part_path);
        }
    }
    result
}

/// Fetches every file of `files` missing from `dir` (see [`missing`](super::missing)) into
/// `dir`, from its official URL or, given `mirror`, from the mirror's base URL with the same
/// file name. Checksums always come from `files`.
///
/// # Errors
/// As [`fetch_verified`], for the first file that fails.
pub fn fetch_all(
    files: &[RemoteFile],
    dir: &Path,
    mirror: Option<&str>,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<(), DatasetError> {
    for file in missing(dir, files) {
        let url = mirror.map_or_else(|| file.url.to_string(), |m| file.url_at(m));
        fetch_verified(&url, file, &dir.join(file.name), progress)?;
    }
    Ok(())
}

/// One fetch in progress: the partial file, locked.
struct Job<'a> {
    url: &'a str,
    file: &'a RemoteFile,
    dest: &'a Path,
    part_path: &'a Path,
    part: File,
}

/// How one request ended, short of a whole body.
enum Cut {
    /// Worth asking again for the rest.
    Resumable(String),
    /// Not: the error to report.
    Fatal(DatasetError),
}

impl Job<'_> {
    fn len(&self) -> io::Result<u64> {
        self.part.metadata().map(|m| m.len())
    }

    fn io(&self, e: io::Error) -> DatasetError {
        DatasetError::io(self.part_path, e)
    }

    fn truncate(&mut self) -> Result<(), DatasetError> {
        self.part.set_len(0).map_err(|e| self.io(e))
    }

    fn run(&mut self, progress: &mut dyn FnMut(Progress<'_>)) -> Result<(), DatasetError> {
        let agent = ureq::Agent::new_with_config(
            ureq::Agent::config_builder()
                .timeout_connect(Some(Duration::from_secs(30)))
                .timeout_per_read(Some(Duration::from_secs(60)))
                .build(),
        );
        // A partial from an earlier run may belong to a file that has since changed: if the
        // result does not verify, it is discarded and the file fetched once more from scratch.
        let mut stale_possible = self.len().map_err(|e| self.io(e))? > 0;
        let mut resumes = 0;
        let mut connected = false;
        loop {
            match self.request(&agent, connected, progress) {
                Ok(()) => {}
                Err(Cut::Fatal(e)) => return Err(e),
                Err(Cut::Resumable(reason)) => {
                    connected = true;
                    resumes += 1;
                    let done = self.len().map_err(|e| self.io(e))?;
                    if resumes > MAX_RESUMES {
                        return Err(self.transfer_error(format!(
                            "{reason}; gave up after {MAX_RESUMES} resumes, {done} bytes kept for the next run"
                        )));
                    }
                    progress(Progress::Retrying {
                        file: self.file.name,
                        done,
                        reason: &reason,
                    });
                    std::thread::sleep(Duration::from_millis(200 * u64::from(resumes)));
                    continue;
                }
            }
            connected = true;
            match self.verify().map_err(|e| self.io(e))? {
                Ok(by_content) => {
                    self.part.sync_all().map_err(|e| self.io(e))?;
                    fs::rename(self.part_path, self.dest)
                        .map_err(|e| DatasetError::io(self.dest, e))?;
                    progress(Progress::Verified {
                        file: self.file.name,
                        bytes: self.len().unwrap_or(0),
                        by_content,
                    });
                    return Ok(());
                }
                Err(_) if stale_possible => {
                    stale_possible = false;
                    self.truncate()?;
                }
                Err(actual) => {
                    return Err(DatasetError::new(
                        self.dest,
                        DatasetErrorKind::Checksum {
                            url: self.url.to_string(),
                            expected: self.file.md5.to_ascii_lowercase(),
                            actual,
                        },
                    ));
                }
            }
        }
    }

    fn transfer_error(&self, reason: String) -> DatasetError {
        DatasetError::new(
            self.dest,
            DatasetErrorKind::Transfer {
                url: self.url.to_string(),
                reason,
            },
        )
    }

    /// One GET for what the partial file lacks, appended to it.
    fn request(
        &mut self,
        agent: &ureq::Agent,
        connected_before: bool,
        progress: &mut dyn FnMut(Progress<'_>),
    ) -> Result<(), Cut> {
        let have = self.len().map_err(|e| Cut::Fatal(self.io(e)))?;
        let mut request = agent.get(self.url);
        if have > 0 {
            request = request.header("Range", format!("bytes={have}-"));
        }
        let mut response = match request.call() {
            Ok(r) => r,
            // The partial already holds the whole file (or more): verification decides.
            Err(ureq::Error::StatusCode(416)) if have > 0 => return Ok(()),
            Err(ureq::Error::StatusCode(status)) => {
                return Err(Cut::Fatal(DatasetError::new(
                    self.dest,
                    DatasetErrorKind::Http {
                        url: self.url.to_string(),
                        status,
                    },
                )));
            }
            Err(
                e @ (ureq::Error::Io(_)
                | ureq::Error::HostNotFound
                | ureq::Error::ConnectionFailed
                | ureq::Error::Timeout(_)
                | ureq::Error::Tls(_)),
            ) => {
                // The first contact failing means no network or no server; later, a server
                // that was there a moment ago is worth asking again.
                if connected_before {
                    return Err(Cut::Resumable(e.to_string()));
                }
                return Err(Cut::Fatal(DatasetError::new(
                    self.dest,
                    DatasetErrorKind::Unreachable {
                        url: self.url.to_string(),
                        reason: e.to_string(),
                    },
                )));
            }
            Err(e) => return Err(Cut::Fatal(self.transfer_error(e.to_string()))),
        };
        let body_len = response.body().content_length();
        let (start, total) = if response.status().as_u16() == 206 {
            let range = response
                .headers()
                .get("content-range")
                .and_then(|v| v.to_str().ok())
                .and_then(parse_content_range);
            match range {
                Some((start, total)) if start == have => {
                    (start, total.unwrap_or(have + body_len.unwrap_or(0)))
                }
                _ => {
                    return Err(Cut::Fatal(self.transfer_error(format!(
                        "asked for bytes {have}- and got a different range"
                    ))));
                }
            }
        } else {
            // The server ignored the range: it sends the whole file, so start over.
            if have > 0 {
                self.truncate().map_err(Cut::Fatal)?;
            }
            (0, body_len.unwrap_or(self.file.size))
        };
        let cap = self.file.size.saturating_mul(2).saturating_add(1 << 20);
        if total > cap {
            return Err(Cut::Fatal(self.transfer_error(format!(
                "the server announces {total} bytes, and the official file has {}",
                self.file.size
            ))));
        }
        progress(Progress::Started {
            file: self.file.name,
            url: self.url,
            total,
            resumed_from: start,
        });
        let mut reader = response.body_mut().as_reader();
        let mut done = start;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(Cut::Resumable(format!("{e} after {done} of {total} bytes")));
                }
            };
            if done + n as u64 > cap {
                return Err(Cut::Fatal(self.transfer_error(format!(
                    "more than {cap} bytes arrived, and the official file has {}",
                    self.file.size
                ))));
            }
            self.part
                .write_all(&buf[..n])
                .map_err(|e| Cut::Fatal(self.io(e)))?;
            done += n as u64;
            progress(Progress::Received {
                file: self.file.name,
                done,
                total,
            });
        }
        if done != total {
            return Err(Cut::Resumable(format!(
                "the connection closed after {done} of {total} bytes"
            )));
        }
        Ok(())
    }

    /// `Ok(by_content)` when the partial file is the official file (byte for byte, or by its
    /// decompressed content); `Err(md5)` with its MD5 otherwise.
    fn verify(&mut self) -> io::Result<Result<bool, String>> {
        let actual = md5_of(File::open(self.part_path)?)?;
        if actual.eq_ignore_ascii_case(self.file.md5) {
            return Ok(Ok(false));
        }
        if let Some(content) = self.file.content_md5 {
            let decoded = flate2::read::MultiGzDecoder::new(File::open(self.part_path)?);
            // Not gzip, or damaged: it is simply not the official content.
            if md5_of(decoded).is_ok_and(|m| m.eq_ignore_ascii_case(content)) {
                return Ok(Ok(true));
            }
        }
        Ok(Err(actual))
    }
}

/// The MD5 of everything `r` yields, lowercase hex.
fn md5_of(mut r: impl Read) -> io::Result<String> {
    let mut hasher = Md5::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(hex::encode(hasher.finalize()))
}

/// `bytes START-END/TOTAL` (TOTAL may be `*`): the start and, when given, the total.
fn parse_content_range(v: &str) -> Option<(u64, Option<u64>)> {
    let rest = v.trim().strip_prefix("bytes")?.trim_start();
    let (range, total) = rest.split_once('/')?;
    let (start, _end) = range.split_once('-')?;
    let start = start.trim().parse().ok()?;
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse().ok()?),
    };
    Some((start, total))
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges_parse() {
        assert_eq!(
            parse_content_range("bytes 100-199/200"),
            Some((100, Some(200)))
        );
        assert_eq!(parse_content_range("bytes 5-9/*"), Some((5, None)));
        assert_eq!(parse_content_range("bytes */200"), None);
        assert_eq!(parse_content_range("items 1-2/3"), None);
    }

    #[test]
    fn md5_of_known_input() {
        assert_eq!(
            md5_of(&b"abc"[..]).unwrap(),
            "900150983cd24fb0d6963f7d28e17f72"
        );
    }
}
