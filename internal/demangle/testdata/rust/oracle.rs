// oracle.rs: rustc's own demangler, the rustc-demangle crate that the Rust
// toolchain ships (the standard library prints backtraces with it), for
// TestRustAgainstCxxfilt. It reads names from stdin, one a line, and
// prints the alternate form of each, "{:#}". The crate is internal to the
// toolchain, so the test builds this with RUSTC_BOOTSTRAP=1.
#![feature(rustc_private)]
extern crate rustc_demangle;

use std::io::{BufRead, BufWriter, Write};

fn main() {
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    for line in stdin.lock().lines() {
        let name = line.expect("reading stdin");
        writeln!(out, "{:#}", rustc_demangle::demangle(&name)).expect("writing stdout");
    }
}
