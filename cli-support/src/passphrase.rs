//! Passphrases for sealed secret files.
use std::path::Path;

use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The passphrase: from `file` (`--passphrase-file`) (which others must not be able to read), else
/// `THISTLE_PASSPHRASE` (a last resort: environments leak), else the terminal. Never empty; a
/// new one (`creating`) has at least 12 characters and, typed, is asked twice.
pub fn obtain(file: Option<&Path>, creating: bool) -> Result<Zeroizing<String>> {
    let (pass, typed) = if let Some(path) = file {
        crate::secret_file::check_private(path)?;
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?);
        (
            Zeroizing::new(text.lines().next().unwrap_or("").to_owned()),
            false,
        )
    } else if let Ok(p) = std::env::var("THISTLE_PASSPHRASE") {
        (Zeroizing::new(p), false)
    } else {
        let p = rpassword::prompt_password("Passphrase: ")
            .map_err(|e| Error::io(Path::new("<terminal>"), e))?;
        (Zeroizing::new(p), true)
    };
    if pass.is_empty() {
        return Err(Error::SecretFile("the passphrase is empty".into()));
    }
    if creating {
        if pass.chars().count() < 12 {
            return Err(Error::SecretFile(
                "use a passphrase of at least 12 characters".into(),
            ));
        }
        if typed {
            let again = Zeroizing::new(
                rpassword::prompt_password("Again: ")
                    .map_err(|e| Error::io(Path::new("<terminal>"), e))?,
            );
            if *again != *pass {
                return Err(Error::SecretFile("the passphrases differ".into()));
            }
        }
    }
    Ok(pass)
}
