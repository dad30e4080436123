//! A simulated election for the load generator and the tests: every role's key, an honest key
//! ceremony, a credential list, and ballots, as the entries each role would post. It stands in for
//! the election authority, trustees and voters of later components; the board sees only what
//! they would send.
use protocol::ballot::{self, AuditedBallot, Ballot, BallotContext};
use protocol::context::ElectionContext;
use protocol::credentials::{Credential, CredentialEntry, CredentialList};
use protocol::dkg::{
    self, CeremonyParams, CeremonyRecord, Complaint, KeyShare, Round1Package, Round1Set,
    Round2Package,
};
use protocol::elgamal::ElectionPublicKey;
use protocol::hash::Digest32;
use protocol::manifest::{BoardInfo, Contest, ContestKind, ContestOption, Manifest, TrusteeInfo};
use protocol::mixdecrypt::{self, MixDecryption};
use protocol::mixnet::{self, ContestDecryption, Mix, RankedCount};
use protocol::record::{Entry, Phase, SignedEntry};
use protocol::shuffle::{self, Row};
use protocol::signature::{PublicKey, SecretKey};
use rand_core::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};

/// A set-up election: the manifest, every role's key, the ceremony and the voters' credentials.
pub struct SimElection {
    /// The manifest.
    pub manifest: Manifest,
    /// `ManifestHash`.
    pub manifest_hash: Digest32,
    /// The administrator's key.
    pub admin: SecretKey,
    /// The credential authority's key.
    pub authority: SecretKey,
    /// Trustee keys (trustee `i` at `i - 1`).
    pub trustees: Vec<SecretKey>,
    /// The qualified trustees' key shares, in index order (all of them unless a share was
    /// tampered with).
    pub key_shares: Vec<KeyShare>,
    /// Round 1 packages.
    pub round1: Vec<Round1Package>,
    /// Round 2 packages.
    pub round2: Vec<Round2Package>,
    /// Complaints filed in the ceremony (none unless [`SimSpec::tampered_share`] is set).
    pub complaints: Vec<Complaint>,
    /// Voters' credentials.
    pub credentials: Vec<Credential>,
    /// Voters' weights.
    pub weights: Vec<u64>,
    /// The credential list.
    pub list: CredentialList,
    /// The election context (key, fingerprint).
    pub context: ElectionContext,
    /// For encrypting ballots.
    pub ballots: BallotContext,
}

/// What [`SimElection::with_spec`] builds.
pub struct SimSpec {
    /// Number of trustees.
    pub trustees: u32,
    /// Threshold `t`.
    pub threshold: u32,
    /// The contests.
    pub contests: Vec<Contest>,
    /// One weight per voter.
    pub weights: Vec<u64>,
    /// `(dealer, recipient)`: the dealer sends that recipient a wrong share, the recipient
    /// complains and the dealer is disqualified.
    pub tampered_share: Option<(u32, u32)>,
}

fn key_from(label: &str) -> SecretKey {
    SecretKey::from_seed(&Sha256::digest(label.as_bytes()).into())
}

/// One "choose exactly one of five" contest.
pub fn one_of_five() -> Vec<Contest> {
    vec![Contest {
        id: "chair".into(),
        title: "Who should chair the council?".into(),
        kind: ContestKind::Choose { min: 1, max: 1 },
        options: ["ailsa", "brodie", "catriona", "duncan", "eilidh"]
            .iter()
            .map(|id| ContestOption {
                id: (*id).into(),
                title: format!("Candidate {id}"),
            })
            .collect(),
    }]
}

/// Every contest kind of spec §6.2: 1-of-n, a referendum, choose 1 to 2, approval, score,
/// cumulative and a participatory budget.
pub fn every_contest_kind() -> Vec<Contest> {
    let kinds = [
        ("Chair", ContestKind::Choose { min: 1, max: 1 }, 3),
        ("Referendum", ContestKind::Choose { min: 1, max: 1 }, 2),
        ("Committee", ContestKind::Choose { min: 1, max: 2 }, 3),
        ("Approval", ContestKind::Approval, 3),
        ("Scores", ContestKind::Score { max_score: 10 }, 3),
        ("Cumulative", ContestKind::Cumulative { points: 5 }, 3),
        (
            "Budget",
            ContestKind::Budget {
                budget: 100,
                costs: vec![60, 30, 25],
            },
            3,
        ),
    ];
    kinds
        .into_iter()
        .enumerate()
        .map(|(i, (title, kind, n))| Contest {
            id: format!("c{i}"),
            title: title.into(),
            kind,
            options: (0..n)
                .map(|k| ContestOption {
                    id: format!("o{k}"),
                    title: format!("Option {k}"),
                })
                .collect(),
        })
        .collect()
}

/// Voter `v`'s (valid) choices in every contest of [`every_contest_kind`].
pub fn every_kind_selection(v: usize) -> Vec<Vec<u64>> {
    let choose = [[1, 0, 0], [1, 1, 0], [0, 1, 1], [0, 0, 1]];
    let budget = [[1, 1, 0], [0, 1, 1], [1, 0, 0], [0, 0, 0]];
    vec![
        (0..3).map(|k| (k == v % 3) as u64).collect(),
        (0..2).map(|k| (k == v % 2) as u64).collect(),
        choose[v % 4].to_vec(),
        vec![(v % 2) as u64, ((v + 1) % 2) as u64, 1],
        vec![(v % 11) as u64, 10, 0],
        vec![(v % 3) as u64, 1, (v % 2) as u64],
        budget[v % 4].to_vec(),
    ]
}

/// A council ward by Scottish STV: rank up to three of four candidates, two seats.
pub fn ward() -> Contest {
    Contest {
        id: "ward".into(),
        title: "Ward 3: elect two councillors".into(),
        kind: ContestKind::Ranked {
            ranks: 3,
            seats: 2,
            method: protocol::manifest::RankedMethod::ScottishStv,
        },
        options: ["fraser", "macleod", "stewart", "campbell"]
            .iter()
            .map(|id| ContestOption {
                id: (*id).into(),
                title: format!("Candidate {id}"),
            })
            .collect(),
    }
}

/// A ranking for [`ward`], varied by `v`: option numbers from 1, 0 for no preference.
pub fn ward_ranking(v: usize) -> Vec<u64> {
    let rankings = [
        [1, 2, 3],
        [2, 1, 0],
        [4, 0, 0],
        [3, 4, 1],
        [1, 3, 0],
        [2, 4, 3],
    ];
    rankings[v % rankings.len()].to_vec()
}

impl SimElection {
    /// A 2-of-3 election with `voters` voters of weight 1 on the board `board`. Keys derive from
    /// `seed`; ceremony randomness comes from `rng`.
    pub fn new<R: RngCore + CryptoRng>(
        seed: &str,
        board: BoardInfo,
        voters: usize,
        window: (u64, u64),
        rng: &mut R,
    ) -> Self {
        Self::with_spec(
            seed,
            board,
            window,
            SimSpec {
                trustees: 3,
                threshold: 2,
                contests: one_of_five(),
                weights: vec![1; voters],
                tampered_share: None,
            },
            rng,
        )
    }

    /// An election as `spec` describes it. Keys derive from `seed`; ceremony randomness comes
    /// from `rng`.
    pub fn with_spec<R: RngCore + CryptoRng>(
        seed: &str,
        board: BoardInfo,
        window: (u64, u64),
        spec: SimSpec,
        rng: &mut R,
    ) -> Self {
        Self::witnessed(seed, board, window, spec, (Vec::new(), 0), rng)
    }

    /// [`Self::with_spec`] with witnesses and their quorum `k` in the manifest (spec §13.9).
    pub fn witnessed<R: RngCore + CryptoRng>(
        seed: &str,
        board: BoardInfo,
        window: (u64, u64),
        spec: SimSpec,
        (witnesses, witness_quorum): (Vec<protocol::manifest::WitnessInfo>, u32),
        rng: &mut R,
    ) -> Self {
        let admin = key_from(&format!("{seed}/administrator"));
        let authority = key_from(&format!("{seed}/credential-authority"));
        let trustees: Vec<SecretKey> = (1..=spec.trustees)
            .map(|i| key_from(&format!("{seed}/trustee-{i}")))
            .collect();
        let manifest = Manifest {
            election_id: format!(
                "sim-{}",
                &hex::encode(Sha256::digest(seed.as_bytes()))[..12]
            ),
            title: format!("Simulated election {seed}"),
            opens_at: window.0,
            closes_at: window.1,
            administrator: admin.public_key(),
            credential_authority: authority.public_key(),
            board,
            trustees: trustees
                .iter()
                .enumerate()
                .map(|(i, k)| TrusteeInfo {
                    name: format!("Trustee {}", i + 1),
                    key: k.public_key(),
                })
                .collect(),
            threshold: spec.threshold,
            contests: spec.contests,
            witnesses,
            witness_quorum,
        };
        let params = CeremonyParams::from_manifest(&manifest);
        let (secrets, packages): (Vec<_>, Vec<_>) = (1..=params.n)
            .map(|i| dkg::round1(&params, i, rng).expect("valid parameters"))
            .unzip();
        let set = Round1Set::verify(&params, packages.clone()).expect("honest round 1");
        let (secrets2, mut round2): (Vec<_>, Vec<_>) =
            secrets.into_iter().map(|s| s.deal(&params, &set)).unzip();
        if let Some((dealer, recipient)) = spec.tampered_share {
            let share = round2[dealer as usize - 1]
                .shares
                .iter_mut()
                .find(|s| s.recipient == recipient)
                .expect("the recipient is another trustee");
            share.masked += curve25519_dalek::Scalar::ONE;
        }
        let complaints: Vec<Complaint> = secrets2
            .iter()
            .flat_map(|s| s.check_shares(&params, &set, &round2, rng))
            .collect();
        let outcome = CeremonyRecord {
            round1: &set,
            round2: &round2,
            complaints: &complaints,
        }
        .outcome(&params, rng)
        .expect("a ceremony with at least t qualified trustees");
        let key_shares = secrets2
            .into_iter()
            .filter(|s| outcome.qualified.contains(&s.index()))
            .map(|s| {
                s.finish(&params, &set, &round2, &outcome)
                    .expect("qualified trustees' shares")
            })
            .collect();
        let credentials: Vec<Credential> = (0..spec.weights.len())
            .map(|i| key_from(&format!("{seed}/voter-{i}")))
            .collect();
        let list = CredentialList::new(
            credentials
                .iter()
                .zip(&spec.weights)
                .map(|(c, &weight)| CredentialEntry {
                    key: c.public_key(),
                    weight,
                })
                .collect(),
        )
        .expect("distinct credentials");
        let context =
            ElectionContext::new(manifest.clone(), outcome, &list).expect("consistent election");
        let ballots = BallotContext::from_election(&context);
        SimElection {
            manifest_hash: manifest.hash(),
            manifest,
            admin,
            authority,
            trustees,
            key_shares,
            round1: packages,
            round2,
            complaints,
            credentials,
            weights: spec.weights,
            list,
            context,
            ballots,
        }
    }

    /// The election id on the board (hex `ManifestHash`).
    pub fn id(&self) -> String {
        hex::encode(self.manifest_hash)
    }

    /// `entry` signed by `key` for this election.
    pub fn sign(&self, entry: Entry, key: &SecretKey) -> SignedEntry {
        SignedEntry::sign(&self.manifest_hash, entry, key)
    }

    /// The signed manifest (leaf 0).
    pub fn manifest_entry(&self) -> SignedEntry {
        self.sign(Entry::Manifest(self.manifest.clone()), &self.admin)
    }

    /// A phase change signed by the administrator.
    pub fn phase(&self, phase: Phase) -> SignedEntry {
        let fingerprint = (phase == Phase::VotingOpen).then_some(self.context.fingerprint);
        self.sign(Entry::Phase { phase, fingerprint }, &self.admin)
    }

    /// What follows the manifest up to and including the opening of the vote, with the endpoint
    /// each goes to.
    pub fn setup_entries(&self) -> Vec<(&'static str, SignedEntry)> {
        let mut out = vec![("phase", self.phase(Phase::KeyCeremony))];
        for p in &self.round1 {
            let k = &self.trustees[p.dealer as usize - 1];
            out.push(("dkg-round1", self.sign(Entry::DkgRound1(p.clone()), k)));
        }
        for p in &self.round2 {
            let k = &self.trustees[p.dealer as usize - 1];
            out.push(("dkg-round2", self.sign(Entry::DkgRound2(p.clone()), k)));
        }
        for c in &self.complaints {
            let k = &self.trustees[c.complainer as usize - 1];
            out.push((
                "dkg-complaints",
                self.sign(Entry::DkgComplaint(c.clone()), k),
            ));
        }
        out.push((
            "credentials",
            self.sign(Entry::CredentialList(self.list.clone()), &self.authority),
        ));
        out.push(("phase", self.phase(Phase::VotingOpen)));
        out
    }

    /// Voter `voter`'s ballot for option `choice`, made after seeing a board of `board_size`.
    pub fn ballot<R: RngCore + CryptoRng>(
        &self,
        voter: usize,
        choice: usize,
        board_size: u64,
        rng: &mut R,
    ) -> Ballot {
        let cred = &self.credentials[voter];
        let selection = vec![(0..5).map(|k| (k == choice % 5) as u64).collect()];
        let (encrypted, _) = ballot::encrypt(
            &self.ballots,
            &cred.public_key(),
            1,
            board_size,
            &selection,
            rng,
        )
        .expect("valid selection");
        encrypted.cast(cred).expect("the voter's own credential")
    }

    /// Voter `voter`'s ballot (with the voter's weight) for `selection`, made after seeing a
    /// board of `board_size`.
    pub fn ballot_for<R: RngCore + CryptoRng>(
        &self,
        voter: usize,
        selection: &[Vec<u64>],
        board_size: u64,
        rng: &mut R,
    ) -> Ballot {
        let cred = &self.credentials[voter];
        let (encrypted, _) = ballot::encrypt(
            &self.ballots,
            &cred.public_key(),
            self.weights[voter],
            board_size,
            selection,
            rng,
        )
        .expect("valid selection");
        encrypted.cast(cred).expect("the voter's own credential")
    }

    /// An audited ballot of voter `voter`.
    pub fn audited<R: RngCore + CryptoRng>(
        &self,
        voter: usize,
        board_size: u64,
        rng: &mut R,
    ) -> AuditedBallot {
        let cred = &self.credentials[voter];
        let selection = vec![vec![0, 0, 1, 0, 0]];
        let (encrypted, secrets) = ballot::encrypt(
            &self.ballots,
            &cred.public_key(),
            1,
            board_size,
            &selection,
            rng,
        )
        .expect("valid selection");
        secrets
            .audit(encrypted, cred)
            .expect("the voter's own credential")
    }

    /// A whole election's record as the board would hold it, without a board: the set-up, the
    /// ballots `(voter, choices)` in order (a voter's later ballot is a revote), audited ballots
    /// of `audits` (voter, choices) after them, the closing, the tally, the partial decryptions of
    /// trustees `decrypting`, and the results. Times lie in the manifest's window.
    pub fn full_record<R: RngCore + CryptoRng>(
        &self,
        ballots: &[(usize, Vec<Vec<u64>>)],
        audits: &[(usize, Vec<Vec<u64>>)],
        decrypting: &[u32],
        rng: &mut R,
    ) -> Vec<protocol::record::Leaf> {
        use protocol::record::Leaf;
        let (open, close) = (self.manifest.opens_at, self.manifest.closes_at);
        let mut leaves = vec![Leaf {
            time: open,
            signed: self.manifest_entry(),
        }];
        for (_, entry) in self.setup_entries() {
            leaves.push(Leaf {
                time: open,
                signed: entry,
            });
        }
        let mut counted: Vec<Option<Ballot>> = vec![None; self.credentials.len()];
        for (voter, choices) in ballots {
            let b = self.ballot_for(*voter, choices, leaves.len() as u64, rng);
            counted[*voter] = Some(b.clone());
            leaves.push(Leaf {
                time: open + 1,
                signed: ballot_entry(b),
            });
        }
        for (voter, choices) in audits {
            let cred = &self.credentials[*voter];
            let (encrypted, secrets) = ballot::encrypt(
                &self.ballots,
                &cred.public_key(),
                self.weights[*voter],
                leaves.len() as u64,
                choices,
                rng,
            )
            .expect("valid selection");
            let audited = secrets.audit(encrypted, cred).expect("own credential");
            leaves.push(Leaf {
                time: open + 1,
                signed: SignedEntry {
                    entry: Entry::AuditedBallot(audited),
                    signature: None,
                },
            });
        }
        let end = close - 1;
        let counted: Vec<(&Ballot, u64)> = counted
            .iter()
            .enumerate()
            .filter_map(|(voter, b)| Some((b.as_ref()?, self.weights[voter])))
            .collect();
        for signed in self.closing(&counted, decrypting, rng) {
            leaves.push(Leaf { time: end, signed });
        }
        leaves
    }

    /// What follows the vote, for these counted ballots (with their weights): the closing, the
    /// encrypted tally, the ranked contests' mixes (by trustees `decrypting`, in turn), the tally
    /// phase, the partial decryptions and mix decryptions of trustees `decrypting`, the ranked
    /// counts and the results, each signed by its writer (spec §12.6, §12.11).
    pub fn closing<R: RngCore + CryptoRng>(
        &self,
        counted: &[(&Ballot, u64)],
        decrypting: &[u32],
        rng: &mut R,
    ) -> Vec<SignedEntry> {
        let mut acc = protocol::tally::TallyAccumulator::new(&self.manifest);
        for (b, weight) in counted {
            acc.add(b, *weight).expect("the manifest's shape");
        }
        let recomputed = acc.finish();
        let tally = recomputed.tally().clone();
        let mut out = vec![
            self.phase(Phase::VotingClosed),
            self.sign(Entry::EncryptedTally(tally.clone()), &self.admin),
        ];
        let mixed = self.mixes(counted, decrypting, rng);
        for (_, mixes) in &mixed {
            for m in mixes {
                let key = &self.trustees[m.mixer as usize - 1];
                out.push(self.sign(Entry::Mix(m.clone()), key));
            }
        }
        out.push(self.phase(Phase::Tally));
        let partials: Vec<_> = decrypting
            .iter()
            .map(|&j| {
                protocol::tally::partial_decrypt(
                    &self.context.fingerprint,
                    self.key_shares
                        .iter()
                        .find(|s| s.index() == j)
                        .expect("a qualified trustee decrypts"),
                    &recomputed,
                    rng,
                )
            })
            .collect();
        for p in &partials {
            let key = &self.trustees[p.trustee as usize - 1];
            out.push(self.sign(Entry::PartialDecryption(p.clone()), key));
        }
        for (contest, mixes) in &mixed {
            out.extend(self.ranked_count(*contest, mixes, decrypting, rng));
        }
        let refs: Vec<_> = partials.iter().collect();
        let results =
            protocol::tally::combine(&self.manifest, self.list.total_weight(), &tally, &refs)
                .expect("honest partial decryptions");
        out.push(self.sign(Entry::Results(results), &self.admin));
        out
    }

    /// Each ranked contest's mixes by trustees `mixers` in turn, from the counted ballots' rows
    /// in credential-list order (§12.11); none for a contest without counted ballots.
    pub fn mixes<R: RngCore + CryptoRng>(
        &self,
        counted: &[(&Ballot, u64)],
        mixers: &[u32],
        rng: &mut R,
    ) -> Vec<(u32, Vec<Mix>)> {
        let mut by_position: Vec<(usize, &Ballot)> = counted
            .iter()
            .map(|(b, _)| {
                let position = self.list.position(b.encrypted.credential.as_bytes());
                (position.expect("a listed voter"), *b)
            })
            .collect();
        by_position.sort_by_key(|(p, _)| *p);
        let key = ElectionPublicKey::new(self.context.ceremony.joint_key);
        (0u32..)
            .zip(&self.manifest.contests)
            .filter(|(_, c)| c.is_ranked())
            .map(|(contest, _)| {
                let mut rows: Vec<Row> = by_position
                    .iter()
                    .map(|(_, b)| b.encrypted.contests[contest as usize].ciphertexts.clone())
                    .collect();
                let mut mixes = Vec::new();
                if !rows.is_empty() {
                    for (position, &mixer) in (0u32..).zip(mixers) {
                        let (out, secret) = shuffle::shuffle(&key, &rows, rng).expect("rows");
                        let proof = shuffle::prove(
                            &self.context.fingerprint,
                            &key,
                            &rows,
                            &out,
                            secret,
                            rng,
                        )
                        .expect("a shuffle of these rows");
                        mixes.push(Mix {
                            contest,
                            mixer,
                            position,
                            rows: out.clone(),
                            proof,
                        });
                        rows = out;
                    }
                }
                (contest, mixes)
            })
            .collect()
    }

    /// The mix decryptions of trustees `decrypting` of a ranked contest's last mix, and the
    /// administrator's count of the papers (§12.11).
    pub fn ranked_count<R: RngCore + CryptoRng>(
        &self,
        contest: u32,
        mixes: &[Mix],
        decrypting: &[u32],
        rng: &mut R,
    ) -> Vec<SignedEntry> {
        let mut out = Vec::new();
        let last: &[Row] = mixes.last().map_or(&[], |m| &m.rows);
        let mut rows = Vec::new();
        if !last.is_empty() {
            let decryptions: Vec<MixDecryption> = decrypting
                .iter()
                .map(|&j| {
                    let share = self.key_shares.iter().find(|s| s.index() == j);
                    let share = share.expect("a qualified trustee decrypts");
                    mixdecrypt::decrypt_share(&self.context.fingerprint, share, last, rng)
                })
                .collect();
            for d in &decryptions {
                let key = &self.trustees[d.trustee as usize - 1];
                out.push(self.sign(
                    Entry::MixDecryption(ContestDecryption {
                        contest,
                        decryption: d.clone(),
                    }),
                    key,
                ));
            }
            let refs: Vec<&MixDecryption> = decryptions.iter().collect();
            let n = self.manifest.contests[contest as usize].options.len() as u64;
            rows = mixdecrypt::combine(last, &refs, self.manifest.threshold, n)
                .expect("honest decryptions")
                .into_iter()
                .map(|r| r.into_iter().map(|v| v as u16).collect())
                .collect();
        }
        let seed = mixnet::lot_seed(&self.manifest_hash, contest, &rows);
        let sheet = mixnet::count(&self.manifest.contests[contest as usize], &rows, &seed)
            .expect("a ranked contest");
        out.push(self.sign(
            Entry::RankedCount(RankedCount {
                contest,
                rows,
                sheet,
            }),
            &self.admin,
        ));
        out
    }

    /// The board key named in the manifest.
    pub fn board_key(&self) -> &PublicKey {
        &self.manifest.board.key
    }
}

/// The JSON body of a post (spec §13.7): the entry body without its tag, and the writer's
/// signature for non-voter entries.
pub fn post_body(entry: &SignedEntry) -> String {
    entry.post_body()
}

/// A ballot as a signed entry.
pub fn ballot_entry(b: Ballot) -> SignedEntry {
    SignedEntry {
        entry: Entry::Ballot(b),
        signature: None,
    }
}

/// A record export (spec §13.7) of `leaves` under a checkpoint signed by `board` —
/// what a board serves, or what a lying board could. The checkpoint's origin is the log origin of
/// leaf 0's manifest under `board_origin` (§13.4), or `board_origin` itself if leaf 0 is none; no
/// witnessed timeline.
pub fn export(leaves: &[Vec<u8>], board_origin: &str, board: &SecretKey) -> Vec<u8> {
    let manifest_hash = leaves
        .first()
        .and_then(|l| protocol::record::Leaf::from_bytes(l, 1).ok())
        .and_then(|l| match l.signed.entry {
            Entry::Manifest(m) => Some(m.hash()),
            _ => None,
        });
    let origin = manifest_hash.map_or(board_origin.to_owned(), |h| {
        protocol::merkle::log_origin(board_origin, &h)
    });
    let hashes: Vec<_> = leaves
        .iter()
        .map(|l| protocol::merkle::leaf_hash(l))
        .collect();
    let note = protocol::merkle::Checkpoint {
        origin,
        size: leaves.len() as u64,
        root: protocol::merkle::root(&hashes),
    }
    .sign(board);
    let mut out = b"thistle-record-v1\n".to_vec();
    out.extend_from_slice(&(note.len() as u32).to_le_bytes());
    out.extend_from_slice(note.as_bytes());
    out.extend_from_slice(&(leaves.len() as u64).to_le_bytes());
    for l in leaves {
        out.extend_from_slice(&(l.len() as u32).to_le_bytes());
        out.extend_from_slice(l);
    }
    out.extend_from_slice(&0u32.to_le_bytes()); // no witnessed timeline (§13.7)
    out
}

/// A running board's origin and key (`GET /v1/board`), for the load generators.
pub async fn board_identity(client: &awc::Client, url: &str) -> Result<BoardInfo, String> {
    let mut resp = client
        .get(format!("{url}/v1/board"))
        .send()
        .await
        .map_err(|e| format!("cannot reach {url}: {e}"))?;
    let info: serde_json::Value = resp.json().await.unwrap_or(serde_json::Value::Null);
    let key: Option<[u8; 32]> = info["key"]
        .as_str()
        .and_then(|k| hex::decode(k).ok())
        .and_then(|k| k.try_into().ok());
    let (Some(origin), Some(key)) = (info["origin"].as_str(), key) else {
        return Err(format!("{url}/v1/board did not give an origin and key"));
    };
    Ok(BoardInfo {
        origin: origin.to_owned(),
        key: PublicKey::from_bytes(key, "board key").map_err(|e| e.to_string())?,
    })
}

/// Creates `e` on the board at `url` and posts its set-up, up to the opening of the vote.
pub async fn post_setup(client: &awc::Client, url: &str, e: &SimElection) -> Result<(), String> {
    let id = e.id();
    let mut setup = vec![("elections".to_string(), e.manifest_entry())];
    setup.extend(
        e.setup_entries()
            .into_iter()
            .map(|(k, s)| (format!("elections/{id}/{k}"), s)),
    );
    for (path, entry) in setup {
        let request = client.post(format!("{url}/v1/{path}"));
        let sent = if let Entry::CredentialList(_) = entry.entry {
            // Over 4 MiB as JSON for a large roll: the signed stream of §13.7.
            use base64::Engine;
            let signature = entry
                .signature
                .map(|s| base64::engine::general_purpose::STANDARD.encode(s));
            request
                .insert_header(("content-type", "application/octet-stream"))
                .insert_header((crate::api::SIGNATURE_HEADER, signature.unwrap_or_default()))
                .send_body(entry.entry.content_bytes()[1..].to_vec())
                .await
        } else {
            request
                .insert_header(("content-type", "application/json"))
                .send_body(post_body(&entry))
                .await
        };
        let mut resp = sent.map_err(|e| format!("setting up ({path}): {e}"))?;
        if resp.status().as_u16() != 201 {
            let body = resp.body().await.unwrap_or_default();
            return Err(format!(
                "setting up ({path}) refused: {} {}",
                resp.status(),
                String::from_utf8_lossy(&body)
            ));
        }
    }
    Ok(())
}
