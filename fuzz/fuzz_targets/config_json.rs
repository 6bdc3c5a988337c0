//! A JSON configuration document (the C/Go constructor's input), parsed and validated.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        tokenwell::fuzzing::config(text, false);
    }
});
