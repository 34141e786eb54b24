//! Building MIME messages (RFC 5322 / 2045) with `mail-builder`: UTF-8 text plus
//! attachments.
//!
//! mail-builder encodes what needs it: a non-ASCII subject becomes RFC 2047
//! encoded words and a line break in it cannot start a header field of its own;
//! the text goes as 7bit, quoted-printable or base64, whichever fits (line ends as
//! CRLF); attachments in base64, non-ASCII filenames as RFC 2231 parameters. It
//! adds `MIME-Version`; the `Date` is the mail's own (the app's clock), and the `Message-ID` is made here,
//! on the sender's domain (without the crate's `gethostname` feature it would say
//! `localhost`).

use mail_builder::headers::address::Address;
use mail_builder::headers::message_id::MessageId;
use mail_builder::mime::make_boundary;
use mail_builder::MessageBuilder;

use crate::domain::text::Email;
use crate::ports::Mail;

/// A new `Message-ID` (without the angle brackets) on `from`'s domain.
fn message_id(from: &Email) -> String {
    let domain = from
        .as_str()
        .rsplit_once('@')
        .map_or("localhost", |(_, d)| d);
    format!("{}@{domain}", make_boundary("."))
}

/// The whole message, ready for SES `SendEmail` raw content.
pub fn mime_message(from: &Email, mail: &Mail) -> String {
    let to: Vec<Address<'_>> = mail.to.iter().map(|e| e.as_str().into()).collect();
    let mut message = MessageBuilder::new()
        .from(from.as_str())
        .to(to)
        .subject(mail.subject.as_str())
        .date(mail.date.timestamp())
        .message_id(MessageId::new(message_id(from)))
        .text_body(mail.text.as_str());
    for a in &mail.attachments {
        // mail-builder encodes any character safely; a filename has no business
        // carrying line breaks to the reader's mail client, though.
        let filename: String = a
            .filename
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        message = message.attachment(a.content_type.as_str(), filename, a.bytes.as_slice());
    }
    message.write_to_string().expect("a built message is ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::Attachment;
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;

    /// A parsed MIME entity: its header fields (unfolded, names lower-cased) and body.
    struct Part {
        headers: Vec<(String, String)>,
        body: String,
    }

    impl Part {
        fn parse(entity: &str) -> Self {
            let (head, body) = entity.split_once("\r\n\r\n").expect("a blank line");
            let mut headers: Vec<(String, String)> = Vec::new();
            for line in head.split("\r\n") {
                if line.starts_with([' ', '\t']) {
                    headers
                        .last_mut()
                        .expect("a field to fold")
                        .1
                        .push_str(line);
                } else {
                    let (name, value) = line.split_once(':').expect("a header field");
                    headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
                }
            }
            Part {
                headers,
                body: body.to_owned(),
            }
        }

        fn all(&self, name: &str) -> Vec<&str> {
            self.headers
                .iter()
                .filter(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
                .collect()
        }

        fn header(&self, name: &str) -> &str {
            match self.all(name).as_slice() {
                [one] => one,
                other => panic!("{name}: {other:?}"),
            }
        }

        /// A parameter of a header (`boundary`, `filename`, ...), unquoted.
        fn param(&self, name: &str, param: &str) -> String {
            let value = self.header(name);
            let (_, rest) = value
                .split_once(&format!("{param}="))
                .unwrap_or_else(|| panic!("{param} in {value}"));
            let rest = rest.trim_start_matches('"');
            rest[..rest.find(['"', ';']).unwrap_or(rest.len())].to_owned()
        }

        /// The parts of a multipart entity.
        fn parts(&self) -> Vec<Part> {
            let boundary = self.param("content-type", "boundary");
            let (_, rest) = self
                .body
                .split_once(&format!("--{boundary}\r\n"))
                .expect("a first part");
            let (inner, _) = rest
                .split_once(&format!("\r\n--{boundary}--"))
                .expect("a closing boundary");
            inner
                .split(&format!("\r\n--{boundary}\r\n"))
                .map(Part::parse)
                .collect()
        }

        /// The body, transfer-decoded.
        fn decoded(&self) -> Vec<u8> {
            match self.header("content-transfer-encoding") {
                "base64" => STANDARD
                    .decode(self.body.split_whitespace().collect::<String>())
                    .expect("base64"),
                other => panic!("unexpected transfer encoding {other}"),
            }
        }
    }

    /// An unstructured header's value with its RFC 2047 encoded words (B or Q,
    /// UTF-8) decoded; the space between two encoded words is not part of the text.
    fn decode_words(value: &str) -> String {
        let mut bytes = Vec::new();
        let mut after_encoded = false;
        for (i, word) in value.split_whitespace().enumerate() {
            let encoded = word.strip_prefix("=?").and_then(|w| w.strip_suffix("?="));
            if i > 0 && !(after_encoded && encoded.is_some()) {
                bytes.push(b' ');
            }
            after_encoded = encoded.is_some();
            let Some(inner) = encoded else {
                bytes.extend(word.as_bytes());
                continue;
            };
            let mut fields = inner.splitn(3, '?');
            let (charset, encoding, text) = (
                fields.next().unwrap(),
                fields.next().unwrap(),
                fields.next().unwrap(),
            );
            assert!(charset.eq_ignore_ascii_case("utf-8"));
            match encoding {
                "B" | "b" => bytes.extend(STANDARD.decode(text).expect("base64")),
                "Q" | "q" => {
                    let mut t = text.bytes();
                    while let Some(b) = t.next() {
                        match b {
                            b'_' => bytes.push(b' '),
                            b'=' => {
                                let hex = [t.next().unwrap(), t.next().unwrap()];
                                let hex = std::str::from_utf8(&hex).unwrap();
                                bytes.push(u8::from_str_radix(hex, 16).unwrap());
                            }
                            b => bytes.push(b),
                        }
                    }
                }
                other => panic!("encoding {other}"),
            }
        }
        String::from_utf8(bytes).unwrap()
    }

    /// A quoted-printable body (RFC 2045 §6.7), decoded.
    fn decode_qp(body: &str) -> String {
        let mut bytes = Vec::new();
        let mut b = body.replace("=\r\n", "").into_bytes().into_iter();
        while let Some(c) = b.next() {
            if c == b'=' {
                let hex = [b.next().unwrap(), b.next().unwrap()];
                bytes.push(u8::from_str_radix(std::str::from_utf8(&hex).unwrap(), 16).unwrap());
            } else {
                bytes.push(c);
            }
        }
        String::from_utf8(bytes).unwrap()
    }

    fn pdf_bytes() -> Vec<u8> {
        let mut bytes = b"%PDF-1.7\n".to_vec();
        bytes.extend((0..=255u8).cycle().take(5000));
        bytes
    }

    fn receipt_mail() -> Mail {
        Mail {
            date: "2026-06-01T10:00:00Z".parse().unwrap(),
            to: vec![
                Email::parse("mario.rossi@example.org").unwrap(),
                Email::parse("chiara.conti@example.org").unwrap(),
            ],
            subject: "Ricevuta di pagamento: 150,50 €".into(),
            text: "Gentile utente,\r\nin allegato la ricevuta del pagamento di 150,50 € (più commissioni).".into(),
            attachments: vec![
                Attachment {
                    filename: "ricevuta.pdf".into(),
                    content_type: "application/pdf".into(),
                    bytes: pdf_bytes(),
                },
                Attachment {
                    filename: "avviso di pagamento è.pdf".into(),
                    content_type: "application/pdf".into(),
                    bytes: vec![0x25, 0x50, 0x44, 0x46],
                },
            ],
        }
    }

    #[test]
    fn builds_a_multipart_message() {
        let from = Email::parse("noreply@comune.example.it").unwrap();
        let m = mime_message(&from, &receipt_mail());
        assert!(m.lines().all(|l| l.len() <= 998));
        assert!(!m.replace("\r\n", "").contains(['\r', '\n']), "CRLF only");

        let message = Part::parse(&m);
        assert_eq!(message.header("from"), "<noreply@comune.example.it>");
        let to = message.header("to");
        assert!(
            to.contains("<mario.rossi@example.org>") && to.contains("<chiara.conti@example.org>")
        );
        assert_eq!(
            decode_words(message.header("subject")),
            "Ricevuta di pagamento: 150,50 €"
        );
        assert_eq!(message.header("mime-version"), "1.0");
        assert!(message
            .header("message-id")
            .ends_with("@comune.example.it>"));
        assert_eq!(message.header("date"), "Mon, 1 Jun 2026 10:00:00 +0000");
        assert!(message
            .header("content-type")
            .starts_with("multipart/mixed"));

        let parts = message.parts();
        assert_eq!(parts.len(), 3);
        let text = &parts[0];
        assert!(text
            .header("content-type")
            .to_ascii_lowercase()
            .starts_with("text/plain; charset=\"utf-8\""));
        let text_body = match text.header("content-transfer-encoding") {
            "quoted-printable" => decode_qp(&text.body),
            _ => String::from_utf8(text.decoded()).unwrap(),
        };
        assert_eq!(text_body.trim_end(), receipt_mail().text);

        let pdf = &parts[1];
        assert!(pdf.header("content-type").starts_with("application/pdf"));
        assert!(pdf.header("content-disposition").starts_with("attachment"));
        assert_eq!(pdf.param("content-disposition", "filename"), "ricevuta.pdf");
        assert_eq!(pdf.header("content-transfer-encoding"), "base64");
        assert!(pdf.body.lines().all(|l| l.len() <= 76));
        assert_eq!(pdf.decoded(), pdf_bytes());

        // A non-ASCII filename travels as an RFC 2231 parameter.
        let avviso = &parts[2];
        let disposition = avviso.header("content-disposition");
        assert!(
            disposition.contains("filename*=utf-8''avviso%20di%20pagamento%20%C3%A8.pdf")
                || disposition.contains("filename*=UTF-8''avviso%20di%20pagamento%20%C3%A8.pdf"),
            "{disposition}"
        );
        assert_eq!(avviso.decoded(), vec![0x25, 0x50, 0x44, 0x46]);
    }

    #[test]
    fn header_injection_is_neutralised() {
        let mut mail = receipt_mail();
        mail.subject = "Ricevuta\r\nBcc: spia@example.org".into();
        mail.attachments[0].filename = "a\"\r\nX-Injected: 1.pdf".into();
        let m = mime_message(&Email::parse("noreply@example.org").unwrap(), &mail);
        let message = Part::parse(&m);
        assert!(message.all("bcc").is_empty());
        assert!(!m.contains("\r\nBcc:") && !m.contains("\r\nX-Injected:"));
        assert!(decode_words(message.header("subject")).starts_with("Ricevuta"));
        let disposition = message.parts()[1].header("content-disposition").to_owned();
        assert!(!disposition.contains("%0D") && !disposition.contains("%0A"));
    }

    #[test]
    fn a_mail_without_attachments_is_plain_text() {
        let mut mail = receipt_mail();
        mail.attachments.clear();
        mail.text = "Pagamento ricevuto.".into();
        let m = mime_message(&Email::parse("noreply@example.org").unwrap(), &mail);
        let message = Part::parse(&m);
        assert!(message.header("content-type").starts_with("text/plain"));
        assert_eq!(message.body.trim_end(), "Pagamento ricevuto.");
    }
}
