//! The floor for `make bench`: the default workers-rs template (its own JS entry), reading
//! the request body as any handler must (workerd resets keep-alive connections whose body
//! is left unread) and answering with a fixed JSON body.
use worker::{event, Context, Env, Request, Response, ResponseBuilder, Result};

#[event(fetch)]
async fn fetch(mut req: Request, _env: Env, _ctx: Context) -> Result<Response> {
    let _ = req.bytes().await;
    ResponseBuilder::new().with_header("content-type", "application/json")?.ok(r#"{"type":1}"#)
}
