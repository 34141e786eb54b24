use lambda_http::lambda_runtime::{self, service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::lambda::init_logging();
    let app = shared::App::from_env_wired::<{ receipt_worker::WIRING }>().await?;
    let app = &app;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            receipt_worker::handle(app, event.payload)
                .await
                .map_err(Error::from)
        },
    ))
    .await
}
