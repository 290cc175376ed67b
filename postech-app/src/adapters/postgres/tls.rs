//! The rustls side of database TLS: which checks an `sslmode` asks for, and the client
//! configuration doing them, on the aws-lc provider the AWS SDK and reqwest already link.

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{WebPkiSupportedAlgorithms, aws_lc_rs};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::connect::ConnectionSetupError;
use crate::configuration::database_tls::SslMode;

/// How a connection is secured, decided by the `sslmode` and whether a CA bundle is set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsChoice {
    /// No TLS: tokio-postgres never asks the server for it.
    Clear,
    /// TLS without looking at the certificate (libpq's `prefer` and bundle-less `require`):
    /// encrypted, but not protected from a man in the middle. When `required` is false, a
    /// server without TLS is talked to in clear.
    Unverified {
        /// Refuse servers without TLS.
        required: bool,
    },
    /// TLS with a certificate chaining to the CA bundle, whatever host it names (libpq's
    /// `verify-ca`, and `require` once a bundle is set).
    ChainToBundle,
    /// TLS with a certificate chaining to the Mozilla roots or the CA bundle and naming the
    /// host connected to (libpq's `verify-full`).
    Full,
}

impl TlsChoice {
    /// The choice for `mode` (`None`: the URL and `PGSSLMODE` name none).
    pub fn for_mode(mode: Option<SslMode>, has_bundle: bool) -> Result<Self, ConnectionSetupError> {
        Ok(match mode {
            None | Some(SslMode::Disable) => Self::Clear,
            Some(SslMode::Prefer) => Self::Unverified { required: false },
            Some(SslMode::Require | SslMode::VerifyCa) if has_bundle => Self::ChainToBundle,
            Some(SslMode::Require) => Self::Unverified { required: true },
            // The Mozilla roots alone would make `verify-ca` accept any publicly issued
            // certificate for any domain: only a private CA gives it a meaning.
            Some(SslMode::VerifyCa) => return Err(ConnectionSetupError::CaBundleRequired),
            Some(SslMode::VerifyFull) => Self::Full,
        })
    }

    /// Whether tokio-postgres must refuse a server without TLS.
    pub fn requires_tls(self) -> bool {
        !matches!(self, Self::Clear | Self::Unverified { required: false })
    }
}

/// The rustls configuration doing the checks of `choice`; `None` for [`TlsChoice::Clear`].
/// The bundle is read on every call, so a replaced file reaches the next new connection.
pub fn client_config(
    choice: TlsChoice,
    bundle: Option<&Path>,
) -> Result<Option<ClientConfig>, ConnectionSetupError> {
    let provider = Arc::new(aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|error| ConnectionSetupError::Tls(error.to_string()))?;
    let algorithms = provider.signature_verification_algorithms;
    let config = match choice {
        TlsChoice::Clear => return Ok(None),
        TlsChoice::Unverified { .. } => {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(HostBlindVerifier {
                    anchors: None,
                    algorithms,
                }))
        }
        TlsChoice::ChainToBundle => {
            let path = bundle.ok_or(ConnectionSetupError::CaBundleRequired)?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(HostBlindVerifier {
                    anchors: Some(load_bundle(path)?),
                    algorithms,
                }))
        }
        TlsChoice::Full => {
            let mut roots = RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            if let Some(path) = bundle {
                roots.roots.extend(load_bundle(path)?.roots);
            }
            builder.with_root_certificates(roots)
        }
    };
    Ok(Some(config.with_no_client_auth()))
}

/// The CAs of a PEM bundle (RDS publishes all its regions' CAs in `global-bundle.pem`).
fn load_bundle(path: &Path) -> Result<RootCertStore, ConnectionSetupError> {
    let unreadable = |reason: String| ConnectionSetupError::CaBundle {
        path: path.to_owned(),
        reason,
    };
    let certificates = CertificateDer::pem_file_iter(path)
        .map_err(|error| unreadable(error.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| unreadable(error.to_string()))?;
    let mut store = RootCertStore::empty();
    let (added, _unusable) = store.add_parsable_certificates(certificates);
    if added == 0 {
        return Err(unreadable(
            "no usable CA certificate in the file".to_owned(),
        ));
    }
    Ok(store)
}

/// Checks the handshake signatures like any rustls client, and the certificate chain only
/// when it has anchors; never the host name.
#[derive(Debug)]
struct HostBlindVerifier {
    /// `None`: any certificate (`prefer`, bundle-less `require`).
    anchors: Option<RootCertStore>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for HostBlindVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Some(anchors) = &self.anchors {
            let certificate = ParsedCertificate::try_from(end_entity)?;
            rustls::client::verify_server_cert_signed_by_trust_anchor(
                &certificate,
                anchors,
                intermediates,
                now,
                self.algorithms.all,
            )?;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, certificate, signature, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, certificate, signature, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(mode: Option<SslMode>, has_bundle: bool) -> Option<TlsChoice> {
        TlsChoice::for_mode(mode, has_bundle).ok()
    }

    #[test]
    fn no_mode_and_disable_stay_in_clear_even_with_a_bundle() {
        for has_bundle in [false, true] {
            assert_eq!(choice(None, has_bundle), Some(TlsChoice::Clear));
            assert_eq!(
                choice(Some(SslMode::Disable), has_bundle),
                Some(TlsChoice::Clear)
            );
        }
    }

    #[test]
    fn prefer_encrypts_when_offered_and_never_checks() {
        for has_bundle in [false, true] {
            let prefer = choice(Some(SslMode::Prefer), has_bundle);
            assert_eq!(prefer, Some(TlsChoice::Unverified { required: false }));
            assert!(prefer.is_some_and(|c| !c.requires_tls()));
        }
    }

    #[test]
    fn require_checks_the_chain_only_once_a_bundle_is_set_like_libpq() {
        assert_eq!(
            choice(Some(SslMode::Require), false),
            Some(TlsChoice::Unverified { required: true })
        );
        assert_eq!(
            choice(Some(SslMode::Require), true),
            Some(TlsChoice::ChainToBundle)
        );
    }

    #[test]
    fn verify_ca_needs_a_bundle() {
        assert_eq!(
            choice(Some(SslMode::VerifyCa), true),
            Some(TlsChoice::ChainToBundle)
        );
        let error = TlsChoice::for_mode(Some(SslMode::VerifyCa), false)
            .err()
            .map(|e| e.to_string());
        assert!(
            error
                .as_deref()
                .is_some_and(|m| m.contains("PGSSLROOTCERT")),
            "{error:?}"
        );
    }

    #[test]
    fn verify_full_works_with_or_without_a_bundle() {
        for has_bundle in [false, true] {
            assert_eq!(
                choice(Some(SslMode::VerifyFull), has_bundle),
                Some(TlsChoice::Full)
            );
        }
    }

    #[test]
    fn every_tls_choice_but_prefer_requires_tls() {
        assert!(!TlsChoice::Clear.requires_tls());
        assert!(TlsChoice::Unverified { required: true }.requires_tls());
        assert!(TlsChoice::ChainToBundle.requires_tls());
        assert!(TlsChoice::Full.requires_tls());
    }

    #[test]
    fn clear_builds_no_tls_configuration() {
        assert!(matches!(client_config(TlsChoice::Clear, None), Ok(None)));
    }

    #[test]
    fn verify_full_without_a_bundle_trusts_the_mozilla_roots() {
        assert!(matches!(client_config(TlsChoice::Full, None), Ok(Some(_))));
    }

    #[test]
    fn a_missing_bundle_file_is_named() {
        let path = Path::new("/nonexistent/postech/global-bundle.pem");
        let error = client_config(TlsChoice::Full, Some(path))
            .err()
            .map(|e| e.to_string());
        assert!(
            error
                .as_deref()
                .is_some_and(|m| m.contains("/nonexistent/postech/global-bundle.pem")),
            "{error:?}"
        );
    }

    #[test]
    fn a_file_without_certificates_is_refused() {
        let path = std::env::temp_dir().join(format!("postech-empty-{}.pem", std::process::id()));
        std::fs::write(&path, "not a certificate\n").unwrap_or_default();
        let error = client_config(TlsChoice::ChainToBundle, Some(&path))
            .err()
            .map(|e| e.to_string());
        std::fs::remove_file(&path).unwrap_or_default();
        assert!(
            error
                .as_deref()
                .is_some_and(|m| m.contains("no usable CA certificate")),
            "{error:?}"
        );
    }
}
