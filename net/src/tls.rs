//! TLS 1.3 for QUIC with pinned self-signed keys, both ways.
//!
//! The host accepts any client certificate *whose key signed the handshake*: the key is who the
//! player is. The client accepts only a host whose key hash matches the pin from the invite
//! code. Both verifiers check the handshake signature, always.

use std::sync::{Arc, Mutex};

use game::protocol::{ALPN, ALPN_NEGOTIATE};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, SignatureScheme};
use subtle::ConstantTimeEq;

use crate::identity::{Identity, player_id_of};

/// The server name clients put in their TLS hello; identity comes from the pinned key instead.
pub const SERVER_NAME: &str = "brogue";

/// The first 16 bytes of the SHA-256 of a host's public key, as carried in invite codes.
#[derive(Copy, Clone, PartialEq, Eq, Hash)]
pub struct KeyPin(pub [u8; 16]);

impl KeyPin {
    pub fn of(id: &game::PlayerId) -> KeyPin {
        let mut pin = [0u8; 16];
        pin.copy_from_slice(&id.0[..16]);
        KeyPin(pin)
    }

    /// Does the full key hash `id` match this pin? Constant time.
    pub fn matches(&self, id: &game::PlayerId) -> bool {
        self.0.ct_eq(&id.0[..16]).into()
    }

    /// Short form for people to compare: the first 8 bytes in groups of four hex digits.
    pub fn fingerprint(&self) -> String {
        game::ids::hex(&self.0[..8])
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(":")
    }
}

impl std::fmt::Debug for KeyPin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyPin({})", self.fingerprint())
    }
}

/// The crypto provider (ring), chosen explicitly so no process-level default is needed.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Installs ring as the process-wide rustls provider (idempotent).
pub fn install_default_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn algorithms() -> WebPkiSupportedAlgorithms {
    rustls::crypto::ring::default_provider().signature_verification_algorithms
}

/// The host's TLS configuration: TLS 1.3 only, client certificates required, 0-RTT off.
pub(crate) fn server_config(identity: &Identity) -> Result<rustls::ServerConfig, rustls::Error> {
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_client_cert_verifier(Arc::new(AnyKeyThatSigns { algs: algorithms() }))
        .with_single_cert(vec![identity.cert()], identity.key())?;
    config.alpn_protocols = vec![ALPN.to_vec(), ALPN_NEGOTIATE.to_vec()];
    config.max_early_data_size = 0;
    Ok(config)
}

/// What the client's verifier saw of the host's key, to explain a failed handshake.
#[derive(Debug, Default)]
pub(crate) struct Observed(Mutex<Option<game::PlayerId>>);

impl Observed {
    pub(crate) fn get(&self) -> Option<game::PlayerId> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A client's TLS configuration pinned to one host key.
pub(crate) fn client_config(
    identity: &Identity,
    pin: KeyPin,
) -> Result<(rustls::ClientConfig, Arc<Observed>), rustls::Error> {
    let observed = Arc::new(Observed::default());
    let mut config = rustls::ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedHost {
            pin,
            observed: observed.clone(),
            algs: algorithms(),
        }))
        .with_client_auth_cert(vec![identity.cert()], identity.key())?;
    config.alpn_protocols = vec![ALPN.to_vec(), ALPN_NEGOTIATE.to_vec()];
    config.enable_early_data = false;
    Ok((config, observed))
}

/// Accepts a client certificate that parses; its key must then sign the handshake.
#[derive(Debug)]
struct AnyKeyThatSigns {
    algs: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for AnyKeyThatSigns {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        ParsedCertificate::try_from(end_entity)?;
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

/// Accepts only the host whose key matches the pin; its key must then sign the handshake.
#[derive(Debug)]
struct PinnedHost {
    pin: KeyPin,
    observed: Arc<Observed>,
    algs: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinnedHost {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let id = player_id_of(end_entity)?;
        *self.observed.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(id);
        if self.pin.matches(&id) {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_match_only_their_key() {
        let a = Identity::ephemeral();
        let b = Identity::ephemeral();
        let pin = KeyPin::of(&a.id());
        assert!(pin.matches(&a.id()));
        assert!(!pin.matches(&b.id()));
        assert_eq!(pin.fingerprint().len(), 19);
    }
}
