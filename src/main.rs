//! The `dealcoach` binary: everything lives in the library; this maps it to an exit code.

// The rule engine allocates and frees many small values per deal (rhai maps, strings,
// arrays); mimalloc does that markedly faster than the system allocator, and keeps a
// heap per thread so `review`'s threads do not share one.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    dealcoach::cli::run()
}
