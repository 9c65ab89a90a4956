//! Discord's wire formats (pure): signatures, incoming interactions, outgoing messages, and
//! what its rate-limit headers say.

pub mod model;
pub mod ratelimit;
pub mod response;
pub mod signature;
