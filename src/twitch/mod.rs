//! Twitch's wire formats (pure): EventSub webhook signatures and the OAuth state.

pub mod eventsub;
