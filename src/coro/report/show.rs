//! Small formatting helpers for the run report: durations and lists of task numbers.

use std::fmt;
use std::time::Duration;

/// A duration as a reader wants it: `3.987 s` from one second up, `2.614 ms` below.
pub(super) struct Secs(pub(super) Duration);

impl fmt::Display for Secs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 >= Duration::from_secs(1) {
            write!(f, "{:.3} s", self.0.as_secs_f64())
        } else {
            write!(f, "{:.3} ms", self.0.as_secs_f64() * 1e3)
        }
    }
}

/// A count of tasks and the first few of their numbers, enough to go and look them up.
#[derive(Debug, Default)]
pub(super) struct TaskList {
    count: usize,
    first: Vec<usize>,
}

impl TaskList {
    const SHOWN: usize = 5;

    /// The tasks (by index in `items`) for which `pred` holds.
    pub(super) fn matching<T>(items: &[T], pred: impl Fn(&T) -> bool) -> TaskList {
        TaskList::new(
            items
                .iter()
                .enumerate()
                .filter(|(_, item)| pred(item))
                .map(|(task, _)| task),
        )
    }

    pub(super) fn new(tasks: impl IntoIterator<Item = usize>) -> TaskList {
        let mut list = TaskList::default();
        for task in tasks {
            list.push(task);
        }
        list
    }

    pub(super) fn push(&mut self, task: usize) {
        if self.count < Self::SHOWN {
            self.first.push(task);
        }
        self.count += 1;
    }

    /// Appends `later`, a list of tasks that come after these.
    pub(super) fn extend(&mut self, later: TaskList) {
        for &task in &later.first {
            if self.first.len() < Self::SHOWN {
                self.first.push(task);
            }
        }
        self.count += later.count;
    }

    pub(super) fn len(&self) -> usize {
        self.count
    }

    pub(super) fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// `"0 never"`, `"1 never (task 3)"`, `"7 never (tasks 1, 2, 3, 4, 5, …)"`.
    pub(super) fn describe(&self, what: &str) -> String {
        let numbers: Vec<String> = self.first.iter().map(usize::to_string).collect();
        let more = if self.count > self.first.len() {
            ", …"
        } else {
            ""
        };
        match self.count {
            0 => format!("0 {what}"),
            1 => format!("1 {what} (task {})", numbers[0]),
            n => format!("{n} {what} (tasks {}{more})", numbers.join(", ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_switch_unit_at_one_second() {
        assert_eq!(Secs(Duration::from_micros(2_614)).to_string(), "2.614 ms");
        assert_eq!(Secs(Duration::from_millis(999)).to_string(), "999.000 ms");
        assert_eq!(Secs(Duration::from_millis(3_987)).to_string(), "3.987 s");
    }

    #[test]
    fn task_lists_show_the_first_five_numbers() {
        assert_eq!(TaskList::new([]).describe("never"), "0 never");
        assert_eq!(TaskList::new([3]).describe("never"), "1 never (task 3)");
        assert_eq!(
            TaskList::new([1, 5, 9]).describe("early"),
            "3 early (tasks 1, 5, 9)"
        );
        let many = TaskList::matching(&[0; 8], |_| true);
        assert_eq!(many.len(), 8);
        assert_eq!(many.describe("x"), "8 x (tasks 0, 1, 2, 3, 4, …)");
        let mut joined = TaskList::new([1, 2, 3]);
        joined.extend(TaskList::new([4, 5, 6, 7]));
        assert_eq!(joined.describe("x"), "7 x (tasks 1, 2, 3, 4, 5, …)");
    }
}
