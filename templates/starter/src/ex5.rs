//! Zadanie 5 (2 pkt): sto korutyn z losowymi opóźnieniami, czekających jednocześnie.

use std::time::Duration;

use concurrency_lab::grade::ex5::LabTask;

/// `count` opóźnień, każde losowane z przedziału od 0 do 4 sekund.
pub fn random_delays(count: usize) -> Vec<Duration> {
    todo!()
}

/// Uruchamia wszystkie zadania (`task.run()` to `delay_message` z laboratorium) jednocześnie i
/// wraca, gdy wszystkie się skończą: w Pythonie `await asyncio.gather(...)`.
pub async fn gather(tasks: Vec<LabTask>) {
    todo!()
}
