#![no_main]
// src/fuzzing.rs `discord_signature`: no panic, no accepted forgery.
libfuzzer_sys::fuzz_target!(|data: &[u8]| c500::fuzzing::discord_signature(data));
