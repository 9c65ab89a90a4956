//! Drop photos uploaded with the drop form. Discord's attachment links expire, so the file
//! is copied into KV (`photo:{listing id}`, its type in the metadata) and served by the
//! worker at `/photos/{listing id}`. An image link named in the slash command waits in KV
//! (`drop-link:{interaction id}`, one hour) until the form is sent.

use crate::discord::model::Attachment;
use crate::domain::ids::ListingId;
use crate::domain::listing::MAX_PHOTO_BYTES;
use crate::http;
use serde::{Deserialize, Serialize};
use worker::{Env, Fetch, Method, Request, RequestInit, Response};

#[derive(Serialize, Deserialize)]
struct PhotoMeta {
    #[serde(rename = "type")]
    kind: String,
}

fn kv(env: &Env) -> Result<worker::KvStore, String> {
    env.kv("KV")
        .map_err(|_| "the KV binding KV is missing".to_owned())
}

/// Copies an uploaded photo into KV for `listing`.
pub async fn keep(
    env: &Env,
    listing: &str,
    attachment: &Attachment,
    kind: &str,
) -> Result<(), String> {
    let mut init = RequestInit::new();
    init.with_method(Method::Get);
    let request = Request::new_with_init(&attachment.url, &init).map_err(|e| e.to_string())?;
    let mut response = Fetch::Request(request)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if response.status_code() != 200 {
        return Err(format!(
            "photo download answered {}",
            response.status_code()
        ));
    }
    let bytes = response.bytes().await.map_err(|e| e.to_string())?;
    if bytes.is_empty() || bytes.len() as u64 > MAX_PHOTO_BYTES {
        return Err(format!("photo of {} bytes refused", bytes.len()));
    }
    kv(env)?
        .put_bytes(&format!("photo:{listing}"), &bytes)
        .map_err(|e| e.to_string())?
        .metadata(PhotoMeta {
            kind: kind.to_owned(),
        })
        .map_err(|e| e.to_string())?
        .execute()
        .await
        .map_err(|e| e.to_string())
}

/// `GET /photos/{listing id}`. A listing's photo never changes (a new drop gets a new id),
/// so it is cached for a year.
pub async fn serve(env: &Env, id: &str) -> Response {
    let Some(listing) = ListingId::parse(id).filter(|l| l.as_str() == id) else {
        return crate::pages::not_found();
    };
    let found = match kv(env) {
        Ok(store) => store
            .get(&format!("photo:{}", listing.as_str()))
            .bytes_with_metadata::<PhotoMeta>()
            .await
            .map_err(|e| e.to_string()),
        Err(e) => Err(e),
    };
    match found {
        Ok((Some(bytes), Some(meta))) => {
            http::bytes(&meta.kind, "public, max-age=31536000, immutable", bytes)
        }
        Ok(_) => crate::pages::not_found(),
        Err(e) => {
            crate::log::error("photo_read_failed", &e);
            http::text(503, "photo unavailable")
        }
    }
}

fn draft_key(interaction_id: u64) -> String {
    format!("drop-link:{interaction_id}")
}

/// Keeps an image link from the slash command for its form (an hour is plenty).
pub async fn save_link(env: &Env, interaction_id: u64, url: &str) -> Result<(), String> {
    kv(env)?
        .put(&draft_key(interaction_id), url)
        .map_err(|e| e.to_string())?
        .expiration_ttl(3600)
        .execute()
        .await
        .map_err(|e| e.to_string())
}

/// The image link the slash command named, if it is still there.
pub async fn link(env: &Env, interaction_id: u64) -> Result<Option<String>, String> {
    kv(env)?
        .get(&draft_key(interaction_id))
        .text()
        .await
        .map_err(|e| e.to_string())
}
