//! TOTP (RFC 6238) for admins with MFA in the local AWS: turning `SOFTWARE_TOKEN_MFA` on for a
//! moto user, and computing the codes an authenticator app would show.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_config::SdkConfig;
use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, SoftwareTokenMfaSettingsType};
use secrecy::{ExposeSecret, SecretString};

use super::{LocalAwsError, LocalUserPool, aws_error, missing};

/// The length of a TOTP time step (Cognito's authenticator codes: 30 s, 6 digits, SHA-1).
pub const TOTP_STEP_SECONDS: u64 = 30;

/// Enrols `username` in TOTP MFA as an admin would with an authenticator app: a password login
/// for an access token, `AssociateSoftwareToken` (the shared secret, base32),
/// `VerifySoftwareToken` with a code from it, then `AdminSetUserMFAPreference` (enabled,
/// preferred). Returns the shared secret, from which [`totp_code`] computes codes.
///
/// moto checks TOTP codes only when its server runs with `MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP`
/// (set by [`MotoServer`](super::MotoServer) for the servers it starts).
pub async fn enable_totp_mfa(
    config: &SdkConfig,
    pool: &LocalUserPool,
    username: &str,
    password: &SecretString,
) -> Result<SecretString, LocalAwsError> {
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(config);
    let login = cognito
        .admin_initiate_auth()
        .user_pool_id(&pool.user_pool_id)
        .client_id(&pool.client_id)
        .auth_flow(AuthFlowType::AdminUserPasswordAuth)
        .auth_parameters("USERNAME", username)
        .auth_parameters("PASSWORD", password.expose_secret())
        .send()
        .await
        .map_err(|error| aws_error("AdminInitiateAuth", &error))?;
    let access_token = login
        .authentication_result()
        .and_then(|result| result.access_token())
        .ok_or_else(|| missing("AdminInitiateAuth", "AuthenticationResult.AccessToken"))?
        .to_owned();
    let associated = cognito
        .associate_software_token()
        .access_token(&access_token)
        .send()
        .await
        .map_err(|error| aws_error("AssociateSoftwareToken", &error))?;
    let secret = SecretString::from(
        associated
            .secret_code()
            .ok_or_else(|| missing("AssociateSoftwareToken", "SecretCode"))?
            .to_owned(),
    );
    let code = fresh_totp_code(&secret)
        .await
        .ok_or_else(|| missing("AssociateSoftwareToken", "a base32 SecretCode"))?;
    cognito
        .verify_software_token()
        .access_token(&access_token)
        .user_code(code)
        .friendly_device_name("postech-test-authenticator")
        .send()
        .await
        .map_err(|error| aws_error("VerifySoftwareToken", &error))?;
    cognito
        .admin_set_user_mfa_preference()
        .user_pool_id(&pool.user_pool_id)
        .username(username)
        .software_token_mfa_settings(
            SoftwareTokenMfaSettingsType::builder()
                .enabled(true)
                .preferred_mfa(true)
                .build(),
        )
        .send()
        .await
        .map_err(|error| aws_error("AdminSetUserMFAPreference", &error))?;
    Ok(secret)
}

/// The 6-digit TOTP code of the base32 `secret` at `unix_seconds` (RFC 6238: HMAC-SHA1,
/// 30-second steps, dynamic truncation); `None` when the secret is not base32.
///
/// ```
/// use postech_shared_sdk::local_aws::totp_code;
///
/// // RFC 6238, appendix B: the secret "12345678901234567890" at T = 59 s (6-digit code).
/// let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ".to_owned().into();
/// assert_eq!(totp_code(&secret, 59).as_deref(), Some("287082"));
/// ```
pub fn totp_code(secret: &SecretString, unix_seconds: u64) -> Option<String> {
    let key = base32_decode(secret.expose_secret())?;
    let counter = (unix_seconds / TOTP_STEP_SECONDS).to_be_bytes();
    let digest = hmac_sha1_compact::HMAC::mac(&counter, &key);
    let offset = usize::from(digest[19] & 0x0f);
    let word = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    Some(format!("{:06}", word % 1_000_000))
}

/// The code of the current time step, as a person reads it from an authenticator: when the
/// step ends within 3 s, after waiting for the next one, so that the code is still current
/// when the server checks it (moto accepts the current step only). `None` when the secret is
/// not base32.
pub async fn fresh_totp_code(secret: &SecretString) -> Option<String> {
    const MARGIN_SECONDS: u64 = 3;
    let into_step = unix_now() % TOTP_STEP_SECONDS;
    if into_step + MARGIN_SECONDS >= TOTP_STEP_SECONDS {
        let left = TOTP_STEP_SECONDS - into_step;
        tokio::time::sleep(std::time::Duration::from_secs(left)).await;
    }
    totp_code(secret, unix_now())
}

/// Seconds since the Unix epoch, now.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or_default()
}

/// RFC 4648 base32, case-insensitive, padding optional.
fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut bits: u64 = 0;
    let mut bit_count = 0u32;
    let mut bytes = Vec::with_capacity(text.len() * 5 / 8);
    for character in text.trim_end_matches('=').chars() {
        let value = match character.to_ascii_uppercase() {
            letter @ 'A'..='Z' => u64::from(letter) - u64::from('A'),
            digit @ '2'..='7' => u64::from(digit) - u64::from('2') + 26,
            _ => return None,
        };
        bits = (bits << 5) | value;
        bit_count += 5;
        if bit_count >= 8 {
            bit_count -= 8;
            bytes.push(((bits >> bit_count) & 0xff) as u8);
        }
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_the_rfc_6238_sha1_vectors() {
        let secret = SecretString::from("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ".to_owned());
        // RFC 6238 appendix B gives 8 digits; the 6-digit codes are their last six.
        for (time, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(
                totp_code(&secret, time).as_deref(),
                Some(code),
                "T = {time}"
            );
        }
    }

    #[test]
    fn a_secret_that_is_not_base32_gives_no_code() {
        assert_eq!(
            totp_code(&SecretString::from("not base32!".to_owned()), 59),
            None
        );
    }
}
