//! Use cases, called by the functions' handlers. They speak domain types,
//! reach storage, mail and pagoPA only through the ports, and each returns its
//! own error type, named for what went wrong in its terms; the edges (`http`,
//! `web`, `soap`) map those to statuses, pages and fault codes. Their tests run
//! in-process on the in-memory adapters (`testkit`), with faults injected.

pub mod avviso;
pub mod catalog;
pub mod console;
#[cfg(test)]
mod fault_suite;
pub mod import_file;
pub mod imports;
pub mod keys;
pub mod ledger;
pub mod login;
pub mod me;
pub mod nodo;
pub mod notices;
pub mod operators;
pub mod payments;
pub mod positions;
pub mod receipts;
pub mod reconciliation;
#[cfg(test)]
mod revision_tests;
pub mod sessions;
pub mod spontaneous;
#[cfg(test)]
pub(crate) mod testkit;
