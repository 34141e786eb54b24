//! What every fuzz target checks: parsing untrusted input never panics, and
//! what parses round-trips (its text parses back to the same value).

/// Text of the bytes, lossily (the parsers take `&str`).
pub fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}
