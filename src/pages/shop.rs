//! Buying on the site (issue 12.2): `POST /drops/{id}/buy`, `/line` (join the waitlist) and
//! `/enter` (enter the raffle), from a signed-in visitor's forms on the drop page. The same
//! flows as the Discord buttons (flows::buying): the same rules, the same atomic hold, the
//! same Checkout; only the words are the site's.

use super::notice::{notice, Notice};
use super::session::{self as visit, Posted};
use crate::context::Cx;
use crate::domain::buying::Refusal;
use crate::domain::ids::ListingId;
use crate::error::Failure;
use crate::flows::buying::{self, Bought, Buyer, Entered, First, Joined};
use crate::log;
use crate::messages::{self, Surface};
use serde_json::json;
use worker::{Context, Request, Response};

/// What a drop's form asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Buy,
    Line,
    Enter,
}

impl Action {
    /// `D-XXXXXXXX/buy` → (the drop, Buy).
    pub fn parse(rest: &str) -> Option<(ListingId, Action)> {
        let (id, action) = rest.split_once('/')?;
        let action = match action {
            "buy" => Action::Buy,
            "line" => Action::Line,
            "enter" => Action::Enter,
            _ => return None,
        };
        Some((ListingId::parse(id).filter(|l| l.as_str() == id)?, action))
    }

    pub fn path(self) -> &'static str {
        match self {
            Action::Buy => "buy",
            Action::Line => "line",
            Action::Enter => "enter",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Action::Buy => "🛒 Buy now",
            Action::Line => "🎟️ Join the waitlist",
            Action::Enter => "🎲 Enter the raffle",
        }
    }
}

pub async fn post(
    mut req: Request,
    cx: &Cx,
    ctx: &Context,
    listing: ListingId,
    action: Action,
) -> Response {
    let drop_path = format!("/drops/{}", listing.as_str());
    let posted = match visit::posted(&mut req, cx, &drop_path).await {
        Ok(p) => p,
        Err(answer) => return answer,
    };
    let viewer = &posted.who.viewer;
    let who = Buyer {
        id: &viewer.discord_id,
        username: &viewer.username,
    };
    crate::store::take_round_trips();
    let answer = match action {
        Action::Buy => buy(cx, ctx, &listing, &posted).await,
        Action::Line => buying::join_line(cx, &listing, &who)
            .await
            .map(|j| joined(&j, &posted, &listing)),
        Action::Enter => buying::enter_raffle(cx, &listing, &who, None)
            .await
            .map(|e| entered(&e, &posted, &listing)),
    };
    log::event(
        "web_buy_done",
        json!({ "listing": listing.as_str(), "action": action.path(), "d1_round_trips": crate::store::take_round_trips() }),
    );
    match answer {
        Ok(page) => page,
        Err(e) => {
            log::error("web_buy_failed", &e);
            let message = match e.config() {
                Some(missing) => missing.user_message(),
                None => "Nothing was charged and nothing is held. Please try again in a moment."
                    .to_owned(),
            };
            notice(
                502,
                &Notice {
                    title: "Oh no, a hiccup",
                    message,
                    back: back(&listing),
                    ..Notice::default()
                },
            )
        }
    }
}

/// Buy from the drop page: the same flow as the Discord button. When the unit is held but
/// its Checkout waits for a turn (a busy drop), the page answers at once, 202 "you're in",
/// with a button that fetches the link: Buy again reads what is held (flows::buying), and
/// the Checkout is made after the response (waitUntil), as the Discord reply is edited.
async fn buy(
    cx: &Cx,
    ctx: &Context,
    listing: &ListingId,
    posted: &Posted,
) -> Result<Response, Failure> {
    let progress = buying::Progress::default();
    let told = progress.clone();
    let (cx2, listing2) = (cx.clone(), listing.clone());
    let viewer = &posted.who.viewer;
    let (id, username) = (viewer.discord_id.clone(), viewer.username.clone());
    let mut work = Box::pin(async move {
        let who = Buyer {
            id: &id,
            username: &username,
        };
        buying::buy(&cx2, &listing2, &who, &told).await
    });
    let first = std::future::poll_fn(|task| progress.poll_first(work.as_mut(), task)).await;
    match first {
        First::Done(done) => done.map(|b| bought(&b, posted, listing)),
        First::Held(wait_ms) => {
            ctx.wait_until(async move {
                if let Err(e) = work.await {
                    log::error("web_buy_failed", &e);
                }
            });
            let form = Some((
                format!("/drops/{}/{}", listing.as_str(), Action::Buy.path()),
                "🔒 Get my checkout link".to_owned(),
                posted.who.csrf.clone(),
            ));
            Ok(answer(
                202,
                messages::held_early(wait_ms, Surface::Web),
                None,
                form,
                listing,
            ))
        }
    }
}

fn back(listing: &ListingId) -> Option<(String, String)> {
    Some((
        "Back to the drop".to_owned(),
        format!("/drops/{}", listing.as_str()),
    ))
}

/// A form that helps after a refusal: Join on a sold-out drop the buyer does not wait for
/// yet, Enter on a raffle (the same buttons the Discord reply has).
fn helping_form(
    refusal: &Refusal,
    posted: &Posted,
    listing: &ListingId,
) -> Option<(String, String, String)> {
    let action = match refusal {
        Refusal::SoldOut { place: None } | Refusal::LineFirst { place: None } => Action::Line,
        Refusal::Raffle { .. } => Action::Enter,
        _ => return None,
    };
    Some(form(action, posted, listing))
}

fn form(action: Action, posted: &Posted, listing: &ListingId) -> (String, String, String) {
    (
        format!("/drops/{}/{}", listing.as_str(), action.path()),
        action.label().to_owned(),
        posted.who.csrf.clone(),
    )
}

/// The answer page: the words, the Checkout link or the form that helps, the way back.
fn answer(
    status: u16,
    (title, message): (&'static str, String),
    link: Option<(String, String)>,
    form: Option<(String, String, String)>,
    listing: &ListingId,
) -> Response {
    notice(
        status,
        &Notice {
            title,
            message,
            link,
            form,
            back: back(listing),
        },
    )
}

fn bought(b: &Bought, posted: &Posted, listing: &ListingId) -> Response {
    let again = || Some(form(Action::Buy, posted, listing));
    let (status, link, form) = match b {
        Bought::Link { url, .. } => (
            200,
            Some(("🔒 Secure Checkout (Stripe)".to_owned(), url.clone())),
            None,
        ),
        Bought::Refused(r) => (409, None, helping_form(r, posted, listing)),
        Bought::AlmostReady | Bought::OneMoment | Bought::Busy => (409, None, again()),
        Bought::StripeUnavailable => (502, None, again()),
    };
    answer(
        status,
        messages::bought(b, Surface::Web),
        link,
        form,
        listing,
    )
}

fn joined(j: &Joined, posted: &Posted, listing: &ListingId) -> Response {
    let (status, form) = match j {
        Joined::Refused(r) => (409, helping_form(r, posted, listing)),
        Joined::Held | Joined::InLine { free_now: true, .. } => {
            (200, Some(form(Action::Buy, posted, listing)))
        }
        Joined::InLine { .. } => (200, None),
        Joined::Failed => (409, Some(form(Action::Line, posted, listing))),
    };
    answer(
        status,
        messages::joined(j, Surface::Web),
        None,
        form,
        listing,
    )
}

fn entered(e: &Entered, posted: &Posted, listing: &ListingId) -> Response {
    let (status, form) = match e {
        Entered::Refused(r) => (409, helping_form(r, posted, listing)),
        Entered::In { .. } => (200, None),
        Entered::NotARaffle => (409, Some(form(Action::Buy, posted, listing))),
        Entered::Failed => (409, Some(form(Action::Enter, posted, listing))),
        Entered::Closed
        | Entered::NotOpen { .. }
        | Entered::TooNew { .. }
        | Entered::NeedsRole { .. }
        | Entered::TierTooLow { .. } => (409, None),
    };
    answer(
        status,
        messages::entered(e, Surface::Web),
        None,
        form,
        listing,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_paths_parse_strictly() {
        let (id, action) = Action::parse("D-ABCDEFGH/buy").unwrap();
        assert_eq!((id.as_str(), action), ("D-ABCDEFGH", Action::Buy));
        assert_eq!(
            Action::parse("D-ABCDEFGH/line").map(|p| p.1),
            Some(Action::Line)
        );
        assert_eq!(
            Action::parse("D-ABCDEFGH/enter").map(|p| p.1),
            Some(Action::Enter)
        );
        assert!(Action::parse("D-ABCDEFGH/steal").is_none());
        assert!(Action::parse("D-ABCDEFGH").is_none());
        assert!(Action::parse("nope/buy").is_none());
    }
}
