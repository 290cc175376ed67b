//! SCRAM-SHA-256 password verifiers, computed on the client.
//!
//! The migrator sets the app role's password with `ALTER ROLE ... PASSWORD '<verifier>'`
//! instead of the password itself, as `psql`'s `\password` does: the server stores a
//! verifier it is given unchanged, and statement logging (RDS logs DDL with
//! `log_statement = ddl`) then records a salted hash, never the password.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::error::MigratorError;

/// PostgreSQL's default iteration count (`scram_iterations`).
pub const SCRAM_ITERATIONS: u32 = 4096;

const SALT_LENGTH: usize = 16;

/// The verifier PostgreSQL stores in `pg_authid.rolpassword` for `password`, `salt` and
/// `iterations`: `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` (RFC 5802,
/// RFC 7677), all three values in base64.
///
/// The password must be printable ASCII: PostgreSQL runs passwords through SASLprep, which
/// is the identity on printable ASCII; this crate does not implement SASLprep for the rest.
///
/// ```
/// let verifier = postech_database::scram::scram_sha256_verifier("pencil", b"0123456789abcdef", 4096)?;
/// assert!(verifier.starts_with("SCRAM-SHA-256$4096:MDEyMzQ1Njc4OWFiY2RlZg==$"));
/// # Ok::<(), postech_database::MigratorError>(())
/// ```
pub fn scram_sha256_verifier(
    password: &str,
    salt: &[u8],
    iterations: u32,
) -> Result<String, MigratorError> {
    check_password(password)?;
    let mut salted_password = [0_u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt, iterations, &mut salted_password);
    let client_key = hmac_sha256(&salted_password, b"Client Key");
    let stored_key = Sha256::digest(client_key);
    let server_key = hmac_sha256(&salted_password, b"Server Key");
    Ok(format!(
        "SCRAM-SHA-256${iterations}:{}${}:{}",
        BASE64.encode(salt),
        BASE64.encode(stored_key),
        BASE64.encode(server_key)
    ))
}

/// A verifier for `password` with a fresh random salt and [`SCRAM_ITERATIONS`].
pub fn new_scram_sha256_verifier(password: &str) -> Result<String, MigratorError> {
    let mut salt = [0_u8; SALT_LENGTH];
    getrandom::fill(&mut salt).map_err(|error| MigratorError::Randomness(error.to_string()))?;
    scram_sha256_verifier(password, &salt, SCRAM_ITERATIONS)
}

fn check_password(password: &str) -> Result<(), MigratorError> {
    if password.is_empty() {
        return Err(MigratorError::UnsupportedPassword("it is empty"));
    }
    if !password.bytes().all(|byte| (0x20..=0x7e).contains(&byte)) {
        return Err(MigratorError::UnsupportedPassword(
            "only printable ASCII characters are supported (SASLprep is not implemented)",
        ));
    }
    Ok(())
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC-SHA-256 takes keys of any length"),
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7677 section 3: user "user", password "pencil". A verifier is right when the
    /// RFC's client proof opens to a ClientKey whose hash is our StoredKey, and our
    /// ServerKey signs the exchange as the RFC's server did.
    #[test]
    fn verifier_matches_the_rfc_7677_exchange() {
        let salt = BASE64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").expect("base64");
        let verifier = scram_sha256_verifier("pencil", &salt, 4096).expect("printable password");
        let (stored_key, server_key) = keys_of(&verifier);

        let auth_message = "n=user,r=rOprNGfwEbeRWgbNEkqO,\
            r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,\
            c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
        let server_signature = hmac_sha256(&server_key, auth_message.as_bytes());
        assert_eq!(
            BASE64.encode(server_signature),
            "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
        );

        let client_proof = BASE64
            .decode("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
            .expect("base64");
        let client_signature = hmac_sha256(&stored_key, auth_message.as_bytes());
        let client_key: Vec<u8> = client_proof
            .iter()
            .zip(client_signature)
            .map(|(p, s)| p ^ s)
            .collect();
        assert_eq!(
            Sha256::digest(&client_key).as_slice(),
            stored_key.as_slice()
        );
    }

    #[test]
    fn fresh_verifiers_use_distinct_salts() {
        let first = new_scram_sha256_verifier("same password").expect("printable");
        let second = new_scram_sha256_verifier("same password").expect("printable");
        assert_ne!(first, second);
        assert!(first.starts_with("SCRAM-SHA-256$4096:"), "{first}");
    }

    #[test]
    fn empty_and_non_ascii_passwords_are_refused() {
        assert!(matches!(
            scram_sha256_verifier("", b"salt", 4096),
            Err(MigratorError::UnsupportedPassword(_))
        ));
        assert!(matches!(
            scram_sha256_verifier("senha-ção", b"salt", 4096),
            Err(MigratorError::UnsupportedPassword(_))
        ));
    }

    fn keys_of(verifier: &str) -> (Vec<u8>, Vec<u8>) {
        let keys = verifier.rsplit('$').next().expect("keys part");
        let (stored, server) = keys.split_once(':').expect("StoredKey:ServerKey");
        (
            BASE64.decode(stored).expect("base64"),
            BASE64.decode(server).expect("base64"),
        )
    }
}
