//! Running a program that may misbehave: in a process group of its own, with a wall-clock
//! bound after which the whole group is killed, optional memory and file-size bounds, and its
//! output kept up to a size.

use std::io::{self, Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::resource::{Resource, setrlimit};
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

/// How long the output readers may take to finish once the program's group is killed: a
/// process that left the group could keep the pipes open forever.
const DRAIN: Duration = Duration::from_secs(2);
/// The largest file the program may write (`RLIMIT_FSIZE`).
const MAX_FILE_BYTES: u64 = 1 << 30;

/// The bounds a program runs within.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bounds {
    /// Wall-clock time, after which the program's process group is killed.
    pub(crate) time: Duration,
    /// Address space per process (`RLIMIT_AS`), when bounded.
    pub(crate) memory: Option<u64>,
    /// Bytes of each of stdout and stderr kept: half from the start, half from the end.
    pub(crate) output: usize,
}

/// What a program did.
#[derive(Debug)]
pub(crate) struct Finished {
    /// Its exit status; `None` when it ran past its time bound and was killed.
    pub(crate) status: Option<ExitStatus>,
    /// What it printed on stdout (head and tail).
    pub(crate) stdout: String,
    /// What it printed on stderr (head and tail).
    pub(crate) stderr: String,
}

/// Runs `command` within `bounds`, writing `input` to its stdin first. Whatever is left of its
/// process group when it ends (workers, children it started) is killed too.
///
/// # Errors
///
/// When the program cannot be started.
pub(crate) fn run(mut command: Command, input: &[u8], bounds: Bounds) -> io::Result<Finished> {
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let memory = bounds.memory;
    // SAFETY: the closure runs in the child between fork and exec and only calls setrlimit,
    // which is async-signal-safe and allocates nothing.
    unsafe {
        command.pre_exec(move || limit(memory).map_err(io::Error::from));
    }
    let mut child = command.spawn()?;
    let group = Pid::from_raw(child.id() as i32);
    let stdout = Capture::start(child.stdout.take(), bounds.output);
    let stderr = Capture::start(child.stderr.take(), bounds.output);
    if let Some(mut stdin) = child.stdin.take() {
        // A program that exits at once, or never reads, refuses the input: that is its business.
        let _ = stdin.write_all(input);
    }
    let deadline = Instant::now() + bounds.time;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if Instant::now() >= deadline {
            break None;
        }
        thread::sleep(Duration::from_millis(20));
    };
    // The group outlives its leader when the program started others: end them all.
    let _ = killpg(group, Signal::SIGKILL);
    if status.is_none() {
        child.wait()?;
    }
    Ok(Finished {
        status,
        stdout: stdout.finish(),
        stderr: stderr.finish(),
    })
}

fn limit(memory: Option<u64>) -> nix::Result<()> {
    if let Some(bytes) = memory {
        setrlimit(Resource::RLIMIT_AS, bytes, bytes)?;
    }
    // No core dumps from an abort, and no runaway file.
    setrlimit(Resource::RLIMIT_CORE, 0, 0)?;
    setrlimit(Resource::RLIMIT_FSIZE, MAX_FILE_BYTES, MAX_FILE_BYTES)
}

/// One output stream, read on a thread of its own so the program never blocks on a full pipe,
/// and kept as its first and last `cap / 2` bytes.
struct Capture {
    kept: Arc<Mutex<Kept>>,
    reader: Option<thread::JoinHandle<()>>,
}

#[derive(Default)]
struct Kept {
    head: Vec<u8>,
    tail: Vec<u8>,
    left_out: u64,
    done: bool,
}

impl Capture {
    fn start<R: Read + Send + 'static>(stream: Option<R>, cap: usize) -> Capture {
        let kept = Arc::new(Mutex::new(Kept::default()));
        let reader = stream.map(|mut stream| {
            let kept = Arc::clone(&kept);
            thread::spawn(move || {
                let mut buffer = [0; 8192];
                while let Ok(n) = stream.read(&mut buffer) {
                    if n == 0 {
                        break;
                    }
                    let mut kept = kept.lock().unwrap_or_else(PoisonError::into_inner);
                    kept.keep(&buffer[..n], cap / 2);
                }
                kept.lock().unwrap_or_else(PoisonError::into_inner).done = true;
            })
        });
        Capture { kept, reader }
    }

    /// The text read so far, once the stream has ended or [`DRAIN`] has passed.
    fn finish(mut self) -> String {
        let deadline = Instant::now() + DRAIN;
        while !self.lock().done && self.reader.is_some() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(10));
        }
        let done = self.lock().done;
        if let Some(reader) = self.reader.take().filter(|_| done) {
            let _ = reader.join();
        }
        self.lock().text()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.kept.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Kept {
    fn keep(&mut self, bytes: &[u8], half: usize) {
        let into_head = bytes.len().min(half - self.head.len().min(half));
        self.head.extend_from_slice(&bytes[..into_head]);
        self.tail.extend_from_slice(&bytes[into_head..]);
        if self.tail.len() > half {
            let extra = self.tail.len() - half;
            self.tail.drain(..extra);
            self.left_out += extra as u64;
        }
    }

    fn text(&self) -> String {
        let mut text = String::from_utf8_lossy(&self.head).into_owned();
        if self.left_out > 0 {
            text.push_str(&format!("\n[… {} bytes left out …]\n", self.left_out));
        }
        text.push_str(&String::from_utf8_lossy(&self.tail));
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    fn bounds(time: Duration) -> Bounds {
        Bounds {
            time,
            memory: Some(1 << 30),
            output: 64,
        }
    }

    fn sh(script: &str) -> Command {
        let mut command = Command::new("sh");
        command.args(["-c", script]);
        command
    }

    #[test]
    fn output_is_kept_head_and_tail_and_input_is_given() {
        let script = "read line; echo \"got $line\"; seq 1 10000; echo err >&2; exit 3";
        let done = run(sh(script), b"token\n", bounds(Duration::from_secs(60))).unwrap();
        assert_eq!(done.status.unwrap().code(), Some(3));
        assert!(
            done.stdout.starts_with("got token\n1\n2\n"),
            "{}",
            done.stdout
        );
        assert!(done.stdout.ends_with("9999\n10000\n"), "{}", done.stdout);
        assert!(done.stdout.contains("bytes left out"), "{}", done.stdout);
        assert_eq!(done.stderr, "err\n");
    }

    #[test]
    fn a_program_past_its_bound_is_killed_with_its_children() {
        // The child keeps stdout open: the readers must not wait for it.
        let started = Instant::now();
        let done = run(
            sh("sleep 300 & sleep 300"),
            b"",
            bounds(Duration::from_millis(300)),
        )
        .unwrap();
        assert!(done.status.is_none());
        assert!(started.elapsed() < Duration::from_secs(60));
    }

    #[test]
    fn the_memory_and_core_bounds_apply() {
        let done = run(
            sh("ulimit -v; ulimit -c"),
            b"",
            bounds(Duration::from_secs(60)),
        )
        .unwrap();
        assert_eq!(done.stdout, format!("{}\n0\n", (1u64 << 30) / 1024));
        let killed = run(sh("kill -ABRT $$"), b"", bounds(Duration::from_secs(60))).unwrap();
        assert_eq!(killed.status.unwrap().signal(), Some(6));
    }

    #[test]
    fn a_missing_program_is_an_error() {
        let err = run(
            Command::new("/no/such/program"),
            b"",
            bounds(Duration::from_secs(1)),
        )
        .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }
}
