//! The onshi-fallback binary: the desktop app (no arguments) and the command line.

mod cli;

fn main() {
    // No input may panic the program; should a bug do so anyway, say so plainly and exit 1
    // rather than print a Rust backtrace at reception.
    std::panic::set_hook(Box::new(|info| {
        eprintln!(
            "内部エラーが発生しました。記録は保存済みのものまで安全です (internal error): {info}"
        );
    }));
    let code = std::panic::catch_unwind(cli::run).unwrap_or(1);
    std::process::exit(code);
}
