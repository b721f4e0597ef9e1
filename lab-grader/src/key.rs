//! The reference answers: the lecturer's key, kept out of the library students depend on.

use std::path::Path;

use concurrency_lab::grade::{Dependency, write_starter};

/// The reference answers, `(file, text)`: `lab-grader/solutions/ex1.rs` … `ex5.rs`. They use
/// the library's tools (`timing::measure`, the pools, `Bench`) but none of its answers.
pub const SOLUTIONS: [(&str, &str); 5] = [
    ("src/ex1.rs", include_str!("../solutions/ex1.rs")),
    ("src/ex2.rs", include_str!("../solutions/ex2.rs")),
    ("src/ex3.rs", include_str!("../solutions/ex3.rs")),
    ("src/ex4.rs", include_str!("../solutions/ex4.rs")),
    ("src/ex5.rs", include_str!("../solutions/ex5.rs")),
];

/// Writes the key into `dir`: the starter crate (see `concurrency_lab::grade::write_starter`),
/// depending on `dependency`, with the reference answers in place of `todo!()`. Its
/// `cargo test` scores 10/10, and so does grading it.
///
/// # Errors
///
/// When `dir` is not new or empty, or a file cannot be written.
///
/// # Examples
///
/// ```
/// use concurrency_lab::grade::Dependency;
///
/// let dir = std::env::temp_dir().join(format!("lab-grader-doc-key-{}", std::process::id()));
/// lab_grader::write_key(&dir, &Dependency::Version("0.1".into()))?;
/// assert!(!std::fs::read_to_string(dir.join("src/ex1.rs"))?.contains("todo!()"));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_key(dir: &Path, dependency: &Dependency) -> Result<(), Box<dyn std::error::Error>> {
    write_starter(dir, dependency)?;
    for (file, text) in SOLUTIONS {
        std::fs::write(dir.join(file), text)?;
    }
    Ok(())
}
