//! The `main` of an HTTP function: build the [`App`](crate::App) from the
//! environment once, then hand every request to the library handler.

/// Expands to a `main` that runs `handler(&App, Request) -> Response<Body>` under
/// the Lambda runtime, with the adapters every function has, and those named
/// (`http_main!(handler, my_function::WIRING)`, see [`crate::app::wiring`]).
#[macro_export]
macro_rules! http_main {
    ($handler:path) => {
        $crate::http_main!($handler, 0);
    };
    ($handler:path, $wiring:expr) => {
        #[tokio::main]
        async fn main() -> Result<(), lambda_http::Error> {
            $crate::lambda::init_logging();
            let app = $crate::App::from_env_wired::<{ $wiring }>().await?;
            let app = &app;
            lambda_http::run(lambda_http::service_fn(move |req| async move {
                Ok::<_, std::convert::Infallible>($handler(app, req).await)
            }))
            .await
        }
    };
}

/// Logs to standard output as Lambda's logging controls ask: the level from
/// `AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG` (a level name, e.g. `info`), else
/// INFO; JSON lines when `AWS_LAMBDA_LOG_FORMAT` is `JSON`.
///
/// Not lambda_runtime's default subscriber: its `EnvFilter` compiles regular
/// expressions to parse `RUST_LOG`, a millisecond of every cold start, for
/// per-module filters a function does not use.
pub fn init_logging() {
    let var = |name: &str| std::env::var(name).ok();
    let level = log_level(
        var("AWS_LAMBDA_LOG_LEVEL")
            .or_else(|| var("RUST_LOG"))
            .as_deref(),
    );
    let json = var("AWS_LAMBDA_LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("json"));
    let fmt = tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_max_level(level);
    // A second initialisation (tests) keeps the first subscriber.
    let _ = if json {
        fmt.json().try_init()
    } else {
        fmt.try_init()
    };
}

/// The level of a `RUST_LOG`-style setting; INFO when unset or not a level.
fn log_level(setting: Option<&str>) -> tracing_subscriber::filter::LevelFilter {
    setting
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(tracing_subscriber::filter::LevelFilter::INFO)
}

#[cfg(test)]
mod tests {
    use tracing_subscriber::filter::LevelFilter;

    #[test]
    fn the_log_level_is_a_level_name_or_info() {
        assert_eq!(super::log_level(Some("debug")), LevelFilter::DEBUG);
        assert_eq!(super::log_level(Some("WARN")), LevelFilter::WARN);
        assert_eq!(super::log_level(Some("off")), LevelFilter::OFF);
        assert_eq!(super::log_level(Some("info,hyper=warn")), LevelFilter::INFO);
        assert_eq!(super::log_level(None), LevelFilter::INFO);
    }
}
