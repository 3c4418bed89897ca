//! The field simulator (`tallyseal-field`) built as this package's binary, so the end-to-end
//! tests can spawn it (`CARGO_BIN_EXE_e2e-phone`) as a separate process and kill it.

fn main() -> std::process::ExitCode {
    tallyseal_field::main_from_env()
}
