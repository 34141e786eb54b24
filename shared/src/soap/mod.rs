//! The pagoPA paForNode SOAP interface: safe XML, typed requests, responses
//! that validate against pagoPA's XSD, and the fault codes.

pub mod messages;
pub mod responses;
pub mod xml;
