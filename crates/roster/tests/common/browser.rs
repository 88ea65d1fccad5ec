//! The browser harness of the web console's suites: a headless Chromium behind its own
//! ChromeDriver (fantoccini), with waits that give a page time to show what a step expects.
//! Include it with `#[path = "common/browser.rs"] mod browser;` beside `mod common;`.
#![allow(dead_code)]

use crate::common::*;
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One browser at a time: the machines running the suite are small.
static ONE_BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// How long a page has to show what a step expects.
const PATIENCE: Duration = Duration::from_secs(15);

/// A headless Chromium behind its own ChromeDriver.
pub struct Browser {
    driver: Child,
    /// The WebDriver client, for what the helpers below do not cover.
    pub c: Client,
}

impl Drop for Browser {
    /// Stops ChromeDriver and, with its process group, the Chromium it started (which a
    /// failed test leaves running otherwise).
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.driver.id())])
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// A free loopback port.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Browser {
    /// Starts ChromeDriver on a free port and opens a headless session, 1280 px wide.
    pub async fn start(chromedriver: PathBuf) -> Browser {
        let port = free_port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let mut options = json!({
            "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", "--window-size=1280,900"]
        });
        if std::path::Path::new("/usr/bin/chromium").is_file() {
            options["binary"] = json!("/usr/bin/chromium");
        }
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), options);
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        let c = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => break c,
                Err(e) if started.elapsed() > Duration::from_secs(30) => {
                    panic!("no WebDriver session from chromedriver: {e}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        };
        Browser { driver, c }
    }

    pub async fn goto(&self, url: &str) {
        self.c.goto(url).await.expect("open page");
    }

    /// The first element matching `css`, once it is there.
    pub async fn find(&self, css: &str) -> Element {
        let started = Instant::now();
        loop {
            if let Ok(e) = self.c.find(Locator::Css(css)).await {
                return e;
            }
            assert!(started.elapsed() < PATIENCE, "nothing matches {css}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The text of the first element matching `css`, once it contains `text`.
    pub async fn wait_text(&self, css: &str, text: &str) -> String {
        let started = Instant::now();
        loop {
            let seen = match self.c.find(Locator::Css(css)).await {
                Ok(e) => e.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if seen.contains(text) {
                return seen;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "{css} shows {seen:?}, not {text:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until nothing matches `css`.
    pub async fn wait_gone(&self, css: &str) {
        let started = Instant::now();
        while self.c.find(Locator::Css(css)).await.is_ok() {
            assert!(started.elapsed() < PATIENCE, "{css} is still there");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The `attr` of every element matching `css`, once `ready` accepts them.
    pub async fn wait_all(
        &self,
        css: &str,
        attr: &str,
        ready: impl Fn(&[String]) -> bool,
    ) -> Vec<String> {
        let started = Instant::now();
        loop {
            let mut seen = Vec::new();
            for e in self.c.find_all(Locator::Css(css)).await.unwrap_or_default() {
                seen.push(e.attr(attr).await.ok().flatten().unwrap_or_default());
            }
            if ready(&seen) {
                return seen;
            }
            assert!(started.elapsed() < PATIENCE, "{css} [{attr}]: {seen:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Types into the field matching `css`, replacing what it held.
    pub async fn fill(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        e.clear().await.expect("clear");
        e.send_keys(text).await.expect("type");
    }

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.expect("click");
    }

    pub async fn value(&self, css: &str) -> String {
        self.find(css)
            .await
            .prop("value")
            .await
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    pub async fn enabled(&self, css: &str) -> bool {
        self.find(css).await.is_enabled().await.expect("enabled")
    }

    /// Saves a screenshot as `target/screenshots/NAME.png`.
    pub async fn screenshot(&self, name: &str) {
        let png = self.c.screenshot().await.expect("screenshot");
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .parent()
            .map(|t| t.join("screenshots"))
            .expect("target dir");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("save screenshot");
    }

    /// Signs in through the sign-in page and waits for the users page.
    pub async fn sign_in(&self, base: &str, login: &str, password: &str) {
        self.goto(&format!("{base}/login")).await;
        self.fill("#login", login).await;
        self.fill("#password", password).await;
        self.click("#sign-in").await;
        self.wait_text("#signed-in-as", login).await;
    }

    pub async fn sign_out(&self) {
        self.click("#sign-out").await;
        self.find("#login-form").await;
    }

    /// Ends the WebDriver session (closing Chromium); dropping stops ChromeDriver.
    pub async fn close(self) {
        self.c.clone().close().await.expect("close the browser");
    }
}

/// A browser for a test, or `None` when the suite is skipped (no ChromeDriver).
pub async fn browser(what: &str) -> Option<(tokio::sync::MutexGuard<'static, ()>, Browser)> {
    let driver = chromedriver(what)?;
    let turn = ONE_BROWSER.lock().await;
    Some((turn, Browser::start(driver).await))
}

/// The user with `login` as the API shows it to `token`'s caller.
pub async fn api_user(s: &Server, token: &str, login: &str) -> Option<Value> {
    let r = s.get(&format!("/api/v1/users?q={login}"), token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["items"]
        .as_array()
        .and_then(|a| a.iter().find(|u| u["login"] == login).cloned())
}
