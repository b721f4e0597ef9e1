//! The crate the grader builds a batch in: a cargo workspace of its own making, with one package
//! per student and exercise. A package's library is the student's file and nothing else; its
//! program is the grader's harness, which runs the exercise's check on it.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::Exercise;

/// What every harness prints before the outcome, with the run's token after it.
pub const OUTCOME_MARKER: &str = "@@lab-grader-outcome";

/// The starter's manifest: its `[dependencies]` are what a student's file may use.
const STARTER_MANIFEST: &str = include_str!("../../templates/starter/Cargo.toml.template");

/// Where the library the students' code is built against comes from: a checkout, by path.
///
/// # Examples
///
/// ```
/// let library = lab_grader::Library::this_checkout();
/// assert!(library.0.join("src/grade/mod.rs").exists());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Library(pub PathBuf);

impl Library {
    /// The checkout this grader is part of (the parent of its crate directory): the students'
    /// code is graded against the library the grader was built with.
    ///
    /// # Examples
    ///
    /// See [`Library`].
    pub fn this_checkout() -> Library {
        let grader = Path::new(env!("CARGO_MANIFEST_DIR"));
        Library(grader.parent().unwrap_or(grader).to_owned())
    }

    fn dependency_line(&self) -> String {
        // `{:?}` quotes and escapes the path as a TOML basic string needs.
        format!("concurrency-lab = {{ path = {:?} }}", self.0)
    }
}

/// One package of the batch: a student's exercise.
///
/// # Examples
///
/// ```
/// use lab_grader::{Exercise, Package};
///
/// let a = Package::new("Jan Kowalski", Exercise::ALL[0]);
/// let b = Package::new("jan-kowalski", Exercise::ALL[0]);
/// assert!(a.name.starts_with("s-jan-kowalski-"));
/// assert!(a.name.ends_with("-ex1"));
/// assert_ne!(a.name, b.name); // no student's program can stand in for another's
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// The package's name, which is also its program's: unique per student and exercise.
    pub name: String,
    /// The exercise.
    pub exercise: Exercise,
}

impl Package {
    /// The package of `student`'s `exercise`: a name made of the student's name in lowercase
    /// ASCII, a hash of the exact name (two names that read the same differ there), and the
    /// exercise.
    ///
    /// # Examples
    ///
    /// See [`Package`].
    pub fn new(student: &str, exercise: Exercise) -> Package {
        let mut slug = String::new();
        for c in student.chars() {
            let c = if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            };
            if slug.len() == 24 || (c == '-' && (slug.is_empty() || slug.ends_with('-'))) {
                continue;
            }
            slug.push(c);
        }
        let slug = slug.trim_end_matches('-');
        let slug = if slug.is_empty() { "x" } else { slug };
        Package {
            name: format!("s-{slug}-{:08x}-{exercise}", fnv1a(student) as u32),
            exercise,
        }
    }

    /// The package's library crate name: the name with `_` for `-`.
    ///
    /// # Examples
    ///
    /// ```
    /// let package = lab_grader::Package::new("Ola", lab_grader::Exercise::ALL[1]);
    /// assert!(!package.lib_name().contains('-'));
    /// ```
    pub fn lib_name(&self) -> String {
        self.name.replace('-', "_")
    }

    /// Writes the package into `dir/<name>/`: the manifest, a library whose only module is the
    /// student's `answer` as `src/exN.rs`, and the harness as the program.
    ///
    /// # Errors
    ///
    /// When a file cannot be written.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab_grader::{Exercise, Library, Package};
    ///
    /// let dir = std::env::temp_dir().join(format!("lab-grader-doc-pkg-{}", std::process::id()));
    /// let package = Package::new("Ola", Exercise::ALL[1]);
    /// package.write(&dir, &Library::this_checkout(), "pub fn is_name_index() {}")?;
    /// let main = std::fs::read_to_string(dir.join(&package.name).join("src/main.rs"))?;
    /// assert!(main.contains("grade::ex2::check("));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn write(&self, dir: &Path, library: &Library, answer: &str) -> io::Result<()> {
        let root = dir.join(&self.name);
        let src = root.join("src");
        fs::create_dir_all(&src)?;
        fs::write(root.join("Cargo.toml"), self.manifest(library))?;
        fs::write(src.join("lib.rs"), self.lib_rs())?;
        fs::write(src.join(format!("{}.rs", self.exercise.module())), answer)?;
        fs::write(src.join("main.rs"), self.harness())
    }

    fn manifest(&self, library: &Library) -> String {
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n\
             [lib]\nname = \"{lib}\"\npath = \"src/lib.rs\"\n\n\
             [[bin]]\nname = \"{name}\"\npath = \"src/main.rs\"\n\n\
             [dependencies]\n{deps}\
             # The harness prints the outcome as JSON.\nserde_json = \"1\"\n",
            name = self.name,
            lib = self.lib_name(),
            deps = starter_dependencies(library),
        )
    }

    fn lib_rs(&self) -> String {
        let module = self.exercise.module();
        format!(
            "//! Built by lab-grader: the student's `src/{module}.rs`, alone.\n\
             #![allow(unused_variables, dead_code)]\n\npub mod {module};\n"
        )
    }

    fn harness(&self) -> String {
        format!(
            "//! Built by lab-grader: runs the check of exercise {n} on the student's answer and\n\
             //! prints its outcome, after the token the grader gave on stdin.\n\n\
             use std::io::Write;\n\n\
             use {lib}::{module} as student;\n\n\
             fn main() {{\n\
             \x20   // A process pool starts this program again: its workers stop here.\n\
             \x20   concurrency_lab::pool::init();\n\
             \x20   let mut token = String::new();\n\
             \x20   let _ = std::io::stdin().read_line(&mut token);\n\
             \x20   let outcome = {call};\n\
             \x20   let json = serde_json::to_string(&outcome).expect(\"an outcome is JSON\");\n\
             \x20   let mut out = std::io::stdout().lock();\n\
             \x20   let _ = writeln!(out, \"\\n{marker} {{}} {{json}}\", token.trim());\n\
             \x20   let _ = out.flush();\n\
             }}\n",
            n = self.exercise.number(),
            lib = self.lib_name(),
            module = self.exercise.module(),
            call = self.exercise.check_call(),
            marker = OUTCOME_MARKER,
        )
    }
}

/// Writes the batch's workspace manifest into `dir`, naming `packages` as its members, and the
/// library's `Cargo.lock` next to it (the versions the library was tested with, and a build
/// that needs no network when the registry cache has them).
///
/// # Errors
///
/// When a file cannot be written or the lock file copied.
///
/// # Examples
///
/// ```
/// use lab_grader::{Exercise, Library, Package, write_workspace};
///
/// let dir = std::env::temp_dir().join(format!("lab-grader-doc-ws-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// write_workspace(&dir, &Library::this_checkout(), &[Package::new("Ola", Exercise::ALL[0])])?;
/// assert!(std::fs::read_to_string(dir.join("Cargo.toml"))?.contains("s-ola-"));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write_workspace(dir: &Path, library: &Library, packages: &[Package]) -> io::Result<()> {
    let members: Vec<String> = packages
        .iter()
        .map(|p| format!("    \"{}\",\n", p.name))
        .collect();
    // The students' code is built without optimisation, as `cargo test` in the starter builds
    // it, and so that no call into the library is inlined away: the answer-key scan reads
    // every function the code calls from its symbols.
    let manifest = format!(
        "# Written by lab-grader: one package per student and exercise.\n\
         [workspace]\nresolver = \"3\"\nmembers = [\n{}]\n\n\
         [profile.dev]\ndebug = false\nincremental = false\nopt-level = 0\n",
        members.concat()
    );
    fs::write(dir.join("Cargo.toml"), manifest)?;
    let lock = library.0.join("Cargo.lock");
    if lock.exists() {
        fs::copy(&lock, dir.join("Cargo.lock"))?;
    }
    Ok(())
}

/// The starter's `[dependencies]`, with the library's line pointing at `library`.
fn starter_dependencies(library: &Library) -> String {
    let mut lines = Vec::new();
    let mut inside = false;
    for line in STARTER_MANIFEST.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            inside = trimmed == "[dependencies]";
            continue;
        }
        if inside && !trimmed.is_empty() && !trimmed.starts_with('#') {
            lines.push(line.replace("{{dependency}}", &library.dependency_line()));
        }
    }
    lines.iter().map(|line| format!("{line}\n")).collect()
}

/// FNV-1a, 64 bits: a hash that is the same on every machine and every run.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dependencies_are_the_starters_with_the_library_by_path() {
        let deps = starter_dependencies(&Library(PathBuf::from("/lab")));
        assert!(
            deps.starts_with("concurrency-lab = { path = \"/lab\" }\n"),
            "{deps}"
        );
        assert!(deps.contains("tokio"), "{deps}");
        assert!(
            !deps.contains("[[test]]") && !deps.contains("harness"),
            "{deps}"
        );
    }

    #[test]
    fn names_are_cargo_names_and_differ_per_student_and_exercise() {
        let weird = Package::new("  Łukasz Ąę--Ź (2) ", Exercise::ALL[2]);
        assert!(
            weird
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{}",
            weird.name
        );
        assert!(!weird.name.contains("--"), "{}", weird.name);
        assert_ne!(
            Package::new("a", Exercise::ALL[0]).name,
            Package::new("a", Exercise::ALL[1]).name
        );
        assert_eq!(fnv1a(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a("a"), 0xaf63_dc4c_8601_ec8c);
    }
}
