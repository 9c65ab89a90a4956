//! A Stripe Connect account, as C500 reads it (the API's and account.updated's object).

use serde::Deserialize;

/// A connected account as C500 needs it.
#[derive(Debug, Clone, Deserialize)]
pub struct Account {
    pub id: String,
    #[serde(default)]
    pub charges_enabled: bool,
    #[serde(default)]
    pub payouts_enabled: bool,
    #[serde(default)]
    pub details_submitted: bool,
}
