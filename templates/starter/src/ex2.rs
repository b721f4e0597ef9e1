//! Zadanie 2 (2 pkt): `is_name_index` i jej benchmark.

use concurrency_lab::bench::{Bench, Report};

/// Prawda, gdy indeks zawiera cyfrę równą liczbie liter imienia modulo 10. `Tymoteusz` ma 9
/// liter, a `144298` zawiera 9: prawda. Liczą się litery, nie bajty: `Łukasz` ma 6 liter;
/// łącznik ani spacja nie są literami.
pub fn is_name_index(name: &str, index: u64) -> bool {
    todo!()
}

/// Mierzy `is_name_index(name, index)` podanym `bench` (już ustawionym: uruchom go, jako
/// `bench.run(|| ...)`) i zwraca jego raport. Pomyśl o `concurrency_lab::bench::black_box`.
pub fn benchmark(bench: &Bench, name: &str, index: u64) -> concurrency_lab::Result<Report> {
    todo!()
}
