//! Use cases, called by the functions' handlers. They speak domain types and
//! [`crate::http::ApiError`], and reach storage only through the ports.

pub mod avviso;
pub mod login;
pub mod me;
pub mod nodo;
pub mod notices;
pub mod payments;
pub mod positions;
pub mod receipts;
pub mod sessions;
pub mod spontaneous;
