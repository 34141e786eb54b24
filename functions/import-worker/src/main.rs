use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lambda_http::lambda_runtime::{self, service_fn, Error, LambdaEvent};

/// Rows are many small allocations freed together, where glibc's malloc
/// spends half the time (see shared/benches/import.rs).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::lambda::init_logging();
    let app = shared::App::from_env_wired::<{ import_worker::WIRING }>().await?;
    let app = &app;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            // The invocation's deadline, in milliseconds since the epoch.
            let deadline = event.context.deadline;
            let time_left = move || {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_millis() as u64)
                    .unwrap_or(0);
                Duration::from_millis(deadline.saturating_sub(now))
            };
            import_worker::handle(app, event.payload, &time_left)
                .await
                .map_err(Error::from)
        },
    ))
    .await
}
