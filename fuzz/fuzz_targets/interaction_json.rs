#![no_main]
// src/fuzzing.rs `interaction_json`: no panic, no accepted forgery.
libfuzzer_sys::fuzz_target!(|data: &[u8]| c500::fuzzing::interaction_json(data));
