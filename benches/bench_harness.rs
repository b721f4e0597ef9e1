//! How much to trust the `bench` module: its own overhead, a function of a few nanoseconds with
//! its spread, the same closure measured twice, what `black_box` prevents, and the lab's linear
//! search with and without its setup inside the timed statement.
//!
//! ```sh
//! cargo bench --bench bench_harness
//! BENCH_QUICK=1 cargo bench --bench bench_harness    # a smoke run, in seconds
//! ```

use std::io::{self, Write};

use concurrency_lab::bench::{Bench, Group, Report, black_box, compare, format_ns};
use concurrency_lab::lab::name_index::{is_name_index, linear_search};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// The lab's list: `[x for x in range(10000)]`.
const LEN: u64 = 10_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut out = io::stdout().lock();

    writeln!(out, "== the harness, and a function of a few nanoseconds")?;
    let check = || is_name_index(black_box("Tymoteusz"), black_box(144298));
    let harness = Group::new()
        .bench(Bench::new("empty closure"), || ())
        .bench(Bench::new("is_name_index"), check)
        .bench(Bench::new("is_name_index again"), check)
        .run()?;
    compare(&harness, "is_name_index")?.write_to(&mut out)?;
    writeln!(out, "{}\n", agreement(&harness[1], &harness[2]))?;
    harness[1].write_to(&mut out)?;
    writeln!(out)?;

    writeln!(
        out,
        "== the same closure in two separate runs, one after the other"
    )?;
    let first = Bench::new("is_name_index, run 1").run(check)?;
    let second = Bench::new("is_name_index, run 2").run(check)?;
    writeln!(out, "{}\n", agreement(&first, &second))?;

    writeln!(
        out,
        "== black_box: constant inputs let the optimiser answer at compile time"
    )?;
    let folding = Group::new()
        .bench(Bench::new("letters, black_box input"), || {
            letters(black_box("Tymoteusz"))
        })
        .bench(Bench::new("letters, constant input"), || {
            letters("Tymoteusz")
        })
        // `is_name_index` lives in another crate and is not `#[inline]`: without link-time
        // optimisation the compiler cannot see into it, so its constants do not fold — here.
        .bench(Bench::new("is_name_index, constants"), || {
            is_name_index("Tymoteusz", 144298)
        })
        .run()?;
    compare(&folding, "letters, black_box input")?.write_to(&mut out)?;
    writeln!(out)?;

    writeln!(
        out,
        "== the lab's linear search: setup inside the timed statement or not"
    )?;
    let list: Vec<u64> = (0..LEN).collect();
    let rng = || SmallRng::seed_from_u64(144298);
    let (mut rng_a, mut rng_b, mut rng_c) = (rng(), rng(), rng());
    let search = Group::new()
        // The lab's TEST_CODE: list, draw and search, all timed.
        .bench(Bench::new("list + draw + search"), || {
            let list: Vec<u64> = black_box((0..LEN).collect());
            let find = rng_a.random_range(0..=LEN);
            linear_search(&list, &find)
        })
        // The list moved to the setup: built once, before the clock starts.
        .bench(Bench::new("draw + search"), || {
            let find = rng_b.random_range(0..=LEN);
            linear_search(black_box(&list), &find)
        })
        // The draw moved to the per-call setup too: only the search is timed.
        .bench_with_setup(
            Bench::new("search"),
            || rng_c.random_range(0..=LEN),
            |find| linear_search(black_box(&list), &find),
        )
        .run()?;
    compare(&search, "list + draw + search")?.write_to(&mut out)?;
    writeln!(out, "{}", share_of_the_list(&search))?;
    Ok(())
}

/// The letter count of `is_name_index`, defined here so the optimiser can see through it.
fn letters(name: &str) -> usize {
    name.chars().filter(|c| c.is_alphabetic()).count()
}

/// Whether two measurements of the same closure agree, with the figures that decide it.
fn agreement(first: &Report, again: &Report) -> String {
    format!(
        "same closure twice: medians {} and {} ({:+.1} %), MADs {} and {}: {}",
        format_ns(first.stats.median),
        format_ns(again.stats.median),
        (again.stats.median / first.stats.median - 1.0) * 100.0,
        format_ns(first.stats.mad),
        format_ns(again.stats.mad),
        if first.within_spread_of(again) {
            "they agree within the spread"
        } else {
            "they DISAGREE beyond the spread"
        },
    )
}

/// What share of the lab's timed statement went into building the list.
fn share_of_the_list(search: &[Report]) -> String {
    let (all, without_list) = (search[0].stats.median, search[1].stats.median);
    format!(
        "building the list took {} of the {} per statement: {:.0} % of the time",
        format_ns(all - without_list),
        format_ns(all),
        (1.0 - without_list / all) * 100.0
    )
}
