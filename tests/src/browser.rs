//! A headless Chromium driven over WebDriver, for the tests that open the demo pages: finds
//! `chromium` and `chromedriver`, starts chromedriver on a free loopback port, opens a session
//! with a fresh profile, reads the browser console, and stops everything it started when
//! dropped, also when a test fails.

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

/// The Chromium flags this machine needs: headless, no sandbox (tests may run as root), and no
/// background traffic (there is no network).
pub const CHROMIUM_FLAGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// Where the browser and its driver are.
#[derive(Debug, Clone)]
pub struct Tools {
    /// The Chromium binary.
    pub chromium: PathBuf,
    /// The matching chromedriver binary.
    pub chromedriver: PathBuf,
}

/// The first of `names` found as a file in a `PATH` directory.
fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// Chromium and chromedriver from `$CHROMIUM` / `$CHROMEDRIVER`, else from `PATH`; an
/// explanation of what is missing otherwise.
pub fn find_tools() -> std::result::Result<Tools, String> {
    let pick = |var: &str, names: &[&str]| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .filter(|p| p.is_file())
            .or_else(|| on_path(names))
    };
    let chromium = pick(
        "CHROMIUM",
        &["chromium", "chromium-browser", "google-chrome"],
    );
    let chromedriver = pick("CHROMEDRIVER", &["chromedriver"]);
    match (chromium, chromedriver) {
        (Some(chromium), Some(chromedriver)) => Ok(Tools {
            chromium,
            chromedriver,
        }),
        (c, d) => Err(format!(
            "missing {}{}{} (Debian: apt-get install chromium chromium-driver; or set $CHROMIUM and $CHROMEDRIVER)",
            if c.is_none() { "chromium" } else { "" },
            if c.is_none() && d.is_none() {
                " and "
            } else {
                ""
            },
            if d.is_none() { "chromedriver" } else { "" },
        )),
    }
}

/// The tools, or `None` after printing why the test is skipped. Under CI (the one rule of
/// `datasets::ci::under_ci`, shared with the real-data tests), missing tools fail the test
/// instead: CI must run it.
///
/// # Panics
/// When the tools are missing under CI.
pub fn tools_or_skip(test: &str) -> Option<Tools> {
    match find_tools() {
        Ok(t) => Some(t),
        Err(why) => {
            assert!(
                !datasets::ci::under_ci(),
                "{test}: CI is set but the browser is missing: {why}"
            );
            println!("skipping {test}: {why}");
            None
        }
    }
}

/// A running chromedriver on a loopback port, in a process group of its own. Dropping it kills
/// that group: chromedriver and every browser it launched.
pub struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    /// Starts `chromedriver` on a free loopback port and waits until it accepts connections.
    ///
    /// # Errors
    /// When it cannot be started or does not listen within 20 s.
    pub fn start(chromedriver: &Path) -> Result<Driver> {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
            .local_addr()?
            .port();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting {}", chromedriver.display()))?;
        // From here on, Drop cleans up whatever happens.
        let mut driver = Driver { child, port };
        let start = Instant::now();
        while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
            if let Some(status) = driver.child.try_wait()? {
                bail!("chromedriver exited with {status} before listening on port {port}");
            }
            if start.elapsed() > Duration::from_secs(20) {
                bail!("chromedriver did not listen on port {port} within 20 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(driver)
    }

    /// The driver's URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A new browser session with a fresh profile in `profile`, a `width x height` window, and
    /// the browser console recorded for [`console_errors`].
    ///
    /// # Errors
    /// When the session cannot be created.
    pub async fn session(
        &self,
        chromium: &Path,
        profile: &Path,
        width: u32,
        height: u32,
    ) -> Result<Client> {
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|s| s.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        args.push(format!("--window-size={width},{height}"));
        args.push("--hide-scrollbars".into());
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium, "args": args },
            "goog:loggingPrefs": { "browser": "ALL" },
        });
        let Value::Object(caps) = caps else {
            unreachable!("a JSON object literal")
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url())
            .await
            .context("opening a WebDriver session")?;
        Ok(client)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The group id is chromedriver's pid (process_group(0)); the browsers it started are in
        // the same group. Only this group is signalled.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// chromedriver's log endpoint (`POST /session/{id}/se/log`), which returns and clears the
/// browser console entries recorded since the last call.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> std::result::Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"type":"browser"}"#.into()))
    }
}

/// The console entries at level SEVERE (errors, uncaught exceptions, failed loads) since the
/// last call, as `source: message` lines.
///
/// # Errors
/// When the driver does not answer.
pub async fn console_errors(client: &Client) -> Result<Vec<String>> {
    let entries = client
        .issue_cmd(BrowserLog)
        .await
        .context("reading the browser log")?;
    let entries = entries.as_array().cloned().unwrap_or_default();
    Ok(entries
        .iter()
        .filter(|e| e["level"] == "SEVERE")
        .map(|e| format!("{}: {}", e["source"], e["message"]))
        .collect())
}
