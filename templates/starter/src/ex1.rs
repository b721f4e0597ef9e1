//! Zadanie 1 (2 pkt): zapisz do pliku swoje imię i numer indeksu, odczytaj plik z powrotem i
//! zmierz w nanosekundach zapis i odczyt dwoma zegarami: monotonicznym (czas, który upłynął) i
//! zegarem czasu procesora (czas, który procesor poświęcił temu programowi).

use std::io;
use std::path::Path;

use concurrency_lab::grade::ex1::RoundTrip;

/// Zapisuje `name` i `index` do pliku `path` (tworząc go albo zastępując), odczytuje plik z
/// powrotem i zwraca odczytany tekst oraz czasy zapisu i odczytu.
///
/// Zegary: `concurrency_lab::timing::Clock::Monotonic.now_ns()` i
/// `Clock::ProcessCpu.now_ns()` (w Pythonie `time.perf_counter_ns()` i
/// `time.process_time_ns()`), albo `concurrency_lab::timing::measure`. Czas to różnica dwóch
/// odczytów jednego zegara, tuż przed i tuż po operacji.
pub fn write_and_read(path: &Path, name: &str, index: u64) -> io::Result<RoundTrip> {
    todo!()
}
