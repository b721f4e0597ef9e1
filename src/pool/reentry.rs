//! Knowing when a wait on a pool could never end, so that the pool can refuse it at once.
//!
//! Two rules, both over what the crate can see — its own pools, the threads that serve them,
//! and the waits made through its API:
//!
//! 1. **Re-entry.** A task that calls `apply` on its own pool blocks a worker on a job that
//!    needs a worker: with one worker, or with every worker doing the same, nothing ever runs
//!    again. So each thread that runs a pool's code — a thread backend's worker, a process
//!    pool's driver thread, and any thread while it runs a pool's callback — carries a mark
//!    naming the pool, and the pool's unbounded waits check for it first ([`refuse_inside`]).
//!    (rayon keeps the same knowledge, to run such work inline instead; here a pool's workers
//!    are its only executors, so the honest answer is an error.)
//! 2. **Cycles.** A wait that crosses pools — pool A's task waits on pool B, whose task waits
//!    on A — or a bounded wait inside the pool's own task is not caught by the mark. For these
//!    the crate keeps a *wait-for graph*: every thread serving a pool is registered as its
//!    worker ([`work_for`]), and every thread about to block on a pool registers what it waits
//!    for ([`wait_on`]). A pool is *stuck* when every one of its workers is blocked on a stuck
//!    pool (the greatest such set: a cycle of waits, or waits into one). A wait on a stuck pool
//!    can never end — only that pool's workers run its jobs — and fails at once with
//!    [`Error::WaitCycle`] naming the waits. The wait that closes a cycle is the one refused;
//!    its task then ends, its worker is free, and the others' waits go on.
//!
//! What the graph cannot see, it treats as progress: a worker blocked on anything but the
//! crate's own waits — a channel, a lock, `std::thread::scope` joining a thread, a child
//! process — counts as able to finish. So a refusal is always right, and a deadlock through
//! such a wait is not found (and hangs, as it would in Python).

use std::cell::{Cell, RefCell};
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::{Error, Result};

/// Which pool: unique among the pools this process creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PoolId(u64);

impl PoolId {
    /// A name no other pool of this process has.
    pub(crate) fn fresh() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        PoolId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

impl std::fmt::Display for PoolId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "pool #{}", self.0)
    }
}

thread_local! {
    /// The pools whose code this thread is running, innermost last.
    static INSIDE: RefCell<Vec<PoolId>> = const { RefCell::new(Vec::new()) };
    /// The pool this thread serves as a worker (or driver), if any.
    static WORKER_OF: Cell<Option<PoolId>> = const { Cell::new(None) };
    /// This thread's key in the graph.
    static KEY: u64 = {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        NEXT.fetch_add(1, Ordering::Relaxed)
    };
}

/// Marks this thread as running `pool`'s code until the guard is dropped.
pub(crate) fn enter(pool: PoolId) -> Inside {
    INSIDE.with(|inside| inside.borrow_mut().push(pool));
    Inside {
        pool,
        not_send: PhantomData,
    }
}

/// While it lives, this thread runs a pool's code. Not `Send`: the mark belongs to a thread.
pub(crate) struct Inside {
    pool: PoolId,
    not_send: PhantomData<*const ()>,
}

impl Drop for Inside {
    fn drop(&mut self) {
        INSIDE.with(|inside| {
            let mut inside = inside.borrow_mut();
            if let Some(at) = inside.iter().rposition(|&p| p == self.pool) {
                inside.remove(at);
            }
        });
    }
}

/// `Err(PoolReentered)` if this thread runs `pool`'s code, where `action` — a wait on `pool` —
/// could wait for itself.
pub(crate) fn refuse_inside(pool: PoolId, action: &'static str) -> Result<()> {
    if INSIDE.with(|inside| inside.borrow().contains(&pool)) {
        Err(Error::PoolReentered { action })
    } else {
        Ok(())
    }
}

/// Makes this thread a worker of `pool` until the guard is dropped: everything it runs is the
/// pool's code (the mark of [`enter`]), and the graph counts it among the pool's workers.
pub(crate) fn work_for(pool: PoolId) -> Working {
    let inside = enter(pool);
    WORKER_OF.with(|worker_of| worker_of.set(Some(pool)));
    let name = std::thread::current()
        .name()
        .unwrap_or("unnamed")
        .to_owned();
    graph().push(Node {
        thread: key(),
        name,
        worker_of: Some(pool),
        waiting: None,
    });
    Working {
        _inside: inside,
        pool,
    }
}

/// While it lives, this thread is a worker of its pool.
pub(crate) struct Working {
    _inside: Inside,
    pool: PoolId,
}

impl Drop for Working {
    fn drop(&mut self) {
        WORKER_OF.with(|worker_of| worker_of.set(None));
        forget_worker(&mut graph(), key(), self.pool);
    }
}

/// Removes thread `me`'s node as a worker of `pool`, and no other.
fn forget_worker(nodes: &mut Vec<Node>, me: u64, pool: PoolId) {
    nodes.retain(|node| !(node.thread == me && node.worker_of == Some(pool)));
}

/// Whether this thread serves `pool` (a worker thread, or a process pool's driver).
pub(crate) fn is_worker_of(pool: PoolId) -> bool {
    WORKER_OF.with(|worker_of| worker_of.get() == Some(pool))
}

/// Registers that this thread is about to block on `pool` — on a result of it, whose `done`
/// flag says when it is in, or (`None`) on the pool as a whole — for as long as the guard
/// lives; refuses with [`Error::WaitCycle`] when the pool is stuck, so the wait could never
/// end.
pub(crate) fn wait_on(
    pool: PoolId,
    done: Option<Arc<AtomicBool>>,
    action: &'static str,
) -> Result<Waiting> {
    let me = key();
    let mut nodes = graph();
    let at = match nodes.iter().position(|node| node.thread == me) {
        Some(at) => at,
        None => {
            nodes.push(Node {
                thread: me,
                name: std::thread::current()
                    .name()
                    .unwrap_or("unnamed")
                    .to_owned(),
                worker_of: None,
                waiting: None,
            });
            nodes.len() - 1
        }
    };
    let outer = nodes[at].waiting.replace(Wait { pool, done });
    let stuck = stuck_pools(&nodes);
    if stuck.contains(&pool) {
        let cycle = describe(&nodes, &stuck, pool);
        release(&mut nodes, me, outer);
        return Err(Error::WaitCycle { action, cycle });
    }
    Ok(Waiting {
        outer: Some(outer),
        not_send: PhantomData,
    })
}

/// Registers that this thread is about to wait for `pool`'s workers to exit (`join`), as
/// [`wait_on`]; refuses at once on one of the pool's own workers, which cannot exit while it
/// waits.
pub(crate) fn wait_for_exit(pool: PoolId, action: &'static str) -> Result<Waiting> {
    if is_worker_of(pool) {
        let name = std::thread::current()
            .name()
            .unwrap_or("unnamed")
            .to_owned();
        return Err(Error::WaitCycle {
            action,
            cycle: format!(
                "worker {name:?} of {pool} waits for {pool}'s workers to exit, itself among them"
            ),
        });
    }
    wait_on(pool, None, action)
}

/// `Err(WaitCycle)` if a wait on `pool` from this thread could never end; registers nothing.
pub(crate) fn refuse_cycle(pool: PoolId, action: &'static str) -> Result<()> {
    wait_on(pool, None, action).map(drop)
}

/// While it lives, this thread is registered as blocked on a pool.
pub(crate) struct Waiting {
    /// What this thread waited on before (a wait inside a callback inside a wait): restored.
    outer: Option<Option<Wait>>,
    not_send: PhantomData<*const ()>,
}

impl Drop for Waiting {
    fn drop(&mut self) {
        if let Some(outer) = self.outer.take() {
            release(&mut graph(), key(), outer);
        }
    }
}

/// One thread the graph knows: a pool's worker, a waiter, or both.
struct Node {
    thread: u64,
    /// The thread's name, for messages.
    name: String,
    worker_of: Option<PoolId>,
    waiting: Option<Wait>,
}

/// What a blocked thread waits for.
struct Wait {
    pool: PoolId,
    /// Set once the awaited result is in: then the waiter is about to wake, not blocked.
    done: Option<Arc<AtomicBool>>,
}

impl Node {
    /// The pool this thread is blocked on, unless the result it waits for is already in.
    fn blocked_on(&self) -> Option<PoolId> {
        let wait = self.waiting.as_ref()?;
        let arrived = wait
            .done
            .as_ref()
            .is_some_and(|done| done.load(Ordering::Acquire));
        (!arrived).then_some(wait.pool)
    }
}

/// The pools whose every worker is blocked on one of them: the largest such set.
fn stuck_pools(nodes: &[Node]) -> Vec<PoolId> {
    let mut stuck: Vec<PoolId> = Vec::new();
    for pool in nodes.iter().filter_map(|node| node.worker_of) {
        if !stuck.contains(&pool) {
            stuck.push(pool);
        }
    }
    loop {
        let still: Vec<PoolId> = stuck
            .iter()
            .copied()
            .filter(|&pool| {
                workers(nodes, pool).all(|worker| {
                    worker
                        .blocked_on()
                        .is_some_and(|target| stuck.contains(&target))
                })
            })
            .collect();
        if still.len() == stuck.len() {
            return stuck;
        }
        stuck = still;
    }
}

fn workers(nodes: &[Node], pool: PoolId) -> impl Iterator<Item = &Node> {
    nodes
        .iter()
        .filter(move |node| node.worker_of == Some(pool))
}

/// The waits that make `pool` stuck, in words: each stuck pool reached from it, and what its
/// workers wait on.
fn describe(nodes: &[Node], stuck: &[PoolId], pool: PoolId) -> String {
    let mut seen = vec![pool];
    let mut parts = Vec::new();
    let mut at = 0;
    while let Some(&current) = seen.get(at) {
        at += 1;
        let waits: Vec<String> = workers(nodes, current)
            .map(|worker| {
                let target = worker
                    .blocked_on()
                    .expect("a stuck pool's workers are blocked");
                if stuck.contains(&target) && !seen.contains(&target) {
                    seen.push(target);
                }
                format!("worker {:?} waits on {target}", worker.name)
            })
            .collect();
        parts.push(format!("{current}: {}", waits.join(", ")));
    }
    parts.join("; ")
}

/// Puts back what thread `me` waited on before, and forgets a plain waiter that waits no more.
fn release(nodes: &mut Vec<Node>, me: u64, outer: Option<Wait>) {
    if let Some(at) = nodes.iter().position(|node| node.thread == me) {
        nodes[at].waiting = outer;
        if nodes[at].worker_of.is_none() && nodes[at].waiting.is_none() {
            nodes.swap_remove(at);
        }
    }
}

fn key() -> u64 {
    KEY.with(|key| *key)
}

fn graph() -> MutexGuard<'static, Vec<Node>> {
    static GRAPH: Mutex<Vec<Node>> = Mutex::new(Vec::new());
    // The graph is changed by plain pushes and field writes, never left half-done.
    GRAPH.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_lasts_as_long_as_its_guard_and_names_one_pool() {
        let (mine, other) = (PoolId::fresh(), PoolId::fresh());
        assert!(refuse_inside(mine, "get").is_ok());
        {
            let _outer = enter(mine);
            let _inner = enter(other);
            assert!(matches!(
                refuse_inside(mine, "get"),
                Err(Error::PoolReentered { action: "get" })
            ));
            assert!(refuse_inside(other, "join").is_err());
        }
        assert!(refuse_inside(mine, "get").is_ok());
        assert!(refuse_inside(other, "get").is_ok());
    }

    #[test]
    fn pools_are_numbered_apart_and_named_by_number() {
        let (first, second) = (PoolId::fresh(), PoolId::fresh());
        assert_ne!(first, second);
        assert_eq!(first.to_string(), format!("pool #{}", first.0));
    }

    fn worker(thread: u64, pool: PoolId, waits_on: Option<PoolId>) -> Node {
        Node {
            thread,
            name: format!("w{thread}"),
            worker_of: Some(pool),
            waiting: waits_on.map(|pool| Wait { pool, done: None }),
        }
    }

    fn waiter(thread: u64, on: PoolId, done: bool) -> Node {
        Node {
            thread,
            name: format!("t{thread}"),
            worker_of: None,
            waiting: Some(Wait {
                pool: on,
                done: Some(Arc::new(AtomicBool::new(done))),
            }),
        }
    }

    #[test]
    fn a_cycle_of_waits_is_stuck_and_so_is_a_pool_waiting_into_it() {
        let (a, b, c) = (PoolId::fresh(), PoolId::fresh(), PoolId::fresh());
        let nodes = [
            worker(1, a, Some(b)),
            worker(2, b, Some(a)),
            worker(3, c, Some(a)),
        ];
        let stuck = stuck_pools(&nodes);
        assert!(stuck.contains(&a) && stuck.contains(&b) && stuck.contains(&c));
        assert_eq!(stuck.len(), 3, "each pool once");
        let told = describe(&nodes, &stuck, c);
        assert_eq!(
            told,
            format!(
                "{c}: worker \"w3\" waits on {a}; {a}: worker \"w1\" waits on {b}; \
                 {b}: worker \"w2\" waits on {a}"
            )
        );
    }

    #[test]
    fn one_worker_that_can_move_frees_its_pool_and_those_waiting_on_it() {
        let (a, b, c) = (PoolId::fresh(), PoolId::fresh(), PoolId::fresh());
        // B has a free worker: A's wait on B ends, so C's wait on A does.
        let free_b = [
            worker(1, a, Some(b)),
            worker(2, b, Some(a)),
            worker(3, b, None),
            worker(4, c, Some(a)),
        ];
        assert!(stuck_pools(&free_b).is_empty());
        // A waits on itself, but has a second, free worker.
        assert!(stuck_pools(&[worker(1, a, Some(a)), worker(2, a, None)]).is_empty());
        // A waits on itself with its only worker: stuck, while C waits on a pool that has no
        // worker the graph knows (it cannot tell), and is not.
        let alone = [worker(1, a, Some(a)), worker(2, c, Some(b))];
        assert_eq!(stuck_pools(&alone), [a]);
    }

    #[test]
    fn a_waiter_whose_result_is_in_is_not_blocked() {
        let (a, b) = (PoolId::fresh(), PoolId::fresh());
        let mut arrived = worker(2, b, None);
        arrived.waiting = waiter(2, a, true).waiting;
        assert!(stuck_pools(&[worker(1, a, Some(b)), arrived]).is_empty());
        let mut pending = worker(2, b, None);
        pending.waiting = waiter(2, a, false).waiting;
        assert_eq!(stuck_pools(&[worker(1, a, Some(b)), pending]).len(), 2);
        assert_eq!(waiter(5, a, false).blocked_on(), Some(a));
        assert_eq!(waiter(5, a, true).blocked_on(), None);
        assert_eq!(worker(6, a, None).blocked_on(), None);
    }

    #[test]
    fn releasing_a_wait_restores_the_outer_one_and_forgets_plain_waiters() {
        let (a, b) = (PoolId::fresh(), PoolId::fresh());
        let mut nodes = vec![worker(1, a, Some(b)), waiter(2, b, false)];
        release(
            &mut nodes,
            1,
            Some(Wait {
                pool: a,
                done: None,
            }),
        );
        assert_eq!(nodes[0].blocked_on(), Some(a), "the outer wait is back");
        release(&mut nodes, 1, None);
        assert_eq!(nodes.len(), 2, "a worker stays known when it waits no more");
        assert!(nodes[0].waiting.is_none());
        release(&mut nodes, 2, None);
        assert_eq!(
            nodes.len(),
            1,
            "a plain waiter that waits no more is forgotten"
        );
        release(&mut nodes, 3, None);
        assert_eq!(nodes.len(), 1, "an unknown thread changes nothing");
    }

    #[test]
    fn a_worker_that_leaves_takes_only_its_own_node() {
        let (a, b) = (PoolId::fresh(), PoolId::fresh());
        let mut nodes = vec![worker(1, a, None), worker(2, a, None), worker(3, b, None)];
        forget_worker(&mut nodes, 1, a);
        let left: Vec<(u64, Option<PoolId>)> =
            nodes.iter().map(|n| (n.thread, n.worker_of)).collect();
        assert_eq!(left, [(2, Some(a)), (3, Some(b))]);
        forget_worker(&mut nodes, 3, a);
        assert_eq!(nodes.len(), 2, "thread 3 is not a worker of A");
    }

    /// Two real threads: one serves pool A and waits on B; this one serves B and tries to
    /// wait on A — the wait that would close the cycle — and is refused; once the other's
    /// wait is over, the same wait is allowed.
    #[test]
    fn the_wait_that_closes_a_cycle_is_refused_and_allowed_once_it_is_open() {
        let (a, b) = (PoolId::fresh(), PoolId::fresh());
        let (waiting_tx, waiting_rx) = std::sync::mpsc::channel();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let other = std::thread::Builder::new()
            .name("serves-a".into())
            .spawn(move || {
                let _working = work_for(a);
                assert!(is_worker_of(a) && !is_worker_of(b));
                let waiting = wait_on(b, None, "get");
                waiting_tx.send(waiting.is_ok()).unwrap();
                let _ = done_rx.recv_timeout(std::time::Duration::from_secs(60));
                drop(waiting);
            })
            .unwrap();
        assert!(
            waiting_rx
                .recv_timeout(std::time::Duration::from_secs(60))
                .unwrap()
        );
        {
            let _working = work_for(b);
            assert!(is_worker_of(b));
            match wait_on(a, None, "apply") {
                Err(Error::WaitCycle { action, cycle }) => {
                    assert_eq!(action, "apply");
                    assert!(cycle.contains("worker \"serves-a\" waits on"), "{cycle}");
                }
                other => panic!("expected WaitCycle, got {:?}", other.map(drop)),
            }
            assert!(refuse_cycle(a, "apply").is_err());
            assert!(
                refuse_inside(b, "get").is_err(),
                "a worker runs its pool's code"
            );
            match wait_for_exit(b, "join") {
                Err(Error::WaitCycle { cycle, .. }) => {
                    assert!(cycle.contains("itself among them"), "{cycle}")
                }
                other => panic!("expected WaitCycle, got {:?}", other.map(drop)),
            }
            assert!(
                wait_for_exit(a, "join").is_err(),
                "A's worker waits on B, served here"
            );
            done_tx.send(()).unwrap();
            other.join().unwrap();
            assert!(
                graph()
                    .iter()
                    .any(|node| node.thread == key() && node.worker_of == Some(b)),
                "the other thread's leaving does not take this one's node"
            );
            assert!(
                wait_on(a, None, "apply").is_ok(),
                "A's worker waits no more"
            );
            assert!(wait_for_exit(a, "join").is_ok());
        }
        assert!(!is_worker_of(b));
        assert!(refuse_inside(b, "get").is_ok());
        let me = key();
        assert!(
            graph().iter().all(|node| node.thread != me),
            "a thread that serves and waits no more leaves the graph"
        );
    }
}
