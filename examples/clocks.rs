//! Lecture demo for chapter 1: the four clocks on this machine, and wall vs CPU time.
//!
//! ```sh
//! cargo run --release --example clocks
//! ```

use std::hint::black_box;
use std::time::Duration;

use concurrency_lab::timing::{Clock, measure};

fn main() {
    println!(
        "{:<12} {:<26} {:<41} {:>9} {:>10} {:>10} {:>9}",
        "clock", "Python", "implementation", "monotonic", "declared", "measured", "cost"
    );
    for clock in Clock::ALL {
        let probe = clock.probe();
        let step = probe
            .measured_resolution_ns
            .map_or_else(|| "coarse".to_owned(), |ns| format!("{ns} ns"));
        println!(
            "{:<12} {:<26} {:<41} {:>9} {:>7} ns {:>10} {:>6.1} ns",
            clock.name(),
            clock.python(),
            probe.info.implementation,
            probe.info.monotonic,
            probe.info.resolution_ns,
            step,
            probe.reading_cost_ns,
        );
    }

    println!();
    let nap = measure(|| std::thread::sleep(Duration::from_millis(200)));
    println!(
        "sleep 200 ms:      wall {:>10.3?}  CPU {:>10.3?}  ({:.1}% of a core)",
        nap.wall,
        nap.cpu,
        nap.cpu_utilization() * 100.0
    );
    let work = measure(|| (0..200_000_000_u64).map(black_box).sum::<u64>());
    println!(
        "sum 200M numbers:  wall {:>10.3?}  CPU {:>10.3?}  ({:.1}% of a core)",
        work.wall,
        work.cpu,
        work.cpu_utilization() * 100.0
    );
}
