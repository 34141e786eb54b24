//! The HTTP edge shared by every function: the status table ([`ApiError`]),
//! the mapping of use cases' errors to it (`errors`), request helpers and the
//! per-client limits.

pub mod export;
pub mod limit;
pub mod problem;
pub mod request;

pub mod errors;

pub use crate::app::ApiKey;
pub use problem::{json_response, respond, ApiError};
pub use request::{
    body_bytes, check_api_key, json_body, optional_param, path_param, query_param, required_param,
};
