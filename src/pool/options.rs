//! The optional arguments of `map_async`: chunk size and callbacks.

use super::callbacks::Callbacks;

/// Python's optional `map_async` arguments: `chunksize`, `callback`, `error_callback`.
///
/// # Examples
///
/// ```
/// use concurrency_lab::pool::{Callbacks, MapOptions, ThreadPool};
///
/// let pool = ThreadPool::new(2)?;
/// let options = MapOptions::new()
///     .chunksize(250)
///     .callbacks(Callbacks::new().on_success(|all: &Vec<u64>| assert_eq!(all.len(), 1000)));
/// let squares = pool.map_async_with(|n: u64| n * n, 0..1000, options)?.get()?;
/// assert_eq!(squares[10], 100);
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
#[derive(Debug)]
pub struct MapOptions<R> {
    pub(crate) chunksize: Option<usize>,
    pub(crate) callbacks: Callbacks<Vec<R>>,
}

impl<R> MapOptions<R> {
    /// Python's defaults: about four chunks per worker, no callbacks.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::pool::MapOptions;
    ///
    /// let options: MapOptions<u64> = MapOptions::new();
    /// # drop(options);
    /// ```
    pub fn new() -> Self {
        MapOptions {
            chunksize: None,
            callbacks: Callbacks::new(),
        }
    }

    /// Items per chunk — per message to a worker. Zero is refused (by `map_async_with` and
    /// `starmap_async_with`) with [`Error::InvalidInput`](crate::Error::InvalidInput).
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::pool::MapOptions;
    ///
    /// let one_by_one: MapOptions<u64> = MapOptions::new().chunksize(1);
    /// # drop(one_by_one);
    /// ```
    #[must_use = "`MapOptions` methods return the changed options"]
    pub fn chunksize(mut self, chunksize: usize) -> Self {
        self.chunksize = Some(chunksize);
        self
    }

    /// Runs these callbacks with the whole result (or the error) when the map is done.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::pool::{Callbacks, MapOptions};
    ///
    /// let options = MapOptions::new().callbacks(Callbacks::new().on_error(|e| eprintln!("{e}")));
    /// # let _: &MapOptions<u8> = &options;
    /// ```
    #[must_use = "`MapOptions` methods return the changed options"]
    pub fn callbacks(mut self, callbacks: Callbacks<Vec<R>>) -> Self {
        self.callbacks = callbacks;
        self
    }
}

impl<R> Default for MapOptions<R> {
    fn default() -> Self {
        MapOptions::new()
    }
}
