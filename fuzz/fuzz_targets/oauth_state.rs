#![no_main]
// src/fuzzing.rs `oauth_state`: no panic, no accepted forgery.
libfuzzer_sys::fuzz_target!(|data: &[u8]| c500::fuzzing::oauth_state(data));
