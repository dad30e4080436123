//! The trustees' key ceremony (spec §8): a t-of-n Pedersen DKG with Feldman commitments.
//!
//! Typestate: [`round1`] gives a [`Round1Secret`]; [`Round1Secret::deal`] consumes it for a
//! [`Round2Secret`]; [`Round2Secret::finish`] consumes that for the trustee's [`KeyShare`]. The public
//! messages are checked by [`Round1Set::verify`] and [`CeremonyRecord::outcome`], which are exactly
//! the verifier's steps V5–V7.
//!
//! Math (dealer `i`, polynomial `fᵢ(x) = Σₖ aᵢₖ·xᵏ`, `k < t`):
//! `Cᵢₖ = aᵢₖ·G`; share `sᵢⱼ = fᵢ(j)`; check `sᵢⱼ·G = Σₖ jᵏ·Cᵢₖ =: Fᵢ(j)`.
//! Each trustee also publishes a ceremony encryption key `Eᵢ = eᵢ·G`; the share to `j` travels as
//! `sᵢⱼ + pad(eᵢ·Eⱼ)` (a one-time pad from the static Diffie–Hellman value), so a complaint can reveal
//! `Sᵢⱼ = eⱼ·Eᵢ` with a DLEQ proof and anyone can decide who cheated.
use alloc::vec::Vec;
use core::fmt;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, VartimeMultiscalarMul};
use rand_core::{CryptoRng, RngCore};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::encoding::{put_len, put_u32, Decode, Encode, Reader};
use crate::error::{Error, Result};
use crate::group::{decode_scalar, put_scalar, Point};
use crate::hash::{tagged_hash, tags, Digest32};
use crate::manifest::{limits, Manifest};
use crate::proofs::dleq::{DleqProof, DleqStatement};
use crate::proofs::schnorr::SchnorrProof;
use crate::transcript::ProofTranscript;

/// The ceremony's public parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CeremonyParams {
    /// `CeremonyHash = TaggedHash("thistle-v1/ceremony", ManifestHash)`: binds every ceremony proof.
    pub context: Digest32,
    /// Number of trustees.
    pub n: u32,
    /// Threshold.
    pub t: u32,
}

impl CeremonyParams {
    /// Parameters of the manifest's ceremony.
    pub fn from_manifest(m: &Manifest) -> Self {
        CeremonyParams {
            context: tagged_hash(tags::CEREMONY, &m.hash()),
            n: m.trustees.len() as u32,
            t: m.threshold,
        }
    }

    fn check_index(&self, i: u32) -> Result<()> {
        if i == 0 || i > self.n {
            return Err(Error::Ceremony("trustee index outside 1..=n"));
        }
        Ok(())
    }
}

/// Round 1 public message of dealer `i`: Feldman commitments, encryption key, proofs of knowledge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Round1Package {
    /// Dealer index (1-based).
    pub dealer: u32,
    /// `Cᵢ₀ … Cᵢ,ₜ₋₁`, none the identity.
    pub commitments: Vec<Point>,
    /// `Eᵢ`, not the identity.
    pub encryption_key: Point,
    /// Knowledge of `aᵢ₀` and `eᵢ`.
    pub proof: SchnorrProof,
}

/// Dealer `i`'s round-1 secrets. Zeroized on drop, consumed by [`Round1Secret::deal`].
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct Round1Secret {
    dealer: u32,
    coefficients: Vec<Scalar>,
    encryption_secret: Scalar,
}

impl fmt::Debug for Round1Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Round1Secret")
            .field("dealer", &self.dealer)
            .finish_non_exhaustive()
    }
}

fn round1_transcript(
    params: &CeremonyParams,
    pkg_dealer: u32,
    commitments: &[Point],
    e: &Point,
) -> ProofTranscript {
    let mut t = ProofTranscript::new(b"dkg-round1", b"ceremony", &params.context);
    t.u64(b"dealer", pkg_dealer as u64);
    t.u64(b"threshold", params.t as u64);
    for c in commitments {
        t.point(b"C", c);
    }
    t.point(b"E", e);
    t
}

/// Starts dealer `dealer`'s part of the ceremony.
pub fn round1<R: RngCore + CryptoRng>(
    params: &CeremonyParams,
    dealer: u32,
    rng: &mut R,
) -> Result<(Round1Secret, Round1Package)> {
    params.check_index(dealer)?;
    let coefficients: Vec<Scalar> = (0..params.t).map(|_| Scalar::random(rng)).collect();
    let encryption_secret = Scalar::random(rng);
    let commitments: Vec<Point> = coefficients
        .iter()
        .map(|a| Point::from_point(RISTRETTO_BASEPOINT_TABLE * a))
        .collect();
    let encryption_key = Point::from_point(RISTRETTO_BASEPOINT_TABLE * &encryption_secret);
    let mut t = round1_transcript(params, dealer, &commitments, &encryption_key);
    let proof = SchnorrProof::prove(&mut t, &[&coefficients[0], &encryption_secret], rng);
    Ok((
        Round1Secret {
            dealer,
            coefficients,
            encryption_secret,
        },
        Round1Package {
            dealer,
            commitments,
            encryption_key,
            proof,
        },
    ))
}

impl Round1Package {
    /// V5: the commitments' count, non-identity and the proof of knowledge.
    pub fn verify(&self, params: &CeremonyParams) -> Result<()> {
        params.check_index(self.dealer)?;
        let bad = |reason| Error::TrusteeMisbehaved {
            trustee: self.dealer,
            reason,
        };
        if self.commitments.len() != params.t as usize {
            return Err(bad("round 1 has the wrong number of commitments"));
        }
        let mut t = round1_transcript(params, self.dealer, &self.commitments, &self.encryption_key);
        self.proof
            .verify(
                &mut t,
                &[&self.commitments[0], &self.encryption_key],
                "round 1 proof of knowledge",
            )
            .map_err(|_| Error::TrusteeProof {
                trustee: self.dealer,
                what: "round 1 proof of knowledge",
            })
    }

    /// `Fᵢ(j) = Σₖ jᵏ·Cᵢₖ`, the point `sᵢⱼ·G` must equal.
    pub fn share_commitment(&self, j: u32) -> RistrettoPoint {
        let x = Scalar::from(j as u64);
        let mut powers = Vec::with_capacity(self.commitments.len());
        let mut p = Scalar::ONE;
        for _ in &self.commitments {
            powers.push(p);
            p *= x;
        }
        RistrettoPoint::vartime_multiscalar_mul(
            &powers,
            self.commitments.iter().map(|c| *c.point()),
        )
    }

    /// Reads a package for threshold `t`.
    pub fn decode(r: &mut Reader<'_>, t: u32) -> Result<Self> {
        let dealer = r.u32("dealer")?;
        let commitments = r.vec(limits::TRUSTEES, 32, "commitments", |r| {
            Point::decode_nonidentity(r, "Feldman commitment")
        })?;
        if commitments.len() != t as usize {
            return Err(Error::TrusteeMisbehaved {
                trustee: dealer,
                reason: "round 1 has the wrong number of commitments",
            });
        }
        Ok(Round1Package {
            dealer,
            commitments,
            encryption_key: Point::decode_nonidentity(r, "ceremony encryption key")?,
            proof: SchnorrProof::decode(r, 2)?,
        })
    }
}

impl Encode for Round1Package {
    fn encode(&self, out: &mut Vec<u8>) {
        put_u32(out, self.dealer);
        crate::encoding::put_vec(out, &self.commitments);
        self.encryption_key.encode(out);
        self.proof.encode(out);
    }
}

/// All `n` round-1 packages, each verified. Only [`Round1Set::verify`] makes one.
#[derive(Clone, Debug)]
pub struct Round1Set {
    packages: Vec<Round1Package>,
}

impl Round1Set {
    /// V5 for every trustee: exactly one valid package from each of `1..=n`.
    pub fn verify(params: &CeremonyParams, mut packages: Vec<Round1Package>) -> Result<Self> {
        packages.sort_by_key(|p| p.dealer);
        for (k, p) in packages.iter().enumerate() {
            if k > 0 && packages[k - 1].dealer == p.dealer {
                return Err(Error::TrusteeMisbehaved {
                    trustee: p.dealer,
                    reason: "posted round 1 twice",
                });
            }
            p.verify(params)?;
        }
        if packages.len() != params.n as usize {
            return Err(Error::Ceremony(
                "round 1 is incomplete: every trustee must post its commitments",
            ));
        }
        Ok(Round1Set { packages })
    }

    /// Dealer `i`'s package.
    pub fn get(&self, i: u32) -> &Round1Package {
        &self.packages[i as usize - 1]
    }

    /// All packages, by dealer.
    pub fn packages(&self) -> &[Round1Package] {
        &self.packages
    }
}

/// A share for one recipient, masked with the pad derived from the pair's Diffie–Hellman value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EncryptedShare {
    /// Recipient index.
    pub recipient: u32,
    /// `sᵢⱼ + padᵢⱼ`.
    pub masked: Scalar,
}

/// Round 2 public message of dealer `i`: one encrypted share for every other trustee, by recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Round2Package {
    /// Dealer index.
    pub dealer: u32,
    /// Shares for `j ≠ i`, in increasing `j`.
    pub shares: Vec<EncryptedShare>,
}

impl Round2Package {
    /// Whether it holds exactly one share for each other trustee, in order.
    pub fn is_well_formed(&self, params: &CeremonyParams) -> bool {
        let expected = (1..=params.n).filter(|&j| j != self.dealer);
        self.shares.len() == params.n as usize - 1
            && expected.zip(&self.shares).all(|(j, s)| s.recipient == j)
    }

    fn share_for(&self, j: u32) -> Option<&EncryptedShare> {
        self.shares.iter().find(|s| s.recipient == j)
    }
}

impl Decode for Round2Package {
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(Round2Package {
            dealer: r.u32("dealer")?,
            shares: r.vec(limits::TRUSTEES, 36, "shares", |r| {
                Ok(EncryptedShare {
                    recipient: r.u32("recipient")?,
                    masked: decode_scalar(r, "masked share")?,
                })
            })?,
        })
    }
}

impl Encode for Round2Package {
    fn encode(&self, out: &mut Vec<u8>) {
        put_u32(out, self.dealer);
        put_len(out, self.shares.len());
        for s in &self.shares {
            put_u32(out, s.recipient);
            put_scalar(out, &s.masked);
        }
    }
}

/// `padᵢⱼ`: a scalar squeezed from a transcript over the pair and their Diffie–Hellman value.
pub fn share_pad(
    params: &CeremonyParams,
    dealer: &Round1Package,
    recipient: &Round1Package,
    dh: &Point,
) -> Scalar {
    let mut t = ProofTranscript::new(b"dkg-share-pad", b"ceremony", &params.context);
    t.u64(b"dealer", dealer.dealer as u64);
    t.u64(b"recipient", recipient.dealer as u64);
    t.point(b"E-dealer", &dealer.encryption_key);
    t.point(b"E-recipient", &recipient.encryption_key);
    t.point(b"DH", dh);
    t.challenge(b"pad")
}

fn eval(coefficients: &[Scalar], j: u32) -> Scalar {
    let x = Scalar::from(j as u64);
    coefficients
        .iter()
        .rev()
        .fold(Scalar::ZERO, |acc, a| acc * x + a)
}

/// Trustee `j`'s secrets after dealing. Zeroized on drop, consumed by [`Round2Secret::finish`].
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct Round2Secret {
    index: u32,
    encryption_secret: Scalar,
    own_share: Scalar,
}

impl fmt::Debug for Round2Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Round2Secret")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl Round1Secret {
    /// Deals: one masked share for every other trustee.
    pub fn deal(self, params: &CeremonyParams, set: &Round1Set) -> (Round2Secret, Round2Package) {
        let me = set.get(self.dealer);
        let shares = (1..=params.n)
            .filter(|&j| j != self.dealer)
            .map(|j| {
                let them = set.get(j);
                let dh = Point::from_point(them.encryption_key.point() * self.encryption_secret);
                let masked = eval(&self.coefficients, j) + share_pad(params, me, them, &dh);
                EncryptedShare {
                    recipient: j,
                    masked,
                }
            })
            .collect();
        (
            Round2Secret {
                index: self.dealer,
                encryption_secret: self.encryption_secret,
                own_share: eval(&self.coefficients, self.dealer),
            },
            Round2Package {
                dealer: self.dealer,
                shares,
            },
        )
    }
}

/// A public accusation that dealer `accused` sent `complainer` a share that fails its commitments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Complaint {
    /// Who complains.
    pub complainer: u32,
    /// Whom.
    pub accused: u32,
    /// `S = e_complainer·E_accused`, revealed so anyone can decrypt the share.
    pub dh: Point,
    /// `log_G E_complainer = log_{E_accused} S`.
    pub proof: DleqProof,
}

fn complaint_transcript(
    params: &CeremonyParams,
    complainer: &Round1Package,
    accused: &Round1Package,
    dh: &Point,
) -> ProofTranscript {
    let mut t = ProofTranscript::new(b"dkg-complaint", b"ceremony", &params.context);
    t.u64(b"complainer", complainer.dealer as u64);
    t.u64(b"accused", accused.dealer as u64);
    t.point(b"E-complainer", &complainer.encryption_key);
    t.point(b"E-accused", &accused.encryption_key);
    t.point(b"DH", dh);
    t
}

impl Decode for Complaint {
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(Complaint {
            complainer: r.u32("complainer")?,
            accused: r.u32("accused")?,
            dh: Point::decode_nonidentity(r, "complaint DH value")?,
            proof: DleqProof::decode(r, 1)?,
        })
    }
}

impl Complaint {
    /// V6: decides who cheated, the accused dealer or the complainer (spec §8.4).
    pub fn culprit<R: RngCore + CryptoRng>(
        &self,
        params: &CeremonyParams,
        set: &Round1Set,
        accused_round2: Option<&Round2Package>,
        rng: &mut R,
    ) -> Result<u32> {
        params.check_index(self.complainer)?;
        params.check_index(self.accused)?;
        if self.complainer == self.accused {
            return Ok(self.complainer);
        }
        let (c, a) = (set.get(self.complainer), set.get(self.accused));
        let mut t = complaint_transcript(params, c, a, &self.dh);
        if self
            .proof
            .verify(
                &mut t,
                &DleqStatement {
                    y: c.encryption_key.point(),
                    bases: &[*a.encryption_key.point()],
                    shares: &[*self.dh.point()],
                },
                rng,
                "complaint",
            )
            .is_err()
        {
            return Ok(self.complainer);
        }
        let Some(share) = accused_round2
            .filter(|p| p.is_well_formed(params))
            .and_then(|p| p.share_for(self.complainer))
        else {
            return Ok(self.accused);
        };
        let s = share.masked - share_pad(params, a, c, &self.dh);
        if RISTRETTO_BASEPOINT_TABLE * &s == a.share_commitment(self.complainer) {
            Ok(self.complainer)
        } else {
            Ok(self.accused)
        }
    }
}

impl Encode for Complaint {
    fn encode(&self, out: &mut Vec<u8>) {
        put_u32(out, self.complainer);
        put_u32(out, self.accused);
        self.dh.encode(out);
        self.proof.encode(out);
    }
}

impl Round2Secret {
    /// Serializes for encrypted storage by its holder between dealing and finishing:
    /// index ‖ encryption secret ‖ own share.
    pub fn to_secret_bytes(&self) -> zeroize::Zeroizing<Vec<u8>> {
        let mut out = Vec::with_capacity(68);
        put_u32(&mut out, self.index);
        put_scalar(&mut out, &self.encryption_secret);
        put_scalar(&mut out, &self.own_share);
        zeroize::Zeroizing::new(out)
    }

    /// Restores from [`Round2Secret::to_secret_bytes`].
    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes);
        let index = r.u32("round 2 secret index")?;
        let encryption_secret = decode_scalar(&mut r, "encryption secret")?;
        let own_share = decode_scalar(&mut r, "own share")?;
        r.finish("round 2 secret")?;
        Ok(Round2Secret {
            index,
            encryption_secret,
            own_share,
        })
    }

    /// This trustee's index.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// Decrypts the shares addressed to this trustee and files a complaint for each that fails its
    /// commitments.
    pub fn check_shares<R: RngCore + CryptoRng>(
        &self,
        params: &CeremonyParams,
        set: &Round1Set,
        round2: &[Round2Package],
        rng: &mut R,
    ) -> Vec<Complaint> {
        let me = set.get(self.index);
        let mut complaints = Vec::new();
        for pkg in round2.iter().filter(|p| p.dealer != self.index) {
            let Some(share) = pkg.share_for(self.index) else {
                continue;
            };
            let dealer = set.get(pkg.dealer);
            let dh = Point::from_point(dealer.encryption_key.point() * self.encryption_secret);
            let s = share.masked - share_pad(params, dealer, me, &dh);
            if RISTRETTO_BASEPOINT_TABLE * &s != dealer.share_commitment(self.index) {
                let mut t = complaint_transcript(params, me, dealer, &dh);
                let proof = DleqProof::prove(
                    &mut t,
                    &self.encryption_secret,
                    &[*dealer.encryption_key.point()],
                    rng,
                );
                complaints.push(Complaint {
                    complainer: self.index,
                    accused: pkg.dealer,
                    dh,
                    proof,
                });
            }
        }
        complaints
    }

    /// Sums the qualified dealers' shares into this trustee's key share.
    pub fn finish(
        self,
        params: &CeremonyParams,
        set: &Round1Set,
        round2: &[Round2Package],
        outcome: &CeremonyOutcome,
    ) -> Result<KeyShare> {
        if !outcome.qualified.contains(&self.index) {
            return Err(Error::Ceremony(
                "this trustee was disqualified and holds no key share",
            ));
        }
        let me = set.get(self.index);
        let mut secret = Scalar::ZERO;
        for &i in &outcome.qualified {
            if i == self.index {
                secret += self.own_share;
                continue;
            }
            let pkg = round2
                .iter()
                .find(|p| p.dealer == i)
                .ok_or(Error::Ceremony("a qualified dealer's shares are missing"))?;
            let share = pkg
                .share_for(self.index)
                .ok_or(Error::Ceremony("a qualified dealer's share is missing"))?;
            let dealer = set.get(i);
            let dh = Point::from_point(dealer.encryption_key.point() * self.encryption_secret);
            secret += share.masked - share_pad(params, dealer, me, &dh);
        }
        let verification_share = outcome
            .verification_share(self.index)
            .ok_or(Error::Ceremony("no verification share"))?;
        if RISTRETTO_BASEPOINT_TABLE * &secret != *verification_share.point() {
            return Err(Error::Ceremony(
                "the key share does not match its verification share; file complaints first",
            ));
        }
        Ok(KeyShare {
            index: self.index,
            secret,
            verification_share,
        })
    }
}

/// The public record of a ceremony.
#[derive(Clone, Debug)]
pub struct CeremonyRecord<'a> {
    /// Verified round 1.
    pub round1: &'a Round1Set,
    /// Round 2 packages as posted.
    pub round2: &'a [Round2Package],
    /// Complaints as posted.
    pub complaints: &'a [Complaint],
}

/// What the ceremony produced: who is qualified, the joint key and every verification share.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CeremonyOutcome {
    /// Qualified trustees, increasing.
    pub qualified: Vec<u32>,
    /// Disqualified trustees with the reason.
    pub disqualified: Vec<(u32, &'static str)>,
    /// `K = Σ_{i∈QUAL} Cᵢ₀`.
    pub joint_key: Point,
    /// The qualified dealers' commitments, in `qualified` order (bound by the fingerprint).
    pub commitments: Vec<Vec<Point>>,
    verification_shares: Vec<(u32, Point)>,
}

impl CeremonyOutcome {
    /// `Yⱼ = Σ_{i∈QUAL} Fᵢ(j)` for qualified `j`.
    pub fn verification_share(&self, j: u32) -> Option<Point> {
        self.verification_shares
            .iter()
            .find(|(i, _)| *i == j)
            .map(|(_, y)| *y)
    }
}

impl CeremonyRecord<'_> {
    /// V6–V7: resolves complaints, computes QUAL, the joint key and the verification shares.
    pub fn outcome<R: RngCore + CryptoRng>(
        &self,
        params: &CeremonyParams,
        rng: &mut R,
    ) -> Result<CeremonyOutcome> {
        let mut disqualified: Vec<(u32, &'static str)> = Vec::new();
        let mark = |i: u32, why: &'static str, d: &mut Vec<(u32, &'static str)>| {
            if !d.iter().any(|(j, _)| *j == i) {
                d.push((i, why));
            }
        };
        for i in 1..=params.n {
            let posted: Vec<&Round2Package> =
                self.round2.iter().filter(|p| p.dealer == i).collect();
            match posted.as_slice() {
                [p] if p.is_well_formed(params) => {}
                [] => mark(i, "posted no round 2 shares", &mut disqualified),
                _ => mark(
                    i,
                    "posted malformed or duplicate round 2 shares",
                    &mut disqualified,
                ),
            }
        }
        for c in self.complaints {
            let accused = self.round2.iter().find(|p| p.dealer == c.accused);
            let culprit = c.culprit(params, self.round1, accused, rng)?;
            let why = if culprit == c.accused {
                "sent a share that fails its commitments"
            } else {
                "filed a false complaint"
            };
            mark(culprit, why, &mut disqualified);
        }
        disqualified.sort_by_key(|(i, _)| *i);
        let qualified: Vec<u32> = (1..=params.n)
            .filter(|i| !disqualified.iter().any(|(j, _)| j == i))
            .collect();
        if qualified.len() < params.t as usize {
            return Err(Error::Ceremony(
                "fewer than t trustees remain qualified; restart the ceremony without the culprits",
            ));
        }
        let joint = qualified
            .iter()
            .fold(RistrettoPoint::identity(), |acc, &i| {
                acc + self.round1.get(i).commitments[0].point()
            });
        let verification_shares: Vec<(u32, Point)> = qualified
            .iter()
            .map(|&j| {
                let y = qualified
                    .iter()
                    .fold(RistrettoPoint::identity(), |acc, &i| {
                        acc + self.round1.get(i).share_commitment(j)
                    });
                (j, Point::from_point(y))
            })
            .collect();
        let identity = |p: &RistrettoPoint| curve25519_dalek::traits::IsIdentity::is_identity(p);
        if identity(&joint)
            || verification_shares
                .iter()
                .any(|(_, y): &(u32, Point)| y.is_identity())
        {
            return Err(Error::Ceremony(
                "the joint key or a verification share is the identity; restart the ceremony",
            ));
        }
        Ok(CeremonyOutcome {
            commitments: qualified
                .iter()
                .map(|&i| self.round1.get(i).commitments.clone())
                .collect(),
            qualified,
            disqualified,
            joint_key: Point::from_point(joint),
            verification_shares,
        })
    }
}

/// A trustee's share of the election secret key. Zeroized on drop; never printed.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct KeyShare {
    index: u32,
    secret: Scalar,
    #[zeroize(skip)]
    verification_share: Point,
}

impl KeyShare {
    /// The trustee's index.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// `Yⱼ = xⱼ·G`.
    pub fn verification_share(&self) -> &Point {
        &self.verification_share
    }

    pub(crate) fn secret(&self) -> &Scalar {
        &self.secret
    }

    /// Serializes for encrypted storage by its holder: index ‖ secret ‖ Yⱼ.
    pub fn to_secret_bytes(&self) -> zeroize::Zeroizing<Vec<u8>> {
        let mut out = Vec::with_capacity(68);
        put_u32(&mut out, self.index);
        put_scalar(&mut out, &self.secret);
        self.verification_share.encode(&mut out);
        zeroize::Zeroizing::new(out)
    }

    /// Restores from [`KeyShare::to_secret_bytes`], checking `xⱼ·G = Yⱼ`.
    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes);
        let index = r.u32("key share index")?;
        let secret = decode_scalar(&mut r, "key share")?;
        let verification_share = Point::decode_nonidentity(&mut r, "verification share")?;
        r.finish("key share")?;
        if RISTRETTO_BASEPOINT_TABLE * &secret != *verification_share.point() {
            return Err(Error::Ceremony(
                "stored key share does not match its verification share",
            ));
        }
        Ok(KeyShare {
            index,
            secret,
            verification_share,
        })
    }
}

impl fmt::Debug for KeyShare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyShare")
            .field("index", &self.index)
            .field("verification_share", &self.verification_share)
            .finish_non_exhaustive()
    }
}
