//! Zadanie 4 (2 pkt): `SomeWorker` z laboratorium: wątek, który raz po raz wypisuje swój numer
//! (nadany w konstruktorze), aż wątek główny zatrzyma go przez kolejkę.

use std::time::Duration;

use concurrency_lab::grade::ex4::Printer;

/// Jeden wątek roboczy: dodaj pola, których potrzebuje (uchwyt wątku, nadający koniec jego
/// kolejki…).
pub struct SomeWorker {}

impl SomeWorker {
    /// Uruchamia wątek: ten od razu wypisuje `id` przez `printer.print(id)`, potem co `period`,
    /// aż odbierze ze swojej kolejki komunikat „koniec”.
    pub fn start(id: usize, period: Duration, printer: Printer) -> SomeWorker {
        todo!()
    }

    /// Wysyła przez kolejkę komunikat „koniec” i czeka, aż wątek się zakończy. Wątek w połowie
    /// długiego okresu musi skończyć od razu.
    pub fn stop(self) {
        todo!()
    }
}
