//! Issue 19's goals table, shared by the benchmarks that measure it and by `zz_goals`, which
//! prints it at the end of `cargo bench`.
//!
//! Each benchmark is its own program, so they meet through files: a benchmark that measures
//! a goal calls [`record`] once with its rows, which writes `target/bench-goals/<bench>.tsv`
//! (replacing that benchmark's earlier file); `zz_goals`, the last benchmark `cargo bench`
//! runs, reads every file and prints one line per goal of [`GOALS`], with the ratio, whether
//! it is met, and when it was measured — or which benchmark to run if no file has it.
//!
//! A benchmark includes this file with
//! `#[path = "common/goals.rs"] mod goals;`.
//!
//! The file format, one row per line, tab-separated, `#` lines ignored:
//!
//! ```text
//! <goal id>\t<ratio>\t<unix seconds when measured>\t<what was compared, free text>
//! thread_round_trip_vs_rayon\t0.8312\t1796702400\tThreadPool::apply_async + get 1.41 µs / rayon spawn + channel 1.70 µs
//! ```
//!
//! The goal id is a [`Goal::id`]; the ratio is the figure the goal's [`Target`] judges (a
//! time over the peer's time in the same run, or a speed-up).

#![allow(dead_code)] // each benchmark uses only part of it

use std::fs;
use std::io;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

/// What a goal's ratio must be.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Target {
    /// At most this: a time over the peer's time.
    AtMost(f64),
    /// At least this: a speed-up.
    AtLeast(f64),
}

impl Target {
    pub(crate) fn met_by(self, ratio: f64) -> bool {
        match self {
            Target::AtMost(limit) => ratio <= limit,
            Target::AtLeast(limit) => ratio >= limit,
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::AtMost(limit) => write!(f, "≤ {limit}×"),
            Target::AtLeast(limit) => write!(f, "≥ {limit}×"),
        }
    }
}

/// One row of the goals table.
#[derive(Debug)]
pub(crate) struct Goal {
    /// The name rows use.
    pub(crate) id: &'static str,
    /// The figure, as the table says it.
    pub(crate) figure: &'static str,
    pub(crate) target: Target,
    /// The benchmark that measures it: `cargo bench --bench <bench>`.
    pub(crate) bench: &'static str,
}

/// Issue 19's goals, in the table's order, then issue 18's loaded/quiet ratios.
pub(crate) const GOALS: &[Goal] = &[
    Goal {
        id: "process_round_trip_vs_shm_floor",
        figure: "process round trip vs raw two-process shm ping-pong",
        target: Target::AtMost(3.0),
        bench: "pool_processes",
    },
    Goal {
        id: "thread_round_trip_vs_rayon",
        figure: "thread round trip vs rayon spawn + channel",
        target: Target::AtMost(1.0),
        bench: "pool_threads",
    },
    Goal {
        id: "lab_map_processes_vs_sequential",
        figure: "lab map 200k rows: processes vs sequential loop",
        target: Target::AtMost(2.5),
        bench: "pool_processes",
    },
    Goal {
        id: "lab_map_threads_vs_rayon_owned",
        figure: "lab map 200k owned rows: threads vs rayon into_par_iter",
        target: Target::AtMost(1.0),
        bench: "pool_threads",
    },
    Goal {
        id: "busy_thread_round_trip_vs_rayon",
        figure: "beside 4 busy loops: thread round trip vs rayon's",
        target: Target::AtMost(1.0),
        bench: "contention",
    },
    Goal {
        id: "busy_process_round_trip_vs_python_pool",
        figure: "beside 4 busy loops: process round trip vs Python Pool",
        target: Target::AtMost(0.2),
        bench: "contention",
    },
    Goal {
        id: "map_square_vs_rayon",
        figure: "map x² over 1e6 u64: threads vs rayon (keep 0.84×)",
        target: Target::AtMost(1.0),
        bench: "pool_threads",
    },
    Goal {
        id: "primes_threads_speedup",
        figure: "primes, 2 workers: speed-up over sequential (keep 1.96×)",
        target: Target::AtLeast(1.8),
        bench: "pool_threads",
    },
    Goal {
        id: "contention_processes_loaded_vs_quiet",
        figure: "process round trips, beside 4 busy loops vs quiet (total)",
        target: Target::AtMost(5.0),
        bench: "contention",
    },
    Goal {
        id: "contention_threads_loaded_vs_quiet",
        figure: "thread round trips, beside 4 busy loops vs quiet (total)",
        target: Target::AtMost(5.0),
        bench: "contention",
    },
];

/// One measured goal.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    pub(crate) id: String,
    pub(crate) ratio: f64,
    /// When it was measured, in seconds since 1970 (UTC).
    pub(crate) measured_at: u64,
    /// What was compared, e.g. both times.
    pub(crate) detail: String,
}

impl Row {
    /// A row measured now. Panics if `id` names no goal (a typo would go unseen otherwise).
    pub(crate) fn now(id: &str, ratio: f64, detail: impl Into<String>) -> Row {
        assert!(
            GOALS.iter().any(|goal| goal.id == id),
            "{id:?} is not one of the goals in benches/common/goals.rs"
        );
        let measured_at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        let detail = detail.into().replace(['\t', '\n'], " ");
        Row {
            id: id.to_owned(),
            ratio,
            measured_at,
            detail,
        }
    }

    fn line(&self) -> String {
        format!(
            "{}\t{}\t{}\t{}\n",
            self.id, self.ratio, self.measured_at, self.detail
        )
    }

    /// The row on `line`, or `None` for a comment, a blank or a malformed line.
    pub(crate) fn parse(line: &str) -> Option<Row> {
        if line.starts_with('#') {
            return None;
        }
        let mut fields = line.splitn(4, '\t');
        let id = fields.next()?.to_owned();
        let ratio = fields.next()?.parse().ok()?;
        let measured_at = fields.next()?.parse().ok()?;
        let detail = fields.next().unwrap_or("").trim_end().to_owned();
        Some(Row {
            id,
            ratio,
            measured_at,
            detail,
        })
    }
}

/// Where the row files live: `target/bench-goals`, found from this program's own path
/// (`target/<profile>/deps/<bench>-<hash>`), so that `CARGO_TARGET_DIR` is followed too.
pub(crate) fn dir() -> io::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let target = exe
        .ancestors()
        .nth(3)
        .ok_or_else(|| io::Error::other("the benchmark runs from target/<profile>/deps"))?;
    Ok(target.join("bench-goals"))
}

/// Writes `bench`'s rows, replacing the file an earlier run of it wrote; says where on
/// standard error.
pub(crate) fn record(bench: &str, rows: &[Row]) -> io::Result<()> {
    let dir = dir()?;
    fs::create_dir_all(&dir)?;
    let mut text = String::from("# goal\tratio\tunix seconds\tdetail\n");
    for row in rows {
        text.push_str(&row.line());
    }
    let path = dir.join(format!("{bench}.tsv"));
    fs::write(&path, text)?;
    eprintln!("goal rows written to {}", path.display());
    Ok(())
}

/// Every row in every file of [`dir`].
pub(crate) fn read_all() -> io::Result<Vec<Row>> {
    let dir = dir()?;
    let mut rows = Vec::new();
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(rows),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "tsv") {
            rows.extend(fs::read_to_string(&path)?.lines().filter_map(Row::parse));
        }
    }
    Ok(rows)
}

/// `a` over `b`, for a detail: "`a_name` 1.41 µs / `b_name` 1.70 µs".
pub(crate) fn versus(a_name: &str, a_ns: f64, b_name: &str, b_ns: f64) -> String {
    use concurrency_lab::bench::format_ns;
    format!(
        "{a_name} {} / {b_name} {}",
        format_ns(a_ns),
        format_ns(b_ns)
    )
}
