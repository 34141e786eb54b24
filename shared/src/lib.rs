//! The domain crate of Portale dei Pagamenti, shared by every function.
//!
//! - [`domain`]: pure types and rules (notice numbers, fiscal codes, amounts, positions);
//! - [`ports`]: the traits behind which storage, documents and mail sit;
//! - [`aws`]: their DynamoDB, S3 and SES adapters;
//! - [`service`]: the use cases the functions call;
//! - [`http`]: the shared HTTP edge (errors as problem+json, request parsing);
//! - [`app`]: configuration and wiring, done once per cold start;
//! - [`auth`]: citizens' login (OpenID Connect relying party, ID token verification).

pub mod app;
pub mod auth;
pub mod aws;
pub mod checkout;
pub mod domain;
pub mod http;
pub mod lambda;
pub mod mail;
pub mod net;
pub mod pdf;
pub mod ports;
pub mod service;
pub mod soap;
pub mod web;

pub use app::App;
