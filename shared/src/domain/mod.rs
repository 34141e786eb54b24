//! The pure domain: types that can only hold valid values, and the rules of debt
//! positions. No I/O here.

/// The conversions every string-backed domain type has: from a `String` through
/// its `parse` (how serde reads it back), into a `String`, and `Display`.
macro_rules! string_conversions {
    ($t:ident, $err:ty) => {
        impl TryFrom<String> for $t {
            type Error = $err;
            fn try_from(s: String) -> Result<Self, $err> {
                Self::parse(&s)
            }
        }

        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.as_str().to_owned()
            }
        }

        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use string_conversions;

pub mod access;
pub mod amount;
pub mod catalog;
pub mod clock;
pub mod entity;
pub mod errors;
pub mod fiscal_code;
pub mod import;
pub mod input;
pub mod intake;
pub mod lang;
pub mod notice;
pub mod position;
pub mod receipt;
pub mod reporting;
pub mod revision;
pub mod text;

pub use amount::AmountCents;
pub use entity::{Entities, Entity};
pub use errors::{FieldError, FieldErrors};
pub use fiscal_code::{EcFiscalCode, FiscalCode};
pub use lang::Lang;
pub use notice::{Iuv, NoticeNumber, SegregationCode};
pub use position::{NoticeStatus, Position, PositionDraft};
