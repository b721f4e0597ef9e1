//! Zadanie 3 (2 pkt): dla każdego wiersza policz liczby z przedziału 4–8 — przez `map_async`,
//! w puli wątków i w puli procesów.

use concurrency_lab::lab::range_count::Row;
use concurrency_lab::pool::{ProcessPool, ThreadPool};

/// `howmany_within_range_rowonly` z laboratorium: ile liczb wiersza `row` leży w 4..=8.
/// Gotowa.
pub fn howmany_within_range_rowonly(row: Row) -> usize {
    row.iter().filter(|&&n| (4..=8).contains(&n)).count()
}

/// Liczy każdy wiersz przez `pool.map_async` (nie `map`): jedna liczba na wiersz, w kolejności
/// wierszy.
pub fn count_on_threads(pool: &ThreadPool, rows: Vec<Row>) -> concurrency_lab::Result<Vec<usize>> {
    todo!()
}

/// To samo w procesach roboczych. Kod może być ten sam: zmienia się to, gdzie się wykonuje.
pub fn count_on_processes(
    pool: &ProcessPool,
    rows: Vec<Row>,
) -> concurrency_lab::Result<Vec<usize>> {
    todo!()
}
