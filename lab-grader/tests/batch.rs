//! The grader on fixture submissions, end to end: each fixture under `tests/fixtures/` is the
//! reference answers (or the untouched starter) with a few files replaced (or, for a file named
//! `*.append`, added to), and its `expected` file says what `grades.csv` must say of it — points
//! and status per exercise.
//!
//! `cargo test` runs the fixtures marked `ci = yes`; the whole set, with the cheats whose
//! defeat lies in the checks themselves (`hardened = yes`), runs with
//! `cargo test -p lab-grader --test batch -- --ignored`.
//!
//! The batch builds in `target/tmp/lab-grader-ci`, kept between runs, so the library is
//! compiled once. Every wait is bounded.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use concurrency_lab::grade::{Dependency, write_starter};

/// A cold build of the library and a batch on a loaded machine, and the runs.
const BOUND: Duration = Duration::from_secs(1800);
/// Each exercise program's bound: under ex1's own 30 s bound, so that the endless loop is
/// stopped by the grader, and far above what an honest exercise takes.
const TIMEOUT_SECS: &str = "25";

struct Fixture {
    name: String,
    base: String,
    expect: Vec<String>,
    ci: bool,
    hardened: bool,
}

fn fixtures() -> Vec<Fixture> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut fixtures: Vec<Fixture> = fs::read_dir(&dir)
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            let text = fs::read_to_string(path.join("expected")).unwrap();
            let field = |key: &str| {
                text.lines()
                    .filter_map(|line| line.split_once(" = "))
                    .find(|(k, _)| *k == key)
                    .map(|(_, v)| v.to_owned())
            };
            Fixture {
                name: path.file_name().unwrap().to_string_lossy().into_owned(),
                base: field("base").expect("a base"),
                expect: field("expect")
                    .expect("an expectation")
                    .split(' ')
                    .map(str::to_owned)
                    .collect(),
                ci: field("ci").as_deref() == Some("yes"),
                hardened: field("hardened").as_deref() == Some("yes"),
            }
        })
        .collect();
    fixtures.sort_by(|a, b| a.name.cmp(&b.name));
    fixtures
}

/// Writes the fixture's submission into `dir`: its base, then its files over it.
fn assemble(fixture: &Fixture, dir: &Path) {
    let checkout = Dependency::this_checkout();
    match fixture.base.as_str() {
        "key" => lab_grader::write_key(dir, &checkout).unwrap(),
        "starter" => write_starter(dir, &checkout).unwrap(),
        other => panic!("{}: no base {other}", fixture.name),
    }
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(&fixture.name);
    copy_over(&from, dir, Path::new(""));
}

fn copy_over(from: &Path, to: &Path, rel: &Path) {
    for entry in fs::read_dir(from.join(rel)).unwrap() {
        let entry = entry.unwrap();
        let rel = rel.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            fs::create_dir_all(to.join(&rel)).unwrap();
            copy_over(from, to, &rel);
        } else if rel.extension().is_some_and(|e| e == "append") {
            // `src/ex2.rs.append`: added to the end of the base's `src/ex2.rs`.
            let target = to.join(rel.with_extension(""));
            let mut text = fs::read_to_string(&target).unwrap();
            text.push_str(&fs::read_to_string(from.join(&rel)).unwrap());
            fs::write(target, text).unwrap();
        } else if rel != Path::new("expected") {
            fs::copy(from.join(&rel), to.join(&rel)).unwrap();
        }
    }
}

/// One batch at a time: the batches share their work directory (and so the built library).
static ONE_BATCH: Mutex<()> = Mutex::new(());

/// Grades `fixtures` in one batch; returns the CSV rows by student, and the output directory.
fn grade(label: &str, fixtures: &[&Fixture]) -> (Vec<(String, Vec<String>, String)>, PathBuf) {
    let _alone = ONE_BATCH.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let submissions = tmp.join(format!("lab-grader-{label}-submissions"));
    let out = tmp.join(format!("lab-grader-{label}-out"));
    let _ = fs::remove_dir_all(&submissions);
    let _ = fs::remove_dir_all(&out);
    fs::create_dir_all(&submissions).unwrap();
    for fixture in fixtures {
        assemble(fixture, &submissions.join(&fixture.name));
    }
    // A directory entry that is not a submission still gets its row.
    fs::write(submissions.join("zz-not-a-directory.zip"), "PK").unwrap();

    let log = fs::File::create(tmp.join(format!("lab-grader-{label}.log"))).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_lab-grader"))
        .arg("grade")
        .arg(&submissions)
        .arg("--out")
        .arg(out.join("grades.csv"))
        .args([
            "--lang",
            "en",
            "--jobs",
            "2",
            "--offline",
            "--timeout",
            TIMEOUT_SECS,
        ])
        .arg("--work")
        .arg(tmp.join("lab-grader-ci"))
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("the grader starts");
    let deadline = Instant::now() + BOUND;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            child.wait().ok();
            panic!("the grader ran over {BOUND:?}");
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        status.success(),
        "the grader failed: see target/tmp/lab-grader-{label}.log"
    );
    let csv = fs::read_to_string(out.join("grades.csv")).unwrap();
    let rows = csv
        .lines()
        .skip(1)
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            let cells = (0..5)
                .map(|n| format!("{}:{}", fields[1 + 2 * n], fields[2 + 2 * n]))
                .collect();
            (fields[0].to_owned(), cells, fields[11].to_owned())
        })
        .collect();
    (rows, out)
}

/// The fixtures whose row differs from their expectation, described.
fn mismatches(fixtures: &[&Fixture], rows: &[(String, Vec<String>, String)]) -> Vec<String> {
    let mut wrong = Vec::new();
    for fixture in fixtures {
        let Some((_, cells, total)) = rows.iter().find(|(student, ..)| *student == fixture.name)
        else {
            wrong.push(format!("{}: no row", fixture.name));
            continue;
        };
        let expected_total: u32 = fixture
            .expect
            .iter()
            .map(|cell| cell.split(':').next().unwrap().parse::<u32>().unwrap())
            .sum();
        if *cells != fixture.expect || *total != expected_total.to_string() {
            let hardened = if fixture.hardened {
                " (needs the hardened checks)"
            } else {
                ""
            };
            wrong.push(format!(
                "{}{hardened}: expected {:?}, graded {cells:?} = {total}",
                fixture.name, fixture.expect
            ));
        }
    }
    wrong
}

#[test]
fn a_small_batch_gets_exactly_its_grades_and_feedback() {
    let all = fixtures();
    let chosen: Vec<&Fixture> = all.iter().filter(|f| f.ci).collect();
    assert!(chosen.len() >= 6, "the CI batch: {}", chosen.len());
    let (rows, out) = grade("ci", &chosen);
    let wrong = mismatches(&chosen, &rows);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    let unreadable = rows
        .iter()
        .find(|(s, ..)| s == "zz-not-a-directory.zip")
        .unwrap();
    assert_eq!(unreadable.2, "0");
    assert_eq!(unreadable.1, vec!["0:unreadable".to_owned(); 5]);
    let feedback =
        |student: &str| fs::read_to_string(out.join(format!("feedback/{student}.md"))).unwrap();
    let cheats = feedback("cheats");
    for words in [
        "ran past 25 s",
        "library's own answer (`concurrency_lab::lab::name_index::is_name_index`)",
        "concurrency_lab::lab::range_count::variants::map_async",
        "overflowed its stack: killed by signal 6",
        "exited with status 0 during the check",
        "- `tests/grade.rs`",
        "- `build.rs`",
        "- `Cargo.toml`",
    ] {
        assert!(cheats.contains(words), "{words:?} in\n{cheats}");
    }
    let compile = feedback("compile_error");
    assert!(compile.contains("Did not compile:"), "{compile}");
    assert!(compile.contains("src/ex3.rs"), "{compile}");
    assert!(feedback("crash").contains("aborted: killed by signal 6"));
    assert!(feedback("zz-not-a-directory.zip").contains("not a directory"));
    let json = fs::read_to_string(out.join("grades.json")).unwrap();
    assert!(json.contains("\"status\": \"exited\""), "{json}");
}

#[test]
#[ignore = "the whole fixture set: minutes; run with --ignored"]
fn every_fixture_gets_exactly_its_grades() {
    let all = fixtures();
    let chosen: Vec<&Fixture> = all.iter().collect();
    let (rows, _) = grade("all", &chosen);
    let wrong = mismatches(&chosen, &rows);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
