use spin_sdk::http::{IntoResponse, Request, Response};

wit_bindgen::generate!({
    world: "tds:host/cron-guest",
    path: "../../wit",
    generate_all,
});

struct Cron;

impl Guest for Cron {
    async fn handle_cron_event(metadata: spin::cron::cron_types::Metadata) -> Result<(), spin::cron::cron_types::Error> {
        let v = spin_sdk::variables::get("lane").unwrap_or_default();
        eprintln!("cron {} {v}", metadata.timestamp);
        Ok(())
    }
}

export!(Cron);

#[spin_sdk::http_component]
fn handle(_req: Request) -> anyhow::Result<impl IntoResponse> {
    Ok(Response::new(200, "ok"))
}
