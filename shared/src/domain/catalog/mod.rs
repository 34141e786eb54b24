//! The service catalogue: what each EC lets citizens (and PSPs, through
//! paDemandPaymentNotice) pay without a notice. Data, not code: loaded from JSON.
//!
//! A service describes itself completely: names and texts in Italian (and
//! optionally English), the amount rule, the due date of new positions and the
//! form the citizen fills in. The form's fields are validated here, on the
//! server, for the pages and for the JSON API alike, and a template turns the
//! submitted values into the payment description.
//!
//! - [`AmountRule`] (`amount`): what a service costs;
//! - [`Label`] (`label`): texts in Italian and English;
//! - [`Field`], [`FieldType`] (`field`, `pattern`): the form's fields and their checks;
//! - [`Form`], [`FormValues`] (`form`): the form and the description template;
//! - `validate`, `problem`: the validation of a submitted form and its messages;
//! - [`Service`] (`service`, `view`): one service, and its JSON view;
//! - [`Catalog`] (`list`): a list of services checked together.

mod amount;
mod field;
mod form;
mod label;
mod list;
mod pattern;
mod problem;
mod service;
mod validate;
mod view;

#[cfg(test)]
mod test_support;

pub use amount::AmountRule;
pub use field::{
    Field, FieldType, SelectOption, MAX_OPTIONS, RESERVED_FIELD_NAMES, TEXTAREA_DEFAULT_MAX,
    TEXT_DEFAULT_MAX,
};
pub use form::{Form, FormValues, MAX_FIELDS};
pub use label::Label;
pub use list::Catalog;
pub use service::{by_demand_id, Service, MAX_DUE_DAYS};
