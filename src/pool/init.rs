//! [`init()`]: the first line of `main`, where a process that a pool started becomes its worker.
//!
//! It is the one place that knows every backend whose workers are this same program: a worker
//! process ([`Processes`](super::Processes)) and, with feature `mpi`, a worker rank. Each
//! backend keeps its own worker's life; nothing here depends on how either works.

#[allow(unused_imports)] // named by the docs
use crate::Error;

/// Turns this process into a pool worker if a [`ProcessPool`](super::ProcessPool) started it;
/// otherwise returns at once. Call it first thing in `main`.
///
/// This is the Rust counterpart of Python's `if __name__ == "__main__":` guard under the
/// *spawn* start method. A process pool's worker is a fresh run of the same program: without
/// the guard, that run would execute `main` from the top — and start a pool of its own. With
/// it, the run becomes a worker here, serves tasks until the pool lets it go, and exits
/// without ever returning.
///
/// Built with the `mpi` feature and started by `mpirun`, it also starts MPI: every rank but
/// rank 0 becomes a worker of `MpiPool` here (chapter 6). Before MPI starts, it sets
/// `OMPI_MCA_mpi_yield_when_idle=0` in the environment, unless the variable is set already or
/// the process runs more than one thread: OpenMPI's own idle yields make a busy machine much
/// slower (chapter 6, *Waiting without burning a core*).
///
/// Call it before anything else, argument parsing included: the pool starts its workers with
/// arguments of its own (ignored by a program that calls `init` first). In a test binary
/// built by libtest, put [`pool_worker_test!`](crate::pool_worker_test) in the crate instead,
/// or declare the test with `harness = false` and call `init()` at the top of its `main`.
///
/// A worker starts with its standard output silenced, and `init()` points it back at the
/// pool's: what the program prints before `init()` (a test harness's "running 1 test") stays
/// out of the output, and what tasks print reaches the pool's stdout.
///
/// # What a process task can be
///
/// A worker is another process: it runs the task's *code*, found by its type, and receives
/// only what is serialised — the arguments. Hence these rules, each checked:
///
/// - **The task captures nothing**: a `fn` item or a closure without captures. A closure that
///   captures a value which is not `Copy` fails `cargo check` (E0277, "… is not satisfied in
///   `{closure@…}`"); one that captures only `Copy` values, or a `fn` pointer, fails
///   `cargo build` (E0080) with a message that says so: a trait bound cannot tell those from a
///   closure without captures. Pass such values as arguments.
/// - **Arguments and results are owned** (`String`, not `&str`): they are decoded in another
///   process, so they cannot borrow from this one ("implementation of `Deserialize` is not
///   general enough" means a borrowed argument).
/// - **Their serde form must round-trip through [postcard]**, which is not self-describing:
///   `#[serde(skip_serializing_if = …)]`, `untagged`, `flatten`, `skip_deserializing` and
///   other attributes that make the encoded form depend on the value do not. Each argument and
///   result is framed on its own, so such a type fails with [`Error::Serialization`] naming
///   it, instead of decoding as a wrong value.
/// - **At most 1 GiB** of encoded arguments per chunk, and of results per chunk: more fails
///   with [`Error::TooLarge`], before anything is sent (the worker goes on).
/// - **The program is linked statically** (the default): a worker finds a task's code at the
///   same distance from a fixed point in its own executable. With `-C prefer-dynamic`, or
///   this crate in a `dylib`, the code lies in a shared library at an independent address,
///   and [`ProcessPool::new`](super::ProcessPool::new) refuses with [`Error::WorkerStart`].
///
/// A task that panics fails with [`Error::TaskPanicked`], which carries the panic's message,
/// its location and, when `RUST_BACKTRACE` is set, the worker's backtrace; the panic is not
/// printed on the worker's stderr besides. (The pool installs a panic hook for this, once,
/// in front of the one in place: panics outside pool tasks are printed as before. A hook the
/// program sets later replaces it, and task panics are then printed and carry no location.)
/// A panicking `Serialize` or `Deserialize` impl fails its task with
/// [`Error::Serialization`], on either side; the worker and the pool go on.
///
/// ```compile_fail,E0277
/// # use concurrency_lab::pool::ProcessPool;
/// # fn main() -> Result<(), concurrency_lab::Error> {
/// let pool = ProcessPool::new(1)?;
/// let names = vec!["Ala".to_owned()];
/// // error: `Vec<String>: Copy` is not satisfied in `{closure@…}`
/// pool.apply(move |i: usize| names[i].len(), (0,))?;
/// # Ok(()) }
/// ```
///
/// ```compile_fail,E0080
/// # use concurrency_lab::pool::ProcessPool;
/// # fn main() -> Result<(), concurrency_lab::Error> {
/// let pool = ProcessPool::new(1)?;
/// let offset = 10_u64;
/// // error: a ProcessPool task must not capture anything …
/// pool.apply(move |n: u64| n + offset, (1,))?;
/// # Ok(()) }
/// ```
///
/// ```compile_fail,E0080
/// # use concurrency_lab::pool::ProcessPool;
/// # fn main() -> Result<(), concurrency_lab::Error> {
/// fn double(n: u64) -> u64 { 2 * n }
/// let pool = ProcessPool::new(1)?;
/// let task: fn(u64) -> u64 = double; // a fn pointer is a value; pass `double` itself
/// pool.apply(task, (1,))?;
/// # Ok(()) }
/// ```
///
/// # Examples
///
/// ```rust,standalone_crate
/// use concurrency_lab::pool::{self, ProcessPool};
///
/// fn square(n: u64) -> u64 { n * n }
///
/// fn main() -> Result<(), concurrency_lab::Error> {
///     pool::init(); // a worker never gets past this line
///
///     let pool = ProcessPool::new(2)?;
///     assert_eq!(pool.map(square, 1..=4)?, [1, 4, 9, 16]);
///     Ok(())
/// }
/// ```
pub fn init() {
    super::process::serve_if_worker();
    #[cfg(feature = "mpi")]
    super::mpi::serve_if_worker_rank();
}

/// Defines the test that a libtest test binary needs to serve as a process-pool worker.
///
/// A [`ProcessPool`](crate::pool::ProcessPool) created inside a `#[test]` starts workers by
/// running the test binary again, asking it (through its arguments) for the one test named
/// `__concurrency_lab_pool_worker`. This macro defines that test: it calls
/// [`pool::init()`](crate::pool::init), which turns the run into a worker. Run normally, the
/// test does nothing and passes. What the harness of a worker run prints before the test
/// starts ("running 1 test") is silenced, so `cargo test` shows only your tests' output and
/// what tasks print.
///
/// Alternatively, declare the test target with `harness = false` and call
/// `concurrency_lab::pool::init()` first in its `main`, as an ordinary program does.
///
/// # Examples
///
/// Once, at the top level of a test crate:
///
/// ```
/// concurrency_lab::pool_worker_test!();
/// # fn main() {}
/// ```
///
/// and then any test can use a process pool:
///
/// ```text
/// #[test]
/// fn squares_in_worker_processes() {
///     fn square(n: u64) -> u64 { n * n }
///     let pool = concurrency_lab::pool::ProcessPool::new(2).unwrap();
///     assert_eq!(pool.map(square, 1..=3).unwrap(), [1, 4, 9]);
/// }
/// ```
#[macro_export]
macro_rules! pool_worker_test {
    () => {
        #[test]
        fn __concurrency_lab_pool_worker() {
            $crate::pool::init();
        }
    };
}
