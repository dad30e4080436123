//! Refusals: a stable machine-readable code, an HTTP status, and a message a person can act on.
//! Every refusal leaves the log unchanged.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use protocol::verify::{Failure, Step};
use protocol::Error as ProtocolError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::store::StoreError;

/// The stable error codes of the API (spec §13.7). Clients match on these, never on messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// The request body is larger than this endpoint accepts.
    BodyTooLarge,
    /// The body is not the JSON object this endpoint expects.
    MalformedJson,
    /// A field is not valid base64/hex, or the bytes are not a canonical encoding.
    BadEncoding,
    /// A ballot's own signature does not verify.
    BadSignature,
    /// The writer's signature is missing or not by the key the manifest names for this entry.
    Unauthorized,
    /// A zero-knowledge proof does not verify (or an audit's opening does not open).
    InvalidProof,
    /// The ballot's credential is not in the election's credential list.
    UnknownCredential,
    /// The entry, or a part of it, is already on the log.
    Duplicate,
    /// The entry is not accepted in the election's current phase or outside the voting window.
    WrongPhase,
    /// The entry is for another election (its fingerprint or manifest does not match).
    WrongElection,
    /// The entry is well formed and signed but breaks a rule of the protocol.
    InvalidEntry,
    /// No election with this id on this board.
    UnknownElection,
    /// Nothing at this index, code, or range (or not yet under a checkpoint).
    NotFound,
    /// A query parameter is missing or out of range.
    BadRequest,
    /// The board cannot reach its storage; retry later.
    Unavailable,
    /// The board is checking as many ballots as it can take at once; retry after `Retry-After`.
    Busy,
    /// This client sent more requests than the board's per-client rate allows; retry after
    /// `Retry-After`.
    RateLimited,
    /// The request body did not arrive within the board's deadline.
    RequestTimeout,
}

impl ErrorCode {
    /// The code as it appears in responses.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BodyTooLarge => "body_too_large",
            ErrorCode::MalformedJson => "malformed_json",
            ErrorCode::BadEncoding => "bad_encoding",
            ErrorCode::BadSignature => "bad_signature",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::InvalidProof => "invalid_proof",
            ErrorCode::UnknownCredential => "unknown_credential",
            ErrorCode::Duplicate => "duplicate",
            ErrorCode::WrongPhase => "wrong_phase",
            ErrorCode::WrongElection => "wrong_election",
            ErrorCode::InvalidEntry => "invalid_entry",
            ErrorCode::UnknownElection => "unknown_election",
            ErrorCode::NotFound => "not_found",
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Busy => "busy",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::RequestTimeout => "request_timeout",
        }
    }

    /// Seconds a client should wait before retrying, for the codes that ask it to.
    pub fn retry_after(self) -> Option<u32> {
        match self {
            ErrorCode::Busy | ErrorCode::RateLimited => Some(1),
            ErrorCode::Unavailable => Some(2),
            _ => None,
        }
    }

    fn status(self) -> StatusCode {
        match self {
            ErrorCode::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::MalformedJson
            | ErrorCode::BadEncoding
            | ErrorCode::BadSignature
            | ErrorCode::InvalidProof
            | ErrorCode::WrongElection
            | ErrorCode::BadRequest => StatusCode::BAD_REQUEST,
            ErrorCode::Unauthorized | ErrorCode::UnknownCredential => StatusCode::FORBIDDEN,
            ErrorCode::Duplicate | ErrorCode::WrongPhase => StatusCode::CONFLICT,
            ErrorCode::InvalidEntry => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::UnknownElection | ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::Unavailable | ErrorCode::Busy => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
        }
    }
}

/// A refused request.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct ApiError {
    /// The stable code.
    pub code: ErrorCode,
    /// What is wrong and what to do.
    pub message: String,
}

/// The JSON body of every error response.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// One error.
#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable code, e.g. `invalid_proof`.
    pub code: ErrorCode,
    /// What is wrong and what to do about it.
    pub message: String,
}

impl ApiError {
    /// A refusal with `code`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
        }
    }

    /// A failed protocol check, classified by what failed.
    pub fn from_failure(f: &Failure) -> Self {
        Self::from_protocol(f.step, &f.error)
    }

    /// A protocol error met at verification step `step`.
    pub fn from_protocol(step: Step, e: &ProtocolError) -> Self {
        use ProtocolError as E;
        let code = match e {
            E::WrongLength { .. }
            | E::TrailingBytes { .. }
            | E::NonCanonicalPoint { .. }
            | E::IdentityPoint { .. }
            | E::NonCanonicalScalar { .. }
            | E::BadPublicKey { .. } => ErrorCode::BadEncoding,
            E::Malformed { .. } if step == Step::V2Leaves => ErrorCode::BadEncoding,
            E::BadSignature { .. } => match step {
                Step::V10Ballots | Step::V11Audits => ErrorCode::BadSignature,
                _ => ErrorCode::Unauthorized,
            },
            E::InvalidProof { .. } | E::TrusteeProof { .. } => ErrorCode::InvalidProof,
            E::UnknownCredential => ErrorCode::UnknownCredential,
            E::Duplicate(_) => ErrorCode::Duplicate,
            E::OutOfPhase(_) => ErrorCode::WrongPhase,
            E::WrongElection { .. } => ErrorCode::WrongElection,
            _ if step == Step::V4WritersAndPhases => ErrorCode::Unauthorized,
            _ => ErrorCode::InvalidEntry,
        };
        ApiError::new(code, format!("refused by {}: {e}", step.name()))
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "store error");
        ApiError::new(
            ErrorCode::Unavailable,
            "the board's storage is unavailable; retry in a moment (if you posted an entry, look it up before posting again)",
        )
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        if let Some(seconds) = self.code.retry_after() {
            response.insert_header((actix_web::http::header::RETRY_AFTER, seconds.to_string()));
        }
        if self.code == ErrorCode::RequestTimeout {
            // The rest of the body may still be on its way: this connection is done.
            response.force_close();
        }
        response.json(ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message.clone(),
            },
        })
    }
}
