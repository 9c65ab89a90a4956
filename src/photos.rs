//! Drop photos uploaded with the drop form. Discord's attachment links expire, so the file
//! is copied into KV (`photo:{listing id}`, its type in the metadata) and served by the
//! worker at `/photos/{listing id}`. An image link named in the slash command waits in KV
//! (`drop-link:{interaction id}`, one hour) until the form is sent.

use crate::config::ConfigError;
use crate::context::Cx;
use crate::discord::model::Attachment;
use crate::domain::ids::ListingId;
use crate::domain::listing::{downloaded_type_matches, on_discord_cdn, MAX_PHOTO_BYTES};
use crate::error::{Failure, UpstreamError};
use crate::http;
use serde::{Deserialize, Serialize};
use worker::{Fetch, Headers, Method, Response};

#[derive(Serialize, Deserialize)]
struct PhotoMeta {
    #[serde(rename = "type")]
    kind: String,
}

fn kv(cx: &Cx) -> Result<worker::KvStore, Failure> {
    let env = &cx.env;
    env.kv("KV")
        .map_err(|_| ConfigError::missing("the KV binding KV").into())
}

/// Copies an uploaded photo into KV for `listing`.
pub async fn keep(
    cx: &Cx,
    listing: &str,
    attachment: &Attachment,
    kind: &str,
) -> Result<(), Failure> {
    let refused = |why: String| Err(Failure::Upstream(UpstreamError(why)));
    let also = cx.env.var("DISCORD_CDN_BASE").ok().map(|v| v.to_string());
    if !on_discord_cdn(&attachment.url, also.as_deref()) {
        return refused(format!("photo not on Discord's CDN: {}", attachment.url));
    }
    let request = crate::clients::request(Method::Get, &attachment.url, &Headers::new(), None)?;
    let mut response = Fetch::Request(request).send().await?;
    if response.status_code() != 200 {
        return refused(format!(
            "photo download answered {}",
            response.status_code()
        ));
    }
    let served = response.headers().get("content-type").ok().flatten();
    if !downloaded_type_matches(served.as_deref(), kind) {
        return refused(format!("photo served as {served:?}, declared {kind}"));
    }
    // Streamed under the cap: a file bigger than declared is never buffered whole.
    let declared = response.headers().get("content-length").ok().flatten();
    let cap = usize::try_from(MAX_PHOTO_BYTES).unwrap_or(usize::MAX);
    let bytes = match http::read_capped(declared, response.stream(), cap).await {
        Ok(bytes) if !bytes.is_empty() => bytes,
        Ok(_) => return refused("empty photo".to_owned()),
        Err(e) => return refused(format!("photo download: {e:?}")),
    };
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
