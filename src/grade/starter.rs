//! Writing the starter crate a lecturer hands out: the five exercises with `todo!()` where the
//! student's work goes, a test that grades them, and the lab's questions.

use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// The starter's files: the path inside the crate, and the text. The templates live in
/// `templates/starter/` of this crate's repository; its manifest is `Cargo.toml.template`
/// there, because cargo leaves a directory holding a `Cargo.toml` out of the package.
const STARTER: [(&str, &str); 12] = [
    (
        "Cargo.toml",
        include_str!("../../templates/starter/Cargo.toml.template"),
    ),
    (
        "README.md",
        include_str!("../../templates/starter/README.md"),
    ),
    (
        "ANSWERS.md",
        include_str!("../../templates/starter/ANSWERS.md"),
    ),
    (
        ".gitignore",
        include_str!("../../templates/starter/gitignore"),
    ),
    (
        "src/lib.rs",
        include_str!("../../templates/starter/src/lib.rs"),
    ),
    (
        "src/main.rs",
        include_str!("../../templates/starter/src/main.rs"),
    ),
    (
        "src/ex1.rs",
        include_str!("../../templates/starter/src/ex1.rs"),
    ),
    (
        "src/ex2.rs",
        include_str!("../../templates/starter/src/ex2.rs"),
    ),
    (
        "src/ex3.rs",
        include_str!("../../templates/starter/src/ex3.rs"),
    ),
    (
        "src/ex4.rs",
        include_str!("../../templates/starter/src/ex4.rs"),
    ),
    (
        "src/ex5.rs",
        include_str!("../../templates/starter/src/ex5.rs"),
    ),
    (
        "tests/grade.rs",
        include_str!("../../templates/starter/tests/grade.rs"),
    ),
];

/// Where the starter crate finds this one.
///
/// # Examples
///
/// ```
/// use concurrency_lab::grade::Dependency;
///
/// let published = Dependency::Version("0.1".into());
/// assert_eq!(published.toml_line(), r#"concurrency-lab = "0.1""#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dependency {
    /// A checkout of this crate, by absolute path.
    Path(PathBuf),
    /// A version published on crates.io.
    Version(String),
}

impl Dependency {
    /// The checkout this library was built from (its `CARGO_MANIFEST_DIR`): what
    /// `cargo run --example starter` uses unless told a version.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::grade::Dependency;
    ///
    /// let Dependency::Path(path) = Dependency::this_checkout() else { unreachable!() };
    /// assert!(path.join("Cargo.toml").exists());
    /// ```
    pub fn this_checkout() -> Dependency {
        Dependency::Path(PathBuf::from(env!("CARGO_MANIFEST_DIR")))
    }

    /// The line of the starter's `Cargo.toml` that names this crate.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::grade::Dependency;
    ///
    /// let line = Dependency::Path("/home/lab/concurrency-lab".into()).toml_line();
    /// assert_eq!(line, r#"concurrency-lab = { path = "/home/lab/concurrency-lab" }"#);
    /// ```
    pub fn toml_line(&self) -> String {
        match self {
            // `{:?}` quotes and escapes the path as a TOML basic string needs.
            Dependency::Path(path) => format!("concurrency-lab = {{ path = {:?} }}", path),
            Dependency::Version(version) => format!("concurrency-lab = {version:?}"),
        }
    }
}

/// Writes the starter crate into `dir`, which must not exist yet or be empty.
///
/// The crate depends on this one through `dependency`; `cargo test` in it runs
/// `tests/grade.rs`, which grades the five exercises with [`crate::grade`] and prints the
/// score table. When `dependency` is a path holding a `Cargo.lock`, that lock file is copied
/// too, so the starter builds with the very versions this crate was tested with (and offline).
///
/// # Errors
///
/// [`Error::InvalidInput`] when `dir` is a non-empty directory or a file; [`Error::Io`] when a
/// directory or a file cannot be written.
///
/// # Examples
///
/// ```
/// use concurrency_lab::grade::{write_starter, Dependency};
///
/// let dir = std::env::temp_dir().join(format!("starter-doc-{}", std::process::id()));
/// write_starter(&dir, &Dependency::this_checkout())?;
/// let ex1 = std::fs::read_to_string(dir.join("src/ex1.rs")).unwrap();
/// assert!(ex1.contains("todo!()"));
/// assert!(write_starter(&dir, &Dependency::this_checkout()).is_err());
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
pub fn write_starter(dir: &Path, dependency: &Dependency) -> Result<()> {
    refuse_unless_empty(dir)?;
    for (file, text) in STARTER {
        let text = text.replace("{{dependency}}", &dependency.toml_line());
        write(&dir.join(file), &text)?;
    }
    if let Dependency::Path(checkout) = dependency {
        let lock = checkout.join("Cargo.lock");
        if lock.exists() {
            std::fs::copy(&lock, dir.join("Cargo.lock"))
                .map_err(|err| Error::io("copy", &lock, err))?;
        }
    }
    Ok(())
}

fn refuse_unless_empty(dir: &Path) -> Result<()> {
    let refuse = |why: &str| {
        Err(Error::invalid_input(
            "starter directory",
            dir.display(),
            why,
        ))
    };
    match std::fs::read_dir(dir).map(|mut entries| entries.next().is_some()) {
        Ok(true) => refuse("it is not empty: name a new directory"),
        Ok(false) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::NotADirectory => {
            refuse("it is a file: name a new directory")
        }
        Err(err) => Err(Error::io("read", dir, err)),
    }
}

fn write(path: &Path, text: &str) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|err| Error::io("create", parent, err))?;
    }
    std::fs::write(path, text).map_err(|err| Error::io("write", path, err))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "concurrency-lab-starter-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn the_starter_has_todo_in_every_exercise_and_the_dependency_line() {
        let dir = scratch("todo");
        let dependency = Dependency::Version("9.9.9".into());
        write_starter(&dir, &dependency).unwrap();
        for n in 1..=5 {
            let text = std::fs::read_to_string(dir.join(format!("src/ex{n}.rs"))).unwrap();
            assert!(text.contains("todo!()"), "ex{n}");
        }
        let toml = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        assert!(toml.contains(r#"concurrency-lab = "9.9.9""#), "{toml}");
        assert!(
            !dir.join("Cargo.lock").exists(),
            "a version needs no lock file of ours"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_checkout_dependency_brings_the_checkout_lock() {
        let dir = scratch("checkout");
        write_starter(&dir, &Dependency::this_checkout()).unwrap();
        assert!(dir.join("Cargo.lock").exists());
        assert!(dir.join("tests/grade.rs").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_non_empty_directory_or_a_file_is_refused() {
        let dir = scratch("busy");
        std::fs::create_dir_all(&dir).unwrap();
        assert!(write_starter(&dir, &Dependency::this_checkout()).is_ok());
        let err = write_starter(&dir, &Dependency::this_checkout()).unwrap_err();
        assert!(err.to_string().contains("not empty"), "{err}");
        let file = dir.join("README.md");
        let err = write_starter(&file, &Dependency::this_checkout()).unwrap_err();
        assert!(err.to_string().contains("is a file"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
