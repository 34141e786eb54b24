//! The JSON bodies callers send: a debt position (operator API), a
//! spontaneous-payment request (citizens' API), a catalogue service.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) {
            if let Ok(draft) = shared::service::positions::parse_draft(&v) {
                // A valid draft builds, or names what breaks an invariant.
                let _ = draft.build(
                    shared::domain::EcFiscalCode::parse("77777777777").unwrap(),
                    std::iter::empty(),
                    chrono_now(),
                );
            }
            let _ = shared::service::spontaneous::parse_request(&v);
        }
        let _ = shared::domain::catalog::Service::from_json(&portale_fuzz::text(data));
    });
}

fn chrono_now() -> chrono::DateTime<chrono::Utc> {
    "2026-06-01T10:00:00Z".parse().unwrap()
}
