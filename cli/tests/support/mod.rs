//! What the `tallyseal` binary's test files share: running it as a user would.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn tallyseal(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tallyseal"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run tallyseal")
}

pub fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

pub fn testdata(rel: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata")
        .join(rel)
        .display()
        .to_string()
}
