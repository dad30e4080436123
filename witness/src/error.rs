//! The witness's refusals, each with the HTTP status C2SP tlog-witness gives it (spec §13.9).

/// Why the witness did not cosign.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WitnessError {
    /// The request is not an add-checkpoint body, or the old size is above the checkpoint's.
    #[error("malformed request: {0}")]
    Malformed(String),
    /// No election this witness follows has this log origin.
    #[error(
        "unknown log origin {0:?}: this witness follows only elections on its boards that name it"
    )]
    UnknownOrigin(String),
    /// The board's signature is missing or fails.
    #[error("the checkpoint is not signed by the election's board key: {0}")]
    BadSignature(String),
    /// The old size is not the size this witness last cosigned.
    #[error("old size {old} is not the size this witness last cosigned ({size}); send a proof from {size}")]
    WrongOldSize {
        /// What the request said.
        old: u64,
        /// What the witness last cosigned.
        size: u64,
    },
    /// The same size with another root: the board forked its log.
    #[error("a checkpoint of size {0} with another root was cosigned already: the log forked")]
    Fork(u64),
    /// The consistency proof fails, or the entries do not hash to the root, or the record fails a
    /// verification step.
    #[error("refused: {0}")]
    Unprocessable(String),
    /// The board could not be read (verifying mode), or the store failed.
    #[error("unavailable: {0}; the board retries")]
    Unavailable(String),
}

impl WitnessError {
    /// The HTTP status of the refusal (spec §13.9).
    pub fn status(&self) -> u16 {
        match self {
            WitnessError::Malformed(_) => 400,
            WitnessError::UnknownOrigin(_) => 404,
            WitnessError::BadSignature(_) => 403,
            WitnessError::WrongOldSize { .. } | WitnessError::Fork(_) => 409,
            WitnessError::Unprocessable(_) => 422,
            WitnessError::Unavailable(_) => 503,
        }
    }
}

impl From<rusqlite::Error> for WitnessError {
    fn from(e: rusqlite::Error) -> Self {
        WitnessError::Unavailable(format!("the witness's store failed: {e}"))
    }
}
