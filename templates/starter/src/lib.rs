//! Pięć zadań laboratorium współbieżności. Każdy plik to jedno zadanie: w miejsce każdego
//! `todo!()` wpisz swój kod, potem `cargo test` pokaże twój wynik, a `cargo run` — twoje
//! pomiary.
//!
//! Zadania po polsku: strona `lab::zadania` dokumentacji concurrency-lab (`docs/zadania.md`);
//! po angielsku: `docs/exercises.md`. Odpowiedzi na pytania wpisz do `ANSWERS.md`.

// Dopóki ich nie napiszesz, funkcje zadań ignorują swoje argumenty: bez ostrzeżeń o tym.
// Usuń tę linię, gdy znikną wszystkie `todo!()`.
#![allow(unused_variables)]

pub mod ex1;
pub mod ex2;
pub mod ex3;
pub mod ex4;
pub mod ex5;
