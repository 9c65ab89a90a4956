#![no_main]
// src/fuzzing.rs `stripe_webhook`: no panic, no accepted forgery.
libfuzzer_sys::fuzz_target!(|data: &[u8]| c500::fuzzing::stripe_webhook(data));
