//! The pure domain: types that can only hold valid values, and the rules of debt
//! positions. No I/O here.

pub mod amount;
pub mod catalog;
pub mod clock;
pub mod entity;
pub mod errors;
pub mod fiscal_code;
pub mod input;
pub mod intake;
pub mod lang;
pub mod notice;
pub mod position;
pub mod receipt;
pub mod text;

pub use amount::AmountCents;
pub use entity::{Entities, Entity};
pub use errors::{FieldError, FieldErrors};
pub use fiscal_code::{EcFiscalCode, FiscalCode};
pub use lang::Lang;
pub use notice::{Iuv, NoticeNumber, SegregationCode};
pub use position::{NoticeStatus, Position, PositionDraft};
