//! Thin typed calls to the services C500 talks to, over `worker::Fetch`, each with its
//! base URL from the environment (so tests and `make dev` point them at the stand-ins).

pub mod discord;
pub mod stripe;
