//! Building MIME messages (RFC 5322 / 2045): UTF-8 text plus attachments.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::domain::text::Email;
use crate::ports::Mail;

/// RFC 2047 encoded-word for a header value with non-ASCII text.
fn encode_header(value: &str) -> String {
    if value.is_ascii() && !value.contains(['\r', '\n']) {
        value.to_owned()
    } else {
        format!(
            "=?UTF-8?B?{}?=",
            STANDARD.encode(value.replace(['\r', '\n'], " "))
        )
    }
}

fn wrap76(b64: &str) -> String {
    b64.as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).expect("base64 is ASCII"))
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// The whole message, ready for SES `SendEmail` raw content.
pub fn mime_message(from: &Email, mail: &Mail) -> String {
    let boundary = "=_portale_pagamenti_boundary_7c1e";
    let to = mail
        .to
        .iter()
        .map(Email::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let mut m = String::new();
    m.push_str(&format!("From: {}\r\n", from.as_str()));
    m.push_str(&format!("To: {to}\r\n"));
    m.push_str(&format!("Subject: {}\r\n", encode_header(&mail.subject)));
    m.push_str("MIME-Version: 1.0\r\n");
    m.push_str(&format!(
        "Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n"
    ));
    m.push_str(&format!("--{boundary}\r\n"));
    m.push_str(
        "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n",
    );
    m.push_str(&wrap76(&STANDARD.encode(mail.text.as_bytes())));
    m.push_str("\r\n");
    for a in &mail.attachments {
        let name = encode_header(&a.filename.replace('"', ""));
        m.push_str(&format!("--{boundary}\r\n"));
        m.push_str(&format!(
            "Content-Type: {}; name=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n\r\n",
            a.content_type
        ));
        m.push_str(&wrap76(&STANDARD.encode(&a.bytes)));
        m.push_str("\r\n");
    }
    m.push_str(&format!("--{boundary}--\r\n"));
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::Attachment;

    #[test]
    fn builds_a_multipart_message() {
        let mail = Mail {
            to: vec![Email::parse("mario.rossi@example.org").unwrap()],
            subject: "Ricevuta di pagamento: 150,50 €".into(),
            text: "Gentile utente,\nin allegato la ricevuta.".into(),
            attachments: vec![Attachment {
                filename: "ricevuta.pdf".into(),
                content_type: "application/pdf".into(),
                bytes: vec![0x25, 0x50, 0x44, 0x46],
            }],
        };
        let m = mime_message(&Email::parse("noreply@example.org").unwrap(), &mail);
        assert!(m.contains("To: mario.rossi@example.org\r\n"));
        assert!(m.contains("Subject: =?UTF-8?B?"));
        assert!(m.contains("filename=\"ricevuta.pdf\""));
        assert!(m.contains(&STANDARD.encode([0x25, 0x50, 0x44, 0x46])));
        assert!(m.lines().all(|l| l.len() <= 998));
        assert!(m.ends_with("--\r\n"));
    }

    #[test]
    fn header_injection_is_neutralised() {
        assert!(!encode_header("a\r\nBcc: x@y.z").contains('\n'));
    }
}
