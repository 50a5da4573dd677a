//! The operator dashboard (public shell, no data of its own): `GET /dashboard` serves the
//! page, `GET /dashboard/app.js` and `/dashboard/app.css` its script and styles, all built
//! into the component (no CDN). The page asks once for the stats token, keeps it in
//! `sessionStorage`, and calls the API with it. `GET /` redirects to the dashboard.

use tds_guest::http::HttpError;

use crate::api::{Answer, ApiResult, Ctx};

const PAGE: &str = include_str!("../assets/dashboard.html");
const SCRIPT: &str = include_str!("../assets/dashboard.js");
const STYLES: &str = include_str!("../assets/dashboard.css");

pub fn root(_ctx: &Ctx) -> ApiResult {
    Ok(Answer::Redirect("/dashboard"))
}

pub fn page(ctx: &Ctx) -> ApiResult {
    ctx.params(&[])?;
    Ok(Answer::Static {
        content_type: "text/html; charset=utf-8",
        body: PAGE.to_string(),
    })
}

pub fn asset(ctx: &Ctx, name: &str) -> ApiResult {
    ctx.params(&[])?;
    let (content_type, body) = match name {
        "app.js" => ("text/javascript; charset=utf-8", SCRIPT),
        "app.css" => ("text/css; charset=utf-8", STYLES),
        _ => return Err(HttpError::not_found(format!("no dashboard file {name:?}"))),
    };
    Ok(Answer::Static {
        content_type,
        body: body.to_string(),
    })
}
