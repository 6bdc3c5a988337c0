//! A token endpoint's 2xx body, parsed into a token as the client does.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| tokenwell::fuzzing::token_response(data));
