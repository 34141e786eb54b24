//! Citizens' login: the portal as an OpenID Connect relying party of a SPID/CIE
//! identity gateway.
//!
//! - [`jwt`]: ID token verification against the provider's JWKS (pure);
//! - [`oidc`]: the login attempt's secrets, the [`oidc::IdentityProvider`] port
//!   and its HTTP implementation [`oidc::OidcProvider`], settings from the environment.
//!
//! Tokens are only verified here: the development identity provider's signer
//! lives in the pagoPA simulator.

pub mod jwt;
pub mod oidc;
