//! Builds the browser's verifier (`verifier-wasm/`, core's verifier for `wasm32-unknown-unknown`)
//! and leaves it at `$OUT_DIR/verifier.wasm` for the server to embed (`web::verifier_assets`):
//! the page's verification needs nothing from elsewhere at run time (`docs/portal-verifier.md`).
//!
//! The module is built by a second cargo with its own target directory (`<target>/wasm-verifier`),
//! size-optimised, when the Rust toolchain has the `wasm32-unknown-unknown` target; without it
//! (or when that build fails) the file is empty, a `cargo:warning` says why, the server serves no
//! module and the page says in-browser verification is not in this build. The test suite fails
//! on a server without it (`server/tests/it/portal_verifier.rs`).

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-unknown-unknown";
const CRATE: &str = "tallyseal-verifier-wasm";
const ARTEFACT: &str = "tallyseal_verifier_wasm.wasm";

fn main() {
    for watched in [
        "../verifier-wasm",
        "../core/src",
        "../core/Cargo.toml",
        "../Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={watched}");
    }
    let Some(out_dir) = env::var_os("OUT_DIR").map(PathBuf::from) else {
        println!("cargo:warning=OUT_DIR is not set: the browser's verifier is not built");
        return;
    };
    let dest = out_dir.join("verifier.wasm");
    let bytes = match build(&out_dir) {
        Ok(bytes) => bytes,
        Err(why) => {
            println!(
                "cargo:warning=in-browser verification is not in this build: {why} \
                 (rustup target add {TARGET})"
            );
            Vec::new()
        }
    };
    // Rewritten only when the bytes change: the server is not recompiled for nothing.
    if fs::read(&dest).ok().as_deref() != Some(bytes.as_slice())
        && let Err(e) = fs::write(&dest, bytes)
    {
        println!("cargo:warning=cannot write {}: {e}", dest.display());
    }
}

fn build(out_dir: &Path) -> Result<Vec<u8>, String> {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let sysroot = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .map_err(|e| format!("cannot run rustc: {e}"))?;
    let sysroot = String::from_utf8_lossy(&sysroot.stdout).trim().to_owned();
    let std_dir = Path::new(&sysroot)
        .join("lib/rustlib")
        .join(TARGET)
        .join("lib");
    // Adding the target later (`rustup target add`) builds the module at the next build: a path
    // that does not exist makes cargo run this script again each time.
    println!("cargo:rerun-if-changed={}", std_dir.display());
    if !std_dir.is_dir() {
        return Err(format!("the toolchain has no {TARGET} standard library"));
    }
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").ok_or("no manifest dir")?);
    let workspace = manifest_dir
        .parent()
        .ok_or("the server is not in a workspace")?;
    let target_dir = wasm_target_dir(out_dir);
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace)
        .args(["build", "--release", "--locked", "--lib", "-p", CRATE])
        .args(["--target", TARGET])
        .arg("--target-dir")
        .arg(&target_dir)
        // Small and self-contained: no debug information or symbol names, optimised for size, one
        // unit, and a panic (core promises none on input) aborts the call.
        .env("CARGO_PROFILE_RELEASE_DEBUG", "0")
        .env("CARGO_PROFILE_RELEASE_STRIP", "symbols")
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "s")
        .env("CARGO_PROFILE_RELEASE_LTO", "true")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "1")
        .env("CARGO_PROFILE_RELEASE_PANIC", "abort");
    // The outer build's settings are for the host (a lint driver, flags, its target directory).
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_BUILD_RUSTFLAGS",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run cargo for {TARGET}: {e}"))?;
    if !status.success() {
        return Err(format!("building {CRATE} for {TARGET} failed ({status})"));
    }
    let artefact = target_dir.join(TARGET).join("release").join(ARTEFACT);
    fs::read(&artefact).map_err(|e| format!("cannot read {}: {e}", artefact.display()))
}

/// `<target>/wasm-verifier`: the outer target directory is the first ancestor of `OUT_DIR` that
/// holds cargo's `CACHEDIR.TAG`; a build elsewhere keeps its module under `OUT_DIR`.
fn wasm_target_dir(out_dir: &Path) -> PathBuf {
    out_dir
        .ancestors()
        .find(|dir| dir.join("CACHEDIR.TAG").is_file())
        .map(|target| target.join("wasm-verifier"))
        .unwrap_or_else(|| out_dir.join("wasm-verifier"))
}
