//! OIDC third-party initiated login: parse the platform's initiation, build the auth request.

use serde::Deserialize;

/// The login initiation a platform sends (GET query or POST form).
#[derive(Debug, Clone, Deserialize, Default)]
pub struct LoginInitiation {
    #[serde(default)]
    pub iss: String,
    #[serde(default)]
    pub login_hint: String,
    #[serde(default)]
    pub target_link_uri: String,
    #[serde(default)]
    pub lti_message_hint: Option<String>,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub lti_deployment_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    #[error("missing parameter `{0}`")]
    Missing(&'static str),
    #[error("parameter `{0}` is not a valid URL")]
    NotUrl(&'static str),
    #[error("parameter `{0}` is too long")]
    TooLong(&'static str),
}

const MAX_PARAM: usize = 4096;

impl LoginInitiation {
    /// Checks the required parameters are there and sane.
    pub fn check(&self) -> Result<(), LoginError> {
        for (name, value) in [
            ("iss", Some(&self.iss)),
            ("login_hint", Some(&self.login_hint)),
            ("target_link_uri", Some(&self.target_link_uri)),
            ("lti_message_hint", self.lti_message_hint.as_ref()),
            ("client_id", self.client_id.as_ref()),
            ("lti_deployment_id", self.lti_deployment_id.as_ref()),
        ] {
            if value.is_some_and(|v| v.len() > MAX_PARAM) {
                return Err(LoginError::TooLong(name));
            }
        }
        if self.iss.is_empty() {
            return Err(LoginError::Missing("iss"));
        }
        if self.login_hint.is_empty() {
            return Err(LoginError::Missing("login_hint"));
        }
        if self.target_link_uri.is_empty() {
            return Err(LoginError::Missing("target_link_uri"));
        }
        url::Url::parse(&self.target_link_uri)
            .map_err(|_| LoginError::NotUrl("target_link_uri"))?;
        Ok(())
    }
}

/// Builds the platform authentication request URL (response_mode form_post, prompt none).
pub fn auth_request_url(
    auth_url: &str,
    client_id: &str,
    redirect_uri: &str,
    initiation: &LoginInitiation,
    state: &str,
    nonce: &str,
) -> Result<url::Url, LoginError> {
    let mut url = url::Url::parse(auth_url).map_err(|_| LoginError::NotUrl("auth_url"))?;
    {
        let mut query = url.query_pairs_mut();
        query
            .append_pair("scope", "openid")
            .append_pair("response_type", "id_token")
            .append_pair("response_mode", "form_post")
            .append_pair("prompt", "none")
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("login_hint", &initiation.login_hint)
            .append_pair("state", state)
            .append_pair("nonce", nonce);
        if let Some(hint) = &initiation.lti_message_hint {
            query.append_pair("lti_message_hint", hint);
        }
    }
    Ok(url)
}

/// A random URL-safe secret of 32 bytes (256 bits), for states, nonces and session tokens.
pub fn random_token() -> String {
    use base64::Engine;
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 of a secret, hex encoded: what the database keeps instead of the secret.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        secret.as_bytes(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_request_carries_every_parameter() {
        let init = LoginInitiation {
            iss: "http://127.0.0.1:8081".into(),
            login_hint: "3".into(),
            target_link_uri: "http://tool/lti/launch".into(),
            lti_message_hint: Some(r#"{"cmid":2,"launchid":"ltilaunch1_482250944"}"#.into()),
            client_id: Some("abc".into()),
            lti_deployment_id: Some("1".into()),
        };
        init.check().unwrap();
        let url = auth_request_url(
            "http://127.0.0.1:8081/mod/lti/auth.php",
            "abc",
            "http://tool/lti/launch",
            &init,
            "S",
            "N",
        )
        .unwrap();
        let pairs: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(pairs["response_type"], "id_token");
        assert_eq!(pairs["response_mode"], "form_post");
        assert_eq!(pairs["scope"], "openid");
        assert_eq!(pairs["prompt"], "none");
        assert_eq!(
            pairs["lti_message_hint"],
            r#"{"cmid":2,"launchid":"ltilaunch1_482250944"}"#
        );
        assert_eq!(pairs["state"], "S");
        assert_eq!(pairs["nonce"], "N");
    }

    #[test]
    fn initiation_requires_its_parameters() {
        let init = LoginInitiation::default();
        assert_eq!(init.check(), Err(LoginError::Missing("iss")));
        let init = LoginInitiation {
            iss: "x".into(),
            login_hint: "3".into(),
            target_link_uri: "nope".into(),
            ..Default::default()
        };
        assert_eq!(init.check(), Err(LoginError::NotUrl("target_link_uri")));
    }
}
