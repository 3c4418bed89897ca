//! `tallyseal-field`: see the library documentation.

fn main() -> std::process::ExitCode {
    tallyseal_field::main_from_env()
}
