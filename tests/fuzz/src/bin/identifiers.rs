//! Notice numbers, IUVs, fiscal codes, IBANs and e-mail addresses: never a
//! panic, and what parses prints back to itself.
use shared::domain::text::{Email, Iban};
use shared::domain::{FiscalCode, Iuv, NoticeNumber};

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let s = portale_fuzz::text(data);
        if let Ok(n) = NoticeNumber::parse(&s) {
            assert_eq!(NoticeNumber::parse(n.as_str()).unwrap(), n);
        }
        if let Ok(n) = NoticeNumber::parse_lenient(&s) {
            assert_eq!(NoticeNumber::parse(n.as_str()).unwrap(), n);
        }
        if let Ok(i) = Iuv::parse(&s) {
            assert_eq!(Iuv::parse(i.as_str()).unwrap(), i);
        }
        if let Ok(cf) = FiscalCode::parse(&s) {
            assert_eq!(FiscalCode::parse(cf.as_str()).unwrap(), cf);
        }
        if let Ok(i) = Iban::parse(&s) {
            assert_eq!(Iban::parse(i.as_str()).unwrap(), i);
        }
        if let Ok(e) = Email::parse(&s) {
            assert_eq!(Email::parse(e.as_str()).unwrap(), e);
            let _ = e.masked();
        }
    });
}
