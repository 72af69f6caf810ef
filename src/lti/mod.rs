//! The LTI 1.3 protocol: claims, login, launch verification, keys and roles (no web, no SQL).

pub mod claims;
pub mod jwks;
pub mod keys;
pub mod launch;
pub mod oidc;
pub mod roles;
