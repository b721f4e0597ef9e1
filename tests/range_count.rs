//! Exercise 3 over both backends: every variant agrees with the sequential loop, on threads and
//! on worker processes.
//!
//! Declared with `harness = false`: a process pool starts its workers by running this binary
//! again, and `pool::init()` at the top of `main` turns those runs into workers. Every check
//! runs on its own thread and is given at most `BOUND`: a check that hangs fails, it does not
//! hang the test. One line per check; any failure makes the exit status non-zero.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::Duration;

use concurrency_lab::Error;
use concurrency_lab::lab::range_count::{
    MAXIMUM, MINIMUM, RangeCountBackend, Row, Variant, apply_async_then_get, compare,
    howmany_within_range, howmany_within_range_rowonly, random_rows, sequential,
};
use concurrency_lab::pool::{self, MapOptions, Pool, ProcessPool, Runs, ThreadPool};

/// Long enough that only a hang reaches it on a loaded two-core machine.
const BOUND: Duration = Duration::from_secs(120);
const ROWS: usize = 2_000;
const SEED: u64 = 31;

type Check = Result<(), String>;

fn main() -> ExitCode {
    pool::init(); // the runs of this binary that a process pool starts become workers here

    let rows = Arc::new(random_rows(ROWS, SEED));
    let mut outcomes = Vec::new();
    match ThreadPool::new(2) {
        Ok(pool) => outcomes.extend(checks(
            Arc::new(pool),
            &rows,
            howmany_within_range_rowonly,
            refuses_big_numbers,
        )),
        Err(err) => outcomes.push(("start a thread pool".into(), Err(err.to_string()))),
    }
    match ProcessPool::new(2) {
        Ok(pool) => outcomes.extend(checks(
            Arc::new(pool),
            &rows,
            howmany_within_range_rowonly,
            refuses_big_numbers,
        )),
        Err(err) => outcomes.push(("start a process pool".into(), Err(err.to_string()))),
    }

    let mut failed = 0;
    for (name, outcome) in &outcomes {
        match outcome {
            Ok(()) => println!("ok   {name}"),
            Err(why) => {
                println!("FAIL {name}: {why}");
                failed += 1;
            }
        }
    }
    if failed == 0 {
        println!("range_count: all {} checks passed", outcomes.len());
        ExitCode::SUCCESS
    } else {
        println!("range_count: {failed} of {} checks failed", outcomes.len());
        ExitCode::FAILURE
    }
}

/// The checks for one pool. `rowonly` and `faulty` are the lab's one-argument task and a
/// task that panics on a row holding a number above 9: they come in as arguments because the bounds
/// `B: Runs<F, …>` need their types.
fn checks<B, F, G>(
    pool: Arc<Pool<B>>,
    rows: &Arc<Vec<Row>>,
    rowonly: F,
    faulty: G,
) -> Vec<(String, Check)>
where
    B: RangeCountBackend,
    F: Fn(Row) -> usize + Copy + Send + Sync + 'static,
    G: Fn(Row, u8, u8) -> usize + Copy + Send + Sync + 'static,
    B: Runs<F, (Row,)> + Runs<G, (Row, u8, u8)>,
{
    let mut outcomes = Vec::new();
    let mut check = |name: String, scenario: Box<dyn FnOnce() -> Check + Send>| {
        outcomes.push((format!("{}: {name}", B::NAME), within(scenario)));
    };
    let expected = Arc::new(sequential(rows));

    // Every variant but the baseline itself.
    for variant in Variant::ALL.into_iter().skip(1) {
        let (pool, rows, expected) = (pool.clone(), rows.clone(), expected.clone());
        check(
            format!("{variant} agrees with the sequential loop on {ROWS} rows"),
            Box::new(move || {
                let counts = variant.run(&pool, rows.to_vec()).map_err(text)?;
                same(&counts, &expected)
            }),
        );
    }

    let (p, r, e) = (pool.clone(), rows.clone(), expected.clone());
    check(
        "compare() runs every variant and returns the agreed counts".into(),
        Box::new(move || {
            let report = compare(&p, &r, Some(ROWS / 4)).map_err(text)?;
            let variants: Vec<Variant> = report.entries.iter().map(|e| e.variant).collect();
            if variants != Variant::ALL {
                return Err(format!("entries for {variants:?}"));
            }
            same(&report.counts, &e)
        }),
    );

    let (p, r, e) = (pool.clone(), rows.clone(), expected.clone());
    check(
        "map_async in chunks of 100 reports full progress once done".into(),
        Box::new(move || {
            let options = MapOptions::new().chunksize(100);
            let running = p
                .map_async_with(rowonly, r.to_vec(), options)
                .map_err(text)?;
            if !running.wait_timeout(BOUND) {
                return Err(format!("not done within {BOUND:?}"));
            }
            let progress = running.progress();
            if (progress.done, progress.total) != (ROWS, ROWS) {
                return Err(format!("progress {progress} once done"));
            }
            same(&running.get_timeout(BOUND).map_err(text)?, &e)
        }),
    );

    let (p, e) = (pool.clone(), expected.clone());
    let mut with_a_bad_row = rows.to_vec();
    with_a_bad_row[ROWS / 2] = vec![1, 70, 2];
    check(
        "a task that panics fails its variant with the panic's message; the pool goes on".into(),
        Box::new(move || {
            match apply_async_then_get(&p, faulty, with_a_bad_row) {
                Err(Error::TaskPanicked { message, .. })
                    if message == "a big number in [1, 70, 2]" => {}
                other => return Err(format!("expected the task's panic, got {other:?}")),
            }
            let counts = Variant::Map
                .run(&p, random_rows(ROWS, SEED))
                .map_err(text)?;
            same(&counts, &e)
        }),
    );
    outcomes
}

/// The lab's task, except that it refuses — by panicking — a row with a number the dataset
/// never holds (10 or more).
fn refuses_big_numbers(row: Row, minimum: u8, maximum: u8) -> usize {
    assert!(row.iter().all(|&n| n < 10), "a big number in {row:?}");
    howmany_within_range(row, minimum, maximum)
}

/// Runs `scenario` on its own thread and gives it at most `BOUND`.
fn within(scenario: Box<dyn FnOnce() -> Check + Send>) -> Check {
    let (done, outcome) = mpsc::channel();
    thread::spawn(move || {
        let _ = done.send(scenario());
    });
    match outcome.recv_timeout(BOUND) {
        Ok(outcome) => outcome,
        Err(RecvTimeoutError::Timeout) => Err(format!("no answer within {BOUND:?}")),
        Err(RecvTimeoutError::Disconnected) => Err("the check panicked".into()),
    }
}

fn same(got: &[usize], expected: &[usize]) -> Check {
    if got == expected {
        return Ok(());
    }
    match (0..got.len().min(expected.len())).find(|&i| got[i] != expected[i]) {
        Some(row) => Err(format!(
            "row {row}: {} instead of {} numbers in {MINIMUM}..={MAXIMUM}",
            got[row], expected[row]
        )),
        None => Err(format!("{} counts for {} rows", got.len(), expected.len())),
    }
}

fn text(err: impl std::fmt::Display) -> String {
    err.to_string()
}
