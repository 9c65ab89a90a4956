#![no_main]
// src/fuzzing.rs `eventsub`: no panic, no accepted forgery.
libfuzzer_sys::fuzz_target!(|data: &[u8]| c500::fuzzing::eventsub(data));
