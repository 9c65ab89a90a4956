//! Stripe's wire formats (pure): webhook signatures and the event envelope.

pub mod event;
pub mod form;
pub mod signature;
