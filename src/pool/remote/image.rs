//! Where this program's own code lies in memory.
//!
//! Entry offsets (see `entry`) are distances inside the main executable. They mean the same
//! thing in parent and worker only if the anchor and every entry point sit in that one image:
//! a build where this crate, or the task, lives in a shared library (`-C prefer-dynamic`, a
//! `dylib` crate) loads them at independent addresses. So the pool checks both ends of every
//! offset against the main executable's mapping and refuses what lies outside it.

use std::ops::Range;
use std::os::unix::fs::MetadataExt;
use std::sync::OnceLock;

/// The address ranges the main executable's code is mapped at, or why they are unknown.
///
/// Only executable mappings count: a function lies in one, and the file may be mapped again,
/// read-only, elsewhere (a backtrace maps it to read its debug information).
pub(crate) fn main_image() -> Result<&'static [Range<usize>], &'static str> {
    static IMAGE: OnceLock<Result<Vec<Range<usize>>, String>> = OnceLock::new();
    match IMAGE.get_or_init(read_main_image) {
        Ok(ranges) => Ok(ranges),
        Err(why) => Err(why),
    }
}

/// Whether `address` lies in the main executable's code.
pub(crate) fn in_main_image(address: usize) -> bool {
    main_image().is_ok_and(|ranges| ranges.iter().any(|range| range.contains(&address)))
}

fn read_main_image() -> Result<Vec<Range<usize>>, String> {
    let exe = std::fs::metadata("/proc/self/exe")
        .map_err(|e| format!("cannot identify this executable: {e}"))?;
    let maps = std::fs::read_to_string("/proc/self/maps")
        .map_err(|e| format!("cannot read /proc/self/maps: {e}"))?;
    let mut image = Vec::new();
    for line in maps.lines() {
        // start-end perms offset dev inode path
        let mut fields = line.split_ascii_whitespace();
        let (Some(range), Some(perms), Some(inode)) = (fields.next(), fields.next(), fields.nth(2))
        else {
            continue;
        };
        let executable = perms.as_bytes().get(2) == Some(&b'x');
        if !executable || inode.parse::<u64>().ok() != Some(exe.ino()) || fields.next().is_none() {
            continue;
        }
        let Some((start, end)) = range.split_once('-') else {
            continue;
        };
        let (Ok(start), Ok(end)) = (
            usize::from_str_radix(start, 16),
            usize::from_str_radix(end, 16),
        ) else {
            continue;
        };
        image.push(start..end);
    }
    if image.is_empty() {
        return Err("this executable's code is not in /proc/self/maps".to_owned());
    }
    Ok(image)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[inline(never)]
    fn here() {}

    #[test]
    fn our_code_is_in_the_main_image_and_the_stack_and_heap_are_not() {
        assert!(in_main_image(here as fn() as usize));
        let on_stack = 5_u8;
        let on_heap = Box::new(5_u8);
        assert!(!in_main_image(&raw const on_stack as usize));
        assert!(!in_main_image(&raw const *on_heap as usize));
        assert!(!in_main_image(0));
    }
}
