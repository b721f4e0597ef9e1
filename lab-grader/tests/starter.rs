//! The starter crate, built and graded for real by its own `cargo test`, as a student checks
//! their work: untouched it scores 0/10; the key (the reference answers, `lab-grader key`),
//! 10/10 — through the same `tests/grade.rs` a student runs.
//!
//! Each run of the starter's `cargo test` is offline and builds into
//! `target/tmp/starter-check`, so later runs only rebuild the starter itself. Every wait is
//! bounded.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use concurrency_lab::grade::{Dependency, write_starter};

/// A cold build of the starter and its dependencies on a loaded machine, and the grading.
const BOUND: Duration = Duration::from_secs(900);

/// Runs `cargo test` in `dir`; returns its exit success and its standard output.
fn cargo_test(dir: &Path) -> (bool, String) {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("starter-check");
    let out = dir.join("cargo-test.out");
    let err = dir.join("cargo-test.err");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut child = Command::new(cargo)
        .args(["test", "--offline", "--test", "grade"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", &target)
        .env("CARGO_TERM_COLOR", "never")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .expect("cargo starts");
    let deadline = Instant::now() + BOUND;
    let status = loop {
        if let Some(status) = child.try_wait().expect("cargo can be waited for") {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            child.wait().ok();
            panic!("cargo test in {} ran over {BOUND:?}", dir.display());
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let stdout = std::fs::read_to_string(&out).unwrap();
    let stderr = std::fs::read_to_string(&err).unwrap();
    assert!(
        stdout.contains("laboratorium współbieżności: wynik"),
        "the grader did not print its table\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    (status.success(), stdout)
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("starter-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn the_untouched_starter_scores_zero_and_the_reference_answers_ten() {
    let untouched = scratch("untouched");
    write_starter(&untouched, &Dependency::this_checkout()).unwrap();
    let (passed, table) = cargo_test(&untouched);
    assert!(table.contains("razem 0/10"), "{table}");
    assert!(!passed, "cargo test fails below full marks");
    for n in 1..=5 {
        assert!(
            table.contains(&format!("  {n} ")),
            "exercise {n} has a row:\n{table}"
        );
    }
    assert!(table.contains("nie jest jeszcze napisana"), "{table}");

    let solved = scratch("solved");
    lab_grader::write_key(&solved, &Dependency::this_checkout()).unwrap();
    let (passed, table) = cargo_test(&solved);
    assert!(table.contains("razem 10/10"), "{table}");
    assert!(passed, "{table}");
    assert!(!table.contains('✗'), "{table}");

    std::fs::remove_dir_all(&untouched).ok();
    std::fs::remove_dir_all(&solved).ok();
}
