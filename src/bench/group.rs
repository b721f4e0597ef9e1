//! Several benchmarks measured together, their samples taken in turns.

use std::fmt;

use super::builder::Plan;
use super::routine::{Plain, Routine, WithSetup, autorange_to, harness, warm};
use super::{Bench, Report, Stats};
use crate::Result;

/// Benchmarks measured together: each is warmed up and calibrated, then their samples are
/// taken in turns — a sample of the first, one of the second, …, then round again — so a
/// slow spell of the machine (another program, a frequency change) falls on all of them
/// alike. Compare benchmarks measured in one group; [`Bench::run`] is a group of one.
///
/// The turns rotate (first, second, third; then second, third, first; …), so no benchmark
/// always runs right after the same neighbour.
///
/// # Examples
///
/// ```
/// use concurrency_lab::bench::{compare, Bench, Group, black_box};
///
/// let data: Vec<u64> = (0..10_000).collect();
/// let reports = Group::new()
///     .bench(Bench::new("sum").quick(true), || black_box(&data).iter().sum::<u64>())
///     .bench(Bench::new("max").quick(true), || black_box(&data).iter().max().copied())
///     .run()?;
/// println!("{}", compare(&reports, "sum")?);
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
#[must_use = "a Group measures nothing until you call `.run()` on it"]
#[derive(Default)]
pub struct Group<'a> {
    members: Vec<Member<'a>>,
}

struct Member<'a> {
    bench: Bench,
    routine: Box<dyn Routine + 'a>,
}

impl fmt::Debug for Group<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = self.members.iter().map(|m| &m.bench.name);
        f.debug_struct("Group")
            .field("members", &names.collect::<Vec<_>>())
            .finish()
    }
}

impl<'a> Group<'a> {
    /// An empty group.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::bench::Group;
    ///
    /// assert!(Group::new().run()?.is_empty());
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn new() -> Self {
        Group::default()
    }

    /// Adds `f`, measured with `bench`'s name and settings (see [`Bench::run`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::bench::{Bench, Group, black_box};
    ///
    /// let reports = Group::new()
    ///     .bench(Bench::new("one job").quick(true).number(1), || {
    ///         std::thread::scope(|s| s.spawn(|| black_box(6) * 7).join().unwrap())
    ///     })
    ///     .run()?;
    /// assert_eq!(reports[0].number, 1);
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn bench<T>(mut self, bench: Bench, f: impl FnMut() -> T + 'a) -> Self {
        self.members.push(Member {
            bench,
            routine: Box::new(Plain(f)),
        });
        self
    }

    /// Adds `f` fed by an untimed `setup` (see [`Bench::run_with_setup`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::bench::{Bench, Group};
    ///
    /// let reversed = || (0..1_000).rev().collect::<Vec<u32>>();
    /// let reports = Group::new()
    ///     .bench_with_setup(Bench::new("sort").quick(true), reversed, |mut v| {
    ///         v.sort();
    ///         v
    ///     })
    ///     .bench_with_setup(Bench::new("sort_unstable").quick(true), reversed, |mut v| {
    ///         v.sort_unstable();
    ///         v
    ///     })
    ///     .run()?;
    /// assert_eq!(reports.len(), 2);
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn bench_with_setup<I, T>(
        mut self,
        bench: Bench,
        setup: impl FnMut() -> I + 'a,
        f: impl FnMut(I) -> T + 'a,
    ) -> Self {
        self.members.push(Member {
            bench,
            routine: Box::new(WithSetup { setup, f }),
        });
        self
    }

    /// Measures every benchmark and returns their reports, in the order they were added.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) when a benchmark's `repeat` or
    /// `number` is 0; then nothing runs.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::bench::{Bench, Group};
    ///
    /// let group = Group::new()
    ///     .bench(Bench::new("fine"), || ())
    ///     .bench(Bench::new("broken").repeat(0), || ());
    /// assert!(group.run().is_err());
    /// ```
    pub fn run(self) -> Result<Vec<Report>> {
        let plans = self
            .members
            .iter()
            .map(|m| m.bench.plan())
            .collect::<Result<Vec<Plan>>>()?;
        let mut members = self.members;
        let mut numbers = Vec::with_capacity(members.len());
        for (member, plan) in members.iter_mut().zip(&plans) {
            warm(member.routine.as_mut(), plan.warm_up);
            numbers.push(match plan.number {
                Some(number) => number,
                None => autorange_to(member.routine.as_mut(), plan.sample_time).0,
            });
        }

        let mut samples: Vec<Vec<f64>> =
            plans.iter().map(|p| Vec::with_capacity(p.repeat)).collect();
        for turn in turns(&plans) {
            let spent = members[turn].routine.time(numbers[turn]);
            samples[turn].push(spent.as_nanos() as f64 / numbers[turn] as f64);
        }

        let (timer, empty_loop_ns) = harness();
        let parts = members.into_iter().zip(plans).zip(numbers).zip(samples);
        parts
            .map(|(((member, plan), number), samples_ns)| {
                Ok(Report {
                    name: member.bench.name,
                    number,
                    stats: Stats::from_samples(&samples_ns)?,
                    samples_ns,
                    timer: *timer,
                    empty_loop_ns: *empty_loop_ns,
                    quick: plan.quick,
                })
            })
            .collect()
    }
}

/// The order in which the members take their samples: rotating rounds, each member skipped
/// once it has all its samples.
fn turns(plans: &[Plan]) -> Vec<usize> {
    let n = plans.len();
    let rounds = plans.iter().map(|p| p.repeat).max().unwrap_or(0);
    let mut taken = vec![0; n];
    let mut order = Vec::new();
    for round in 0..rounds {
        for k in 0..n {
            let member = (round + k) % n;
            if taken[member] < plans[member].repeat {
                taken[member] += 1;
                order.push(member);
            }
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn plan(repeat: usize) -> Plan {
        Bench::new("x").quick(false).repeat(repeat).plan().unwrap()
    }

    #[test]
    fn turns_rotate_and_give_each_member_its_repeat() {
        assert_eq!(turns(&[plan(2), plan(2), plan(2)]), [0, 1, 2, 1, 2, 0]);
        assert_eq!(turns(&[plan(3), plan(1)]), [0, 1, 0, 0]);
        assert_eq!(turns(&[plan(1)]), [0]);
        assert!(turns(&[]).is_empty());
    }

    #[test]
    fn members_are_sampled_in_turns_and_reported_in_order() {
        let log = std::cell::RefCell::new(Vec::new());
        let bench = |name| Bench::new(name).warm_up(Duration::ZERO).number(1).repeat(3);
        let reports = Group::new()
            .bench(bench("a"), || log.borrow_mut().push('a'))
            .bench(bench("b"), || log.borrow_mut().push('b'))
            .run()
            .unwrap();
        assert_eq!(log.into_inner(), ['a', 'b', 'b', 'a', 'a', 'b']);
        let names: Vec<&str> = reports.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert!(reports.iter().all(|r| r.stats.count == 3));
    }

    #[test]
    fn a_bad_member_stops_the_group_before_anything_runs() {
        let mut calls = 0;
        let err = Group::new()
            .bench(Bench::new("fine").quick(true), || calls += 1)
            .bench(Bench::new("broken").number(0), || ())
            .run()
            .unwrap_err();
        assert!(err.to_string().contains("invalid number \"0\""), "{err}");
        assert_eq!(calls, 0);
    }

    #[test]
    fn debug_lists_the_members() {
        let group = Group::new()
            .bench(Bench::new("a"), || ())
            .bench(Bench::new("b"), || ());
        assert_eq!(format!("{group:?}"), r#"Group { members: ["a", "b"] }"#);
    }
}
