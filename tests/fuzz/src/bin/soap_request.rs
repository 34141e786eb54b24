//! paForNode requests as the Nodo sends them: every operation's parser
//! (verify, getPayment V1/V2, sendRT V1/V2 with the receipt, demand), through
//! the one entry point, with and without a SOAPAction.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        let _ = shared::soap::messages::read_request(data, None);
        let _ = shared::soap::messages::read_request(data, Some("paSendRTV2"));
    });
}
