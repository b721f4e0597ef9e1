//! `cargo run` — twój program: wywołuje twoje funkcje z pięciu zadań i drukuje twoje pomiary,
//! te, które wpisujesz do `ANSWERS.md` („udowodnij, że program działa poprawnie”).
//!
//! `cargo run -- Imię 123456` podaje twoje imię i numer indeksu (bez nich: Tymoteusz 144298).
//! `cargo run --release` mierzy kod zoptymalizowany, jak w laboratorium.
//!
//! Zadanie, którego jeszcze nie napisałeś (`todo!()`), albo które panikuje, nie zatrzymuje
//! pozostałych: program mówi, co się stało, i idzie dalej.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use concurrency_lab::bench::Bench;
use concurrency_lab::grade::ex4::Printer;
use concurrency_lab::grade::ex5;
use concurrency_lab::lab::range_count::random_rows;
use concurrency_lab::pool::{self, ProcessPool, ThreadPool};
use concurrency_lab_starter::{ex1, ex2, ex3, ex4, ex5 as five};

fn main() {
    // Pula procesów z zadania 3 uruchamia ten program ponownie jako swoje procesy robocze:
    // one zatrzymują się tutaj i służą puli.
    pool::init();

    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "Tymoteusz".into());
    let index: u64 = args.next().and_then(|i| i.parse().ok()).unwrap_or(144_298);

    exercise("Zadanie 1: zapis i odczyt pliku", || exercise_1(&name, index));
    exercise("Zadanie 2: is_name_index i benchmark", || {
        exercise_2(&name, index)
    });
    exercise("Zadanie 3: map_async w puli wątków i w puli procesów", exercise_3);
    exercise("Zadanie 4: wątki wypisujące swój numer", exercise_4);
    exercise("Zadanie 5: sto korutyn naraz", exercise_5);
}

/// Uruchamia jedno zadanie; panika (także `todo!()`) kończy tylko to zadanie.
fn exercise(title: &str, run: impl FnOnce() -> Result<(), String>) {
    println!("\n== {title}");
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(Ok(())) => {}
        Ok(Err(why)) => println!("błąd: {why}"),
        Err(_) => println!("(zadanie przerwane paniką — np. todo!() — opis powyżej)"),
    }
}

fn exercise_1(name: &str, index: u64) -> Result<(), String> {
    let path = std::env::temp_dir().join(format!("lab-ex1-{}.txt", std::process::id()));
    let trip = ex1::write_and_read(&path, name, index).map_err(|err| err.to_string())?;
    let _ = std::fs::remove_file(&path);
    println!("odczytano: {:?}", trip.read_back);
    println!("          zegar monotoniczny   czas procesora");
    for (step, times) in [("zapis", trip.write), ("odczyt", trip.read)] {
        println!(
            "{step:<8} {:>14} ns {:>14} ns",
            times.monotonic_ns, times.cpu_ns
        );
    }
    Ok(())
}

fn exercise_2(name: &str, index: u64) -> Result<(), String> {
    println!("is_name_index({name:?}, {index}) = {}", ex2::is_name_index(name, index));
    let report = ex2::benchmark(&Bench::new("is_name_index"), name, index)
        .map_err(|err| err.to_string())?;
    report
        .write_to(&mut std::io::stdout())
        .map_err(|err| err.to_string())
}

fn exercise_3() -> Result<(), String> {
    let rows = random_rows(200_000, 2_024);
    let started = Instant::now();
    let expected: Vec<usize> = rows
        .iter()
        .cloned()
        .map(ex3::howmany_within_range_rowonly)
        .collect();
    println!("pętla sekwencyjna: {:>10.3} ms", ms(started.elapsed()));

    let threads = ThreadPool::new(pool::cpu_count()).map_err(|err| err.to_string())?;
    let started = Instant::now();
    let counts = ex3::count_on_threads(&threads, rows.clone()).map_err(|err| err.to_string())?;
    println!(
        "pula wątków:       {:>10.3} ms, wynik {}",
        ms(started.elapsed()),
        same(&counts, &expected)
    );

    let processes = ProcessPool::new(pool::cpu_count()).map_err(|err| err.to_string())?;
    let started = Instant::now();
    let counts = ex3::count_on_processes(&processes, rows).map_err(|err| err.to_string())?;
    println!(
        "pula procesów:     {:>10.3} ms, wynik {}",
        ms(started.elapsed()),
        same(&counts, &expected)
    );
    println!("pierwsze liczby: {:?}", &expected[..expected.len().min(10)]);
    Ok(())
}

fn exercise_4() -> Result<(), String> {
    let printer = Printer::to_stdout();
    let period = Duration::from_millis(100);
    let workers: Vec<ex4::SomeWorker> = [1, 2, 3]
        .map(|id| ex4::SomeWorker::start(id, period, printer.clone()))
        .into();
    std::thread::sleep(Duration::from_millis(350));
    println!("wątek główny: stop");
    let stopping = Instant::now();
    workers.into_iter().for_each(ex4::SomeWorker::stop);
    println!(
        "wszystkie zatrzymane po {:.3} ms; wypisań: {}",
        ms(stopping.elapsed()),
        printer.ids().len()
    );
    Ok(())
}

fn exercise_5() -> Result<(), String> {
    let delays = five::random_delays(100);
    println!("opóźnienia (pierwsze 5): {:?}", &delays[..delays.len().min(5)]);
    let report = ex5::prove(delays, five::gather).map_err(|why| why.pl)?;
    report
        .write_to(&mut std::io::stdout())
        .map_err(|err| err.to_string())
}

fn ms(elapsed: Duration) -> f64 {
    elapsed.as_secs_f64() * 1e3
}

fn same(counts: &[usize], expected: &[usize]) -> &'static str {
    if counts == expected {
        "zgodny z pętlą"
    } else {
        "RÓŻNY od pętli"
    }
}
