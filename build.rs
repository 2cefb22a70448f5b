//! Lazy linking of GDAL and PROJ into the `delimit` binary (x86-64 Linux).
//!
//! Debian's libgdal pulls in 114 shared libraries, most with BIND_NOW, and
//! the dynamic loader spends ~30 ms resolving them before `main` runs: more
//! than half of the 50 ms a single `delimit village` query may take, and
//! paid even by commands that never touch GDAL. This script writes, for
//! every C function that libgdal and libproj export, a two-instruction stub
//! with the function's name; the binary (not the library, tests or
//! examples) includes them (`src/lazylink.rs`). The linker resolves
//! gdal-sys's and proj-sys's references to the stubs, so with rustc's
//! `--as-needed` neither library is a startup dependency any more. The
//! first call into a library `dlopen`s it and fills that library's stubs.
//!
//! Off with `--no-default-features` (or on other targets, or when the
//! libraries cannot be inspected): the binary then links them as usual.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;

/// Libraries linked lazily, by link name.
const LIBS: &[&str] = &["gdal", "proj"];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CC");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let enabled = std::env::var_os("CARGO_FEATURE_LAZY_LINK").is_some()
        && std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux")
        && std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("x86_64");
    let generated = if enabled {
        match LIBS.iter().map(|l| inspect(l)).collect::<Result<Vec<_>, String>>() {
            Ok(libs) => {
                println!("cargo:rustc-cfg=lazy_link");
                render(&libs)
            }
            Err(e) => {
                println!("cargo:warning=lazy linking off, GDAL and PROJ load at start: {e}");
                String::new()
            }
        }
    } else {
        String::new()
    };
    println!("cargo::rustc-check-cfg=cfg(lazy_link)");
    std::fs::write(out.join("lazylink.rs"), generated).expect("write OUT_DIR/lazylink.rs");
}

/// One library: its soname and exported C functions.
struct Lib {
    soname: String,
    functions: Vec<String>,
}

fn tool(cmd: &str, args: &[&str]) -> Result<String, String> {
    let o = Command::new(cmd).args(args).output().map_err(|e| format!("{cmd}: {e}"))?;
    if !o.status.success() {
        return Err(format!("{cmd} {}: {}", args.join(" "), String::from_utf8_lossy(&o.stderr).trim()));
    }
    String::from_utf8(o.stdout).map_err(|e| format!("{cmd}: {e}"))
}

fn inspect(name: &str) -> Result<Lib, String> {
    // The file the linker will use: the compiler knows the search path.
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let file = format!("lib{name}.so");
    let path = tool(&cc, &[&format!("-print-file-name={file}")])?.trim().to_string();
    if !path.contains('/') {
        return Err(format!("{file} not found by {cc}"));
    }
    println!("cargo:rerun-if-changed={path}");
    let soname = tool("objdump", &["-p", &path])?
        .lines()
        .find_map(|l| l.trim().strip_prefix("SONAME").map(|s| s.trim().to_string()))
        .ok_or_else(|| format!("{path} has no SONAME"))?;
    let mut functions: Vec<String> = tool("nm", &["-D", "--defined-only", &path])?
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (_addr, kind, sym) = (f.next()?, f.next()?, f.next()?);
            // C functions only: C++ names are not called from Rust, and a
            // data symbol cannot be stubbed (a reference to one would bring
            // the library back as a startup dependency; tests check that).
            let sym = sym.split('@').next()?;
            (kind == "T" && !sym.starts_with("_Z") && sym.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
                .then(|| sym.to_string())
        })
        .collect();
    functions.sort();
    functions.dedup();
    if functions.is_empty() {
        return Err(format!("{path} exports no C functions"));
    }
    Ok(Lib { soname, functions })
}

/// The stubs (assembly) and the tables the loader in `src/lazylink.rs` reads.
fn render(libs: &[Lib]) -> String {
    let n: usize = libs.iter().map(|l| l.functions.len()).sum();
    let mut asm = String::new();
    let mut names = String::new();
    let mut owner = String::new();
    let mut i = 0usize;
    for (li, lib) in libs.iter().enumerate() {
        for f in &lib.functions {
            // r11 is scratch in the SysV ABI and carries no argument: it
            // tells the resolver which slot to fill on the first call.
            let _ = writeln!(
                asm,
                ".globl {f}\n.hidden {f}\n.type {f},@function\n.p2align 3\n{f}:\n  mov r11d, {i}\n  jmp qword ptr [rip + delimit_lazy_slots + {off}]",
                off = i * 8
            );
            let _ = writeln!(names, "    c\"{f}\",");
            let _ = writeln!(owner, "    {li},");
            i += 1;
        }
    }
    let sonames: Vec<String> = libs.iter().map(|l| format!("c\"{}\"", l.soname)).collect();
    let mut out = String::from("// Generated by build.rs from the libraries' exported symbols. Do not edit.\n");
    let _ = writeln!(out, "/// Sonames, indexed by `OWNER`.");
    let _ = writeln!(out, "pub(crate) const LIBRARIES: [&::std::ffi::CStr; {}] = [{}];", libs.len(), sonames.join(", "));
    let _ = writeln!(out, "/// Every stubbed function, by slot.");
    let _ = writeln!(out, "pub(crate) static NAMES: [&::std::ffi::CStr; {n}] = [\n{names}];");
    let _ = writeln!(out, "/// The library of each slot.");
    let _ = writeln!(out, "pub(crate) static OWNER: [u8; {n}] = [\n{owner}];");
    let _ = writeln!(out, "/// Slot count.");
    let _ = writeln!(out, "pub(crate) const SLOTS: usize = {n};");
    // Every slot starts at the resolver; `delimit_lazy_resolve` is in
    // src/lazylink.rs.
    let _ = writeln!(
        out,
        "::core::arch::global_asm!(r##\"\n.pushsection .data.delimit_lazy_slots,\"aw\",@progbits\n.p2align 3\n.globl delimit_lazy_slots\n.hidden delimit_lazy_slots\ndelimit_lazy_slots:\n.rept {n}\n.quad delimit_lazy_resolve\n.endr\n.popsection\n.pushsection .text.delimit_lazy_stubs,\"ax\",@progbits\n{asm}.popsection\n\"##);"
    );
    out
}
