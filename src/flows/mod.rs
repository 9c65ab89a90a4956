//! What C500 does, written once and used by commands, pages, webhooks and cron alike. A
//! flow takes what the request knows, asks domain what to do, has store apply it, then
//! calls the clients.

pub mod buying;
pub mod escrow;
pub mod onboarding;
pub mod reconcile;
pub mod reports;
pub mod twitch;
pub mod waitlist;
