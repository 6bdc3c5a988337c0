//! A shared-cache document (file cache entry or Redis value), plain and sealed.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| tokenwell::fuzzing::cache_document(data));
