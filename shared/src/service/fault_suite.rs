//! The fault-injection suite of receipt intake and delivery: for every step
//! (position read, receipt write, PDF render, read and write, mail lease,
//! mail send, owed-work updates) and every fault an adapter can produce there (the store
//! unavailable or throttled, a lost conditional check, a call that did its work
//! and then timed out; the renderer failing; the mail provider down, refusing,
//! or timing out after accepting), the Nodo's retries and the worker's retries end with exactly one
//! stored receipt, one paid option, one stored PDF and the mail sent. Run with
//! `--nocapture` it prints the table of outcomes.

use chrono::Duration;

use crate::memory::{Fakes, Fault};
use crate::ports::ReceiptRecord;
use crate::service::nodo::{self, NodoError};
use crate::service::receipts::{self, MAIL_LEASE_SECS};
use crate::service::testkit::{self, ec, entity, kit, payable, receipt};

/// Which adapter a step belongs to.
#[derive(Clone, Copy, Debug)]
enum Port {
    Store,
    Documents,
    Mailer,
    Pdf,
}

const STEPS: [(&str, Port, &str); 10] = [
    ("find_by_iuv", Port::Store, "position read"),
    ("store_receipt", Port::Store, "receipt (and payment) write"),
    ("get", Port::Documents, "PDF read from S3"),
    ("receipt", Port::Pdf, "PDF render"),
    ("put", Port::Documents, "PDF write to S3"),
    ("complete_owed", Port::Store, "PDF marked done"),
    ("claim_mail", Port::Store, "mail lease"),
    ("send", Port::Mailer, "SES send"),
    ("complete_mail", Port::Store, "mail marked sent"),
    ("get_receipt", Port::Store, "receipt read by the worker"),
];

const STORE_FAULTS: [Fault; 4] = [
    Fault::Unavailable,
    Fault::Throttled,
    Fault::Conflict,
    Fault::TimeoutAfterWrite,
];

const MAIL_FAULTS: [Fault; 3] = [
    Fault::Unavailable,
    Fault::Rejected,
    Fault::TimeoutAfterWrite,
];

/// What happened in one scenario.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    receipts: usize,
    paid_once: bool,
    pdfs: usize,
    mails: usize,
    nodo_calls: usize,
    worker_runs: usize,
}

fn faults(fakes: &Fakes, port: Port) -> &crate::memory::Faults {
    match port {
        Port::Store => &fakes.store.faults,
        Port::Documents => &fakes.documents.faults,
        Port::Mailer => &fakes.mailer.faults,
        Port::Pdf => &fakes.pdf.faults,
    }
}

async fn scenario(port: Port, op: &'static str, fault: Fault) -> Outcome {
    let (app, fakes) = kit().await;
    let (p, n) = payable(&app, "FAULT-1").await;
    faults(&fakes, port).inject(op, fault, 1);
    // The Nodo sends the receipt until it is acknowledged (or known).
    let mut nodo_calls = 0;
    loop {
        nodo_calls += 1;
        let r = receipt(&n, "rf-1", 15_050);
        match nodo::receive(&app, entity(&app), r, "<receipt/>".into(), vec![]).await {
            Ok(_) | Err(NodoError::DuplicateReceipt(_)) => break,
            Err(e) => assert!(nodo_calls < 5, "{op} {fault:?}: {e}"),
        }
    }
    // The worker runs (stream, its retries, the sweep) until nothing is owed;
    // each run a little later than the lease.
    let mut worker_runs = 0;
    let mut now = testkit::now();
    for _ in 0..10 {
        let at = testkit::at(&app, now);
        match at.receipts.get_receipt(&ec(), "rf-1").await {
            Ok(Some(r)) if r.owed.is_empty() => break,
            Ok(Some(r)) => {
                worker_runs += 1;
                let _ = receipts::deliver(&at, &r).await;
            }
            _ => {}
        }
        now += Duration::seconds(MAIL_LEASE_SECS + 1);
    }
    // The fault did happen: the step was on the path.
    assert_eq!(
        faults(&fakes, port).pending(op),
        0,
        "{op} {fault:?} never happened"
    );
    let stored: Vec<ReceiptRecord> = fakes.store.all_receipts();
    let after = app.positions.get(&ec(), &p.iupd).await.unwrap().unwrap();
    let payment = after.value.payment_options[0].payment.clone();
    Outcome {
        receipts: stored.len(),
        paid_once: after.version == 2 && payment.is_some_and(|p| p.receipt_id == "rf-1"),
        pdfs: fakes.documents.keys().len(),
        mails: fakes.mailer.sent().len(),
        nodo_calls,
        worker_runs,
    }
}

#[tokio::test]
async fn every_fault_at_every_step_ends_with_one_of_each() {
    let mut table = vec![format!(
        "| step | fault | Nodo calls | worker runs | receipts | option paid once | PDFs | mails |"
    )];
    table.push("|---|---|---:|---:|---:|---|---:|---:|".into());
    for (op, port, step) in STEPS {
        let faults: &[Fault] = match port {
            Port::Mailer => &MAIL_FAULTS,
            // A rendering either works or fails: one kind of fault.
            Port::Pdf => &[Fault::Unavailable],
            _ => &STORE_FAULTS,
        };
        for &fault in faults {
            let o = scenario(port, op, fault).await;
            table.push(format!(
                "| {step} (`{op}`) | {fault:?} | {} | {} | {} | {} | {} | {} |",
                o.nodo_calls, o.worker_runs, o.receipts, o.paid_once, o.pdfs, o.mails
            ));
            assert_eq!(o.receipts, 1, "{op} {fault:?}");
            assert!(o.paid_once, "{op} {fault:?}");
            assert_eq!(o.pdfs, 1, "{op} {fault:?}");
            // SES takes no idempotency key: a send that timed out after SES
            // accepted it cannot be told from one that failed, and is sent
            // again (at least once, never none). Every other fault: once.
            let expected = if (op, fault) == ("send", Fault::TimeoutAfterWrite) {
                2
            } else {
                1
            };
            assert_eq!(o.mails, expected, "{op} {fault:?}");
        }
    }
    println!("{}", table.join("\n"));
}
