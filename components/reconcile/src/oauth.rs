//! The Zoho access token: kept in `tds_zoho_tokens` with its expiry, so every invocation
//! (and every copy of the component) shares one; refreshed from the refresh token when it
//! is about to expire or the API refuses it (401, code 57). The grant is a url-encoded form
//! with its `Content-Length` (never chunked). Zoho allows 10 token requests per refresh
//! token per 10 minutes, failed ones included, and then blocks it: every refresh, whether
//! it succeeded or failed, counts in the window, and past 10 reconcile waits for the
//! window instead of asking.

use serde_json::json;
use spin_sdk::http::Method;
use tds_guest::db::{Db, DbError};
use tds_guest::log::Logger;
use tds_guest::reconcile::token::{self as stored_token, SaveToken, TokenFailure, TokenName};
use tds_zoho::api::{parse_token, refresh_form};

use crate::http;
use crate::settings::{Credentials, Settings};

/// The token row's name.
const TOKEN_NAME: &str = "books";
/// A token this close to its expiry is refreshed first.
const EXPIRY_MARGIN_SECONDS: f64 = 60.0;
/// Zoho's refresh allowance per 10 minutes.
const REFRESHES_PER_WINDOW: i32 = 10;

/// Why no token could be had.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("{0}")]
    Db(#[from] DbError),
    #[error("the token refresh failed: {0}")]
    Refresh(String),
    #[error("{0} token refreshes in the last 10 minutes: Zoho allows {REFRESHES_PER_WINDOW}; waiting for the window")]
    Throttled(i32),
    #[error("{0} (earlier in this run; not asked again)")]
    Earlier(String),
}

/// An access token and what Zoho said with it.
#[derive(Debug, Clone)]
pub struct AccessToken {
    pub token: String,
    /// The organisation's API origin, as Zoho named it with the token.
    pub api_domain: Option<String>,
    /// Refreshed by this call (not read from the table).
    pub refreshed: bool,
}

/// A usable access token: the stored one while valid, else a fresh one.
pub fn access_token(
    db: &Db,
    credentials: &Credentials,
    settings: &Settings,
    log: &Logger,
) -> Result<AccessToken, TokenError> {
    let stored = stored_token::read(db, &TokenName { name: TOKEN_NAME })?;
    let valid_seconds = stored.valid_seconds.unwrap_or(f64::NEG_INFINITY);
    let refreshes = stored.refreshes_in_window;
    let api_domain = stored.api_domain;
    if let Some(token) = stored
        .access_token
        .filter(|_| valid_seconds > EXPIRY_MARGIN_SECONDS)
    {
        return Ok(AccessToken {
            token,
            api_domain,
            refreshed: false,
        });
    }
    if refreshes >= REFRESHES_PER_WINDOW {
        return Err(TokenError::Throttled(refreshes));
    }
    refresh(db, credentials, settings, log)
}

/// The stored token was refused: it is expired from now on.
pub fn expire(db: &Db, why: &str) -> Result<(), DbError> {
    stored_token::expire(
        db,
        &TokenFailure {
            name: TOKEN_NAME,
            error: why,
        },
    )
}

fn refresh(
    db: &Db,
    credentials: &Credentials,
    settings: &Settings,
    log: &Logger,
) -> Result<AccessToken, TokenError> {
    let form = refresh_form(
        &credentials.client_id,
        &credentials.client_secret,
        &credentials.refresh_token,
    );
    let url = credentials.endpoints.token_url();
    let headers = [
        (
            "content-type",
            "application/x-www-form-urlencoded".to_string(),
        ),
        ("content-length", form.len().to_string()),
    ];
    let answer = http::send(
        Method::Post,
        &url,
        &headers,
        form.into_bytes(),
        settings.request_timeout,
    )
    .and_then(|a| {
        if (200..300).contains(&a.status) {
            parse_token(&a.body).map_err(|e| e.to_string())
        } else {
            Err(format!(
                "HTTP {}: {}",
                a.status,
                String::from_utf8_lossy(&a.body[..a.body.len().min(200)])
            ))
        }
    });
    match answer {
        Ok(token) => {
            stored_token::save(
                db,
                &SaveToken {
                    name: TOKEN_NAME,
                    access_token: &token.access_token,
                    valid_seconds: i32::try_from(token.expires_in).unwrap_or(3600),
                    api_domain: token.api_domain.as_deref(),
                },
            )?;
            log.info(
                "refreshed the Zoho access token",
                json!({"expires_in": token.expires_in, "api_domain": token.api_domain}),
            );
            Ok(AccessToken {
                token: token.access_token,
                api_domain: token.api_domain,
                refreshed: true,
            })
        }
        Err(why) => {
            stored_token::refresh_failed(
                db,
                &TokenFailure {
                    name: TOKEN_NAME,
                    error: &why,
                },
            )?;
            log.warn("the Zoho token refresh failed", json!({"error": why}));
            Err(TokenError::Refresh(why))
        }
    }
}
