//! The `main` of an HTTP function: build the [`App`](crate::App) from the
//! environment once, then hand every request to the library handler.

/// Expands to a `main` that runs `handler(&App, Request) -> Response<Body>` under
/// the Lambda runtime.
#[macro_export]
macro_rules! http_main {
    ($handler:path) => {
        #[tokio::main]
        async fn main() -> Result<(), lambda_http::Error> {
            lambda_http::tracing::init_default_subscriber();
            let app = $crate::App::from_env().await?;
            let app = &app;
            lambda_http::run(lambda_http::service_fn(move |req| async move {
                Ok::<_, std::convert::Infallible>($handler(app, req).await)
            }))
            .await
        }
    };
}
