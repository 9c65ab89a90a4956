//! Pure domain logic: no I/O, no clock, no JS. Unit-tested natively.

pub mod browse;
pub mod buying;
pub mod charts;
pub mod csv;
pub mod custom_id;
pub mod dates;
pub mod escrow;
pub mod fulfilment;
pub mod hex;
pub mod ids;
pub mod jobs;
pub mod json;
pub mod link_token;
pub mod listing;
pub mod markdown;
pub mod money;
pub mod oauth_state;
pub mod order;
pub mod pace;
pub mod raffle;
pub mod seller;
pub mod session;
pub mod settings;
pub mod signed;
pub mod trust;
