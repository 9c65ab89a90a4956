#![no_main]
// src/fuzzing.rs `query_string`: no panic, no accepted forgery.
libfuzzer_sys::fuzz_target!(|data: &[u8]| c500::fuzzing::query_string(data));
