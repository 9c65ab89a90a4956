#![no_main]
// src/fuzzing.rs `custom_id`: no panic, no accepted forgery.
libfuzzer_sys::fuzz_target!(|data: &[u8]| c500::fuzzing::custom_id(data));
