//! Building a batch: one `cargo build --keep-going` over the batch's workspace, so the library
//! and its dependencies are compiled once and one student's compile error stops nothing else;
//! the compiler's messages and the built files are sorted out per package.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde::Deserialize;

use crate::child::{self, Bounds};

/// The environment variable that turns the grader into a compiler wrapper (see
/// [`rustc_wrapper`]).
pub const WRAPPER_ENV: &str = "LAB_GRADER_RUSTC_WRAPPER";
/// The CPU seconds one compiler run on a student's package may take.
const COMPILE_CPU_SECONDS: u64 = 300;
/// The address space one compiler run on a student's package may take.
const COMPILE_MEMORY: u64 = 8 << 30;
/// Bytes of cargo's own messages (stderr) kept.
const CARGO_STDERR: usize = 1 << 20;
/// Bytes of JSON messages kept: every artifact and diagnostic of a large batch.
const CARGO_STDOUT: usize = 256 << 20;

/// What the build made of one package.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Built {
    /// The student's library, compiled.
    pub(crate) rlib: Option<PathBuf>,
    /// The harness program, linked.
    pub(crate) program: Option<PathBuf>,
    /// The compiler's errors, as it rendered them.
    pub(crate) errors: Vec<String>,
}

/// The build of a batch.
#[derive(Debug)]
pub(crate) struct BatchBuild {
    /// Per package name, what was built.
    pub(crate) packages: HashMap<String, Built>,
    /// Cargo's own messages (head and tail), for a package the compiler said nothing about.
    pub(crate) cargo_stderr: String,
    /// Whether the build ran past its time bound and was stopped.
    pub(crate) timed_out: bool,
}

/// How to build a batch.
#[derive(Debug, Clone)]
pub(crate) struct BuildSettings {
    /// The batch workspace's directory (with its `Cargo.toml`).
    pub(crate) workspace: PathBuf,
    /// The target directory, shared by the whole batch (and kept between runs).
    pub(crate) target_dir: PathBuf,
    /// Pass `--offline` to cargo.
    pub(crate) offline: bool,
    /// The whole build's wall-clock bound.
    pub(crate) time: Duration,
    /// The program to wrap each compiler run on a student's package with: the grader itself,
    /// which bounds the compiler's CPU time and memory.
    pub(crate) wrapper: Option<PathBuf>,
}

/// Builds every package of the batch.
///
/// # Errors
///
/// When cargo cannot be started.
pub(crate) fn build(settings: &BuildSettings) -> std::io::Result<BatchBuild> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .arg("build")
        .arg("--keep-going")
        .arg("--message-format=json")
        .arg("--workspace")
        .arg("--manifest-path")
        .arg(settings.workspace.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&settings.target_dir)
        .env("CARGO_TERM_COLOR", "never")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR");
    if settings.offline {
        command.arg("--offline");
    }
    if let Some(wrapper) = &settings.wrapper {
        command
            .env("RUSTC_WORKSPACE_WRAPPER", wrapper)
            .env(WRAPPER_ENV, "1");
    }
    let bounds = Bounds {
        time: settings.time,
        memory: None,
        output: CARGO_STDOUT,
    };
    let done = child::run(command, b"", bounds)?;
    let mut stderr = done.stderr;
    if stderr.len() > CARGO_STDERR {
        let cut = stderr.len() - CARGO_STDERR;
        let cut = (cut..stderr.len())
            .find(|&i| stderr.is_char_boundary(i))
            .unwrap_or(cut);
        stderr.drain(..cut);
    }
    Ok(BatchBuild {
        packages: read_messages(&done.stdout),
        cargo_stderr: stderr,
        timed_out: done.status.is_none(),
    })
}

#[derive(Deserialize)]
struct Message {
    reason: String,
    manifest_path: Option<PathBuf>,
    target: Option<Target>,
    #[serde(default)]
    filenames: Vec<PathBuf>,
    executable: Option<PathBuf>,
    message: Option<Diagnostic>,
}

#[derive(Deserialize)]
struct Target {
    kind: Vec<String>,
}

#[derive(Deserialize)]
struct Diagnostic {
    level: String,
    rendered: Option<String>,
}

/// Sorts cargo's JSON messages out per package (named by its directory, which is its name).
fn read_messages(json_lines: &str) -> HashMap<String, Built> {
    let mut packages: HashMap<String, Built> = HashMap::new();
    for line in json_lines.lines() {
        let Ok(message) = serde_json::from_str::<Message>(line) else {
            continue;
        };
        let Some(package) = message.manifest_path.as_deref().and_then(package_of) else {
            continue;
        };
        let built = packages.entry(package).or_default();
        match message.reason.as_str() {
            "compiler-artifact" => {
                let kinds = message.target.map(|t| t.kind).unwrap_or_default();
                if kinds.iter().any(|k| k == "bin") {
                    built.program = message.executable;
                } else if kinds.iter().any(|k| k == "lib") {
                    built.rlib = message
                        .filenames
                        .into_iter()
                        .find(|f| f.extension().is_some_and(|e| e == "rlib"));
                }
            }
            "compiler-message" => {
                let errors = message.message.filter(|d| d.level == "error");
                built.errors.extend(errors.and_then(|d| d.rendered));
            }
            _ => {}
        }
    }
    packages
}

fn package_of(manifest: &Path) -> Option<String> {
    let name = manifest.parent()?.file_name()?.to_str()?;
    name.starts_with("s-").then(|| name.to_owned())
}

/// When the grader was started as a compiler wrapper (cargo's `RUSTC_WORKSPACE_WRAPPER`, with
/// [`WRAPPER_ENV`] set), bounds the compiler's CPU time and memory for a student's package and
/// replaces this process with it; never returns then. Otherwise returns at once.
///
/// A student's code can make the compiler loop (a recursive macro, a constant computed
/// forever) or swallow memory: the bound makes that a compile error of that package only.
///
/// # Examples
///
/// ```
/// // Not started as a wrapper: nothing happens.
/// lab_grader::rustc_wrapper();
/// ```
pub fn rustc_wrapper() {
    if std::env::var_os(WRAPPER_ENV).is_none() {
        return;
    }
    let mut args = std::env::args_os().skip(1);
    let Some(rustc) = args.next() else {
        return;
    };
    let student = std::env::var("CARGO_PKG_NAME").is_ok_and(|name| name.starts_with("s-"));
    if student {
        use nix::sys::resource::{Resource, setrlimit};
        let cpu = setrlimit(
            Resource::RLIMIT_CPU,
            COMPILE_CPU_SECONDS,
            COMPILE_CPU_SECONDS,
        );
        let memory = setrlimit(Resource::RLIMIT_AS, COMPILE_MEMORY, COMPILE_MEMORY);
        if let Err(err) = cpu.and(memory) {
            eprintln!("lab-grader: cannot bound the compiler: {err}");
        }
    }
    let err = std::os::unix::process::CommandExt::exec(Command::new(rustc).args(args));
    eprintln!("lab-grader: cannot start the compiler: {err}");
    std::process::exit(101);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_sorted_out_per_package() {
        let lines = [
            r#"{"reason":"compiler-artifact","manifest_path":"/w/s-ola-1-ex1/Cargo.toml","target":{"kind":["lib"]},"filenames":["/t/libs.rmeta","/t/libs.rlib"],"executable":null}"#,
            r#"{"reason":"compiler-artifact","manifest_path":"/w/s-ola-1-ex1/Cargo.toml","target":{"kind":["bin"]},"filenames":["/t/s-ola-1-ex1"],"executable":"/t/s-ola-1-ex1"}"#,
            r#"{"reason":"compiler-message","manifest_path":"/w/s-ola-1-ex2/Cargo.toml","message":{"level":"warning","rendered":"unused"}}"#,
            r#"{"reason":"compiler-message","manifest_path":"/w/s-ola-1-ex2/Cargo.toml","message":{"level":"error","rendered":"error[E0425]: nope"}}"#,
            r#"{"reason":"compiler-artifact","manifest_path":"/lab/Cargo.toml","target":{"kind":["lib"]},"filenames":["/t/liblab.rlib"],"executable":null}"#,
            "not json",
        ];
        let packages = read_messages(&lines.join("\n"));
        assert_eq!(packages.len(), 2);
        let one = &packages["s-ola-1-ex1"];
        assert_eq!(one.rlib.as_deref(), Some(Path::new("/t/libs.rlib")));
        assert_eq!(one.program.as_deref(), Some(Path::new("/t/s-ola-1-ex1")));
        assert!(one.errors.is_empty());
        let two = &packages["s-ola-1-ex2"];
        assert_eq!(two.errors, ["error[E0425]: nope"]);
        assert_eq!((two.rlib.as_ref(), two.program.as_ref()), (None, None));
    }
}
