//! The error of everything that does I/O below the handlers (store, clients, flows, cron,
//! the outbox): one enum with a `From` for each kind, so code uses `?` and the kind survives
//! to the one place that logs it. What a user or a caller sees is the handler's business
//! (interactions' `UserError`, webhooks' `WebhookError`, pages' `PageError`).

/// Declares `Failure` and a `From` for each kind it keeps, from one list.
macro_rules! failures {
    ($($variant:ident($ty:ty)),* $(,)?) => {
        /// Why some I/O failed: ours, never the user's. Logged once where it ends (an
        /// interaction's `later`, a cron task, an outbox delivery) with its kind intact; an
        /// interaction shows it as a friendly `UserError`.
        #[derive(Debug)]
        pub enum Failure {
            $($variant($ty),)*
        }

        $(impl From<$ty> for Failure {
            fn from(e: $ty) -> Self {
                Failure::$variant(e)
            }
        })*
    };
}

failures!(
    Money(MoneyError),
    Store(crate::store::StoreError),
    Stripe(crate::clients::stripe::StripeError),
    Discord(crate::clients::discord::DiscordError),
    Twitch(crate::clients::twitch::TwitchError),
    Config(crate::config::ConfigError),
    Kv(worker::kv::KvError),
    Runtime(worker::Error),
    // Something that should not happen (an invariant of ours), in words.
    Bug(String),
    // An outside service answered what we cannot use (a photo download's 404), in words.
    Upstream(UpstreamError),
);

/// What an outside service answered that we cannot use.
#[derive(Debug)]
pub struct UpstreamError(pub String);

/// A money flow that could not finish (flows::escrow's `FlowError` beyond the store).
#[derive(Debug)]
pub struct MoneyError(pub &'static str);

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Store(e) => write!(f, "{e}"),
            Failure::Stripe(e) => write!(f, "{e}"),
            Failure::Discord(e) => write!(f, "{e}"),
            Failure::Twitch(e) => write!(f, "{e}"),
            Failure::Config(e) => write!(f, "{e}"),
            Failure::Money(e) => write!(f, "money: {}", e.0),
            Failure::Kv(e) => write!(f, "kv: {e}"),
            Failure::Runtime(e) => write!(f, "runtime: {e}"),
            Failure::Bug(e) => write!(f, "bug: {e}"),
            Failure::Upstream(e) => write!(f, "upstream: {}", e.0),
        }
    }
}

impl Failure {
    /// The deployment's own mistake behind this failure, if that is what it is: a user is
    /// then told which setting is missing instead of "try again".
    pub fn config(&self) -> Option<&crate::config::ConfigError> {
        use crate::clients::{discord::DiscordError, stripe::StripeError, twitch::TwitchError};
        match self {
            Failure::Config(e)
            | Failure::Stripe(StripeError::Config(e))
            | Failure::Discord(DiscordError::Config(e))
            | Failure::Twitch(TwitchError::Config(e)) => Some(e),
            _ => None,
        }
    }
}

impl From<getrandom::Error> for Failure {
    fn from(e: getrandom::Error) -> Self {
        Failure::Bug(format!("no randomness: {e}"))
    }
}

impl From<&str> for Failure {
    fn from(e: &str) -> Self {
        Failure::Bug(e.to_owned())
    }
}
