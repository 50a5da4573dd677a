//! The Zoho access token's statements (`tds_store::reconcile`): read, save, expire, and a
//! failed refresh.

use tds_store::reconcile;

use crate::bind;
use crate::db::{param, Db, DbError};

/// The token row [`read`] reads (creating it).
pub struct TokenName<'a> {
    pub name: &'a str,
}

/// The stored token and its standing.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredToken {
    pub access_token: Option<String>,
    /// Seconds until it expires: negative or `None` when expired or none.
    pub valid_seconds: Option<f64>,
    /// Refreshes in the last 10 minutes.
    pub refreshes_in_window: i32,
    /// The API origin Zoho named with the token.
    pub api_domain: Option<String>,
}

/// The token (`reconcile::READ_TOKEN`).
pub fn read(db: &Db, token: &TokenName<'_>) -> Result<StoredToken, DbError> {
    let rows = db.query(
        reconcile::READ_TOKEN,
        bind!(reconcile::READ_TOKEN {
            name: param::text(token.name)
        }),
    )?;
    let row = rows.expect_row()?;
    Ok(StoredToken {
        access_token: row.opt_text("access_token")?,
        valid_seconds: row.opt_float8("valid_seconds")?,
        refreshes_in_window: row.int4("refreshes_in_window")?,
        api_domain: row.opt_text("api_domain")?,
    })
}

/// A refreshed token [`save`] stores, valid for `valid_seconds`.
pub struct SaveToken<'a> {
    pub name: &'a str,
    pub access_token: &'a str,
    pub valid_seconds: i32,
    pub api_domain: Option<&'a str>,
}

/// Stores the refreshed token, counting the refresh (`reconcile::SAVE_TOKEN`).
pub fn save(db: &Db, save: &SaveToken<'_>) -> Result<(), DbError> {
    db.execute(
        reconcile::SAVE_TOKEN,
        bind!(reconcile::SAVE_TOKEN {
            access_token: param::text(save.access_token),
            valid_seconds: param::int4(save.valid_seconds),
            api_domain: param::opt_text(save.api_domain),
            name: param::text(save.name),
        }),
    )
    .map(drop)
}

/// What went wrong with token `name`.
pub struct TokenFailure<'a> {
    pub name: &'a str,
    pub error: &'a str,
}

/// The API refused the token: it counts as expired from now (`reconcile::EXPIRE_TOKEN`).
pub fn expire(db: &Db, failure: &TokenFailure<'_>) -> Result<(), DbError> {
    db.execute(
        reconcile::EXPIRE_TOKEN,
        bind!(reconcile::EXPIRE_TOKEN {
            last_error: param::text(failure.error),
            name: param::text(failure.name),
        }),
    )
    .map(drop)
}

/// A refresh of the token failed (`reconcile::TOKEN_ERROR`).
pub fn refresh_failed(db: &Db, failure: &TokenFailure<'_>) -> Result<(), DbError> {
    db.execute(
        reconcile::TOKEN_ERROR,
        bind!(reconcile::TOKEN_ERROR {
            last_error: param::text(failure.error),
            name: param::text(failure.name),
        }),
    )
    .map(drop)
}
