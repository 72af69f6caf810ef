//! The tool's RSA signing keys: generation, their `kid`, the public JWKS and JWT signing.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("RSA key generation failed")]
    Generate,
    #[error("stored key is unusable: {0}")]
    Invalid(String),
    #[error("signing failed: {0}")]
    Sign(String),
}

/// A tool key ready to sign.
#[derive(Clone)]
pub struct ToolKey {
    pub kid: String,
    encoding: EncodingKey,
    pub public_jwk: Jwk,
}

impl std::fmt::Debug for ToolKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolKey").field("kid", &self.kid).finish()
    }
}

/// A freshly generated key in its stored form.
pub struct GeneratedKey {
    pub kid: String,
    pub private_pem: String,
    pub public_jwk_json: String,
}

/// Generates a 2048-bit RSA key; its `kid` is the RFC 7638 thumbprint of the public key.
pub fn generate() -> Result<GeneratedKey, KeyError> {
    let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|_| KeyError::Generate)?;
    let der = pair.as_der().map_err(|_| KeyError::Generate)?;
    let private_pem = pem::encode(&pem::Pem::new("PRIVATE KEY", der.as_ref().to_vec()));
    let key = ToolKey::from_pem_with_kid(&private_pem, None)?;
    let public_jwk_json =
        serde_json::to_string(&key.public_jwk).map_err(|e| KeyError::Invalid(e.to_string()))?;
    Ok(GeneratedKey {
        kid: key.kid,
        private_pem,
        public_jwk_json,
    })
}

impl ToolKey {
    /// Loads a key from its PKCS#8 PEM; the `kid` is computed when not given.
    pub fn from_pem_with_kid(private_pem: &str, kid: Option<&str>) -> Result<Self, KeyError> {
        let encoding = EncodingKey::from_rsa_pem(private_pem.as_bytes())
            .map_err(|e| KeyError::Invalid(e.to_string()))?;
        let mut jwk = Jwk::from_encoding_key(&encoding, Algorithm::RS256)
            .map_err(|e| KeyError::Invalid(e.to_string()))?;
        let kid = match kid {
            Some(k) => k.to_string(),
            None => jwk
                .thumbprint(ThumbprintHash::SHA256)
                .map_err(|e| KeyError::Invalid(e.to_string()))?,
        };
        jwk.common.key_id = Some(kid.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        jwk.common.key_algorithm = Some(KeyAlgorithm::RS256);
        Ok(Self {
            kid,
            encoding,
            public_jwk: jwk,
        })
    }

    /// Signs claims as an RS256 JWT with this key's `kid` in the header.
    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String, KeyError> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        header.typ = Some("JWT".into());
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .map_err(|e| KeyError::Sign(e.to_string()))
    }
}

/// Builds the public JWKS from stored public JWKs (JSON).
pub fn jwks_from_json<'a>(jwks: impl IntoIterator<Item = &'a str>) -> Result<JwkSet, KeyError> {
    let keys = jwks
        .into_iter()
        .map(|j| serde_json::from_str::<Jwk>(j).map_err(|e| KeyError::Invalid(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(JwkSet { keys })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_key_signs_and_verifies_with_its_jwk() {
        let generated = generate().expect("generate");
        let key = ToolKey::from_pem_with_kid(&generated.private_pem, Some(&generated.kid)).unwrap();
        let token = key
            .sign(&serde_json::json!({"sub": "x", "exp": 4_000_000_000u64}))
            .unwrap();
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.kid.as_deref(), Some(generated.kid.as_str()));
        let set = jwks_from_json([generated.public_jwk_json.as_str()]).unwrap();
        let jwk = set.find(&generated.kid).expect("kid published");
        let decoding = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
        let mut validation = jsonwebtoken::Validation::new(Algorithm::RS256);
        validation.validate_aud = false;
        let data =
            jsonwebtoken::decode::<serde_json::Value>(&token, &decoding, &validation).unwrap();
        assert_eq!(data.claims["sub"], "x");
        assert!(
            !generated.public_jwk_json.contains("\"d\""),
            "no private part in the JWK"
        );
    }
}
