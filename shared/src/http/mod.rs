//! The HTTP edge shared by every function: one error mapping, request helpers and
//! the JSON input parser that names each invalid field.

pub mod input;
pub mod limit;
pub mod problem;
pub mod request;

pub use problem::{json_response, respond, ApiError};
pub use request::{json_body, optional_param, path_param, query_param, required_param, ApiKey};
