//! The LTI 1.3 protocol: claims, login, launch verification, keys and roles, and the LTI
//! Advantage services (AGS, NRPS, client credentials, Deep Linking, Dynamic Registration).
//! No web and no SQL.

pub mod ags;
pub mod claims;
pub mod client_credentials;
pub mod deep_linking;
pub mod dynamic_registration;
pub mod http;
pub mod jwks;
pub mod keys;
pub mod launch;
pub mod nrps;
pub mod oidc;
pub mod person;
pub mod roles;
