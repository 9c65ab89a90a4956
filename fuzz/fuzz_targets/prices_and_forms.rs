#![no_main]
// src/fuzzing.rs `prices_and_forms`: no panic, no accepted forgery.
libfuzzer_sys::fuzz_target!(|data: &[u8]| c500::fuzzing::prices_and_forms(data));
