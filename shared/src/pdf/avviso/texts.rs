//! The avviso's words: the fixed texts of the guideline in Italian and
//! English, and the texts made of the notice's own data.

use crate::pdf::{AvvisoData, Lang};

/// Fixed texts of the guideline ("Stringhe dei testi fissi"), Italian and English.
pub(super) struct Texts {
    pub(super) lang: Lang,
    pub(super) title: &'static str,
    pub(super) payee: &'static str,
    pub(super) recipient: &'static str,
    pub(super) fiscal_code: &'static str,
    pub(super) how_much_when: &'static str,
    pub(super) how_much: &'static str,
    pub(super) due: &'static str,
    pub(super) many_details: &'static str,
    pub(super) legal: &'static str,
    pub(super) where_to_pay: &'static str,
    pub(super) cta: &'static str,
    pub(super) app_title: &'static str,
    pub(super) locally_title: &'static str,
    pub(super) locally: &'static str,
    pub(super) payment_data: &'static str,
    pub(super) full_amount: &'static str,
    pub(super) scan_beside: &'static str,
    pub(super) scan_above: &'static str,
    pub(super) l_payee: &'static str,
    pub(super) l_recipient: &'static str,
    pub(super) l_subject: &'static str,
    pub(super) l_cbill: &'static str,
    pub(super) l_notice: &'static str,
    pub(super) l_ec_cf: &'static str,
    pub(super) postal_title: &'static str,
    pub(super) postal_account: &'static str,
    pub(super) postal_holder: &'static str,
}

const IT: Texts = Texts {
    lang: Lang::It,
    title: "Avviso di pagamento",
    payee: "Ente Creditore",
    recipient: "Destinatario",
    fiscal_code: "Cod. Fiscale",
    how_much_when: "Quanto e quando pagare?",
    how_much: "Quanto pagare?",
    due: "entro il",
    many_details: "Importi e scadenze sono riportati nel dettaglio di ogni singola rata.",
    legal:
        "In fase di pagamento, se previsto dall\u{2019}ente, l'importo potrebbe essere aggiornato \
            automaticamente e subire variazioni in diminuzione (per sgravi, note di credito) o in \
            aumento (per sanzioni, interessi, ecc.).",
    where_to_pay: "Dove pagare?",
    cta: "vai su pagopa.gov.it",
    app_title: "PAGA CON L'APP IO",
    locally_title: "PAGA SUL TERRITORIO",
    locally:
        "presso Banche e Sportelli ATM, negli Uffici Postali e Punti Postali, nei Bar, Edicole, \
              Ricevitorie, Supermercati, Tabaccherie e altri Esercenti Convenzionati.",
    payment_data: "Dati per il pagamento",
    full_amount: "Rata unica",
    scan_beside: "Inquadra il codice QR con la tua app di pagamento o usa i dati accanto.",
    scan_above: "Inquadra il codice QR con la tua app di pagamento o usa i dati sopra.",
    l_payee: "Ente Creditore",
    l_recipient: "Destinatario",
    l_subject: "Oggetto del pagamento",
    l_cbill: "Cod. CBILL",
    l_notice: "Cod. Avviso",
    l_ec_cf: "Cod. Fiscale Ente",
    postal_title: "BOLLETTINO POSTALE PA",
    postal_account: "sul C/C n.",
    postal_holder: "Intestato a",
};

const EN: Texts = Texts {
    lang: Lang::En,
    title: "Payment Notice",
    payee: "Payee",
    recipient: "Recipient",
    fiscal_code: "Tax Code",
    how_much_when: "How much and when to pay?",
    how_much: "How much to pay?",
    due: "Due Date",
    many_details: "You can find due dates and amounts within each installment.",
    legal:
        "During payment, if allowed by the payee, the amount could be updated automatically and \
            be subject to changes in decrease (for allowances, credit notes) or increase (for \
            penalties, interest, etc.).",
    where_to_pay: "Where to pay?",
    cta: "Go to pagopa.gov.it",
    app_title: "PAY WITH IO APP",
    locally_title: "PAY LOCALLY",
    locally: "at Banks and ATMs, in Post Offices, Cafés, Newsagents, Betting and Tobacco Shops, \
              Supermarkets and other Enabled Merchants.",
    payment_data: "Payment details",
    full_amount: "Full amount",
    scan_beside: "Scan the QR Code with your payment app or use the data printed here.",
    scan_above: "Scan the QR Code with your payment app or use the data printed above.",
    l_payee: "Payee",
    l_recipient: "Recipient",
    l_subject: "Payment Description",
    l_cbill: "CBILL Code",
    l_notice: "Notice Code",
    l_ec_cf: "Payee Tax Code",
    postal_title: "BOLLETTINO POSTALE PA",
    postal_account: "Postal account no.",
    postal_holder: "Account holder",
};

pub(super) fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::It => &IT,
        Lang::En => &EN,
    }
}

pub(super) fn installments_info(lang: Lang, n: usize, with_full: bool) -> String {
    match (lang, with_full) {
        (Lang::It, true) => format!("Puoi pagare per intero oppure in {n} rate"),
        (Lang::It, false) => format!("Puoi pagare in {n} rate"),
        (Lang::En, true) => format!("You can pay the full amount or split in {n} installments"),
        (Lang::En, false) => format!("You can pay in {n} installments"),
    }
}

pub(super) fn installment_label(lang: Lang, n: usize) -> String {
    match lang {
        Lang::It => format!("Rata {n}"),
        Lang::En => format!("Installment #{n}"),
    }
}

/// "PAGA CON L'APP IO" text, with the EC's own channel when it has one.
pub(super) fn online_text(data: &AvvisoData) -> String {
    let channel = data
        .ec
        .online_channel
        .as_deref()
        .map(|c| c.trim().trim_end_matches(',').trim())
        .filter(|c| !c.is_empty());
    match (data.lang, channel) {
        (Lang::It, Some(c)) => format!(
            "oppure {c}, dal tuo Home Banking, con la tua app di pagamento o con gli altri canali abilitati."
        ),
        (Lang::It, None) => {
            "oppure dal tuo Home Banking, con la tua app di pagamento o con gli altri canali abilitati."
                .to_owned()
        }
        (Lang::En, Some(c)) => {
            let lower = c.to_lowercase();
            let what = match (lower.contains("sito"), lower.contains("app")) {
                (true, true) => "website or app",
                (false, true) => "app",
                _ => "website",
            };
            format!(
                "or with {}\u{2019}s {what}, your Home Banking, payment app or the other authorized channels.",
                data.ec.name.trim()
            )
        }
        (Lang::En, None) => {
            "or with your Home Banking, payment app or the other authorized channels.".to_owned()
        }
    }
}

/// Alternative text of the QR code of a payment option (`notice` as printed).
pub(super) fn qr_alt(lang: Lang, notice: &str) -> String {
    match lang {
        Lang::It => format!("Codice QR per il pagamento dell'avviso {notice}"),
        Lang::En => format!("QR code to pay the notice {notice}"),
    }
}

/// Alternative text of the Data Matrix of a Bollettino Postale PA.
pub(super) fn datamatrix_alt(lang: Lang, notice: &str) -> String {
    match lang {
        Lang::It => format!(
            "Codice Data Matrix del Bollettino Postale PA per il pagamento dell'avviso {notice}"
        ),
        Lang::En => {
            format!("Data Matrix code of the Bollettino Postale PA to pay the notice {notice}")
        }
    }
}

/// Alternative text of the EC logo.
pub(super) fn logo_alt(lang: Lang, ec_name: &str) -> String {
    match lang {
        Lang::It => format!("Logo di {ec_name}"),
        Lang::En => format!("Logo of {ec_name}"),
    }
}

/// The Poste authorisation line of a Bollettino Postale PA, `AUT.` first.
pub(super) fn aut_text(data: &AvvisoData) -> Option<String> {
    let aut = data.ec.poste_auth.as_deref()?.trim();
    if aut.is_empty() {
        None
    } else if aut.to_uppercase().starts_with("AUT") {
        Some(aut.to_owned())
    } else {
        Some(format!("AUT. {aut}"))
    }
}

/// `text` cut to the guideline's maximum length, with an ellipsis when cut.
pub(super) fn limit(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.truncate(out.trim_end().len());
    out.push('\u{2026}');
    out
}
