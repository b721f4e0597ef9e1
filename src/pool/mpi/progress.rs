//! Rank 0's progress engine: the one thread that makes every MPI call on rank 0.
//!
//! It serves every MPI pool at once. Each turn of its loop it takes new pools from its
//! commands, completes the sends in flight (`MPI_Testsome`), receives every reply that has
//! come (one `MPI_Improbe` on `MPI_ANY_SOURCE`, whatever the number of ranks), and gives each
//! rank that is free a chunk from its pool's queue — and, while every rank of the pool is busy
//! and chunks stay queued for all of them, the next chunk ahead, so that the rank starts it
//! the moment it finishes ([`IN_FLIGHT`]). Sends never block: a large chunk sent ahead to a
//! busy rank waits in MPI while the loop goes on receiving that rank's reply.
//!
//! Between turns that found nothing to do it waits as `wait` describes: actively for a moment,
//! then asleep — for a bounded pause while some rank owes a reply (MPI has no descriptor to
//! sleep on), and until it is woken when none does. A pool wakes it (`Thread::unpark`) after
//! each submission, `close` and `terminate`, so an idle job costs rank 0 nothing at all,
//! whatever its number of ranks.
//!
//! Unlike a worker process, a rank cannot be killed alone — MPI ends the whole job when a rank
//! dies — so `terminate` fails the chunks a rank runs at once; the rank goes back to the free
//! ones when it has sent the replies it owes.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use crossbeam::channel::{self, Receiver, Sender, TryRecvError};
use mpi::datatype::Equivalence;
use mpi::point_to_point::Source;
use mpi::topology::{Communicator, SimpleCommunicator};

use super::sends::Sends;
use super::wait::Backoff;
use super::world::{Root, check_size, tag};
use crate::pool::queue::JobQueue;
use crate::pool::remote::RemoteJob;
use crate::{Error, Result};

/// How long a new pool waits for its initializer on each rank.
const INIT_TIMEOUT: Duration = Duration::from_secs(60);

/// How many chunks a rank holds at once: the one it runs and the next. With one, primes in 60
/// blocks ran 1.6× faster than the sequential loop on two ranks where the process pool ran
/// 1.9× faster. A chunk goes ahead only while every rank of the pool is busy and enough stay
/// queued for each to take one when it is free, and never more than one: else it could wait
/// behind a long one while another rank is free.
const IN_FLIGHT: usize = 2;

/// One pool as the progress engine sees it.
pub(super) struct Client {
    pub(super) queue: JobQueue<RemoteJob>,
    /// How many ranks the pool holds.
    pub(super) ranks: usize,
}

/// What a pool, or rank 0's exit, asks of the progress engine.
pub(super) enum Command {
    /// Serve `client` with `ranks` (claimed already), after running the initializer at this
    /// entry offset on each; one report per rank goes to `ready`.
    Start {
        client: Arc<Client>,
        ranks: Vec<i32>,
        initializer: Option<u64>,
        ready: Sender<Result<()>>,
    },
    /// Rank 0 is exiting: terminate every pool, wait until `deadline` for the replies the
    /// ranks owe, tell every rank to exit and stop; `done` says whether all that happened (if
    /// not, the job must be aborted).
    Exit {
        deadline: Instant,
        done: Sender<bool>,
    },
}

/// How a pool reaches the progress engine.
pub(super) struct Handle {
    commands: Sender<Command>,
    thread: Thread,
}

impl Handle {
    /// Starts the progress engine for `root`'s job.
    pub(super) fn start(root: &'static Root, size: usize) -> std::io::Result<Handle> {
        let (commands, receiver) = channel::unbounded();
        let thread = thread::Builder::new()
            .name("mpi-progress".into())
            .spawn(move || {
                let run = catch_unwind(AssertUnwindSafe(|| {
                    Progress::new(root, size, receiver).run()
                }));
                if run.is_err() {
                    // Only a bug in this module gets here (user code runs under its own
                    // guards). Without this thread no pool can finish anything, and MPI
                    // cannot be finalised: end the job rather than let it hang.
                    eprintln!("concurrency-lab: the MPI progress engine failed; aborting");
                    std::process::abort();
                }
            })?;
        Ok(Handle {
            commands,
            thread: thread.thread().clone(),
        })
    }

    /// Hands `command` to the engine and wakes it; gives the command back if the engine has
    /// stopped (rank 0 is exiting).
    pub(super) fn send(&self, command: Command) -> std::result::Result<(), Command> {
        self.commands
            .send(command)
            .map_err(|channel::SendError(command)| command)?;
        self.wake();
        Ok(())
    }

    /// Wakes the engine to look at its pools' queues: after each submission, `close` and
    /// `terminate`. Costs a system call only when the engine sleeps.
    pub(super) fn wake(&self) {
        self.thread.unpark();
    }

    /// Whether the calling thread is the engine's own: a callback runs there.
    pub(super) fn is_current(&self) -> bool {
        thread::current().id() == self.thread.id()
    }
}

/// What a worker rank is doing, as rank 0 sees it.
enum Rank {
    /// Held by no pool (or rank 0 itself).
    Free,
    /// Running its pool's initializer; `ready` hears how that went.
    Initializing {
        client: Arc<Client>,
        ready: Sender<Result<()>>,
        deadline: Instant,
    },
    /// Serving its pool: `sent` are the chunks it owes replies for, oldest first; `stopping`
    /// once it took its poison pill (it leaves when it owes nothing).
    Serving {
        client: Arc<Client>,
        sent: VecDeque<RemoteJob>,
        stopping: bool,
    },
    /// Out of its pool, which was terminated or dropped, but still owing `owed` replies.
    Finishing { owed: usize },
}

impl Rank {
    fn owes(&self) -> bool {
        match self {
            Rank::Free => false,
            Rank::Initializing { .. } | Rank::Finishing { .. } => true,
            Rank::Serving { sent, .. } => !sent.is_empty(),
        }
    }
}

struct Progress {
    root: &'static Root,
    world: SimpleCommunicator,
    commands: Receiver<Command>,
    /// By rank; rank 0's entry stays `Free`.
    ranks: Vec<Rank>,
    sends: Sends,
    /// Buffers of completed sends, for the next requests.
    spare: Vec<Vec<u8>>,
    reply: Vec<u8>,
    /// Set when rank 0 exits.
    exit: Option<(Instant, Sender<bool>)>,
}

impl Progress {
    fn new(root: &'static Root, size: usize, commands: Receiver<Command>) -> Self {
        Progress {
            root,
            world: SimpleCommunicator::world(),
            commands,
            ranks: (0..size).map(|_| Rank::Free).collect(),
            sends: Sends::new(),
            spare: Vec::new(),
            reply: Vec::new(),
            exit: None,
        }
    }

    fn run(mut self) {
        let mut backoff = Backoff::new();
        loop {
            if self.turn() {
                backoff = Backoff::new();
                continue;
            }
            if self.exit.is_some() && !self.owes() {
                return self.say_goodbye();
            }
            if let Some((deadline, _)) = &self.exit
                && Instant::now() > *deadline
            {
                return self.give_up();
            }
            if backoff.active() {
                continue;
            }
            if self.owes() || self.exit.is_some() {
                thread::park_timeout(backoff.sleep());
            } else {
                // Nothing owed: only a pool can bring work, and it wakes this thread.
                thread::park();
            }
        }
    }

    /// One turn of the loop; returns whether anything happened.
    fn turn(&mut self) -> bool {
        let mut progressed = self.take_commands();
        progressed |= self.sends.progress(&mut self.spare) > 0;
        progressed |= self.receive();
        progressed |= self.look_after_ranks();
        progressed
    }

    fn owes(&self) -> bool {
        !self.sends.is_empty() || self.ranks.iter().any(Rank::owes)
    }

    fn take_commands(&mut self) -> bool {
        let mut took = false;
        loop {
            match self.commands.try_recv() {
                Ok(Command::Start {
                    client,
                    ranks,
                    initializer,
                    ready,
                }) => {
                    took = true;
                    for rank in ranks {
                        self.start_rank(rank, &client, initializer, &ready);
                    }
                }
                Ok(Command::Exit { deadline, done }) => {
                    took = true;
                    self.exit = Some((deadline, done));
                    // Leaked or still running pools: what they queued fails, what runs is
                    // waited for until the deadline.
                    for rank in &self.ranks {
                        if let Rank::Initializing { client, .. } | Rank::Serving { client, .. } =
                            rank
                        {
                            let queue = &client.queue;
                            let _ = catch_unwind(AssertUnwindSafe(|| queue.terminate(|| {})));
                        }
                    }
                }
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => return took,
            }
        }
    }

    fn start_rank(
        &mut self,
        rank: i32,
        client: &Arc<Client>,
        initializer: Option<u64>,
        ready: &Sender<Result<()>>,
    ) {
        let client = Arc::clone(client);
        self.ranks[index(rank)] = match initializer {
            None => {
                let _ = ready.send(Ok(()));
                Rank::Serving {
                    client,
                    sent: VecDeque::with_capacity(IN_FLIGHT),
                    stopping: false,
                }
            }
            Some(offset) => {
                let mut request = self.spare.pop().unwrap_or_default();
                request.extend_from_slice(&offset.to_le_bytes());
                self.sends.start(&self.world, rank, tag::INIT, request);
                Rank::Initializing {
                    client,
                    ready: ready.clone(),
                    deadline: Instant::now() + INIT_TIMEOUT,
                }
            }
        };
    }

    /// Receives every reply that has come and hands each to its chunk.
    fn receive(&mut self) -> bool {
        let mut received = false;
        while let Some((message, status)) = self.world.any_process().immediate_matched_probe() {
            received = true;
            self.reply
                .resize(status.count(u8::equivalent_datatype()) as usize, 0);
            message.matched_receive_into(&mut self.reply[..]);
            let rank = status.source_rank();
            if let Some(state) = self.ranks.get_mut(index(rank)) {
                take_reply(self.root, rank, state, status.tag(), &self.reply);
            }
        }
        received
    }

    /// Ends the ranks of terminated pools and of initializers that took too long; gives each
    /// free rank a chunk, then the next chunk ahead to busy ones.
    fn look_after_ranks(&mut self) -> bool {
        let mut progressed = false;
        let now = Instant::now();
        for rank in 1..self.ranks.len() {
            progressed |= self.end_if_over(rank, now);
        }
        for ahead in [false, true] {
            for rank in 1..self.ranks.len() {
                progressed |= self.feed(rank, ahead);
            }
        }
        progressed
    }

    fn end_if_over(&mut self, rank: usize, now: Instant) -> bool {
        let state = &mut self.ranks[rank];
        match state {
            Rank::Serving { client, .. } if client.queue.is_terminated() => {
                let Rank::Serving { client, sent, .. } = std::mem::replace(state, Rank::Free)
                else {
                    unreachable!()
                };
                let owed = sent.len();
                fail_all(sent, &|| Error::PoolTerminated);
                leave_pool(self.root, as_rank(rank), state, &client, owed);
                true
            }
            Rank::Initializing {
                client, deadline, ..
            } if client.queue.is_terminated() || now > *deadline => {
                let Rank::Initializing { client, ready, .. } = std::mem::replace(state, Rank::Free)
                else {
                    unreachable!()
                };
                let reason = if client.queue.is_terminated() {
                    format!("the pool was terminated while rank {rank} ran its initializer")
                } else {
                    format!("the initializer did not finish within {INIT_TIMEOUT:?} on rank {rank}")
                };
                let _ = ready.send(Err(Error::WorkerStart { reason }));
                leave_pool(self.root, as_rank(rank), state, &client, 1);
                true
            }
            _ => false,
        }
    }

    /// Gives `rank` a chunk if it is free (`ahead`: if it runs one, and the pool's other ranks
    /// are busy too); returns whether anything happened.
    fn feed(&mut self, rank: usize, ahead: bool) -> bool {
        let Rank::Serving {
            client,
            sent,
            stopping,
        } = &mut self.ranks[rank]
        else {
            return false;
        };
        let wanted = if ahead {
            sent.len() == 1 && client.queue.queued() >= client.ranks
        } else {
            sent.is_empty()
        };
        if !wanted || *stopping {
            if sent.is_empty() && *stopping {
                let client = Arc::clone(client);
                leave_pool(self.root, as_rank(rank), &mut self.ranks[rank], &client, 0);
                return true;
            }
            return false;
        }
        let job = match client.queue.try_next() {
            None => return false,
            Some(None) => {
                *stopping = true;
                if sent.is_empty() {
                    let client = Arc::clone(client);
                    leave_pool(self.root, as_rank(rank), &mut self.ranks[rank], &client, 0);
                }
                return true;
            }
            Some(Some(job)) => job,
        };
        let mut request = self.spare.pop().unwrap_or_default();
        let mut job = job;
        // The job runs user code (serde impls) here; it catches its own panics and fails its
        // own items if they cannot be sent.
        if !job.encode(&mut request) {
            self.spare.push(request);
            return true;
        }
        if let Err(reason) = check_size(request.len()) {
            job.fail(&|| Error::Mpi {
                reason: reason.0.clone(),
            });
            request.clear();
            self.spare.push(request);
            return true;
        }
        self.sends
            .start(&self.world, as_rank(rank), tag::TASK, request);
        sent.push_back(job);
        true
    }

    /// Rank 0 exits and nothing is owed: every rank is told to exit, and once MPI has taken
    /// those messages the engine stops; the exiting thread finalises MPI.
    fn say_goodbye(mut self) {
        for rank in 1..self.world.size() {
            self.sends.start(&self.world, rank, tag::EXIT, Vec::new());
        }
        let mut backoff = Backoff::new();
        while !self.sends.is_empty() {
            self.sends.progress(&mut self.spare);
            if let Some((deadline, _)) = &self.exit
                && Instant::now() > *deadline
            {
                return self.give_up();
            }
            backoff.pause();
        }
        if let Some((_, done)) = self.exit.take() {
            let _ = done.send(true);
        }
    }

    /// Rank 0 exits while a rank still owes a reply past the deadline: the job will be
    /// aborted, and MPI must not read the buffers of sends in flight after they are freed.
    fn give_up(mut self) {
        let done = self.exit.take().map(|(_, done)| done);
        std::mem::replace(&mut self.sends, Sends::new()).abandon();
        if let Some(done) = done {
            let _ = done.send(false);
        }
    }
}

/// Hands a reply from `rank` with `tag` to what the rank was doing.
fn take_reply(root: &Root, rank: i32, state: &mut Rank, tag: mpi::Tag, reply: &[u8]) {
    match std::mem::replace(state, Rank::Free) {
        Rank::Free => {} // nothing was asked of it: nothing to do with the message
        Rank::Finishing { owed } if owed > 1 => *state = Rank::Finishing { owed: owed - 1 },
        Rank::Finishing { .. } => root.release(rank),
        Rank::Initializing { client, ready, .. } => {
            let outcome = match tag {
                tag::INIT_DONE => Ok(()),
                tag::INIT_PANICKED => Err(Error::InitializerPanicked {
                    message: String::from_utf8_lossy(reply).into_owned(),
                }),
                other => Err(unexpected(rank, other)),
            };
            let ok = outcome.is_ok();
            let _ = ready.send(outcome);
            if ok {
                *state = Rank::Serving {
                    client,
                    sent: VecDeque::with_capacity(IN_FLIGHT),
                    stopping: false,
                };
            } else {
                leave_pool(root, rank, state, &client, 0);
            }
        }
        Rank::Serving {
            client,
            mut sent,
            stopping,
        } => {
            if let Some(job) = sent.pop_front() {
                deliver(rank, job, tag, reply);
            }
            *state = Rank::Serving {
                client,
                sent,
                stopping,
            };
        }
    }
}

fn deliver(rank: i32, job: RemoteJob, tag: mpi::Tag, reply: &[u8]) {
    // As in the process backend: a panic escaping the job's own guards drops its sink, which
    // fails what it did not deliver; the engine goes on.
    let _ = catch_unwind(AssertUnwindSafe(move || match tag {
        tag::REPLY => job.deliver(reply),
        tag::REPLY_TOO_LARGE => {
            let size = <[u8; 8]>::try_from(reply).map_or(0, u64::from_le_bytes);
            job.fail(&|| Error::Mpi {
                reason: format!(
                    "the chunk's results take {size} bytes, more than one MPI message carries \
                     (2 GiB); use smaller chunks"
                ),
            });
        }
        other => job.fail(&|| unexpected(rank, other)),
    }));
}

/// Takes `rank` out of `client`'s pool: free at once if it owes nothing, else once it has
/// sent its `owed` replies. Released before the pool hears of it: after `join`, the rank is
/// free.
fn leave_pool(root: &Root, rank: i32, state: &mut Rank, client: &Client, owed: usize) {
    if owed == 0 {
        root.release(rank);
        *state = Rank::Free;
    } else {
        root.finishing(rank);
        *state = Rank::Finishing { owed };
    }
    client.queue.worker_exited();
}

/// Fails every chunk sent and not answered.
fn fail_all(sent: VecDeque<RemoteJob>, error: &dyn Fn() -> Error) {
    for job in sent {
        let _ = catch_unwind(AssertUnwindSafe(|| job.fail(error)));
    }
}

fn index(rank: i32) -> usize {
    usize::try_from(rank).unwrap_or(0)
}

fn as_rank(index: usize) -> i32 {
    i32::try_from(index).expect("a rank fits MPI's int")
}

fn unexpected(rank: i32, tag: mpi::Tag) -> Error {
    Error::Protocol {
        message: if tag == tag::REFUSED {
            format!(
                "rank {rank} refused the request: it runs another build of this program, or the \
                 code named lies outside its executable"
            )
        } else {
            format!("rank {rank} answered with unexpected tag {tag}")
        },
    }
}
