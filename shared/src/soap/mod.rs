//! The pagoPA paForNode SOAP interface: safe XML, typed requests, responses
//! that validate against pagoPA's XSD, the fault codes, and the station
//! endpoint (`station`) that maps the Nodo use cases to them.

pub mod messages;
pub mod responses;
pub mod station;
pub mod xml;
