//! GDAL and PROJ load on first use, not at process start.
//!
//! Why: Debian's libgdal brings 114 shared libraries, and resolving them
//! costs ~30 ms before `main` on every run, even for commands that never
//! open a GDAL dataset (`delimit village` on the embedded sample). build.rs
//! writes a stub for every C function the two libraries export; each stub
//! jumps through its slot. A slot starts at `delimit_lazy_resolve`, which
//! saves the argument registers, `dlopen`s the stub's library (once, under
//! a lock), fills all of that library's slots with `dlsym`, restores the
//! registers and jumps to the real function. Later calls cost one indirect
//! jump. The library is opened with RTLD_NOW | RTLD_GLOBAL, as the dynamic
//! loader would have at start, so GDAL's plugins and PROJ's resolution are
//! unchanged. `tests/lazylink.rs` checks that neither library is a startup
//! dependency and that every kind of command still reaches them.

#[cfg(lazy_link)]
mod imp {
    use std::ffi::CStr;
    use std::sync::Once;
    use std::sync::atomic::{AtomicUsize, Ordering};

    include!(concat!(env!("OUT_DIR"), "/lazylink.rs"));

    unsafe extern "C" {
        // Defined by the generated assembly: one code address per stub.
        static mut delimit_lazy_slots: [usize; SLOTS];
    }

    static LOADED: [Once; LIBRARIES.len()] = [const { Once::new() }; LIBRARIES.len()];

    fn slot(i: usize) -> &'static AtomicUsize {
        // SAFETY: the slots are aligned, live for the whole process, and
        // only ever accessed as whole words: by the stubs' indirect jumps
        // (reads) and here (atomic stores).
        unsafe { &*(&raw mut delimit_lazy_slots).cast::<AtomicUsize>().add(i) }
    }

    fn dlerror() -> String {
        // SAFETY: dlerror returns null or a NUL-terminated message.
        let e = unsafe { libc::dlerror() };
        if e.is_null() { "unknown error".into() } else { unsafe { CStr::from_ptr(e) }.to_string_lossy().into_owned() }
    }

    /// Called by the resolver with the slot of the first stub reached.
    extern "C" fn load(first: u32) {
        let lib = usize::from(OWNER[first as usize]);
        LOADED[lib].call_once(|| {
            let soname = LIBRARIES[lib];
            // SAFETY: a valid C string; the handle is never closed.
            let handle = unsafe { libc::dlopen(soname.as_ptr(), libc::RTLD_NOW | libc::RTLD_GLOBAL) };
            if handle.is_null() {
                eprintln!("error: cannot load {}: {}", soname.to_string_lossy(), dlerror());
                eprintln!("hint: install the runtime library (Debian: apt-get install libgdal32 libproj25)");
                std::process::exit(1);
            }
            for (i, name) in NAMES.iter().enumerate().filter(|(i, _)| usize::from(OWNER[*i]) == lib) {
                // SAFETY: valid handle and C string.
                let f = unsafe { libc::dlsym(handle, name.as_ptr()) };
                let target = if f.is_null() { delimit_lazy_missing as *const () as usize } else { f as usize };
                slot(i).store(target, Ordering::Release);
            }
        });
    }

    /// A function the build-time library had and the run-time one lacks.
    extern "C" fn missing(slot: u32) -> ! {
        let i = slot as usize;
        eprintln!(
            "error: {} has no function {} (delimit was built against another version)",
            LIBRARIES[usize::from(OWNER[i])].to_string_lossy(),
            NAMES[i].to_string_lossy()
        );
        std::process::exit(1);
    }

    unsafe extern "C" {
        fn delimit_lazy_missing();
    }

    // The SysV argument registers (rdi, rsi, rdx, rcx, r8, r9, xmm0-7, and
    // al for variadic calls) are saved around `load` and restored before
    // the jump, so the real function sees the original call; stack
    // arguments are untouched. Entry has rsp = 8 mod 16; eight pushes and
    // 136 bytes leave it 16-aligned for the call.
    ::core::arch::global_asm!(
        ".pushsection .text.delimit_lazy_resolve,\"ax\",@progbits",
        ".globl delimit_lazy_resolve",
        ".hidden delimit_lazy_resolve",
        ".p2align 4",
        "delimit_lazy_resolve:",
        "  push rdi", "  push rsi", "  push rdx", "  push rcx",
        "  push r8", "  push r9", "  push rax", "  push r11",
        "  sub rsp, 136",
        "  movdqu [rsp], xmm0", "  movdqu [rsp + 16], xmm1",
        "  movdqu [rsp + 32], xmm2", "  movdqu [rsp + 48], xmm3",
        "  movdqu [rsp + 64], xmm4", "  movdqu [rsp + 80], xmm5",
        "  movdqu [rsp + 96], xmm6", "  movdqu [rsp + 112], xmm7",
        "  mov edi, r11d",
        "  call {load}",
        "  movdqu xmm0, [rsp]", "  movdqu xmm1, [rsp + 16]",
        "  movdqu xmm2, [rsp + 32]", "  movdqu xmm3, [rsp + 48]",
        "  movdqu xmm4, [rsp + 64]", "  movdqu xmm5, [rsp + 80]",
        "  movdqu xmm6, [rsp + 96]", "  movdqu xmm7, [rsp + 112]",
        "  add rsp, 136",
        "  pop r11", "  pop rax", "  pop r9", "  pop r8",
        "  pop rcx", "  pop rdx", "  pop rsi", "  pop rdi",
        "  lea r10, [rip + delimit_lazy_slots]",
        "  jmp qword ptr [r10 + r11 * 8]",
        ".globl delimit_lazy_missing",
        ".hidden delimit_lazy_missing",
        ".p2align 4",
        "delimit_lazy_missing:",
        "  and rsp, -16",
        "  mov edi, r11d",
        "  call {missing}",
        "  ud2",
        ".popsection",
        load = sym load,
        missing = sym missing,
    );
}

#[cfg(all(test, lazy_link))]
mod tests {
    use std::ffi::{CStr, c_char};

    // Declared here, not taken from gdal-sys/proj-sys, so that the test
    // states exactly which registers carry what; the linker binds them to
    // the stubs as it does the real bindings.
    unsafe extern "C" {
        fn CPLSPrintf(fmt: *const c_char, ...) -> *const c_char;
        fn proj_dmstor(s: *const c_char, rest: *mut *mut c_char) -> f64;
        fn proj_torad(deg: f64) -> f64;
    }

    /// The first call into each library goes through the resolver, which
    /// must hand every argument register, the stack arguments and `al`
    /// (variadic) to the real function untouched. Run in a fresh process
    /// so that these really are the first calls.
    #[test]
    fn first_calls_keep_their_arguments() {
        let exe = std::env::current_exe().unwrap();
        let out = std::process::Command::new(exe)
            .args(["--ignored", "--exact", "lazylink::tests::first_calls_child", "--test-threads=1", "--nocapture"])
            .output()
            .unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "{text}");
        assert!(text.contains("1 passed"), "{text}");
    }

    #[test]
    #[ignore = "run by first_calls_keep_their_arguments in a fresh process"]
    fn first_calls_child() {
        // PROJ first: two pointers in, a double out.
        let deg = unsafe { proj_dmstor(c"45d30'".as_ptr(), std::ptr::null_mut()) };
        assert!((deg - 45.5f64.to_radians()).abs() < 1e-12, "{deg}");
        assert!((unsafe { proj_torad(180.0) } - std::f64::consts::PI).abs() < 1e-15);
        // GDAL first: a variadic call with all six integer registers, the
        // stack, and doubles in xmm0..xmm8 (one spills to the stack).
        let s = unsafe {
            CPLSPrintf(
                c"%d %s %d %d %d %d %d %.2f %.2f %.2f %.2f %.2f %.2f %.2f %.2f %.2f".as_ptr(),
                1i32, c"two".as_ptr(), 3i32, 4i32, 5i32, 6i32, 7i32,
                0.5f64, 1.5f64, 2.5f64, 3.5f64, 4.5f64, 5.5f64, 6.5f64, 7.5f64, 8.5f64,
            )
        };
        let s = unsafe { CStr::from_ptr(s) }.to_str().unwrap();
        assert_eq!(s, "1 two 3 4 5 6 7 0.50 1.50 2.50 3.50 4.50 5.50 6.50 7.50 8.50");
    }
}
