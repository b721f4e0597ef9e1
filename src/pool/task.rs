//! Calling a function with a tuple of arguments: Python's `pool.apply(f, args=(row, 4, 8))`.

/// A function a pool can call once with an argument tuple `Args`: what
/// [`Pool::apply`] and [`Pool::apply_async`] accept.
///
/// Implemented for every `FnOnce` of up to eight arguments that can move to another thread,
/// so a one-shot task may move a value it owns out of itself, or capture a channel's
/// `Receiver` — the things a Python `lambda` does without a second thought. A
/// [`ProcessPool`](crate::pool::ProcessPool) still needs a plain function (see
/// [`Runs`](crate::pool::Runs)); on a [`ThreadPool`](crate::pool::ThreadPool) any such
/// closure runs.
///
/// You never implement this trait yourself.
///
/// [`Pool::apply`]: crate::pool::Pool::apply
/// [`Pool::apply_async`]: crate::pool::Pool::apply_async
///
/// # Examples
///
/// ```
/// use concurrency_lab::pool::TaskOnce;
///
/// let words = vec!["one".to_string(), "shot".to_string()];
/// let join = move || words.join("-"); // moves `words` out: FnOnce, not Fn
/// assert_eq!(join.call_once_with(()), "one-shot");
/// ```
pub trait TaskOnce<Args>: Send + 'static {
    /// What the function returns.
    type Output: Send + 'static;

    /// Calls the function with the tuple's elements as its arguments, consuming it.
    fn call_once_with(self, args: Args) -> Self::Output;
}

/// A function a pool can call many times, from several threads at once, with an argument
/// tuple `Args`: what `map`, `starmap` and `imap` need.
///
/// Implemented for every `Fn` of up to eight arguments that can be shared between threads:
/// `f(a, b, c)` is called as `task.call_with((a, b, c))`, just as Python's `apply(f, args=(a, b, c))`
/// unpacks `args`. One argument is a one-element tuple `(a,)`, none is `()`.
///
/// You never implement this trait yourself; it is what lets [`Pool::starmap`] take functions
/// of any arity.
///
/// [`Pool::starmap`]: crate::pool::Pool::starmap
///
/// # Examples
///
/// ```
/// use concurrency_lab::pool::Task;
///
/// fn howmany_within_range(row: Vec<u8>, minimum: u8, maximum: u8) -> usize {
///     row.iter().filter(|n| (minimum..=maximum).contains(n)).count()
/// }
///
/// assert_eq!(howmany_within_range.call_with((vec![1, 5, 7, 9], 4, 8)), 2);
/// assert_eq!((|| 42).call_with(()), 42);
/// ```
pub trait Task<Args>: TaskOnce<Args> + Sync {
    /// Calls the function with the tuple's elements as its arguments.
    fn call_with(&self, args: Args) -> Self::Output;
}

macro_rules! impl_task {
    ($($arg:ident),*) => {
        impl<Func, Out, $($arg,)*> TaskOnce<($($arg,)*)> for Func
        where
            Func: FnOnce($($arg),*) -> Out + Send + 'static,
            Out: Send + 'static,
        {
            type Output = Out;

            #[allow(non_snake_case)]
            #[inline]
            fn call_once_with(self, ($($arg,)*): ($($arg,)*)) -> Out {
                self($($arg),*)
            }
        }

        impl<Func, Out, $($arg,)*> Task<($($arg,)*)> for Func
        where
            Func: Fn($($arg),*) -> Out + Send + Sync + 'static,
            Out: Send + 'static,
        {
            #[allow(non_snake_case)]
            #[inline]
            fn call_with(&self, ($($arg,)*): ($($arg,)*)) -> Out {
                self($($arg),*)
            }
        }
    };
}

impl_task!();
impl_task!(A);
impl_task!(A, B);
impl_task!(A, B, C);
impl_task!(A, B, C, D);
impl_task!(A, B, C, D, E);
impl_task!(A, B, C, D, E, F);
impl_task!(A, B, C, D, E, F, G);
impl_task!(A, B, C, D, E, F, G, H);
