//! The Stripe calls C500 makes. Every POST carries an Idempotency-Key built from ids we own,
//! so a retry (a double click, a timeout) never does the work twice.

use crate::config::{self, ConfigError};
use crate::stripe::account::Account;
use crate::stripe::form::Form;
use serde::Deserialize;
use serde_json::Value;
use worker::{Env, Method};

#[derive(Debug)]
pub enum StripeError {
    Config(ConfigError),
    /// Stripe could not be reached, or answered with something that is not JSON.
    Transport(String),
    /// Stripe refused: its HTTP status and message.
    Api {
        status: u16,
        message: String,
    },
}

impl std::fmt::Display for StripeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StripeError::Config(e) => write!(f, "stripe: {e}"),
            StripeError::Transport(e) => write!(f, "stripe: transport: {e}"),
            StripeError::Api { status, message } => write!(f, "stripe: {status}: {message}"),
        }
    }
}

#[derive(Debug, Deserialize)]
struct Link {
    url: String,
}

pub struct Stripe {
    base: String,
    secret_key: String,
}

impl Stripe {
    pub fn from_env(env: &Env) -> Result<Stripe, StripeError> {
        let secret_key = config::secret(env, "STRIPE_SECRET_KEY").map_err(StripeError::Config)?;
        let base = env
            .var("STRIPE_API_BASE")
            .map(|v| v.to_string().trim_end_matches('/').to_owned())
            .unwrap_or_else(|_| "https://api.stripe.com".to_owned());
        Ok(Stripe { base, secret_key })
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        form: Option<&Form>,
        idempotency_key: Option<&str>,
    ) -> Result<Value, StripeError> {
        let authorization = format!("Bearer {}", self.secret_key);
        let mut headers = vec![("authorization", authorization.as_str())];
        if let Some(key) = idempotency_key {
            headers.push(("idempotency-key", key));
        }
        if form.is_some() {
            headers.push(("content-type", "application/x-www-form-urlencoded"));
        }
        let url = format!("{}{path}", self.base);
        let (status, body) = super::send(method, &url, &headers, form.map(Form::encode))
            .await
            .map_err(|e| StripeError::Transport(e.to_string()))?;
        if (200..300).contains(&status) {
            return Ok(body);
        }
        let message = body
            .pointer("/error/message")
            .and_then(Value::as_str)
            .unwrap_or("no message")
            .to_owned();
        Err(StripeError::Api { status, message })
    }

    fn parse<T: for<'de> Deserialize<'de>>(value: Value) -> Result<T, StripeError> {
        serde_json::from_value(value).map_err(|e| StripeError::Transport(e.to_string()))
    }

    /// An Express account for a Discord user; the key makes a retry return the same account.
    pub async fn create_express_account(&self, discord_id: &str) -> Result<Account, StripeError> {
        let form = Form::new()
            .field("type", "express")
            .field("capabilities[transfers][requested]", "true")
            .field("metadata[discord_id]", discord_id);
        let key = format!("c500-account-{discord_id}");
        Self::parse(
            self.call(Method::Post, "/v1/accounts", Some(&form), Some(&key))
                .await?,
        )
    }

    pub async fn account(&self, account_id: &str) -> Result<Account, StripeError> {
        Self::parse(
            self.call(
                Method::Get,
                &format!("/v1/accounts/{account_id}"),
                None,
                None,
            )
            .await?,
        )
    }

    /// An onboarding link (Express accounts use `account_onboarding` for every remaining
    /// requirement; `account_update` links are for accounts the platform collects for).
    pub async fn onboarding_link(
        &self,
        account_id: &str,
        refresh_url: &str,
        return_url: &str,
        idempotency_key: &str,
    ) -> Result<String, StripeError> {
        let form = Form::new()
            .field("account", account_id)
            .field("type", "account_onboarding")
            .field("refresh_url", refresh_url)
            .field("return_url", return_url);
        let link: Link = Self::parse(
            self.call(
                Method::Post,
                "/v1/account_links",
                Some(&form),
                Some(idempotency_key),
            )
            .await?,
        )?;
        Ok(link.url)
    }

    /// A one-time link into the Express dashboard, for accounts already enabled.
    pub async fn dashboard_link(
        &self,
        account_id: &str,
        idempotency_key: &str,
    ) -> Result<String, StripeError> {
        let path = format!("/v1/accounts/{account_id}/login_links");
        let link: Link = Self::parse(
            self.call(
                Method::Post,
                &path,
                Some(&Form::new()),
                Some(idempotency_key),
            )
            .await?,
        )?;
        Ok(link.url)
    }
}

/// A Checkout Session as C500 needs it.
#[derive(Debug, Clone, Deserialize)]
pub struct CheckoutSession {
    pub id: String,
    pub url: Option<String>,
}

impl StripeError {
    /// Worth one immediate retry with the same Idempotency-Key (Stripe replays a request
    /// that did complete, so the retry can never do the work twice).
    pub fn is_transient(&self) -> bool {
        match self {
            StripeError::Transport(_) => true,
            StripeError::Api { status, .. } => *status == 429 || *status >= 500,
            StripeError::Config(_) => false,
        }
    }
}

impl Stripe {
    /// POST with one retry on a transient failure, under the same key.
    async fn post_retrying(
        &self,
        path: &str,
        form: &Form,
        idempotency_key: &str,
    ) -> Result<Value, StripeError> {
        match self
            .call(Method::Post, path, Some(form), Some(idempotency_key))
            .await
        {
            Err(e) if e.is_transient() => {
                self.call(Method::Post, path, Some(form), Some(idempotency_key))
                    .await
            }
            other => other,
        }
    }

    /// The Checkout Session for a hold; keyed by the hold, so every click on it (and any
    /// retry) gets the same session back.
    pub async fn create_checkout_session(
        &self,
        form: &Form,
        hold_id: &str,
    ) -> Result<CheckoutSession, StripeError> {
        let key = format!("c500-checkout-{hold_id}");
        Self::parse(
            self.post_retrying("/v1/checkout/sessions", form, &key)
                .await?,
        )
    }

    /// Ends an open session so it can no longer be paid. `Ok(false)`: it was not open
    /// (already expired, or completed: then the payment webhook owns the hold).
    pub async fn expire_checkout_session(&self, session_id: &str) -> Result<bool, StripeError> {
        let key = format!("c500-expire-{session_id}");
        let path = format!("/v1/checkout/sessions/{session_id}/expire");
        match self.post_retrying(&path, &Form::new(), &key).await {
            Ok(_) => Ok(true),
            Err(StripeError::Api { status: 400, .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The session's current status (`open`, `complete` or `expired`).
    pub async fn checkout_session_status(&self, session_id: &str) -> Result<String, StripeError> {
        let value = self
            .call(
                Method::Get,
                &format!("/v1/checkout/sessions/{session_id}"),
                None,
                None,
            )
            .await?;
        Ok(value
            .get("status")
            .and_then(Value::as_str)
            .unwrap_or("unknown")
            .to_owned())
    }

    /// Refunds `amount` of a payment, for the ledger row `ledger_id` (its Idempotency-Key
    /// is `c500-{ledger_id}`, and Stripe's refund carries the row in its metadata, so the
    /// `charge.refunded` webhook knows it for C500's own).
    pub async fn refund(
        &self,
        payment_intent: &str,
        amount: i64,
        order_id: &str,
        ledger_id: &str,
    ) -> Result<String, StripeError> {
        let form = Form::new()
            .field("payment_intent", payment_intent)
            .field("amount", amount.to_string())
            .field("metadata[order_id]", order_id)
            .field("metadata[c500_ledger]", ledger_id);
        let value = self
            .post_retrying("/v1/refunds", &form, &format!("c500-{ledger_id}"))
            .await?;
        id_of(&value, "refund")
    }
}

fn id_of(value: &Value, what: &str) -> Result<String, StripeError> {
    value
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| StripeError::Transport(format!("{what} without id")))
}

/// A refund of a charge, as Stripe lists them.
#[derive(Debug, Clone, Deserialize)]
pub struct Refund {
    pub id: String,
    pub amount: i64,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub metadata: std::collections::HashMap<String, String>,
}

/// A transfer, as Stripe lists them for a transfer group.
#[derive(Debug, Clone, Deserialize)]
pub struct Transfer {
    pub id: String,
    pub amount: i64,
    #[serde(default)]
    pub amount_reversed: i64,
    #[serde(default)]
    pub metadata: std::collections::HashMap<String, String>,
}

#[derive(Debug, Deserialize)]
struct List<T> {
    data: Vec<T>,
}

impl Stripe {
    /// The charge behind a payment (a transfer's `source_transaction`).
    pub async fn payment_charge(&self, payment_intent: &str) -> Result<String, StripeError> {
        let value = self
            .call(
                Method::Get,
                &format!("/v1/payment_intents/{payment_intent}"),
                None,
                None,
            )
            .await?;
        value
            .get("latest_charge")
            .and_then(|c| c.as_str().or_else(|| c.get("id").and_then(Value::as_str)))
            .map(str::to_owned)
            .ok_or_else(|| StripeError::Transport(format!("{payment_intent} has no charge")))
    }

    /// The builder's payout: `amount` to their connected account, tied to the buyer's charge
    /// and grouped by order, for the ledger row `ledger_id` (key `c500-{ledger_id}`).
    pub async fn transfer(
        &self,
        order_id: &str,
        ledger_id: &str,
        amount: i64,
        destination: &str,
        charge: &str,
    ) -> Result<String, StripeError> {
        let form = Form::new()
            .field("amount", amount.to_string())
            .field("currency", "usd")
            .field("destination", destination)
            .field("source_transaction", charge)
            .field("transfer_group", order_id)
            .field("metadata[order_id]", order_id)
            .field("metadata[c500_ledger]", ledger_id);
        let value = self
            .post_retrying("/v1/transfers", &form, &format!("c500-{ledger_id}"))
            .await?;
        id_of(&value, "transfer")
    }

    /// Takes `amount` of a payout back from the builder (key `c500-{ledger_id}`).
    pub async fn reverse_transfer(
        &self,
        transfer: &str,
        amount: i64,
        order_id: &str,
        ledger_id: &str,
    ) -> Result<String, StripeError> {
        let form = Form::new()
            .field("amount", amount.to_string())
            .field("metadata[order_id]", order_id)
            .field("metadata[c500_ledger]", ledger_id);
        let value = self
            .post_retrying(
                &format!("/v1/transfers/{transfer}/reversals"),
                &form,
                &format!("c500-{ledger_id}"),
            )
            .await?;
        id_of(&value, "reversal")
    }

    /// Every refund of a payment (webhooks and reconciliation read them: the ledger keeps
    /// one row per refund, whoever made it).
    pub async fn refunds_of(&self, payment_intent: &str) -> Result<Vec<Refund>, StripeError> {
        self.list(&format!(
            "/v1/refunds?payment_intent={payment_intent}&limit=100"
        ))
        .await
    }

    /// Every transfer of an order (its transfer group).
    pub async fn transfers_of(&self, order_id: &str) -> Result<Vec<Transfer>, StripeError> {
        self.list(&format!(
            "/v1/transfers?transfer_group={order_id}&limit=100"
        ))
        .await
    }

    /// One page of a list (C500's lists per order stay far below 100).
    async fn list<T: for<'de> Deserialize<'de>>(&self, path: &str) -> Result<Vec<T>, StripeError> {
        let list: List<T> = Self::parse(self.call(Method::Get, path, None, None).await?)?;
        Ok(list.data)
    }
}
