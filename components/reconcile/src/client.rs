//! The Zoho Books API client of one run: paced requests (`tds_zoho::pacing`), the access
//! token from [`crate::oauth`] (refreshed once and the request repeated when the API
//! refuses it; a refresh that failed is not asked again in the same run), waits after
//! rate-limited answers, retries of passing failures, the run's time budget — a request
//! that would start after it is not sent — and the day's request budget: every request
//! sent, retries included, is counted in `tds_zoho_request_days` first, and none is sent
//! once the day's spendable budget (`tds_zoho::pull::DailyBudget`) is used up.

use serde_json::json;
use spin_sdk::http::Method;
use tds_guest::db::{Db, DbError};
use tds_guest::log::Logger;
use tds_guest::reconcile::{self, SpendRequest};
use tds_zoho::api::{judge, Verdict};
use tds_zoho::pacing::Pacer;

use crate::http;
use crate::oauth::{self, TokenError};
use crate::settings::{Credentials, Settings};

/// Why a request gave no usable answer.
#[derive(Debug, thiserror::Error)]
pub enum ApiFailure {
    #[error("the run's time budget is spent")]
    Budget,
    #[error("today's request budget ({0} requests) is spent")]
    DailyBudget(u32),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("still rate-limited after {0} waits")]
    RateLimited(u32),
    #[error("the Zoho API is unavailable: {0}")]
    Unavailable(String),
    #[error("the Zoho API refused the request: {0}")]
    Rejected(String),
    #[error("no access token: {0}")]
    Token(#[from] TokenError),
    #[error("database: {0}")]
    Db(#[from] DbError),
}

impl ApiFailure {
    /// Whether the failure says the API is down (what the circuit breaker counts).
    pub fn is_outage(&self) -> bool {
        matches!(self, ApiFailure::Unavailable(_))
    }

    /// Whether the failure ends the API work of the run: an outage, a budget spent, no
    /// token, or rate limits that would not let up. A refused or missing record does not.
    pub fn ends_api_work(&self) -> bool {
        !matches!(self, ApiFailure::NotFound(_) | ApiFailure::Rejected(_))
    }
}

/// Request figures of a run.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counters {
    pub requests: u32,
    pub rate_limited: u32,
    pub token_refreshes: u32,
    pub retries: u32,
}

pub struct Client<'a> {
    db: &'a Db,
    credentials: &'a Credentials,
    settings: &'a Settings,
    log: &'a Logger,
    pacer: Pacer,
    deadline_ms: u64,
    token: Option<oauth::AccessToken>,
    /// Why the token could not be refreshed in this run, once it could not.
    token_failure: Option<String>,
    pub counters: Counters,
}

impl<'a> Client<'a> {
    pub fn new(
        db: &'a Db,
        credentials: &'a Credentials,
        settings: &'a Settings,
        log: &'a Logger,
    ) -> Client<'a> {
        let budget = u64::try_from(settings.time_budget.as_millis()).unwrap_or(u64::MAX);
        Client {
            db,
            credentials,
            settings,
            log,
            pacer: Pacer::new(settings.requests_per_minute, settings.backoff),
            deadline_ms: http::now_ms().saturating_add(budget),
            token: None,
            token_failure: None,
            counters: Counters::default(),
        }
    }

    pub fn credentials(&self) -> &Credentials {
        self.credentials
    }

    /// Whether the time budget is spent.
    pub fn out_of_time(&self) -> bool {
        http::now_ms() >= self.deadline_ms
    }

    /// `GET url`: the body of a successful answer.
    pub fn get(&mut self, url: &str) -> Result<Vec<u8>, ApiFailure> {
        let mut refreshed_for_this = false;
        let mut failures = 0u32;
        loop {
            let wait = self.pacer.wait_ms(http::now_ms());
            if http::now_ms().saturating_add(wait) >= self.deadline_ms {
                return Err(ApiFailure::Budget);
            }
            http::sleep_ms(wait);
            let token = self.token()?;
            let budget = self.settings.daily.spendable();
            if reconcile::spend_request(self.db, &SpendRequest { budget })?.is_none() {
                return Err(ApiFailure::DailyBudget(budget));
            }
            self.pacer.sent(http::now_ms());
            self.counters.requests += 1;
            let headers = [
                ("authorization", format!("Zoho-oauthtoken {token}")),
                ("accept", "application/json".to_string()),
            ];
            let answer = http::send(
                Method::Get,
                url,
                &headers,
                Vec::new(),
                self.settings.request_timeout,
            );
            let verdict = match &answer {
                Ok(a) => judge(a.status, &a.body),
                Err(e) => Verdict::Transient(e.clone()),
            };
            match verdict {
                Verdict::Ok => {
                    self.pacer.succeeded();
                    return Ok(answer.map(|a| a.body).unwrap_or_default());
                }
                Verdict::RateLimited => {
                    self.counters.rate_limited += 1;
                    if self.pacer.rate_limited_in_a_row() >= self.settings.max_retries {
                        return Err(ApiFailure::RateLimited(self.pacer.rate_limited_in_a_row()));
                    }
                    let delay = self.pacer.rate_limited(http::now_ms());
                    self.log.warn(
                        "rate-limited by Zoho; waiting",
                        json!({"delay_ms": delay, "in_a_row": self.pacer.rate_limited_in_a_row()}),
                    );
                }
                Verdict::TokenRejected if !refreshed_for_this => {
                    refreshed_for_this = true;
                    self.token = None;
                    oauth::expire(self.db, "refused by the API")?;
                }
                Verdict::TokenRejected => {
                    return Err(ApiFailure::Rejected(
                        "a freshly refreshed access token was refused".to_string(),
                    ))
                }
                Verdict::Transient(why) => {
                    failures += 1;
                    self.pacer.succeeded();
                    if failures > self.settings.max_retries {
                        return Err(ApiFailure::Unavailable(why));
                    }
                    self.counters.retries += 1;
                    let delay = self.settings.backoff.ceiling_ms(failures);
                    self.log.warn(
                        "Zoho API request failed; retrying",
                        json!({"error": why, "delay_ms": delay}),
                    );
                    http::sleep_ms(delay.min(self.deadline_ms.saturating_sub(http::now_ms())));
                }
                Verdict::NotFound(why) => {
                    self.pacer.succeeded();
                    return Err(ApiFailure::NotFound(why));
                }
                Verdict::Permanent(why) => return Err(ApiFailure::Rejected(why)),
            }
        }
    }

    fn token(&mut self) -> Result<String, ApiFailure> {
        Ok(self.access_token()?.token.clone())
    }

    fn access_token(&mut self) -> Result<&oauth::AccessToken, ApiFailure> {
        let token = match self.token.take() {
            Some(token) => token,
            None => {
                if let Some(why) = &self.token_failure {
                    return Err(TokenError::Earlier(why.clone()).into());
                }
                let token =
                    match oauth::access_token(self.db, self.credentials, self.settings, self.log) {
                        Ok(token) => token,
                        Err(TokenError::Db(e)) => return Err(ApiFailure::Db(e)),
                        Err(e) => {
                            self.token_failure = Some(e.to_string());
                            return Err(e.into());
                        }
                    };
                if token.refreshed {
                    self.counters.token_refreshes += 1;
                }
                token
            }
        };
        Ok(self.token.insert(token))
    }

    /// The API root to call: the organisation's API domain as Zoho named it with the
    /// token, unless `zoho_api_url` overrides it (see `Endpoints::api_url_for`).
    pub fn api_url(&mut self) -> Result<String, ApiFailure> {
        let endpoints = &self.credentials.endpoints;
        let api_domain = self.access_token()?.api_domain.clone();
        Ok(endpoints.api_url_for(api_domain.as_deref()))
    }
}
