#![no_main]
// src/fuzzing.rs `link_token`: no panic, no accepted forgery.
libfuzzer_sys::fuzz_target!(|data: &[u8]| c500::fuzzing::link_token(data));
