//! The Stripe calls C500 makes. Every POST carries an Idempotency-Key built from ids we own,
//! so a retry (a double click, a timeout) never does the work twice.

use crate::config::{self, ConfigError};
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
