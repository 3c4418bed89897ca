//! `tallyseal user`: console accounts in the server's database, as an administrator manages them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::process::Command;

use support::{code, tallyseal};

/// `tallyseal user`: add (generated and stdin passwords), refusals, disable, reset, list.
#[test]
fn user_commands_manage_console_accounts() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let o = tallyseal(
        &[
            "user",
            "add",
            "--data-dir",
            "data",
            "ro-na46",
            "--role",
            "ro",
            "--constituency",
            "pk-2024-ge/NA-46",
        ],
        d,
    );
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        stdout.contains("role ro, constituencies pk-2024-ge/NA-46"),
        "{stdout}"
    );
    let password = stdout
        .split("password (shown once): ")
        .nth(1)
        .unwrap()
        .trim();
    assert_eq!(password.len(), 16);

    let mut child = Command::new(env!("CARGO_BIN_EXE_tallyseal"))
        .args([
            "user",
            "add",
            "--data-dir",
            "data",
            "admin1",
            "--role",
            "admin",
            "--all",
            "--password-stdin",
        ])
        .current_dir(d)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a long enough password\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(code(&o), 0);
    assert!(!String::from_utf8_lossy(&o.stdout).contains("password (shown once)"));

    // Refusals: a taken name, a bad name, a role without scope, an unknown account.
    for args in [
        &[
            "user",
            "add",
            "--data-dir",
            "data",
            "ro-na46",
            "--role",
            "ro",
            "--all",
        ][..],
        &[
            "user",
            "add",
            "--data-dir",
            "data",
            "<b>",
            "--role",
            "ro",
            "--all",
        ][..],
        &["user", "add", "--data-dir", "data", "ro-x", "--role", "ro"][..],
        &[
            "user",
            "add",
            "--data-dir",
            "data",
            "ro-y",
            "--role",
            "king",
            "--all",
        ][..],
        &["user", "disable", "--data-dir", "data", "nobody"][..],
    ] {
        assert_eq!(code(&tallyseal(args, d)), 2, "{args:?}");
    }

    assert_eq!(
        code(&tallyseal(
            &["user", "disable", "--data-dir", "data", "ro-na46"],
            d
        )),
        0
    );
    let o = tallyseal(&["user", "reset", "--data-dir", "data", "admin1"], d);
    assert_eq!(code(&o), 0);
    assert!(String::from_utf8_lossy(&o.stdout).contains("password (shown once): "));
    let o = tallyseal(&["user", "list", "--data-dir", "data"], d);
    let list = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        list.contains("admin1\tu-") && list.contains("\tadmin\tall\tactive\tcli"),
        "{list}"
    );
    assert!(
        list.contains("\tro\tpk-2024-ge/NA-46\tdisabled\tcli"),
        "{list}"
    );
}
