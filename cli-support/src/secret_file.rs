//! Secret files a person keeps (signing keys, a trustee's key share): sealed with a passphrase,
//! Argon2id (64 MiB, 3 passes) then ChaCha20-Poly1305, written with mode 0600. The file is one JSON
//! object; its kind and KDF parameters are bound as associated data, so a file of one kind cannot
//! be opened as another and its parameters cannot be weakened unnoticed.
use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

const FORMAT: &str = "thistle-secret-v1";
const M_COST_KIB: u32 = 64 * 1024;
const T_COST: u32 = 3;

#[derive(Serialize, Deserialize)]
struct Sealed {
    format: String,
    kind: String,
    kdf: Kdf,
    nonce: String,
    ciphertext: String,
}

#[derive(Serialize, Deserialize, Clone, Copy)]
struct Kdf {
    m_cost_kib: u32,
    t_cost: u32,
    p_cost: u32,
    #[serde(with = "hex_array")]
    salt: [u8; 16],
}

mod hex_array {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8; 16], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 16], D::Error> {
        let s = String::deserialize(d)?;
        hex::decode(s)
            .ok()
            .and_then(|v| v.try_into().ok())
            .ok_or_else(|| serde::de::Error::custom("salt: 32 hex digits"))
    }
}

fn derive_key(passphrase: &[u8], kdf: &Kdf) -> Result<Zeroizing<[u8; 32]>> {
    // Exactly what Thistle writes: weaker files are refused, and so are files asking for
    // unbounded memory or time.
    if kdf.m_cost_kib != M_COST_KIB || kdf.t_cost != T_COST || kdf.p_cost != 1 {
        return Err(Error::SecretFile(
            "the file's key-derivation parameters are not Argon2id with 64 MiB, 3 passes, 1 lane"
                .into(),
        ));
    }
    let params = Params::new(kdf.m_cost_kib, kdf.t_cost, kdf.p_cost, Some(32))
        .map_err(|e| Error::SecretFile(format!("key-derivation parameters: {e}")))?;
    let mut key = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase, &kdf.salt, &mut key[..])
        .map_err(|e| Error::SecretFile(format!("key derivation: {e}")))?;
    Ok(key)
}

fn associated_data(kind: &str, kdf: &Kdf) -> Vec<u8> {
    format!(
        "{FORMAT}\n{kind}\n{}\n{}\n{}\n{}",
        kdf.m_cost_kib,
        kdf.t_cost,
        kdf.p_cost,
        hex::encode(kdf.salt)
    )
    .into_bytes()
}

/// Seals `secret` of `kind` under `passphrase`; returns the file's text.
pub fn seal(kind: &str, secret: &[u8], passphrase: &[u8]) -> Result<String> {
    let mut salt = [0u8; 16];
    OsRng.fill_bytes(&mut salt);
    let kdf = Kdf {
        m_cost_kib: M_COST_KIB,
        t_cost: T_COST,
        p_cost: 1,
        salt,
    };
    let key = derive_key(passphrase, &kdf)?;
    let mut nonce = [0u8; 12];
    OsRng.fill_bytes(&mut nonce);
    let ciphertext = ChaCha20Poly1305::new(Key::from_slice(&key[..]))
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: secret,
                aad: &associated_data(kind, &kdf),
            },
        )
        .map_err(|_| Error::SecretFile("encryption failed".into()))?;
    let sealed = Sealed {
        format: FORMAT.into(),
        kind: kind.into(),
        kdf,
        nonce: hex::encode(nonce),
        ciphertext: hex::encode(ciphertext),
    };
    Ok(serde_json::to_string_pretty(&sealed).expect("serialisable") + "\n")
}

/// Opens a sealed file's text, which must be of `kind`.
pub fn open(text: &str, kind: &str, passphrase: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let sealed: Sealed = serde_json::from_str(text)
        .map_err(|e| Error::SecretFile(format!("not a Thistle secret file: {e}")))?;
    if sealed.format != FORMAT {
        return Err(Error::SecretFile(format!(
            "unknown format {:?}",
            sealed.format
        )));
    }
    if sealed.kind != kind {
        return Err(Error::SecretFile(format!(
            "this file holds a {}, not a {kind}",
            sealed.kind
        )));
    }
    let nonce: [u8; 12] = hex::decode(&sealed.nonce)
        .ok()
        .and_then(|n| n.try_into().ok())
        .ok_or_else(|| Error::SecretFile("bad nonce".into()))?;
    let ciphertext =
        hex::decode(&sealed.ciphertext).map_err(|_| Error::SecretFile("bad ciphertext".into()))?;
    let key = derive_key(passphrase, &sealed.kdf)?;
    let plain = ChaCha20Poly1305::new(Key::from_slice(&key[..]))
        .decrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: &ciphertext,
                aad: &associated_data(kind, &sealed.kdf),
            },
        )
        .map_err(|_| Error::WrongPassphrase)?;
    Ok(Zeroizing::new(plain))
}

/// Writes a sealed secret to a new file with mode 0600 (never overwriting one).
pub fn write(path: &Path, kind: &str, secret: &[u8], passphrase: &[u8]) -> Result<()> {
    let text = seal(kind, secret, passphrase)?;
    write_private(path, text.as_bytes())
}

/// Creates `path` with mode 0600 and writes `bytes`; refuses to overwrite.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| Error::io(path, e))
}

/// Refuses a file that anyone but its owner can read or write.
pub fn check_private(path: &Path) -> Result<()> {
    let mode = fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(Error::SecretFile(format!(
            "{} is readable by others (mode {:o}); run chmod 600 on it",
            path.display(),
            mode & 0o777
        )));
    }
    Ok(())
}

/// Reads and opens a sealed secret file, refusing one that others can read.
pub fn read(path: &Path, kind: &str, passphrase: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    check_private(path)?;
    let text = Zeroizing::new(fs::read_to_string(path).map_err(|e| Error::io(path, e))?);
    open(&text, kind, passphrase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_its_passphrase_and_kind() {
        let text = seal("trustee key share", b"the share", b"correct horse").unwrap();
        assert_eq!(
            &open(&text, "trustee key share", b"correct horse").unwrap()[..],
            b"the share"
        );
        assert!(matches!(
            open(&text, "trustee key share", b"wrong horse"),
            Err(Error::WrongPassphrase)
        ));
        assert!(matches!(
            open(&text, "signing key", b"correct horse"),
            Err(Error::SecretFile(_))
        ));
        assert!(!text.contains(&hex::encode(b"the share")));
        // Other parameters, weaker or costlier, are refused before any work is done.
        for altered in [
            text.replace("\"t_cost\": 3", "\"t_cost\": 1"),
            text.replace("\"m_cost_kib\": 65536", "\"m_cost_kib\": 4194304"),
        ] {
            assert!(matches!(
                open(&altered, "trustee key share", b"correct horse"),
                Err(Error::SecretFile(_))
            ));
        }
    }
}
