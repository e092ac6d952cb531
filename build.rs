//! Strips the TrueType hinting from the bundled fonts once, at build time (`src/print/unhint.rs`,
//! std only, is compiled into this script as it is into the library). Every PDF embeds the
//! unhinted faces; stripping them when a process first printed cost a command-line `prescribe`
//! about half of its time. A face the code cannot rewrite is passed through as shipped.

use std::path::Path;

#[allow(dead_code)]
#[path = "src/print/unhint.rs"]
mod unhint;

fn main() {
    let out = std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR");
    for name in ["ipaexg", "ipaexm"] {
        let src = format!("fonts/{name}.ttf");
        println!("cargo::rerun-if-changed={src}");
        let original = std::fs::read(&src).unwrap_or_else(|e| panic!("{src}: {e}"));
        let unhinted = unhint::strip_hinting(&original).unwrap_or(original);
        let to = Path::new(&out).join(format!("{name}-unhinted.ttf"));
        std::fs::write(&to, unhinted).unwrap_or_else(|e| panic!("{}: {e}", to.display()));
    }
    println!("cargo::rerun-if-changed=src/print/unhint.rs");
}
