//! Calling a function with a tuple of arguments: Python's `pool.apply(f, args=(row, 4, 8))`.

/// A function a pool can call with an argument tuple `Args`.
///
/// Implemented for every `Fn` of up to eight arguments that can be shared between threads:
/// `f(a, b, c)` is called as `task.call_with((a, b, c))`, just as Python's `apply(f, args=(a, b, c))`
/// unpacks `args`. One argument is a one-element tuple `(a,)`, none is `()`.
///
/// You never implement this trait yourself; it is what lets [`Pool::apply`] and
/// [`Pool::starmap`] take functions of any arity.
///
/// [`Pool::apply`]: crate::pool::Pool::apply
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
pub trait Task<Args>: Send + Sync + 'static {
    /// What the function returns.
    type Output: Send + 'static;

    /// Calls the function with the tuple's elements as its arguments.
    fn call_with(&self, args: Args) -> Self::Output;
}

macro_rules! impl_task {
    ($($arg:ident),*) => {
        impl<Func, Out, $($arg,)*> Task<($($arg,)*)> for Func
        where
            Func: Fn($($arg),*) -> Out + Send + Sync + 'static,
            Out: Send + 'static,
        {
            type Output = Out;

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
