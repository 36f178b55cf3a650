//! Long-lived identities: an Ed25519 key in a self-signed certificate, kept in the data dir.
//! A player *is* the SHA-256 of their certificate's SubjectPublicKeyInfo; names are labels.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use game::PlayerId;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::ParsedCertificate;
use sha2::{Digest, Sha256};

/// Loading or creating an identity failed.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// The key file exists but cannot be read as a key. It is left untouched.
    #[error(
        "the identity key at {path} is damaged ({reason}). It was left untouched. Move it away to \
         start over with a new identity (hosts will then see you as a new player)"
    )]
    Damaged { path: PathBuf, reason: String },
    /// The key file could not be read or written.
    #[error("cannot use the identity key at {path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// Key or certificate generation failed.
    #[error("cannot create a key: {0}")]
    Generate(String),
}

/// This install's (or this bot's) key, certificate and player id.
#[derive(Clone)]
pub struct Identity {
    cert: CertificateDer<'static>,
    key_der: Vec<u8>,
    id: PlayerId,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Identity {
    /// Loads the key at `path`, or creates one there (mode 0600, written atomically) when the
    /// file does not exist. A damaged file is an error, never overwritten.
    pub fn load_or_create(path: &Path) -> Result<Identity, IdentityError> {
        let io = |error| IdentityError::Io {
            path: path.to_owned(),
            error,
        };
        match fs::read_to_string(path) {
            Ok(pem) => Identity::from_pem(path, &pem),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519)
                    .map_err(|e| IdentityError::Generate(e.to_string()))?;
                if let Some(dir) = path.parent() {
                    fs::create_dir_all(dir).map_err(io)?;
                }
                // Several processes may start at once on a fresh data dir: exactly one key
                // wins, and the others use the winner's.
                if write_new_private(path, key.serialize_pem().as_bytes()).map_err(io)? {
                    Identity::from_key(key)
                } else {
                    let pem = fs::read_to_string(path).map_err(io)?;
                    Identity::from_pem(path, &pem)
                }
            }
            Err(e) => Err(io(e)),
        }
    }

    fn from_pem(path: &Path, pem: &str) -> Result<Identity, IdentityError> {
        let key = rcgen::KeyPair::from_pem(pem).map_err(|e| IdentityError::Damaged {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        Identity::from_key(key)
    }

    /// A fresh identity that lives only in memory.
    pub fn ephemeral() -> Identity {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).expect("ed25519 keygen");
        Identity::from_key(key).expect("a fresh key makes a certificate")
    }

    fn from_key(key: rcgen::KeyPair) -> Result<Identity, IdentityError> {
        let params = rcgen::CertificateParams::new(vec!["brogue".to_owned()])
            .map_err(|e| IdentityError::Generate(e.to_string()))?;
        let cert = params
            .self_signed(&key)
            .map_err(|e| IdentityError::Generate(e.to_string()))?;
        let cert = cert.der().clone();
        let id = player_id_of(&cert).map_err(|e| IdentityError::Generate(e.to_string()))?;
        Ok(Identity {
            cert,
            key_der: key.serialize_der(),
            id,
        })
    }

    /// Who this identity is.
    pub fn id(&self) -> PlayerId {
        self.id
    }

    /// The DER SubjectPublicKeyInfo of this identity's key (whose SHA-256 is [`Identity::id`]).
    pub fn spki(&self) -> Vec<u8> {
        ParsedCertificate::try_from(&self.cert)
            .map(|c| c.subject_public_key_info().as_ref().to_vec())
            .expect("our own certificate parses")
    }

    /// An Ed25519 signature of `message` by this identity's key.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        ring::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&self.key_der)
            .expect("our own key is a valid Ed25519 key")
            .sign(message)
            .as_ref()
            .to_vec()
    }

    pub(crate) fn cert(&self) -> CertificateDer<'static> {
        self.cert.clone()
    }

    pub(crate) fn key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()))
    }
}

/// The player id a certificate stands for: SHA-256 of its SubjectPublicKeyInfo.
pub fn player_id_of(cert: &CertificateDer<'_>) -> Result<PlayerId, rustls::Error> {
    let parsed = ParsedCertificate::try_from(cert)?;
    let spki = parsed.subject_public_key_info();
    Ok(PlayerId(Sha256::digest(spki.as_ref()).into()))
}

/// Writes `bytes` to `path` (mode 0600) unless the file already exists. Returns false when
/// another writer got there first. The file appears whole or not at all.
fn write_new_private(path: &Path, bytes: &[u8]) -> std::io::Result<bool> {
    let mut nonce = [0u8; 8];
    getrandom::fill(&mut nonce).map_err(|e| std::io::Error::other(e.to_string()))?;
    let tmp = path.with_extension(format!("tmp-{}", game::ids::hex(&nonce)));
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    // A hard link fails if the target exists, unlike rename, which would replace it.
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_identity_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/identity.key");
        let a = Identity::load_or_create(&path).unwrap();
        let b = Identity::load_or_create(&path).unwrap();
        assert_eq!(a.id(), b.id());
        assert_ne!(a.id(), Identity::ephemeral().id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "the key is readable by others");
        }
    }

    #[test]
    fn processes_starting_together_agree_on_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("identity.key");
        let ids: Vec<game::PlayerId> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| s.spawn(|| Identity::load_or_create(&path).unwrap().id()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(
            ids.iter().all(|id| *id == ids[0]),
            "different keys: {ids:?}"
        );
        assert_eq!(Identity::load_or_create(&path).unwrap().id(), ids[0]);
        let leftovers = fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "temporary files were left behind");
    }

    #[test]
    fn a_damaged_key_is_reported_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("identity.key");
        fs::write(&path, "not a key").unwrap();
        let err = Identity::load_or_create(&path).unwrap_err();
        assert!(matches!(err, IdentityError::Damaged { .. }), "{err}");
        assert!(err.to_string().contains("left untouched"));
        assert_eq!(fs::read_to_string(&path).unwrap(), "not a key");
    }

    #[test]
    fn an_identity_signs_with_the_key_it_is_named_by() {
        use ring::signature::{ED25519, UnparsedPublicKey};
        let me = Identity::ephemeral();
        let spki = me.spki();
        assert_eq!(PlayerId(Sha256::digest(&spki).into()), me.id());
        let sig = me.sign(b"a fact");
        let raw = &spki[spki.len() - 32..];
        assert!(
            UnparsedPublicKey::new(&ED25519, raw)
                .verify(b"a fact", &sig)
                .is_ok()
        );
        assert!(
            UnparsedPublicKey::new(&ED25519, raw)
                .verify(b"another", &sig)
                .is_err()
        );
    }
}
