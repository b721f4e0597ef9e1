//! The summary of issue 19's goals, printed last by `cargo bench`: each goal, the ratio the
//! benchmarks measured, whether it is met, and when it was measured. It measures nothing
//! itself; it reads the rows the other benchmarks wrote (see `common/goals.rs`).
//!
//! ```sh
//! cargo bench                   # every benchmark, this summary last
//! cargo bench --bench zz_goals  # the summary of the rows written so far
//! ```

use std::io::{self, Write};
use std::time::{SystemTime, UNIX_EPOCH};

#[path = "common/goals.rs"]
mod goals;

use goals::{GOALS, Row};

fn main() -> io::Result<()> {
    let rows = goals::read_all()?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "== issue 19's goals (rows from {})",
        goals::dir()?.display()
    )?;
    writeln!(
        out,
        "{:<58} {:>8} {:>7}  {:<8} {:>9}  compared",
        "figure", "ratio", "goal", "", "measured"
    )?;
    let (mut met, mut missed, mut missing) = (0, 0, Vec::new());
    for goal in GOALS {
        // The newest row for the goal, if several files have one.
        let Some(row) = rows
            .iter()
            .filter(|row| row.id == goal.id)
            .max_by_key(|row| row.measured_at)
        else {
            writeln!(
                out,
                "{:<58} {:>8} {:>7}  {:<8} {:>9}  run `cargo bench --bench {}`",
                goal.figure,
                "—",
                goal.target.to_string(),
                "MISSING",
                "",
                goal.bench
            )?;
            missing.push(goal.id);
            continue;
        };
        let verdict = if goal.target.met_by(row.ratio) {
            met += 1;
            "met"
        } else {
            missed += 1;
            "MISSED"
        };
        writeln!(
            out,
            "{:<58} {:>7.2}× {:>7}  {:<8} {:>9}  {}",
            goal.figure,
            row.ratio,
            goal.target.to_string(),
            verdict,
            age(now, row),
            row.detail
        )?;
    }
    writeln!(
        out,
        "{met} met, {missed} missed, {} not measured{}",
        missing.len(),
        if missing.is_empty() {
            String::new()
        } else {
            format!(" ({})", missing.join(", "))
        }
    )?;
    Ok(())
}

/// How long ago `row` was measured: a row from an earlier `cargo bench` shows its age.
fn age(now: u64, row: &Row) -> String {
    let seconds = now.saturating_sub(row.measured_at);
    match seconds {
        0..120 => format!("{seconds} s ago"),
        120..7200 => format!("{} min ago", seconds / 60),
        _ => format!("{} h ago", seconds / 3600),
    }
}
