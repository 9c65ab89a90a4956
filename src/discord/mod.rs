//! Discord's wire formats (pure): signatures, incoming interactions, outgoing messages.

pub mod model;
pub mod response;
pub mod signature;
