//! Stripe's wire formats: webhook signatures, the event envelope, form encoding and the
//! Checkout Session C500 creates.

pub mod account;
pub mod checkout;
pub mod event;
pub mod form;
pub mod signature;
