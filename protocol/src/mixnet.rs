//! The mixing ceremony's record entries (spec §12.11): a ranked contest's counted ballots are
//! shuffled in turn by at least `t` distinct trustees ([`Mix`], §12.9), the last mix's rows are
//! decrypted by the trustees ([`ContestDecryption`], §12.10), and the administrator publishes the
//! decrypted papers with their count sheet ([`RankedCount`], §12.8), which every verifier recounts.
use alloc::vec::Vec;

use crate::elgamal::Ciphertext;
use crate::encoding::{put_u32, Encode, Reader};
use crate::error::{Error, Result};
use crate::hash::{tagged_hash, Digest32};
use crate::manifest::{Contest, ContestKind, RankedMethod};
use crate::mixdecrypt::MixDecryption;
use crate::shuffle::{Row, ShuffleProof, MAX_CIPHERTEXTS};
use crate::stv::{self, CountSheet, Method, Profile, Ranking};

pub use crate::shuffle::{mix_bytes, MAX_MIX_BYTES};

/// Tag of the lot seed of an election's ranked count (§12.8).
pub const LOT_SEED_TAG: &str = "thistle-v1/stv-lot-seed";

/// The shape `u32 N ‖ u32 w` that precedes a ceremony entry's rows, checked against the bytes
/// left so that a hostile count cannot make a reader allocate more than it was sent.
fn read_shape(r: &mut Reader<'_>, size: impl Fn(usize, usize) -> usize) -> Result<(usize, usize)> {
    let n = r.u32("rows")? as usize;
    let w = r.u32("row width")? as usize;
    if n == 0 || w == 0 || n.saturating_mul(w) > MAX_CIPHERTEXTS {
        return Err(Error::Malformed {
            what: "mixed rows",
            reason: "a mix holds 1 to 2^25 ciphertexts in rows of at least one",
        });
    }
    // n·w ≤ 2^25 keeps every size below overflow.
    let needed = size(n, w);
    if r.remaining() < needed {
        return Err(Error::WrongLength {
            what: "mixed rows",
            expected: needed,
            found: r.remaining(),
        });
    }
    Ok((n, w))
}

fn put_shape(out: &mut Vec<u8>, n: usize, w: usize) {
    put_u32(out, n as u32);
    put_u32(out, w as u32);
}

fn width(rows: &[Row]) -> usize {
    rows.first().map_or(0, Vec::len)
}

/// One trustee's shuffle of a ranked contest's rows (entry tag 11):
/// `u32 contest ‖ u32 mixer ‖ u32 position ‖ u32 N ‖ u32 w ‖ N·w Ciphertext ‖ ShuffleProof(N, w)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mix {
    /// The contest's index in the manifest.
    pub contest: u32,
    /// The mixing trustee (1-based).
    pub mixer: u32,
    /// How many mixes of the contest come before it (0: it mixes the counted ballots). Two
    /// trustees who mix the same rows at once are told which came second, not accused.
    pub position: u32,
    /// The output rows `e'_i` (no identity point).
    pub rows: Vec<Row>,
    /// The proof that `rows` shuffle the previous mix's rows (or the counted ballots').
    pub proof: ShuffleProof,
}

impl Encode for Mix {
    fn encode(&self, out: &mut Vec<u8>) {
        put_u32(out, self.contest);
        put_u32(out, self.mixer);
        put_u32(out, self.position);
        put_shape(out, self.rows.len(), width(&self.rows));
        for c in self.rows.iter().flatten() {
            c.encode(out);
        }
        self.proof.encode(out);
    }
}

impl Mix {
    /// Reads a mix entry's body.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self> {
        let contest = r.u32("contest")?;
        let mixer = r.u32("mixer")?;
        let position = r.u32("mix position")?;
        let (n, w) = read_shape(r, |n, w| 64 * n * w + 32 * (5 * n + 3 * w + 6))?;
        let rows = (0..n)
            .map(|_| (0..w).map(|_| Ciphertext::decode_ballot(r)).collect())
            .collect::<Result<Vec<Row>>>()?;
        let proof = ShuffleProof::decode(r, n, w)?;
        Ok(Mix {
            contest,
            mixer,
            position,
            rows,
            proof,
        })
    }
}

/// One trustee's decryption shares of a contest's last mix (entry tag 12):
/// `u32 contest ‖ u32 N ‖ u32 w ‖ MixDecryption(N, w)` (§12.10).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContestDecryption {
    /// The contest's index in the manifest.
    pub contest: u32,
    /// The shares and their proof.
    pub decryption: MixDecryption,
}

impl Encode for ContestDecryption {
    fn encode(&self, out: &mut Vec<u8>) {
        put_u32(out, self.contest);
        let shares = &self.decryption.shares;
        put_shape(out, shares.len(), shares.first().map_or(0, Vec::len));
        self.decryption.encode(out);
    }
}

impl ContestDecryption {
    /// Reads a mix decryption entry's body.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self> {
        let contest = r.u32("contest")?;
        let (n, w) = read_shape(r, |n, w| 4 + 32 * n * w + 96)?;
        Ok(ContestDecryption {
            contest,
            decryption: MixDecryption::decode(r, n, w)?,
        })
    }
}

/// A ranked contest's decrypted papers and count sheet (entry tag 13), published by the
/// administrator: `u32 contest ‖ u32 N ‖ u32 w ‖ N·w u16 values ‖ CountSheet`. With no counted
/// ballot there is nothing to mix, and `N = w = 0`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RankedCount {
    /// The contest's index in the manifest.
    pub contest: u32,
    /// The last mix's rows decrypted: option numbers, 1-based, 0 for no preference (§7.1).
    pub rows: Vec<Vec<u16>>,
    /// The count (§12.8).
    pub sheet: CountSheet,
}

impl Encode for RankedCount {
    fn encode(&self, out: &mut Vec<u8>) {
        put_u32(out, self.contest);
        put_shape(out, self.rows.len(), self.rows.first().map_or(0, Vec::len));
        for v in self.rows.iter().flatten() {
            out.extend_from_slice(&v.to_le_bytes());
        }
        self.sheet.encode(out);
    }
}

impl RankedCount {
    /// Reads a ranked count entry's body.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self> {
        let contest = r.u32("contest")?;
        let n = r.u32("rows")? as usize;
        let w = r.u32("row width")? as usize;
        if (n == 0) != (w == 0) || n.saturating_mul(w) > MAX_CIPHERTEXTS {
            return Err(Error::Malformed {
                what: "ranked count",
                reason: "rows of at least one value, at most 2^25 values, or none",
            });
        }
        if r.remaining() < n * w * 2 {
            return Err(Error::WrongLength {
                what: "ranked count",
                expected: n * w * 2,
                found: r.remaining(),
            });
        }
        let rows = (0..n)
            .map(|_| {
                (0..w)
                    .map(|_| Ok(u16::from_le_bytes(r.array("preference")?)))
                    .collect()
            })
            .collect::<Result<_>>()?;
        Ok(RankedCount {
            contest,
            rows,
            sheet: CountSheet::decode(r)?,
        })
    }
}

/// The lot seed of contest `contest` (§12.8): `TaggedHash("thistle-v1/stv-lot-seed", ManifestHash
/// ‖ u32le(contest) ‖ u32le(N) ‖ u32le(w) ‖ the decrypted rows in increasing order, each as its
/// w values u16le)`. It depends on the ballots alone, not on any mixer's randomness (which the
/// last mixer could grind) nor on the order the mixes left them in: fixed when voting closes,
/// unknown to anyone until `t` trustees have decrypted, and recomputable by everyone.
pub fn lot_seed(manifest_hash: &Digest32, contest: u32, rows: &[Vec<u16>]) -> Digest32 {
    let mut sorted: Vec<&Vec<u16>> = rows.iter().collect();
    sorted.sort_unstable();
    let mut data = manifest_hash.to_vec();
    put_u32(&mut data, contest);
    put_u32(&mut data, rows.len() as u32);
    put_u32(&mut data, rows.first().map_or(0, Vec::len) as u32);
    for v in sorted.into_iter().flatten() {
        data.extend_from_slice(&v.to_le_bytes());
    }
    tagged_hash(LOT_SEED_TAG, &data)
}

/// Tag of the decryption fingerprint (§12.11).
pub const DECRYPTION_CONTEXT_TAG: &str = "thistle-v1/decryption-context";

/// The decryption fingerprint (§12.6, §12.11): `TaggedHash("thistle-v1/decryption-context",
/// TallyHash ‖ for each ranked contest mixed, in contest order: u32le(contest) ‖ SHA-256(its last
/// mix's rows))`. Everything a trustee decrypts is fixed by it; trustees compare it, as they
/// compare `TallyHash`, so a board showing two histories (two last mixes differing by one ballot)
/// cannot collect decryptions of both.
pub fn decryption_fingerprint(tally_hash: &Digest32, last_mixes: &[(u32, &[Row])]) -> Digest32 {
    use sha2::{Digest, Sha256};
    let mut data = tally_hash.to_vec();
    for (contest, rows) in last_mixes {
        put_u32(&mut data, *contest);
        let mut h = Sha256::new();
        for c in rows.iter().flatten() {
            h.update(c.alpha.as_bytes());
            h.update(c.beta.as_bytes());
        }
        data.extend_from_slice(&h.finalize());
    }
    tagged_hash(DECRYPTION_CONTEXT_TAG, &data)
}

/// The paper a decrypted row is (§12.8): the options `v_p − 1` for the positions `p` before the
/// row's first 0; later positions are ignored.
pub fn paper(row: &[u16]) -> Vec<u16> {
    row.iter()
        .take_while(|&&v| v != 0)
        .map(|&v| v - 1)
        .collect()
}

/// The counting method a ranked contest names.
pub fn method_of(method: RankedMethod) -> Method {
    match method {
        RankedMethod::ScottishStv => Method::ScottishStv,
        RankedMethod::AlternativeVote => Method::AlternativeVote,
    }
}

/// Counts a ranked contest's decrypted rows with its lot seed (§12.8), every row one paper.
/// Fails on a contest that is not ranked or a value above its number of candidates.
pub fn count(contest: &Contest, rows: &[Vec<u16>], seed: &Digest32) -> Result<CountSheet> {
    let ContestKind::Ranked { seats, method, .. } = contest.kind else {
        return Err(Error::Count("the contest is not ranked".into()));
    };
    let n = contest.options.len();
    if rows.iter().flatten().any(|&v| usize::from(v) > n) {
        return Err(Error::Count(
            "a decrypted preference names no candidate".into(),
        ));
    }
    let ballots = rows
        .iter()
        .map(|row| Ranking {
            weight: 1,
            ranking: paper(row),
        })
        .collect();
    let profile = Profile::new(n, seats as usize, ballots, Vec::new())?;
    Ok(stv::count(&profile, method_of(method), seed))
}
