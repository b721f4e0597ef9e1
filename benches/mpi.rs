//! The MPI pool against the process pool, raw MPI and mpi4py, and issue 20's goals for rank 0
//! (idle cost, dispatch rate with many ranks, correctness with 32 ranks, round trip).
//!
//! ```sh
//! cargo bench --features mpi --bench mpi                   # launches mpirun itself
//! BENCH_QUICK=1 cargo bench --features mpi --bench mpi     # a smoke run
//! ```
//!
//! Started by cargo, this binary runs itself under `mpirun --oversubscribe`, over shared memory
//! (`--mca btl self,vader`) and over TCP (`--mca btl self,tcp`):
//! - with two ranks (`-n 2`: rank 0 and one worker rank), first as raw MPI — a message there
//!   and back with rsmpi's `send` and a polling receive, the floor under any pool — then as a
//!   pool, for the round trip only;
//! - with three ranks (`-n 3`: two worker ranks, as in the lab), for everything;
//! - over shared memory only: with 17 ranks for the dispatch rate (one-item chunks a second,
//!   against the rate with 2 worker ranks), and with 33 for rank 0's CPU while 32 worker ranks
//!   idle and for the answers of the lab's map and `imap_unordered` over them;
//! - `benches/mpi4py_pool.py` with `mpirun -n 3 python3 -m mpi4py.futures`, when mpi4py is
//!   installed (`pip install mpi4py`), for the same two rows as the `-n 3` run.
//!
//! Under `mpirun`, `main` calls `pool::init()` first: worker ranks serve there, rank 0
//! measures and prints, besides its tables, `GOAL name value` lines that the launcher reads to
//! print one summary at the end: each goal, the ratio measured in this run, met or not.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Write};
use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

use concurrency_lab::bench::{Bench, Group, Report, compare};
use concurrency_lab::lab::primes::{blocks, primes_in};
use concurrency_lab::lab::range_count::{howmany_within_range_rowonly, random_rows};
use concurrency_lab::pool::{self, MapOptions, MpiPool, ProcessPool};
use mpi::point_to_point::{Destination, Source};
use mpi::topology::Communicator;

fn plus_one(n: u64) -> u64 {
    n + 1
}

/// What a job under `mpirun` measures: the second argument.
mod mode {
    /// Raw MPI round trips, no pool (`-n 2`).
    pub(crate) const RAW: &str = "raw";
    /// The pool against the process pool (`-n 2`, `-n 3`).
    pub(crate) const POOL: &str = "pool";
    /// One-item chunks a second only (`-n 17`).
    pub(crate) const DISPATCH: &str = "dispatch";
    /// Rank 0's CPU while the worker ranks idle, and the answers over all of them (`-n 33`).
    pub(crate) const IDLE: &str = "idle";
}

/// How many one-item chunks one dispatch sample sends.
const DISPATCH_ITEMS: u64 = 20_000;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = if std::env::var_os("OMPI_COMM_WORLD_SIZE").is_none() {
        launch()
    } else if args.get(1).map(String::as_str) == Some(mode::RAW) {
        raw_round_trip(&args[0]).map_err(|e| e.to_string())
    } else {
        pool::init(); // worker ranks serve here
        let transport = args.first().map_or("?", String::as_str);
        match args.get(1).map(String::as_str) {
            Some(mode::DISPATCH) => dispatch_only().map_err(|e| e.to_string()),
            Some(mode::IDLE) => idle_and_correct().map_err(|e| e.to_string()),
            _ => measure(transport).map_err(|e| e.to_string()),
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("bench mpi: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The figures the jobs report with `GOAL` lines, by name and transport.
type Figures = BTreeMap<String, f64>;

fn launch() -> Result<(), String> {
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let load_before = load_average();
    let mut figures = Figures::new();
    for (transport, btl) in [("shared memory", "self,vader"), ("TCP", "self,tcp")] {
        let mut jobs = vec![("2", mode::RAW), ("2", mode::POOL), ("3", mode::POOL)];
        if transport == "shared memory" {
            jobs.extend([("17", mode::DISPATCH), ("33", mode::IDLE)]);
        }
        for (ranks, what) in jobs {
            let mut command = Command::new("mpirun");
            command
                .args(["--oversubscribe", "-n", ranks, "--mca", "btl", btl])
                .args(["--mca", "btl_tcp_if_include", "lo"])
                .arg(&me)
                .arg(transport)
                .arg(what);
            let prefix = if transport == "TCP" { "tcp_" } else { "" };
            run_job(
                &mut command,
                &format!("mpirun -n {ranks} over {transport}"),
                prefix,
                &mut figures,
            )?;
        }
    }
    mpi4py(&mut figures)?;
    let load_after = load_average();
    summary(&figures, &load_before, &load_after).map_err(|e| e.to_string())
}

/// Runs one `mpirun`, passing its output through and keeping its `GOAL` figures (their names
/// prefixed with `prefix`).
fn run_job(
    command: &mut Command,
    what: &str,
    prefix: &str,
    figures: &mut Figures,
) -> Result<(), String> {
    let mut child = command
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| {
            format!(
                "cannot start mpirun ({e}); install OpenMPI: `apt-get install -y \
                 libopenmpi-dev openmpi-bin libclang-dev`"
            )
        })?;
    let stdout = child.stdout.take().expect("piped");
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| e.to_string())?;
        match line
            .strip_prefix("GOAL ")
            .and_then(|rest| rest.split_once(' '))
        {
            Some((name, value)) => {
                if let Ok(value) = value.trim().parse() {
                    figures.insert(format!("{prefix}{name}"), value);
                }
            }
            None => println!("{line}"),
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!("{what}: {status}"));
    }
    Ok(())
}

/// The same two rows with mpi4py's `MPIPoolExecutor`, if mpi4py is installed.
fn mpi4py(figures: &mut Figures) -> Result<(), String> {
    let found = Command::new("python3")
        .args(["-c", "import mpi4py.futures"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !found {
        println!(
            "##### mpi4py: not installed, so its rows are skipped (`pip install mpi4py` builds it \
             against the system's OpenMPI)\n"
        );
        return Ok(());
    }
    println!("##### mpi4py.futures.MPIPoolExecutor, mpirun -n 3 over shared memory\n");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/mpi4py_pool.py");
    let mut command = Command::new("mpirun");
    command
        .args(["--oversubscribe", "-n", "3", "--mca", "btl", "self,vader"])
        .args(["python3", "-m", "mpi4py.futures", script]);
    run_job(&mut command, "mpi4py", "", figures)?;
    println!();
    Ok(())
}

/// The machine's load averages, to say how busy it was around the run.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(
        |_| "unknown".into(),
        |text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        },
    )
}

/// One goal: what it compares, the measured ratio, and the bound it must meet.
struct Goal {
    name: &'static str,
    /// The ratio, or why it could not be measured.
    ratio: Result<f64, String>,
    /// `true`: met when the ratio is at most `bound`; `false`: at least.
    at_most: bool,
    bound: f64,
    /// What the ratio is, in words, with its figures.
    detail: String,
}

fn figure(figures: &Figures, name: &str) -> Result<f64, String> {
    figures
        .get(name)
        .copied()
        .ok_or_else(|| format!("not measured ({name} missing)"))
}

fn summary(figures: &Figures, load_before: &str, load_after: &str) -> io::Result<()> {
    let show = |name: &str, unit: &str, scale: f64| {
        figure(figures, name).map_or_else(|e| e, |v| format!("{:.3} {unit}", v / scale))
    };
    // A goal on the ratio of two figures, `a` / `b`, shown in `unit` (their value / `scale`).
    let compared = |name, (a, b): (&str, &str), (at_most, bound), (unit, scale)| Goal {
        name,
        ratio: figure(figures, a).and_then(|x| Ok(x / figure(figures, b)?)),
        at_most,
        bound,
        detail: format!("{} vs {}", show(a, unit, scale), show(b, unit, scale)),
    };
    let goals = [
        Goal {
            name: "idle: rank 0's CPU over 5 s, 32 idle worker ranks",
            ratio: figure(figures, "idle_cpu_percent").map(|p| p / 100.0),
            at_most: true,
            bound: 0.02,
            detail: format!("{} of a core", show("idle_cpu_percent", "%", 1.0)),
        },
        compared(
            "dispatch: one-item chunks/s, 16 worker ranks vs 2",
            ("dispatch_16", "dispatch_2"),
            (false, 1.0),
            ("k/s", 1e3),
        ),
        Goal {
            name: "correct: lab map and imap_unordered, 32 worker ranks",
            ratio: figure(figures, "correct_32"),
            at_most: false,
            bound: 1.0,
            detail: "1 when both equal the sequential answer, else 0".into(),
        },
        compared(
            "round trip -n 2, shared memory: MpiPool / raw MPI",
            ("pool_rtt_ns", "raw_rtt_ns"),
            (true, 3.0),
            ("µs", 1e3),
        ),
        compared(
            "round trip -n 2, TCP: MpiPool / raw MPI (no goal; for the record)",
            ("tcp_pool_rtt_ns", "tcp_raw_rtt_ns"),
            (true, f64::INFINITY),
            ("µs", 1e3),
        ),
        compared(
            "lab map, 200,000 rows, -n 3: mpi4py / MpiPool",
            ("mpi4py_lab_map_ns", "lab_map_ns"),
            (false, 5.0),
            ("ms", 1e6),
        ),
        compared(
            "2,000 x submit + result, -n 3: mpi4py / MpiPool",
            ("mpi4py_submit_result_ns", "submit_result_ns"),
            (false, 5.0),
            ("µs", 1e3),
        ),
    ];
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "##### goals (issue 20), ratios from this run; load average {load_before} before, \
         {load_after} after, on {} cores\n",
        std::thread::available_parallelism().map_or(0, usize::from)
    )?;
    writeln!(out, "| goal | ratio | bound | verdict | figures |")?;
    writeln!(out, "|---|---|---|---|---|")?;
    for goal in goals {
        let bound = if goal.bound.is_infinite() {
            "—".to_owned()
        } else {
            format!("{} {}", if goal.at_most { "≤" } else { "≥" }, goal.bound)
        };
        let (ratio, verdict) = match goal.ratio {
            Ok(r) if goal.bound.is_infinite() => (format!("{r:.3}"), "—"),
            Ok(r) if (r <= goal.bound) == goal.at_most || r == goal.bound => {
                (format!("{r:.3}"), "met")
            }
            Ok(r) => (format!("{r:.3}"), "NOT met"),
            Err(why) => (why, "not measured"),
        };
        writeln!(
            out,
            "| {} | {ratio} | {bound} | {verdict} | {} |",
            goal.name, goal.detail
        )?;
    }
    writeln!(
        out,
        "\nrank 0's CPU time per one-item chunk, 16 worker ranks (chapter 6's 100 nodes): {}\n",
        show("rank0_cpu_per_chunk_ns", "µs", 1e3)
    )
}

/// Rank 0 sends 8 bytes to rank 1 and waits, polling, for rank 1 to send them back: what a
/// pool's round trip costs at least, with no pool around it.
fn raw_round_trip(transport: &str) -> Result<(), Box<dyn std::error::Error>> {
    const STOP: mpi::Tag = 1;
    let universe = mpi::initialize().ok_or("MPI was already initialised")?;
    let world = universe.world();
    let mut buf = [0u8; 8];
    if world.rank() != 0 {
        let root = world.process_at_rank(0);
        while receive(&root, &mut buf) != STOP {
            root.send(&buf[..]);
        }
        return Ok(());
    }
    let worker = world.process_at_rank(1);
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "##### over {transport}: raw MPI, rank 0 and one worker rank\n"
    )?;
    let reports = Group::new()
        .bench(Bench::new("raw MPI send + polled receive"), || {
            worker.send(&buf[..]);
            receive(&worker, &mut buf)
        })
        .run()?;
    table(&mut out, &reports, "raw MPI send + polled receive")?;
    writeln!(out, "GOAL raw_rtt_ns {}", reports[0].stats.median)?;
    worker.send_with_tag(&buf[..], STOP);
    Ok(())
}

/// Polls until `from` sends a message, receives it into `buf`, and returns its tag.
fn receive(from: &mpi::topology::Process<'_>, buf: &mut [u8; 8]) -> mpi::Tag {
    loop {
        if let Some((message, status)) = from.immediate_matched_probe() {
            message.matched_receive_into(&mut buf[..]);
            return status.tag();
        }
    }
}

fn measure(transport: &str) -> Result<(), Box<dyn std::error::Error>> {
    let mut out = io::stdout().lock();
    let mpi = MpiPool::all_ranks()?;
    let workers = mpi.workers();
    let processes = ProcessPool::new(workers)?;
    writeln!(
        out,
        "##### over {transport}: {workers} worker rank(s), {workers} worker process(es); \
         medians; ratios to the named baseline\n"
    )?;

    writeln!(
        out,
        "== one task at a time: apply_async(plus_one, (n,)).get()"
    )?;
    let round_trips = Group::new()
        .bench(Bench::new("MpiPool"), || {
            mpi.apply_async(plus_one, (7,))
                .expect("submit")
                .get()
                .expect("get")
        })
        .bench(Bench::new("ProcessPool"), || {
            processes
                .apply_async(plus_one, (7,))
                .expect("submit")
                .get()
                .expect("get")
        })
        .run()?;
    table(&mut out, &round_trips, "ProcessPool")?;
    if workers < 2 {
        writeln!(out, "GOAL pool_rtt_ns {}", round_trips[0].stats.median)?;
        return Ok(()); // the rest is about two workers at once
    }

    writeln!(
        out,
        "== 2,000 x submit + result, one at a time (the mpi4py row; per task)"
    )?;
    let each = Group::new()
        .bench(Bench::new("MpiPool").number(1).repeat(5), || {
            (0..2_000)
                .map(|n| {
                    mpi.apply_async(plus_one, (n,))
                        .expect("submit")
                        .get()
                        .expect("get")
                })
                .sum::<u64>()
        })
        .run()?;
    table(&mut out, &each, "MpiPool")?;
    writeln!(
        out,
        "GOAL submit_result_ns {}",
        each[0].stats.median / 2_000.0
    )?;

    writeln!(
        out,
        "== messages: map(plus_one) over 20,000 numbers, one number per chunk (per call: \
         20,000 round trips, two workers at once)"
    )?;
    let one_each = || MapOptions::new().chunksize(1);
    let messages = Group::new()
        .bench(dispatch_bench("MpiPool, chunksize 1"), || dispatch(&mpi))
        .bench(
            Bench::new("ProcessPool, chunksize 1").number(1).repeat(10),
            || {
                let running = processes.map_async_with(plus_one, 0..20_000, one_each());
                running.expect("map").get().expect("get")
            },
        )
        .run()?;
    table(&mut out, &messages, "ProcessPool, chunksize 1")?;
    writeln!(out, "GOAL dispatch_{workers} {}", rate(&messages[0]))?;

    writeln!(
        out,
        "== the lab's map: howmany_within_range over 200,000 rows of 5 (rows copied untimed)"
    )?;
    let rows = random_rows(200_000, 2024);
    let map = Group::new()
        .bench_with_setup(
            Bench::new("sequential loop").number(1),
            || rows.clone(),
            |rows| {
                rows.into_iter()
                    .map(howmany_within_range_rowonly)
                    .collect::<Vec<_>>()
            },
        )
        .bench_with_setup(
            Bench::new("MpiPool::map").number(1),
            || rows.clone(),
            |rows| mpi.map(howmany_within_range_rowonly, rows).expect("map"),
        )
        .bench_with_setup(
            Bench::new("ProcessPool::map").number(1),
            || rows.clone(),
            |rows| {
                processes
                    .map(howmany_within_range_rowonly, rows)
                    .expect("map")
            },
        )
        .run()?;
    table(&mut out, &map, "ProcessPool::map")?;
    writeln!(out, "GOAL lab_map_ns {}", map[1].stats.median)?;

    writeln!(
        out,
        "== CPU-bound: primes in 60 blocks of 50,000 numbers, one block per task"
    )?;
    let work = blocks(60, 50_000);
    let one_per_task = || MapOptions::new().chunksize(1);
    let primes = Group::new()
        .bench(Bench::new("sequential").number(1).repeat(10), || {
            work.iter().cloned().map(primes_in).sum::<u64>()
        })
        .bench(Bench::new("MpiPool::map").number(1).repeat(10), || {
            let counts = mpi.map_async_with(primes_in, work.clone(), one_per_task());
            counts.expect("map").get().expect("get").iter().sum::<u64>()
        })
        .bench(Bench::new("ProcessPool::map").number(1).repeat(10), || {
            let counts = processes.map_async_with(primes_in, work.clone(), one_per_task());
            counts.expect("map").get().expect("get").iter().sum::<u64>()
        })
        .run()?;
    table(&mut out, &primes, "sequential")?;
    Ok(())
}

fn table(out: &mut impl Write, reports: &[Report], baseline: &str) -> io::Result<()> {
    compare(reports, baseline)
        .map_err(io::Error::other)?
        .write_to(out)?;
    writeln!(out)
}

/// The dispatch measurement, the same in every job: [`DISPATCH_ITEMS`] one-item chunks.
fn dispatch_bench(name: &str) -> Bench {
    Bench::new(name).number(1).repeat(10)
}

fn dispatch(pool: &MpiPool) -> Vec<u64> {
    let one_each = MapOptions::new().chunksize(1);
    let running = pool.map_async_with(plus_one, 0..DISPATCH_ITEMS, one_each);
    running.expect("map").get().expect("get")
}

/// One-item chunks a second, from a dispatch report's median.
fn rate(report: &Report) -> f64 {
    DISPATCH_ITEMS as f64 / (report.stats.median * 1e-9)
}

/// `-n 17`: the dispatch rate through rank 0 with 16 worker ranks.
fn dispatch_only() -> Result<(), Box<dyn std::error::Error>> {
    let mut out = io::stdout().lock();
    let mpi = MpiPool::all_ranks()?;
    let workers = mpi.workers();
    writeln!(
        out,
        "##### over shared memory: {workers} worker ranks; map(plus_one) over \
         {DISPATCH_ITEMS} numbers, one per chunk\n"
    )?;
    let reports = Group::new()
        .bench(dispatch_bench("MpiPool, chunksize 1"), || dispatch(&mpi))
        .run()?;
    table(&mut out, &reports, "MpiPool, chunksize 1")?;
    writeln!(out, "GOAL dispatch_{workers} {}", rate(&reports[0]))?;
    // Rank 0's whole CPU time per chunk — the engine's thread and the caller's, which makes
    // and collects the chunks — is what limits a job with many more ranks (chapter 6, "On
    // paper: 100 nodes"). On a machine with more ranks than cores it includes the engine's
    // polling while it waits: an upper bound.
    let rounds = 5;
    let before = cpu_seconds()?;
    for _ in 0..rounds {
        dispatch(&mpi);
    }
    let per_chunk = (cpu_seconds()? - before) / (rounds * DISPATCH_ITEMS) as f64;
    writeln!(
        out,
        "rank 0's CPU time per one-item chunk, {workers} worker ranks: {:.2} µs\n",
        per_chunk * 1e6
    )?;
    writeln!(out, "GOAL rank0_cpu_per_chunk_ns {}", per_chunk * 1e9)?;
    Ok(())
}

/// `-n 33`: the lab's map and `imap_unordered` over 32 worker ranks against the sequential
/// answer, then rank 0's CPU time while they idle for 5 s.
fn idle_and_correct() -> Result<(), Box<dyn std::error::Error>> {
    let mut out = io::stdout().lock();
    let mpi = MpiPool::all_ranks()?;
    let workers = mpi.workers();
    let rows = random_rows(200_000, 2024);
    let sequential: Vec<usize> = rows
        .iter()
        .cloned()
        .map(howmany_within_range_rowonly)
        .collect();
    let mapped = mpi.map(howmany_within_range_rowonly, rows.clone())?;
    let mut unordered: Vec<(usize, usize)> = mpi
        .imap_unordered(indexed_count, rows.into_iter().enumerate())
        .chunksize(1_000)
        .collect::<Result<_, _>>()?;
    unordered.sort_unstable();
    let correct = mapped == sequential
        && unordered
            .into_iter()
            .map(|(_, count)| count)
            .eq(sequential.iter().copied());
    writeln!(
        out,
        "##### over shared memory: {workers} worker ranks\n\nthe lab's map and \
         imap_unordered over 200,000 rows: {}",
        if correct {
            "the sequential answer"
        } else {
            "WRONG"
        }
    )?;
    writeln!(out, "GOAL correct_{workers} {}", u8::from(correct))?;
    let idle = Duration::from_secs(5);
    let before = cpu_seconds()?;
    std::thread::sleep(idle);
    let used = cpu_seconds()? - before;
    let percent = 100.0 * used / idle.as_secs_f64();
    writeln!(
        out,
        "rank 0's CPU while {workers} worker ranks idle for {idle:?}: {used:.3} s ({percent:.2} % \
         of a core)\n"
    )?;
    writeln!(out, "GOAL idle_cpu_percent {percent}")?;
    Ok(())
}

fn indexed_count((index, row): (usize, Vec<u8>)) -> (usize, usize) {
    (index, howmany_within_range_rowonly(row))
}

/// This process's CPU time so far, user and system, from `/proc/self/stat`.
fn cpu_seconds() -> Result<f64, Box<dyn std::error::Error>> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    // The command name, in parentheses, may hold spaces: count fields after its end.
    let after_name = &stat[stat.rfind(')').ok_or("no ')' in /proc/self/stat")? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of the line (utime, stime) are the 12th and 13th after the name.
    let ticks: f64 = fields[11].parse::<f64>()? + fields[12].parse::<f64>()?;
    let per_second =
        nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)?.ok_or("no clock tick rate")? as f64;
    Ok(ticks / per_second)
}
