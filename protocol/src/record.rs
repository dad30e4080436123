//! Record entries (spec §13): the typed leaves of the bulletin board's log, who writes each, and in
//! which phase it is accepted.
use alloc::vec::Vec;

use crate::ballot::{AuditedBallot, Ballot, TrackingCode};
use crate::credentials::CredentialList;
use crate::dkg::{Complaint, Round1Package, Round2Package};
use crate::encoding::{put_u64, Decode, Encode, Reader};
use crate::error::{Error, Result};
use crate::hash::Digest32;
use crate::manifest::Manifest;
use crate::mixnet::{ContestDecryption, Mix, RankedCount};
use crate::signature::{tags, PublicKey, SecretKey};
use crate::tally::{EncryptedTally, PartialDecryption, Results};

/// The election's phases, in order (spec §13.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Phase {
    /// After the manifest: the credential list may be posted.
    Setup = 0,
    /// Trustees run the DKG; the credential list may still be posted.
    KeyCeremony = 1,
    /// Ballots and audited ballots are accepted (within the manifest's window).
    VotingOpen = 2,
    /// No more ballots; the administrator posts the encrypted tally.
    VotingClosed = 3,
    /// Trustees post partial decryptions; the results entry ends it.
    Tally = 4,
    /// Results are published; nothing more is accepted.
    ResultsPublished = 5,
}

impl Phase {
    /// Every phase, in order.
    pub const ALL: [Phase; 6] = [
        Phase::Setup,
        Phase::KeyCeremony,
        Phase::VotingOpen,
        Phase::VotingClosed,
        Phase::Tally,
        Phase::ResultsPublished,
    ];

    /// The name the board's status gives the phase (spec §13.7).
    pub fn name(self) -> &'static str {
        match self {
            Phase::Setup => "Setup",
            Phase::KeyCeremony => "KeyCeremony",
            Phase::VotingOpen => "VotingOpen",
            Phase::VotingClosed => "VotingClosed",
            Phase::Tally => "Tally",
            Phase::ResultsPublished => "ResultsPublished",
        }
    }

    /// The phase with this [`Phase::name`], if any.
    pub fn named(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    fn from_u8(b: u8) -> Result<Self> {
        Ok(match b {
            0 => Phase::Setup,
            1 => Phase::KeyCeremony,
            2 => Phase::VotingOpen,
            3 => Phase::VotingClosed,
            4 => Phase::Tally,
            5 => Phase::ResultsPublished,
            _ => {
                return Err(Error::Malformed {
                    what: "phase",
                    reason: "unknown phase",
                })
            }
        })
    }
}

/// One entry's content.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)]
pub enum Entry {
    /// Tag 0, administrator, first entry only.
    Manifest(Manifest),
    /// Tag 1, administrator: moves to the next phase. Opening the vote carries the fingerprint.
    Phase {
        /// The new phase (exactly one after the current one).
        phase: Phase,
        /// With `VotingOpen`: the election fingerprint (V9 recomputes it).
        fingerprint: Option<Digest32>,
    },
    /// Tag 2, trustee `dealer`, key ceremony.
    DkgRound1(Round1Package),
    /// Tag 3, trustee `dealer`, key ceremony.
    DkgRound2(Round2Package),
    /// Tag 4, trustee `complainer`, key ceremony.
    DkgComplaint(Complaint),
    /// Tag 5, credential authority, setup or key ceremony.
    CredentialList(CredentialList),
    /// Tag 6, voter (the ballot's own credential signature), voting open.
    Ballot(Ballot),
    /// Tag 7, voter (the ballot's credential signature), voting open.
    AuditedBallot(AuditedBallot),
    /// Tag 8, administrator, voting closed.
    EncryptedTally(EncryptedTally),
    /// Tag 9, trustee, tally.
    PartialDecryption(PartialDecryption),
    /// Tag 10, administrator, tally; ends the election.
    Results(Results),
    /// Tag 11, trustee `mixer`, voting closed: a shuffle of a ranked contest (§12.11).
    Mix(Mix),
    /// Tag 12, trustee, tally: decryption shares of a ranked contest's last mix.
    MixDecryption(ContestDecryption),
    /// Tag 13, administrator, tally: a ranked contest's decrypted papers and count sheet.
    RankedCount(RankedCount),
}

/// Who must have signed an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Writer {
    /// The manifest's administrator key.
    Administrator,
    /// Trustee `i`'s key.
    Trustee(u32),
    /// The credential authority's key.
    CredentialAuthority,
    /// The ballot's credential (its own signature authenticates it).
    Voter,
}

impl Entry {
    /// The entry's tag.
    pub fn tag(&self) -> u8 {
        match self {
            Entry::Manifest(_) => 0,
            Entry::Phase { .. } => 1,
            Entry::DkgRound1(_) => 2,
            Entry::DkgRound2(_) => 3,
            Entry::DkgComplaint(_) => 4,
            Entry::CredentialList(_) => 5,
            Entry::Ballot(_) => 6,
            Entry::AuditedBallot(_) => 7,
            Entry::EncryptedTally(_) => 8,
            Entry::PartialDecryption(_) => 9,
            Entry::Results(_) => 10,
            Entry::Mix(_) => 11,
            Entry::MixDecryption(_) => 12,
            Entry::RankedCount(_) => 13,
        }
    }

    /// The writer rule (spec §13.1).
    pub fn writer(&self) -> Writer {
        match self {
            Entry::Manifest(_)
            | Entry::Phase { .. }
            | Entry::EncryptedTally(_)
            | Entry::Results(_)
            | Entry::RankedCount(_) => Writer::Administrator,
            Entry::DkgRound1(p) => Writer::Trustee(p.dealer),
            Entry::DkgRound2(p) => Writer::Trustee(p.dealer),
            Entry::DkgComplaint(c) => Writer::Trustee(c.complainer),
            Entry::PartialDecryption(p) => Writer::Trustee(p.trustee),
            Entry::Mix(m) => Writer::Trustee(m.mixer),
            Entry::MixDecryption(d) => Writer::Trustee(d.decryption.trustee),
            Entry::CredentialList(_) => Writer::CredentialAuthority,
            Entry::Ballot(_) | Entry::AuditedBallot(_) => Writer::Voter,
        }
    }

    /// Whether the entry is accepted in `phase` (spec §13.2; a phase change must also pass
    /// [`next_phase_ok`], and the results entry itself ends the tally phase).
    pub fn allowed_in(&self, phase: Phase) -> bool {
        match self {
            Entry::Manifest(_) => false,
            Entry::Phase { .. } => phase < Phase::Tally,
            Entry::DkgRound1(_) | Entry::DkgRound2(_) | Entry::DkgComplaint(_) => {
                phase == Phase::KeyCeremony
            }
            Entry::CredentialList(_) => phase == Phase::Setup || phase == Phase::KeyCeremony,
            Entry::Ballot(_) | Entry::AuditedBallot(_) => phase == Phase::VotingOpen,
            Entry::EncryptedTally(_) | Entry::Mix(_) => phase == Phase::VotingClosed,
            Entry::PartialDecryption(_)
            | Entry::MixDecryption(_)
            | Entry::RankedCount(_)
            | Entry::Results(_) => phase == Phase::Tally,
        }
    }

    fn body(&self, out: &mut Vec<u8>) {
        match self {
            Entry::Manifest(m) => m.encode(out),
            Entry::Phase { phase, fingerprint } => {
                out.push(*phase as u8);
                match fingerprint {
                    None => out.push(0),
                    Some(f) => {
                        out.push(1);
                        out.extend_from_slice(f);
                    }
                }
            }
            Entry::DkgRound1(p) => p.encode(out),
            Entry::DkgRound2(p) => p.encode(out),
            Entry::DkgComplaint(c) => c.encode(out),
            Entry::CredentialList(l) => l.encode(out),
            Entry::Ballot(b) => b.encode(out),
            Entry::AuditedBallot(a) => a.encode(out),
            Entry::EncryptedTally(t) => t.encode(out),
            Entry::PartialDecryption(p) => p.encode(out),
            Entry::Results(r) => r.encode(out),
            Entry::Mix(m) => m.encode(out),
            Entry::MixDecryption(d) => d.encode(out),
            Entry::RankedCount(c) => c.encode(out),
        }
    }

    /// `u8 tag ‖ body`.
    pub fn content_bytes(&self) -> Vec<u8> {
        let mut out = alloc::vec![self.tag()];
        self.body(&mut out);
        out
    }

    /// Reads `u8 tag ‖ body`; `threshold` sizes DKG round 1 packages.
    pub fn decode(r: &mut Reader<'_>, threshold: u32) -> Result<Self> {
        Ok(match r.u8("entry tag")? {
            0 => Entry::Manifest(Manifest::decode(r)?),
            1 => Entry::Phase {
                phase: Phase::from_u8(r.u8("phase")?)?,
                fingerprint: if r.bool("fingerprint present")? {
                    Some(r.array("fingerprint")?)
                } else {
                    None
                },
            },
            2 => Entry::DkgRound1(Round1Package::decode(r, threshold)?),
            3 => Entry::DkgRound2(Round2Package::decode(r)?),
            4 => Entry::DkgComplaint(Complaint::decode(r)?),
            5 => Entry::CredentialList(CredentialList::decode(r)?),
            6 => Entry::Ballot(Ballot::decode(r)?),
            7 => Entry::AuditedBallot(AuditedBallot::decode(r)?),
            8 => Entry::EncryptedTally(EncryptedTally::decode(r)?),
            9 => Entry::PartialDecryption(PartialDecryption::decode(r)?),
            10 => Entry::Results(Results::decode(r)?),
            11 => Entry::Mix(Mix::decode(r)?),
            12 => Entry::MixDecryption(ContestDecryption::decode(r)?),
            13 => Entry::RankedCount(RankedCount::decode(r)?),
            _ => {
                return Err(Error::Malformed {
                    what: "entry",
                    reason: "unknown entry tag",
                })
            }
        })
    }
}

/// Whether an administrator may move from `current` to `next`: exactly one step forward.
pub fn next_phase_ok(current: Phase, next: Phase) -> bool {
    next as u8 == current as u8 + 1
}

/// What a writer signs: `ManifestHash ‖ u8 tag ‖ body`, under the tag `"thistle-v1/entry"`.
pub fn entry_signing_data(manifest_hash: &Digest32, entry: &Entry) -> Vec<u8> {
    let mut data = manifest_hash.to_vec();
    data.extend_from_slice(&entry.content_bytes());
    data
}

/// An entry with its writer's signature (absent for ballots, which carry their own).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedEntry {
    /// The entry.
    pub entry: Entry,
    /// The writer's signature, for administrator, trustee and credential-authority entries.
    pub signature: Option<[u8; 64]>,
}

impl SignedEntry {
    /// Signs an entry as its writer.
    pub fn sign(manifest_hash: &Digest32, entry: Entry, key: &SecretKey) -> Self {
        let signature = key.sign(tags::ENTRY, &entry_signing_data(manifest_hash, &entry));
        SignedEntry {
            entry,
            signature: Some(signature),
        }
    }

    /// The body of `POST /v1/elections[/{id}/{kind}]` for this entry (§13.7):
    /// `{"body": base64(entry content without its tag), "signature": base64}`, the signature left
    /// out for ballots and audited ballots (theirs is inside the body).
    pub fn post_body(&self) -> alloc::string::String {
        use base64::Engine;
        let b64 = &base64::engine::general_purpose::STANDARD;
        let content = self.entry.content_bytes();
        let body = b64.encode(&content[1..]);
        match &self.signature {
            Some(sig) => alloc::format!(r#"{{"body":"{body}","signature":"{}"}}"#, b64.encode(sig)),
            None => alloc::format!(r#"{{"body":"{body}"}}"#),
        }
    }

    /// V4 (V3 for the manifest itself): the writer rule and its signature.
    pub fn verify_writer(&self, manifest: &Manifest, manifest_hash: &Digest32) -> Result<()> {
        let key: &PublicKey = match self.entry.writer() {
            Writer::Voter => {
                return if self.signature.is_none() {
                    Ok(())
                } else {
                    Err(Error::Malformed {
                        what: "voter entry",
                        reason: "ballots carry their own signature",
                    })
                }
            }
            Writer::Administrator => &manifest.administrator,
            Writer::CredentialAuthority => &manifest.credential_authority,
            Writer::Trustee(i) => {
                &manifest
                    .trustee(i)
                    .ok_or(Error::Ceremony(
                        "entry names a trustee the manifest does not have",
                    ))?
                    .key
            }
        };
        let sig = self.signature.ok_or(Error::BadSignature {
            what: "entry (missing)",
        })?;
        key.verify(
            tags::ENTRY,
            &entry_signing_data(manifest_hash, &self.entry),
            &sig,
            "record entry",
        )
    }
}

/// A leaf of the log: the board's receipt time, then the signed entry.
/// Encoding: `u64 time ‖ u8 tag ‖ body ‖ (64-byte signature unless a voter entry)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Leaf {
    /// When the board accepted the entry (Unix seconds).
    pub time: u64,
    /// The entry.
    pub signed: SignedEntry,
}

impl Leaf {
    /// The canonical bytes (what the Merkle tree hashes).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        put_u64(&mut out, self.time);
        out.extend_from_slice(&self.signed.entry.content_bytes());
        if let Some(sig) = &self.signed.signature {
            out.extend_from_slice(sig);
        }
        out
    }

    /// Decodes a leaf exactly (no trailing bytes); `threshold` is the manifest's (any value for the
    /// manifest leaf).
    pub fn from_bytes(bytes: &[u8], threshold: u32) -> Result<Self> {
        let mut r = Reader::new(bytes);
        let time = r.u64("leaf time")?;
        let entry = Entry::decode(&mut r, threshold)?;
        let signature = if entry.writer() == Writer::Voter {
            None
        } else {
            Some(r.array("entry signature")?)
        };
        r.finish("leaf")?;
        Ok(Leaf {
            time,
            signed: SignedEntry { entry, signature },
        })
    }
}

/// A posting receipt (spec §13.5): the board's signature, made only after the leaf is durably
/// committed, that the entry with `leaf_hash` stands at `index` with board time `time`. A voter
/// shows it if the ballot later goes missing; the inclusion proof under the next checkpoint
/// completes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// The leaf index.
    pub index: u64,
    /// The leaf's board time (Unix seconds).
    pub time: u64,
    /// The RFC 9162 leaf hash, `SHA-256(0x00 ‖ Leaf)`.
    pub leaf_hash: Digest32,
    /// For ballots and audited ballots, the tracking code.
    pub tracking_code: Option<TrackingCode>,
}

impl Receipt {
    /// The receipt for a leaf at `index`.
    pub fn for_leaf(index: u64, leaf: &Leaf) -> Self {
        let tracking_code = match &leaf.signed.entry {
            Entry::Ballot(b) => Some(b.encrypted.tracking_code()),
            Entry::AuditedBallot(a) => Some(a.encrypted.tracking_code()),
            _ => None,
        };
        Receipt {
            index,
            time: leaf.time,
            leaf_hash: crate::merkle::leaf_hash(&leaf.to_bytes()),
            tracking_code,
        }
    }

    /// `ManifestHash ‖ u64 index ‖ u64 time ‖ leaf_hash ‖ bool present ‖ [tracking code]`.
    pub fn signing_data(&self, manifest_hash: &Digest32) -> Vec<u8> {
        let mut out = manifest_hash.to_vec();
        put_u64(&mut out, self.index);
        put_u64(&mut out, self.time);
        out.extend_from_slice(&self.leaf_hash);
        match &self.tracking_code {
            None => out.push(0),
            Some(code) => {
                out.push(1);
                out.extend_from_slice(&code.0);
            }
        }
        out
    }

    /// The board's signature (tag `thistle-v1/receipt`).
    pub fn sign(&self, manifest_hash: &Digest32, board_key: &SecretKey) -> [u8; 64] {
        board_key.sign(tags::RECEIPT, &self.signing_data(manifest_hash))
    }

    /// The receipt for `entry` that the board says it put at `index` at `time`, checked: the
    /// writer rebuilds the leaf from its own entry, so a signature over anything else fails.
    pub fn check_for(
        entry: &SignedEntry,
        index: u64,
        time: u64,
        signature: &[u8; 64],
        manifest_hash: &Digest32,
        board_key: &PublicKey,
    ) -> Result<Self> {
        let leaf = Leaf {
            time,
            signed: entry.clone(),
        };
        let receipt = Receipt::for_leaf(index, &leaf);
        receipt.verify(manifest_hash, board_key, signature)?;
        Ok(receipt)
    }

    /// Checks the board's signature under the manifest's board key.
    pub fn verify(
        &self,
        manifest_hash: &Digest32,
        board_key: &PublicKey,
        signature: &[u8; 64],
    ) -> Result<()> {
        board_key.verify(
            tags::RECEIPT,
            &self.signing_data(manifest_hash),
            signature,
            "receipt",
        )
    }
}
