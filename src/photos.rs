//! Drop photos uploaded with the drop form. Discord's attachment links expire, so the file
//! is copied into KV (`photo:{listing id}`, its type in the metadata) and served by the
//! worker at `/photos/{listing id}`. An image link named in the slash command waits in KV
//! (`drop-link:{interaction id}`, one hour) until the form is sent.

use crate::config::ConfigError;
use crate::context::Cx;
use crate::discord::model::Attachment;
use crate::domain::ids::ListingId;
use crate::domain::listing::MAX_PHOTO_BYTES;
use crate::error::{Failure, UpstreamError};
use crate::http;
use serde::{Deserialize, Serialize};
use worker::{Fetch, Method, Request, RequestInit, Response};

#[derive(Serialize, Deserialize)]
struct PhotoMeta {
    #[serde(rename = "type")]
    kind: String,
}

fn kv(cx: &Cx) -> Result<worker::KvStore, Failure> {
    let env = &cx.env;
    env.kv("KV")
        .map_err(|_| ConfigError("the KV binding KV is missing").into())
}

/// Copies an uploaded photo into KV for `listing`.
pub async fn keep(
    cx: &Cx,
    listing: &str,
    attachment: &Attachment,
    kind: &str,
) -> Result<(), Failure> {
    let mut init = RequestInit::new();
    init.with_method(Method::Get);
    let request = Request::new_with_init(&attachment.url, &init)?;
    let mut response = Fetch::Request(request).send().await?;
    if response.status_code() != 200 {
        return Err(Failure::Upstream(UpstreamError(format!(
            "photo download answered {}",
            response.status_code()
        ))));
    }
    let bytes = response.bytes().await?;
    if bytes.is_empty() || bytes.len() as u64 > MAX_PHOTO_BYTES {
        return Err(Failure::Upstream(UpstreamError(format!(
            "photo of {} bytes refused",
            bytes.len()
        ))));
    }
    kv(cx)?
        .put_bytes(&format!("photo:{listing}"), &bytes)?
        .metadata(PhotoMeta {
            kind: kind.to_owned(),
        })?
        .execute()
        .await?;
    Ok(())
}

/// `GET /photos/{listing id}`. A listing's photo never changes (a new drop gets a new id),
/// so it is cached for a year.
pub async fn serve(cx: &Cx, id: &str) -> Response {
    let Some(listing) = ListingId::parse(id).filter(|l| l.as_str() == id) else {
        return crate::pages::not_found();
    };
    let found = match kv(cx) {
        Ok(store) => store
            .get(&format!("photo:{}", listing.as_str()))
            .bytes_with_metadata::<PhotoMeta>()
            .await
            .map_err(Failure::from),
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
pub async fn save_link(cx: &Cx, interaction_id: u64, url: &str) -> Result<(), Failure> {
    kv(cx)?
        .put(&draft_key(interaction_id), url)?
        .expiration_ttl(3600)
        .execute()
        .await?;
    Ok(())
}

/// The image link the slash command named, if it is still there.
pub async fn link(cx: &Cx, interaction_id: u64) -> Result<Option<String>, Failure> {
    Ok(kv(cx)?.get(&draft_key(interaction_id)).text().await?)
}
