//! Finding the library's own answers in a student's compiled code.
//!
//! The scan reads the student's library as compiled (its object files inside the `.rlib`), not
//! its text: every function the code calls, or takes the address of, is a symbol there —
//! whatever `use … as` alias, glob import, function pointer or macro led to it — and so is every
//! generic function of the library the code instantiates. The harness that runs the check is
//! another crate, so what the check itself calls is not in the scan. Code built at opt-level 0
//! inlines nothing, so no call can hide inside the student's own functions.
//!
//! The same scan refuses code that runs before `main` (a function in `.init_array`): it could
//! read the harness's token before the harness does.

use object::read::archive::ArchiveFile;
use object::{Object, ObjectSection, ObjectSymbol};

/// Sections whose functions the loader runs before `main`.
const BEFORE_MAIN: [&str; 4] = [".init_array", ".preinit_array", ".ctors", ".fini_array"];

/// What the scan found that costs the exercise its points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// The code refers to one of the library's answers: the function, demangled.
    AnswerKey(String),
    /// The code puts a function in a section run before `main` (or at exit).
    BeforeMain(String),
}

/// Scans the rlib `bytes` for a symbol under one of the `answers` path prefixes, or a section
/// run before `main`; the first finding, or `None`.
///
/// # Errors
///
/// When `bytes` is not an archive of object files.
///
/// # Examples
///
/// ```
/// assert!(lab_grader::scan_rlib(b"not an archive", &["concurrency_lab::lab::"]).is_err());
/// ```
pub fn scan_rlib(bytes: &[u8], answers: &[&str]) -> Result<Option<Finding>, String> {
    let archive = ArchiveFile::parse(bytes).map_err(|err| format!("not an rlib: {err}"))?;
    for member in archive.members() {
        let member = member.map_err(|err| format!("a broken rlib: {err}"))?;
        if !member.name().ends_with(b".o") {
            continue; // lib.rmeta and the like
        }
        let data = member
            .data(bytes)
            .map_err(|err| format!("a broken rlib: {err}"))?;
        // A member starts wherever the archive put it; the object reader needs its headers
        // aligned, as a `u64` buffer is.
        let mut aligned = vec![0u64; data.len().div_ceil(8)];
        let copy = &mut bytemuck_bytes(&mut aligned)[..data.len()];
        copy.copy_from_slice(data);
        let file = object::File::parse(&*copy).map_err(|err| format!("a broken object: {err}"))?;
        if let Some(found) = scan_object(&file, answers) {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// The bytes of a `u64` buffer.
fn bytemuck_bytes(words: &mut [u64]) -> &mut [u8] {
    let len = std::mem::size_of_val(words);
    // SAFETY: the pointer and length cover exactly `words`, which stays borrowed mutably for
    // the slice's lifetime; every byte pattern is a valid `u8`, and `u8` has no alignment.
    unsafe { std::slice::from_raw_parts_mut(words.as_mut_ptr().cast::<u8>(), len) }
}

fn scan_object(file: &object::File<'_>, answers: &[&str]) -> Option<Finding> {
    for section in file.sections() {
        let name = section.name().unwrap_or_default();
        let runs_early = BEFORE_MAIN
            .iter()
            .any(|early| name == *early || name.starts_with(&format!("{early}.")));
        if runs_early {
            return Some(Finding::BeforeMain(name.to_owned()));
        }
    }
    file.symbols().find_map(|symbol| {
        let path = demangled_path(symbol.name().ok()?);
        answers
            .iter()
            .any(|answer| is_under(&path, answer))
            .then_some(Finding::AnswerKey(path))
    })
}

/// Whether `path` is `answer`, or inside it: a module's item when `answer` ends in `::`, or a
/// function's closure or generic instance (`answer::{closure#0}`, `answer::<T>`).
fn is_under(path: &str, answer: &str) -> bool {
    if answer.ends_with("::") {
        path.starts_with(answer)
    } else {
        path.strip_prefix(answer)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
    }
}

/// A symbol's Rust path without its hash or crate disambiguators (the demangler's alternate
/// form leaves them out), and without the `<` that opens an impl's path:
/// `concurrency_lab::lab::name_index::is_name_index`.
fn demangled_path(symbol: &str) -> String {
    let demangled = format!("{:#}", rustc_demangle::demangle(symbol));
    demangled.trim_start_matches('<').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_is_under_a_module_or_a_function() {
        let module = "concurrency_lab::lab::name_index::";
        assert!(is_under(
            "concurrency_lab::lab::name_index::is_name_index",
            module
        ));
        assert!(!is_under("concurrency_lab::lab::name_indexes::x", module));
        let function = "concurrency_lab::lab::async_gather::random_delays";
        assert!(is_under(function, function));
        assert!(is_under(&format!("{function}::{{closure#0}}"), function));
        assert!(is_under(&format!("{function}::<u8>"), function));
        assert!(!is_under(&format!("{function}_again"), function));
        assert!(!is_under(
            "concurrency_lab::lab::async_gather::task_message",
            function
        ));
    }

    /// Compiles `source` into an rlib of the crate `name` with the `rustc` cargo uses, at
    /// opt-level 0 as the grader builds students' code; returns its bytes.
    fn rlib(name: &str, source: &str) -> Vec<u8> {
        let dir = std::env::temp_dir().join(format!(
            "lab-grader-rlib-{name}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("lib.rs");
        std::fs::write(&file, source).unwrap();
        let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
        let status = std::process::Command::new(rustc)
            .args([
                "--edition=2024",
                "--crate-type=rlib",
                "-Copt-level=0",
                "--crate-name",
                name,
            ])
            .arg("--out-dir")
            .arg(&dir)
            .arg(&file)
            .status()
            .unwrap();
        assert!(status.success());
        let bytes = std::fs::read(dir.join(format!("lib{name}.rlib"))).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        bytes
    }

    const LAB: &str = "pub mod lab { pub mod name_index {
        #[inline(never)]
        pub fn is_name_index(name: &str, index: u64) -> bool { name.len() as u64 == index }
        pub fn other(n: u64) -> u64 { n + 1 }
    } }
    pub fn answer(name: &str) -> bool { let f = lab::name_index::is_name_index; f(name, 3) }";

    #[test]
    fn a_call_of_the_answer_in_compiled_code_is_found() {
        // A crate named like the library, so its symbols carry the library's paths.
        let bytes = rlib("concurrency_lab", LAB);
        let ex2 = ["concurrency_lab::lab::name_index::is_name_index"];
        assert_eq!(
            scan_rlib(&bytes, &ex2).unwrap(),
            Some(Finding::AnswerKey(ex2[0].to_owned()))
        );
        assert_eq!(
            scan_rlib(&bytes, &["concurrency_lab::lab::file_timing::"]).unwrap(),
            None
        );
    }

    #[test]
    fn code_run_before_main_is_found_and_plain_code_passes() {
        let early = "extern \"C\" fn early() {}
            #[used]
            #[unsafe(link_section = \".init_array\")]
            static EARLY: extern \"C\" fn() = early;
            pub fn answer() -> u64 { 7 }";
        let bytes = rlib("early", early);
        let found = scan_rlib(&bytes, &["concurrency_lab::"]).unwrap();
        assert!(
            matches!(&found, Some(Finding::BeforeMain(section)) if section.starts_with(".init_array")),
            "{found:?}"
        );
        let plain = rlib("plain", "pub fn answer() -> u64 { 7 }");
        assert_eq!(
            scan_rlib(&plain, &["plain::"]).unwrap(),
            Some(Finding::AnswerKey("plain::answer".into()))
        );
        assert_eq!(scan_rlib(&plain, &["concurrency_lab::"]).unwrap(), None);
    }

    #[test]
    fn a_file_that_is_no_rlib_is_an_error() {
        assert!(scan_rlib(b"!<arch>\nbroken", &["x::"]).is_err());
        let err = scan_rlib(b"plain text", &["x::"]).unwrap_err();
        assert!(err.contains("not an rlib"), "{err}");
    }

    #[test]
    fn legacy_and_v0_symbols_read_as_paths() {
        let legacy = "_ZN15concurrency_lab3lab10name_index13is_name_index17h0123456789abcdefE";
        assert_eq!(
            demangled_path(legacy),
            "concurrency_lab::lab::name_index::is_name_index"
        );
        let v0 = "_RNvNtNtCs1234_15concurrency_lab3lab10name_index13is_name_index";
        assert_eq!(
            demangled_path(v0),
            "concurrency_lab::lab::name_index::is_name_index"
        );
        assert_eq!(demangled_path("memcpy"), "memcpy");
        let method = "_ZN66_$LT$concurrency_lab..lab..Variant$u20$as$u20$core..fmt..Debug$GT$3fmt17h0123456789abcdefE";
        assert_eq!(
            demangled_path(method),
            "concurrency_lab::lab::Variant as core::fmt::Debug>::fmt"
        );
    }
}
