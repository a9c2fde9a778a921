//! # dojang-tests: support for the cross-crate and interop tests
//!
//! The tests under `tests/tests/` drive the `dojang` binary as a user would, and check it against
//! two independent SD-JWT VC implementations kept under `tests/interop/`:
//! - `python/peer.py`, on the SD-JWT reference implementation (`sd-jwt` on PyPI, with jwcrypto),
//!   run by the virtual environment `tests/interop/.venv`;
//! - `node/peer.mjs`, on the OpenWallet Foundation's `@sd-jwt/*` TypeScript libraries, installed
//!   in `tests/interop/node/node_modules`.
//!
//! `scripts/test` installs both and builds the binary before it runs `cargo test --workspace`.
//! A test that needs a peer which is not installed fails (it never skips) and says to run
//! `scripts/test`.
//!
//! This library finds the programs ([`dojang`], [`python_peer`], [`node_peer`]) and runs them with a
//! time limit ([`run`]), returning an [`Output`] with the exit code and the captured text.
//! [`setup`] holds the parties most end-to-end tests start from (a ministry, an accredited agency,
//! a bank, a register, a wallet), made through the binary; [`http`] talks to the services.

pub mod http;
pub mod setup;

use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long one run of `dojang` or of a peer may take. Each takes well under a second alone; the
/// margin is for a loaded two-core machine running the test binaries in parallel.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// How long building the `dojang` binary may take: a cold debug build of the workspace on two
/// cores takes minutes, not half an hour.
pub const BUILD_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// What to tell someone whose interop peers are missing.
const INSTALL_HINT: &str = "run `scripts/test` from the repository root: it creates \
     tests/interop/.venv (pip install -r tests/interop/python/requirements.txt) and runs `npm ci` \
     in tests/interop/node before `cargo test`";

/// The workspace root (the folder holding the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    let tests_crate = Path::new(env!("CARGO_MANIFEST_DIR"));
    tests_crate
        .parent()
        .expect("the tests crate sits inside the workspace")
        .to_path_buf()
}

/// Cargo's target directory: `CARGO_TARGET_DIR` (relative paths taken from the workspace root),
/// else `<workspace>/target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => workspace_root().join(dir),
        None => workspace_root().join("target"),
    }
}

/// The folder of the interop peers, `tests/interop`.
pub fn interop_dir() -> PathBuf {
    workspace_root().join("tests").join("interop")
}

/// The `dojang` binary: `DOJANG_BIN` when set, else `<target dir>/debug/dojang`, built with
/// `cargo build -p dojang-cli --bin dojang` the first time a test of this process asks for it
/// (a no-op when it is up to date; building each time keeps the tests from running a stale binary
/// after a source change).
///
/// # Panics
/// When `DOJANG_BIN` names no file, or the build fails.
pub fn dojang_bin() -> &'static Path {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let found = BIN.get_or_init(|| {
        if let Some(bin) = std::env::var_os("DOJANG_BIN").filter(|v| !v.is_empty()) {
            let bin = PathBuf::from(bin);
            return if bin.is_file() {
                Ok(bin)
            } else {
                Err(format!("DOJANG_BIN={} is not a file", bin.display()))
            };
        }
        build_dojang()
    });
    match found {
        Ok(bin) => bin,
        Err(message) => panic!("no dojang binary: {message}"),
    }
}

fn build_dojang() -> Result<PathBuf, String> {
    let bin = target_dir()
        .join("debug")
        .join(format!("dojang{}", std::env::consts::EXE_SUFFIX));
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .args(["build", "--quiet", "-p", "dojang-cli", "--bin", "dojang"])
        .current_dir(workspace_root());
    let out = try_run(&mut build, BUILD_TIMEOUT)?;
    if out.code != Some(0) {
        return Err(format!(
            "`cargo build -p dojang-cli --bin dojang` failed:\n{}",
            out.stderr
        ));
    }
    if !bin.is_file() {
        return Err(format!("the build left no binary at {}", bin.display()));
    }
    Ok(bin)
}

/// A command running the `dojang` binary.
pub fn dojang() -> Command {
    Command::new(dojang_bin())
}

/// The Python interpreter of the interop virtual environment, once it has been checked to import
/// the peer's libraries.
///
/// # Panics
/// When the environment is missing or incomplete: the message says to run `scripts/test`.
pub fn python() -> &'static Path {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let found = PYTHON.get_or_init(|| {
        let venv = interop_dir().join(".venv");
        let python = if cfg!(windows) {
            venv.join("Scripts").join("python.exe")
        } else {
            venv.join("bin").join("python")
        };
        if !python.is_file() {
            return Err(format!(
                "no Python virtual environment at {}",
                venv.display()
            ));
        }
        let check = try_run(
            Command::new(&python).args(["-c", "import sd_jwt, jwcrypto"]),
            COMMAND_TIMEOUT,
        )?;
        if check.code != Some(0) {
            return Err(format!(
                "{} cannot import sd_jwt and jwcrypto:\n{}",
                python.display(),
                check.stderr
            ));
        }
        Ok(python)
    });
    match found {
        Ok(python) => python,
        Err(message) => {
            panic!("the Python interop peer is not installed ({message}): {INSTALL_HINT}")
        }
    }
}

/// A command running the Python peer, `tests/interop/python/peer.py`.
pub fn python_peer() -> Command {
    let mut command = Command::new(python());
    command
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONIOENCODING", "utf-8")
        .arg(interop_dir().join("python").join("peer.py"));
    command
}

/// The `node` executable (`NODE` when set, else `node` from `PATH`), once the Node peer's
/// packages have been found in `tests/interop/node/node_modules`.
///
/// # Panics
/// When node or the packages are missing: the message says to run `scripts/test`.
pub fn node() -> &'static OsStr {
    static NODE: OnceLock<Result<std::ffi::OsString, String>> = OnceLock::new();
    let found = NODE.get_or_init(|| {
        let node = std::env::var_os("NODE")
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "node".into());
        let modules = interop_dir()
            .join("node")
            .join("node_modules")
            .join("@sd-jwt");
        for package in ["core", "sd-jwt-vc", "crypto-nodejs"] {
            if !modules.join(package).join("package.json").is_file() {
                return Err(format!("@sd-jwt/{package} is not in {}", modules.display()));
            }
        }
        let version = try_run(Command::new(&node).arg("--version"), COMMAND_TIMEOUT)
            .map_err(|e| format!("cannot run node: {e}"))?;
        if version.code != Some(0) {
            return Err(format!("`node --version` failed: {}", version.stderr));
        }
        Ok(node)
    });
    match found {
        Ok(node) => node,
        Err(message) => {
            panic!("the Node interop peer is not installed ({message}): {INSTALL_HINT}")
        }
    }
}

/// A command running the Node peer, `tests/interop/node/peer.mjs`.
pub fn node_peer() -> Command {
    let mut command = Command::new(node());
    command.arg(interop_dir().join("node").join("peer.mjs"));
    command
}

/// What a finished command left behind.
#[derive(Debug, Clone)]
pub struct Output {
    /// The command, for messages.
    pub command: String,
    /// The exit code; `None` when a signal ended the process.
    pub code: Option<i32>,
    /// Everything written to standard output (lossily decoded as UTF-8).
    pub stdout: String,
    /// Everything written to standard error (lossily decoded as UTF-8).
    pub stderr: String,
}

impl Output {
    /// Panics, showing the command and what it printed, unless it exited with code 0.
    pub fn success(&self) -> &Self {
        self.expect_code(0)
    }

    /// Panics, showing the command and what it printed, unless it exited with `code`.
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "{} exited with {:?}, expected {code}\n--- stdout\n{}\n--- stderr\n{}",
            self.command,
            self.code,
            self.stdout,
            self.stderr
        );
        self
    }

    /// Standard output without surrounding white space (a token, a DID).
    pub fn text(&self) -> &str {
        self.stdout.trim()
    }

    /// Standard output parsed as one JSON value.
    ///
    /// # Panics
    /// When it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.stdout.trim()).unwrap_or_else(|e| {
            panic!(
                "{} printed no JSON ({e})\n--- stdout\n{}\n--- stderr\n{}",
                self.command, self.stdout, self.stderr
            )
        })
    }
}

/// The `step` of each entry of a verification result's `provenance` (`root`, `trust_list`, …), in
/// order.
///
/// # Panics
/// When `result` has no `provenance` array of entries with a string `step`.
pub fn provenance_steps(result: &serde_json::Value) -> Vec<&str> {
    result["provenance"]
        .as_array()
        .expect("a provenance array")
        .iter()
        .map(|entry| entry["step"].as_str().expect("a provenance step"))
        .collect()
}

/// Runs `command` with no standard input, capturing its output, and waits at most `timeout`.
///
/// # Panics
/// When the command cannot be started or runs out of time (it is then killed).
pub fn run(command: &mut Command, timeout: Duration) -> Output {
    try_run(command, timeout).unwrap_or_else(|message| panic!("{message}"))
}

/// Runs a `dojang` command (see [`dojang`]) within [`COMMAND_TIMEOUT`] and fails the test if it
/// panicked (exit status 101): a refusal is an answer, a panic never is.
pub fn run_dojang(command: &mut Command) -> Output {
    let out = run(command, COMMAND_TIMEOUT);
    assert_ne!(out.code, Some(101), "dojang panicked: {}", out.stderr);
    out
}

/// A path as the `&str` a command-line argument takes (test paths are UTF-8).
///
/// # Panics
/// When the path is not UTF-8.
pub fn path_str(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

/// Every file below `dir`, at any depth (folders left out).
///
/// # Panics
/// When a folder cannot be read.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read the folder") {
        let path = entry.expect("read a folder entry").path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn try_run(command: &mut Command, timeout: Duration) -> Result<Output, String> {
    let description = describe(command);
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {description}: {e}"))?;
    // Drain both pipes while waiting, so that a chatty process never blocks on a full pipe.
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let code = wait_with_timeout(&mut child, timeout).map_err(|e| format!("{description}: {e}"))?;
    Ok(Output {
        command: description,
        code,
        stdout: join_drain(stdout),
        stderr: join_drain(stderr),
    })
}

fn describe(command: &Command) -> String {
    let mut words = vec![command.get_program().to_string_lossy().into_owned()];
    words.extend(command.get_args().map(|a| a.to_string_lossy().into_owned()));
    format!("`{}`", words.join(" "))
}

fn drain(pipe: Option<impl Read + Send + 'static>) -> Option<JoinHandle<Vec<u8>>> {
    pipe.map(|mut pipe| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            // A read error ends the capture; what was read so far is kept.
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    })
}

fn join_drain(reader: Option<JoinHandle<Vec<u8>>>) -> String {
    reader
        .map(|r| String::from_utf8_lossy(&r.join().unwrap_or_default()).into_owned())
        .unwrap_or_default()
}

fn wait_with_timeout(child: &mut Child, timeout: Duration) -> Result<Option<i32>, String> {
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status.code()),
            Ok(None) if started.elapsed() >= timeout => {
                // Killing may race with a normal exit; either way the process is gone after wait.
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "ran out of time ({} s) and was killed",
                    timeout.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(format!("cannot wait for it: {e}")),
        }
    }
}
