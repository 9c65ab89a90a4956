//! Ed25519 verification with the runtime's native WebCrypto (workerd's BoringSSL).
//!
//! Why not ed25519-dalek: compiled to wasm it costs ~0.14 ms of CPU per interaction, a third
//! of the whole request (CPU profile in docs/bench.md); the native implementation is several
//! times cheaper and is what Cloudflare recommends for Discord bots on Workers. The imported
//! key is kept for the isolate's life, so each request makes one native call.

use crate::discord::signature::{public_key, SignatureError, Signed};
use std::cell::RefCell;
use worker::js_sys::{futures::JsFuture, Array, Function, Object, Promise, Reflect, Uint8Array};
use worker::wasm_bindgen::{JsCast, JsValue};

thread_local! {
    /// (hex of the key, the imported CryptoKey)
    static KEY: RefCell<Option<(String, JsValue)>> = const { RefCell::new(None) };
}

/// Something about the key or the runtime, not the request: a 500, logged.
#[derive(Debug)]
pub struct CryptoError(pub String);

impl std::fmt::Display for CryptoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "crypto: {}", self.0)
    }
}

fn js_err(context: &str, e: JsValue) -> CryptoError {
    CryptoError(format!("{context}: {e:?}"))
}

fn subtle() -> Result<JsValue, CryptoError> {
    let crypto = Reflect::get(&worker::js_sys::global(), &"crypto".into())
        .map_err(|e| js_err("crypto", e))?;
    Reflect::get(&crypto, &"subtle".into()).map_err(|e| js_err("crypto.subtle", e))
}

fn method(target: &JsValue, name: &str) -> Result<Function, CryptoError> {
    Reflect::get(target, &name.into())
        .map_err(|e| js_err(name, e))?
        .dyn_into::<Function>()
        .map_err(|e| js_err(name, e))
}

fn ed25519_algorithm() -> Result<JsValue, CryptoError> {
    let algorithm = Object::new();
    Reflect::set(&algorithm, &"name".into(), &"Ed25519".into())
        .map_err(|e| js_err("algorithm", e))?;
    Ok(algorithm.into())
}

async fn import_key(hex_key: &str) -> Result<JsValue, CryptoError> {
    let bytes = public_key(hex_key)
        .ok_or_else(|| CryptoError("DISCORD_PUBLIC_KEY is not 64 hex digits".into()))?;
    let subtle = subtle()?;
    let usages = Array::of1(&"verify".into());
    let args = Array::of5(
        &"raw".into(),
        &Uint8Array::from(bytes.as_slice()),
        &ed25519_algorithm()?,
        &JsValue::FALSE,
        &usages,
    );
    let promise: Promise = method(&subtle, "importKey")?
        .apply(&subtle, &args)
        .map_err(|e| js_err("importKey", e))?
        .unchecked_into();
    JsFuture::from(promise)
        .await
        .map_err(|e| js_err("importKey", e))
}

async fn key_for(hex_key: &str) -> Result<JsValue, CryptoError> {
    let cached = KEY.with(|k| {
        k.borrow()
            .as_ref()
            .filter(|(h, _)| h == hex_key)
            .map(|(_, key)| key.clone())
    });
    if let Some(key) = cached {
        return Ok(key);
    }
    let key = import_key(hex_key).await?;
    KEY.with(|k| *k.borrow_mut() = Some((hex_key.to_owned(), key.clone())));
    Ok(key)
}

/// Verifies `signed` under the hex public key. `Err(Ok(_))` is the caller's fault (401);
/// `Err(Err(_))` is ours (500).
pub async fn verify_ed25519(
    hex_key: &str,
    signed: &Signed,
) -> Result<(), Result<SignatureError, CryptoError>> {
    let key = key_for(hex_key).await.map_err(Err)?;
    let subtle = subtle().map_err(Err)?;
    let args = Array::of4(
        &ed25519_algorithm().map_err(Err)?,
        &key,
        &Uint8Array::from(signed.signature.as_slice()),
        &Uint8Array::from(signed.message.as_slice()),
    );
    let promise: Promise = method(&subtle, "verify")
        .map_err(Err)?
        .apply(&subtle, &args)
        .map_err(|e| Err(js_err("verify", e)))?
        .unchecked_into();
    let valid = JsFuture::from(promise)
        .await
        .map_err(|e| Err(js_err("verify", e)))?;
    if valid.as_bool() == Some(true) {
        Ok(())
    } else {
        Err(Ok(SignatureError::Invalid))
    }
}
