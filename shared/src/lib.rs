//! The domain crate of Portale dei Pagamenti, shared by every function.
//!
//! - [`domain`]: pure types and rules (notice numbers, fiscal codes, amounts, positions);
//! - [`ports`]: the traits behind which storage, documents and mail sit;
//! - [`aws`]: their DynamoDB, S3 and SES adapters;
//! - [`service`]: the use cases the functions call;
//! - [`http`]: the shared HTTP edge (errors as problem+json, request parsing);
//! - [`app`]: configuration and wiring, done once per cold start;
//! - [`auth`]: citizens' login (OpenID Connect relying party, ID token verification);
//! - `memory` (tests, feature `test-util`): in-memory adapters of every port, with faults.

pub mod app;
pub mod auth;
pub mod aws;
pub mod checkout;
pub mod domain;
pub mod fdr;
pub mod http;
pub mod lambda;
pub mod mail;
#[cfg(any(test, feature = "test-util"))]
pub mod memory;
pub mod net;
pub mod pdf;
pub mod ports;
pub mod secret;
pub mod secrets;
pub mod service;
pub mod soap;
pub mod web;

pub use app::{ApiKey, App};
